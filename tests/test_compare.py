"""compare_gradients: agreement over random networks, hints for convention clashes, the report."""

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nn import MLP
from nn.compare import compare_gradients
from nn.matrix import MatrixMLP, preset_mlp

from .conftest import data

try:
    import torch
except ImportError:
    torch = None


def randomize_biases(model, seed=0):
    rng = np.random.default_rng(seed)
    for b in model.biases():
        b.data = float(rng.uniform(-0.5, 0.5))


@given(
    sizes=st.lists(st.integers(1, 12), min_size=2, max_size=5),
    act=st.sampled_from(["tanh", "sigmoid", "relu", "linear"]),
    loss=st.sampled_from(["mse", "cross_entropy", "binary_cross_entropy", "hinge"]),
    reduction=st.sampled_from(["mean", "sum"]),
    bias=st.booleans(),
    layout=st.sampled_from(["columns", "rows"]),
    w_layout=st.sampled_from(["out_in", "in_out"]),
    n=st.integers(1, 16),
    seed=st.integers(0, 10_000),
)
def test_scalar_and_matrix_views_agree(sizes, act, loss, reduction, bias, layout, w_layout, n, seed):
    if loss in ("binary_cross_entropy", "hinge"):
        sizes = [*sizes[:-1], 1]
    if loss == "cross_entropy" and sizes[-1] < 2:
        sizes = [*sizes[:-1], 2]
    model = MLP(sizes[0], sizes[1:], activation=act, bias=bias, seed=seed)
    if bias:
        randomize_biases(model, seed)
    X, Y = data(model, n, loss, seed)
    report = compare_gradients(
        model,
        X,
        Y,
        loss=loss,
        reduction=reduction,
        layout=layout,
        w_layout=w_layout,
        numeric=20,
        torch=False,
        seed=seed,
    )
    assert all(r.close for r in report.rows), str(report)
    assert report.numeric is not None and report.numeric.ok, str(report)
    assert report.ok
    assert not report.hints


@pytest.mark.skipif(torch is None, reason="PyTorch is not installed (an optional oracle)")
@pytest.mark.parametrize("loss", ["mse", "cross_entropy", "binary_cross_entropy", "hinge"])
def test_torch_column_agrees(loss):
    model = MLP(4, [6, 5, 1 if loss in ("binary_cross_entropy", "hinge") else 3], activation="tanh", seed=1)
    randomize_biases(model)
    X, Y = data(model, 7, loss)
    report = compare_gradients(model, X, Y, loss=loss, l2=1e-3, l2_on="all", torch=True)
    assert report.torch_rows is not None and all(r.close for r in report.torch_rows), str(report)
    assert report.ok


