"""A layer's fast path makes the same graph as its neurons one by one, bit for bit.

``Layer.forward`` (what ``MLP.__call__`` and ``MLP.forward`` run) unpacks its input once and
builds each neuron's dot node itself; ``Neuron.forward`` goes through ``Value.dot``, one neuron
at a time. For random networks (every activation, with and without biases) and random inputs
(plain numbers of several types, Values, or both) the two graphs must hold the same nodes: the
same data, op, const, label and local derivatives (as exact bits), the same parents in the same
order (the very same leaves), and after ``backward()`` the same grads. Their errors are the same.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_core import Value, topological_order
from nn import MLP
from nn.activations import ACTIVATIONS
from nn.module import INITS, Layer, Neuron


def bits(x: float) -> str:
    """A float as its exact bits (so -0.0 and 0.0 differ)."""
    return x.hex()


def neuron_by_neuron(model: MLP, x: list) -> tuple[list[list[Value]], list[list[Value]]]:
    """Every layer's z and a nodes, made one neuron at a time through Value.dot."""
    zs, acts = [], []
    a = x
    for layer in model.layers:
        pairs = [neuron.forward(a) for neuron in layer.neurons]
        zs.append([z for z, _ in pairs])
        a = [out for _, out in pairs]
        acts.append(a)
    return zs, acts


finite = st.floats(-4.0, 4.0, allow_nan=False, allow_infinity=False)
number = finite | st.sampled_from([0.0, -0.0, 1.0])  # zeros: ReLU's kink, and the sign of zero


@st.composite
def cases(draw):
    sizes = draw(st.lists(st.integers(1, 5), min_size=2, max_size=4))
    model = MLP(
        sizes[0],
        sizes[1:],
        activation=draw(st.sampled_from(sorted(ACTIVATIONS))),
        output_activation=draw(st.sampled_from(sorted(ACTIVATIONS))),
        bias=draw(st.booleans()),
        init=draw(st.sampled_from(INITS)),
        seed=draw(st.integers(0, 2**16)),
    )
    for b in model.biases():
        b.data = draw(number)
    inputs = draw(st.sampled_from(["numbers", "values", "mixed"]))
    x: list = []
    for k in range(sizes[0]):
        kind = {"numbers": "number", "values": "value"}.get(inputs) or draw(st.sampled_from(["number", "value"]))
        v = draw(number)
        if kind == "value":
            x.append(Value(v, f"x[{k}]"))
        else:
            x.append(draw(st.sampled_from([float, np.float64, round]))(v))
    coefficients = draw(st.lists(finite, min_size=sizes[-1], max_size=sizes[-1]))
    return model, x, coefficients


def assert_same_graph(fast_root: Value, slow_root: Value) -> tuple[list[Value], list[Value]]:
    """The two graphs node for node (in topological order); returns both orders."""
    fast, slow = topological_order(fast_root), topological_order(slow_root)
    assert len(fast) == len(slow)
    twin: dict[Value, Value] = {}
    for f, s in zip(fast, slow):
        if not f.parents:  # a leaf: a weight, a bias or an input Value, shared by both graphs
            assert f is s
        else:
            assert f is not s
            assert (f.op, f.label, f.const) == (s.op, s.label, s.const)
            assert getattr(f, "terms", None) == getattr(s, "terms", None)
            assert bits(f.data) == bits(s.data) and type(f.data) is type(s.data) is float
            assert [bits(g) for g in f.local_grads] == [bits(g) for g in s.local_grads]
            assert all(type(g) is float for g in (*f.local_grads, *s.local_grads))
            assert isinstance(f.parents, tuple) and isinstance(f.local_grads, tuple)
            assert len(f.parents) == len(s.parents)
            for p, q in zip(f.parents, s.parents):
                assert twin.get(p, p) is q
        twin[f] = s
    return fast, slow


