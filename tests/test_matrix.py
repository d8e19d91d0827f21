"""The matrix view: transfer, shapes, presets against their sources' equations, training."""

import autograd
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from nn import MLP, SGD, fit
from nn.matrix import PRESETS, Conventions, MatrixMLP, preset_mlp

from . import reference_mlp as ref


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def test_round_trip_is_exact_in_both_weight_layouts():
    model = MLP(3, [5, 4, 2], activation="relu", seed=4)
    for w_layout in ("out_in", "in_out"):
        mm = MatrixMLP.from_mlp(model, w_layout=w_layout)
        assert mm.weights[0].shape == ((5, 3) if w_layout == "out_in" else (3, 5))
        assert mm.biases is not None and mm.biases[0].shape == (5,)
        back = mm.to_mlp()
        assert [p.data for p in back.parameters()] == [p.data for p in model.parameters()]
        assert (back.sizes, back.activations) == (model.sizes, model.activations)


def test_forward_keeps_z_and_a_like_nielsen():
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    mm = MatrixMLP.from_mlp(model)
    X = np.array([[0.5, -1.0], [2.0, 0.25]])
    out = mm.forward(X.T)
    assert len(mm.a) == 3 and len(mm.z) == 2
    assert mm.a[0] is not None and np.array_equal(mm.a[0], X.T)
    assert mm.z[0].shape == (3, 2) and mm.a[1].shape == (3, 2) and out.shape == (1, 2)
    expected = [model(x)[0].data for x in X.tolist()]
    assert out[0] == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize(
    "X, layout, pattern",
    [
        (np.zeros(3), "columns", r"X: expected a 2-D array of shape \(3, N\) \(columns layout\), got shape \(3,\)"),
        (np.zeros((2, 4)), "columns", r"X: expected shape \(3, N\) \(columns layout\), got \(2, 4\)"),
        (np.zeros((4, 2)), "rows", r"X: expected shape \(N, 3\) \(rows layout\), got \(4, 2\)"),
        (np.zeros((1, 2, 3)), "rows", "2-D array"),
    ],
)
def test_misshaped_inputs_are_refused(X, layout, pattern):
    mm = MatrixMLP.from_mlp(MLP(3, [2]), layout=layout)
    with pytest.raises(ValueError, match=pattern):
        mm.forward(X)


@pytest.mark.parametrize(
    "loss, act, Y, message",
    [
        ("hinge", "linear", [[-1.0, 0.0, 1.0, 1.0]], r"hinge: expected labels -1/\+1 or 0/1, got \[-1.0, 0.0, 1.0\]"),
        ("binary_cross_entropy", "sigmoid", [[0, 1.5, 1, 0]], r"binary_cross_entropy: targets must lie in \[0, 1"),
        ("mse", "linear", [[0.0, np.nan, 1.0, 0.0]], "mse: targets must be finite"),
    ],
)
def test_the_matrix_view_checks_targets_as_the_scalar_losses_do(loss, act, Y, message):
    model = MLP(3, [1], activation=act, seed=0)
    mm = MatrixMLP.from_mlp(model, loss=loss)
    mm.forward(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=message):
        mm.backward(np.array(Y))
    scalar_loss = getattr(nn.losses, loss)
    with pytest.raises(ValueError, match=message):  # the same words from the scalar graph's loss
        scalar_loss([model([0.0, 0.0, 0.0]) for _ in range(4)], np.array(Y).T)


