"""Shared helpers for the compiler's tests: the engine run sample by sample, the reference a
compiled program must equal, and the tolerance it must equal it within."""

from collections.abc import Callable, Sequence

import numpy as np

from autograd_core import Value, compile

RTOL = 1e-12
"""Compiled against the engine: |a − b| <= RTOL · the size of what was summed (see assert_equal)."""


def by_engine(
    build: Callable[[list[Value]], Value], parameters: Sequence[Value], batch: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The graph built and backpropagated sample by sample: (root per sample, input grads per sample,
    parameter grads summed over the batch, and the sum of the samples' |parameter grads|, the size of
    that sum's terms)."""
    roots, grads, per_sample = [], [], []
    for row in batch.tolist():
        for p in parameters:
            p.grad = 0.0
        xs = [Value(x, f"x{i}") for i, x in enumerate(row)]
        root = build(xs)
        root.backward()
        roots.append(root.data)
        grads.append([x.grad for x in xs])
        per_sample.append([p.grad for p in parameters])
    sample_grads = np.array(per_sample).reshape(len(batch), len(parameters))
    total = sample_grads.sum(axis=0)
    for p, g in zip(parameters, total.tolist()):
        p.grad = g
    return np.array(roots), np.array(grads).reshape(batch.shape), total, np.abs(sample_grads).sum(axis=0)


def by_program(
    build: Callable[[list[Value]], Value], parameters: Sequence[Value], batch: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The graph of the first sample, compiled, run on the whole batch: root per sample, input grads
    per sample, parameter grads summed over the batch."""
    xs = [Value(x, f"x{i}") for i, x in enumerate(batch[0].tolist())]
    program = compile(build(xs), inputs=xs)
    for p in parameters:
        p.grad = 0.0
    roots = program.forward(batch)
    grads = program.backward()
    return roots, grads, np.array([p.grad for p in parameters])


def assert_equal(ours: np.ndarray, reference: np.ndarray, what: str, rtol: float = RTOL, terms: object = None) -> None:
    """Equal within rtol of each entry, or of the largest entry of the quantity, or of ``terms`` (the
    size of the terms summed into each entry): the order of sums is the one thing that differs, and a
    sum's rounding is relative to its terms, not to its result (docs/architecture.md)."""
    ours, reference = np.asarray(ours, dtype=float), np.asarray(reference, dtype=float)
    assert ours.shape == reference.shape, f"{what}: shape {ours.shape}, expected {reference.shape}"
    scale = np.maximum(np.abs(reference), np.max(np.abs(reference), initial=0.0))
    if terms is not None:
        scale = np.maximum(scale, np.asarray(terms, dtype=float))
    bad = np.abs(ours - reference) > rtol * scale
    assert not bad.any(), f"{what}: {ours[bad][:5]} against {reference[bad][:5]} (rtol {rtol})"


def assert_same_as_engine(
    build: Callable[[list[Value]], Value], parameters: Sequence[Value], batch: np.ndarray, rtol: float = RTOL
) -> None:
    roots, grads, total, terms = by_engine(build, parameters, batch)
    ours = by_program(build, parameters, batch)
    assert_equal(ours[0], roots, "root", rtol)
    assert_equal(ours[1], grads, "input grads", rtol)
    assert_equal(ours[2], total, "parameter grads (summed over the batch)", rtol, terms)
