"""The matrix picture of an MLP: z^l = W^l a^{l-1} + b^l, a^l = f_l(z^l), with δ^l and ∂C/∂W^l,
every matrix a heatmap with its numbers; ``draw_matrix`` draws it from arrays, ``draw_mlp(view=
"matrix")`` from a graph.

Signed numbers have one colour rule everywhere in this library (these drawings and the layer
stepper): red for positive, blue for negative, white at 0, the darker the larger |value| within
each matrix. ``SIGN_LEGEND`` says so, and every picture that uses the rule shows it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from autograd_core.dot import COLORS, RANKDIRS, check_choice, digraph, dot_quote, html_text, num_text
from autograd_core.inputs import short as _short
from autograd_core.value import Value
from nn.labels import sup
from nn.mlp_graph import MLPNodes

if TYPE_CHECKING:
    import graphviz  # type: ignore[import-untyped]

POSITIVE = (214, 96, 77)
"""The colour of the largest positive value (ColorBrewer's RdBu red); 0 is white."""

NEGATIVE = (67, 147, 195)
"""The colour of the largest negative value (ColorBrewer's RdBu blue)."""

SIGN_LEGEND = "red > 0, blue < 0, white 0; the darker, the larger |value| (within each matrix)"
"""The colour rule of signed numbers, as every picture that uses it states it."""


def signed_color(v: float, largest: float) -> str:
    """The colour of ``v`` in a picture whose largest |value| is ``largest``: white at 0, the full
    POSITIVE or NEGATIVE colour at ±largest, in between by |v| / largest."""
    if largest == 0 or v == 0:
        return "#ffffff"
    t = min(1.0, abs(v) / largest)
    rgb = POSITIVE if v > 0 else NEGATIVE
    return "#{:02x}{:02x}{:02x}".format(*(round(255 + (c - 255) * t) for c in rgb))


class _HasToList(Protocol):
    def tolist(self) -> Any: ...


ArrayLike = Sequence[float] | Sequence[Sequence[float]] | _HasToList
"""A vector or matrix of numbers: nested sequences, or anything with ``tolist()`` (numpy arrays)."""


def draw_matrix(
    weights: Sequence[ArrayLike],
    biases: Sequence[ArrayLike | None] | None,
    a: Sequence[ArrayLike],
    *,
    activations: Sequence[str],
    deltas: Sequence[ArrayLike] | None = None,
    weight_grads: Sequence[ArrayLike] | None = None,
    loss: float | None = None,
    rankdir: str | None = None,
) -> graphviz.Digraph:
    """The matrix view of an MLP: z^l = W^l a^{l-1} + b^l, a^l = f_l(z^l), and δ^l, dW^l.

    Args (layers l = 1..L; a vector may also be a matrix with one column per sample):
        weights: W^1..W^L, W^l of shape (n_l, n_{l-1}).
        biases: b^1..b^L, each of shape (n_l,), or None for a layer (or a net) without biases.
        a: the layers' values a^0 = x, a^1, ..., a^L (L + 1 of them).
        activations: the functions f_1..f_L by name ("tanh", "relu", "sigmoid", "linear", ...).
        deltas: δ^1..δ^L = dC/dz^l, or None before backprop.
        weight_grads: dC/dW^1..dC/dW^L, or None.
        loss: the cost C, drawn as the last box.
        rankdir: "LR" (layers left to right), "TB" (top to bottom), or None: left to right
            unless that row would be wider than a screen (SCREEN_WIDTH pixels).

    Matrices are heatmaps (red > 0, blue < 0, darker for a larger |entry|): with their numbers up
    to NUMBERS_UP_TO (16) rows and columns, without up to HEATMAP_UP_TO (64), and beyond that as
    their shape and norm.

    Example::

        >>> g = draw_matrix([[[0.5, -1.0]]], [[0.1]], [[1.0, 2.0], [-1.4]], activations=["linear"])
        >>> "W¹" in g.source
        True
    """
    if rankdir is not None:
        check_choice("rankdir", rankdir, RANKDIRS)
    net = MatrixNet.checked(weights, biases, a, activations, deltas, weight_grads, loss)
    return digraph(matrix_rankdir(net, rankdir), matrix_view(net))


@dataclass(frozen=True)
class MatrixNet:
    weights: list[list[list[float]]]
    biases: list[list[list[float]] | None]
    a: list[list[list[float]]]
    activations: list[str]
    deltas: list[list[list[float]]] | None
    weight_grads: list[list[list[float]]] | None
    loss: float | None
    loss_name: str = ""  # the loss node's label: a caption under C in the loss box, never inside ∂C/∂...

    @staticmethod
    def checked(
        weights: Sequence[ArrayLike],
        biases: Sequence[ArrayLike | None] | None,
        a: Sequence[ArrayLike],
        activations: Sequence[str],
        deltas: Sequence[ArrayLike] | None,
        weight_grads: Sequence[ArrayLike] | None,
        loss: float | None,
        loss_name: str = "",
    ) -> MatrixNet:
        """The arguments of draw_matrix as lists of rows, after checking every shape."""
        n_layers = len(weights)
        if n_layers == 0:
            raise ValueError("draw_matrix: expected at least one weight matrix, got none")
        ws = [_matrix(w, f"weights[{i}]", ndim=2) for i, w in enumerate(weights)]
        sizes = [len(ws[0][0])] + [len(w) for w in ws]
        for i, w in enumerate(ws):
            _expect_shape(f"weights[{i}] (W^{i + 1})", w, (sizes[i + 1], sizes[i]))
        _expect_count("a", a, n_layers + 1, "a^0 = x, then one per layer")
        values = [_matrix(a_l, f"a[{i}]") for i, a_l in enumerate(a)]
        samples = len(values[0][0])
        for i, a_l in enumerate(values):
            _expect_shape(f"a[{i}] (a^{i})", a_l, (sizes[i], samples))
        _expect_count("activations", activations, n_layers, "one per layer")
        bs = None if biases is None else _vectors("biases", biases, sizes[1:], 1)
        ds = None if deltas is None else _vectors("deltas", deltas, sizes[1:], samples)
        gs = None
        if weight_grads is not None:
            _expect_count("weight_grads", weight_grads, n_layers, "one per layer")
            gs = [_matrix(g, f"weight_grads[{i}]", ndim=2) for i, g in enumerate(weight_grads)]
            for i, g in enumerate(gs):
                _expect_shape(f"weight_grads[{i}] (dW^{i + 1})", g, (sizes[i + 1], sizes[i]))
        return MatrixNet(ws, bs or [None] * n_layers, values, [str(f) for f in activations], ds, gs, loss, loss_name)


def matrix_net_of(mlp: MLPNodes, grads_known: bool) -> MatrixNet:
    """The matrices of an MLP graph: its numbers gathered into the matrices of each layer."""
    layers = mlp.layers
    weights = [[[w.data for w in row] for row in layer.weights] for layer in layers]
    biases = [_data(layer.biases) for layer in layers]
    a = [layers[0].inputs] + [[v.data for v in (layer.a or layer.z)] for layer in layers]
    deltas = [[z.grad for z in layer.z] for layer in layers] if grads_known else None
    grads = [[[w.grad for w in row] for row in layer.weights] for layer in layers] if grads_known else None
    loss = None if mlp.loss is None else mlp.loss.data
    net = MatrixNet.checked(
        weights,
        biases,
        a,
        [layer.activation for layer in layers],
        deltas,
        grads,
        loss,
        mlp.loss.label if mlp.loss is not None else "",
    )
    return net


def _data(nodes: list[Value | None]) -> list[float] | None:
    """The numbers of a layer's bias nodes; None when the layer has no biases."""
    return None if any(node is None for node in nodes) else [node.data for node in nodes if node is not None]


def matrix_rankdir(net: MatrixNet, rankdir: str | None) -> str:
    """The layout of the matrix view: as asked, or (None) left to right unless the row of layers
    would be wider than a screen, then top to bottom."""
    if rankdir is not None:
        return rankdir
    return "TB" if _row_width(net) > SCREEN_WIDTH else "LR"


def matrix_view(net: MatrixNet) -> list[str]:
    lines = ['node [shape=box style="rounded,filled" fillcolor="#f8fafc" color="#94a3b8"]']
    lines.append(f'label="cells: {SIGN_LEGEND}" labelloc=b labeljust=l fontcolor="#475569"')
    x = net.a[0]
    lines.append(f"a0 [fillcolor={dot_quote(COLORS['input'])} label=<{_column(f'a{sup(0)} = x', x)}>]")
    for i in range(len(net.weights)):
        lines.append(f"L{i + 1} [label=<{_layer_table(net, i)}>]")
    last = f"L{len(net.weights)}"
    if net.loss is not None:
        # The cost is C in every heading (∂C/∂W¹); the loss node's label, which may be a sentence
        # ("binary cross-entropy of sample 0 ..."), is the box's caption.
        title = f"<b>C</b> = {num_text(net.loss)}"
        if net.loss_name not in ("", "C"):
            title += f'<br/><font point-size="9">{html_text(net.loss_name)}</font>'
        lines.append(f"loss [fillcolor={dot_quote(COLORS['output'])} label=<{title}>]")
    chain = ["a0"] + [f"L{i + 1}" for i in range(len(net.weights))] + (["loss"] if net.loss is not None else [])
    for i, (a, b) in enumerate(itertools.pairwise(chain)):
        shape = "×".join(str(n) for n in _shape(net.a[i]))
        lines.append(f"{a} -> {b} [label=<a{sup(i)} ({shape})>]")
    if net.deltas is not None:
        back = 'style=dashed color="#b91c1c" fontcolor="#b91c1c" constraint=false'
        n = len(net.weights)
        if net.loss is not None:
            lines.append(f"loss -> {last} [{back} label=<δ{sup(n)} = ∂C/∂z{sup(n)}>]")
        for layer in range(n - 1, 0, -1):
            here, above = sup(layer), sup(layer + 1)
            rule = f"δ{here} = (W{above}){sup('T')} δ{above} ⊙ f′(z{here})"
            lines.append(f"L{layer + 1} -> L{layer} [{back} label=<{rule}>]")
    return lines


def _layer_table(net: MatrixNet, i: int) -> str:
    """One layer: W, b, z, a side by side, and under them dW, db, δ (as the equations pair them)."""
    here, prev = sup(i + 1), sup(i)
    w, b, a = net.weights[i], net.biases[i], net.a[i + 1]
    f = html_text(net.activations[i])
    rule = f"a{here} = z{here}" if f == "linear" else f"a{here} = {f}(z{here})"
    bias = f" + b{here}" if b is not None else ""
    head = f"<b>layer {i + 1}</b>:  z{here} = W{here} a{prev}{bias},   {rule}"
    forward = [
        _column(f"W{here}  ({len(w)}×{len(w[0])})", w),
        _column(f"b{here}", b) if b is not None else "<i>no bias</i>",
        _column(f"z{here}", _pre_activations(w, b, net.a[i])),
        _column(f"a{here}", a),
    ]
    rows = [f'<tr><td colspan="4">{head}</td></tr>', _cells(forward)]
    if net.deltas is not None:
        c, delta = "C", net.deltas[i]
        one_sample = len(delta[0]) == 1
        backward = [
            _column(f"∂{c}/∂W{here} = δ{here} (a{prev}){sup('T')}", net.weight_grads[i]) if net.weight_grads else "",
            _column(f"∂{c}/∂b{here} = {'' if one_sample else 'Σ '}δ{here}", [[math.fsum(row)] for row in delta])
            if b is not None
            else "",
            _column(f"δ{here} = ∂{c}/∂z{here}", delta),
            "",
        ]
        rows.append('<tr><td colspan="4"><font color="#b91c1c">backward</font></td></tr>')
        rows.append(_cells(backward))
    return f'<table border="0" cellspacing="6" cellpadding="0">{"".join(rows)}</table>'


def _pre_activations(w: list[list[float]], b: list[list[float]] | None, a: list[list[float]]) -> list[list[float]]:
    bias = [row[0] for row in b] if b is not None else [0.0] * len(w)
    return [
        [math.fsum(w_jk * a[k][n] for k, w_jk in enumerate(w_j)) + b_j for n in range(len(a[0]))]
        for w_j, b_j in zip(w, bias)
    ]


def _column(title: str, numbers: list[list[float]] | None) -> str:
    """A title over a table of numbers (or over the shape and norm, when the table is large)."""
    rows = f"<tr><td>{title}</td></tr><tr><td>{_numbers(numbers or [])}</td></tr>"
    return f'<table border="0" cellspacing="0" cellpadding="1">{rows}</table>'


NUMBERS_UP_TO = 16
"""A matrix with at most this many rows and columns is drawn as a heatmap with its numbers."""


HEATMAP_UP_TO = 64
"""Up to this many rows and columns, a heatmap without numbers; beyond, its shape and norm."""


SCREEN_WIDTH = 1400
"""Pixels: a matrix view whose row of layers would be wider than this is laid out top to bottom."""


def _numbers(m: list[list[float]]) -> str:
    """A matrix as a heatmap: each cell coloured by the sign and size of its entry (relative to the
    largest |entry| of the matrix), with the number inside while it stays readable (up to
    NUMBERS_UP_TO rows and columns), without beyond, and as shape and norm when very large."""
    if not m:
        return ""
    rows, cols = len(m), len(m[0])
    if rows > HEATMAP_UP_TO or cols > HEATMAP_UP_TO:
        norm = math.sqrt(math.fsum(v * v for row in m for v in row))
        return f"{rows}×{cols},  ‖·‖ = {num_text(norm)}"
    largest = max(abs(v) for row in m for v in row)
    numbers = rows <= NUMBERS_UP_TO and cols <= NUMBERS_UP_TO
    cell = _number_cell if numbers else _color_cell
    body = "".join("<tr>" + "".join(cell(v, largest) for v in row) + "</tr>" for row in m)
    spacing = 'cellpadding="3"' if numbers else 'cellpadding="0"'
    table = f'border="0" cellborder="{1 if numbers else 0}" cellspacing="0" {spacing} color="#e2e8f0"'
    return f"<table {table}>{body}</table>"


def _shade(v: float, largest: float) -> tuple[str, float]:
    """The colour of an entry (``signed_color``), and how dark it is: |v| / largest, at most 1."""
    return signed_color(v, largest), min(1.0, abs(v) / largest) if largest else 0.0


def _number_cell(v: float, largest: float) -> str:
    color, t = _shade(v, largest)
    text = num_text(v) if t < 0.55 else f'<font color="white">{num_text(v)}</font>'
    return f'<td align="right" bgcolor="{color}">{text}</td>'


def _color_cell(v: float, largest: float) -> str:
    color, _ = _shade(v, largest)
    return f'<td bgcolor="{color}" width="7" height="7" fixedsize="true"> </td>'


def _matrix_width(m: list[list[float]] | None) -> float:
    """About how wide (in pixels) ``_numbers`` draws a matrix: for choosing the layout."""
    if not m:
        return 40.0
    rows, cols = len(m), len(m[0])
    if rows > HEATMAP_UP_TO or cols > HEATMAP_UP_TO:
        return 130.0
    if rows <= NUMBERS_UP_TO and cols <= NUMBERS_UP_TO:
        return max(40.0, cols * 50.0)
    return max(40.0, cols * 7.0)


def _row_width(net: MatrixNet) -> float:
    """About how wide the matrix view is when its layers stand in one row (left to right)."""
    width = _matrix_width(net.a[0]) + 60
    for i in range(len(net.weights)):
        forward = [net.weights[i], net.biases[i], net.a[i + 1], net.a[i + 1]]
        backward = [
            net.weight_grads[i] if net.weight_grads else None,
            net.biases[i],
            net.deltas[i] if net.deltas else None,
        ]
        width += max(sum(map(_matrix_width, forward)), sum(map(_matrix_width, backward))) + 4 * 12 + 60
    return width + (120 if net.loss is not None else 0)


def _cells(items: list[str]) -> str:
    return "<tr>" + "".join(f'<td valign="top">{item}</td>' for item in items) + "</tr>"


def _matrix(x: object, what: str, ndim: int | None = None) -> list[list[float]]:
    """x as rows of floats: a vector becomes a column; the shape must be rectangular and not empty."""
    data = x.tolist() if hasattr(x, "tolist") else x
    if not isinstance(data, Sequence) or isinstance(data, str) or len(data) == 0:
        raise ValueError(f"draw_matrix: {what}: expected a non-empty vector or matrix of numbers, got {_short(x)}")
    is_matrix = all(isinstance(row, Sequence) and not isinstance(row, str) for row in data)
    if ndim == 2 and not is_matrix:
        raise ValueError(f"draw_matrix: {what}: expected a matrix (rows of numbers), got {_short(x)}")
    rows = [list(row) for row in data] if is_matrix else [[v] for v in data]
    if len({len(row) for row in rows}) != 1 or not rows[0]:
        raise ValueError(f"draw_matrix: {what}: expected rows of equal, non-zero length, got {_short(x)}")
    try:
        return [[_finite(v) for v in row] for row in rows]
    except (TypeError, ValueError):
        raise ValueError(f"draw_matrix: {what}: expected finite real numbers, got {_short(x)}") from None


def _vectors(what: str, items: Sequence[ArrayLike | None], sizes: list[int], columns: int) -> list[Any]:
    """One (n_l × columns) matrix per layer; a None item (a layer without biases) stays None."""
    _expect_count(what, items, len(sizes), "one per layer")
    out = []
    for i, (item, n) in enumerate(zip(items, sizes)):
        m = None if item is None else _matrix(item, f"{what}[{i}]")
        if m is not None:
            _expect_shape(f"{what}[{i}]", m, (n, columns))
        out.append(m)
    return out


def _expect_count(what: str, items: Sequence[Any], n: int, meaning: str) -> None:
    if len(items) != n:
        raise ValueError(f"draw_matrix: expected {n} {what} ({meaning}), got {len(items)}")


def _expect_shape(what: str, m: list[list[float]], shape: tuple[int, int]) -> None:
    if _shape(m) != shape:
        raise ValueError(
            f"draw_matrix: {what}: expected shape {shape[0]}×{shape[1]}, got {'×'.join(map(str, _shape(m)))}"
        )


def _shape(m: list[list[float]]) -> tuple[int, int]:
    return len(m), len(m[0])


def _finite(v: Any) -> float:
    if isinstance(v, (bool, str)):
        raise TypeError(v)
    f = float(v)
    if f - f:
        raise ValueError(v)
    return f
