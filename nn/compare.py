"""compare_gradients: the scalar graph and the matrix view of one MLP, entry by entry.

    report = compare_gradients(model, X, y, loss="cross_entropy")
    report.ok, print(report), report.to_dict()

X holds one sample per row, shape (N, n_in); Y has shape (N, n_out), or (N,) class labels for
cross-entropy. The scalar graph (one node per z, W, b entry) is the reference. Rows compare, in
float64, the forward pass first (z^l and a^l for l = 1..L, then the loss), then the backward
pass from the output layer back (δ^l, ∂C/∂W^l, ∂C/∂b^l for l = L..1), so the first failing row
points at the bug. δ^l[:, n] is checked against the grads of sample n's z nodes.

Your own backprop goes in as ``backprop=`` (see nn.handwritten for the forms it may take) or
``matrix=``: then the scalar graph, central differences and PyTorch all check its gradients,
the report says per tensor which of them disagree, and nn.mistakes names the classic mistake
that reproduces its numbers. ``notation=`` prints the rows in a source's symbols (nn.notation).

Tolerances (docs/conventions.md):
  scalar vs matrix   |Δ| <= 1e-12 * max(1, ||ref||∞) + 1e-9 * |ref|, elementwise
  vs finite diffs    per tensor ||a - n|| / (||a|| + ||n||) <= 1e-7, and elementwise
                     |a - n| <= 1e-7 * scale + 1e-5 * |n| (h = 1e-5 * max(1, |θ|));
                     entries where a perturbation flips a ReLU input or a hinge margin across 0
                     are kinks: flagged, left out of pass/fail.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from autograd_core.inputs import count
from nn import handwritten, labels, user_code
from nn.activations import ACTIVATIONS
from nn.matrix import Conventions, MatrixMLP, check_network, columns, conventions_for, out_in
from nn.mistakes import Forward, diagnose, factor_causes
from nn.module import MLP
from nn.notation import NOTATIONS, notation_named
from nn.passes import Pass, check_batch, matrix_pass, scalar_pass, target_columns

ABS_TOL = 1e-12
REL_TOL = 1e-9
FD_EPS = 1e-5
FD_NORM_TOL = 1e-7
FD_RTOL = 1e-5
FD_ATOL = 1e-7
FLOAT32_NORM_REL = 1e-5  # rows that fail at float64's tolerance but agree this well: float32 arithmetic


@dataclass
class Row:
    """One quantity of one layer, scalar graph (reference) against another view."""

    layer: int | None  # None for the loss
    quantity: str  # z, a, loss, delta, dW, db
    shape: tuple[int, ...]
    exact: bool
    close: bool
    max_abs: float
    max_rel: float
    norm_rel: float
    worst: tuple[int, ...] | None
    note: str = ""


@dataclass
class NumericEntry:
    parameter: str  # e.g. W2[1,3]
    analytic: float
    numeric: float
    kink: bool


@dataclass
class NumericCheck:
    """Central differences of the loss on a sample of parameter entries."""

    entries: list[NumericEntry]
    kinks: int
    worst_tensor_error: float
    ok: bool
    failing: list[str] = field(default_factory=list)


@dataclass(repr=False)
class GradientComparison:
    """What ``compare_gradients`` found: the gradients of the scalar graph (the reference) against
    those of the side under test (the matrix view, yours, or your backprop), row by row, with
    central differences and PyTorch. ``ok`` is True when every row and both checks pass."""

    conventions: Conventions
    preset: str | None
    sizes: list[int]
    activations: list[str]
    bias: bool
    n_samples: int
    seed: int
    rows: list[Row]
    numeric: NumericCheck | None
    torch_rows: list[Row] | None
    torch_note: str
    hints: list[str]
    under_test: str = "matrix view"
    mistakes: list[str] = field(default_factory=list)
    disagreements: list[str] = field(default_factory=list)
    notation: str = "ours"

    @property
    def ok(self) -> bool:
        return (
            all(r.close for r in self.rows)
            and (self.numeric is None or self.numeric.ok)
            and (self.torch_rows is None or all(r.close for r in self.torch_rows))
        )

    def to_dict(self) -> dict[str, Any]:
        """Everything in the report as JSON-ready data."""
        out = asdict(self)
        out["conventions"] = asdict(self.conventions)
        out["ok"] = self.ok
        return _jsonable(out)

    def __str__(self) -> str:
        return "\n".join([*self._head(), _table(self.rows, self._notation()), *self._tail()])

    def __repr__(self) -> str:
        failing = sum(not r.close for r in self.rows)
        rows = f"{len(self.rows)} rows" + (f", {failing} failing" if failing else "")
        return (
            f"<GradientComparison: {'PASS' if self.ok else 'FAIL'}, scalar graph vs {self.under_test}, {rows}; "
            "print(report) for the table>"
        )

    def _notation(self) -> Any:
        return notation_named(self.notation) if self.notation != "ours" else None

    def _head(self) -> list[str]:
        c = self.conventions
        layers = " → ".join([str(self.sizes[0])] + [f"{n} {f}" for n, f in zip(self.sizes[1:], self.activations)])
        essentials = [  # then, on a line of its own, only what differs from the defaults
            *([f"preset: {self.preset}"] if self.preset else []),
            f"loss: {c.loss}",
            f"reduction: {c.reduction}",
            f"N: {self.n_samples}",
            f"seed: {self.seed}",
            "float64",
        ]
        lines = [f"network: {layers}{'' if self.bias else ' (no bias)'}", "conventions: " + ", ".join(essentials)]
        others = _non_default(c, self.bias)
        if others:
            lines.append("  not the defaults: " + ", ".join(others))
        if self.notation != "ours":
            lines.append(f"notation: {NOTATIONS[self.notation].source}")
        lines.append(f"scalar graph (reference) vs {self.under_test}:")
        return lines

    def _symbols(self, text: str) -> str:
        """``L2 dW`` and the like in the report's notation."""
        return _in_notation(text, self._notation(), len(self.sizes) - 1)

    def _tail(self) -> list[str]:
        lines = []
        mine = self.under_test != "matrix view"
        if self.numeric is not None:
            n = self.numeric
            what = " (your gradients)" if mine else ""
            failing = ", ".join(n.failing)  # W2, b2: in a source's notation, its ∂C/∂w^3, ∂C/∂b^3
            if self._notation() is not None:
                failing = self._symbols(re.sub(r"\b([Wb])(\d+)\b", r"L\2 d\1", failing))
            lines.append(
                f"numeric{what}: {len(n.entries)} entries sampled, {n.kinks} kinks, worst tensor error "
                f"{n.worst_tensor_error:.1e}  {'PASS' if n.ok else 'FAIL ' + failing}"
            )
        if self.torch_rows is not None:
            bad = [f"L{r.layer} {r.quantity}" for r in self.torch_rows if not r.close]
            worst = max((r.max_abs for r in self.torch_rows), default=0.0)
            verdict = "PASS" if not bad else "FAIL " + ", ".join(bad)
            lines.append(f"torch: {len(self.torch_rows)} tensors, worst |Δ| {worst:.1e}  {self._symbols(verdict)}")
        else:
            lines.append(f"torch: {self.torch_note}")
        for d in self.disagreements:
            lines.append(f"disagrees: {self._symbols(d)}")
        for h in self.hints:
            lines.append(f"hint: {self._symbols(h)}")
        if not mine:
            lines.append("result: " + ("PASS: the views agree" if self.ok else "FAIL: the views disagree"))
            return lines
        oracles = {"the scalar graph": all(r.close for r in self.rows)}
        if self.numeric is not None:
            oracles["central differences"] = self.numeric.ok
        if self.torch_rows is not None:
            oracles["PyTorch"] = all(r.close for r in self.torch_rows)
        agree = [name for name, ok in oracles.items() if ok]
        if self.ok:
            lines.append(f"result: PASS: {self.under_test} agrees with {', '.join(agree)}")
        else:
            disagree = ", ".join(name for name, ok in oracles.items() if not ok)
            also = f"; agrees with {', '.join(agree)}" if agree else ""
            lines.append(f"result: FAIL: {self.under_test} disagrees with {disagree}{also}")
        return lines

    def _repr_html_(self) -> str:
        notation = self._notation()
        head = "".join(f"<th>{html.escape(h)}</th>" for h in _columns(notation))
        body = []
        for r in self.rows:
            style = "" if r.close else ' style="background:#fdd"'
            cells = _cells(r, notation, len(self.sizes) - 1)
            body.append(f"<tr{style}>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
        summary = "<br>".join(html.escape(t) for t in self._head()[:-1])
        tail = "<br>".join(html.escape(t) for t in [MATCH_LEGEND, *self._tail()])
        verdict = "#2a2" if self.ok else "#c22"
        return (
            f'<div style="font-family:monospace;font-size:12px"><div>{summary}</div>'
            f'<table style="border-collapse:collapse"><tr>{head}</tr>{"".join(body)}</table>'
            f'<div style="color:{verdict}">{tail}</div></div>'
        )


def compare_gradients(
    mlp: MLP,
    X: Any,
    Y: Any,
    *,
    loss: str | None = None,
    reduction: str | None = None,
    preset: str | None = None,
    numeric: int | bool = 60,
    torch: bool | None = None,
    matrix: MatrixMLP | None = None,
    backprop: Any = None,
    cost: Any = None,
    notation: str | None = None,
    seed: int = 0,
    timeout: float | None = None,
    **conventions: Any,
) -> GradientComparison:
    """Compare the scalar graph of ``mlp`` on (X, Y) with its matrix view, layer by layer.

    ``preset`` picks a source's conventions (see ``nn.matrix.PRESETS``) and checks the network
    fits it; ``loss``, ``reduction`` and other convention keywords (mse_half, layout, w_layout,
    relu_grad_at_zero, fused, l2, l2_on) override it. ``numeric`` is how many parameter entries
    to check by central differences (0 or False: none; True: 60); ``torch`` adds a PyTorch column (None:
    when torch is installed). ``notation`` prints the rows in a source's symbols (nn.notation).

    Your own backprop: ``backprop=fn`` with ``fn(weights, biases, X, Y) -> (dW, db)`` or
    ``(dW, db, deltas)`` in the layout of the conventions, or a per-sample function in Nielsen's
    or UDL's form (see ``nn.handwritten``); ``cost=fn(weights, biases, X, Y) -> float`` is your
    cost, on which the central differences are then taken. ``matrix=`` takes your own MatrixMLP
    (a subclass with your backprop) instead. Either way every column checks YOUR gradients: the
    scalar graph, central differences and PyTorch, and the hints name the classic mistakes.
    Your MatrixMLP must be the same network computing the same cost (loss); its other
    conventions may differ, and the report then shows where.

    What your backprop (or cost) raises comes back as ``nn.user_code.UserCodeError``, saying
    what and at which line of your code (the original exception is its ``__cause__``);
    ``sys.exit()`` in it too. ``timeout=`` (seconds) stops each call of it that runs longer, with
    ``UserCodeTimeout`` (POSIX, main thread: see ``nn.user_code.time_limit``).

    An overflow in either view raises OverflowError naming where; gradients under test that
    hold nan or inf fail their row (numpy prints no warning).
    """
    conv = conventions_for(preset, loss=loss, reduction=reduction, **conventions)
    if preset is not None:
        check_network(mlp, preset)
    if matrix is not None and backprop is not None:
        raise TypeError("compare_gradients: give matrix= or backprop=, not both")
    if cost is not None and backprop is None:
        raise TypeError("compare_gradients: cost= goes with backprop=")
    shown = notation_named(notation).name
    entries = (60 if numeric else 0) if isinstance(numeric, bool) else count(numeric, "numeric")
    seed = count(seed, "seed")
    if matrix is not None:
        _check_matrix(matrix, mlp, conv)
    Xa, Ya = check_batch(mlp, X, Y, conv)
    scalar = scalar_pass(mlp, Xa, Ya, conv)
    notes: dict[tuple[str, int], str] = {}
    user_cost = None
    if backprop is not None:
        fn = handwritten.adapt(backprop)
        with user_code.time_limit(timeout):
            other, notes = _user_view(mlp, Xa, Ya, conv, fn)
            user_cost = _user_cost(fn, cost, mlp, Xa, Ya, conv)
            if user_cost is not None:
                other.loss = user_cost(*mlp.matrices())
        under_test = "your backprop"
    else:
        mm = matrix if matrix is not None else MatrixMLP.from_mlp(mlp, conventions=conv)
        other = matrix_pass(mm, Xa, Ya)
        under_test = "matrix view" if matrix is None else "your matrix view"
    with np.errstate(all="ignore"):  # a nan or inf under test fails its row; numpy need not warn too
        rows = _rows(scalar, other, conv, notes, under_test)
        mistakes = _mistakes(mlp, scalar, other, rows, conv, Xa, Ya) if under_test != "matrix view" else []
        hints = [text for _, text in mistakes] or _hints(rows, scalar, other, conv, len(Xa))
    checked = scalar if under_test == "matrix view" else other
    with user_code.time_limit(timeout):  # the user's cost, when there is one
        check = _numeric(mlp, Xa, Ya, conv, checked, entries, seed, user_cost) if entries else None
    torch_rows, torch_note = _torch_rows(mlp, Xa, Ya, conv, checked, torch, _relu_zeros(mlp, scalar))
    report = GradientComparison(
        conv,
        preset,
        mlp.sizes,
        mlp.activations,
        mlp.bias,
        len(Xa),
        seed,
        rows,
        check,
        torch_rows,
        torch_note,
        hints,
        under_test,
        list(dict.fromkeys(m.key for m, _ in mistakes)),
        [],
        shown,
    )
    report.disagreements = _disagreements(report)
    return report


# ---- your backprop's view, in the column convention ------------------------------------------
def _user_view(
    mlp: MLP, X: np.ndarray, Y: np.ndarray, conv: Conventions, fn: Any
) -> tuple[Pass, dict[tuple[str, int], str]]:
    """Call the user's backprop and bring what it returns into the canonical orientation; what
    does not fit gets a note for its row (the row then fails), never an exception."""
    Ws, bs = mlp.matrices()
    result = handwritten.call(
        fn,
        Ws,
        bs,
        X.T,
        target_columns(mlp, Y, conv),
        conv.layout,
        conv.w_layout,
        conv.reduction == "mean",
        conv.l2,
        conv.l2_on,
    )
    notes: dict[tuple[str, int], str] = {}
    L, N = len(Ws), len(X)
    in_out, rows = result.w_layout == "in_out", result.layout == "rows"
    dW = []
    for l, W in enumerate(Ws):
        want = W.T.shape if in_out else W.shape
        arr = _user_array(result.dW[l], ("dW", l + 1), want, notes, "W layout " + result.w_layout)
        dW.append(out_in(arr, result.w_layout) if arr.ndim == 2 else arr)
    db = None
    if result.db is not None:
        db = []
        for l, W in enumerate(Ws):
            n = W.shape[0]
            kept = ((n, 1), (1, n)) if rows else ((n, 1),)  # keepdims=True: the sum over the samples' axis
            arr = _user_array(result.db[l], ("db", l + 1), (n,), notes, f"or {' or '.join(map(str, kept))}", also=kept)
            db.append(arr.reshape(n) if arr.shape in kept else (columns(arr, result.layout) if arr.ndim == 2 else arr))
    delta: list[np.ndarray | None] = [None] * L
    if result.deltas is not None:
        for l, W in enumerate(Ws):
            want = (N, W.shape[0]) if rows else (W.shape[0], N)
            arr = _user_array(result.deltas[l], ("delta", l + 1), want, notes, f"{result.layout} layout")
            delta[l] = columns(arr, result.layout) if arr.ndim == 2 else arr
    return Pass(None, None, None, delta, dW, db), notes


def _user_array(
    x: Any, key: tuple[str, int], want: tuple[int, ...], notes: dict, why: str, also: tuple[tuple[int, ...], ...] = ()
) -> np.ndarray:
    """What the user returned for one tensor, as float64; a note for its row when it is not real
    numbers of the expected shape (the row then fails), or when it was float32 or narrower."""
    q, l = key
    name = {"dW": f"∂C/∂W{l}", "db": f"∂C/∂b{l}", "delta": f"δ{l}"}[q]
    try:
        given = np.asarray(x)
        if np.iscomplexobj(given):  # float64 would drop the imaginary part without a word
            notes[key] = f"{name}: complex numbers ({given.dtype}); expected real ones"
            return np.full(given.shape, np.nan)
        arr = given.astype(np.float64)
    except OverflowError:  # Python ints past 1.8e308
        notes[key] = f"{name}: numbers too large for a float"
        return np.full(want, np.nan)
    except (TypeError, ValueError):
        notes[key] = f"{name}: expected real numbers of shape {want}, got {type(x).__name__}"
        return np.full(want, np.nan)
    if arr.shape != want and arr.shape not in also:
        turned = " (the transpose)" if arr.shape == want[::-1] else ""
        notes[key] = f"{name}: expected shape {want} ({why}), got {arr.shape}{turned}"
    elif not np.all(np.isfinite(arr)):
        bad = int(np.sum(~np.isfinite(arr)))
        notes[key] = f"{name}: {bad} non-finite entr{'y' if bad == 1 else 'ies'} (nan or inf)"
    elif given.dtype.kind == "f" and given.dtype.itemsize < 8:
        notes[key] = f"{given.dtype} (checked in float64)"
    return arr


def _user_cost(fn: Any, cost: Any, mlp: MLP, X: np.ndarray, Y: np.ndarray, conv: Conventions) -> Any:
    """The user's batch cost as a function of canonical (Ws, bs), or None when there is none."""
    T = target_columns(mlp, Y, conv)
    mean = conv.reduction == "mean"
    if cost is not None:
        if isinstance(fn, handwritten.PerSample):
            raise TypeError("compare_gradients: give a per-sample form its cost through the adapter's cost=")
        return lambda Ws, bs: handwritten.cost_of(cost, Ws, bs, X.T, T, conv.layout, conv.w_layout)
    if isinstance(fn, handwritten.PerSample) and fn.has_cost:
        penalty = _penalty_value(conv)
        return lambda Ws, bs: fn.cost(Ws, bs, X.T, T, mean) + penalty(Ws, bs)
    return None


def _penalty_value(conv: Conventions) -> Any:
    def value(Ws: list[np.ndarray], bs: list[np.ndarray] | None) -> float:
        ps = Ws + (bs or []) if conv.l2_on == "all" else Ws
        return conv.l2 * sum(float(np.sum(p * p)) for p in ps) if conv.l2 else 0.0

    return value


def _mistakes(
    mlp: MLP, s: Pass, other: Pass, rows: list[Row], conv: Conventions, X: np.ndarray, Y: np.ndarray
) -> list[Any]:
    if all(r.close for r in rows):
        return []
    assert s.z is not None and s.a is not None
    Ws, bs = mlp.matrices()
    fw = Forward(Ws, bs, s.z, [X.T, *s.a], mlp.activations, target_columns(mlp, Y, conv), s.delta[-1], conv)  # type: ignore[arg-type]
    tensors = {("dW", l + 1): np.asarray(W) for l, W in enumerate(other.dW)}
    if other.db is not None:
        tensors.update({("db", l + 1): np.asarray(b) for l, b in enumerate(other.db)})
    tensors.update({("delta", l + 1): np.asarray(d) for l, d in enumerate(other.delta) if d is not None})
    return diagnose(fw, tensors, len(X))


# ---- rows ---------------------------------------------------------------------------------------
def _rows(s: Pass, m: Pass, conv: Conventions, notes: dict[tuple[str, int], str], name: str) -> list[Row]:
    """Forward rows (when the view under test has a forward pass), the loss, then δ, dW, db from
    the output layer back; a quantity the view does not give (a user's δ, say) has no row."""
    assert s.z is not None and s.a is not None
    L = len(s.z)
    rows = []
    if m.z is not None and m.a is not None:
        for l in range(L):
            rows.append(_compare(s.z[l], m.z[l], l + 1, "z", name))
            rows.append(_compare(s.a[l], m.a[l], l + 1, "a", name))
    if m.loss is not None:
        rows.append(_compare(np.array(s.loss), np.array(m.loss), None, "loss", name))
    for l in range(L - 1, -1, -1):
        if m.delta[l] is not None:
            row = _compare(s.delta[l], m.delta[l], l + 1, "delta", name)  # type: ignore[arg-type]
            zeros = int(np.sum(s.z[l] == 0.0))
            if zeros:
                row.note = ", ".join(filter(None, (row.note, f"zeros={zeros} (ReLU'(0))")))
            rows.append(row)
        rows.append(_compare(s.dW[l], m.dW[l], l + 1, "dW", name))
        if s.db is not None:
            rows.append(_compare(s.db[l], None if m.db is None else m.db[l], l + 1, "db", name))
    for row in rows:
        note = notes.get((row.quantity, row.layer or 0))
        if note:
            row.note = note
    return rows


def _compare(ref: np.ndarray, other: np.ndarray | None, layer: int | None, qty: str, name: str = "matrix view") -> Row:
    ref = np.asarray(ref, dtype=np.float64)
    if other is None:
        return Row(layer, qty, ref.shape, False, False, math.inf, math.inf, math.inf, None, f"missing in the {name}")
    other = np.asarray(other, dtype=np.float64)
    if other.shape != ref.shape:
        note = f"shape {other.shape} in the {name}, {ref.shape} in the scalar graph"
        return Row(layer, qty, ref.shape, False, False, math.inf, math.inf, math.inf, None, note)
    diff = np.abs(other - ref)
    if not np.all(np.isfinite(other)):
        diff = np.where(np.isfinite(other), diff, np.inf)
    scale = max(1.0, float(np.max(np.abs(ref)))) if ref.size else 1.0
    close = bool(np.all(diff <= ABS_TOL * scale + REL_TOL * np.abs(ref)))
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(diff == 0, 0.0, diff / np.abs(ref))
    norm = float(np.linalg.norm(ref) + np.linalg.norm(np.where(np.isfinite(other), other, 0.0)))
    found = ref.ndim and diff.size and diff.max() > 0
    worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), diff.shape)) if found else None
    with np.errstate(invalid="ignore"):
        norm_rel = float(np.linalg.norm(other - ref) / norm) if norm else 0.0
    exact = bool(np.array_equal(ref, other))
    note = "" if np.all(np.isfinite(other)) else "not finite (nan or inf)"
    return Row(
        layer,
        qty,
        ref.shape,
        exact,
        close,
        float(diff.max(initial=0.0)),
        float(rel.max(initial=0.0)),
        norm_rel,
        worst,
        note,
    )


