"""Drawings of an MLP: its graph grouped into neurons and layers, the neuron view, the matrix view.

    from nn import MLP, draw_mlp, side_by_side
    loss = ...                                   # a loss over the model's outputs, after backward()
    draw_mlp(loss)                               # every node, grouped into neurons inside layers
    draw_mlp(loss, view="neurons")               # one box per neuron: z, a and δ = z.grad
    draw_mlp(loss, view="matrix")                # W^l, b^l, z^l, a^l, δ^l, ∂C/∂W^l per layer
    side_by_side(draw_mlp(loss, view="neurons"), draw_mlp(loss, view="matrix"))
    draw_mlp(loss, sample=2)                     # a batch loss: sample 2's part, with the parameters
    mlp_stepper(loss, sample=2)                  # step through backprop of that part (a Stepper)

The layers are read back from the node labels (``nn.labels``: W{l}[j,k], b{l}[j], z{l}[j],
a{l}[j], x[k]), so any graph built by ``nn.MLP`` (or named the same way) can be drawn. The
graph view is the engine's ``autograd_core.draw``, given the MLP's clusters and parameters
through its ``group=`` and ``parameters=`` hooks; the neuron and matrix views are drawn here.
``draw_matrix`` draws the matrix view from plain arrays.

In the graph of a batch loss (``nn.batch``) every node of sample n is shown as ``z1[0]@2`` (in the
drawing and in the stepper's text); ``sample=n`` keeps sample n's part of the graph (its nodes,
the shared parameters and the reduction), through the engine's ``keep=`` hook.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from autograd_core import Stepper, Value, draw, topological_order
from autograd_core.dot import (
    COLORS,
    LAYOUT_BUDGET,
    RANKDIRS,
    check_choice,
    check_size,
    digraph,
    dot_quote,
    html_text,
    inline_svg,
    num_text,
    table_grid,
)
from autograd_core.draw import DEFAULT_MAX_NODES, layout_cost
from autograd_core.inputs import short as _short
from nn import labels
from nn.batch import Batch

if TYPE_CHECKING:
    import graphviz  # type: ignore[import-untyped]

VIEWS = ("graph", "neurons", "matrix")


def draw_mlp(
    root: Value,
    *,
    view: str = "graph",
    rankdir: str | None = None,
    show_local_grads: bool = True,
    highlight: Iterable[Value | tuple[Value, Value]] = (),
    sample: int | None = None,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> graphviz.Digraph:
    """A drawing of the graph of an MLP (or of a loss over its outputs), as a ``graphviz.Digraph``.

    Args:
        view: "graph" (every node, grouped into neurons inside layers, parameters coloured),
            "neurons" (one box per neuron with z, a and δ = z.grad; one sample) or "matrix"
            (the layers as matrices, z^l = W^l a^{l-1} + b^l with δ^l and ∂C/∂W^l; one sample).
        rankdir: "LR" (inputs on the left) or "TB" (inputs on top); None: "LR", except in the
            matrix view, which goes top to bottom when its row of layers would be wider than a screen.
        show_local_grads: the local derivative on every edge (in the neuron view, the weights).
        highlight: nodes and (parent, child) edges to draw in red (graph view).
        sample: for the loss of a batch, draw only sample n's part (its nodes, the parameters and
            the loss); the neuron and matrix views of a batch need it. None: the whole graph,
            each per-sample node named with its sample (``z1[0]@2``).
        max_nodes: refuse (ValueError) to draw more boxes than this.

    Example::

        >>> from nn import MLP, mse, draw_mlp
        >>> model = MLP(2, [3, 1], seed=0)
        >>> loss = mse([model([0.5, -1.0])], [[1.0]]); loss.backward()
        >>> "layer 2" in draw_mlp(loss).source, "δ" in draw_mlp(loss, view="neurons").source
        (True, True)
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_mlp: expected a Value as the root, got {type(root).__name__}: {_short(root)}")
    check_choice("view", view, VIEWS)
    if rankdir is not None:
        check_choice("rankdir", rankdir, RANKDIRS)
    order = topological_order(root)
    batch = Batch.of(root)
    keep = _sample_part(batch, sample, "draw_mlp")
    if keep is not None:
        order = [node for node in order if node in keep]
    if view == "graph":
        parameters = [node for node in order if not node.parents and _is_parameter(node)]
        if len(order) > max_nodes:
            advice = _draw_advice(batch, sample, max_nodes, show_local_grads)
            check_size(len(order), max_nodes, "nodes", advice, "draw_mlp")
        return draw(
            root,
            rankdir=rankdir or "LR",
            show_local_grads=show_local_grads,
            highlight=highlight,
            parameters=parameters,
            group=layer_group,
            names=None if batch is None else batch.names(),
            keep=keep,
            max_nodes=max_nodes,
        )
    mlp = read_mlp(order, view)
    if view == "neurons":
        boxes = len(mlp.layers[0].inputs) + sum(len(layer.z) for layer in mlp.layers)
        check_size(boxes, max_nodes, "neurons", "view='matrix' draws one box per layer", "draw_mlp")
        way = rankdir or "LR"
        return digraph(way, neuron_view(mlp, show_local_grads, _grads_known(order), way))
    net = matrix_net_of(mlp, _grads_known(order))
    return digraph(matrix_rankdir(net, rankdir), _matrix_view(net))


