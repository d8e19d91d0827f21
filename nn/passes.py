"""One MLP over one batch, both ways: the numbers each view computes, in one orientation.

    X, Y = check_batch(model, X, Y, conv)       # one sample per row; the checks every caller needs
    s = scalar_pass(model, X, Y, conv)          # the scalar graph: one graph for the batch, backward()
    m = matrix_pass(MatrixMLP.from_mlp(model, conventions=conv), X, Y)   # backward_steps, run
    s.delta[l - 1][:, n]                        # δ^l of sample n: the grads of its nodes z{l}[j]

A ``Pass`` holds z^l, a^l, the loss, δ^l, ∂C/∂W^l and ∂C/∂b^l in the column convention of the
textbooks (one sample per column, W^l of shape (n_l, n_{l-1})), whatever layouts the conventions
choose, so the comparison report and the layer stepper read both views the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd_core import Value
from nn.losses import LOSSES, l2_penalty
from nn.matrix import Conventions, MatrixMLP, Step, check_network
from nn.module import MLP


@dataclass
class Pass:
    """The numbers of one forward and backward pass over a batch, in the column convention.

    Lists are indexed from layer 1 (``z[0]`` is z^1). A view that does not compute a quantity
    (a user's backprop gives no forward pass, and δ only if it wants) has None there.
    """

    z: list[np.ndarray] | None  # z^1..z^L, (n_l, N)
    a: list[np.ndarray] | None  # a^1..a^L, (n_l, N)
    loss: float | None
    delta: list[np.ndarray | None]  # δ^1..δ^L, (n_l, N)
    dW: list[np.ndarray]  # ∂C/∂W^l, (n_l, n_{l-1})
    db: list[np.ndarray] | None  # ∂C/∂b^l, (n_l,); None without biases
    steps: list[Step] = field(default_factory=list)  # the matrix view's backward_steps, as they ran
    fp: list[np.ndarray] = field(default_factory=list)  # the matrix view's f′(z^l), (n_l, N)
    a_grad: list[np.ndarray] = field(default_factory=list)  # the scalar graph's ∂C/∂a^l, grads of a{l}[j]


@dataclass
class Views:
    """One MLP over one batch, both ways (what ``views_of`` gives): the checked batch, the targets as
    the loss reads them, W^l, and the ``Pass`` of each view, in the column convention."""

    X: np.ndarray  # (N, n_in), one sample per row
    Y: np.ndarray  # (N, n_out) rows, or (N,) class labels
    T: np.ndarray  # (n_out, N): one-hot for class labels, ±1 for the hinge
    W: list[np.ndarray]  # W^1..W^L, (n_l, n_{l-1})
    b: list[np.ndarray] | None  # b^1..b^L, (n_l,); None without biases
    scalar: Pass
    matrix: Pass


def views_of(
    mlp: MLP, X: Any, Y: Any, conv: Conventions, *, preset: str | None = None, keep_grads: bool = False
) -> Views:
    """Check the batch (and that ``mlp`` is the network ``preset`` needs), then run it through the
    scalar graph and through the matrix view (its ``backward_steps``, kept in ``matrix.steps``)."""
    if preset is not None:
        check_network(mlp, preset)
    mm = MatrixMLP.from_mlp(mlp, conventions=conv)
    W = [mm.weight(l) for l in range(1, len(mm.weights) + 1)]
    Xa, Ya = check_batch(mlp, X, Y, conv)
    scalar = scalar_pass(mlp, Xa, Ya, conv, keep_grads)
    matrix = matrix_pass(mm, Xa, Ya)
    T = conv.encode_targets(Ya if Ya.ndim == 1 else Ya.T, mm.sizes[-1])
    return Views(Xa, Ya, T, W, mm.biases, scalar, matrix)


def check_batch(mlp: MLP, X: Any, Y: Any, conv: Conventions) -> tuple[np.ndarray, np.ndarray]:
    """X as (N, n_in) float64 rows, and Y as (N, n_out) rows or, for cross-entropy, (N,) class labels.

    Raises ValueError naming the shape expected and the shape given.
    """
    Xa = np.asarray(X, dtype=np.float64)
    n_in, n_out = mlp.sizes[0], mlp.sizes[-1]
    if Xa.ndim != 2 or Xa.shape[1] != n_in or len(Xa) == 0:
        raise ValueError(f"X: expected shape (N, {n_in}), one sample per row, got {Xa.shape}")
    Ya = np.asarray(Y)
    N = len(Xa)
    if conv.loss == "cross_entropy" and Ya.ndim == 1:
        if Ya.shape != (N,):
            raise ValueError(
                f"Y: expected {N} class labels (shape ({N},)) or one-hot rows ({N}, {n_out}), got {Ya.shape}"
            )
        return Xa, Ya.astype(np.int64)
    if Ya.shape == (N,) and n_out == 1:  # one target per sample, as the losses and fit accept
        Ya = Ya.reshape(N, 1)
    if Ya.shape != (N, n_out):
        raise ValueError(f"Y: expected shape ({N}, {n_out}), got {Ya.shape}")
    return Xa, Ya.astype(np.float64)


def target_columns(mlp: MLP, Y: np.ndarray, conv: Conventions) -> np.ndarray:
    """Checked targets (rows, or class labels) as the loss reads them: (n_out, N) columns."""
    return conv.encode_targets(Y if Y.ndim == 1 else Y.T, mlp.sizes[-1])


def scalar_pass(mlp: MLP, X: np.ndarray, Y: np.ndarray, conv: Conventions, keep_grads: bool = False) -> Pass:
    """The scalar graph of the batch (one per-sample graph each, the loss reduced over them),
    after one ``backward()``: δ^l[:, n] are the grads of sample n's nodes z{l}[j].

    The model's grads are left holding the batch's gradient, or, with ``keep_grads``, as they were.
    """
    parameters = mlp.parameters()
    saved = [p.grad for p in parameters] if keep_grads else []
    traces = [mlp.forward(x) for x in X.tolist()]
    penalized = parameters if conv.l2_on == "all" else mlp.weights()
    try:
        if conv.relu_grad_at_zero:
            _relu_grad_at_zero(mlp.activations, traces, conv.relu_grad_at_zero)
        C = scalar_loss([t.outputs for t in traces], Y, conv, penalized)
        for p in parameters:
            p.grad = 0.0
        C.backward()
        L = len(traces[0].z)
        z = [np.array([[v.data for v in t.z[l]] for t in traces]).T for l in range(L)]
        a = [np.array([[v.data for v in t.a[l]] for t in traces]).T for l in range(L)]
        delta: list[np.ndarray | None] = [np.array([[v.grad for v in t.z[l]] for t in traces]).T for l in range(L)]
        a_grad = [np.array([[v.grad for v in t.a[l]] for t in traces]).T for l in range(L)]
        dW, db = mlp.matrices(grad=True)
        return Pass(z, a, C.data, delta, dW, db, a_grad=a_grad)
    finally:
        for p, g in zip(parameters, saved):
            p.grad = g


def scalar_loss(
    outputs: Sequence[Sequence[Value]], Y: np.ndarray, conv: Conventions, penalized: Sequence[Value] = ()
) -> Value:
    """The cost C of the conventions (loss, reduction, the ½; L2 on ``penalized``) as one node."""
    kwargs = {"mse_half": conv.mse_half} if conv.loss == "mse" else {}
    C = LOSSES[conv.loss](outputs, Y, reduction=conv.reduction, **kwargs)
    return C + l2_penalty(penalized, conv.l2) if conv.l2 else C


def matrix_pass(mm: MatrixMLP, X: np.ndarray, Y: np.ndarray) -> Pass:
    """The matrix view's forward pass and ``backward`` (its ``backward_steps``, run, and kept in
    ``steps``) on the batch of rows X and targets Y (as ``check_batch`` gives them), turned into
    the column convention."""
    c = mm.conventions
    mm.forward(c.columns(X.T))
    g = mm.backward(Y if Y.ndim == 1 else c.columns(Y.T))
    return Pass(
        [c.columns(z) for z in mm.z],
        [c.columns(a) for a in mm.a[1:]],
        g.loss,
        [c.columns(d) for d in g.delta],
        [c.out_in(W) for W in g.dW],
        g.db,
        g.steps,
        [mm.f_prime(l) for l in range(1, len(mm.weights) + 1)],
    )


def _relu_grad_at_zero(activations: list[str], traces: list[Any], value: float) -> None:
    """Give each ReLU node whose input is exactly 0 the conventions' ReLU'(0) as its local
    derivative (the engine's relu uses 0 there), so both views use the same convention."""
    for t in traces:
        for l, f in enumerate(activations):
            if f != "relu":
                continue
            for z, a in zip(t.z[l], t.a[l]):
                if z.data == 0.0 and a is not z:
                    a.local_grads = (float(value),)
