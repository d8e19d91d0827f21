"""The layer stepper: one backward pass of an MLP over a batch, equation by equation.

    from nn import MLP, LayerStepper
    model = MLP(2, [16, 16, 1], activation="tanh", seed=0)
    stepper = LayerStepper(model, X, y, loss="binary_cross_entropy")   # X: one sample per row
    stepper.steps[0].equation, stepper.steps[0].layer, stepper.steps[0].result
    stepper.save("layers.html")        # or just `stepper` in Jupyter

The steps are the matrix view's backward pass in the order it computes it: BP1 (δ^L) at the
output layer, then for each layer l from the top ∂C/∂b^l (BP3), ∂C/∂W^l (BP4) and δ^{l-1}
(BP2). Each step's ``result`` is the array that equation computes, in the layout of the
conventions (samples in columns or rows, W as (out, in) or (in, out)), and ``scalar`` is the
same quantity gathered from the scalar graph of the same batch (model.forward per sample, the
loss from nn.losses, one backward): δ^l[j, n] is the grad of sample n's node z{l}[j], and
∂C/∂W^l[j,k] the grad of W{l}[j,k]. ``max_abs_diff`` is the largest difference of the two.

The page (``html``, ``save``, inline in Jupyter) is self-contained: no server, no network. It
shows each step's equation with the layer's symbols, its operands and result as heatmaps with
their numbers (when they fit) and shapes, the scalar graph's side for the chosen sample, and a
diagram: the neurons and edges (``view="neurons"``; edges coloured by the sign of ∂C/∂W and as
thick as its size, each neuron's δ filled in as its step completes, saturated and dead units
marked; click an edge for its chain rule) or every layer's matrices (``view="matrix"``).

DOM contract, shared with autograd_core.stepper.Stepper (docs/architecture.md; tests rely on it):

- the root element ``.ag-stepper`` carries ``data-step`` (0 = before the first step) and
  ``data-current`` (the id of the current element);
- the element of the current step carries the class ``ag-current`` (exactly one, none at step 0):
  here the current layer's group of neurons, or in the matrix view the step's result;
- the buttons ``.ag-next`` and ``.ag-prev`` step, as do the ← / → keys (Home / End: first, last);
- this page also keeps its controls visible (sticky at the top) and scrolls the current element
  into view, below them, on every step.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd_core.dot import num_text
from autograd_core.stepper import StepPage, script_json
from nn import labels
from nn.activations import ACTIVATIONS
from nn.conventions import check_network, conventions_for
from nn.labels import sup as _sup
from nn.matrix import MatrixMLP, Operand, Step
from nn.matrix_picture import SIGN_LEGEND, signed_color
from nn.module import MLP
from nn.passes import Pass, check_batch, scalar_pass

VIEWS = ("neurons", "matrix")
MAX_UNITS = 64
MAX_SAMPLES = 64
SATURATED = 0.1  # f'(z) below this fraction of f'(0), the largest slope of tanh and σ: saturated
_LOSS_NAMES = {
    "mse": "squared error",
    "cross_entropy": "softmax cross-entropy",
    "binary_cross_entropy": "binary cross-entropy",
    "hinge": "hinge loss",
}


@dataclass(frozen=True)
class LayerStep:
    """One equation of the backward pass.

    equation: "BP1".."BP4"; layer: the l of what it computes (δ^l, ∂C/∂b^l or ∂C/∂W^l), from 1;
    result: that array, in the layout of the conventions; scalar: the same from the scalar graph;
    formula: the equation as written on the page.
    """

    equation: str
    layer: int
    result: np.ndarray
    scalar: np.ndarray
    max_abs_diff: float
    formula: str

    @property
    def quantity(self) -> str:
        """What the step computes: "delta" (δ^l), "db" (∂C/∂b^l) or "dW" (∂C/∂W^l)."""
        return {"BP1": "delta", "BP2": "delta", "BP3": "db", "BP4": "dW"}[self.equation]


class LayerStepper(StepPage):
    """One backward pass of ``model`` over the batch (X, Y), equation by equation, as a page.

    X holds one sample per row, (N, n_in); Y is (N, n_out), or (N,) class labels for
    cross-entropy, as for ``compare_gradients``, which also takes the same convention options:
    ``loss``, ``reduction``, ``preset`` and keywords such as ``mse_half``, ``layout``,
    ``w_layout``, ``relu_grad_at_zero``, ``fused``, ``l2``. ``view`` is "neurons" or "matrix";
    ``sample`` the sample shown first. The model's grads are left as they were.

    Attributes:
        steps: a list of ``LayerStep``: BP1, then BP3, BP4, BP2 per layer from the top.
        conventions: the conventions used; html: the page (also ``to_html()``).
    """

    def __init__(
        self,
        model: MLP,
        X: Any,
        Y: Any,
        *,
        loss: str | None = None,
        reduction: str | None = None,
        preset: str | None = None,
        view: str = "neurons",
        sample: int = 0,
        title: str = "",
        **conventions: Any,
    ) -> None:
        if not isinstance(model, MLP):
            raise TypeError(f"LayerStepper: expected an nn.MLP, got {type(model).__name__}")
        if view not in VIEWS:
            raise ValueError(f"view: expected one of {', '.join(map(repr, VIEWS))}, got {view!r}")
        conv = conventions_for(preset, loss=loss, reduction=reduction, **conventions)
        if preset is not None:
            check_network(model, preset)
        Xa, Ya = check_batch(model, X, Y, conv)
        _check_size(model.sizes, len(Xa))
        if not (isinstance(sample, int) and not isinstance(sample, bool) and 0 <= sample < len(Xa)):
            raise ValueError(f"sample: expected an index in 0..{len(Xa) - 1}, got {sample!r}")
        self.conventions = conv
        self.view = view
        saved = [p.grad for p in model.parameters()]
        try:
            scalar = scalar_pass(model, Xa, Ya, conv)
        finally:
            for p, g in zip(model.parameters(), saved):
                p.grad = g
        mm = MatrixMLP.from_mlp(model, conventions=conv)
        net = _Net(mm, Xa, Ya, scalar)
        raw = list(mm.backward_steps(net.targets))
        net.remember(raw)
        self.steps = [_public(net, s) for s in raw]
        samples = f"{len(Xa)} sample{'s' if len(Xa) > 1 else ''}"
        heading = title or f"Backprop through {model!r} on {samples}, {_LOSS_NAMES[conv.loss]} ({conv.reduction})"
        self.html = _page(heading, net, raw, self.steps, view, sample)

    def _repr_html_(self) -> str:
        """Inline in Jupyter: the page in a sandboxed iframe."""
        return self.iframe(820)

    def __repr__(self) -> str:
        return f"LayerStepper({len(self.steps)} steps, view={self.view!r})"


def _check_size(sizes: list[int], n: int) -> None:
    if max(sizes) > MAX_UNITS or n > MAX_SAMPLES:
        raise ValueError(
            f"LayerStepper: at most {MAX_UNITS} units per layer and {MAX_SAMPLES} samples fit on a page, "
            f"got layers {sizes} and {n} samples; step through a smaller network or batch"
        )


# ---- the numbers: both views of the batch, in the column convention ----------------------------


class _Net:
    """The matrix view after its forward pass, the scalar graph's view, and how to show them."""

    def __init__(self, mm: MatrixMLP, X: np.ndarray, Y: np.ndarray, scalar: Pass) -> None:
        c = mm.conventions
        self.mm, self.c, self.scalar = mm, c, scalar
        self.rows = c.layout == "rows"
        self.in_out = c.w_layout == "in_out"
        self.targets = Y if Y.ndim == 1 else c.columns(Y.T)
        mm.forward(c.columns(X.T))
        self.T = mm.targets(self.targets)  # (n_L, N): one-hot for cross-entropy, ±1 for hinge
        self.A = [c.columns(a) for a in mm.a]  # a^0 = x, ..., a^L
        self.Z = [c.columns(z) for z in mm.z]  # z^1, ..., z^L
        self.L = len(mm.weights)
        self.N = X.shape[0]
        self.sizes = mm.sizes
        self.activations = mm.activations
        self.fp = [mm.f_prime(l) for l in range(1, self.L + 1)]  # f'(z^l), l = 1..L
        self.loss = mm.loss(self.targets)
        self.delta_of: dict[int, np.ndarray] = {}  # δ^l and ∂C/∂W^l as the steps compute them (columns)
        self.dW_of: dict[int, np.ndarray] = {}

    def remember(self, steps: list[Step]) -> None:
        """Keep each δ^l and ∂C/∂W^l of the steps, in the column convention, for the diagram."""
        for s in steps:
            if s.quantity == "delta":
                self.delta_of[s.layer] = s.column
            elif s.quantity == "dW":
                self.dW_of[s.layer] = s.column

    def W(self, l: int) -> np.ndarray:
        """W^l as (n_l, n_{l-1})."""
        return self.mm.weight(l)

    def scalar_of(self, step: Step) -> np.ndarray:
        """The step's quantity read from the scalar graph, laid out as the step's result."""
        s, l = self.scalar, step.layer
        if step.quantity == "delta":
            return self.c.columns(np.asarray(s.delta[l - 1]))
        if step.quantity == "dW":
            return self.c.out_in(s.dW[l - 1])
        assert s.db is not None
        return s.db[l - 1]


