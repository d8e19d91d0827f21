"""The neuron view of an MLP: one box per neuron, with its z, a and δ = z.grad (and its weights)."""

from __future__ import annotations

import math

from autograd_core.dot import COLORS, html_text, num_text, table_grid
from nn import labels
from nn.mlp_graph import LayerNodes, MLPNodes


def neuron_view(mlp: MLPNodes, show_weights: bool, grads_known: bool, rankdir: str = "LR") -> list[str]:
    # Each layer (the inputs first) is one node with a port per unit: Graphviz keeps the cells of
    # a table in order, while separate nodes of a dense layer come out shuffled. Left to right a
    # layer is a column of units; top to bottom, a row.
    across = rankdir == "TB"
    out, into = ("s", "n") if across else ("e", "w")
    inputs = []
    for k, x in enumerate(mlp.layers[0].inputs):
        rows = [[f"<b>{labels.input_(k)}</b>", num_text(x)]]
        if k in mlp.inputs and grads_known:
            rows.append(["grad", num_text(mlp.inputs[k].grad)])
        inputs.append(table_grid(rows))
    lines = ["splines=line ranksep=0.9", "node [shape=plain]"]
    lines.append(f"L0 [label=<{_units('inputs', inputs, COLORS['input'], across)}>]")
    for number, layer in enumerate(mlp.layers, start=1):
        title = f"layer {number} · {html_text(layer.activation)} · W{number}: {len(layer.z)}×{len(layer.inputs)}"
        units = [table_grid(_neuron_rows(layer, number, j, show_weights, grads_known)) for j in range(len(layer.z))]
        lines.append(f"L{number} [label=<{_units(title, units, COLORS['intermediate'], across)}>]")
        lines += [
            f"L{number - 1}:{k}:{out} -> L{number}:{j}:{into}"
            for k in range(len(layer.inputs))
            for j in range(len(layer.z))
        ]
    if mlp.loss is not None:
        box = table_grid([[f"<b>{html_text(mlp.loss.label or 'loss')}</b>", num_text(mlp.loss.data)]])
        lines.append(f"loss [label=<{_units('', [box], COLORS['output'], across)}>]")
        last = len(mlp.layers)
        lines += [f"L{last}:{j}:{out} -> loss:0:{into}" for j in range(len(mlp.layers[-1].z))]
    lines.append('label="δ = ∂loss/∂z = z.grad" labelloc=b labeljust=l fontcolor="#475569"')
    return lines


def _units(title: str, units: list[str], color: str, across: bool) -> str:
    """A titled layer of boxes, one table cell (and port) per unit: a column, or a row if ``across``."""
    cells = [f'<td port="{i}" border="1" style="rounded" bgcolor="{color}" cellpadding="4">{unit}</td>'
             for i, unit in enumerate(units)]  # fmt: skip
    body = f"<tr>{''.join(cells)}</tr>" if across else "".join(f"<tr>{cell}</tr>" for cell in cells)
    span = f' colspan="{len(units)}"' if across else ""
    head = f'<tr><td{span}><font color="#475569">{title}</font></td></tr>' if title else ""
    return f'<table border="0" cellborder="0" cellspacing="10">{head}{body}</table>'


def _neuron_rows(layer: LayerNodes, number: int, j: int, show_weights: bool, grads_known: bool) -> list[list[str]]:
    """One neuron: its weight row and bias (the local derivatives of z), then z, a and δ."""
    rows = []
    if show_weights:
        w = [node.data for node in layer.weights[j]]
        shown = "  ".join(map(num_text, w)) if len(w) <= 6 else f"‖·‖ = {num_text(math.hypot(*w))}"
        rows.append([f"{labels.weight_matrix(number)}[{j},:]", shown])
        bias = layer.biases[j]
        if bias is not None:
            rows.append([labels.bias(number, j), num_text(bias.data)])
    z = layer.z[j]
    rows.append([f"<b>{labels.pre_activation(number, j)}</b>", num_text(z.data)])
    if layer.a is not None:
        rows.append([f"<b>{labels.activation(number, j)}</b>", num_text(layer.a[j].data)])
    rows.append(["<b>δ</b>", num_text(z.grad) if grads_known else "not computed"])
    return rows