def _disagreements(report: GradientComparison) -> list[str]:
    """Per failing tensor, which oracles disagree with the gradients under test."""
    if report.under_test == "matrix view":
        return []
    groups: dict[str, list[str]] = {}
    numeric_failing = set(report.numeric.failing) if report.numeric is not None else set()
    torch_bad = {(r.layer, r.quantity) for r in report.torch_rows or [] if not r.close}
    for row in report.rows:
        if row.layer is None or row.quantity not in ("delta", "dW", "db"):
            continue
        param = {"dW": "W", "db": "b"}.get(row.quantity, "")
        oracles = []
        if not row.close:
            oracles.append("the scalar graph")
        if param and f"{param}{row.layer}" in numeric_failing:
            oracles.append("central differences")
        if (row.layer, row.quantity) in torch_bad:
            oracles.append("PyTorch")
        if oracles:
            groups.setdefault(", ".join(oracles), []).append(f"L{row.layer} {row.quantity}")
    return [f"{', '.join(tensors)}: {oracles}" for oracles, tensors in groups.items()]


# ---- hints: what a failing row most likely means ------------------------------------------------
def _hints(rows: list[Row], s: Pass, m: Pass, conv: Conventions, n: int) -> list[str]:
    failing = [r for r in rows if not r.close]
    if failing and all(r.norm_rel <= FLOAT32_NORM_REL for r in failing):
        narrow = sorted({r.note.split()[0] for r in rows if r.note.endswith("(checked in float64)")})
        given = f"the arrays are {', '.join(narrow)}" if narrow else "computed in float32, say"
        worst = max(r.norm_rel for r in failing)
        return [
            f"{', '.join(f'L{r.layer} {r.quantity}' for r in failing)} agree with the scalar graph to float32 "
            f"precision (norm_rel {worst:.1e}, float32's ε is 1.2e-07) but not to float64's ({given}): "
            "so they are right up to float32 rounding; compute in float64 (np.float64) for this check"
        ]
    hints: list[str] = []
    L = len(s.dW)
    for row in rows:
        if row.close:
            continue
        if row.layer is None and m.loss is None:
            continue
        ref, other = (np.array(s.loss), np.array(m.loss)) if row.layer is None else _arrays(row, s, m)
        where = "the loss" if row.layer is None else f"L{row.layer} {row.quantity}"
        if other is None:
            continue
        if other.T.shape == ref.shape and np.allclose(other.T, ref, rtol=1e-9, atol=1e-12):
            hints.append(
                f"{where} matches after transposing: a W layout (n_out, n_in) vs (n_in, n_out), "
                "or samples in rows vs columns"
            )
            break
        if other.shape != ref.shape:
            continue
        ratio = _constant_ratio(ref, other)
        if ratio is not None and not _near(ratio, 1.0):
            hints.append(f"{where} {factor_causes(ratio, n, conv.loss)}")
            break
        if row.quantity == "delta" and row.layer == L and _off_by_output_derivative(ref, other, s, conv):
            hints.append(
                f"{where} is off by a factor f'(z^L): the fused output error a − y multiplied by f'(z^L) again"
            )
            break
        if row.quantity == "delta" and s.z is not None:
            bad = ~np.isclose(other, ref, rtol=1e-9, atol=1e-12)
            if bad.any() and np.all(s.z[(row.layer or 1) - 1][bad] == 0.0):
                hints.append(f"{where} differs only where z == 0: a ReLU'(0) convention clash (0 in the scalar graph)")
                break
    return hints


