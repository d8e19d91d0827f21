"""The layer stepper: one backward pass of an MLP over a batch, equation by equation.

    from nn import MLP, LayerStepper
    model = MLP(2, [16, 16, 1], activation="tanh", seed=0)
    stepper = LayerStepper(model, X, y, loss="binary_cross_entropy")   # X: one sample per row
    stepper.steps[0].equation, stepper.steps[0].layer, stepper.steps[0].result
    stepper.save("layers.html")        # or just `stepper` in Jupyter

The steps are ``MatrixMLP.backward_steps``: BP1 (δ^L) at the output layer, then for each layer l
from the top ∂C/∂b^l (BP3), ∂C/∂W^l (BP4) and δ^{l-1} (BP2), each ``result`` in the layout of
the conventions; with ``lr=η`` they end with one step of gradient descent (``update``, one step
per layer and parameter: the new W^l = W^l − η ∂C/∂W^l, and b^l). ``scalar`` is the same quantity
read from the scalar graph of the same batch (one backward): δ^l[j, n] is the grad of sample n's
node z{l}[j], ∂C/∂W^l[j,k] the grad of W{l}[j,k]; ``max_abs_diff`` is the largest difference.

The page (``html``, ``save``; inline in Jupyter) is self-contained: no server, no network. Its
numbers travel as compact JSON (float64 arrays in base64; the scalar graph's numbers as their
distance in units in the last place from the matrix view's), and the browser draws the pictures:
small matrices with their numbers, larger ones as heatmaps, an input that is a square image (784
= 28×28) and each hidden unit's row of ∂C/∂W^1 as images. Any cell of any picture can be picked
(click, tap, or the arrow keys on a focused picture) to read its value in full, its node in the
scalar graph with its grad, and for a weight its chain rule. Built by ``autograd_core.page`` with
nn/assets/layers.css and layers.js; the DOM contract is in docs/architecture.md.
"""

from __future__ import annotations

import base64
import hashlib
import html
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd_core.dot import num_text, svg_picture
from autograd_core.page import StepPage, asset, build_page
from nn import labels
from nn.activations import ACTIVATIONS
from nn.cells import NEGATIVE, POSITIVE, SIGN_LEGEND, signed_color
from nn.equations import Operand, Step
from nn.labels import sup
from nn.matrix import MatrixMLP, conventions_for
from nn.module import MLP
from nn.passes import Views, views_of

VIEWS = ("neurons", "matrix")
MAX_UNITS = 1024
MAX_SAMPLES = 100
SATURATED = 0.1  # f'(z) below this fraction of f'(0), the largest slope of tanh and σ: saturated
_LOSS_NAMES = {
    "mse": "squared error",
    "cross_entropy": "softmax cross-entropy",
    "binary_cross_entropy": "binary cross-entropy",
    "hinge": "hinge loss",
}
_HEADINGS = {
    "BP1": "BP1 at the output layer {l}: the output error δ{s}",
    "BP2": "BP2 from layer {u} back to layer {l}: the error δ{s}",
    "BP3": "BP3 at layer {l}: the bias gradient ∂C/∂b{s}",
    "BP4": "BP4 at layer {l}: the weight gradient ∂C/∂W{s}",
    "update W": "Update at layer {l}: the new W{s}, a step of gradient descent",
    "update b": "Update at layer {l}: the new b{s}, a step of gradient descent",
}


@dataclass(frozen=True)
class LayerStep:
    """One equation of the backward pass (or of the update that follows it).

    equation: "BP1".."BP4" or "update"; layer: the l of what it computes, from 1; quantity:
    "delta", "db", "dW" (or "W", "b" for an update); result: that array, in the layout of the
    conventions; scalar: the same from the scalar graph; formula: the equation as written;
    operands: what the result is computed from, and the intermediates (``Operand``s: symbol, array).
    """

    equation: str
    layer: int
    quantity: str
    result: np.ndarray
    scalar: np.ndarray
    max_abs_diff: float
    formula: str
    operands: tuple[Operand, ...] = ()