@given(cases())
def test_the_fast_path_makes_the_same_graph_and_grads(case):
    model, x, coefficients = case
    trace = model.forward(x)
    zs, acts = neuron_by_neuron(model, x)
    for fast_layer, slow_layer in ((trace.z, zs), (trace.a, acts)):
        assert [[v.label for v in layer] for layer in fast_layer] == [[v.label for v in layer] for layer in slow_layer]
    assert [bits(v.data) for v in model(x)] == [bits(v.data) for v in trace.outputs]

    fast_root = Value.dot(coefficients, trace.outputs)
    slow_root = Value.dot(coefficients, acts[-1])
    fast, slow = assert_same_graph(fast_root, slow_root)

    leaves = [v for v in fast if not v.parents]
    grads = []
    for root, nodes in ((fast_root, fast), (slow_root, slow)):
        for leaf in leaves:
            leaf.grad = 0.0
        root.backward()
        grads.append([bits(v.grad) for v in nodes])
    assert grads[0] == grads[1]


def test_the_layer_makes_its_z_and_a_nodes_as_the_neurons_do():
    """One hand-sized case of the property above, every field spelled out."""
    layer = Layer([Neuron([0.5, -2.0], 0.25, "tanh", 1, 0), Neuron([1.5, 3.0], None, "linear", 1, 1)])
    x0 = Value(2.0, "x[0]")
    (z0, z1), (a0, a1) = layer.forward([x0, 1])
    w0, w1 = layer.neurons[0].w, layer.neurons[1].w
    assert z0.parents == (*w0, x0, layer.neurons[0].b) and z0.local_grads == (2.0, 1.0, 0.5, 1.0)
    assert (z0.data, z0.op, z0.label, z0.const) == (0.5 * 2.0 - 2.0 + 0.25, "dot", "z1[0]", None)
    assert a0.parents == (z0,) and a0.op == "tanh" and a0.label == "a1[0]"
    assert z1.parents == (*w1, x0) and z1.local_grads == (2.0, 1.0, 1.5) and a1 is z1
    assert layer([x0, 1])[0].data == a0.data


def big_net(layer_with_huge_weights: int) -> MLP:
    model = MLP(2, [3, 2], activation="linear")
    Ws, bs = model.matrices()
    Ws[layer_with_huge_weights - 1][:] = 1e200
    model.set_matrices(Ws, bs)
    return model


@pytest.mark.parametrize(
    "model, x",
    [
        (big_net(1), [1e200, 1.0]),  # W1 x overflows in the first layer
        (big_net(2), [1e120, 1.0]),  # a finite first layer, then W2 a overflows
        (big_net(1), [1e200, -1e200]),  # inf - inf: nan
    ],
)
def test_an_overflow_raises_the_same_error_on_both_paths(model, x):
    with pytest.raises(OverflowError, match=r"^dot: the result or its derivative overflows .*W\d\[0,0\]") as fast:
        model.forward(x)
    with pytest.raises(OverflowError) as slow:
        neuron_by_neuron(model, x)
    assert str(fast.value) == str(slow.value)


def test_an_overflow_in_the_bias_raises_too():
    layer = Layer([Neuron([1e308], 1e308, "relu", 1, 0)])
    with pytest.raises(OverflowError, match=r"W1\[0,0\].*b1\[0\]"):
        layer([1.0])


@pytest.mark.parametrize(
    "x, error, message",
    [
        ([float("nan"), 1.0], ValueError, "Value.dot(inputs): expected a finite number, got nan"),
        ([Value(1.0), float("inf")], ValueError, "Value.dot(inputs): expected a finite number, got inf"),
        ([1.0, "2"], TypeError, "Value.dot(inputs): expected a real number"),
    ],
)
def test_bad_inputs_raise_the_same_error_on_both_paths(x, error, message):
    layer = MLP(2, [2]).layers[0]
    for path in (layer.forward, layer.neurons[0].forward):
        with pytest.raises(error) as got:
            path(x)
        assert str(got.value).startswith(message)


def test_an_input_of_the_wrong_length_is_refused():
    layer = MLP(2, [2]).layers[0]
    for path in (layer.forward, layer.neurons[0].forward):
        with pytest.raises(ValueError, match="weights and inputs must have the same length, got 2 and 3"):
            path([1.0, 2.0, 3.0])