def _arrays(row: Row, s: Pass, m: Pass) -> tuple[np.ndarray, np.ndarray | None]:
    l = (row.layer or 1) - 1
    pick = {"z": (s.z, m.z), "a": (s.a, m.a), "delta": (s.delta, m.delta), "dW": (s.dW, m.dW), "db": (s.db, m.db)}
    ref_list, other_list = pick[row.quantity]
    return np.asarray(ref_list[l]), None if other_list is None else np.asarray(other_list[l])  # type: ignore[index]


def _constant_ratio(ref: np.ndarray, other: np.ndarray) -> float | None:
    mask = np.abs(ref) > 1e-12 * max(1.0, float(np.abs(ref).max(initial=0.0)))
    if not mask.any() or np.any((np.abs(other) > 0) & ~mask):
        return None
    r = other[mask] / ref[mask]
    med = float(np.median(r))
    return med if med != 0 and np.allclose(r, med, rtol=1e-6, atol=0) else None


def _near(x: float, target: float) -> bool:
    return abs(x - target) <= 1e-6 * abs(target)


def _off_by_output_derivative(ref: np.ndarray, other: np.ndarray, s: Pass, conv: Conventions) -> bool:
    assert s.z is not None
    Z = s.z[-1]
    P = np.exp(Z - Z.max(axis=0))
    P /= P.sum(axis=0)
    candidates = [ACTIVATIONS["sigmoid"].df(Z, 0.0), P * (1 - P), ACTIVATIONS["tanh"].df(Z, 0.0)]
    return any(np.allclose(other, ref * f, rtol=1e-9, atol=1e-12) and not np.allclose(f, 1.0) for f in candidates)