def _public(net: _Net, step: Step) -> LayerStep:
    scalar = net.scalar_of(step)
    diff = float(np.max(np.abs(step.result - scalar), initial=0.0))
    return LayerStep(step.equation, step.layer, step.result, scalar, diff, step.formula)


# ---- the page -----------------------------------------------------------------------------------

_HINTS = {
    "neurons": "← → step · Home/End first/last · boxes: δ of the chosen sample, filled in as its step "
    "completes · edges: ∂C/∂W over the batch, red > 0, blue < 0, thicker when larger; click one "
    "for its chain rule · amber box: saturated unit (f′(z) below 0.1 f′(0)) · grey dashed box: dead ReLU "
    "(f′(z) = 0; darker: for every sample) · orange outline: the step's layer; dashed: the layer it reads",
    "matrix": "← → step · Home/End first/last · each layer's δ, ∂C/∂b and ∂C/∂W, filled in as their steps "
    "complete (orange: this step's result; hover a cell for its value) · outlined: the chosen sample",
}
_HEADINGS = {
    "BP1": "BP1 at the output layer {l}: the output error δ{s}",
    "BP2": "BP2 from layer {u} back to layer {l}: the error δ{s}",
    "BP3": "BP3 at layer {l}: the bias gradient ∂C/∂b{s}",
    "BP4": "BP4 at layer {l}: the weight gradient ∂C/∂W{s}",
}


