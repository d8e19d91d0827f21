"""The layer stepper: one backward pass of an MLP over a batch, equation by equation.

    from nn import MLP, LayerStepper
    model = MLP(2, [16, 16, 1], activation="tanh", seed=0)
    stepper = LayerStepper(model, X, y, loss="binary_cross_entropy")   # X: one sample per row
    stepper.steps[0].equation, stepper.steps[0].layer, stepper.steps[0].result
    stepper.save("layers.html")        # or just `stepper` in Jupyter

The steps are ``MatrixMLP.backward_steps``: BP1 (δ^L) at the output layer, then for each layer l
from the top ∂C/∂b^l (BP3), ∂C/∂W^l (BP4) and δ^{l-1} (BP2), each ``result`` in the layout of
the conventions. ``scalar`` is the same quantity read from the scalar graph of the same batch
(one backward): δ^l[j, n] is the grad of sample n's node z{l}[j], ∂C/∂W^l[j,k] the grad of
W{l}[j,k]; ``max_abs_diff`` is the largest difference of the two.

The page (``html``, ``save``, inline in Jupyter) is self-contained: no server, no network. It
shows each step's equation with the layer's symbols, its operands and result as heatmaps with
their numbers (when they fit) and shapes, the scalar graph's side for the chosen sample, and a
diagram: the neurons and edges (``view="neurons"``; edges coloured by the sign of ∂C/∂W and as
thick as its size, each neuron's δ filled in as its step completes, saturated and dead units
marked; click an edge for its chain rule) or every layer's matrices (``view="matrix"``).

The page is built by ``autograd_core.page`` (the template, stylesheet and controls shared with
the node stepper) with this page's own nn/assets/layers.css and layers.js, and keeps the DOM
contract of docs/architecture.md: here the current element is the layer's group of neurons, or
in the matrix view the step's result.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd_core.dot import num_text, svg_captioned
from autograd_core.page import StepPage, asset, build_page
from nn import labels
from nn.activations import ACTIVATIONS
from nn.labels import sup as _sup
from nn.matrix import Conventions, Operand, Step, conventions_for
from nn.matrix_picture import SIGN_LEGEND, signed_color
from nn.module import MLP
from nn.passes import Views, views_of

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
        views = views_of(model, X, Y, conv, preset=preset, keep_grads=True)
        N = len(views.X)
        _check_size(model.sizes, N)
        if not (isinstance(sample, int) and not isinstance(sample, bool) and 0 <= sample < N):
            raise ValueError(f"sample: expected an index in 0..{N - 1}, got {sample!r}")
        self.conventions = conv
        self.view = view
        net = _Net(views, conv, model.activations)
        raw = views.matrix.steps
        self.steps = [_public(net, s) for s in raw]
        samples = f"{N} sample{'s' if N > 1 else ''}"
        heading = title or f"Backprop through {model!r} on {samples}, {_LOSS_NAMES[conv.loss]} ({conv.reduction})"
        self.html = _page(heading, net, raw, self.steps, view, sample)
        self._net, self._raw, self._sample = net, raw, sample

    def still_svg(self) -> str:
        """The neuron diagram at the first step (BP1: the output layer's δ for the sample shown
        first), as the page draws it, under the step's heading; for either view."""
        return _still(self._net, self._raw, self._sample)

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
    """Both views of the batch (``Views``, in the column convention), and how to show them."""

    def __init__(self, views: Views, c: Conventions, activations: list[str]) -> None:
        scalar, matrix = views.scalar, views.matrix
        assert matrix.z is not None and matrix.a is not None and matrix.loss is not None
        self.c, self.scalar, self.matrix = c, scalar, matrix
        self.rows = c.layout == "rows"
        self.in_out = c.w_layout == "in_out"
        self.T = views.T  # (n_L, N): one-hot for cross-entropy, ±1 for the hinge
        self.A = [views.X.T, *matrix.a]  # a^0 = x, ..., a^L
        self.Z = matrix.z  # z^1, ..., z^L
        self.weights = views.W  # W^1, ..., W^L as (n_l, n_{l-1})
        self.L = len(views.W)
        self.N = len(views.X)
        self.sizes = [views.X.shape[1], *(len(b) for b in matrix.a)]
        self.activations = activations
        self.fp = matrix.fp  # f'(z^l), l = 1..L
        self.loss = matrix.loss
        self.delta_of = {s.layer: s.column for s in matrix.steps if s.quantity == "delta"}  # δ^l, columns
        self.dW_of = {s.layer: s.column for s in matrix.steps if s.quantity == "dW"}  # ∂C/∂W^l, (n_l, n_{l-1})

    def W(self, l: int) -> np.ndarray:
        """W^l as (n_l, n_{l-1})."""
        return self.weights[l - 1]

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
    return build_page(
        title=title,
        kind=f"ag-layer-stepper ag-view-{view}",
        count=len(raw),
        controls=f'  <select class="ag-sample" aria-label="the sample whose values are shown">{options}</select>',
        body=(
            f'<div class="ag-main">\n<div class="ag-diagram">{diagram}</div>\n<div class="ag-panel">\n'
            '<div class="ag-edge-info" hidden><div class="ag-heading"></div><pre class="ag-chain"></pre></div>\n'
            + "\n".join(panels)
            + "\n</div>\n</div>"
        ),
        data=data,
        hint=f"{_HINTS[view]} · cells: {SIGN_LEGEND}",
        style=asset("nn", "layers.css"),
        script=asset("nn", "layers.js"),
    )


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
    out["sym"] = {"d": f"δ{_sup(l)}", "a": f"a{_sup(l - 1)}" if l else "", "W": f"W{_sup(l)}", "dW": f"∂C/∂W{_sup(l)}"}
    if l == 0:
        out["af"] = net.A[0].tolist()
        return out
    s = net.scalar
    D, G = net.delta_of[l], np.asarray(s.delta[l - 1])
    dW, gW = net.dW_of[l], s.dW[l - 1]
    fp, marks = net.fp[l - 1], _marks(net, l)
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


