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
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np

from autograd_core import Value
from autograd_core.inputs import real, short
from nn import labels

Outputs = Sequence[Sequence[Value]] | Sequence[Value]
REDUCTIONS = ("mean", "sum")


def mse(outputs: Outputs, targets: Any, reduction: str = "mean", mse_half: bool = False) -> Value:
    """Squared error, sum_j (a_j - y_j)**2 per sample (times 1/2 if ``mse_half``), reduced over samples.

    ``mse_half`` is the name of the ½ everywhere (``Conventions``, ``LayerStepper``, ``--mse-half``).
    """
    batch = _batch(outputs)
    Y = _targets(targets, len(batch), len(batch[0]), "mse")
    per_sample: list[Value] = []
    for n, (out, y) in enumerate(zip(batch, Y.tolist())):
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
    Y = _class_targets(targets, n, k)
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
    Y = _targets(targets, len(batch), 1, "binary_cross_entropy")
    if np.any((Y < 0) | (Y > 1)):
        raise ValueError("binary_cross_entropy: targets must lie in [0, 1]")
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
    Y = _targets(targets, len(batch), 1, "hinge").ravel()
    seen = set(np.unique(Y).tolist())
    if not seen <= {-1.0, 1.0} and not seen <= {0.0, 1.0}:
        raise ValueError(f"hinge: expected labels -1/+1 or 0/1, got {short(sorted(seen))}")
    if seen <= {0.0, 1.0}:
        Y = 2 * Y - 1
    per_sample = [(1 - s * y).relu() for (s,), y in zip(batch, Y.tolist())]
    for n, cost in enumerate(per_sample):
        cost.label = labels.sample_cost(n)
    return _reduce(per_sample, reduction)


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


LOSSES: dict[str, Callable[..., Value]] = {
    "mse": mse,
    "cross_entropy": cross_entropy,
    "binary_cross_entropy": binary_cross_entropy,
    "hinge": hinge,
}


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
        raise ValueError("cross_entropy: target rows must be probabilities (non-negative, summing to 1)")
    return Y


def _reduce(per_sample: list[Value], reduction: str) -> Value:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction: expected 'mean' or 'sum', got {short(reduction)}")
    if reduction == "sum":
        return Value.sum(per_sample, label="loss")
    mean = Value.sum(per_sample) * (1.0 / len(per_sample))
    mean.label = "loss"
    return mean