def _page(title: str, net: _Net, raw: list[Step], steps: list[LayerStep], view: str, sample: int) -> str:
    step_of = {(p.quantity, p.layer): k for k, p in enumerate(steps, start=1)}
    delta_step = [0] + [step_of[("delta", l)] for l in range(1, net.L + 1)]  # when each δ^l is known
    dw_step = [0] + [step_of[("dW", l)] for l in range(1, net.L + 1)]
    records = [_record(k, s, view) for k, s in enumerate(raw, start=1)]
    panels = [_overview(net, raw)] + [_panel(k, len(raw), net, s, p) for k, (s, p) in enumerate(zip(raw, steps), 1)]
    diagram = _neuron_svg(net, sample) if view == "neurons" else _matrix_diagram(net, raw)
    data = {
        "N": net.N,
        "rows": net.rows,
        "inOut": net.in_out,
        "sample": sample,
        "steps": records,
        "deltaStep": delta_step,
        "dWStep": dw_step,
        "layers": [_layer_data(net, l) for l in range(net.L + 1)],
    }
    axis = "row" if net.rows else "column"
    options = "".join(
        f'<option value="{n}"{" selected" if n == sample else ""}>sample {n} ({axis} {n})</option>'
        for n in range(net.N)
    )
    values = {
        "title": html.escape(title),
        "view": view,
        "count": str(len(raw)),
        "options": options,
        "diagram": diagram,
        "panels": "\n".join(panels),
        "data": script_json(data),
        "hint": f"{_HINTS[view]} · cells: {SIGN_LEGEND}",
    }
    return re.sub(r"@(\w+)@", lambda m: values[m[1]], _TEMPLATE)


def _record(k: int, s: Step, view: str) -> dict[str, Any]:
    l = s.layer
    if view == "matrix":
        return {"eq": s.equation, "layer": l, "current": f"ag-r{k}", "source": "", "edges": 0}
    source = {"BP1": "", "BP2": f"ag-layer-{l + 1}", "BP3": "", "BP4": f"ag-layer-{l - 1}"}[s.equation]
    edges = {"BP1": 0, "BP2": l + 1, "BP3": 0, "BP4": l}[s.equation]
    return {"eq": s.equation, "layer": l, "current": f"ag-layer-{l}", "source": source, "edges": edges}


def _texts(M: np.ndarray) -> list[list[str]]:
    return [[num_text(float(v)) for v in row] for row in M.tolist()]


def _layer_data(net: _Net, l: int) -> dict[str, Any]:
    """What the page's script needs of layer l (a^0 = x for l = 0), indexed [unit][sample]."""
    out: dict[str, Any] = {"a": _texts(net.A[l])}
    if l == 0:
        out["af"] = net.A[0].tolist()
        return out
    s = net.scalar
    D, G = net.delta_of[l], np.asarray(s.delta[l - 1])
    dW, gW = net.dW_of[l], s.dW[l - 1]
    f = ACTIVATIONS[net.activations[l - 1]]
    fp = net.fp[l - 1]
    if f.saturates:  # tanh, σ: f' → 0 for large |z|
        marks = np.where(fp < SATURATED * f.df(np.zeros(1), 0.0)[0], "s", "")
    else:  # ReLU: f' = 0 for z < 0, a dead unit for this sample; linear: never
        marks = np.where(fp == 0.0, "d", "")
    terms = D[:, None, :] * net.A[l - 1][None, :, :]  # δ^l[j,n] a^{l-1}[k,n], summed over n by BP4
    out.update(
        {
            "z": _texts(net.Z[l - 1]),
            "fp": _texts(fp),
            "mark": marks.tolist(),
            "d": _texts(D),
            "g": _texts(G),
            "gf": G.tolist(),
            "df": D.tolist(),
            "dd": _texts(np.abs(D - G)),
            "zl": [labels.pre_activation(l, j) for j in range(net.sizes[l])],
            "wl": [[labels.weight(l, j, k) for k in range(net.sizes[l - 1])] for j in range(net.sizes[l])],
            "dW": _texts(dW),
            "dWf": dW.tolist(),
            "gWf": gW.tolist(),
            "t": [[[num_text(float(v)) for v in row] for row in unit] for unit in terms.tolist()],
            "pen": _texts(2.0 * net.c.l2 * net.W(l)) if net.c.l2 else None,
        }
    )
    return out