class LayerStepper(StepPage):
    """One backward pass of ``model`` over the batch (X, Y), equation by equation, as a page.

    X holds one sample per row, (N, n_in); Y is (N, n_out), or (N,) class labels for
    cross-entropy, as for ``compare_gradients``, which also takes the same convention options:
    ``loss``, ``reduction``, ``preset`` and keywords such as ``mse_half``, ``layout``,
    ``w_layout``, ``relu_grad_at_zero``, ``fused``, ``l2``. ``view`` is "neurons" or "matrix";
    ``sample`` the sample shown first. ``lr``: end with one step of gradient descent at this
    learning rate (``update_biases=False`` leaves the biases, as Mazur's worked example does).
    The model is left as it was, grads included. Layers of up to 1,024 units and batches of up
    to 100 samples.

    Attributes:
        steps: ``LayerStep``s: BP1, then BP3, BP4, BP2 per layer from the top (then the updates).
        loss: the cost C of the batch, in full. conventions: the conventions used.
        html: the page (also ``to_html()``).
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
        lr: float | None = None,
        update_biases: bool = True,
        **conventions: Any,
    ) -> None:
        if not isinstance(model, MLP):
            raise TypeError(f"LayerStepper: expected an nn.MLP, got {type(model).__name__}")
        if view not in VIEWS:
            raise ValueError(f"view: expected one of {', '.join(map(repr, VIEWS))}, got {view!r}")
        conv = conventions_for(preset, loss=loss, reduction=reduction, **conventions)
        _check_size(model.sizes, np.shape(X)[0] if np.ndim(X) else 0)
        views = views_of(model, X, Y, conv, preset=preset, keep_grads=True)
        N = len(views.X)
        if not (isinstance(sample, int) and not isinstance(sample, bool) and 0 <= sample < N):
            raise ValueError(f"sample: expected an index in 0..{N - 1}, got {sample!r}")
        raw = list(views.matrix.steps)
        mm = MatrixMLP.from_mlp(model, conventions=conv)
        if lr is not None:
            raw += mm.update_steps(_gradients(views, conv), lr, biases=update_biases)
        self.conventions = conv
        self.view = view
        self.loss: float = views.matrix.loss  # type: ignore[assignment]
        scalars = [_scalar_of(views, conv, s, lr) for s in raw]
        self.steps = [
            LayerStep(s.equation, s.layer, s.quantity, s.result, sc, _max_diff(s.result, sc), s.formula, s.operands)
            for s, sc in zip(raw, scalars)
        ]
        samples = f"{N} sample{'s' if N > 1 else ''}"
        heading = title or f"Backprop through {model!r} on {samples}, {_LOSS_NAMES[conv.loss]} ({conv.reduction})"
        data = _page_data(views, conv, model.activations, raw, self.steps, view, sample, lr)
        page = {"title": heading, "data": data, "count": len(raw), "N": N, "sample": sample}
        self.html = _page(page, standalone=True)
        self._inline = _page(page, standalone=False)
        self._still = (heading, raw[0], len(raw))

    def still_svg(self) -> str:
        """Step 1 as a still picture, drawn here (no browser): its heading and equation, and its
        result, δ^L, as the page shows it (a heatmap, with its numbers while it is small)."""
        return _still(*self._still)

    def _repr_html_(self) -> str:
        """Inline in Jupyter: the stepper itself, in the notebook (no frame, no scroll of its own)."""
        return self._inline

    def __repr__(self) -> str:
        return f"LayerStepper({len(self.steps)} steps, view={self.view!r})"


def _check_size(sizes: list[int], n: int) -> None:
    """Refuse what does not fit on a page, naming something that works instead."""
    if max(sizes) > MAX_UNITS:
        raise ValueError(
            f"LayerStepper shows layers of up to {MAX_UNITS:,} units, got layers {sizes}; "
            "nn.compare_gradients(model, X, Y, ...) compares the two views of a network of any size, entry by entry"
        )
    if n > MAX_SAMPLES:
        raise ValueError(
            f"LayerStepper shows batches of up to {MAX_SAMPLES} samples, got {n}; "
            "step through a mini-batch of them: LayerStepper(model, X[:10], Y[:10], ...)"
        )


def _gradients(views: Views, conv: Any) -> Any:
    """The matrix view's gradients (in the layout of the conventions), as ``backward`` returned them."""
    from nn.matrix import Gradients

    m = views.matrix
    assert m.loss is not None
    delta = [conv.columns(d) for d in m.delta if d is not None]
    return Gradients(m.loss, delta, [conv.out_in(W) for W in m.dW], m.db, m.steps)


