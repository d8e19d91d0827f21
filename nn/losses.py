"""Losses on lists of Values: a batch of N samples in, one scalar Value out.

``outputs`` is a list of N per-sample output lists (what ``[model(x) for x in X]`` gives), or one
such list for a single sample. The cost of the batch is the per-sample cost C_n summed
(``reduction="sum"``) or averaged (``reduction="mean"``) over the samples:

- mse:            C_n = sum_j (a_j - y_j)**2, times 1/2 with ``mse_half=True`` (Nielsen's cost)
- cross_entropy:  C_n = -log softmax(z)_y = logsumexp(z) - z_y, on logits z, one node per sample
- binary_cross_entropy: C_n = -[y log σ(z) + (1-y) log(1-σ(z))] on a logit z, one node per sample
- hinge:          C_n = max(0, 1 - y * s), labels ±1 (or 0/1, read as -1/+1), micrograd's demo
- l2_penalty:     l2 * sum_p p**2 over the given parameters (``l2`` is the coefficient λ)

The two cross-entropies are each one node whose local derivatives are the fused output error
δ^L = softmax(z) - onehot(y) (or σ(z) - y): stable for any logits, and exactly what the matrix
view computes. Note: the mean is over samples, not over output units (torch.nn.MSELoss with
reduction="mean" also divides by the number of outputs).

Targets given as Values (a list of Values per sample: one-hot rows for cross_entropy, ±1 for
hinge) become parents of the cost instead of numbers folded into it, so the graph of one sample
can be compiled and replayed on other samples' targets (``autograd_core.compile``, and
``fit(engine="compiled")``). The two cross-entropy nodes then have the ops
"softmax_cross_entropy" and "sigmoid_cross_entropy", whose array forms (``RULES``) are
registered with the compiler here; the same ops with numbers folded in cannot be replayed, and
their registered rules say so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np

from autograd_core import Value, register_op
from autograd_core.inputs import real, short
from nn import labels

Outputs = Sequence[Sequence[Value]] | Sequence[Value]
REDUCTIONS = ("mean", "sum")


def mse(outputs: Outputs, targets: Any, reduction: str = "mean", mse_half: bool = False) -> Value:
    """Squared error, sum_j (a_j - y_j)**2 per sample (times 1/2 if ``mse_half``), reduced over samples.

    ``mse_half`` is the name of the ½ everywhere (``Conventions``, ``LayerStepper``, ``--mse-half``).
    """
    batch = _batch(outputs)
    Y = _value_targets(targets, len(batch), len(batch[0]), "mse")
    if Y is None:
        Y = target_rows("mse", targets, len(batch), len(batch[0])).tolist()
    per_sample: list[Value] = []
    for n, (out, y) in enumerate(zip(batch, Y)):
        diffs = [a - t for a, t in zip(out, y)]
        for j, (d, a) in enumerate(zip(diffs, out)):
            d.label = labels.difference(a.label, j)
        cost = Value.dot(diffs, diffs)  # drawn as a sum of squares, Σ x²
        if mse_half:
            cost = cost * 0.5
        cost.label = labels.sample_cost(n)
        per_sample.append(cost)
    return _reduce(per_sample, reduction)


def cross_entropy(logits: Outputs, targets: Any, reduction: str = "mean") -> Value:
    """Softmax cross-entropy on logits; targets are class indices (N,) or one-hot rows (N, K).

    One node per sample: value logsumexp(z) - sum_k y_k z_k, local derivatives softmax(z) - y.
    """
    batch = _batch(logits)
    n, k = len(batch), len(batch[0])
    as_values = _value_targets(targets, n, k, "cross_entropy")
    if as_values is not None:
        return _reduce([_cross_entropy_node(z, y, i) for i, (z, y) in enumerate(zip(batch, as_values))], reduction)
    Y = target_rows("cross_entropy", targets, n, k)
    per_sample: list[Value] = []
    for z, y in zip(batch, Y.tolist()):
        zs = [v.data for v in z]
        m = max(zs)
        exps = [math.exp(v - m) for v in zs]
        total = math.fsum(exps)
        log_z = m + math.log(total)
        value = log_z - math.fsum(t * v for t, v in zip(y, zs))
        grads = [e / total - t for e, t in zip(exps, y)]
        cost = Value(value, labels.sample_cost(len(per_sample)), parents=z, local_grads=grads, op="cross_entropy")
        per_sample.append(cost)
    return _reduce(per_sample, reduction)


def binary_cross_entropy(logits: Outputs, targets: Any, reduction: str = "mean") -> Value:
    """Binary cross-entropy on one logit per sample, targets 0/1 (or probabilities in [0, 1]).

    One node per sample: value max(z, 0) - y z + log(1 + exp(-|z|)), local derivative σ(z) - y.
    """
    batch = _batch(logits)
    if len(batch[0]) != 1:
        raise ValueError(f"binary_cross_entropy: expected one logit per sample, got {len(batch[0])}")
    as_values = _value_targets(targets, len(batch), 1, "binary_cross_entropy")
    if as_values is not None:
        return _reduce([_bce_node(z, y, i) for i, ((z,), (y,)) in enumerate(zip(batch, as_values))], reduction)
    Y = target_rows("binary_cross_entropy", targets, len(batch), 1)
    per_sample: list[Value] = []
    for (z,), (y,) in zip(batch, Y.tolist()):
        x = z.data
        e = math.exp(-abs(x))
        value = max(x, 0.0) - y * x + math.log1p(e)
        sigma = 1.0 / (1.0 + e) if x >= 0 else e / (1.0 + e)
        name = labels.sample_cost(len(per_sample))
        cost = Value(value, name, parents=(z,), local_grads=(sigma - y,), op="binary_cross_entropy")
        per_sample.append(cost)
    return _reduce(per_sample, reduction)


def hinge(scores: Outputs, targets: Any, reduction: str = "mean") -> Value:
    """Max-margin loss max(0, 1 - y s) on one score per sample; labels ±1, or 0/1 read as -1/+1."""
    batch = _batch(scores)
    if len(batch[0]) != 1:
        raise ValueError(f"hinge: expected one score per sample, got {len(batch[0])}")
    as_values = _value_targets(targets, len(batch), 1, "hinge")
    if as_values is not None:  # labels ±1 (the 0/1 reading needs the numbers)
        return _reduce(_labelled([(1 - s * y).relu() for (s,), (y,) in zip(batch, as_values)]), reduction)
    Y = target_rows("hinge", targets, len(batch), 1)
    return _reduce(_labelled([(1 - s * y).relu() for (s,), (y,) in zip(batch, Y.tolist())]), reduction)


def _labelled(costs: list[Value]) -> list[Value]:
    for n, cost in enumerate(costs):
        cost.label = labels.sample_cost(n)
    return costs


def l2_penalty(parameters: Sequence[Value], l2: float) -> Value:
    """The L2 penalty l2 * sum of squares of the parameters, as one dot node times the coefficient.

    ``l2`` is the coefficient λ, named as everywhere in nn (``fit(l2=...)``, ``Conventions(l2=...)``,
    ``backprop train --l2``).
    """
    params = list(parameters)
    return Value.dot(params, params) * l2_coefficient(l2)


def l2_coefficient(l2: object) -> float:
    """The one check of an L2 coefficient λ (l2_penalty, fit, Conventions): a finite number >= 0."""
    f = real(l2, "l2")
    if f < 0.0:
        raise ValueError(f"l2: expected a number >= 0, got {short(l2)}")
    return f


def target_rows(loss: str, targets: Any, n: int, width: int) -> np.ndarray:
    """The targets of n samples as the (n, width) rows of numbers ``loss`` reads, checked as it checks
    them: class labels become one-hot rows (cross_entropy), labels 0/1 become -1/+1 (hinge)."""
    if loss == "cross_entropy":
        return _class_targets(targets, n, width)
    Y = _targets(targets, n, width, loss)
    if loss == "binary_cross_entropy" and np.any((Y < 0) | (Y > 1)):
        raise ValueError("binary_cross_entropy: targets must lie in [0, 1]")
    if loss == "hinge":
        seen = set(np.unique(Y).tolist())
        if not seen <= {-1.0, 1.0} and not seen <= {0.0, 1.0}:
            raise ValueError(f"hinge: expected labels -1/+1 or 0/1, got {short(sorted(seen))}")
        if seen <= {0.0, 1.0}:
            Y = 2 * Y - 1
    return Y


LOSSES: dict[str, Callable[..., Value]] = {
    "mse": mse,
    "cross_entropy": cross_entropy,
    "binary_cross_entropy": binary_cross_entropy,
    "hinge": hinge,
}


# ---- targets as Values: the graph of one sample, compiled and replayed on others ------------------
def _value_targets(targets: Any, n: int, width: int, name: str) -> list[list[Value]] | None:
    """Targets given as Values, one list of ``width`` per sample (a single sample's list is a batch of
    one); None when they are numbers. Values and numbers mixed are refused."""
    rows = targets if isinstance(targets, Sequence) and not isinstance(targets, str) else None
    if not rows:
        return None
    rows = [rows] if n == 1 and isinstance(rows[0], Value) else list(rows)
    cells = [[cell] if isinstance(cell, Value) else cell for cell in rows] if width == 1 else rows
    flat = [c for row in cells if isinstance(row, Sequence) for c in row]
    if not any(isinstance(c, Value) for c in flat):
        return None
    if len(cells) != n or any(not isinstance(row, Sequence) or len(row) != width for row in cells):
        raise ValueError(f"{name}: expected targets as {n} lists of {width} Values, one per sample")
    if not all(isinstance(c, Value) for c in flat):
        raise ValueError(f"{name}: targets mix Values and numbers; give them all as Values or all as numbers")
    return [list(row) for row in cells]


def _cross_entropy_node(z: list[Value], y: list[Value], n: int) -> Value:
    """C = logsumexp(z) − Σ_k y_k z_k with the targets as parents: ∂C/∂z = softmax(z) − y, ∂C/∂y = −z."""
    zs, ys = [v.data for v in z], [v.data for v in y]
    m = max(zs)
    exps = [math.exp(v - m) for v in zs]
    total = math.fsum(exps)
    value = m + math.log(total) - math.fsum(t * v for t, v in zip(ys, zs))
    local = [e / total - t for e, t in zip(exps, ys)] + [-v for v in zs]
    return Value(value, labels.sample_cost(n), parents=[*z, *y], local_grads=local, op="softmax_cross_entropy")


def _bce_node(z: Value, y: Value, n: int) -> Value:
    """C = max(z, 0) − y z + log(1 + exp(−|z|)) with the target as a parent: ∂C/∂z = σ(z) − y, ∂C/∂y = −z."""
    x, t = z.data, y.data
    e = math.exp(-abs(x))
    sigma = 1.0 / (1.0 + e) if x >= 0 else e / (1.0 + e)
    value = max(x, 0.0) - t * x + math.log1p(e)
    return Value(value, labels.sample_cost(n), parents=(z, y), local_grads=(sigma - t, -x), op="sigmoid_cross_entropy")


def _cross_entropy_rule(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The array form of "softmax_cross_entropy": parents (..., 2K) = logits then targets."""
    k = x.shape[-1] // 2
    z, y = x[..., :k], x[..., k:]
    m = z.max(axis=-1, keepdims=True)
    e = np.exp(z - m)
    total = e.sum(axis=-1, keepdims=True)
    value = (m + np.log(total))[..., 0] - (y * z).sum(axis=-1)
    return value, np.concatenate([e / total - y, -z], axis=-1)


