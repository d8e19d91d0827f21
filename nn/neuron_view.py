"""The neuron view of an MLP: one box per neuron, with its z, a and δ = z.grad (and its weights).

Big layers are summarised, not refused:

- an input of n = side² >= 64 values (784 = 28×28) is one box, the input drawn as an image in grey
  (and its gradient beside it, when the inputs are Values); each unit it feeds shows its weight
  row W¹[j,:] and, after backward, ∂C/∂W¹[j,:] as images of the same shape: what the unit looks
  at, and what its gradient looks like;
- a layer of more than FOLD_ABOVE units folds (``nn.fold``): a band of all its units (a and δ,
  one small cell each), then its first few units, its last few and its extremes (largest |δ|) as
  boxes, and each run of the others as one "⋯ k more" box, whose edges are dashed.
"""

from __future__ import annotations

import math

from autograd_core.dot import COLORS, MUTED, html_text, num_text, table_grid
from nn import labels
from nn.cells import (
    INPUT_WIDTH,
    ROW_IMAGE_WIDTH,
    SIGN_LEGEND,
    band,
    cell_size,
    gray_color,
    image,
    image_side,
    largest,
    stack,
)
from nn.cells import signed_color as color
from nn.fold import fold_note, parts, shown_units
from nn.mlp_graph import LayerNodes, MLPNodes

FOLD_ABOVE = 16
"""A layer of more units than this folds. A unit's box is about 70 to 90 px tall (with its weight
images); 16 of them make a column about two laptop screens (768 px) high, while Nielsen's 30
hidden units would make four, and 100 thirteen. Folded, a layer shows 10 units, its gaps and its
band: 784-30-10 and 784-100-10 both fit in about 1,100 px."""

BAND_CELL = 6
"""Points: one unit's cell in a folded layer's band."""

BAND_PER_ROW = 50
"""Cells in a row of a band: 100 units make two rows 300 points wide, about a unit's box."""

Port = tuple[str, bool]  # a layer's port for edges, and whether it is a gap ("⋯ k more") rather than a unit


def neuron_view(
    mlp: MLPNodes, show_weights: bool, grads_known: bool, rankdir: str = "LR", batch: int = 1
) -> tuple[list[str], int]:
    """The DOT lines of the neuron view, and how many boxes (units, gaps, images) it draws. ``batch``:
    the graph is one sample's part of a batch of that many, whose parameters' grads are the batch's."""
    # Each layer (the inputs first) is one node with a port per unit: Graphviz keeps the cells of
    # a table in order, while separate nodes of a dense layer come out shuffled. Left to right a
    # layer is a column of units; top to bottom, a row.
    across = rankdir == "TB"
    out, into = ("s", "n") if across else ("e", "w")
    side = image_side(len(mlp.layers[0].inputs))
    lines = ["splines=line ranksep=0.7", "node [shape=plain]"]
    ports, label = _input_image(mlp, side, grads_known) if side else _inputs(mlp, grads_known, across)
    lines.append(f"L0 [label=<{label}>]")
    boxes = len(ports)
    for number, layer in enumerate(mlp.layers, start=1):
        here, label = _layer(layer, number, show_weights, grads_known, across, side if number == 1 else None)
        lines.append(f"L{number} [label=<{label}>]")
        lines += [_edge(f"L{number - 1}:{p}:{out}", f"L{number}:{q}:{into}", gap or gap_) for p, gap in ports
                  for q, gap_ in here]  # fmt: skip
        ports = here
        boxes += len(here)
    if mlp.loss is not None:
        box = table_grid([[f"<b>{html_text(mlp.loss.label or 'loss')}</b>", num_text(mlp.loss.data)]])
        lines.append(f"loss [label=<{_units('', [('0', box, False)], COLORS['output'], across)}>]")
        lines += [_edge(f"L{len(mlp.layers)}:{p}:{out}", f"loss:0:{into}", gap) for p, gap in ports]
        boxes += 1
    widest = max(len(mlp.layers[0].inputs), *(len(layer.z) for layer in mlp.layers))
    legend = "δ = ∂C/∂z = z.grad" + (f" of this sample, ∂C/∂W of the batch of {batch}" if batch > 1 else "")
    legend += f"; cells: {SIGN_LEGEND}" if side or widest > FOLD_ABOVE else ""
    lines.append(f'label="{legend}" labelloc=b labeljust=l fontcolor="#475569"')
    return lines, boxes