def mlp_stepper(
    root: Value,
    *,
    sample: int | None = None,
    rankdir: str = "LR",
    show_local_grads: bool = True,
    max_nodes: int = DEFAULT_MAX_NODES,
    title: str = "",
) -> Stepper:
    """Step through backprop of an MLP's graph node by node: the engine's ``Stepper``, with the
    MLP's parameters coloured, its nodes grouped into neurons inside layers, and, for the loss
    of a batch, every per-sample node named with its sample (``z1[0]@2``, in the drawing and in
    each step's text).

    Args:
        sample: for the loss of a batch, step through sample n's part only (its nodes, the shared
            parameters and the loss). The pass is still the whole backward pass: the parameters
            also collect the other samples' contributions, in steps not shown.
        rankdir, show_local_grads, max_nodes, title: as for ``Stepper``.

    For a large batch, ``nn.LayerStepper`` steps through the same backprop equation by equation.

    Example::

        >>> from nn import MLP, mse, mlp_stepper
        >>> model = MLP(2, [3, 1], seed=0)
        >>> loss = mse([model([0.5, -1.0]), model([1.0, 2.0])], [[1.0], [0.0]])
        >>> "z1[0]@1" in mlp_stepper(loss, sample=1).html  # doctest: +SKIP
        True
    """
    if not isinstance(root, Value):
        raise TypeError(f"mlp_stepper: expected a Value as the root, got {type(root).__name__}: {root!r}")
    order = topological_order(root)
    batch = Batch.of(root)
    keep = _sample_part(batch, sample, "mlp_stepper")
    shown = order if keep is None else [node for node in order if node in keep]
    if len(shown) > max_nodes:
        advice = _step_advice(batch, sample, max_nodes, shown, show_local_grads)
        check_size(len(shown), max_nodes, "nodes", advice, "mlp_stepper")
    parameters = [node for node in order if not node.parents and _is_parameter(node)]
    if not title and sample is not None:
        title = f"Backward pass of {root.label or 'the loss'}: the part of sample {sample} of {len(batch or ())}"
    return Stepper(
        root,
        rankdir=rankdir,
        show_local_grads=show_local_grads,
        parameters=parameters,
        group=layer_group,
        names=None if batch is None else batch.names(),
        keep=keep,
        max_nodes=max_nodes,
        title=title,
    )


def _sample_part(batch: Batch | None, sample: int | None, where: str) -> frozenset[Value] | None:
    if sample is None:
        return None
    if batch is None:
        raise ValueError(
            f"{where}(sample={sample!r}): this graph is not the loss of a batch (a sum of two or more "
            f"per-sample costs, as nn.mse or nn.cross_entropy make over several samples); leave out sample="
        )
    batch.check(sample, where)
    return batch.part(sample)


def _one_sample(batch: Batch | None, sample: int | None, max_nodes: int, show_local_grads: bool) -> int | None:
    """The size of sample 0's part, when the whole graph of a batch is shown and that part could be
    drawn instead (few enough nodes, and a layout that would not be refused); None otherwise."""
    if batch is None or sample is not None:
        return None
    part = batch.part(0)
    ordered = [node for node in batch.order if node in part]
    if len(ordered) > max_nodes or layout_cost(ordered, show_local_grads) > LAYOUT_BUDGET:
        return None
    return len(ordered)