def _scalar_of(views: Views, c: Any, step: Step, lr: float | None) -> np.ndarray:
    """The step's quantity read from the scalar graph, laid out as the step's result."""
    s, l = views.scalar, step.layer
    if step.quantity == "delta":
        return c.columns(np.asarray(s.delta[l - 1]))
    if step.quantity == "dW":
        return c.out_in(s.dW[l - 1])
    if step.quantity == "db":
        assert s.db is not None
        return s.db[l - 1]
    assert lr is not None  # an update: the scalar graph's parameters moved by its own gradients
    if step.quantity == "W":
        return c.out_in(views.W[l - 1] - lr * s.dW[l - 1])
    assert s.db is not None and views.b is not None
    return views.b[l - 1] - lr * s.db[l - 1]


def _max_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b), initial=0.0))


# ---- the page's data: compact, and drawn in the browser ----------------------------------------


def _b64(M: np.ndarray, dtype: str) -> str:
    return base64.b64encode(np.ascontiguousarray(M, dtype=dtype).tobytes()).decode("ascii")


class _Arrays:
    """The page's arrays, each stored once: float64 in base64 (little-endian), the scalar graph's
    counterpart (when there is one) as int8 distances in ulps (-128: too far, its value listed in
    ``far``), and a new W^l or b^l of an update as the recipe ``W - lr * dW`` (the same two IEEE
    operations in the browser as in numpy, so the same bits)."""

    def __init__(self) -> None:
        self.table: dict[str, dict[str, Any]] = {}

    def add(self, M: np.ndarray, scalar: np.ndarray | None = None) -> str:
        M = np.ascontiguousarray(M, dtype=np.float64)
        key = hashlib.sha1(repr(M.shape).encode() + M.tobytes()).hexdigest()[:12]
        entry = self.table.setdefault(key, {"shape": list(M.shape), "f64": _b64(M, "<f8")})
        if scalar is not None and "ulps" not in entry:
            entry.update(_ulps(M, np.ascontiguousarray(scalar, dtype=np.float64)))
        return key

    def derived(self, new: np.ndarray, old: str, grad: str, lr: float, scalar: np.ndarray) -> str:
        key = self.add(new, scalar)
        self.table[key].pop("f64", None)
        self.table[key]["derive"] = [old, grad, lr]
        return key


def _ulps(M: np.ndarray, S: np.ndarray) -> dict[str, Any]:
    """S as int8 distances from M in units in the last place (same-sign floats are neighbours as
    int64 bit patterns); -128 marks a value too far or of the other sign, listed in ``far``."""
    m, s = M.reshape(-1).view(np.int64), S.reshape(-1).view(np.int64)
    with np.errstate(over="ignore"):
        d = s - m
    same = (m < 0) == (s < 0)
    near = same & (np.abs(d) <= 127)
    out = np.where(near, d, -128).astype(np.int8)
    return {"ulps": _b64(out, "i1"), "far": S.reshape(-1)[~near].tolist()}


def _image_side(n: int) -> int | None:
    """The side of a square image of n pixels (28 for 784, 8 for the 8×8 digits), or None."""
    side = math.isqrt(n)
    return side if side * side == n and side >= 8 else None


