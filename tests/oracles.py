"""Independent gradient oracles for the tests, with the float64 tolerances of our policy.

Central differences: h = 1e-5 * max(1, |x|); a gradient vector passes when, elementwise,
|a - n| <= 1e-7 * scale + 1e-5 * |n| with scale = max(1, largest |gradient|), and
||a - n|| / (||a|| + ||n||) <= 1e-7 unless ||a - n|| <= 1e-7 * scale (a gradient that small is
below what central differences resolve, so only the absolute test applies).
"""

import math
from collections.abc import Callable, Sequence

EPS = 1e-5
NORM_TOL = 1e-7
RTOL = 1e-5
ATOL = 1e-7


def central_difference(f: Callable[..., float], xs: Sequence[float], i: int, eps: float = EPS) -> float:
    """d f / d xs[i] by central differences on plain floats."""
    h = eps * max(1.0, abs(xs[i]))
    up, down = list(xs), list(xs)
    up[i] += h
    down[i] -= h
    return (f(*up) - f(*down)) / (up[i] - down[i])


def assert_close_to_numeric(analytic: Sequence[float], numeric: Sequence[float]) -> None:
    assert len(analytic) == len(numeric)
    scale = max([1.0, *map(abs, analytic), *map(abs, numeric)])
    bad = [(i, a, n) for i, (a, n) in enumerate(zip(analytic, numeric)) if abs(a - n) > ATOL * scale + RTOL * abs(n)]
    assert not bad, f"elementwise mismatch (index, analytic, numeric): {bad[:5]}"
    diff = math.sqrt(sum((a - n) ** 2 for a, n in zip(analytic, numeric)))
    size = math.sqrt(sum(a * a for a in analytic)) + math.sqrt(sum(n * n for n in numeric))
    assert diff <= NORM_TOL * size or diff <= ATOL * scale, f"norm-relative error {diff / size:.2e} > {NORM_TOL}"
