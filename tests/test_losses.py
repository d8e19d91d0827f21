"""Losses against independent numpy / autograd.numpy references, and their error messages."""

import math

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from autograd_core import Value
from nn import binary_cross_entropy, cross_entropy, hinge, l2_penalty, mse


def leaves(Z):
    return [[Value(float(v)) for v in row] for row in np.atleast_2d(Z)]


def grads(batch):
    return np.array([[v.grad for v in row] for row in batch])


logits = arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(2, 5)), elements=st.floats(-30, 30))


def ref_cross_entropy(Z, Y, reduction):
    m = anp.max(Z, axis=1, keepdims=True)
    per = m[:, 0] + anp.log(anp.sum(anp.exp(Z - m), axis=1)) - anp.sum(Z * Y, axis=1)
    return anp.mean(per) if reduction == "mean" else anp.sum(per)


@given(logits, st.sampled_from(["mean", "sum"]), st.data())
def test_cross_entropy_matches_reference(Z, reduction, data):
    n, k = Z.shape
    labels = np.array(data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    Y = np.eye(k)[labels]
    for targets in (labels, Y):  # class indices and one-hot rows
        batch = leaves(Z)
        out = cross_entropy(batch, targets, reduction=reduction)
        out.backward()
        assert out.data == pytest.approx(float(ref_cross_entropy(Z, Y, reduction)), rel=1e-12, abs=1e-12)
        expected = autograd.grad(ref_cross_entropy)(Z, Y, reduction)
        assert grads(batch) == pytest.approx(expected, rel=1e-10, abs=1e-14)


def test_cross_entropy_is_one_node_per_sample_with_fused_local_grads():
    z = [Value(1.0), Value(2.0), Value(0.5)]
    out = cross_entropy([z], [1], reduction="sum")
    (node,) = out.parents
    assert node.op == "cross_entropy" and node.parents == tuple(z)
    p = np.exp([1.0, 2.0, 0.5]) / np.exp([1.0, 2.0, 0.5]).sum()
    assert node.local_grads == pytest.approx((p - np.eye(3)[1]).tolist(), rel=1e-15)


def test_cross_entropy_is_stable_for_huge_logits():
    batch = leaves(np.array([[1000.0, -1000.0, 0.0], [-800.0, 800.0, 799.0]]))
    out = cross_entropy(batch, [0, 2])
    out.backward()
    assert out.data == pytest.approx(0.5 * (0.0 + (1.0 + math.log1p(math.exp(-1.0)))), rel=1e-12)
    assert np.all(np.isfinite(grads(batch)))


def test_cross_entropy_accepts_soft_targets_and_rejects_bad_ones():
    out = cross_entropy(leaves([[0.0, 0.0]]), [[0.5, 0.5]], reduction="sum")
    assert out.data == pytest.approx(math.log(2), rel=1e-15)
    with pytest.raises(ValueError, match=r"class labels must lie in 0..1, got 0..2"):
        cross_entropy(leaves([[0.0, 1.0], [1.0, 0.0]]), [0, 2])
    with pytest.raises(ValueError, match=r"expected class labels of shape \(2,\) or one-hot rows of shape \(2, 2\)"):
        cross_entropy(leaves([[0.0, 1.0], [1.0, 0.0]]), [0, 1, 1])
    with pytest.raises(ValueError, match="must be probabilities"):
        cross_entropy(leaves([[0.0, 1.0]]), [[0.7, 0.7]])


def ref_bce(z, y, reduction):
    per = -(y * anp.log(1 / (1 + anp.exp(-z))) + (1 - y) * anp.log(1 - 1 / (1 + anp.exp(-z))))
    return anp.mean(per) if reduction == "mean" else anp.sum(per)


@given(arrays(np.float64, st.integers(1, 6), elements=st.floats(-15, 15)), st.sampled_from(["mean", "sum"]), st.data())
def test_binary_cross_entropy_matches_reference(z, reduction, data):
    y = np.array(data.draw(st.lists(st.sampled_from([0.0, 1.0, 0.25]), min_size=len(z), max_size=len(z))))
    batch = leaves(z.reshape(-1, 1))
    out = binary_cross_entropy(batch, y, reduction=reduction)
    out.backward()
    assert out.data == pytest.approx(float(ref_bce(z, y, reduction)), rel=1e-9, abs=1e-12)
    assert grads(batch)[:, 0] == pytest.approx(autograd.grad(ref_bce)(z, y, reduction), rel=1e-9, abs=1e-12)


def test_binary_cross_entropy_is_stable_at_extremes():
    batch = leaves(np.array([[1000.0], [-1000.0]]))
    out = binary_cross_entropy(batch, [0, 1], reduction="sum")
    out.backward()
    assert out.data == pytest.approx(2000.0, rel=1e-15)
    assert grads(batch)[:, 0].tolist() == [1.0, -1.0]
    with pytest.raises(ValueError, match="one logit per sample, got 2"):
        binary_cross_entropy(leaves([[0.0, 1.0]]), [1])
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\]"):
        binary_cross_entropy(leaves([[0.0]]), [2])


