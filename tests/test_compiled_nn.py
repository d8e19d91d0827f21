"""Compiled MLPs: every activation and loss equals the engine; one fused step per layer and
quantity, listed in the matrix view's notation; fit(engine="compiled") follows the node-by-node
fit's losses; micrograd-style graphs compile, fused by op and depth."""

import importlib.util
import itertools
import math
import random

import numpy as np
import pytest

from autograd_core import Value, compile, from_micrograd, topological_order
from autograd_core.steps import MatMul
from autograd_core.trace import TraceError
from nn import MLP, Adam, MatrixMLP, binary_cross_entropy, cross_entropy, fit, hinge, labels, mse
from nn.data import digits, moons
from nn.matrix_names import matrix_name

from .compiled import assert_equal, assert_same_as_engine

try:
    from micrograd import nn as micrograd_nn
    from micrograd.engine import Value as MicrogradValue
except ImportError:  # pragma: no cover - micrograd is in the test extra
    MicrogradValue = None


def cost_of(loss: str, n_in: int, n_out: int):
    """A function from one sample's Values (inputs, then targets) to its cost under ``loss``."""

    def cost(model: MLP):
        def build(values: list[Value]) -> Value:
            xs, ys = values[:n_in], values[n_in:]
            outputs = model(xs)
            if loss == "mse_half":
                return mse([outputs], [ys], reduction="sum", mse_half=True)
            return {"mse": mse, "cross_entropy": cross_entropy, "bce": binary_cross_entropy, "hinge": hinge}[loss](
                [outputs], [ys], reduction="sum"
            )

        return build

    return cost


def targets(loss: str, rng: np.random.Generator, n: int, n_out: int) -> np.ndarray:
    if loss == "cross_entropy":
        return np.eye(n_out)[rng.integers(0, n_out, n)]
    if loss == "bce":
        return rng.integers(0, 2, (n, 1)).astype(float)
    if loss == "hinge":
        return rng.choice([-1.0, 1.0], (n, 1))
    return rng.normal(size=(n, n_out))


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "linear"])
@pytest.mark.parametrize("loss", ["mse", "mse_half", "cross_entropy", "bce", "hinge"])
def test_an_mlp_loss_with_every_activation_and_loss_equals_the_engine(activation, loss):
    n_in, n_out = 3, 1 if loss in ("bce", "hinge") else 4
    output = "sigmoid" if loss == "mse" else "linear"
    model = MLP(n_in, [5, 6, n_out], activation=activation, output_activation=output, seed=1)
    for layer in model.layers:  # nonzero biases: no ReLU input at exactly 0
        for neuron in layer.neurons:
            neuron.b.data = 0.1 * (len(neuron.w) % 3) - 0.05  # type: ignore[union-attr]
    rng = np.random.default_rng(0)
    batch = np.hstack([rng.normal(size=(9, n_in)), targets(loss, rng, 9, n_out)])
    assert_same_as_engine(cost_of(loss, n_in, n_out)(model), model.parameters(), batch)


def sample_program(model: MLP, loss: str = "mse_half"):
    n_in, n_out = model.sizes[0], model.sizes[-1]
    xs = [Value(0.5, labels.input_(k)) for k in range(n_in)]
    ys = [Value(0.0, labels.target(j)) for j in range(n_out)]
    (cost,) = cost_of(loss, n_in, n_out)(model)(xs + ys).parents  # the one sample's cost C_0, not their sum
    return compile(cost, inputs=xs + ys)


def test_an_mlps_program_has_one_fused_step_per_layer_and_quantity():
    model = MLP(4, [8, 6, 3], activation="sigmoid", output_activation="sigmoid", seed=0)
    program = sample_program(model)
    quantities = {}
    for step in program.steps:
        kinds = {(labels.parse(n.label).kind, labels.parse(n.label).layer) for n in step.nodes if labels.parse(n.label)}
        if kinds:
            assert len(kinds) == 1, f"step {step.number} mixes {kinds}"
            quantities[kinds.pop()] = step
    assert sorted(quantities) == [("a", 1), ("a", 2), ("a", 3), ("z", 1), ("z", 2), ("z", 3)]
    for l, n in enumerate(model.sizes[1:], start=1):
        z, a = quantities["z", l], quantities["a", l]
        assert isinstance(z, MatMul) and [labels.parse(v.label).unit for v in z.nodes] == list(range(n))
        assert len(a.nodes) == n and a.op == "sigmoid"
    lines = [line.split("  ")[1] for line in program.text(names=matrix_name).splitlines()[1:]]
    assert lines[:6] == ["z¹ = W¹a⁰ + b¹", "a¹ = σ(z¹)", "z² = W²a¹ + b²", "a² = σ(z²)", "z³ = W³a² + b³", "a³ = σ(z³)"]
    assert lines[-1] == "C = v8 × 0.5"