# ---- finite differences on a sample of parameters ------------------------------------------------
def _numeric(
    mlp: MLP, X: np.ndarray, Y: np.ndarray, conv: Conventions, g: Pass, count: int, seed: int, cost: Any = None
) -> NumericCheck:
    """Central differences of the cost (the user's ``cost`` if given, else the conventions') on
    ``count`` sampled entries, against the gradients of ``g``; a tensor of the wrong shape in
    ``g`` cannot be sampled and fails."""
    oracle = MatrixMLP.from_mlp(
        mlp, conventions=Conventions(**{**asdict(conv), "layout": "columns", "w_layout": "out_in"})
    )
    targets = Y if Y.ndim == 1 else Y.T
    params = [("W", l + 1, oracle.weights[l], g.dW[l]) for l in range(len(oracle.weights))]
    if oracle.biases is not None and g.db is not None:
        params += [("b", l + 1, oracle.biases[l], g.db[l]) for l in range(len(oracle.biases))]
    unusable = [_tensor_name(kind, l) for kind, l, arr, grad in params if np.shape(grad) != arr.shape]
    slots = [
        (kind, l, arr, grad, idx)
        for kind, l, arr, grad in params
        if _tensor_name(kind, l) not in unusable
        for idx in np.ndindex(arr.shape)
    ]
    rng = np.random.default_rng(seed)
    picked = sorted(rng.choice(len(slots), size=min(count, len(slots)), replace=False).tolist()) if slots else []

    def loss_and_signs() -> tuple[float, np.ndarray]:
        oracle.forward(X.T)
        value = oracle.loss(targets) if cost is None else cost(oracle.weights, oracle.biases)
        signs = [z > 0 for z, f in zip(oracle.z, oracle.activations) if f == "relu"]
        if conv.loss == "hinge":
            signs.append(1.0 - oracle.targets(targets) * oracle.z[-1] > 0)
        return value, np.concatenate([m.ravel() for m in signs]) if signs else np.zeros(0, bool)

    entries: list[NumericEntry] = []
    by_tensor: dict[str, list[tuple[float, float]]] = {}
    for i in picked:
        kind, l, arr, grad, idx = slots[i]
        name = _tensor_name(kind, l)
        theta = arr[idx]
        h = FD_EPS * max(1.0, abs(theta))
        arr[idx] = theta + h
        up, signs_up = loss_and_signs()
        arr[idx] = theta - h
        down, signs_down = loss_and_signs()
        arr[idx] = theta
        numeric = (up - down) / ((theta + h) - (theta - h))
        kink = bool(np.any(signs_up != signs_down))
        label = labels.weight(l, *idx) if kind == "W" else labels.bias(l, *idx)
        entries.append(NumericEntry(label, float(grad[idx]), float(numeric), kink))
        if not kink:
            by_tensor.setdefault(name, []).append((float(grad[idx]), float(numeric)))
    worst, failing = 0.0, list(unusable)
    for name, pairs in by_tensor.items():
        a, n = np.array(pairs).T
        if not np.all(np.isfinite(a)):
            failing.append(name)
            continue
        scale = max(1.0, float(np.abs(a).max()), float(np.abs(n).max()))
        diff = float(np.linalg.norm(a - n))
        size = float(np.linalg.norm(a) + np.linalg.norm(n))
        err = diff / size if size else 0.0
        worst = max(worst, err)
        close = np.all(np.abs(a - n) <= FD_ATOL * scale + FD_RTOL * np.abs(n))
        if not (close and (err <= FD_NORM_TOL or diff <= FD_ATOL * scale)):
            failing.append(name)
    return NumericCheck(entries, sum(e.kink for e in entries), worst, not failing, failing)