def _overview(net: _Net, raw: list[Step]) -> str:
    axis = "rows" if net.rows else "columns"
    items = "".join(f"<li><b>{s.equation}</b> {html.escape(s.formula)}</li>" for s in raw)
    return (
        '<section class="ag-step" data-k="0">'
        '<div class="ag-heading">Start: the forward pass is done; the backward pass is next</div>'
        f"<p>{net.N} sample{'s' if net.N > 1 else ''}, one per {axis[:-1]} (sample n is {axis[:-1]} n); "
        f"the loss C = {html.escape(num_text(net.loss))} ({html.escape(net.c.reduction)} over the batch). "
        f'The matrix view computes, in this order:</p><ol class="ag-plan">{items}</ol>'
        "<p>Each step shows its operands and result (hover a cell for its full value; "
        f"{html.escape(SIGN_LEGEND)}) beside the same numbers read from the scalar graph's grads.</p></section>"
    )


def _panel(k: int, n: int, net: _Net, s: Step, public: LayerStep) -> str:
    l = s.layer
    heading = _HEADINGS[s.equation].format(l=l, s=_sup(l), u=l + 1)
    result = _result(net, s)
    pictures = "".join(_figure(p) for p in s.operands)
    side = _scalar_side(net, public.quantity, l)
    scale = max(1.0, float(np.max(np.abs(public.scalar), initial=0.0)))
    ok = public.max_abs_diff <= 1e-12 * scale
    verdict = "✔ equal to 1e-12" if ok else "✘ differ by more than 1e-12"
    return (
        f'<section class="ag-step" data-k="{k}" hidden>'
        f'<div class="ag-heading">Step {k} of {n} · {html.escape(heading)}</div>'
        f'<div class="ag-formula">{html.escape(s.formula)}</div>'
        f'<div class="ag-side"><div>{html.escape(side)}; largest |matrix − scalar| in this step: '
        f"{public.max_abs_diff:.1e} {verdict}</div></div>"
        f'<div class="ag-pics">{_figure(result, "ag-result")}<span class="ag-arrow">←</span>{pictures}</div>'
        f"{_grads_table(net, s, public)}</section>"
    )


def _scalar_side(net: _Net, quantity: str, l: int) -> str:
    """Where the scalar graph keeps the step's numbers: the grads of which nodes."""
    s, units, inputs = _sup(l), net.sizes[l], net.sizes[l - 1]
    if quantity == "delta":
        column = "[n, :]" if net.rows else "[:, n]"
        nodes = _some([labels.pre_activation(l, j) for j in range(min(units, 3))], units)
        return f"scalar graph: δ{s}{column} = the grads of sample n's nodes {nodes}"
    if quantity == "db":
        return (
            f"scalar graph: ∂C/∂b{s} = the grads of {_some([labels.bias(l, j) for j in range(min(units, 3))], units)}"
        )
    nodes = _some([labels.weight(l, 0, k) for k in range(min(inputs, 2))], units * inputs)
    return f"scalar graph: ∂C/∂W{s} = the grads of {nodes}"


def _some(names: list[str], total: int) -> str:
    return ", ".join(names) + (", …" if total > len(names) else "")


def _grads_table(net: _Net, s: Step, public: LayerStep) -> str:
    """The scalar graph's grads beside the matrix view's numbers (δ steps: filled in per sample)."""
    if public.quantity == "delta":
        return f'<table class="ag-grads" data-layer="{s.layer}"></table>'
    if public.quantity == "dW":
        return "<p>Click an edge (a weight) in the diagram for its chain rule.</p>" if public.result.size else ""
    rows = "".join(
        f"<tr><td>{html.escape(labels.bias(s.layer, j))}.grad</td>{_num_td(g)}{_num_td(m)}"
        f"<td>{num_text(abs(m - g))}</td></tr>"
        for j, (g, m) in enumerate(zip(public.scalar.tolist(), public.result.tolist()))
    )
    return f'<table class="ag-grads"><tr><th>node</th><th>grad</th><th>matrix</th><th>|Δ|</th></tr>{rows}</table>'


def _num_td(x: float) -> str:
    return f'<td title="{x!r}">{num_text(x)}</td>'


def _figure(p: Operand, extra: str = "", numbers: bool = True) -> str:
    """A heatmap with its symbol and shape; the numbers are written in when they fit."""
    M = p.array.reshape(-1, 1) if p.array.ndim == 1 else p.array
    rows, cols = M.shape
    numbers = numbers and cols <= 10 and rows <= 24
    scale = float(np.max(np.abs(M), initial=0.0))
    symbol = html.escape(p.symbol)
    body = []
    for i, row in enumerate(M.tolist()):
        cells = []
        for j, v in enumerate(row):
            n = (j if p.samples == 1 else i) if p.samples is not None else None
            cls = f' class="n{n}"' if n is not None else ""
            text = num_text(v) if numbers else ""
            where = f"{i}" if p.array.ndim == 1 else f"{i},{j}"
            cells.append(
                f'<td{cls} style="background:{signed_color(v, scale)}" title="{symbol}[{where}] = {v!r}">{text}</td>'
            )
        body.append("<tr>" + "".join(cells) + "</tr>")
    shape = "(" + ", ".join(map(str, p.array.shape)) + ("," if p.array.ndim == 1 else "") + ")"
    kind = "ag-num" if numbers else "ag-dots"
    return (
        f'<figure class="ag-pic {extra}"><figcaption>{symbol} <span class="ag-shape">{shape}</span></figcaption>'
        f'<table class="ag-mat {kind}">{"".join(body)}</table></figure>'
    )