def test_a_layers_step_lists_the_nodes_it_came_from_and_draws_with_the_matrix_names():
    model = MLP(2, [16, 1], activation="tanh", seed=0)
    program = sample_program(model)
    assert [n.label for n in program.steps[0].nodes] == [labels.pre_activation(1, j) for j in range(16)]
    assert "16 dot nodes over 2 inputs, as one matrix product (16×2)  from z1[0], z1[1], z1[2], …, z1[15]" in (
        program.text(names=matrix_name)
    )
    source = program.draw(names=matrix_name).source
    assert "z¹ = W¹a⁰ + b¹" in source and "W¹" in source and "b¹" in source


def test_the_matrix_products_weights_are_a_view_of_theta_in_the_matrix_layout():
    model = MLP(3, [4, 2], activation="relu", seed=0)
    program = sample_program(model)
    Ws, _ = model.matrices()
    arrays = program.arrays()
    W1 = program.steps[0].matrix(arrays.data)
    assert np.shares_memory(W1, arrays.data) and np.array_equal(W1, Ws[0])
    assert [p.label for p in program.parameters[:12]] == [labels.weight(1, j, k) for j in range(4) for k in range(3)]


# ---- fit --------------------------------------------------------------------------------------------
def both_fits(make, X, y, **kwargs):
    models = [make(), make()]
    histories = [fit(m, X, y, progress=False, engine=e, **kwargs) for m, e in zip(models, ("nodes", "compiled"))]
    return histories, models


FITS = {
    "sgd, mean": dict(optimizer="sgd", lr=0.1, epochs=6, batch_size=16),
    "adam, sum, l2": dict(optimizer="adam", lr=0.005, epochs=6, batch_size=10, reduction="sum", l2=1e-3),
    "hinge, full batch": dict(loss="hinge", lr=0.05, epochs=6, shuffle=False),
    "mse": dict(loss="mse", optimizer="adam", lr=0.01, epochs=6, batch_size=32),
}


@pytest.mark.parametrize("case", FITS)
def test_compiled_fit_follows_the_node_by_node_fit_on_moons(case):
    X, y = moons(120, noise=0.1, seed=0)
    (h_nodes, h_compiled), (m_nodes, m_compiled) = both_fits(
        lambda: MLP(2, [16, 16, 1], activation="relu", seed=0), X, y, **FITS[case]
    )
    assert_equal(h_compiled.loss, h_nodes.loss, "per-epoch losses", rtol=1e-10)
    assert h_compiled.accuracy == h_nodes.accuracy
    ours = [p.data for p in m_compiled.parameters()]
    assert_equal(ours, [p.data for p in m_nodes.parameters()], "trained parameters", rtol=1e-10)
    assert_equal([p.grad for p in m_compiled.parameters()], [p.grad for p in m_nodes.parameters()], "last grads", 1e-9)


@pytest.mark.skipif(importlib.util.find_spec("sklearn") is None, reason="scikit-learn (the digits) is not installed")
def test_compiled_fit_follows_the_node_by_node_fit_on_the_digits():
    X, y = digits()
    X, y = X[:240] / 16.0, y[:240]  # a slice: the node-by-node fit takes a second an epoch on all 1797
    (h_nodes, h_compiled), _ = both_fits(
        lambda: MLP(64, [24, 10], activation="tanh", seed=0), X, y, optimizer="adam", lr=0.01, epochs=4, batch_size=20
    )
    assert_equal(h_compiled.loss, h_nodes.loss, "per-epoch losses", rtol=1e-10)
    assert h_compiled.accuracy == h_nodes.accuracy and h_compiled.loss[-1] < h_compiled.loss[0]


def test_compiled_fit_refuses_what_it_cannot_train():
    X, y = moons(20, seed=0)
    model = MLP(2, [4, 1], seed=0)
    with pytest.raises(ValueError, match="engine: expected one of 'nodes', 'compiled', got 'fast'"):
        fit(model, X, y, engine="fast", progress=False)
    with pytest.raises(ValueError, match="pass optimizer='sgd' or 'adam', not an Adam over the Values"):
        fit(model, X, y, engine="compiled", optimizer=Adam(model.parameters()), progress=False)
    with pytest.raises(ValueError, match="a MatrixMLP is arrays already"):
        fit(MatrixMLP.from_mlp(model), X, y, engine="compiled", progress=False)


def test_a_diverging_compiled_fit_stops_where_the_node_by_node_fit_stops_and_names_the_node_and_sample():
    X, y = moons(40, seed=0)
    histories, models = [], []
    for engine in ("nodes", "compiled"):
        model = MLP(2, [8, 1], activation="relu", seed=0)
        with pytest.warns(RuntimeWarning, match="training diverged"):
            histories.append(
                fit(
                    model, X * 1e3, y * 1e3, loss="mse", lr=10.0, epochs=50, batch_size=8, engine=engine, progress=False
                )
            )
        models.append(model)
    nodes, compiled = histories
    assert compiled.diverged.startswith(nodes.diverged.split(":")[0])  # the same epoch and step
    assert "compiled forward" in compiled.diverged and "of sample" in compiled.diverged
    assert_equal(compiled.loss, nodes.loss, "losses before", 1e-10)
    assert_equal(
        [p.data for p in models[1].parameters()], [p.data for p in models[0].parameters()], "parameters", 1e-10
    )