@pytest.mark.parametrize("loss", ["mse", "cross_entropy", "binary_cross_entropy", "hinge"])
def test_the_matrix_views_targets_are_the_scalar_losses_rows_transposed(loss):
    rng = np.random.default_rng(3)
    n_out = 3 if loss in ("mse", "cross_entropy") else 1
    Y = {
        "mse": rng.normal(size=(n_out, 5)),
        "cross_entropy": rng.integers(0, n_out, 5),
        "binary_cross_entropy": rng.random((1, 5)),
        "hinge": rng.integers(0, 2, (1, 5)).astype(float),
    }[loss]
    mm = MatrixMLP.from_mlp(MLP(2, [n_out], seed=0), loss=loss)
    mm.forward(rng.normal(size=(2, 5)))
    expected = nn.losses.target_rows(loss, Y if Y.ndim == 1 else Y.T, 5, n_out).T
    np.testing.assert_array_equal(mm.targets(Y), expected)
    if loss == "hinge":
        assert set(np.unique(mm.targets(Y)).tolist()) <= {-1.0, 1.0}  # 0/1 labels became ±1
    if loss == "cross_entropy":
        np.testing.assert_array_equal(mm.targets(Y), np.eye(n_out)[Y].T)  # one-hot columns


def test_misshaped_targets_and_parameters_are_refused():
    mm = MatrixMLP.from_mlp(MLP(3, [2]))
    mm.forward(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"Y: expected a 2-D array of shape \(2, N\)"):
        mm.backward(np.zeros(4))  # no silent broadcasting of a 1-D target
    with pytest.raises(ValueError, match=r"Y: expected 4 samples \(as in the last forward\), got 5"):
        mm.backward(np.zeros((2, 5)))
    ce = MatrixMLP.from_mlp(MLP(3, [2]), loss="cross_entropy")
    ce.forward(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"4 class labels in 0..1"):
        ce.backward(np.array([0, 1, 2, 1]))
    with pytest.raises(ValueError, match=r"cross_entropy: targets must be probabilities"):
        ce.backward(np.array([[0.5, 1.0, 0.0, 1.0], [0.0, 0.0, 1.0, 0.0]]))  # the first sample sums to 0.5
    with pytest.raises(
        ValueError, match=r"weights\[1\]: expected shape \(2, 3\) to follow the previous layer, got \(2, 4\)"
    ):
        MatrixMLP([np.zeros((3, 2)), np.zeros((2, 4))], None, ["tanh", "linear"])
    with pytest.raises(ValueError, match=r"biases\[0\]: expected shape \(3,\), got \(2,\)"):
        MatrixMLP([np.zeros((3, 2))], [np.zeros(2)], ["linear"])
    with pytest.raises(ValueError, match="one activation per weight matrix"):
        MatrixMLP([np.zeros((3, 2))], None, ["tanh", "tanh"])
    with pytest.raises(RuntimeError, match="forward"):
        MatrixMLP.from_mlp(MLP(3, [2])).backward(np.zeros((2, 1)))


@pytest.mark.parametrize(
    "kw, pattern",
    [
        (dict(loss="l1"), "loss: expected one of"),
        (dict(reduction="avg"), "reduction"),
        (dict(layout="cols"), "layout"),
        (dict(w_layout="in-out"), "w_layout"),
        (dict(relu_grad_at_zero=2.0), "relu_grad_at_zero"),
        (dict(l2=-1.0), "l2"),
        (dict(l2_on="biases"), "l2_on"),
    ],
)
def test_bad_conventions(kw, pattern):
    with pytest.raises(ValueError, match=pattern):
        Conventions(**kw)


def test_presets_check_the_network():
    with pytest.raises(ValueError, match=r"preset 'nielsen' needs hidden activation sigmoid \(this MLP has tanh\)"):
        MatrixMLP.from_mlp(MLP(2, [3, 1], activation="tanh"), "nielsen")
    with pytest.raises(ValueError, match="preset: expected one of"):
        MatrixMLP.from_mlp(MLP(2, [3, 1]), "goodfellow")
    for name in PRESETS:
        model = preset_mlp(name, [3, 4, 2])
        assert MatrixMLP.from_mlp(model, name).conventions == PRESETS[name].conventions


