"""Gradient checking: the analytic gradient from backward() against central differences.

Tolerances are those of the project's float64 policy (docs/conventions.md):
  step      h_i = eps * max(1, |x_i|), eps = 1e-5
  per input |analytic - numeric| <= atol * scale + rtol * |numeric|,  rtol = 1e-5, atol = 1e-7,
            scale = max(1, largest |gradient|)
  overall   ||analytic - numeric|| / (||analytic|| + ||numeric||) <= 1e-7, unless
            ||analytic - numeric|| <= atol * scale: a gradient that small is below what central
            differences resolve (their rounding noise is about 1e-16 * |f| / h), so only the
            absolute test applies
An input whose perturbation moves some ReLU input across 0 sits on a kink: the function is not
differentiable there, so that input is flagged and left out of pass/fail.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from autograd_core.graph import topological_order
from autograd_core.inputs import real as _real
from autograd_core.inputs import short
from autograd_core.value import Number, Value

Function = Callable[..., "Value | float"]


@dataclass(frozen=True)
class GradcheckEntry:
    """The check of one input: d(f)/d(input) both ways."""

    index: int
    label: str
    analytic: float
    numeric: float
    abs_err: float
    rel_err: float
    passed: bool
    kink: bool


@dataclass(frozen=True)
class GradcheckReport:
    """One entry per input, and the verdict over all of them (``ok``)."""

    entries: tuple[GradcheckEntry, ...]
    norm_rel_err: float
    ok: bool
    eps: float
    rtol: float
    atol: float
    norm_tol: float

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, i: int) -> GradcheckEntry:
        return self.entries[i]

    def __repr__(self) -> str:
        kinks = sum(e.kink for e in self.entries)
        kink_text = f", {kinks} kink(s) left out" if kinks else ""
        return (
            f"<GradcheckReport: {'PASS' if self.ok else 'FAIL'}, {len(self.entries)} input(s){kink_text}, "
            f"norm-relative error {self.norm_rel_err:.1e}; print(report) for the table>"
        )

    def _repr_html_(self) -> str:
        """In Jupyter: the table, with each input's verdict coloured, and the overall verdict."""
        head = "".join(
            f'<th style="text-align:{"left" if i == 0 else "right"}">{h}</th>'
            for i, h in enumerate(("input", "analytic", "numeric", "abs err", "rel err", "result"))
        )
        rows = []
        for e in self.entries:
            verdict, color = ("KINK", "#b45309") if e.kink else ("ok", "#15803d") if e.passed else ("FAIL", "#b91c1c")
            cells = [f"{e.analytic:.8g}", f"{e.numeric:.8g}", f"{e.abs_err:.1e}", f"{e.rel_err:.1e}"]
            rows.append(
                f'<tr><td style="text-align:left"><code>{html.escape(e.label)}</code></td>'
                + "".join(f'<td style="text-align:right">{c}</td>' for c in cells)
                + f'<td style="text-align:right;color:{color};font-weight:bold">{verdict}</td></tr>'
            )
        kinks = sum(e.kink for e in self.entries)
        verdict, color = ("PASS", "#15803d") if self.ok else ("FAIL", "#b91c1c")
        summary = (
            f'<p><b style="color:{color}">{verdict}</b>: norm-relative error {self.norm_rel_err:.1e} '
            f"(tolerance {self.norm_tol:g}); {kinks} kink(s) left out</p>"
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{summary}"

    def __str__(self) -> str:
        rows = [f"{'input':<10} {'analytic':>14} {'numeric':>14} {'abs err':>9} {'rel err':>9}  result"]
        for e in self.entries:
            verdict = "KINK" if e.kink else ("ok" if e.passed else "FAIL")
            rows.append(
                f"{e.label:<10} {e.analytic:>14.8g} {e.numeric:>14.8g} {e.abs_err:>9.1e} {e.rel_err:>9.1e}  {verdict}"
            )
        kinks = sum(e.kink for e in self.entries)
        rows.append(
            f"norm-relative error {self.norm_rel_err:.1e} (tolerance {self.norm_tol:g}); "
            f"{kinks} kink(s) left out; {'PASS' if self.ok else 'FAIL'}"
        )
        return "\n".join(rows)


def numerical_grad(f: Function, inputs: Sequence[Value | Number], eps: float = 1e-5) -> list[float]:
    """d f / d inputs[i] by central differences, for every i.

    ``f`` takes one Value per input and returns a Value (or a plain number). Each input is
    moved by h = eps * max(1, |x_i|) both ways; the divisor is the step actually taken in
    floating point, (x + h) - (x - h).
    """
    return [numeric for numeric, _ in _central_differences(f, _floats(inputs), eps)]


def gradcheck(
    f: Function,
    inputs: Sequence[Value | Number],
    *,
    eps: float = 1e-5,
    rtol: float = 1e-5,
    atol: float = 1e-7,
    norm_tol: float = 1e-7,
) -> GradcheckReport:
    """Compare backward()'s gradient of ``f`` at ``inputs`` with central differences.

    ``f`` takes one Value per input and returns a Value, for example
    ``gradcheck(lambda a, b: (a * b).tanh(), [0.5, -1.2])``. Fresh leaves are made for the
    check, so Values passed as inputs keep their grads; their labels name the rows.
    """
    xs = _floats(inputs)
    labels = [x.label if isinstance(x, Value) and x.label else f"x{i}" for i, x in enumerate(inputs)]
    leaves = [Value(x, label) for x, label in zip(xs, labels)]
    out = f(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__}: {short(out)}")
    out.backward()
    analytic = [leaf.grad for leaf in leaves]
    numeric = _central_differences(f, xs, eps)

    smooth = [(a, n) for a, (n, kink) in zip(analytic, numeric) if not kink]
    scale = max([1.0] + [abs(g) for pair in smooth for g in pair])
    entries = []
    for i, (a, (n, kink)) in enumerate(zip(analytic, numeric)):
        err = abs(a - n)
        rel = err / max(abs(a), abs(n)) if err else 0.0
        entries.append(GradcheckEntry(i, labels[i], a, n, err, rel, err <= atol * scale + rtol * abs(n), kink))
    diff = math.sqrt(sum((a - n) ** 2 for a, n in smooth))
    size = math.sqrt(sum(a * a for a, _ in smooth)) + math.sqrt(sum(n * n for _, n in smooth))
    norm_rel = diff / size if size else 0.0
    ok = all(e.passed for e in entries if not e.kink) and (norm_rel <= norm_tol or diff <= atol * scale)
    return GradcheckReport(tuple(entries), norm_rel, ok, eps, rtol, atol, norm_tol)


def _central_differences(f: Function, xs: list[float], eps: float) -> list[tuple[float, bool]]:
    """(numeric derivative, kink?) for each input."""
    results = []
    for i, x in enumerate(xs):
        h = eps * max(1.0, abs(x))
        up, down = list(xs), list(xs)
        up[i], down[i] = x + h, x - h
        f_up, relu_up = _evaluate(f, up)
        f_down, relu_down = _evaluate(f, down)
        results.append(((f_up - f_down) / (up[i] - down[i]), relu_up != relu_down))
    return results


def _evaluate(f: Function, xs: list[float]) -> tuple[float, list[bool]]:
    """f at xs, and which side of 0 every ReLU input is on (to spot kinks)."""
    out = f(*[Value(x) for x in xs])
    if not isinstance(out, Value):
        return _real(out, "numerical_grad: f's result"), []
    return out.data, [n.parents[0].data > 0.0 for n in topological_order(out) if n.op == "relu"]


def _floats(inputs: Sequence[Value | Number]) -> list[float]:
    return [x.data if isinstance(x, Value) else _real(x, "inputs") for x in inputs]