def _tensor_name(kind: str, l: int) -> str:
    return labels.weight_matrix(l) if kind == "W" else labels.bias_vector(l)


# ---- PyTorch, when it is installed ---------------------------------------------------------------
def _torch_rows(
    mlp: MLP, X: np.ndarray, Y: np.ndarray, conv: Conventions, s: Pass, wanted: bool | None, kinks: bool
) -> tuple[list[Row] | None, str]:
    if wanted is False:
        return None, "not requested"
    try:
        from nn.bridge import torch_gradients
    except ImportError:
        if wanted:
            raise
        return None, "skipped (PyTorch is not installed)"
    if conv.relu_grad_at_zero and kinks:
        return (
            None,
            f"skipped (PyTorch's ReLU'(0) is 0, the conventions' {conv.relu_grad_at_zero:g}, and z == 0 occurs)",
        )
    try:
        t = torch_gradients(mlp, X, Y, conv)
    except ImportError:
        if wanted:
            raise
        return None, "skipped (PyTorch is not installed)"
    rows = []  # PyTorch is the reference here; the view under test is compared with it
    for l in range(len(s.dW) - 1, -1, -1):
        if s.delta[l] is not None:
            rows.append(_compare(t["delta"][l], s.delta[l], l + 1, "delta"))
        rows.append(_compare(t["dW"][l], s.dW[l], l + 1, "dW"))
        if s.db is not None:
            rows.append(_compare(t["db"][l], s.db[l], l + 1, "db"))
    return rows, ""