def _result(net: _Net, s: Step) -> Operand:
    """A step's result as a picture: its symbol, its array; for δ, the axis of the samples."""
    return Operand(s.symbol, s.result, (0 if net.rows else 1) if s.quantity == "delta" else None)


def _matrix_diagram(net: _Net, raw: list[Step]) -> str:
    """Every layer's δ, ∂C/∂b and ∂C/∂W, output layer first, each filled in by its step."""
    by_layer: dict[int, list[str]] = {}
    for k, s in enumerate(raw, start=1):
        figure = _figure(_result(net, s), numbers=False)  # the panel has the numbers
        holder = f'<div class="ag-holder ag-pending" id="ag-r{k}" data-done="{k}">{figure}</div>'
        by_layer.setdefault(s.layer, []).append(holder)
    rows = [
        f'<div class="ag-mrow"><div class="ag-mlabel">layer {l}<br>{html.escape(net.activations[l - 1])}</div>'
        + "".join(by_layer[l])
        + "</div>"
        for l in range(net.L, 0, -1)
    ]
    return '<div class="ag-matrices">' + "".join(rows) + "</div>"


# ---- the neuron diagram: SVG computed here, so nothing depends on the browser's layout ----------

_BOX_W, _BOX_H, _GAP_Y, _GAP_X, _LEFT, _TOP = 84, 20, 26, 150, 12, 34


def _unit_xy(net: _Net, l: int, j: int) -> tuple[float, float]:
    tallest = max(net.sizes)
    return _LEFT + l * _GAP_X, _TOP + (tallest - net.sizes[l]) * _GAP_Y / 2 + j * _GAP_Y