def test_torch_column_is_skipped_visibly_without_torch(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("no torch here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    model = MLP(2, [3, 2], seed=0)
    X, Y = data(model, 3, "mse")
    report = compare_gradients(model, X, Y, numeric=False)
    assert report.torch_rows is None and "not installed" in report.torch_note
    assert "torch: skipped (PyTorch is not installed)" in str(report)


@pytest.mark.parametrize("preset", ["nielsen", "no_bias_sigmoid", "udl_relu", "softmax_ce", "micrograd"])
def test_every_preset_agrees(preset):
    model = preset_mlp(preset, [4, 6, 3 if preset != "micrograd" else 1], seed=2)
    if model.bias:
        randomize_biases(model)
    loss = {"softmax_ce": "cross_entropy", "micrograd": "hinge"}.get(preset, "mse")
    X, Y = data(model, 5, loss)
    if loss == "mse":
        Y = np.abs(Y) / (1 + np.abs(Y))  # sigmoid-reachable targets
    report = compare_gradients(model, X, Y, preset=preset)
    assert report.ok, str(report)
    assert f"preset: {preset}" in str(report)


# ---- deliberately wrong conventions are caught, with the right hint --------------------------------
def test_mean_vs_sum_gets_the_reduction_hint():
    model = MLP(3, [4, 2], seed=3)
    X, Y = data(model, 5, "mse")
    wrong = MatrixMLP.from_mlp(model, loss="mse", reduction="sum")
    report = compare_gradients(model, X, Y, loss="mse", reduction="mean", matrix=wrong, numeric=False)
    assert not report.ok
    assert any("factor 5 ≈ N (N=5): it could be a sum over the batch where" in h for h in report.hints), report.hints


def test_missing_half_gets_the_half_hint():
    model = preset_mlp("nielsen", [3, 4, 2], seed=3)
    X, Y = data(model, 5, "mse")
    wrong = MatrixMLP.from_mlp(model, loss="mse", mse_half=False)
    report = compare_gradients(model, X, np.abs(Y) % 1, preset="nielsen", matrix=wrong, numeric=False)
    assert not report.ok
    assert any("the ½ in the squared error" in h for h in report.hints), report.hints


class TransposedW(MatrixMLP):
    """A classic bug: ∂C/∂W^l computed as a^{l-1} δ^T instead of δ (a^{l-1})^T."""

    def backward(self, Y):
        g = super().backward(Y)
        g.dW = [d.T for d in g.dW]
        return g


@pytest.mark.parametrize("sizes", [[3, 4, 2], [4, 4, 4]])  # rectangular (shapes differ) and square (values do)
def test_transposed_w_gets_the_transpose_hint(sizes):
    model = MLP(sizes[0], sizes[1:], seed=4)
    X, Y = data(model, 5, "mse")
    wrong = TransposedW.from_mlp(model, loss="mse")
    report = compare_gradients(model, X, Y, loss="mse", matrix=wrong, numeric=False)
    assert not report.ok
    assert any("matches after transposing" in h for h in report.hints), report.hints


class FusedTimesFPrime(MatrixMLP):
    """The fused cross-entropy error a - y, multiplied by σ'(z^L) anyway."""

    def output_delta(self, Y):
        Z = self.z[-1]
        s = 1 / (1 + np.exp(-Z))
        return super().output_delta(Y) * s * (1 - s)


def test_fused_delta_times_f_prime_gets_its_hint():
    model = MLP(3, [4, 1], seed=5)
    X, Y = data(model, 6, "binary_cross_entropy")
    wrong = FusedTimesFPrime.from_mlp(model, loss="binary_cross_entropy")
    report = compare_gradients(model, X, Y, loss="binary_cross_entropy", matrix=wrong, numeric=False)
    assert not report.ok
    assert any("f'(z^L)" in h for h in report.hints), report.hints


def test_relu_prime_at_zero_gets_the_kink_hint():
    model = MLP(2, [3, 2], activation="relu", seed=6)  # zero biases, so a zero input makes z == 0 exactly
    X = np.array([[0.0, 0.0], [0.5, -1.0], [0.0, 0.0]])
    Y = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    wrong = MatrixMLP.from_mlp(model, loss="mse", relu_grad_at_zero=1.0)
    report = compare_gradients(model, X, Y, loss="mse", matrix=wrong, numeric=False)
    assert not report.ok
    assert any("ReLU'(0)" in h for h in report.hints), report.hints
    assert any("zeros=" in r.note for r in report.rows)


def test_relu_kinks_are_flagged_in_the_numeric_column_and_left_out():
    model = MLP(2, [3, 2], activation="relu", seed=6)
    X = np.array([[0.0, 0.0], [0.5, -1.0]])
    Y = np.array([[1.0, 0.0], [0.0, 1.0]])
    report = compare_gradients(model, X, Y, loss="mse", numeric=100)
    assert report.numeric is not None and report.numeric.kinks > 0
    assert report.numeric.ok and report.ok
    assert f"{report.numeric.kinks} kinks" in str(report)


# ---- the report itself ------------------------------------------------------------------------
def test_report_formats():
    model = MLP(4, [8, 8, 3], activation="tanh", seed=0)
    X, Y = data(model, 5, "cross_entropy")
    report = compare_gradients(model, X, Y, loss="cross_entropy", numeric=30)
    text = str(report)
    assert text.splitlines()[0] == "network: 4 → 8 tanh → 8 tanh → 3 linear"
    assert "layer qty    shape     match  max|Δ|" in text
    assert "False" not in text and "True" not in text  # = (bit for bit) or ≈ (within tolerance), not a column of False
    assert text.splitlines()[1] == "conventions: loss: cross_entropy, reduction: mean, N: 5, seed: 0, float64"
    assert all(line[23:30].strip() in ("=", "≈") for line in text.splitlines()[4 : 4 + len(report.rows)])
    order = [(r.layer, r.quantity) for r in report.rows]
    assert order[:2] == [(1, "z"), (1, "a")] and order[6] == (None, "loss")  # forward first
    assert order[7:10] == [(3, "delta"), (3, "dW"), (3, "db")] and order[-1] == (1, "db")  # then output layer back
    d = report.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["ok"] is True and d["conventions"]["loss"] == "cross_entropy" and len(d["rows"]) == len(report.rows)
    assert d["numeric"]["entries"][0]["parameter"].startswith(("W", "b"))
    page = report._repr_html_()
    assert page.count("<tr") == len(report.rows) + 1 and "PASS" in page
    assert "<td>False</td>" not in page and "<td>≈</td>" in page and "bit for bit" in page


def test_report_lists_only_the_conventions_that_differ_from_the_defaults():
    model = MLP(3, [4, 2], activation="relu", seed=0)
    X, Y = data(model, 4, "mse")
    report = compare_gradients(model, X, Y, loss="mse", mse_half=True, layout="rows", relu_grad_at_zero=1.0)
    lines = str(report).splitlines()
    assert lines[2] == "  not the defaults: mse_half: True (C_n = ½‖a − y‖²), layout: rows, relu'(0): 1"
    assert "w_layout" not in str(report) and "fused" not in str(report)


def test_bad_inputs_to_compare():
    model = MLP(3, [2])
    with pytest.raises(ValueError, match=r"X: expected shape \(N, 3\), one sample per row, got \(3,\)"):
        compare_gradients(model, np.zeros(3), np.zeros((1, 2)))
    with pytest.raises(ValueError, match=r"Y: expected shape \(2, 2\), got \(2,\)"):
        compare_gradients(model, np.zeros((2, 3)), np.zeros(2))
    with pytest.raises(ValueError, match=r"preset 'nielsen' needs hidden"):
        compare_gradients(MLP(3, [4, 2], activation="relu"), np.zeros((2, 3)), np.zeros((2, 2)), preset="nielsen")
    with pytest.raises(TypeError, match="unknown convention"):
        compare_gradients(model, np.zeros((2, 3)), np.zeros((2, 2)), layuot="rows")


@pytest.mark.parametrize("loss", ["hinge", "binary_cross_entropy"])
def test_one_output_losses_take_targets_of_shape_n(loss):
    model = MLP(3, [4, 1], seed=3)
    X, Y = data(model, 6, loss)
    report = compare_gradients(model, X, Y.ravel(), loss=loss, numeric=False, torch=False)
    assert report.ok
    assert "(1,)" in str(report) and "(1)" not in str(report)


@pytest.mark.parametrize("preset", ["udl_relu", "udl_notebook"])
def test_relu_prime_at_zero_applies_to_both_views_at_exact_kinks(preset):
    model = preset_mlp(preset, [2, 3, 3, 1], seed=6)  # zero biases: a zero input makes z == 0 exactly
    X = np.array([[0.0, 0.0], [0.5, -1.0], [0.0, 0.0]])
    Y = np.array([[1.0], [0.0], [0.5]])
    report = compare_gradients(model, X, Y, preset=preset)
    assert report.ok, str(report)
    assert any("zeros=" in r.note for r in report.rows)
    if preset == "udl_notebook":
        wrong = MatrixMLP.from_mlp(model, preset, relu_grad_at_zero=0.0)
        clash = compare_gradients(model, X, Y, preset=preset, matrix=wrong, numeric=False)
        assert clash.mistakes == ["relu0"] and "ReLU'(0)" in clash.hints[0]


# ---- issue 21: notation --------------------------------------------------------------------------
def test_udl_names_a_layers_output_after_the_next_layer():
    from nn.notation import NOTATIONS

    assert NOTATIONS["udl"].entry("a", 2, 3, (0, 1)) == "x_2[0], sample 2"  # f[z_1] = x_2
    assert NOTATIONS["udl"].symbol("a", 2, 3) == "f[z_1]"
    assert NOTATIONS["udl_book"].entry("a", 2, 3, (4, 0)) == "h_2[4], sample 1"  # h_2 = a[f_1]


def test_the_numeric_line_and_the_notes_are_in_the_reports_notation():
    model = preset_mlp("nielsen", [2, 3, 2], seed=1)
    randomize_biases(model)
    X, Y = data(model, 5, "mse")

    def doubled(weights, biases, X, Y):
        right = MatrixMLP.from_mlp(model, "nielsen")
        right.forward(X)
        g = right.backward(Y)
        return [2 * d for d in g.dW], [g.db[0], g.db[1].reshape(1, 2)]

    text = str(compare_gradients(model, X, Y, preset="nielsen", backprop=doubled, notation="nielsen", torch=False))
    numeric = next(line for line in text.splitlines() if line.startswith("numeric"))
    assert numeric.endswith("FAIL ∂C/∂b^3, ∂C/∂w^2, ∂C/∂w^3"), numeric  # b^3 first: it cannot be sampled
    assert "∂C/∂b^3: expected shape (2,) (or (2, 1)), got (1, 2)" in text  # the note, translated too