def _relu_zeros(mlp: MLP, s: Pass) -> bool:
    return any(f == "relu" and np.any(z == 0.0) for f, z in zip(mlp.activations, s.z or []))


# ---- input checks and formatting -------------------------------------------------------------------
def _check_matrix(mm: Any, mlp: MLP, conv: Conventions) -> None:
    """``matrix=`` must be a MatrixMLP of the same network computing the same cost as the call."""
    if not isinstance(mm, MatrixMLP):
        raise TypeError(f"matrix: expected a MatrixMLP, got {type(mm).__name__}")
    if mm.sizes != mlp.sizes or mm.activations != mlp.activations:
        raise ValueError(
            f"matrix: expected the MLP's network, sizes {mlp.sizes} and activations {mlp.activations}; "
            f"got sizes {mm.sizes} and activations {mm.activations}"
        )
    if mm.conventions.loss != conv.loss:
        raise ValueError(
            f"matrix: its conventions have loss={mm.conventions.loss!r} and this call has loss={conv.loss!r}; "
            "give both the same loss (other conventions may differ: the report shows where)"
        )


def _layer(r: Row) -> str:
    return "" if r.layer is None else f"L{r.layer}"


MATCH_LEGEND = "match: = bit for bit, ≈ within tolerance, ✘ differs"