# ---- each preset against its source's own formulation, written out independently --------------
def nielsen_backprop(weights, biases, x, y):
    """Nielsen's network.py backprop(x, y) for one sample (column vectors), ½ quadratic cost."""
    nabla_b = [np.zeros(b.shape) for b in biases]
    nabla_w = [np.zeros(w.shape) for w in weights]
    activation, activations, zs = x, [x], []
    for b, w in zip(biases, weights):
        z = np.dot(w, activation) + b
        zs.append(z)
        activation = sigmoid(z)
        activations.append(activation)
    delta = (activations[-1] - y) * sigmoid(zs[-1]) * (1 - sigmoid(zs[-1]))
    nabla_b[-1] = delta
    nabla_w[-1] = np.dot(delta, activations[-2].transpose())
    for layer in range(2, len(weights) + 1):
        sp = sigmoid(zs[-layer]) * (1 - sigmoid(zs[-layer]))
        delta = np.dot(weights[-layer + 1].transpose(), delta) * sp
        nabla_b[-layer] = delta
        nabla_w[-layer] = np.dot(delta, activations[-layer - 1].transpose())
    return nabla_b, nabla_w


def test_nielsen_preset_is_nielsens_update_mini_batch():
    model = preset_mlp("nielsen", [3, 5, 4, 2], seed=1)
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(6, 3)), rng.uniform(size=(6, 2))
    mm = MatrixMLP.from_mlp(model, "nielsen")
    mm.forward(X.T)
    g = mm.backward(Y.T)
    Ws = [W.copy() for W in mm.weights]
    bs = [b.reshape(-1, 1) for b in mm.biases]
    sums_b = [np.zeros(b.shape) for b in bs]
    sums_w = [np.zeros(W.shape) for W in Ws]
    for x, y in zip(X, Y):  # update_mini_batch: sum per-sample nablas, then divide by the batch size
        nb, nw = nielsen_backprop(Ws, bs, x.reshape(-1, 1), y.reshape(-1, 1))
        sums_b = [s + d for s, d in zip(sums_b, nb)]
        sums_w = [s + d for s, d in zip(sums_w, nw)]
    for l in range(3):
        np.testing.assert_allclose(g.dW[l], sums_w[l] / len(X), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(g.db[l], sums_b[l][:, 0] / len(X), rtol=1e-12, atol=1e-15)


def test_no_bias_sigmoid_preset_is_delta_times_previous_activation():
    model = preset_mlp("no_bias_sigmoid", [3, 4, 2], seed=2)
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(3, 1)), rng.uniform(size=(2, 1))
    mm = MatrixMLP.from_mlp(model, "no_bias_sigmoid")
    mm.forward(x)
    g = mm.backward(y)
    W1, W2 = mm.weights
    a1 = sigmoid(W1 @ x)
    a2 = sigmoid(W2 @ a1)
    d2 = 2 * (a2 - y) * a2 * (1 - a2)  # squared error, no ½
    d1 = (W2.T @ d2) * a1 * (1 - a1)
    assert g.db is None
    np.testing.assert_allclose(g.dW[1], d2 @ a1.T, rtol=1e-12)
    np.testing.assert_allclose(g.dW[0], d1 @ x.T, rtol=1e-12)