def _draw_advice(batch: Batch | None, sample: int | None, max_nodes: int, show_local_grads: bool) -> str:
    """What to do when the graph view is too big: advice that works for this graph."""
    if batch is not None:
        size = _one_sample(batch, sample, max_nodes, show_local_grads)
        matrices = f"view='matrix', sample={sample or 0} draws one sample's layers as matrices"
        if size is not None:
            return f"sample=0 draws one sample's part ({size:,} nodes), and {matrices}"
        return matrices
    return "view='neurons' draws one box per neuron and view='matrix' one per layer"


def _step_advice(
    batch: Batch | None, sample: int | None, max_nodes: int, shown: list[Value], show_local_grads: bool
) -> str:
    """What to do when the stepper's graph is too big: advice that works for this graph."""
    advice = "nn.LayerStepper(model, X, Y) steps through the same backprop layer by layer, equation by equation"
    size = _one_sample(batch, sample, max_nodes, show_local_grads)
    if size is not None:
        advice = f"mlp_stepper(loss, sample=0) steps through one sample's part ({size:,} nodes); or {advice}"
    if layout_cost(shown, show_local_grads) <= LAYOUT_BUDGET:
        advice += "; or pass a larger max_nodes (the page gets slow to build and large)"
    return advice


def layer_group(node: Value) -> tuple[str, ...] | None:
    """The clusters of an MLP node, for ``draw(..., group=layer_group)``: ("layer l", "neuron j")
    for W, b, z and a nodes, ("inputs",) for x[k], None for anything else (the loss)."""
    name = labels.parse(node.label)
    if name is None:
        return None
    if name.kind == "x":
        return ("inputs",)
    return (f"layer {name.layer}", f"neuron {name.unit}")


class SideBySide:
    """Drawings in one row, each scaled to its share of the width: shows inline in Jupyter."""

    def __init__(self, drawings: Sequence[graphviz.Digraph]) -> None:
        self.drawings = list(drawings)

    def _repr_html_(self) -> str:
        cells = "".join(f'<div style="flex:0 1 auto;min-width:0">{inline_svg(d)}</div>' for d in self.drawings)
        return f'<div style="display:flex;gap:16px;align-items:flex-start">{cells}</div>'

    def __repr__(self) -> str:
        return f"<{len(self.drawings)} drawings side by side>"


def side_by_side(*drawings: graphviz.Digraph) -> SideBySide:
    """Show several drawings in one row in Jupyter: ``side_by_side(draw_mlp(C, view="neurons"),
    draw_mlp(C, view="matrix"))``, the scalar and the matrix view of the same MLP together."""
    return SideBySide(drawings)


def _is_parameter(node: Value) -> bool:
    name = labels.parse(node.label)
    return name is not None and name.is_parameter