def _edge(tail: str, head: str, gap: bool) -> str:
    return f'{tail} -> {head} [style=dashed color="#cbd5e1"]' if gap else f"{tail} -> {head}"


def _inputs(mlp: MLPNodes, grads_known: bool, across: bool) -> tuple[list[Port], str]:
    """The inputs one box each (folded when there are many: by |x|, or |∂C/∂x| when known)."""
    xs = mlp.layers[0].inputs
    grads = [mlp.inputs[k].grad for k in range(len(xs))] if grads_known and len(mlp.inputs) == len(xs) else None
    shown = shown_units(len(xs), grads or xs, FOLD_ABOVE)
    cells = []
    for part in parts(shown, len(xs)):
        if isinstance(part, tuple):
            cells.append(_gap(part))
            continue
        rows = [[f"<b>{labels.input_(part)}</b>", num_text(xs[part])]]
        if grads is not None:
            rows.append(["grad", num_text(grads[part])])
        cells.append((str(part), table_grid(rows), False))
    title = _title("inputs")
    if len(shown) < len(xs):
        bands = [_band(f"x, all {len(xs)}", xs)] + ([_band("grad", grads)] if grads is not None else [])
        title = stack(_title(f"inputs<br/>{fold_note(len(xs), shown, '|grad|' if grads else '|x|')}"), *bands)
    return [(cell[0], cell[2]) for cell in cells], _units(title, cells, COLORS["input"], across)


def _input_image(mlp: MLPNodes, side: int, grads_known: bool) -> tuple[list[Port], str]:
    """An input that is a square image: one box, the image in grey (its gradient beside it when known)."""
    xs = mlp.layers[0].inputs
    lo, hi = min(xs), max(xs)
    pictures = [stack("x", image([gray_color(v, lo, hi) for v in xs], side, cell_size(side, INPUT_WIDTH)))]
    if grads_known and len(mlp.inputs) == len(xs):
        grads = [mlp.inputs[k].grad for k in range(len(xs))]
        scale = largest(grads)
        pictures.append(stack("∂C/∂x", image([color(g, scale) for g in grads], side, cell_size(side, INPUT_WIDTH))))
    title = _title(f"inputs x[0] … x[{len(xs) - 1}]: a {side}×{side} image")
    note = f'<font point-size="8" color="{MUTED}">grey: white at {num_text(lo)}, black at {num_text(hi)}</font>'
    body = "<tr>" + "".join(f"<td>{p}</td>" for p in pictures) + "</tr>"
    row = f'<table border="0" cellborder="0" cellspacing="6">{body}</table>'
    return [("0", False)], _units(title, [("0", stack(row, note), False)], COLORS["input"], False)


def _layer(
    layer: LayerNodes, number: int, show_weights: bool, grads_known: bool, across: bool, side: int | None
) -> tuple[list[Port], str]:
    n = len(layer.z)
    deltas = [z.grad for z in layer.z]
    shown = shown_units(n, deltas if grads_known else [z.data for z in layer.z], FOLD_ABOVE)
    images = _weight_images(layer, number, side, shown, grads_known) if show_weights and side else []
    cells = []
    for part in parts(shown, n):
        if isinstance(part, tuple):
            cells.append(_gap(part))
            continue
        rows = table_grid(_neuron_rows(layer, number, part, show_weights, not images, grads_known))
        if images:
            row = "".join(f"<td>{stack(title, pictures[part])}</td>" for title, pictures in images)
            rows = f'<table border="0" cellborder="0" cellspacing="4"><tr><td>{rows}</td>{row}</tr></table>'
        cells.append((str(part), rows, False))
    title = f"layer {number} · {html_text(layer.activation)} · W{number}: {n}×{len(layer.inputs)}"
    if len(shown) < n:
        name = f"a{number}" if layer.a is not None else f"z{number}"
        bands = [_band(f"{name}, all {n} units", [v.data for v in layer.a or layer.z])]
        if grads_known:
            bands.append(_band("δ", deltas))
        title = stack(_title(f"{title}<br/>{fold_note(n, shown, '|δ|' if grads_known else '|z|')}"), *bands)
    else:
        title = _title(title)
    return [(cell[0], cell[2]) for cell in cells], _units(title, cells, COLORS["intermediate"], across)


