"""The matrix picture of an MLP: z^l = W^l a^{l-1} + b^l, a^l = f_l(z^l), with δ^l and ∂C/∂W^l,
every matrix a heatmap with its numbers; ``draw_matrix`` draws it from arrays, ``draw_mlp(view=
"matrix")`` from a graph.

Matrices are heatmaps in the colour rule of signed numbers (``nn.cells.signed_color``). Big ones
are summarised, never refused: an input that is a square image (784 = 28×28) is drawn as that
image, and so is each row of a weight matrix whose inputs are such an image (W¹[j,:] and
∂C/∂W¹[j,:], "what hidden unit j looks at"); a matrix of more rows of images than a grid holds
shows some of them (``nn.fold``), and a long vector is a column of small cells.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

from autograd_core.dot import COLORS, RANKDIRS, check_choice, digraph, dot_quote, html_text, num_text
from autograd_core.inputs import short as _short
from autograd_core.value import Value
from nn.cells import (
    GRAY_LEGEND,
    ROW_IMAGES_UP_TO,
    SIGN_LEGEND,
    Picture,
    heatmap,
    image_side,
    input_images,
    row_images,
    stack,
)
from nn.fold import fold_note, shown_units
from nn.labels import sup
from nn.mlp_graph import MLPNodes

if TYPE_CHECKING:
    import graphviz  # type: ignore[import-untyped]


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
            unless that row would be wider than a screen (SCREEN_WIDTH points).

    Matrices are heatmaps (red > 0, blue < 0, darker for a larger |entry|; ``nn.cells.heatmap``):
    with their numbers up to 16 rows and columns, in smaller cells beyond, and as their shape and
    norm over 16,384 entries. An input of n = side² >= 64 entries (784 = 28×28) is drawn as an
    image in grey, one per sample (the first 10), and a weight matrix whose inputs are such an
    image as its rows' images (``nn.cells.row_images``): all of them up to 36 rows, beyond that the
    first 3, the last 2 and the 5 of largest |δ| (|z| before backprop; ``nn.fold``).

    Example::

        >>> g = draw_matrix([[[0.5, -1.0]]], [[0.1]], [[1.0, 2.0], [-1.4]], activations=["linear"])
        >>> "W¹" in g.source
        True
    """
    if rankdir is not None:
        check_choice("rankdir", rankdir, RANKDIRS)
    net = MatrixNet.checked(weights, biases, a, activations, deltas, weight_grads, loss)
    return digraph(*matrix_picture(net, rankdir))


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
    sample: tuple[int, int] | None = None  # (n, N): sample n of a batch of N, whose parameters' grads are the batch's
    bias_grads: list[list[list[float]] | None] | None = None  # ∂C/∂b^l, when it is not Σ δ^l (sample is set)

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


def matrix_net_of(mlp: MLPNodes, grads_known: bool, sample: tuple[int, int] | None = None) -> MatrixNet:
    """The matrices of an MLP graph: its numbers gathered into the matrices of each layer. ``sample``
    = (n, N) when the graph is sample n's part of a batch of N: its z, a and δ are that sample's, the
    grads of its parameters (∂C/∂W^l, ∂C/∂b^l) the whole batch's."""
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
    if sample is None or not grads_known:
        return net
    bias_grads = [[[b.grad] for b in layer.biases if b is not None] or None for layer in layers]
    return replace(net, sample=sample, bias_grads=bias_grads)


def _data(nodes: list[Value | None]) -> list[float] | None:
    """The numbers of a layer's bias nodes; None when the layer has no biases."""
    return None if any(node is None for node in nodes) else [node.data for node in nodes if node is not None]


SCREEN_WIDTH = 1400
"""Points: a matrix view whose row of layers would be wider than this (as estimated from its
pictures, within about 10%) is laid out top to bottom."""


def matrix_picture(net: MatrixNet, rankdir: str | None) -> tuple[str, list[str]]:
    """The matrix view's layout and lines: ``rankdir`` as asked, or (None) left to right unless the
    row of layers would be wider than SCREEN_WIDTH, then top to bottom."""
    boxes = [_input_box(net)] + [_layer_box(net, i) for i in range(len(net.weights))]
    lines = ['node [shape=box style="rounded,filled" fillcolor="#f8fafc" color="#94a3b8"]']
    legend = f"cells: {SIGN_LEGEND}" + (f"; {GRAY_LEGEND}" if image_side(len(net.a[0])) else "")
    lines.append(f'label="{legend}" labelloc=b labeljust=l fontcolor="#475569"')
    lines.append(f"a0 [fillcolor={dot_quote(COLORS['input'])} label=<{boxes[0].html}>]")
    lines += [f"L{i} [label=<{box.html}>]" for i, box in enumerate(boxes) if i > 0]
    width = sum(box.width + 100 for box in boxes)  # + the gap to the next box, with its edge's label
    last = f"L{len(net.weights)}"
    if net.loss is not None:
        # The cost is C in every heading (∂C/∂W¹); the loss node's label, which may be a sentence
        # ("binary cross-entropy of sample 0 ..."), is the box's caption.
        title = f"<b>C</b> = {num_text(net.loss)}"
        if net.loss_name not in ("", "C"):
            title += f'<br/><font point-size="9">{html_text(net.loss_name)}</font>'
        lines.append(f"loss [fillcolor={dot_quote(COLORS['output'])} label=<{title}>]")
        width += 120
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
    return rankdir or ("TB" if width > SCREEN_WIDTH else "LR"), lines