def _grads_known(order: Iterable[Value]) -> bool:
    return any(node.grad for node in order)


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

    Matrices are heatmaps (blue > 0, red < 0, darker for a larger |entry|): with their numbers up
    to NUMBERS_UP_TO (16) rows and columns, without up to HEATMAP_UP_TO (64), and beyond that as
    their shape and norm.

    Example::

        >>> g = draw_matrix([[[0.5, -1.0]]], [[0.1]], [[1.0, 2.0], [-1.4]], activations=["linear"])
        >>> "W¹" in g.source
        True
    """
    if rankdir is not None:
        check_choice("rankdir", rankdir, RANKDIRS)
    net = _MatrixNet.checked(weights, biases, a, activations, deltas, weight_grads, loss)
    return digraph(matrix_rankdir(net, rankdir), _matrix_view(net))


@dataclass(frozen=True)
class _Layer:
    z: list[Value]  # z{l}[j], j = 0..n_l-1
    a: list[Value] | None  # a{l}[j]; None for a linear layer (z is its output)
    activation: str
    weights: list[list[Value]]  # W{l}[j,k]
    biases: list[Value | None]  # b{l}[j]
    inputs: list[float]  # a^{l-1}: d z{l}[0] / d W{l}[0,k] is exactly a^{l-1}_k


@dataclass(frozen=True)
class _MLP:
    inputs: dict[int, Value]  # the x[k] nodes, when the inputs were Values
    layers: list[_Layer]
    loss: Value | None  # the root, when it is not a layer's output itself


def read_mlp(order: list[Value], view: str) -> _MLP:
    """The layers of an MLP graph, read off the node labels (W1[j,k], b1[j], z1[j], a1[j], x[k])."""
    found: dict[str, dict[tuple[int, int], Value]] = {"z": {}, "a": {}, "x": {}}
    for node in order:
        name = labels.parse(node.label)
        if name is not None and name.kind in found:
            key = (name.layer, name.unit)
            if key in found[name.kind]:
                raise ValueError(_several_samples(view, node.label, order))
            found[name.kind][key] = node
    zs = found["z"]
    if not zs:
        raise ValueError(
            f"draw_mlp(view={view!r}) needs the graph of an MLP, with nodes labelled z1[0], a1[0], W1[0,0], "
            f"b1[0] (nn.labels); this graph has no node labelled z<l>[<j>]. Use draw(root) for any graph."
        )
    sizes = _layer_sizes(zs, view)
    layers = []
    for layer in range(1, len(sizes) + 1):
        z = [zs[(layer, j)] for j in range(sizes[layer - 1])]
        n_in = sizes[layer - 2] if layer > 1 else None
        layers.append(_read_layer(layer, z, found["a"], n_in, view))
    root = order[-1]
    outputs = layers[-1].a or layers[-1].z
    loss = None if root in outputs else root
    return _MLP({k[1]: v for k, v in found["x"].items()}, layers, loss)


def _layer_sizes(zs: dict[tuple[int, int], Value], view: str) -> list[int]:
    last = max(layer for layer, _ in zs)
    sizes = []
    for layer in range(1, last + 1):
        js = sorted(j for l_, j in zs if l_ == layer)
        if js != list(range(len(js))) or not js:
            have = ", ".join(labels.pre_activation(layer, j) for j in js) or "none"
            raise ValueError(
                f"draw_mlp(view={view!r}): the z nodes of layer {layer} must be numbered 0, 1, 2, ... without gaps "
                f"({labels.pre_activation(layer, 0)}, {labels.pre_activation(layer, 1)}, ...); this graph has {have}"
            )
        sizes.append(len(js))
    return sizes


def _read_layer(layer: int, z: list[Value], acts: dict[tuple[int, int], Value], n_in: int | None, view: str) -> _Layer:
    weights, biases = [], []
    inputs: dict[int, float] = {}
    for j, node in enumerate(z):
        row: dict[int, Value] = {}
        bias = None
        for parent, local in zip(node.parents, node.local_grads):
            name = labels.parse(parent.label)
            if name is None or (name.layer, name.unit) != (layer, j):
                continue
            if name.kind == "W" and name.index is not None:
                row[name.index] = parent
                inputs.setdefault(name.index, local)
            elif name.kind == "b":
                bias = parent
        width = n_in if n_in is not None else len(row)
        if node.op != "dot" or sorted(row) != list(range(width)) or not row:
            raise ValueError(
                f"draw_mlp(view={view!r}): {node.label} must be a Value.dot node whose parents are "
                f"{labels.weight(layer, j, 0)} to {labels.weight(layer, j, width - 1)} (and {labels.bias(layer, j)}); "
                f"it is op {node.op or 'leaf'!r} with weights for k in {sorted(row)}"
            )
        weights.append([row[k] for k in range(width)])
        biases.append(bias)
    a = [acts.get((layer, j)) for j in range(len(z))]
    inputs_in_order = [inputs[k] for k in range(len(inputs))]
    if all(node is None for node in a):
        return _Layer(z, None, "linear", weights, biases, inputs_in_order)
    if any(node is None or node.parents != (zj,) for node, zj in zip(a, z)):
        raise ValueError(
            f"draw_mlp(view={view!r}): every a{layer}[j] must be computed from z{layer}[j] alone "
            f"(a{layer}[j] = f(z{layer}[j])), for every neuron j of layer {layer}"
        )
    ops = sorted({node.op for node in a if node is not None})
    return _Layer(z, [node for node in a if node is not None], "/".join(ops), weights, biases, inputs_in_order)


def _several_samples(view: str, label: str, order: list[Value]) -> str:
    count = sum(node.label == label for node in order)
    return (
        f"draw_mlp(view={view!r}) draws one sample, but this graph holds several: the label {label!r} is on "
        f"{count} nodes. Pass sample=0 (or another sample) to draw one sample, or use view='graph'."
    )


def neuron_view(mlp: _MLP, show_weights: bool, grads_known: bool, rankdir: str = "LR") -> list[str]:
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


def _neuron_rows(layer: _Layer, number: int, j: int, show_weights: bool, grads_known: bool) -> list[list[str]]:
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


@dataclass(frozen=True)
class _MatrixNet:
    weights: list[list[list[float]]]
    biases: list[list[list[float]] | None]
    a: list[list[list[float]]]
    activations: list[str]
    deltas: list[list[list[float]]] | None
    weight_grads: list[list[list[float]]] | None
    loss: float | None
    loss_name: str = "loss"

    @staticmethod
    def checked(
        weights: Sequence[ArrayLike],
        biases: Sequence[ArrayLike | None] | None,
        a: Sequence[ArrayLike],
        activations: Sequence[str],
        deltas: Sequence[ArrayLike] | None,
        weight_grads: Sequence[ArrayLike] | None,
        loss: float | None,
        loss_name: str = "loss",
    ) -> _MatrixNet:
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
        return _MatrixNet(ws, bs or [None] * n_layers, values, [str(f) for f in activations], ds, gs, loss, loss_name)


def matrix_net_of(mlp: _MLP, grads_known: bool) -> _MatrixNet:
    """The matrices of an MLP graph: its numbers gathered into the matrices of each layer."""
    layers = mlp.layers
    weights = [[[w.data for w in row] for row in layer.weights] for layer in layers]
    biases = [_data(layer.biases) for layer in layers]
    a = [layers[0].inputs] + [[v.data for v in (layer.a or layer.z)] for layer in layers]
    deltas = [[z.grad for z in layer.z] for layer in layers] if grads_known else None
    grads = [[[w.grad for w in row] for row in layer.weights] for layer in layers] if grads_known else None
    loss = None if mlp.loss is None else mlp.loss.data
    net = _MatrixNet.checked(
        weights,
        biases,
        a,
        [layer.activation for layer in layers],
        deltas,
        grads,
        loss,
        (mlp.loss.label if mlp.loss is not None else "") or "loss",
    )
    return net


def _data(nodes: list[Value | None]) -> list[float] | None:
    """The numbers of a layer's bias nodes; None when the layer has no biases."""
    return None if any(node is None for node in nodes) else [node.data for node in nodes if node is not None]


