"""The layer stepper: every step's result against the matrix view and the scalar graph; the page."""

import json
import re
from dataclasses import asdict

import numpy as np
import pytest

from nn import MLP, LayerStepper
from nn.losses import LOSSES, l2_penalty
from nn.matrix import MatrixMLP, conventions_for, preset_mlp

from .conftest import data

HOSTILE = "</script><script>window.__hacked = 1</script>"

# (sizes, hidden activation, output activation, bias, loss, convention options)
CASES = {
    "tanh-mse-mean": ([3, 4, 5, 2], "tanh", "linear", True, "mse", {"reduction": "mean"}),
    "sigmoid-mse-half-sum-nobias": (
        [2, 3, 2],
        "sigmoid",
        "sigmoid",
        False,
        "mse",
        {"reduction": "sum", "mse_half": True},
    ),
    "relu-ce-sum-rows-inout": (
        [4, 6, 5, 3],
        "relu",
        "linear",
        True,
        "cross_entropy",
        {"reduction": "sum", "layout": "rows", "w_layout": "in_out"},
    ),
    "relu-ce-unfused-rows": ([3, 5, 3], "relu", "linear", True, "cross_entropy", {"fused": False, "layout": "rows"}),
    "tanh-bce-l2-inout": (
        [2, 4, 4, 1],
        "tanh",
        "linear",
        True,
        "binary_cross_entropy",
        {"l2": 1e-3, "w_layout": "in_out"},
    ),
    "relu-hinge-l2-all": ([2, 8, 8, 1], "relu", "linear", True, "hinge", {"l2": 1e-4, "l2_on": "all"}),
    "sigmoid-bce-unfused-nobias": ([3, 4, 1], "sigmoid", "linear", False, "binary_cross_entropy", {"fused": False}),
    "linear-mse-one-layer": ([3, 2], "tanh", "linear", True, "mse", {}),
}


def network(case, seed=0):
    sizes, act, out, bias, loss, options = CASES[case]
    model = MLP(sizes[0], sizes[1:], activation=act, output_activation=out, bias=bias, seed=seed)
    rng = np.random.default_rng(seed + 1)
    for p in model.parameters():
        if p.label.startswith("b"):
            p.data = float(rng.uniform(-0.5, 0.5))  # nonzero biases: no ReLU kinks at z == 0
    X, Y = data(model, 5, loss, seed)
    return model, X, Y, dict(loss=loss, **options)


def expected_order(L, bias):
    order = [("BP1", L)]
    for l in range(L, 0, -1):
        order += ([("BP3", l)] if bias else []) + [("BP4", l)] + ([("BP2", l - 1)] if l > 1 else [])
    return order


def matrix_gradients(model, X, Y, options):
    """MatrixMLP.backward on the batch, in the layout of the conventions."""
    conv = conventions_for(**options)
    mm = MatrixMLP.from_mlp(model, conventions=conv)
    rows = conv.layout == "rows"
    targets = Y if (Y.ndim == 1 or rows) else Y.T
    mm.forward(X if rows else X.T)
    return mm.backward(targets), conv


def scalar_gradients(model, X, Y, conv):
    """One backward pass of the scalar graph: per-sample z grads, W and b grads (columns, (out, in))."""
    traces = [model.forward(x) for x in X.tolist()]
    kwargs = {"mse_half": conv.mse_half} if conv.loss == "mse" else {}
    C = LOSSES[conv.loss]([t.outputs for t in traces], Y, reduction=conv.reduction, **kwargs)
    if conv.l2:
        C = C + l2_penalty(model.parameters() if conv.l2_on == "all" else model.weights(), conv.l2)
    model.zero_grad()
    C.backward()
    deltas = [np.array([[z.grad for z in t.z[l]] for t in traces]).T for l in range(len(model.layers))]
    dW, db = model.matrices(grad=True)
    model.zero_grad()
    return deltas, dW, db