def _match(r: Row) -> str:
    return "=" if r.exact else "≈" if r.close else "✘"


def _non_default(c: Conventions, bias: bool) -> list[str]:
    """The conventions that differ from ``Conventions()``, as short "name: value" groups; those that
    cannot matter here are left out (mse_half for another loss, fused for mse or hinge, l2_on at l2 = 0)."""
    default = Conventions()
    groups = []
    if c.mse_half != default.mse_half and c.loss == "mse":
        groups.append("mse_half: True (C_n = ½‖a − y‖²)")
    if c.layout != default.layout:
        groups.append(f"layout: {c.layout}")
    if c.w_layout != default.w_layout:
        groups.append(f"w_layout: {c.w_layout}")
    if c.relu_grad_at_zero != default.relu_grad_at_zero:
        groups.append(f"relu'(0): {c.relu_grad_at_zero:g}")
    if c.fused != default.fused and c.loss in ("cross_entropy", "binary_cross_entropy"):
        groups.append("fused: False")
    if c.l2 != default.l2:
        groups.append(f"l2: {c.l2:g} on {c.l2_on}")
    if not bias:
        groups.append("bias: False")
    return groups


def _columns(notation: Any) -> tuple[str, ...]:
    names = ("shape", "match", "max|Δ|", "max_rel", "norm_rel", "worst", "note")
    return ("layer", "qty", *names) if notation is None else ("quantity", *names)


