"""compare_gradients: the scalar graph and the matrix view of one MLP, entry by entry.

    report = compare_gradients(model, X, y, loss="cross_entropy")
    report.ok, print(report), report.to_dict()

X holds one sample per row, shape (N, n_in); Y has shape (N, n_out), or (N,) class labels for
cross-entropy. The scalar graph (one node per z, W, b entry) is the reference. Rows compare, in
float64, the forward pass first (z^l and a^l for l = 1..L, then the loss), then the backward
pass from the output layer back (δ^l, ∂C/∂W^l, ∂C/∂b^l for l = L..1), so the first failing row
points at the bug. δ^l[:, n] is checked against the grads of sample n's z nodes.

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
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from autograd_core import Value
from nn import labels
from nn.activations import ACTIVATIONS
from nn.losses import LOSSES, l2_penalty
from nn.matrix import Conventions, MatrixMLP, _check_network, conventions_for
from nn.module import MLP

ABS_TOL = 1e-12
REL_TOL = 1e-9
FD_EPS = 1e-5
FD_NORM_TOL = 1e-7
FD_RTOL = 1e-5
FD_ATOL = 1e-7


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


@dataclass
class Report:
    """The comparison; ``ok`` is True when every row (and the numeric and torch checks) pass."""

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
        c = self.conventions
        layers = " → ".join([str(self.sizes[0])] + [f"{n} {f}" for n, f in zip(self.sizes[1:], self.activations)])
        lines = [
            f"network: {layers}{'' if self.bias else ' (no bias)'}",
            f"conventions: preset={self.preset or '-'} loss={c.loss} reduction={c.reduction} mse_half={c.mse_half} "
            f"bias={self.bias} layout={c.layout} w_layout={c.w_layout} relu'(0)={c.relu_grad_at_zero:g} "
            f"fused={c.fused} l2={c.l2:g}  seed={self.seed}  N={self.n_samples}  float64",
            "scalar graph (reference) vs matrix view:",
            _table(self.rows),
        ]
        if self.numeric is not None:
            n = self.numeric
            lines.append(
                f"numeric: {len(n.entries)} entries sampled, {n.kinks} kinks, worst tensor error "
                f"{n.worst_tensor_error:.1e}  {'PASS' if n.ok else 'FAIL ' + ', '.join(n.failing)}"
            )
        if self.torch_rows is not None:
            bad = [f"L{r.layer} {r.quantity}" for r in self.torch_rows if not r.close]
            worst = max((r.max_abs for r in self.torch_rows), default=0.0)
            verdict = "PASS" if not bad else "FAIL " + ", ".join(bad)
            lines.append(f"torch: {len(self.torch_rows)} tensors, worst |Δ| {worst:.1e}  {verdict}")
        else:
            lines.append(f"torch: {self.torch_note}")
        for h in self.hints:
            lines.append(f"hint: {h}")
        lines.append("result: " + ("PASS: the views agree" if self.ok else "FAIL: the views disagree"))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(
            f"<th>{h}</th>"
            for h in ("layer", "qty", "shape", "exact", "close", "max|Δ|", "max_rel", "norm_rel", "worst", "note")
        )
        body = []
        for r in self.rows:
            style = "" if r.close else ' style="background:#fdd"'
            cells = (
                _layer(r),
                r.quantity,
                str(r.shape),
                str(r.exact),
                "✔" if r.close else "✘",
                f"{r.max_abs:.1e}",
                f"{r.max_rel:.1e}",
                f"{r.norm_rel:.1e}",
                str(r.worst or ""),
                r.note,
            )
            body.append(f"<tr{style}>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
        text = str(self).splitlines()
        summary = "<br>".join(html.escape(t) for t in text[:2])
        tail = "<br>".join(html.escape(t) for t in text[4 + len(self.rows) :])
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
    seed: int = 0,
    **conventions: Any,
) -> Report:
    """Compare the scalar graph of ``mlp`` on (X, Y) with its matrix view, layer by layer.

    ``preset`` picks a source's conventions (nielsen, no_bias_sigmoid, udl_relu, softmax_ce,
    micrograd) and checks the network fits it; ``loss``, ``reduction`` and other convention
    keywords (mse_half, layout, w_layout, relu_grad_at_zero, fused, l2, l2_on) override it.
    ``numeric`` is how many parameter entries to check by central differences (0 or False: none);
    ``torch`` adds a PyTorch column (None: when torch is installed). ``matrix`` replaces the
    library's matrix view with your own MatrixMLP (say, a subclass with your backprop), to
    check it against the scalar graph.
    """
    conv = conventions_for(preset, loss=loss, reduction=reduction, **conventions)
    if preset is not None:
        _check_network(mlp, preset)
    Xa, Ya = _inputs(mlp, X, Y, conv)
    scalar = _scalar_view(mlp, Xa, Ya, conv)
    mm = matrix if matrix is not None else MatrixMLP.from_mlp(mlp, conventions=conv)
    other = _matrix_view(mm, Xa, Ya)
    rows = _rows(scalar, other, conv)
    hints = _hints(rows, scalar, other, conv, len(Xa))
    check = _numeric(mlp, Xa, Ya, conv, scalar, int(numeric), seed) if numeric else None
    torch_rows, torch_note = _torch_rows(mlp, Xa, Ya, conv, scalar, torch)
    return Report(
        conv, preset, mlp.sizes, mlp.activations, mlp.bias, len(Xa), seed, rows, check, torch_rows, torch_note, hints
    )


# ---- the two views, in one canonical orientation: columns, W as (n_out, n_in) ----------------
@dataclass
class _View:
    z: list[np.ndarray]
    a: list[np.ndarray]  # a^1..a^L
    loss: float
    delta: list[np.ndarray | None]
    dW: list[np.ndarray]
    db: list[np.ndarray] | None


def _scalar_view(mlp: MLP, X: np.ndarray, Y: np.ndarray, conv: Conventions) -> _View:
    traces = [mlp.forward(x) for x in X.tolist()]
    C = _scalar_loss(mlp, [t.outputs for t in traces], Y, conv)
    mlp.zero_grad()
    C.backward()
    L = len(mlp.layers)
    z = [np.array([[v.data for v in t.z[l]] for t in traces]).T for l in range(L)]
    a = [np.array([[v.data for v in t.a[l]] for t in traces]).T for l in range(L)]
    delta: list[np.ndarray | None] = [np.array([[v.grad for v in t.z[l]] for t in traces]).T for l in range(L)]
    dW, db = mlp.matrices(grad=True)
    return _View(z, a, C.data, delta, dW, db)


def _scalar_loss(mlp: MLP, outputs: Sequence[Sequence[Value]], Y: np.ndarray, conv: Conventions) -> Value:
    kwargs = {"half": conv.mse_half} if conv.loss == "mse" else {}
    C = LOSSES[conv.loss](outputs, Y, reduction=conv.reduction, **kwargs)
    if conv.l2:
        C = C + l2_penalty(mlp.parameters() if conv.l2_on == "all" else mlp.weights(), conv.l2)
    return C


def _matrix_view(mm: MatrixMLP, X: np.ndarray, Y: np.ndarray) -> _View:
    rows = mm.conventions.layout == "rows"
    targets = Y if (Y.ndim == 1 or rows) else Y.T
    mm.forward(X if rows else X.T)
    g = mm.backward(targets)

    def col(M: np.ndarray) -> np.ndarray:
        return M.T if rows else M

    def out_in(W: np.ndarray) -> np.ndarray:
        return W.T if mm.conventions.w_layout == "in_out" else W

    return _View(
        [col(z) for z in mm.z],
        [col(a) for a in mm.a[1:]],
        g.loss,
        [col(d) for d in g.delta],
        [out_in(W) for W in g.dW],
        g.db,
    )


# ---- rows ---------------------------------------------------------------------------------------
def _rows(s: _View, m: _View, conv: Conventions) -> list[Row]:
    L = len(s.z)
    rows = []
    for l in range(L):
        rows.append(_compare(s.z[l], m.z[l], l + 1, "z"))
        rows.append(_compare(s.a[l], m.a[l], l + 1, "a"))
    rows.append(_compare(np.array(s.loss), np.array(m.loss), None, "loss"))
    for l in range(L - 1, -1, -1):
        row = _compare(s.delta[l], m.delta[l], l + 1, "delta")  # type: ignore[arg-type]
        zeros = int(np.sum(s.z[l] == 0.0)) if s.z[l] is not None else 0
        if zeros:
            row.note = f"zeros={zeros} (ReLU'(0))"
        rows.append(row)
        rows.append(_compare(s.dW[l], m.dW[l], l + 1, "dW"))
        if s.db is not None:
            rows.append(_compare(s.db[l], None if m.db is None else m.db[l], l + 1, "db"))
    return rows


def _compare(ref: np.ndarray, other: np.ndarray | None, layer: int | None, qty: str) -> Row:
    ref = np.asarray(ref, dtype=np.float64)
    if other is None:
        return Row(
            layer, qty, ref.shape, False, False, math.inf, math.inf, math.inf, None, "missing in the matrix view"
        )
    other = np.asarray(other, dtype=np.float64)
    if other.shape != ref.shape:
        return Row(
            layer,
            qty,
            ref.shape,
            False,
            False,
            math.inf,
            math.inf,
            math.inf,
            None,
            f"shape {other.shape} in the matrix view, {ref.shape} in the scalar graph",
        )
    diff = np.abs(other - ref)
    scale = max(1.0, float(np.max(np.abs(ref)))) if ref.size else 1.0
    close = bool(np.all(diff <= ABS_TOL * scale + REL_TOL * np.abs(ref)))
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(diff == 0, 0.0, diff / np.abs(ref))
    norm = float(np.linalg.norm(ref) + np.linalg.norm(other))
    found = ref.ndim and diff.size and diff.max() > 0
    worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), diff.shape)) if found else None
    norm_rel = float(np.linalg.norm(other - ref) / norm) if norm else 0.0
    exact = bool(np.array_equal(ref, other))
    return Row(
        layer, qty, ref.shape, exact, close, float(diff.max(initial=0.0)), float(rel.max(initial=0.0)), norm_rel, worst
    )


# ---- hints: what a failing row most likely means ------------------------------------------------
def _hints(rows: list[Row], s: _View, m: _View, conv: Conventions, n: int) -> list[str]:
    hints: list[str] = []
    L = len(s.z)
    for row in rows:
        if row.close:
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
        if ratio is not None and (_near(ratio, n) or _near(ratio, 1.0 / n)):
            hints.append(
                f"{where} is off by a factor {ratio:.4g} ≈ {'N' if ratio > 1 else '1/N'} (N={n}): reduction sum vs mean"
            )
            break
        if ratio is not None and (_near(ratio, 2.0) or _near(ratio, 0.5)):
            hints.append(f"{where} is off by a factor {ratio:.4g}: the ½ in the squared error (½‖a−y‖² vs ‖a−y‖²)")
            break
        if row.quantity == "delta" and row.layer == L and _off_by_output_derivative(ref, other, s, conv):
            hints.append(
                f"{where} is off by a factor f'(z^L): the fused output error a − y multiplied by f'(z^L) again"
            )
            break
        if row.quantity == "delta":
            bad = ~np.isclose(other, ref, rtol=1e-9, atol=1e-12)
            if bad.any() and np.all(s.z[(row.layer or 1) - 1][bad] == 0.0):
                hints.append(f"{where} differs only where z == 0: a ReLU'(0) convention clash (0 in the scalar graph)")
                break
    return hints


def _arrays(row: Row, s: _View, m: _View) -> tuple[np.ndarray, np.ndarray | None]:
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


def _off_by_output_derivative(ref: np.ndarray, other: np.ndarray, s: _View, conv: Conventions) -> bool:
    Z = s.z[-1]
    P = np.exp(Z - Z.max(axis=0))
    P /= P.sum(axis=0)
    candidates = [ACTIVATIONS["sigmoid"].df(Z, 0.0), P * (1 - P), ACTIVATIONS["tanh"].df(Z, 0.0)]
    return any(np.allclose(other, ref * f, rtol=1e-9, atol=1e-12) and not np.allclose(f, 1.0) for f in candidates)


# ---- finite differences on a sample of parameters ------------------------------------------------
def _numeric(
    mlp: MLP, X: np.ndarray, Y: np.ndarray, conv: Conventions, s: _View, count: int, seed: int
) -> NumericCheck:
    oracle = MatrixMLP.from_mlp(
        mlp, conventions=Conventions(**{**asdict(conv), "layout": "columns", "w_layout": "out_in"})
    )
    targets = Y if Y.ndim == 1 else Y.T
    params = [("W", l + 1, oracle.weights[l], s.dW[l]) for l in range(len(oracle.weights))]
    if oracle.biases is not None and s.db is not None:
        params += [("b", l + 1, oracle.biases[l], s.db[l]) for l in range(len(oracle.biases))]
    slots = [(kind, l, arr, grad, idx) for kind, l, arr, grad in params for idx in np.ndindex(arr.shape)]
    rng = np.random.default_rng(seed)
    picked = sorted(rng.choice(len(slots), size=min(count, len(slots)), replace=False).tolist())

    def loss_and_signs() -> tuple[float, np.ndarray]:
        oracle.forward(X.T)
        value = oracle.loss(targets)
        signs = [z > 0 for z, f in zip(oracle.z, oracle.activations) if f == "relu"]
        if conv.loss == "hinge":
            signs.append(1.0 - oracle._targets(targets) * oracle.z[-1] > 0)
        return value, np.concatenate([m.ravel() for m in signs]) if signs else np.zeros(0, bool)

    entries: list[NumericEntry] = []
    by_tensor: dict[str, list[tuple[float, float]]] = {}
    for i in picked:
        kind, l, arr, grad, idx = slots[i]
        name = labels.weight_matrix(l) if kind == "W" else labels.bias_vector(l)
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
    worst, failing = 0.0, []
    for name, pairs in by_tensor.items():
        a, n = np.array(pairs).T
        scale = max(1.0, float(np.abs(a).max()), float(np.abs(n).max()))
        diff = float(np.linalg.norm(a - n))
        size = float(np.linalg.norm(a) + np.linalg.norm(n))
        err = diff / size if size else 0.0
        worst = max(worst, err)
        close = np.all(np.abs(a - n) <= FD_ATOL * scale + FD_RTOL * np.abs(n))
        if not (close and (err <= FD_NORM_TOL or diff <= FD_ATOL * scale)):
            failing.append(name)
    return NumericCheck(entries, sum(e.kink for e in entries), worst, not failing, failing)


# ---- PyTorch, when it is installed ---------------------------------------------------------------
def _torch_rows(
    mlp: MLP, X: np.ndarray, Y: np.ndarray, conv: Conventions, s: _View, wanted: bool | None
) -> tuple[list[Row] | None, str]:
    if wanted is False:
        return None, "not requested"
    try:
        from nn.bridge import torch_gradients
    except ImportError:
        if wanted:
            raise
        return None, "skipped (PyTorch is not installed)"
    try:
        t = torch_gradients(mlp, X, Y, conv)
    except ImportError:
        if wanted:
            raise
        return None, "skipped (PyTorch is not installed)"
    rows = []
    for l in range(len(s.z) - 1, -1, -1):
        rows.append(_compare(s.delta[l], t["delta"][l], l + 1, "delta"))  # type: ignore[arg-type]
        rows.append(_compare(s.dW[l], t["dW"][l], l + 1, "dW"))
        if s.db is not None:
            rows.append(_compare(s.db[l], t["db"][l], l + 1, "db"))
    return rows, ""


# ---- input checks and formatting -------------------------------------------------------------------
def _inputs(mlp: MLP, X: Any, Y: Any, conv: Conventions) -> tuple[np.ndarray, np.ndarray]:
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


def _layer(r: Row) -> str:
    return "" if r.layer is None else f"L{r.layer}"


def _table(rows: list[Row]) -> str:
    lines = [
        f"{'layer':<6}{'qty':<7}{'shape':<10}{'exact':<7}{'close':<7}{'max|Δ|':<9}{'max_rel':<9}{'norm_rel':<10}{'worst':<9}note"
    ]
    for r in rows:
        shape = str(tuple(r.shape)).replace(" ", "")
        worst = "" if r.worst is None else "(" + ",".join(map(str, r.worst)) + ")"
        lines.append(
            f"{_layer(r):<6}{r.quantity:<7}{shape:<10}{r.exact!s:<7}{r.close!s:<7}{r.max_abs:<9.1e}{r.max_rel:<9.1e}"
            f"{r.norm_rel:<10.1e}{worst:<9}{r.note}"
        )
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