def test_udl_relu_preset_sums_per_sample_derivatives_with_indicator():
    model = preset_mlp("udl_relu", [2, 4, 3, 1], seed=3)
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(5, 2)), rng.normal(size=(5, 1))
    mm = MatrixMLP.from_mlp(model, "udl_relu")
    for b in mm.biases:
        b += rng.uniform(-0.3, 0.3, b.shape)  # nonzero biases: no exact zeros at the kink
    mm.forward(X.T)
    g = mm.backward(Y.T)
    Ws, bs = mm.weights, mm.biases
    total_W = [np.zeros_like(W) for W in Ws]
    total_b = [np.zeros_like(b) for b in bs]
    for x, y in zip(X, Y):  # UDL 7.4: forward storing z, x; backward from dL/dz_M; sum over the batch
        h, zs, hs = x, [], [x]
        for l, (W, b) in enumerate(zip(Ws, bs)):
            z = b + W @ h
            zs.append(z)
            h = np.maximum(z, 0) if l < len(Ws) - 1 else z
            hs.append(h)
        dz = 2 * (zs[-1] - y)  # sum of squares: d/df (f - y)^2
        for l in range(len(Ws) - 1, -1, -1):
            total_b[l] += dz
            total_W[l] += np.outer(dz, hs[l])
            if l:
                dz = (zs[l - 1] > 0) * (Ws[l].T @ dz)  # I[z > 0]
    for l in range(len(Ws)):
        np.testing.assert_allclose(g.dW[l], total_W[l], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(g.db[l], total_b[l], rtol=1e-12, atol=1e-14)


def test_udl_notebook_preset_uses_the_indicator_of_z_at_least_0():
    model = preset_mlp("udl_notebook", [2, 3, 3, 1], seed=3)  # zero biases: a zero input gives z == 0
    X, Y = np.array([[0.0, 0.0], [0.4, -0.7]]), np.array([[1.0], [-2.0]])
    mm = MatrixMLP.from_mlp(model, "udl_notebook")
    mm.forward(X.T)
    g = mm.backward(Y.T)
    Ws = mm.weights
    total_W = [np.zeros_like(W) for W in Ws]
    for x, y in zip(X, Y):  # notebook 7.2: indicator_function sets x_in[x_in >= 0] = 1
        h, zs, hs = x, [], [x]
        for l, W in enumerate(Ws):
            z = W @ h
            zs.append(z)
            h = np.maximum(z, 0) if l < len(Ws) - 1 else z
            hs.append(h)
        dz = 2 * (zs[-1] - y)
        for l in range(len(Ws) - 1, -1, -1):
            total_W[l] += np.outer(dz, hs[l])
            if l:
                dz = (zs[l - 1] >= 0) * (Ws[l].T @ dz)  # I[z >= 0]
    assert np.any(mm.z[0] == 0.0)
    for l in range(len(Ws)):
        np.testing.assert_allclose(g.dW[l], total_W[l], rtol=1e-12, atol=1e-14)


def test_neuron_chain_preset_is_the_chain_rule_written_out():
    model = preset_mlp("neuron_chain", seed=7)  # 1-1-1-1: three weights, three biases
    rng = np.random.default_rng(7)
    X, Y = rng.normal(size=(2, 1)), rng.uniform(size=(2, 1))
    mm = MatrixMLP.from_mlp(model, "neuron_chain")
    for b in mm.biases:
        b += rng.normal(size=1)
    mm.forward(X.T)
    g = mm.backward(Y.T)
    (w1, w2, w3), (b1, b2, b3) = [float(W[0, 0]) for W in mm.weights], [float(b[0]) for b in mm.biases]
    expected = np.zeros(6)
    for x, y in zip(X[:, 0], Y[:, 0]):  # C0 = (a3 - y)^2; dC0/dw = dz/dw * da/dz * dC0/da
        a1 = sigmoid(w1 * x + b1)
        a2 = sigmoid(w2 * a1 + b2)
        a3 = sigmoid(w3 * a2 + b3)
        dz3 = a3 * (1 - a3) * 2 * (a3 - y)
        dz2 = a2 * (1 - a2) * w3 * dz3
        dz1 = a1 * (1 - a1) * w2 * dz2
        expected += [x * dz1, a1 * dz2, a2 * dz3, dz1, dz2, dz3]
    got = [*(float(d[0, 0]) for d in g.dW), *(float(d[0]) for d in g.db)]
    np.testing.assert_allclose(got, expected / 2, rtol=1e-12)  # C averages over the 2 examples


def test_no_bias_linear_preset_is_a_product_of_matrices():
    model = preset_mlp("no_bias_linear", [3, 4, 2], seed=8)
    rng = np.random.default_rng(8)
    X, Y = rng.normal(size=(3, 5)), rng.normal(size=(2, 5))  # columns
    mm = MatrixMLP.from_mlp(model, "no_bias_linear")
    mm.forward(X)
    g = mm.backward(Y)
    W1, W2 = mm.weights
    D2 = 2 * (W2 @ W1 @ X - Y) / 5  # no activation: f' = 1 everywhere
    D1 = W2.T @ D2
    np.testing.assert_allclose(g.dW[1], D2 @ (W1 @ X).T, rtol=1e-12)
    np.testing.assert_allclose(g.dW[0], D1 @ X.T, rtol=1e-12)
    assert g.db is None


def test_softmax_ce_preset_output_error_is_softmax_minus_onehot():
    model = preset_mlp("softmax_ce", [3, 4, 3], seed=4)
    rng = np.random.default_rng(4)
    X, labels = rng.normal(size=(4, 3)), np.array([0, 2, 1, 2])
    for reduction in ("mean", "sum"):
        mm = MatrixMLP.from_mlp(model, "softmax_ce", reduction=reduction)
        mm.forward(X.T)
        g = mm.backward(labels)
        Z = mm.z[-1]
        P = np.exp(Z) / np.exp(Z).sum(axis=0)
        expected = (P - np.eye(3)[labels].T) / (len(X) if reduction == "mean" else 1)
        np.testing.assert_allclose(g.delta[-1], expected, rtol=1e-12, atol=1e-16)


def test_micrograd_preset_is_hinge_plus_l2_on_everything():
    model = preset_mlp("micrograd", [2, 4, 1], seed=5)
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(6, 2)), np.array([1, -1, 1, 1, -1, -1.0])
    mm = MatrixMLP.from_mlp(model, "micrograd")
    mm.forward(X.T)
    g = mm.backward(y.reshape(1, -1))
    params = ref.params_of(model)

    def loss(params):
        out, _ = ref.forward(params, X, model.activations, True)
        data = ref.anp.mean(ref.anp.maximum(0.0, 1.0 - y * out[:, 0]))
        return data + 1e-4 * sum(ref.anp.sum(p * p) for p in params)

    expected = autograd.grad(loss)(params)
    for l in range(2):
        np.testing.assert_allclose(g.dW[l], expected[2 * l], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(g.db[l], expected[2 * l + 1], rtol=1e-12, atol=1e-15)
    assert g.loss == pytest.approx(float(loss(params)), rel=1e-13)


def test_unfused_output_errors_equal_the_fused_ones():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(5, 3))
    for loss, targets, k in (
        ("cross_entropy", np.array([0, 1, 2, 1, 0]), 3),
        ("binary_cross_entropy", rng.integers(0, 2, (1, 5)), 1),
    ):
        model = MLP(3, [4, k], seed=6)
        fused, unfused = (MatrixMLP.from_mlp(model, loss=loss, fused=f) for f in (True, False))
        for mm in (fused, unfused):
            mm.forward(X.T)
        np.testing.assert_allclose(
            unfused.backward(targets).delta[-1], fused.backward(targets).delta[-1], rtol=1e-9, atol=1e-15
        )