class _Page:
    """What the page shows, as data: the steps' pictures and the network's layers, over arrays."""

    def __init__(self, views: Views, c: Any, activations: list[str], lr: float | None) -> None:
        self.views, self.c, self.activations, self.lr = views, c, activations, lr
        self.arrays = _Arrays()
        self.rows, self.in_out = c.layout == "rows", c.w_layout == "in_out"
        self.sizes = [views.X.shape[1], *(len(w) for w in views.W)]
        self.side = _image_side(self.sizes[0])

    # the scalar graph's numbers for an operand or a result, laid out as it is (None: no number kept)
    def scalar_of(self, quantity: str, l: int) -> np.ndarray | None:
        s, c = self.views.scalar, self.c
        assert s.z is not None and s.a is not None
        if quantity == "delta":
            return c.columns(np.asarray(s.delta[l - 1]))
        if quantity == "a":
            return c.columns(s.a[l - 1])
        if quantity in ("back", "dCda"):  # ∂C/∂a^l: the grads of the nodes a{l}[j]
            return c.columns(s.a_grad[l - 1])
        if quantity == "dW":
            return c.out_in(s.dW[l - 1])
        if quantity == "db" and s.db is not None:
            return s.db[l - 1]
        return None

    def node(self, quantity: str, l: int) -> tuple[str, str] | None:
        """The scalar graph's node of a cell, as a template over the picture's indices {0}, {1}, and
        whether the picture holds its grad or its data (labels written by nn.labels)."""
        j = "{1}" if self.rows else "{0}"
        if quantity == "delta":
            return labels.pre_activation(l, j), "grad"
        if quantity == "a":
            f = self.activations[l - 1]
            return (labels.activation(l, j) if f != "linear" else labels.pre_activation(l, j)), "data"
        if quantity == "x":
            return labels.input_(j), "data"
        if quantity in ("dCda", "back"):
            f = self.activations[l - 1]
            return (labels.activation(l, j) if f != "linear" else labels.pre_activation(l, j)), "grad"
        if quantity in ("W", "dW"):
            w = labels.weight(l, "{1}", "{0}") if self.in_out else labels.weight(l, "{0}", "{1}")
            return w, "grad" if quantity == "dW" else "data"
        if quantity in ("b", "db"):
            return labels.bias(l, "{0}"), "grad" if quantity == "db" else "data"
        return None

    def picture(self, symbol: str, M: np.ndarray, samples: int | None, quantity: str, l: int) -> dict[str, Any]:
        """A picture of an array for the page: the array, its symbol, its sample axis, its image axis
        (an input that is a square image, or the rows of ∂C/∂W¹ over such an input), its node."""
        out: dict[str, Any] = {"a": self.arrays.add(M, self.scalar_of(quantity, l)), "sym": symbol, "samples": samples}
        if self.side is not None and quantity == "x":
            out["image"], out["gray"] = (1 if self.rows else 0), True
        elif self.side is not None and quantity in ("W", "dW") and l == 1:
            out["image"] = 0 if self.in_out else 1
        node = self.node(quantity, l)
        if node is not None:
            out["node"], out["what"] = node
        return out

    def step(self, k: int, n: int, s: Step, public: LayerStep) -> dict[str, Any]:
        l = s.layer
        operands = [self.picture(o.symbol, o.array, o.samples, o.quantity, o.layer) for o in s.operands]
        result = self.picture(
            s.symbol, s.result, operands[0]["samples"] if s.quantity == "delta" else None, s.quantity, l
        )
        if s.equation == "update":  # the new W^l or b^l: W - lr * dW in the browser, the bits numpy gets
            assert self.lr is not None
            result["a"] = self.arrays.derived(s.result, operands[0]["a"], operands[1]["a"], self.lr, public.scalar)
        else:
            self.arrays.add(s.result, public.scalar)
        if s.quantity == "dW":  # a weight's chain rule: Σ_n δ^l[j, n] a^{l-1}[k, n]
            result["chain"] = {
                "d": operands[0]["a"],
                "a": operands[1]["a"],
                "dSym": operands[0]["sym"],
                "aSym": operands[1]["sym"],
            }
            if self.c.l2:
                result["chain"]["penalty"] = self.arrays.add(self.c.out_in(2.0 * self.c.l2 * self.views.W[l - 1]))
        key = s.equation if s.equation != "update" else f"update {s.quantity}"
        scale = max(1.0, float(np.max(np.abs(public.scalar), initial=0.0)))
        return {
            "eq": s.equation,
            "layer": l,
            "quantity": s.quantity,
            "heading": f"Step {k} of {n} · " + _HEADINGS[key].format(l=l, s=sup(l), u=l + 1),
            "formula": s.formula,
            "side": _scalar_side(s.quantity, l, self.sizes, self.rows),
            "diff": public.max_abs_diff,
            "ok": public.max_abs_diff <= 1e-12 * scale,
            "result": result,
            "operands": operands,
        }

    def layers(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Each layer of the diagram: its size, its function, its arrays, when its δ and ∂C/∂W are known."""
        views, c = self.views, self.c
        m, s = views.matrix, views.scalar
        assert m.z is not None and m.a is not None and s.z is not None and s.a is not None
        x = self.picture("a⁰ = x", c.columns(views.X.T), 0 if self.rows else 1, "x", 0)
        out: list[dict[str, Any]] = [{"n": self.sizes[0], "f": "input", "pic": x, "image": self.side}]
        step_of = {(r["quantity"], r["layer"]): k for k, r in enumerate(records, start=1) if r["eq"] != "update"}
        for l in range(1, len(views.W) + 1):
            f = ACTIVATIONS[self.activations[l - 1]]
            out.append(
                {
                    "n": self.sizes[l],
                    "f": self.activations[l - 1],
                    "fp0": float(f.df(np.zeros(1), 0.0)[0]),
                    "saturates": f.saturates,
                    "z": self.arrays.add(c.columns(m.z[l - 1]), c.columns(s.z[l - 1])),
                    "a": self.arrays.add(c.columns(m.a[l - 1]), c.columns(s.a[l - 1])),
                    "fp": self.arrays.add(c.columns(m.fp[l - 1])),
                    "delta": records[step_of["delta", l] - 1]["result"]["a"],
                    "deltaStep": step_of["delta", l],
                    "dW": records[step_of["dW", l] - 1]["result"],
                    "dWStep": step_of["dW", l],
                    "zNode": labels.pre_activation(l, "{0}"),
                    "sym": {"d": f"δ{sup(l)}", "z": f"z{sup(l)}", "a": f"a{sup(l)}"},
                }
            )
        return out


def _still(title: str, step: Step, n: int) -> str:
    """The first step as an SVG: the page's title, the step's heading and formula, its result."""
    M = step.result.reshape(1, -1) if step.result.ndim == 1 else step.result
    rows, cols = M.shape
    numbers = rows <= 16 and cols <= 16
    w, h = (46.0, 16.0) if numbers else (max(2.0, min(14.0, 640.0 / cols)), max(2.0, min(14.0, 320.0 / rows)))
    largest = float(np.max(np.abs(M), initial=0.0))
    cells = []
    for i, row in enumerate(M.tolist()):
        for j, v in enumerate(row):
            x, y = 8 + j * w, 78 + i * h
            cells.append(f'<rect x="{x:g}" y="{y:g}" width="{w:g}" height="{h:g}" fill="{signed_color(v, largest)}"/>')
            if numbers:
                cells.append(f'<text x="{x + w - 3:g}" y="{y + 12:g}" text-anchor="end">{num_text(v)}</text>')
    heading = _HEADINGS[step.equation].format(l=step.layer, s=sup(step.layer), u=step.layer + 1)
    lines = [
        (14, "600", title),
        (34, "400", f"Step 1 of {n} · {heading}   (a still: run the cell, or open the saved page, to step)"),
        (56, "400", step.formula),
        (74, "400", f"{step.symbol} {tuple(step.result.shape)}"),
    ]
    text = "".join(
        f'<text x="8" y="{y}" font-weight="{weight}" font-size="{12 if y > 20 else 13}">{html.escape(t)}</text>'
        for y, weight, t in lines
    )
    width, height = max(16 + cols * w, 8.0 * max(len(t) for _, _, t in lines)), 86 + rows * h
    body = f'<g font-family="Helvetica, Arial, sans-serif" font-size="10" fill="#0f172a">{text}{"".join(cells)}</g>'
    return svg_picture(width, height, body)


def _scalar_side(quantity: str, l: int, sizes: list[int], rows: bool) -> str:
    """Where the scalar graph keeps the step's numbers: the grads of which nodes."""
    s, units, inputs = sup(l), sizes[l], sizes[l - 1]
    if quantity == "delta":
        column = "[n, :]" if rows else "[:, n]"
        return f"scalar graph: δ{s}{column} = the grads of sample n's nodes {_some(labels.pre_activation, l, units)}"
    if quantity == "db":
        return f"scalar graph: ∂C/∂b{s} = the grads of {_some(labels.bias, l, units)}"
    if quantity == "dW":
        first = f"{labels.weight(l, 0, 0)}, {labels.weight(l, 0, 1)}"
        return f"scalar graph: ∂C/∂W{s} = the grads of {first}, … ({units * inputs:,} nodes)"
    what = "W" if quantity == "W" else "b"
    return f"scalar graph: each {what}{l} node moved by −η times its own grad"


def _some(name: Any, l: int, n: int) -> str:
    return ", ".join(name(l, j) for j in range(min(n, 3))) + (", …" if n > 3 else "")


def _page_data(views: Views, c: Any, activations: list[str], raw: list[Step], steps: list[LayerStep],
               view: str, sample: int, lr: float | None) -> dict[str, Any]:  # fmt: skip
    page = _Page(views, c, activations, lr)
    records = [page.step(k, len(raw), s, p) for k, (s, p) in enumerate(zip(raw, steps), start=1)]
    plan = [{"eq": s.equation, "formula": s.formula} for s in raw]
    return {
        "N": len(views.X),
        "sizes": page.sizes,
        "rows": page.rows,
        "inOut": page.in_out,
        "sample": sample,
        "view": view,
        "loss": repr(float(views.matrix.loss or 0.0)),
        "reduction": c.reduction,
        "pos": list(POSITIVE),
        "neg": list(NEGATIVE),
        "legend": SIGN_LEGEND,
        "saturated": SATURATED,
        "plan": plan,
        "layers": page.layers(records),
        "steps": records,
        "arrays": page.arrays.table,
    }


_HINTS = {
    "neurons": "← → step (click the stepper first when it is inline) · Home/End first/last · click, tap or "
    "(on a focused picture) use the arrow keys to pick any cell: its value in full, its node in the scalar "
    "graph and, for a weight, its chain rule · boxes: δ of the chosen sample · edges: ∂C/∂W over the batch, "
    "thicker when larger · amber: saturated unit (f′(z) below 0.1 f′(0)) · dashed: dead ReLU (f′(z) = 0)",
    "matrix": "← → step (click the stepper first when it is inline) · Home/End first/last · click, tap or "
    "(on a focused picture) use the arrow keys to pick any cell: its value in full, its node in the scalar "
    "graph and, for a weight, its chain rule · each layer's δ, ∂C/∂b and ∂C/∂W fill in as their steps complete",
}


def _page(page: dict[str, Any], standalone: bool) -> str:
    data = page["data"]
    N, axis = page["N"], "row" if data["rows"] else "column"
    options = "".join(
        f'<option value="{n}"{" selected" if n == page["sample"] else ""}>sample {n} ({axis} {n})</option>'
        for n in range(N)
    )
    body = (
        '<div class="ag-main"><div class="ag-steppane"><div class="ag-focus"><div class="ag-heading ag-stephead"></div>'
        '<div class="ag-formula"></div><div class="ag-resultrow"><div class="ag-result"></div>'
        '<pre class="ag-readout" aria-live="polite"></pre></div></div><div class="ag-side"></div>'
        '<div class="ag-operands"></div></div><div class="ag-diagram"></div></div>'
    )
    return build_page(
        title=page["title"],
        kind=f"ag-layer-stepper ag-view-{data['view']}",
        count=page["count"],
        controls=f'  <select class="ag-sample" aria-label="the sample whose values are shown">{options}</select>',
        body=body,
        data=data,
        hint=html.escape(f"{_HINTS[data['view']]} · cells: {SIGN_LEGEND}"),
        style=asset("nn", "layers.css"),
        script=asset("nn", "layers.js"),
        standalone=standalone,
    )
