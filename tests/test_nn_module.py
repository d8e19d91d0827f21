"""MLP built from Values: structure, names, parameter order, and gradients against oracles."""

import autograd
import numpy as np
import pytest

from autograd_core import Value
from nn import MLP, cross_entropy, mse
from nn.module import Neuron

from . import reference_mlp as ref
from .oracles import assert_close_to_numeric

SHAPES = [
    (2, [3, 1], "tanh", "linear", True),
    (3, [4, 4, 2], "sigmoid", "sigmoid", True),
    (1, [5, 1], "relu", "linear", True),
    (4, [3, 3, 3, 2], "tanh", "linear", False),
    (3, [6, 3], "relu", "tanh", True),
    (2, [2], "linear", "linear", True),
]


def test_parameter_order_and_labels():
    model = MLP(2, [3, 1])
    names = [name for name, _ in model.named_parameters()]
    assert names == [
        "W1[0,0]", "W1[0,1]", "b1[0]",
        "W1[1,0]", "W1[1,1]", "b1[1]",
        "W1[2,0]", "W1[2,1]", "b1[2]",
        "W2[0,0]", "W2[0,1]", "W2[0,2]", "b2[0]",
    ]  # fmt: skip
    assert model.parameters() == [p for _, p in model.named_parameters()]
    assert [w.label for w in model.weights()] == [n for n in names if n.startswith("W")]
    assert [n for n, _ in MLP(2, [2], bias=False).named_parameters()] == ["W1[0,0]", "W1[0,1]", "W1[1,0]", "W1[1,1]"]


def test_each_pre_activation_is_one_named_node():
    model = MLP(3, [4, 2], activation="tanh")
    trace = model.forward([0.5, -1.0, 2.0])
    for l, (zs, acts) in enumerate(zip(trace.z, trace.a), start=1):
        for j, (z, a) in enumerate(zip(zs, acts)):
            assert z.label == f"z{l}[{j}]" and z.op == "dot"
            n_in = model.sizes[l - 1]
            assert len(z.parents) == (n_in + 1 if l == 1 else 2 * n_in + 1)  # W row (+ inputs if Values) + bias
            if l < 2:
                assert a.label == f"a{l}[{j}]" and a.op == "tanh" and a.parents == (z,)
            else:
                assert a is z  # linear output: a = z
    assert trace.outputs == trace.a[-1]
    out = model([0.5, -1.0, 2.0])
    assert [v.data for v in out] == [v.data for v in trace.outputs]


def test_input_values_become_parents():
    model = MLP(2, [2, 1])
    xs = [Value(0.3, "x[0]"), Value(-0.7, "x[1]")]
    out = model(xs)[0]
    out.backward()
    W1 = np.array([[w.data for w in n.w] for n in model.layers[0].neurons])
    assert all(x.grad != 0.0 for x in xs)
    # dout/dx is W1^T (f'(z1) * W2^T): check it against autograd on the reference
    params = ref.params_of(model)
    g = autograd.grad(lambda x: ref.forward(params, x, model.activations, True)[0][0, 0])(np.array([[0.3, -0.7]]))
    assert [x.grad for x in xs] == pytest.approx(g[0].tolist(), rel=1e-12)
    assert W1.shape == (2, 2)


def test_seeded_and_deterministic():
    a, b, c = MLP(3, [5, 2], seed=7), MLP(3, [5, 2], seed=7), MLP(3, [5, 2], seed=8)
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    assert [p.data for p in a.parameters()] != [p.data for p in c.parameters()]


@pytest.mark.parametrize("init", ["uniform", "xavier", "he"])
def test_init_schemes(init):
    model = MLP(64, [256], init=init, seed=0)
    W = np.array([[w.data for w in n.w] for n in model.layers[0].neurons])
    assert np.all([n.b.data == 0.0 for n in model.layers[0].neurons])
    if init == "uniform":
        assert W.min() >= -1 and W.max() <= 1 and W.std() == pytest.approx(1 / np.sqrt(3), rel=0.05)
    elif init == "xavier":
        r = np.sqrt(6 / (64 + 256))
        assert np.abs(W).max() <= r and W.std() == pytest.approx(r / np.sqrt(3), rel=0.05)
    else:
        assert W.std() == pytest.approx(np.sqrt(2 / 64), rel=0.05)


def test_auto_init_uses_he_for_relu_and_xavier_otherwise():
    def weights(**kw):
        return [p.data for p in MLP(8, [8], seed=1, **kw).weights()]

    assert weights(output_activation="relu") == weights(output_activation="relu", init="he")
    assert weights(output_activation="tanh") == weights(output_activation="tanh", init="xavier")


@pytest.mark.parametrize(
    "args, error, pattern",
    [
        ((0, [3]), ValueError, "positive int"),
        ((2, []), ValueError, "non-empty list"),
        ((2, [3, 0]), ValueError, "positive"),
        ((2, "3"), ValueError, "list of positive ints"),
    ],
)
def test_bad_architectures(args, error, pattern):
    with pytest.raises(error, match=pattern):
        MLP(*args)


