"""Which units of a wide layer a drawing shows one by one, and how it counts the others.

A layer of up to ``limit`` units is shown whole. A wider one folds: it shows its first FIRST
units, its last LAST, and the EXTREMES units of largest score (|δ| after backward, |z| before:
where the gradient is, or the most saturated units), in order; each run of units in between is
one gap, drawn as "⋯ 7 more" and counted.

    >>> shown_units(30, [float(j == 12) for j in range(30)], limit=16)
    [0, 1, 2, 3, 4, 5, 6, 12, 28, 29]
    >>> parts([0, 1, 2, 28, 29], 30)
    [0, 1, 2, (3, 27), 28, 29]
"""

from __future__ import annotations

from collections.abc import Sequence

FIRST = 3
LAST = 2
EXTREMES = 5


def shown_units(n: int, scores: Sequence[float], limit: int) -> list[int]:
    """All of 0..n-1 when n <= limit; else the first FIRST, the last LAST and the EXTREMES of largest
    |score| among the others (the lower index first among equals), sorted."""
    if n <= limit:
        return list(range(n))
    ends = set(range(FIRST)) | set(range(n - LAST, n))
    ranked = sorted((j for j in range(n) if j not in ends), key=lambda j: (-abs(scores[j]), j))
    return sorted(ends | set(ranked[:EXTREMES]))


def parts(shown: Sequence[int], n: int) -> list[int | tuple[int, int]]:
    """The units 0..n-1 in order: a shown unit j as j, each run of hidden ones as (first, last)."""
    out: list[int | tuple[int, int]] = []
    previous = -1
    for j in [*shown, n]:
        if j > previous + 1:
            out.append((previous + 1, j - 1))
        if j < n:
            out.append(j)
        previous = j
    return out


def fold_note(n: int, shown: Sequence[int], score: str) -> str:
    """What a folded layer shows, in words: "10 of 30 units shown: the first 3, the last 2 and the 5 of
    largest |δ|"; "" when the layer is shown whole."""
    if len(shown) == n:
        return ""
    extremes = len(shown) - min(FIRST, n) - min(LAST, n)
    return f"{len(shown)} of {n} units shown: the first {FIRST}, the last {LAST} and the {extremes} of largest {score}"