def test_unfused_softmax_explains_an_underflow():
    mm = MatrixMLP([np.array([[1000.0], [-1000.0]])], None, ["linear"], loss="cross_entropy", fused=False)
    mm.forward(np.array([[1.0]]))
    with pytest.raises(FloatingPointError, match="use fused=True"):
        mm.backward(np.array([1]))


# ---- against autograd, over random architectures ------------------------------------------------
@given(
    sizes=st.lists(st.integers(1, 12), min_size=2, max_size=5),
    act=st.sampled_from(["tanh", "sigmoid", "relu", "linear"]),
    loss=st.sampled_from(["mse", "cross_entropy", "binary_cross_entropy", "hinge"]),
    reduction=st.sampled_from(["mean", "sum"]),
    half=st.booleans(),
    bias=st.booleans(),
    layout=st.sampled_from(["columns", "rows"]),
    n=st.integers(1, 16),
    seed=st.integers(0, 1000),
)
def test_matrix_gradients_match_autograd(sizes, act, loss, reduction, half, bias, layout, n, seed):
    if loss in ("binary_cross_entropy", "hinge"):
        sizes = [*sizes[:-1], 1]
    if loss == "cross_entropy" and sizes[-1] < 2:
        sizes = [*sizes[:-1], 2]
    rng = np.random.default_rng(seed)
    model = MLP(sizes[0], sizes[1:], activation=act, bias=bias, seed=seed)
    X = rng.normal(size=(n, sizes[0]))
    labels = rng.integers(0, sizes[-1], n)
    Y = {
        "mse": rng.normal(size=(n, sizes[-1])),
        "cross_entropy": ref.one_hot(labels, sizes[-1]),
        "binary_cross_entropy": rng.integers(0, 2, (n, 1)).astype(float),
        "hinge": rng.choice([-1.0, 1.0], (n, 1)),
    }[loss]
    mm = MatrixMLP.from_mlp(model, loss=loss, reduction=reduction, mse_half=half, layout=layout)
    rows = layout == "rows"
    mm.forward(X if rows else X.T)
    g = mm.backward(Y if rows else Y.T)
    params = ref.params_of(model)
    expected = autograd.grad(ref.loss)(params, X, Y, model.activations, bias, loss, reduction, half)
    assert g.loss == pytest.approx(
        float(ref.loss(params, X, Y, model.activations, bias, loss, reduction, half)), rel=1e-12, abs=1e-14
    )
    step = 2 if bias else 1
    for l in range(len(sizes) - 1):
        np.testing.assert_allclose(g.dW[l], expected[step * l], rtol=1e-10, atol=1e-13)
        if bias:
            np.testing.assert_allclose(g.db[l], expected[step * l + 1], rtol=1e-10, atol=1e-13)