def close(a, ref):
    ref = np.asarray(ref)
    return a.shape == ref.shape and np.all(
        np.abs(a - ref) <= 1e-12 * max(1.0, float(np.abs(ref).max())) + 1e-9 * np.abs(ref)
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_step_equals_the_matrix_view_and_the_scalar_graph(case):
    model, X, Y, options = network(case)
    stepper = LayerStepper(model, X, Y, **options)
    L = len(model.layers)
    assert [(s.equation, s.layer) for s in stepper.steps] == expected_order(L, model.bias)

    g, conv = matrix_gradients(model, X, Y, options)
    deltas, dW, db = scalar_gradients(model, X, Y, conv)
    rows, in_out = conv.layout == "rows", conv.w_layout == "in_out"
    for step in stepper.steps:
        l = step.layer - 1
        if step.equation in ("BP1", "BP2"):
            matrix, scalar = g.delta[l], deltas[l].T if rows else deltas[l]
        elif step.equation == "BP4":
            matrix, scalar = g.dW[l], dW[l].T if in_out else dW[l]
        else:
            matrix, scalar = g.db[l], db[l]
        where = f"{step.equation} at layer {step.layer}"
        assert step.result.shape == matrix.shape, where
        assert np.max(np.abs(step.result - matrix), initial=0.0) <= 1e-12, where
        assert close(step.result, scalar), where
        assert np.array_equal(step.scalar, scalar), where
        assert step.max_abs_diff == float(np.max(np.abs(step.result - scalar), initial=0.0))


@pytest.mark.parametrize("preset", ["nielsen", "no_bias_sigmoid", "udl_relu", "softmax_ce", "micrograd"])
def test_presets(preset):
    model = preset_mlp(preset, [3, 4, 1 if preset == "micrograd" else 2], seed=1)
    loss = conventions_for(preset).loss
    X, Y = data(model, 4, loss)
    stepper = LayerStepper(model, X, Y, preset=preset)
    g, _ = matrix_gradients(model, X, Y, asdict(conventions_for(preset)))
    assert np.array_equal(stepper.steps[0].result, g.delta[-1])
    assert all(s.max_abs_diff <= 1e-12 for s in stepper.steps)


def test_the_model_is_left_as_it_was():
    model, X, Y, options = network("tanh-mse-mean")
    for i, p in enumerate(model.parameters()):
        p.grad = float(i)
    before = [(p.data, p.grad) for p in model.parameters()]
    LayerStepper(model, X, Y, **options)
    assert [(p.data, p.grad) for p in model.parameters()] == before


def page_data(page):
    return json.loads(re.search(r'<script type="application/json" class="ag-data">(.*?)</script>', page, re.S)[1])


def test_the_page_is_self_contained_deterministic_and_escaped(tmp_path):
    model, X, Y, options = network("relu-ce-sum-rows-inout")
    first = LayerStepper(model, X, Y, title=HOSTILE, **options)
    second = LayerStepper(model, X, Y, title=HOSTILE, **options)
    assert first.html == second.html
    assert HOSTILE not in first.html and html_escaped(HOSTILE) in first.html
    assert not re.search(r"\b(src|href)=|@import|url\(|https?://(?!www\.w3\.org/2000/svg\")", first.html)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in first.html
    path = first.save(tmp_path / "layers.html")
    assert path.read_bytes() == first.html.encode("utf-8")
    with pytest.raises(ValueError, match=r"\.html"):
        first.save(tmp_path / "layers.txt")
    data = page_data(first.html)
    assert [s["eq"] for s in data["steps"]] == [s.equation for s in first.steps]
    assert data["N"] == 5 and len(data["layers"]) == len(model.layers) + 1


def test_inline_in_jupyter_the_stepper_is_part_of_the_notebook_with_scoped_styles():
    model, X, Y, options = network("tanh-mse-mean")
    inline = LayerStepper(model, X, Y, **options)._repr_html_()
    assert inline.startswith('<div class="ag-stepper ') and 'data-standalone="0"' in inline
    assert "<iframe" not in inline and "<html" not in inline and "<body" not in inline
    style = re.search(r"<style>(.*?)</style>", inline, re.S)[1]
    rules = re.findall(r"(?:^|})\s*([^{}@]+?)\s*{", re.sub(r"/\*.*?\*/", "", style, flags=re.S))
    assert rules and all(sel.strip().startswith(".ag-") for rule in rules for sel in rule.split(","))


def html_escaped(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def test_the_matrix_view_has_the_same_steps():
    model, X, Y, options = network("tanh-bce-l2-inout")
    neurons = LayerStepper(model, X, Y, **options)
    matrix = LayerStepper(model, X, Y, view="matrix", **options)
    assert [(s.equation, s.layer) for s in matrix.steps] == [(s.equation, s.layer) for s in neurons.steps]
    assert all(np.array_equal(a.result, b.result) for a, b in zip(matrix.steps, neurons.steps))
    assert page_data(matrix.html)["view"] == "matrix" and "ag-view-matrix" in matrix.html
    assert page_data(neurons.html)["view"] == "neurons"


def decode(entry):
    """An array of the page's data, and its scalar-graph counterpart, as the page's script reads them."""
    import base64

    M = np.frombuffer(base64.b64decode(entry["f64"]), "<f8").reshape(entry["shape"])
    if "ulps" not in entry:
        return M, None
    d = np.frombuffer(base64.b64decode(entry["ulps"]), "i1").astype(np.int64)
    bits = M.reshape(-1).view(np.int64) + np.where(d == -128, 0, d)
    S = bits.view(np.float64).copy()
    S[d == -128] = entry["far"]
    return M, S.reshape(entry["shape"])


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_page_carries_every_steps_result_and_the_scalar_graphs_exactly(case):
    model, X, Y, options = network(case)
    stepper = LayerStepper(model, X, Y, **options)
    data = page_data(stepper.html)
    for step, record in zip(stepper.steps, data["steps"]):
        M, S = decode(data["arrays"][record["result"]["a"]])
        assert np.array_equal(M, step.result.reshape(M.shape)) and np.array_equal(S, step.scalar.reshape(S.shape))
        assert record["formula"] == step.formula and record["diff"] == step.max_abs_diff


def test_ulps_round_trip_signs_zeros_and_far_values():
    from nn.layer_stepper import _ulps

    M = np.array([1.0, -1.0, 0.0, 1e-300, 2.0, -0.0, 5.0])
    S = np.array([np.nextafter(1.0, 2), np.nextafter(-1.0, -2), -0.0, -1e-300, 2.5, 0.0, 5.0])
    entry = {"shape": [7], "f64": __import__("base64").b64encode(M.astype("<f8").tobytes()).decode(), **_ulps(M, S)}
    _, back = decode(entry)
    assert back.tobytes() == S.tobytes()  # bit for bit: -0.0 and the far values too


def test_dead_saturated_and_image_inputs_are_in_the_data():
    model = MLP(64, [3, 10], activation="sigmoid", seed=0)
    X = np.random.default_rng(0).uniform(size=(4, 64))
    data = page_data(LayerStepper(model, X, np.arange(4), loss="cross_entropy").html)
    assert data["layers"][0]["image"] == 8  # 64 inputs: an 8×8 image, like the digits
    assert data["layers"][1]["saturates"] and data["layers"][1]["fp0"] == 0.25  # σ'(0), the largest slope
    bp4 = next(r for r in data["steps"] if r["eq"] == "BP4" and r["layer"] == 1)
    assert bp4["result"]["image"] == 1  # each hidden unit's row of ∂C/∂W¹, as an 8×8 image
    assert next(o for o in bp4["operands"] if o["sym"] == "a⁰")["image"] == 0


def test_bad_input_gets_a_clear_error():
    model, X, Y, _ = network("tanh-mse-mean")
    with pytest.raises(TypeError, match=r"expected an nn\.MLP"):
        LayerStepper(MatrixMLP.from_mlp(model), X, Y)
    with pytest.raises(ValueError, match="view: expected one of 'neurons', 'matrix', got 'graph'"):
        LayerStepper(model, X, Y, view="graph")
    with pytest.raises(ValueError, match=r"X: expected shape \(N, 3\)"):
        LayerStepper(model, X.T, Y)
    with pytest.raises(ValueError, match=r"Y: expected shape \(5, 2\)"):
        LayerStepper(model, X, Y[:3])
    with pytest.raises(ValueError, match=r"sample: expected an index in 0..4, got 5"):
        LayerStepper(model, X, Y, sample=5)
    with pytest.raises(ValueError, match="loss: expected one of"):
        LayerStepper(model, X, Y, loss="l1")
    with pytest.raises(TypeError, match="unknown convention"):
        LayerStepper(model, X, Y, layuot="rows")
    with pytest.raises(ValueError, match="preset 'nielsen' needs"):
        LayerStepper(model, X, Y, preset="nielsen")
    with pytest.raises(ValueError, match="lr: expected a positive finite number"):
        LayerStepper(model, X, Y, lr=-1.0)


def test_beyond_the_limits_the_refusal_names_a_call_that_works():
    from nn import compare_gradients

    wide = MLP(2, [1025, 1], seed=0)
    X, Y = np.zeros((3, 2)), np.zeros((3, 1))
    with pytest.raises(ValueError, match="layers of up to 1,024 units") as refused:
        LayerStepper(wide, X, Y, loss="mse")
    assert "nn.compare_gradients(model, X, Y" in str(refused.value)
    assert compare_gradients(wide, X, Y, loss="mse", numeric=0, torch=False).ok  # the advice works
    many = np.random.default_rng(0).normal(size=(101, 3))
    model, _, _, _ = network("tanh-mse-mean")
    with pytest.raises(ValueError, match="batches of up to 100 samples") as refused:
        LayerStepper(model, many, np.zeros((101, 2)), loss="mse")
    assert "LayerStepper(model, X[:10], Y[:10]" in str(refused.value)
    assert len(LayerStepper(model, many[:10], np.zeros((10, 2)), loss="mse").steps) == 9  # and so does this