def _input_box(net: MatrixNet) -> Picture:
    x = net.a[0]
    side = image_side(len(x))
    title = f"a{sup(0)} = x"
    if side is None:
        picture = heatmap(x)
    else:
        title, picture = f"{title}  ({len(x)} inputs, a {side}×{side} image)", input_images(x, side)
    return Picture(stack(title, picture.html), picture.width)


def _layer_box(net: MatrixNet, i: int) -> Picture:
    """One layer: W, b, z, a side by side, and under them dW, db, δ (as the equations pair them)."""
    here, prev = sup(i + 1), sup(i)
    w, b, a = net.weights[i], net.biases[i], net.a[i + 1]
    f = html_text(net.activations[i])
    rule = f"a{here} = z{here}" if f == "linear" else f"a{here} = {f}(z{here})"
    bias = f" + b{here}" if b is not None else ""
    head = f"<b>layer {i + 1}</b>:  z{here} = W{here} a{prev}{bias},   {rule}"
    z = _pre_activations(w, b, net.a[i])
    delta = net.deltas[i] if net.deltas is not None else None
    side = image_side(len(w[0])) if i == 0 else None  # the input is an image; a hidden layer is not
    shown = shown_units(len(w), [math.fsum(map(abs, row)) for row in (delta or z)], ROW_IMAGES_UP_TO)
    title = f"W{here}  ({len(w)}×{len(w[0])})"
    if side is not None:
        title += f": row j as a {side}×{side} image" + _note(len(w), shown, delta is not None)
    forward = [
        (title, _weights(w, shown, side)),
        (f"b{here}", heatmap(b)) if b is not None else ("", Picture("<i>no bias</i>", 40.0)),
        (f"z{here}", heatmap(z)),
        (f"a{here}", heatmap(a)),
    ]
    rows = [f'<tr><td colspan="4">{head}</td></tr>', _cells(forward)]
    backward: list[tuple[str, Picture]] = []
    if delta is not None:
        c = "C"
        grads = net.weight_grads[i] if net.weight_grads else None
        w_title = f"∂{c}/∂W{here} = δ{here} (a{prev}){sup('T')}"
        b_title, db = f"∂{c}/∂b{here} = {'' if len(delta[0]) == 1 else 'Σ '}δ{here}", [[math.fsum(r)] for r in delta]
        d_title = f"δ{here} = ∂{c}/∂z{here}"
        if net.sample is not None and net.bias_grads is not None:  # one sample drawn, the parameters' grads the batch's
            n, size = net.sample
            w_title = f"∂{c}/∂W{here} = Σ δ{here} (a{prev}){sup('T')} over the batch of {size}"
            b_title, db = f"∂{c}/∂b{here} = Σ δ{here} over the batch", net.bias_grads[i] or db
            d_title += f" (sample {n})"
        backward = [
            (w_title, _weights(grads, shown, side)) if grads else _EMPTY,
            (b_title, heatmap(db)) if b else _EMPTY,
            (d_title, heatmap(delta)),
            _EMPTY,
        ]
        rows.append('<tr><td colspan="4"><font color="#b91c1c">backward</font></td></tr>')
        rows.append(_cells(backward))
    width = max(sum(p.width for _, p in forward), sum(p.width for _, p in backward)) + 4 * 12
    return Picture(f'<table border="0" cellspacing="6" cellpadding="0">{"".join(rows)}</table>', width)


_EMPTY = ("", Picture("", 0.0))


def _weights(w: list[list[float]], shown: list[int], side: int | None) -> Picture:
    """A weight matrix (or its gradient): its rows as images when its inputs are an image, else a heatmap."""
    return heatmap(w) if side is None else row_images(w, shown, side)


def _note(n: int, shown: list[int], grads: bool) -> str:
    note = fold_note(n, shown, "|δ|" if grads else "|z|")
    return f"<br/>{note}" if note else ""


def _pre_activations(w: list[list[float]], b: list[list[float]] | None, a: list[list[float]]) -> list[list[float]]:
    bias = [row[0] for row in b] if b is not None else [0.0] * len(w)
    return [
        [math.fsum(w_jk * a[k][n] for k, w_jk in enumerate(w_j)) + b_j for n in range(len(a[0]))]
        for w_j, b_j in zip(w, bias)
    ]


def _cells(items: list[tuple[str, Picture]]) -> str:
    """Pictures side by side under their titles: a row of titles over a row of pictures, so that each
    picture starts at the top (a title and a picture nested in one table would be stretched apart)."""
    titles = "".join(f'<td valign="bottom">{title}</td>' for title, _ in items)
    pictures = "".join(f'<td valign="top">{picture.html}</td>' for _, picture in items)
    return f"<tr>{titles}</tr><tr>{pictures}</tr>"


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