def _neuron_svg(net: _Net, sample: int) -> str:
    width = 2 * _LEFT + net.L * _GAP_X + _BOX_W
    height = _TOP + max(net.sizes) * _GAP_Y + 6
    largest = max(float(np.max(np.abs(net.dW_of[l]), initial=0.0)) for l in range(1, net.L + 1))
    parts = [
        f'<svg class="ag-net" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-size="11">'
    ]
    for l in range(1, net.L + 1):
        parts.append(f'<g class="ag-edges" data-l="{l}">')
        dW = net.dW_of[l]
        for j in range(net.sizes[l]):
            x2, y2 = _unit_xy(net, l, j)
            for k in range(net.sizes[l - 1]):
                x1, y1 = _unit_xy(net, l - 1, k)
                g = float(dW[j, k])
                color = signed_color(g, abs(g)) if g else "#94a3b8"
                w = 0.6 + 4.4 * abs(g) / largest if largest else 0.6
                line = f'x1="{x1 + _BOX_W:g}" y1="{y1 + _BOX_H / 2:g}" x2="{x2:g}" y2="{y2 + _BOX_H / 2:g}"'
                label = html.escape(labels.weight(l, j, k))
                entry = f"[{k},{j}]" if net.in_out else f"[{j},{k}]"
                parts.append(
                    f'<g class="ag-edge" data-l="{l}" data-j="{j}" data-k="{k}" style="--c:{color};--w:{w:.2f}px">'
                    f"<title>{label}: ∂C/∂W{_sup(l)}{entry} = {g!r} (click: its chain rule)</title>"
                    f'<line class="ag-hit" {line}/><line class="ag-line" {line}/></g>'
                )
        parts.append("</g>")
    for l in range(net.L + 1):
        x, _ = _unit_xy(net, l, 0)
        name = "input x = a⁰" if l == 0 else f"layer {l} · {net.activations[l - 1]}"
        parts.append(
            f'<g class="ag-layer" id="ag-layer-{l}" data-l="{l}">'
            f'<text class="ag-col" x="{x + _BOX_W / 2:g}" y="{_TOP - 12}" text-anchor="middle">'
            f"{html.escape(name)}</text>"
        )
        for j in range(net.sizes[l]):
            ux, uy = _unit_xy(net, l, j)
            text = num_text(float(net.A[0][j, sample])) if l == 0 else "δ ?"
            pending = "" if l == 0 else ' class="ag-pending"'
            parts.append(
                f'<g class="ag-unit" data-l="{l}" data-j="{j}"><title></title>'
                f'<rect x="{ux:g}" y="{uy:g}" width="{_BOX_W}" height="{_BOX_H}" rx="4"/>'
                f'<text x="{ux + _BOX_W / 2:g}" y="{uy + 14:g}" text-anchor="middle"{pending}>{text}</text></g>'
            )
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>@title@</title>
<style>
  body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #0f172a; }
  .ag-stepper { padding: 0 16px 12px; }
  .ag-bar { position: sticky; top: 0; z-index: 5; background: #fff; padding: 10px 0 8px;
    border-bottom: 1px solid #e2e8f0; }
  .ag-bar h1 { font-size: 16px; margin: 0 0 6px; }
  .ag-controls { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
  .ag-controls button, .ag-controls select { font: inherit; padding: 3px 12px; border: 1px solid #94a3b8;
    border-radius: 6px; background: #f8fafc; cursor: pointer; }
  .ag-controls button:disabled { opacity: 0.4; cursor: default; }
  .ag-slider { flex: 1; min-width: 120px; max-width: 360px; }
  .ag-position { font-variant-numeric: tabular-nums; min-width: 56px; }
  .ag-main { display: flex; flex-wrap: wrap; gap: 20px; align-items: flex-start; margin-top: 10px; }
  .ag-diagram { flex: 0 1 auto; max-width: 100%; overflow-x: auto; }
  .ag-panel { flex: 1 1 420px; min-width: 340px; overflow-x: auto; }
  .ag-heading { font-weight: 600; }
  .ag-step p { margin: 6px 0; }
  .ag-plan { margin: 4px 0; padding-left: 24px; font: 13px/1.6 ui-monospace, Menlo, Consolas, monospace; }
  .ag-formula { font: 16px/1.5 ui-monospace, Menlo, Consolas, monospace; margin: 6px 0 8px; padding: 4px 10px;
    background: #f8fafc; border-left: 4px solid #f59e0b; }
  .ag-pics { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
  .ag-pic { margin: 0; }
  .ag-pic figcaption { font: 12px ui-monospace, Menlo, Consolas, monospace; margin-bottom: 2px; white-space: nowrap; }
  .ag-result figcaption { font-weight: 700; }
  .ag-shape { color: #64748b; font-weight: 400; }
  .ag-arrow { align-self: center; font-size: 20px; color: #64748b; }
  .ag-mat { border-collapse: collapse; font: 10px/1 ui-monospace, Menlo, Consolas, monospace; }
  .ag-mat td { border: 1px solid #e2e8f0; padding: 0; }
  .ag-num td { min-width: 40px; height: 15px; padding: 0 3px; text-align: right; }
  .ag-dots td { width: 10px; height: 10px; }
  .ag-mat td.ag-sel { outline: 2px solid #0f172a; outline-offset: -2px; }
  .ag-dots td.ag-sel { outline-width: 1px; outline-offset: -1px; }
  .ag-side { margin: 0 0 8px; font-size: 13px; color: #334155; }
  .ag-grads { border-collapse: collapse; font: 12px/1.3 ui-monospace, Menlo, Consolas, monospace; margin-top: 10px; }
  .ag-grads td, .ag-grads th { padding: 1px 8px; text-align: right; border-bottom: 1px solid #f1f5f9; }
  .ag-grads td:first-child, .ag-grads th:first-child { text-align: left; }
  .ag-edge-info { margin: 0 0 10px; padding: 6px 10px; background: #f8fafc; border-left: 4px solid #0f172a; }
  .ag-chain { margin: 4px 0 0; font: 12px/1.5 ui-monospace, Menlo, Consolas, monospace; white-space: pre-wrap; }
  svg.ag-net text { font-family: ui-monospace, Menlo, Consolas, monospace; fill: #0f172a; }
  svg.ag-net text.ag-col { font-family: system-ui, Helvetica, Arial, sans-serif; font-weight: 600; fill: #334155; }
  svg.ag-net text.ag-pending { fill: #94a3b8; }
  .ag-unit rect { fill: #f8fafc; stroke: #94a3b8; stroke-width: 1px; }
  .ag-unit.ag-sat rect { fill: #fde68a; }
  .ag-unit.ag-dead rect { fill: #cbd5e1; stroke-dasharray: 3 2; }
  .ag-unit.ag-dead-always rect { fill: #94a3b8; }
  .ag-layer.ag-current .ag-unit rect { stroke: #ea580c; stroke-width: 3px; }
  .ag-layer.ag-source .ag-unit rect { stroke: #ea580c; stroke-width: 1.5px; stroke-dasharray: 4 2; }
  .ag-edge .ag-line { stroke: #cbd5e1; stroke-width: 0.8px; }
  .ag-edges.ag-known .ag-line { stroke: var(--c); stroke-width: var(--w); }
  .ag-edges.ag-active:not(.ag-known) .ag-line { stroke: #ea580c; }
  .ag-edge .ag-hit { stroke: transparent; stroke-width: 7px; cursor: pointer; }
  .ag-dim .ag-edges:not(.ag-active) { opacity: 0.15; }
  .ag-edge.ag-picked .ag-line { stroke: #0f172a; stroke-width: 3px; }
  .ag-matrices { display: flex; flex-direction: column; gap: 12px; }
  .ag-mrow { display: flex; gap: 10px; align-items: flex-start; }
  .ag-mlabel { flex: none; width: 64px; font-weight: 600; }
  .ag-holder { padding: 3px; border: 3px solid transparent; border-radius: 6px; }
  .ag-holder.ag-current { border-color: #ea580c; }
  .ag-holder.ag-pending td { background: #f1f5f9 !important; color: transparent; }
  .ag-hint { color: #64748b; font-size: 12px; margin-top: 10px; }
</style>
</head>
<body>
<div class="ag-stepper ag-layer-stepper" tabindex="0" data-step="0" data-current="" data-view="@view@">
<div class="ag-bar">
<h1>@title@</h1>
<div class="ag-controls">
  <button type="button" class="ag-prev" title="previous step (←)">◀ Prev</button>
  <button type="button" class="ag-next" title="next step (→)">Next ▶</button>
  <input type="range" class="ag-slider" min="0" max="@count@" value="0" aria-label="step">
  <span class="ag-position">0 / @count@</span>
  <select class="ag-sample" aria-label="the sample whose values are shown">@options@</select>
</div>
</div>
<div class="ag-main">
<div class="ag-diagram">@diagram@</div>
<div class="ag-panel">
<div class="ag-edge-info" hidden><div class="ag-heading"></div><pre class="ag-chain"></pre></div>
@panels@
</div>
</div>
<div class="ag-hint">@hint@</div>
<script type="application/json" class="ag-data">@data@</script>
<script>
(function () {
  "use strict";
  var root = document.currentScript.closest(".ag-stepper");
  var data = JSON.parse(root.querySelector(".ag-data").textContent);
  var steps = data.steps, n = steps.length, position = 0, sample = data.sample, picked = null;
  var $ = function (s) { return root.querySelector(s); };
  var all = function (s) { return Array.prototype.slice.call(root.querySelectorAll(s)); };
  var byId = function (id) { return root.querySelector('[id="' + id + '"]'); };
  var slider = $(".ag-slider"), bar = $(".ag-bar");
  // indices as the conventions lay the arrays out: samples in columns or rows, W as (out, in) or (in, out)
  var at = function (unit, n) { return "[" + (data.rows ? n + "," + unit : unit + "," + n) + "]"; };
  var wAt = function (j, k) { return "[" + (data.inOut ? k + "," + j : j + "," + k) + "]"; };
  var sup = function (x) { return String(x).replace(/[0-9]/g, function (c) { return "⁰¹²³⁴⁵⁶⁷⁸⁹"[c]; }); };

  function span(text, full) {
    var e = document.createElement("span");
    e.textContent = text;
    if (full !== undefined) e.title = String(full);
    return e;
  }

  function units() {
    all(".ag-unit").forEach(function (g) {
      var l = +g.dataset.l, j = +g.dataset.j, L = data.layers[l];
      var text = g.querySelector("text"), title = g.querySelector("title");
      if (l === 0) {
        text.textContent = L.a[j][sample];
        title.textContent = "input " + j + " of sample " + sample + ": a⁰" + at(j, sample) + " = " + L.af[j][sample];
        return;
      }
      var known = position >= data.deltaStep[l], mark = L.mark[j][sample];
      text.textContent = known ? "δ " + L.d[j][sample] : "δ ?";
      text.classList.toggle("ag-pending", !known);
      var deadAlways = L.mark[j].every(function (m) { return m === "d"; });
      g.classList.toggle("ag-sat", mark === "s");
      g.classList.toggle("ag-dead", mark === "d");
      g.classList.toggle("ag-dead-always", deadAlways);
      title.textContent = L.zl[j] + ", sample " + sample + ": z = " + L.z[j][sample] + ", a = " + L.a[j][sample] +
        ", f′(z) = " + L.fp[j][sample] + (mark === "s" ? " (saturated: small f′)" : "") +
        (mark === "d" ? " (dead ReLU: f′ = 0" + (deadAlways ? " for every sample of the batch)" : ")") : "") +
        (known ? "; δ = grad of " + L.zl[j] + " = " + L.df[j][sample] : "; δ not computed yet");
    });
  }

  function gradsTable(table) {
    var l = +table.dataset.layer, L = data.layers[l];
    table.textContent = "";
    var head = table.insertRow();
    ["node, sample " + sample, "grad", "δ" + sup(l) + at("j", sample), "|Δ|"].forEach(function (h) {
      var th = document.createElement("th");
      th.textContent = h;
      head.appendChild(th);
    });
    L.zl.forEach(function (label, j) {
      var row = table.insertRow();
      row.insertCell().textContent = label + ".grad";
      row.insertCell().appendChild(span(L.g[j][sample], L.gf[j][sample]));
      row.insertCell().appendChild(span(L.d[j][sample], L.df[j][sample]));
      row.insertCell().textContent = L.dd[j][sample];
    });
  }

  function chain() {
    var box = $(".ag-edge-info");
    all(".ag-edge.ag-picked").forEach(function (e) { e.classList.remove("ag-picked"); });
    if (!picked) { box.hidden = true; return; }
    picked.el.classList.add("ag-picked");
    var l = picked.l, j = picked.j, k = picked.k, L = data.layers[l], P = data.layers[l - 1];
    var d = "δ" + sup(l), a = "a" + sup(l - 1), w = "∂C/∂W" + sup(l) + wAt(j, k);
    box.hidden = false;
    box.querySelector(".ag-heading").textContent = L.wl[j][k] + ": its gradient by the chain rule";
    var pre = box.querySelector(".ag-chain"), add = function (t, full) { pre.appendChild(span(t, full)); };
    pre.textContent = "";
    add(w + " = Σₙ " + d + at(j, "n") + " · " + a + at(k, "n") + "   (n = 0.." + (data.N - 1) + ")\\n  = ");
    var terms = L.t[j][k], shown = terms.length <= 12 ? terms.length : 8;
    for (var i = 0; i < shown; i++) {
      var t = terms[i], neg = t.charAt(0) === "-";
      add(i === 0 ? t : (neg ? " − " + t.slice(1) : " + " + t));
    }
    if (shown < terms.length) add(" + … (" + (terms.length - shown) + " more terms)");
    if (L.pen) add("\\n  + 2λ W" + sup(l) + wAt(j, k) + " = " + L.pen[j][k]);
    add("\\n  = ");
    add(L.dW[j][k], L.dWf[j][k]);
    add("\\nsample " + sample + ": " + d + at(j, sample) + " · " + a + at(k, sample) + " = ");
    add(L.d[j][sample], L.df[j][sample]);
    add(" × " + P.a[k][sample] + " = " + terms[sample]);
    add("\\nscalar graph: " + L.wl[j][k] + ".grad = " + L.gWf[j][k] + "   (|Δ| = " +
      Math.abs(L.gWf[j][k] - L.dWf[j][k]).toExponential(1) + ")");
  }

  function refresh() {
    units();
    all("td.ag-sel").forEach(function (e) { e.classList.remove("ag-sel"); });
    all("td.n" + sample).forEach(function (e) { e.classList.add("ag-sel"); });
    var table = $('.ag-step[data-k="' + position + '"] .ag-grads[data-layer]');
    if (table) gradsTable(table);
    chain();
  }

  function reveal(el) {
    el.scrollIntoView({ block: "nearest", inline: "nearest" });
    var r = el.getBoundingClientRect(), top = bar.getBoundingClientRect().bottom + 4;
    var bottom = window.innerHeight - 4;
    if (r.top < top) window.scrollBy(0, r.top - top);
    else if (r.bottom > bottom) window.scrollBy(0, Math.min(r.bottom - bottom, r.top - top));
  }

  function show(k) {
    position = Math.max(0, Math.min(n, k));
    var record = position ? steps[position - 1] : null;
    all(".ag-step").forEach(function (s) { s.hidden = +s.dataset.k !== position; });
    all(".ag-current, .ag-source").forEach(function (el) { el.classList.remove("ag-current", "ag-source"); });
    all(".ag-holder").forEach(function (h) { h.classList.toggle("ag-pending", +h.dataset.done > position); });
    all(".ag-edges").forEach(function (g) {
      var l = +g.dataset.l;
      g.classList.toggle("ag-known", position >= data.dWStep[l]);
      g.classList.toggle("ag-active", !!record && record.edges === l);
    });
    root.classList.toggle("ag-dim", !!(record && record.edges));
    var current = record ? byId(record.current) : null;
    if (current) current.classList.add("ag-current");
    if (record && record.source) byId(record.source).classList.add("ag-source");
    refresh();
    $(".ag-position").textContent = position + " / " + n;
    slider.value = String(position);
    root.setAttribute("data-step", String(position));
    root.setAttribute("data-current", record ? record.current : "");
    $(".ag-prev").disabled = position === 0;
    $(".ag-next").disabled = position === n;
    if (current) reveal(current);
  }

  $(".ag-prev").addEventListener("click", function () { show(position - 1); });
  $(".ag-next").addEventListener("click", function () { show(position + 1); });
  slider.addEventListener("input", function () { show(parseInt(slider.value, 10)); });
  $(".ag-sample").addEventListener("change", function (e) { sample = +e.target.value; refresh(); });
  root.addEventListener("click", function (e) {
    var edge = e.target.closest && e.target.closest(".ag-edge");
    if (!edge) return;
    picked = { el: edge, l: +edge.dataset.l, j: +edge.dataset.j, k: +edge.dataset.k };
    chain();
  });
  document.addEventListener("keydown", function (e) {
    // The slider and the sample picker handle their own keys; with several steppers on a page,
    // only the focused one listens.
    if (e.target === slider || e.target.tagName === "SELECT" || e.altKey || e.ctrlKey || e.metaKey) return;
    if (document.querySelectorAll(".ag-stepper").length > 1 && !root.contains(document.activeElement)) return;
    var moves = { ArrowRight: position + 1, ArrowLeft: position - 1, Home: 0, End: n };
    if (!(e.key in moves)) return;
    e.preventDefault();
    show(moves[e.key]);
  });
  show(0);
})();
</script>
</div>
</body>
</html>
"""