def _bce_rule(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The array form of "sigmoid_cross_entropy": parents (..., 2) = the logit, the target."""
    z, y = x[..., 0], x[..., 1]
    e = np.exp(-np.abs(z))
    sigma = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    value = np.maximum(z, 0.0) - y * z + np.log1p(e)
    return value, np.stack([sigma - y, -z], axis=-1)


def _folded(op: str) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
    def rule(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise ValueError(
            f"the targets of {op} were folded into the node as numbers (its parents are the logits only), so it "
            f"cannot be replayed on other samples' targets; pass the targets as Values (nn.{op}(outputs, ys) with "
            f"ys a list of Values{', a one-hot row' if op == 'cross_entropy' else ''})"
        )

    return rule


RULES = {
    "softmax_cross_entropy": _cross_entropy_rule,
    "sigmoid_cross_entropy": _bce_rule,
    "cross_entropy": _folded("cross_entropy"),
    "binary_cross_entropy": _folded("binary_cross_entropy"),
}
"""The array form of the losses' custom ops, for the compiler (``autograd_core.register_op``)."""
for _op, _rule in RULES.items():
    register_op(_op, _rule)


def _batch(outputs: Outputs) -> list[list[Value]]:
    """A list of per-sample output lists (a single sample becomes a batch of one)."""
    if len(outputs) == 0:
        raise ValueError("loss: expected at least one sample, got an empty batch")
    if isinstance(outputs[0], Value):
        batch = [list(cast(Sequence[Value], outputs))]
    else:
        batch = [list(o) for o in cast(Sequence[Sequence[Value]], outputs)]
    width = len(batch[0])
    for i, out in enumerate(batch):
        if len(out) != width or not all(isinstance(v, Value) for v in out):
            raise ValueError(f"loss: sample {i} has {len(out)} outputs (expected {width} Values)")
    return batch


def _targets(targets: Any, n: int, width: int, name: str) -> np.ndarray:
    Y = np.asarray(targets, dtype=np.float64)
    if Y.ndim == 1 and width == 1 and n > 1:
        Y = Y.reshape(n, 1)
    if Y.ndim == 1 and n == 1:
        Y = Y.reshape(1, -1)
    if Y.shape != (n, width):
        raise ValueError(f"{name}: expected targets of shape ({n}, {width}), got {Y.shape}")
    if not np.all(np.isfinite(Y)):
        raise ValueError(f"{name}: targets must be finite")
    return Y


def _class_targets(targets: Any, n: int, k: int) -> np.ndarray:
    """Targets as (N, K) probability rows: class indices become one-hot rows."""
    Y = np.asarray(targets)
    if Y.ndim == 0 and n == 1:
        Y = Y.reshape(1)
    if Y.ndim == 1 and Y.shape[0] == n and (np.issubdtype(Y.dtype, np.integer) or np.all(np.round(Y) == Y)):
        labels = Y.astype(np.int64)
        if labels.min() < 0 or labels.max() >= k:
            raise ValueError(f"cross_entropy: class labels must lie in 0..{k - 1}, got {labels.min()}..{labels.max()}")
        return np.eye(k)[labels]
    if Y.ndim == 1 and n == 1 and Y.shape[0] == k:
        Y = Y.reshape(1, k)
    if Y.shape != (n, k):
        raise ValueError(
            f"cross_entropy: expected class labels of shape ({n},) or one-hot rows of shape ({n}, {k}), got {Y.shape}"
        )
    Y = Y.astype(np.float64)
    if np.any(Y < 0) or not np.allclose(Y.sum(axis=1), 1.0):
        raise ValueError("cross_entropy: targets must be probabilities (non-negative, each sample's summing to 1)")
    return Y


def _reduce(per_sample: list[Value], reduction: str) -> Value:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction: expected 'mean' or 'sum', got {short(reduction)}")
    if reduction == "sum":
        return Value.sum(per_sample, label="loss")
    mean = Value.sum(per_sample) * (1.0 / len(per_sample))
    mean.label = "loss"
    return mean