def ref_mse(A, Y, reduction, half):
    per = anp.sum((A - Y) ** 2, axis=1) * (0.5 if half else 1.0)
    return anp.mean(per) if reduction == "mean" else anp.sum(per)


@given(logits, st.sampled_from(["mean", "sum"]), st.booleans(), st.data())
def test_mse_matches_reference(A, reduction, half, data):
    Y = data.draw(arrays(np.float64, A.shape, elements=st.floats(-3, 3)))
    batch = leaves(A)
    out = mse(batch, Y, reduction=reduction, mse_half=half)
    out.backward()
    assert out.data == pytest.approx(float(ref_mse(A, Y, reduction, half)), rel=1e-12, abs=1e-12)
    assert grads(batch) == pytest.approx(autograd.grad(ref_mse)(A, Y, reduction, half), rel=1e-12, abs=1e-12)


def test_mse_single_sample_and_shapes():
    out = mse([Value(1.0), Value(3.0)], [0.0, 1.0])  # one sample: 1 + 4
    assert out.data == 5.0
    with pytest.raises(ValueError, match=r"expected targets of shape \(2, 2\), got \(2, 3\)"):
        mse(leaves([[1.0, 2.0], [3.0, 4.0]]), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="reduction: expected 'mean' or 'sum', got 'avg'"):
        mse(leaves([[1.0]]), [[0.0]], reduction="avg")
    with pytest.raises(ValueError, match="empty batch"):
        mse([], [])
    with pytest.raises(ValueError, match="sample 1 has 1 outputs"):
        mse([[Value(1.0), Value(2.0)], [Value(1.0)]], np.zeros((2, 2)))


@given(arrays(np.float64, st.integers(1, 8), elements=st.floats(-3, 3).filter(lambda s: abs(abs(s) - 1) > 1e-6)))
def test_hinge_matches_reference_with_either_label_style(s):
    y = np.where(np.arange(len(s)) % 2 == 0, 1.0, -1.0)
    expected = np.mean(np.maximum(0, 1 - y * s))
    dexpected = np.where(1 - y * s > 0, -y, 0.0) / len(s)
    for labels in (y, (y + 1) / 2):  # ±1 and 0/1
        batch = leaves(s.reshape(-1, 1))
        out = hinge(batch, labels)
        out.backward()
        assert out.data == pytest.approx(expected, rel=1e-12, abs=1e-15)
        assert grads(batch)[:, 0] == pytest.approx(dexpected, rel=1e-12, abs=1e-15)
    with pytest.raises(ValueError, match="labels -1/\\+1 or 0/1"):
        hinge(leaves([[0.0], [1.0]]), [2, 3])


def test_l2_is_alpha_times_sum_of_squares():
    ps = [Value(1.0), Value(-2.0), Value(0.5)]
    out = l2_penalty(ps, 1e-2)
    out.backward()
    assert out.data == pytest.approx(1e-2 * 5.25, rel=1e-15)
    assert [p.grad for p in ps] == pytest.approx([2e-2, -4e-2, 1e-2], rel=1e-15)


def test_reduced_loss_is_labelled():
    assert mse(leaves([[1.0]]), [[0.0]]).label == "loss"
    assert mse(leaves([[1.0]]), [[0.0]], reduction="sum").label == "loss"


def test_loss_nodes_are_named_and_a_sum_of_squares_is_drawn_as_one():
    from autograd_core import Value, draw, topological_order
    from autograd_core.draw import op_text
    from nn import MLP, binary_cross_entropy, cross_entropy, hinge, mse

    model = MLP(2, [3, 2], activation="tanh", seed=0)
    X, Y = [[0.5, -1.0], [1.5, 0.25]], [[1.0, 0.0], [0.0, 2.0]]
    for half in (False, True):
        loss = mse([model(x) for x in X], Y, mse_half=half)
        names = {n.label for n in topological_order(loss)}
        assert {"C_0", "C_1", "z2[0] − y[0]", "z2[1] − y[1]"} <= names
        squares = [n for n in topological_order(loss) if n.op == "dot" and not n.label.startswith("z")]
        assert len(squares) == 2 and {op_text(s) for s in squares} == {"Σ x²"}
        assert draw(loss).source.count("Σ x²") == 2
        # the numbers are those of the sum of squares written out, bit for bit
        outs = [[v.data for v in model(x)] for x in X]
        per = [sum((a - y) * (a - y) for a, y in zip(o, t)) * (0.5 if half else 1.0) for o, t in zip(outs, Y)]
        assert loss.data == sum(per) * (1.0 / 2)
    for make, targets in ((cross_entropy, [0, 1]), (binary_cross_entropy, [1, 0]), (hinge, [1, -1])):
        width = 2 if make is cross_entropy else 1
        m = MLP(2, [3, width], seed=0)
        loss = make([m(x) for x in X], targets)
        assert [n.label for n in loss.parents[0].parents] == ["C_0", "C_1"], make.__name__
    assert op_text(Value.dot([Value(1.0, "x")], [Value(2.0, "w")])) == "Σ w·x"  # a weighted sum keeps its symbol
