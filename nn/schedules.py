"""Learning-rate schedules: functions of the step k = 0, 1, 2, ... (one step per optimizer update).

    fit(model, X, y, lr=linear(1.0, 0.1, steps=100))     # micrograd's demo: 1.0 - 0.9 k / 100
    fit(model, X, y, lr=lambda k: 0.1 / (1 + k))          # any callable of the step

- ``linear(start, end, steps)``: start + (end - start) k / steps, then ``end`` from k = steps on;
- ``cosine(start, end, steps)``: end + (start - end) (1 + cos(π k / steps)) / 2, then ``end``;
- ``step(start, factor, every)``: start · factor^⌊k / every⌋.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

Schedule = Callable[[int], float]


@dataclass(frozen=True)
class _Anneal:
    """From ``start`` at k = 0 to ``end`` at k = ``steps`` (the curve is the subclass's), then ``end``."""

    start: float
    end: float
    steps: int

    def __post_init__(self) -> None:
        _check(self.start, self.end, self.steps)

    def __call__(self, k: int) -> float:
        return float(self.end) if k >= self.steps else self._at(k)

    def _at(self, k: int) -> float:
        raise NotImplementedError


class linear(_Anneal):
    def _at(self, k: int) -> float:
        return self.start + (self.end - self.start) * k / self.steps


class cosine(_Anneal):
    def _at(self, k: int) -> float:
        return self.end + (self.start - self.end) * (1.0 + math.cos(math.pi * k / self.steps)) / 2.0


@dataclass(frozen=True)
class step:
    start: float
    factor: float
    every: int

    def __post_init__(self) -> None:
        _check(self.start, self.factor, self.every)

    def __call__(self, k: int) -> float:
        return self.start * self.factor ** (k // self.every)


def _check(a: float, b: float, n: int) -> None:
    for name, x in (("first", a), ("second", b)):
        if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x) or x < 0:
            raise ValueError(f"schedule: the {name} rate must be a finite number >= 0, got {x!r}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"schedule: expected a positive int of steps, got {n!r}")
