"""MatrixMLP.backward_steps: BP1-BP4 written once, one step at a time, each step reproducible from its operands.

backward() runs these steps, the layer stepper shows them and compare_gradients compares their
results, so here each step is checked against the scalar graph and against its own operands.
"""

import itertools

import numpy as np
import pytest

from nn import MLP
from nn.matrix import MatrixMLP, conventions_for
from nn.passes import check_batch, scalar_pass

LOSSES = ["mse", "cross_entropy", "binary_cross_entropy", "hinge"]


def case(loss, layout="columns", w_layout="out_in", l2=0.0, l2_on="weights", mse_half=False, fused=True, n=5):
    rng = np.random.default_rng(3)
    out = 1 if loss in ("binary_cross_entropy", "hinge") else 3
    model = MLP(4, [5, 6, out], activation="tanh", seed=1)
    for p in model.biases():
        p.data = float(rng.normal())  # nonzero biases: every term shows
    X = rng.normal(size=(n, 4))
    Y = {
        "mse": rng.normal(size=(n, out)),
        "cross_entropy": rng.integers(0, out, n),
        "binary_cross_entropy": rng.integers(0, 2, (n, 1)).astype(float),
        "hinge": rng.choice([-1.0, 1.0], (n, 1)),
    }[loss]
    conv = conventions_for(
        loss=loss, layout=layout, w_layout=w_layout, l2=l2, l2_on=l2_on, mse_half=mse_half, fused=fused
    )
    return model, X, Y, conv


def run(model, X, Y, conv):
    mm = MatrixMLP.from_mlp(model, conventions=conv)
    mm.forward(conv.columns(X.T))
    targets = Y if Y.ndim == 1 else conv.columns(Y.T)
    return mm, targets, list(mm.backward_steps(targets))


CASES = [
    *[dict(loss=loss) for loss in LOSSES],
    *[
        dict(loss="mse", layout=lay, w_layout=w)
        for lay, w in itertools.product(("columns", "rows"), ("out_in", "in_out"))
    ],
    dict(loss="mse", mse_half=True, l2=0.01),
    dict(loss="hinge", l2=1e-3, l2_on="all"),
    dict(loss="cross_entropy", fused=False, layout="rows"),
    dict(loss="binary_cross_entropy", fused=False, w_layout="in_out"),
]


@pytest.mark.parametrize("kw", CASES, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()))
def test_the_steps_come_in_textbook_order_and_equal_the_scalar_graph(kw):
    model, X, Y, conv = case(**kw)
    _mm, _targets, steps = run(model, X, Y, conv)
    assert [(s.equation, s.layer) for s in steps] == [
        ("BP1", 3),
        ("BP3", 3), ("BP4", 3), ("BP2", 2),
        ("BP3", 2), ("BP4", 2), ("BP2", 1),
        ("BP3", 1), ("BP4", 1),
    ]  # fmt: skip
    Xa, Ya = check_batch(model, X, Y, conv)
    s = scalar_pass(model, Xa, Ya, conv)
    reference = {"delta": s.delta, "dW": s.dW, "db": s.db}
    for step in steps:
        ref = reference[step.quantity][step.layer - 1]
        column = conv.columns(step.result) if step.quantity == "delta" else step.result
        column = conv.out_in(column) if step.quantity == "dW" else column
        assert np.array_equal(column, step.column)
        scale = max(1.0, float(np.abs(ref).max()))
        assert np.allclose(step.column, ref, rtol=1e-9, atol=1e-12 * scale), (step.equation, step.layer)


@pytest.mark.parametrize("kw", CASES, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()))
def test_backward_is_the_steps_run(kw):
    model, X, Y, conv = case(**kw)
    mm, targets, steps = run(model, X, Y, conv)
    g = mm.backward(targets)
    by = {(s.quantity, s.layer): s.result for s in steps}
    for l in range(1, 4):
        assert np.array_equal(g.delta[l - 1], by["delta", l])
        assert np.array_equal(g.dW[l - 1], by["dW", l])
        assert np.array_equal(g.db[l - 1], by["db", l])