def _marks(net: _Net, l: int) -> np.ndarray:
    """Each unit of layer l for each sample: "s" saturated, "d" a dead ReLU, "" neither."""
    f, fp = ACTIVATIONS[net.activations[l - 1]], net.fp[l - 1]
    if f.saturates:  # tanh, σ: f' → 0 for large |z|
        return np.where(fp < SATURATED * f.df(np.zeros(1), 0.0)[0], "s", "")
    return np.where(fp == 0.0, "d", "")  # ReLU: f' = 0 for z < 0, a dead unit for this sample; linear: never


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


# ---- the still picture of the first step: layers.css for the diagram, as SVG attributes ----

_UNIT = re.compile(
    r'<g class="ag-unit" data-l="(\d+)" data-j="(\d+)"><title></title>'
    r'<rect ([^>]*)/><text ([^>]*?)(?: class="ag-pending")?>'
)
_UNIT_FILL = {"": 'fill="#f8fafc"', "s": 'fill="#fde68a"', "d": 'fill="#cbd5e1" stroke-dasharray="3 2"'}
_STILL_STYLE = {
    'font-size="11">': 'font-size="11" font-family="ui-monospace, Menlo, Consolas, monospace" fill="#0f172a">',
    '<text class="ag-col" ': '<text font-family="Helvetica, Arial, sans-serif" font-weight="600" fill="#334155" ',
    '<line class="ag-line" ': '<line stroke="#cbd5e1" stroke-width="0.8" ',  # no edge is known at step 1
}


def _still(net: _Net, raw: list[Step], sample: int) -> str:
    """The neuron diagram as the page shows it at step 1, BP1: the output layer outlined, its δ filled in."""
    svg = re.sub(r'<line class="ag-hit" [^>]*/>', "", _neuron_svg(net, sample))
    for css, attributes in _STILL_STYLE.items():
        svg = svg.replace(css, attributes)
    marks = [np.zeros((net.sizes[0], net.N), dtype=str)] + [_marks(net, l) for l in range(1, net.L + 1)]
    deltas = iter(num_text(float(v)) for v in net.delta_of[net.L][:, sample])

    def unit(m: re.Match[str]) -> str:
        l, j = int(m[1]), int(m[2])
        mark = marks[l][j][sample]
        fill = 'fill="#94a3b8" stroke-dasharray="3 2"' if mark == "d" and all(marks[l][j] == "d") else _UNIT_FILL[mark]
        stroke = 'stroke="#ea580c" stroke-width="3"' if l == net.L else 'stroke="#94a3b8" stroke-width="1"'
        text = f"<text {m[4]}>" if l in (0, net.L) else f'<text {m[4]} fill="#94a3b8">'
        return f'<g class="ag-unit" data-l="{l}" data-j="{j}"><title></title><rect {m[3]} {fill} {stroke}/>{text}'

    svg = _UNIT.sub(unit, svg)
    head, _, tail = svg.partition(f'id="ag-layer-{net.L}"')  # the output layer's group is the last
    tail = re.sub(r">δ \?</text>", lambda m: f">δ {next(deltas)}</text>", tail)
    first = raw[0]
    heading = _HEADINGS[first.equation].format(l=first.layer, s=_sup(first.layer), u=first.layer + 1)
    caption = f"Step 1 of {len(raw)}: {heading}, sample {sample} (a still: the page steps through every step)"
    return svg_captioned(head + f'id="ag-layer-{net.L}"' + tail, caption)