def test_bad_options_and_inputs():
    with pytest.raises(ValueError, match="activation: expected one of tanh, relu, sigmoid, linear, got 'gelu'"):
        MLP(2, [3], activation="gelu")
    with pytest.raises(ValueError, match="init: expected one of"):
        MLP(2, [3], init="normal")
    model = MLP(2, [3])
    with pytest.raises(ValueError, match="input of length 2, got length 3"):
        model([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="sequence of 2 numbers or Values"):
        model(1.0)
    with pytest.raises(TypeError):
        model(["a", "b"])


def test_zero_grad():
    model = MLP(2, [2, 1])
    model([1.0, 2.0])[0].backward()
    assert any(p.grad for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_neuron_repr_and_parameters():
    n = Neuron([0.1, 0.2], 0.0, "relu", 1, 0)
    assert repr(n) == "Neuron(relu, 2 inputs)"
    assert [p.label for p in n.parameters()] == ["W1[0,0]", "W1[0,1]", "b1[0]"]


CASES = [(*shape, kind) for shape in SHAPES for kind in ("mse", "cross_entropy") if kind == "mse" or shape[1][-1] > 1]


@pytest.mark.parametrize("nin, nouts, act, out_act, bias, kind", CASES)
def test_mlp_gradients_match_autograd_and_central_differences(nin, nouts, act, out_act, bias, kind):
    rng = np.random.default_rng(nin * 100 + len(nouts))
    model = MLP(nin, nouts, activation=act, output_activation=out_act, bias=bias, seed=3)
    for b in model.biases():  # nonzero biases keep ReLU inputs away from exact zeros
        b.data = float(rng.uniform(-0.5, 0.5))
    X = rng.normal(size=(4, nin))
    n_out = nouts[-1]
    if kind == "mse":
        Y = rng.normal(size=(4, n_out))
        loss = mse([model(x) for x in X.tolist()], Y)
    else:
        labels = rng.integers(0, n_out, 4)
        Y = ref.one_hot(labels, n_out)
        loss = cross_entropy([model(x) for x in X.tolist()], labels)
    loss.backward()
    ours = [p.grad for p in model.parameters()]

    params = ref.params_of(model)
    acts = model.activations
    assert loss.data == pytest.approx(float(ref.loss(params, X, Y, acts, bias, kind)), rel=1e-12)
    expected = autograd.grad(ref.loss)(params, X, Y, acts, bias, kind)
    flat = np.concatenate([np.column_stack([W, b]).ravel() if bias else W.ravel() for W, b in _pairs(expected, bias)])
    scale = max(1.0, np.abs(flat).max())
    assert ours == pytest.approx(flat.tolist(), rel=1e-10, abs=1e-13 * scale)

    numeric = []
    for i, p in enumerate(params):
        for idx in np.ndindex(p.shape):
            h = 1e-5 * max(1.0, abs(p[idx]))
            up = [q.copy() for q in params]
            down = [q.copy() for q in params]
            up[i][idx] += h
            down[i][idx] -= h
            f_up = ref.loss(up, X, Y, acts, bias, kind)
            f_down = ref.loss(down, X, Y, acts, bias, kind)
            numeric.append((p, idx, (f_up - f_down) / (up[i][idx] - down[i][idx])))
    numeric_flat = _flat_like(params, numeric, bias)
    assert_close_to_numeric(ours, numeric_flat)


def _pairs(params, bias):
    if not bias:
        return [(W, None) for W in params]
    return list(zip(params[0::2], params[1::2]))


def _flat_like(params, numeric, bias):
    """Numeric derivatives in parameters() order: per neuron, its W row then its bias."""
    table = {(id(p), idx): g for p, idx, g in numeric}
    out = []
    for W, b in _pairs(params, bias):
        for j in range(W.shape[0]):
            out += [table[(id(W), (j, k))] for k in range(W.shape[1])]
            if b is not None:
                out.append(table[(id(b), (j,))])
    return out


def test_matrices_give_data_and_grads_as_arrays_and_set_matrices_copies_them_back():
    model = MLP(3, [4, 2], seed=1)
    Ws, bs = model.matrices()
    assert [W.shape for W in Ws] == [(4, 3), (2, 4)] and [b.shape for b in bs] == [(4,), (2,)]
    assert Ws[0][1, 2] == model.layers[0].neurons[1].w[2].data
    mse([model([0.1, 0.2, 0.3])], [[0.0, 1.0]]).backward()
    dWs, dbs = model.matrices(grad=True)
    assert dWs[1][0, 3] == model.layers[1].neurons[0].w[3].grad and dbs[1][1] == model.layers[1].neurons[1].b.grad
    other = MLP(3, [4, 2], seed=2)
    other.set_matrices(Ws, bs)
    assert [p.data for p in other.parameters()] == [p.data for p in model.parameters()]
    assert MLP(2, [2], bias=False).matrices()[1] is None


def test_set_matrices_checks_shapes():
    model = MLP(3, [4, 2])
    Ws, bs = model.matrices()
    with pytest.raises(ValueError, match=r"weights\[1\]: expected shape \(2, 4\), got \(4, 2\)"):
        model.set_matrices([Ws[0], Ws[1].T], bs)
    with pytest.raises(ValueError, match="needs 2 weight matrices and as many bias vectors"):
        model.set_matrices(Ws, None)
    with pytest.raises(ValueError, match="values must be finite"):
        model.set_matrices([Ws[0] * np.inf, Ws[1]], bs)