def _cells(r: Row, notation: Any, L: int) -> tuple[str, ...]:
    shape = str(tuple(r.shape)).replace(" ", "")
    numbers = (shape, _match(r), f"{r.max_abs:.1e}", f"{r.max_rel:.1e}", f"{r.norm_rel:.1e}")
    if notation is None:
        worst = "" if r.worst is None else "(" + ",".join(map(str, r.worst)) + ")"
        return (_layer(r), r.quantity, *numbers, worst, r.note)
    worst = notation.entry(r.quantity, r.layer, L, r.worst)
    return (notation.symbol(r.quantity, r.layer, L), *numbers, worst, _in_notation(r.note, notation, L))


def _in_notation(text: str, notation: Any, L: int) -> str:
    """Our names of the tensors in ``text`` (``L2 dW``, ``∂C/∂W2``, ``δ2``) in a source's notation."""
    if notation is None:
        return text
    text = re.sub(r"\bL(\d+) (delta|dW|db)\b", lambda m: notation.symbol(m[2], int(m[1]), L), text)
    text = re.sub(r"∂C/∂([Wb])(\d+)\b", lambda m: notation.symbol(f"d{m[1]}", int(m[2]), L), text)
    return re.sub(r"δ(\d+)\b", lambda m: notation.symbol("delta", int(m[1]), L), text)


def _table(rows: list[Row], notation: Any = None) -> str:
    L = max((r.layer or 0 for r in rows), default=0)
    widths = [6, 7] if notation is None else [14]
    widths += [10, 7, 9, 9, 10, 9 if notation is None else 18, 0]
    lines = []
    for cells in [_columns(notation), *(_cells(r, notation, L) for r in rows)]:
        lines.append("".join(f"{c:<{w}}" for c, w in zip(cells, widths)).rstrip())
    lines.append(MATCH_LEGEND)
    return "\n".join(lines)


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if isinstance(x, np.generic):
        return x.item()
    return x