def _weight_images(
    layer: LayerNodes, number: int, side: int, shown: list[int], grads_known: bool
) -> list[tuple[str, dict[int, str]]]:
    """For a layer fed by an image: W^l[j,:] and, after backward, ∂C/∂W^l[j,:] of the units shown,
    as images, each on the scale of its whole matrix."""
    size = cell_size(side, ROW_IMAGE_WIDTH)
    matrices = [(f"W{number}[j,:]", [[w.data for w in row] for row in layer.weights])]
    if grads_known:
        matrices.append((f"∂C/∂W{number}[j,:]", [[w.grad for w in row] for row in layer.weights]))
    out = []
    for title, m in matrices:
        scale = max(largest(row) for row in m)
        out.append((title, {j: image([color(v, scale) for v in m[j]], side, size) for j in shown}))
    return out


def _band(title: str, values: list[float]) -> str:
    """A whole layer at a glance: one cell per unit, in order, BAND_PER_ROW to a row."""
    scale = largest(values)
    cells = band([color(v, scale) for v in values], BAND_CELL, BAND_PER_ROW)
    return stack(f'<font point-size="8" color="{MUTED}">{title}</font>', cells)


def _gap(part: tuple[int, int]) -> tuple[str, str, bool]:
    first, last = part
    more = f"⋯ {last - first + 1} more ({first}–{last})" if last > first else f"⋯ 1 more ({first})"
    return f"g{first}", f'<font color="{MUTED}">{more}</font>', True


def _title(text: str) -> str:
    return f'<font color="#475569">{text}</font>'


def _units(title: str, units: list[tuple[str, str, bool]], color: str, across: bool) -> str:
    """A titled layer of boxes, one table cell (and port) per unit or gap: a column, or a row if ``across``."""
    cells = [
        f'<td port="{port}" cellpadding="2">{body}</td>'
        if gap
        else f'<td port="{port}" border="1" style="rounded" bgcolor="{color}" cellpadding="4">{body}</td>'
        for port, body, gap in units
    ]
    body = f"<tr>{''.join(cells)}</tr>" if across else "".join(f"<tr>{cell}</tr>" for cell in cells)
    span = f' colspan="{len(units)}"' if across else ""
    head = f"<tr><td{span}>{title}</td></tr>" if title else ""
    return f'<table border="0" cellborder="0" cellspacing="10">{head}{body}</table>'


def _neuron_rows(
    layer: LayerNodes, number: int, j: int, show_weights: bool, weight_row: bool, grads_known: bool
) -> list[list[str]]:
    """One neuron: its weight row (unless drawn as an image) and bias, the local derivatives of z;
    then z, a and δ."""
    rows = []
    if show_weights and weight_row:
        w = [node.data for node in layer.weights[j]]
        shown = "  ".join(map(num_text, w)) if len(w) <= 6 else f"‖·‖ = {num_text(math.hypot(*w))}"
        rows.append([f"{labels.weight_matrix(number)}[{j},:]", shown])
    bias = layer.biases[j]
    if show_weights and bias is not None:
        rows.append([labels.bias(number, j), num_text(bias.data)])
    z = layer.z[j]
    rows.append([f"<b>{labels.pre_activation(number, j)}</b>", num_text(z.data)])
    if layer.a is not None:
        rows.append([f"<b>{labels.activation(number, j)}</b>", num_text(layer.a[j].data)])
    rows.append(["<b>δ</b>", num_text(z.grad) if grads_known else "not computed"])
    return rows