# ---- training with the matrix view --------------------------------------------------------------
@pytest.mark.parametrize(
    "loss, act", [("mse", "tanh"), ("cross_entropy", "relu"), ("hinge", "relu"), ("binary_cross_entropy", "sigmoid")]
)
def test_scalar_and_matrix_training_follow_the_same_trajectory(loss, act):
    rng = np.random.default_rng(7)
    n_out = 3 if loss in ("mse", "cross_entropy") else 1
    X = rng.normal(size=(12, 2))
    y = {
        "mse": rng.normal(size=(12, 3)),
        "cross_entropy": rng.integers(0, 3, 12),
        "hinge": rng.choice([-1.0, 1.0], 12),
        "binary_cross_entropy": rng.integers(0, 2, 12),
    }[loss]
    model = MLP(2, [6, n_out], activation=act, seed=7)
    for b in model.biases():
        b.data = float(rng.uniform(-0.2, 0.2))
    mm = MatrixMLP.from_mlp(model, loss=loss)
    kw = dict(epochs=20, lr=0.1, progress=False, seed=3)
    scalar = fit(model, X, y, loss=loss, **kw)
    matrix = fit(mm, X, y, **kw)
    assert len(scalar) == len(matrix) == 20
    np.testing.assert_allclose(matrix.loss, scalar.loss, rtol=0, atol=1e-10)
    assert matrix.accuracy == scalar.accuracy
    np.testing.assert_allclose(
        mm.weights[0], np.array([[w.data for w in n.w] for n in model.layers[0].neurons]), atol=1e-10
    )


def test_matrix_fit_uses_the_models_conventions():
    mm = MatrixMLP.from_mlp(MLP(2, [3, 1]), loss="mse")
    with pytest.raises(ValueError, match="trains with its conventions"):
        fit(mm, np.zeros((4, 2)), np.zeros(4), loss="hinge", progress=False)


def test_matrix_parameters_are_updated_in_place_by_the_optimizers():
    mm = MatrixMLP.from_mlp(MLP(2, [2]), loss="mse")
    W = mm.weights[0]
    opt = SGD(mm.parameters(), lr=0.5, momentum=0.9)
    mm.forward(np.ones((2, 3)))
    mm.backward(np.zeros((2, 3)))
    before = W.copy()
    opt.step()
    assert mm.weights[0] is W and not np.array_equal(W, before)
    np.testing.assert_allclose(W, before - 0.5 * mm.parameters()[0].grad)