_SUPERSCRIPTS = str.maketrans("0123456789T", "⁰¹²³⁴⁵⁶⁷⁸⁹ᵀ")


def _sup(text: object) -> str:
    """Superscript as Unicode characters: Graphviz's <SUP> becomes a separate SVG <text> with a
    baseline-shift that browsers ignore, so "z<sup>1</sup>" would show as a misplaced "z 1"."""
    return str(text).translate(_SUPERSCRIPTS)


def matrix_rankdir(net: _MatrixNet, rankdir: str | None) -> str:
    """The layout of the matrix view: as asked, or (None) left to right unless the row of layers
    would be wider than a screen, then top to bottom."""
    if rankdir is not None:
        return rankdir
    return "TB" if _row_width(net) > SCREEN_WIDTH else "LR"


def _matrix_view(net: _MatrixNet) -> list[str]:
    lines = ['node [shape=box style="rounded,filled" fillcolor="#f8fafc" color="#94a3b8"]']
    lines.append(
        'label="cells: blue > 0, red < 0, the darker the larger |value| (within each matrix)" '
        'labelloc=b labeljust=l fontcolor="#475569"'
    )
    x = net.a[0]
    lines.append(f"a0 [fillcolor={dot_quote(COLORS['input'])} label=<{_column(f'a{_sup(0)} = x', x)}>]")
    for i in range(len(net.weights)):
        lines.append(f"L{i + 1} [label=<{_layer_table(net, i)}>]")
    last = f"L{len(net.weights)}"
    if net.loss is not None:
        title = f"<b>{html_text(net.loss_name)}</b> = {num_text(net.loss)}"
        lines.append(f"loss [fillcolor={dot_quote(COLORS['output'])} label=<{title}>]")
    chain = ["a0"] + [f"L{i + 1}" for i in range(len(net.weights))] + (["loss"] if net.loss is not None else [])
    for i, (a, b) in enumerate(itertools.pairwise(chain)):
        shape = "×".join(str(n) for n in _shape(net.a[i]))
        lines.append(f"{a} -> {b} [label=<a{_sup(i)} ({shape})>]")
    if net.deltas is not None:
        back = 'style=dashed color="#b91c1c" fontcolor="#b91c1c" constraint=false'
        n = len(net.weights)
        if net.loss is not None:
            c = html_text(net.loss_name)
            lines.append(f"loss -> {last} [{back} label=<δ{_sup(n)} = ∂{c}/∂z{_sup(n)}>]")
        for layer in range(n - 1, 0, -1):
            here, above = _sup(layer), _sup(layer + 1)
            rule = f"δ{here} = (W{above}){_sup('T')} δ{above} ⊙ f′(z{here})"
            lines.append(f"L{layer + 1} -> L{layer} [{back} label=<{rule}>]")
    return lines