# ---- micrograd-style graphs ---------------------------------------------------------------------
class Neuron:
    """A micrograd neuron in our Values: one node per product, a chain of + (Python's sum)."""

    def __init__(self, n_in: int, rng: random.Random, relu: bool):
        self.w = [Value(rng.uniform(-1, 1)) for _ in range(n_in)]
        self.b = Value(rng.uniform(-0.5, 0.5))
        self.relu = relu

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.relu() if self.relu else act


def micrograd_style(sizes, seed=0):
    rng = random.Random(seed)
    layers = [
        [Neuron(n_in, rng, l < len(sizes) - 2) for _ in range(n_out)]
        for l, (n_in, n_out) in enumerate(itertools.pairwise(sizes))
    ]

    def model(x):
        for layer in layers:
            x = [neuron(x) for neuron in layer]
        return x[0]

    return model, [p for layer in layers for n in layer for p in [*n.w, n.b]]


def test_a_micrograd_style_mlp_built_with_plus_and_times_equals_the_engine_and_fuses_by_op_and_depth():
    model, params = micrograd_style([2, 16, 16, 1])

    def build(values):
        x, y = values[:2], values[2]
        return (1 + -y * model(x)).relu()

    X, labels01 = moons(20, noise=0.1, seed=0)
    batch = np.column_stack([X, 2.0 * labels01 - 1.0])
    assert_same_as_engine(build, params, batch)
    xs = [Value(v) for v in batch[0]]
    root = build(xs)
    program = compile(root, inputs=xs)
    depth = {}
    for node in topological_order(root):
        depth[node] = 1 + max((depth[p] for p in node.parents), default=-1)
    levels = {(depth[n], n.op, len(n.parents), n.const is None) for n in topological_order(root) if n.parents}
    assert len(program.steps) == len(levels)
    products = [s for s in program.steps if s.op == "*" and len(s.nodes) == 256]
    assert len(products) == 1, "layer 2's 256 products are one step"


@pytest.mark.skipif(MicrogradValue is None, reason="micrograd 0.1.0 is not installed")
def test_a_micrograd_graph_brought_by_from_micrograd_compiles_and_equals_their_backward():
    random.seed(0)
    model = micrograd_nn.MLP(2, [8, 8, 1])
    X, labels01 = moons(6, noise=0.1, seed=1)
    theirs = []
    for x, y in zip(X.tolist(), (2.0 * labels01 - 1.0).tolist()):
        model.zero_grad()
        xs = [MicrogradValue(v) for v in x]
        loss = (1 + -y * model(xs)).relu()
        loss.backward()
        theirs.append((loss.data, [v.grad for v in xs]))
    first_x = [MicrogradValue(v) for v in X[0].tolist()]
    first_y = MicrogradValue(2.0 * labels01[0] - 1.0)
    nodes = {}
    ours = from_micrograd((1 + -first_y * model(first_x)).relu(), nodes=nodes)
    inputs = [nodes[id(v)] for v in [*first_x, first_y]]
    program = compile(ours, inputs=inputs)
    batch = np.column_stack([X, 2.0 * labels01 - 1.0])
    losses = program.forward(batch)
    grads = program.backward()
    assert_equal(losses, [t[0] for t in theirs], "losses")
    assert_equal(grads[:, :2], [t[1] for t in theirs], "input grads")


def test_the_loss_with_targets_folded_in_is_refused_with_the_fix():
    model = MLP(2, [3], seed=0)
    xs = [Value(0.5, labels.input_(k)) for k in range(2)]
    with pytest.raises(TraceError, match=r"targets of cross_entropy were folded into the node as numbers"):
        compile(cross_entropy([model(xs)], [1], reduction="sum"), inputs=xs)
    with pytest.raises(TraceError, match="targets of binary_cross_entropy were folded"):
        compile(binary_cross_entropy([MLP(2, [1], seed=0)(xs)], [1.0], reduction="sum"), inputs=xs)


def test_losses_take_targets_as_values_with_the_same_numbers():
    model = MLP(3, [4, 3], seed=0)
    x = [0.5, -1.0, 2.0]
    for make, numbers in ((cross_entropy, [[0.0, 1.0, 0.0]]), (mse, [[0.5, -0.5, 1.0]])):
        by_number = make([model(x)], numbers)
        by_value = make([model(x)], [[Value(t) for t in numbers[0]]])
        assert math.isclose(by_value.data, by_number.data, rel_tol=1e-15)
    with pytest.raises(ValueError, match="targets mix Values and numbers"):
        mse([model(x)], [[Value(0.5), 0.5, 1.0]])
