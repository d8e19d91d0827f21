"""Shared helpers for the compiler's tests: the engine run sample by sample, the reference a
compiled program must equal, and the tolerance it must equal it within."""

from collections.abc import Callable, Sequence

import numpy as np

from autograd_core import Value, compile

RTOL = 1e-12
"""Compiled against the engine: |a − b| <= RTOL · max(|b|, the largest |b| of that quantity)."""


def by_engine(
    build: Callable[[list[Value]], Value], parameters: Sequence[Value], batch: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The graph built and backpropagated sample by sample: (root per sample, input grads per
    sample, parameter grads summed over the batch)."""
    for p in parameters:
        p.grad = 0.0
    roots, grads = [], []
    for row in batch.tolist():
        xs = [Value(x, f"x{i}") for i, x in enumerate(row)]
        root = build(xs)
        root.backward()
        roots.append(root.data)
        grads.append([x.grad for x in xs])
    return np.array(roots), np.array(grads).reshape(batch.shape), np.array([p.grad for p in parameters])


def by_program(
    build: Callable[[list[Value]], Value], parameters: Sequence[Value], batch: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The graph of the first sample, compiled, run on the whole batch: the same three."""
    xs = [Value(x, f"x{i}") for i, x in enumerate(batch[0].tolist())]
    program = compile(build(xs), inputs=xs)
    for p in parameters:
        p.grad = 0.0
    roots = program.forward(batch)
    grads = program.backward()
    return roots, grads, np.array([p.grad for p in parameters])


def assert_equal(ours: np.ndarray, reference: np.ndarray, what: str, rtol: float = RTOL) -> None:
    """Equal within rtol of each entry, or of the largest entry of the quantity (a sum's rounding is
    relative to its terms, and the order of sums is the one thing that differs)."""
    ours, reference = np.asarray(ours, dtype=float), np.asarray(reference, dtype=float)
    assert ours.shape == reference.shape, f"{what}: shape {ours.shape}, expected {reference.shape}"
    scale = np.maximum(np.abs(reference), np.max(np.abs(reference), initial=0.0))
    bad = np.abs(ours - reference) > rtol * scale
    assert not bad.any(), f"{what}: {ours[bad][:5]} against {reference[bad][:5]} (rtol {rtol})"


def assert_same_as_engine(
    build: Callable[[list[Value]], Value], parameters: Sequence[Value], batch: np.ndarray, rtol: float = RTOL
) -> None:
    for what, ours, reference in zip(
        ("root", "input grads", "parameter grads"),
        by_program(build, parameters, batch),
        by_engine(build, parameters, batch),
    ):
        assert_equal(ours, reference, what, rtol)