def _layer_table(net: _MatrixNet, i: int) -> str:
    """One layer: W, b, z, a side by side, and under them dW, db, δ (as the equations pair them)."""
    sup, prev = _sup(i + 1), _sup(i)
    w, b, a = net.weights[i], net.biases[i], net.a[i + 1]
    f = html_text(net.activations[i])
    rule = f"a{sup} = z{sup}" if f == "linear" else f"a{sup} = {f}(z{sup})"
    bias = f" + b{sup}" if b is not None else ""
    head = f"<b>layer {i + 1}</b>:  z{sup} = W{sup} a{prev}{bias},   {rule}"
    forward = [
        _column(f"W{sup}  ({len(w)}×{len(w[0])})", w),
        _column(f"b{sup}", b) if b is not None else "<i>no bias</i>",
        _column(f"z{sup}", _pre_activations(w, b, net.a[i])),
        _column(f"a{sup}", a),
    ]
    rows = [f'<tr><td colspan="4">{head}</td></tr>', _cells(forward)]
    if net.deltas is not None:
        c, delta = html_text(net.loss_name), net.deltas[i]
        one_sample = len(delta[0]) == 1
        backward = [
            _column(f"∂{c}/∂W{sup} = δ{sup} (a{prev}){_sup('T')}", net.weight_grads[i]) if net.weight_grads else "",
            _column(f"∂{c}/∂b{sup} = {'' if one_sample else 'Σ '}δ{sup}", [[math.fsum(row)] for row in delta])
            if b is not None
            else "",
            _column(f"δ{sup} = ∂{c}/∂z{sup}", delta),
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

_POSITIVE, _NEGATIVE = (37, 99, 235), (220, 38, 38)  # blue > 0, red < 0, as in the legend


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
    largest = max(abs(v) for row in m for v in row) or 1.0
    numbers = rows <= NUMBERS_UP_TO and cols <= NUMBERS_UP_TO
    cell = _number_cell if numbers else _color_cell
    body = "".join("<tr>" + "".join(cell(v, largest) for v in row) + "</tr>" for row in m)
    spacing = 'cellpadding="3"' if numbers else 'cellpadding="0"'
    table = f'border="0" cellborder="{1 if numbers else 0}" cellspacing="0" {spacing} color="#e2e8f0"'
    return f"<table {table}>{body}</table>"


def _shade(v: float, largest: float) -> tuple[str, float]:
    """The colour of an entry: white for 0, to full blue (positive) or red (negative) for the largest |entry|."""
    t = min(1.0, abs(v) / largest)
    target = _POSITIVE if v > 0 else _NEGATIVE
    rgb = (round(255 + (c - 255) * t * 0.85) for c in target)
    return "#{:02x}{:02x}{:02x}".format(*rgb), t


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


def _row_width(net: _MatrixNet) -> float:
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