@pytest.mark.parametrize("kw", CASES, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()))
def test_each_step_is_reproduced_from_its_own_operands(kw):
    model, X, Y, conv = case(**kw)
    mm, _targets, steps = run(model, X, Y, conv)
    c = conv
    for step in steps:
        ops = {o.symbol: o for o in step.operands}
        col = {k: (c.out_in(o.array) if o.samples is None else c.columns(o.array)) for k, o in ops.items()}
        l, up = step.layer, step.layer + 1
        sup = "⁰¹²³⁴⁵⁶⁷⁸⁹"
        if step.equation == "BP2":
            back = next(v for k, v in col.items() if "δ" in k and "W" in k)  # (W^{l+1})ᵀ δ^{l+1}, as laid out
            assert np.array_equal(back, col[f"W{sup[up]}"].T @ col[f"δ{sup[up]}"])
            assert np.array_equal(step.column, back * col[f"f′(z{sup[l]})"])
        elif step.equation == "BP4":
            want = col[f"δ{sup[l]}"] @ col[f"a{sup[l - 1]}"].T
            penalty = 2 * c.l2 * mm.weight(l) if c.l2 else 0.0
            assert np.allclose(step.column, want + penalty, rtol=0, atol=1e-15)
        elif step.equation == "BP3":
            assert np.allclose(step.column - col[f"δ{sup[l]}"].sum(axis=1), 2 * c.l2 * mm.biases[l - 1] if (
                c.l2 and c.l2_on == "all") else 0.0, atol=1e-15)  # fmt: skip
        elif c.loss in ("mse", "hinge"):  # BP1: δ^L = ∂C/∂a^L ⊙ f′(z^L), each its own picture
            assert np.array_equal(step.column, col[f"∂C/∂a{sup[l]}"] * col[f"f′(z{sup[l]})"])
        for o in step.operands:
            assert o.samples is None or o.array.shape[o.samples] == len(X)  # the sample axis as laid out


def test_bp2_shows_the_error_sent_back_before_the_activation_derivative():
    model, X, Y, conv = case("mse", layout="rows", w_layout="in_out")
    _, _, steps = run(model, X, Y, conv)
    bp2 = next(s for s in steps if s.equation == "BP2")
    assert [o.symbol for o in bp2.operands] == ["W³", "δ³", "δ³ (W³)ᵀ", "f′(z²)"]
    assert bp2.formula == "δ² = (δ³ (W³)ᵀ) ⊙ f′(z²)"
    bp1 = steps[0]
    assert [o.symbol for o in bp1.operands] == ["a³", "y", "∂C/∂a³", "f′(z³)"]
    assert bp1.formula == "δ³ = ∂C/∂a³ ⊙ f′(z³),  ∂C/∂a³ = 2 (a³ − y) / N (N = 5)"
    assert next(s.formula for s in steps if s.equation == "BP4") == "∂C/∂W³ = (a²)ᵀ δ³"


def test_the_steps_leave_numpys_error_state_as_they_found_it():
    model, X, Y, conv = case("mse")
    before = np.geterr()
    mm = MatrixMLP.from_mlp(model, conventions=conv)
    mm.forward(X.T)
    steps = mm.backward_steps(Y.T)
    next(steps)  # a step handed out: the caller's code runs with its own error state
    assert np.geterr() == before
    list(steps)
    assert np.geterr() == before


def test_an_overflow_is_named_by_its_step():
    model, X, Y, conv = case("mse")
    mm = MatrixMLP.from_mlp(model, conventions=conv)
    mm.forward(X.T)
    Y = 100.0 + Y  # far from a³: δ³ of order 10
    delta = next(mm.backward_steps(Y.T)).column
    mm.weights[2][...] = 1.7e308 * np.sign(delta[:, :1])  # (W³)ᵀ δ³ = 1.7e308 Σ_j |δ³[j, 0]|: past the float range
    with pytest.raises(OverflowError, match=r"δ\^2 overflowed the float range in the backward pass"):
        list(mm.backward_steps(Y.T))
