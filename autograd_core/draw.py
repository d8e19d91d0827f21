"""Drawings of computation graphs: DOT text built in pure Python, rendered by Graphviz.

    from autograd_core import Value, draw, save
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = (a * b + 1).tanh()
    out.backward()
    g = draw(out)              # a graphviz.Digraph: shows inline in Jupyter
    print(g.source)            # the DOT text (no Graphviz needed for this)
    save(g, "out.svg")         # .svg, .png, .pdf or .dot, from the extension

Three views of the same graph:

- ``view="graph"``: every node, with its label, op (and the number it folded in: ``× 2``),
  data and grad; each edge parent -> child carries the local derivative d(child)/d(parent).
  Nodes of an MLP (labelled ``W1[0,1]``, ``b1[0]``, ``z1[0]``, ``a1[0]``, ``x[0]``) are grouped
  into neurons inside layers.
- ``view="neurons"``: one box per neuron with z, a and δ = z.grad; the bridge to the matrix view.
- ``view="matrix"``: the same MLP as matrices, z^l = W^l a^{l-1} + b^l, with δ^l and dW^l.
  ``draw_matrix`` draws it from plain lists or arrays (the numpy matrix view calls it directly).

Grads show as "grad: not computed" when every grad in the graph is exactly 0 (no backward()
has run, or it was seeded with 0). Only the standard library is imported until a drawing is made.
"""

from __future__ import annotations

import functools
import itertools
import math
import os
import re
import secrets
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from autograd_core.graph import topological_order
from autograd_core.value import Value

if TYPE_CHECKING:
    import graphviz  # type: ignore[import-untyped]

DEFAULT_MAX_NODES = 300
INSTALL_GRAPHVIZ = (
    "Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install graphviz; "
    "conda: conda install -c conda-forge graphviz"
)
FORMATS = {"svg": "svg", "png": "png", "pdf": "pdf", "dot": "dot", "gv": "dot"}
VIEWS = ("graph", "neurons", "matrix")
RANKDIRS = ("LR", "TB")

COLORS = {"input": "#dbeafe", "parameter": "#fde68a", "intermediate": "#f1f5f9", "output": "#bbf7d0"}
HIGHLIGHT = "#dc2626"
MUTED = "#6b7280"
FONT = "Helvetica"

_PARAMETER = re.compile(r"W\d+\[\d+,\d+\]|b\d+\[\d+\]")
_W = re.compile(r"W(\d+)\[(\d+),(\d+)\]")
_B = re.compile(r"b(\d+)\[(\d+)\]")
_Z = re.compile(r"z(\d+)\[(\d+)\]")
_A = re.compile(r"a(\d+)\[(\d+)\]")
_X = re.compile(r"x\[(\d+)\]")


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program is needed to render a drawing and is not installed."""


class _HasToList(Protocol):
    def tolist(self) -> Any: ...


ArrayLike = Sequence[float] | Sequence[Sequence[float]] | _HasToList
"""A vector or matrix of numbers: nested sequences, or anything with ``tolist()`` (numpy arrays)."""


# ---- the public functions --------------------------------------------------------------


def draw(
    root: Value,
    *,
    view: str = "graph",
    rankdir: str = "LR",
    show_local_grads: bool = True,
    highlight: Iterable[Value | tuple[Value, Value]] = (),
    parameters: Iterable[Value] = (),
    max_nodes: int = DEFAULT_MAX_NODES,
) -> graphviz.Digraph:
    """A drawing of the graph that ``root`` depends on, as a ``graphviz.Digraph``.

    Args:
        view: "graph" (every node), "neurons" (one box per neuron of an MLP) or "matrix"
            (the MLP as matrices). The last two need the label conventions of ``nn``.
        rankdir: "LR" (inputs on the left) or "TB" (inputs on top).
        show_local_grads: write d(child)/d(parent) on every edge (in the neuron view, that is
            the weight: dz/da = W).
        highlight: nodes, and (parent, child) pairs for edges, to draw in red.
        parameters: leaves to colour as parameters; leaves labelled like ``W1[0,1]`` or
            ``b1[0]`` are parameters anyway. Other leaves are inputs; ``root`` is the output.
        max_nodes: refuse (ValueError) to draw more boxes than this.

    Example::

        >>> from autograd_core import Value, draw
        >>> x = Value(3.0, label="x")
        >>> print(draw(x * 2).source.count("->"))
        1
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw: expected a Value as the root, got {type(root).__name__}: {root!r}")
    _check_choice("view", view, VIEWS)
    _check_choice("rankdir", rankdir, RANKDIRS)
    order = topological_order(root)
    if view == "graph":
        _check_size(len(order), max_nodes, "nodes")
        lines = graph_view(order, show_local_grads, frozenset(parameters), highlight)
    else:
        mlp = _mlp(order, view)
        if view == "neurons":
            _check_size(len(mlp.layers[0].inputs) + sum(len(layer.z) for layer in mlp.layers), max_nodes, "neurons")
            lines = _neuron_view(mlp, show_local_grads, _grads_known(order))
        else:
            lines = _matrix_view_of(mlp, _grads_known(order))
    return _digraph(rankdir, lines)


def draw_matrix(
    weights: Sequence[ArrayLike],
    biases: Sequence[ArrayLike | None] | None,
    activations: Sequence[ArrayLike],
    *,
    functions: Sequence[str],
    deltas: Sequence[ArrayLike] | None = None,
    weight_grads: Sequence[ArrayLike] | None = None,
    loss: float | None = None,
    rankdir: str = "LR",
) -> graphviz.Digraph:
    """The matrix view of an MLP: z^l = W^l a^{l-1} + b^l, a^l = f_l(z^l), and δ^l, dW^l.

    Args (layers l = 1..L; a vector may also be a matrix with one column per sample):
        weights: W^1..W^L, W^l of shape (n_l, n_{l-1}).
        biases: b^1..b^L, each of shape (n_l,), or None for a layer (or a net) without biases.
        activations: a^0 = x, a^1, ..., a^L (L + 1 of them).
        functions: f_1..f_L by name ("tanh", "relu", "sigmoid", "linear", ...).
        deltas: δ^1..δ^L = dC/dz^l, or None before backprop.
        weight_grads: dC/dW^1..dC/dW^L, or None.
        loss: the cost C, drawn as the last box.

    Small matrices are drawn as tables of numbers; larger ones as their shape and norm.

    Example::

        >>> g = draw_matrix([[[0.5, -1.0]]], [[0.1]], [[1.0, 2.0], [-1.4]], functions=["linear"])
        >>> "W¹" in g.source
        True
    """
    _check_choice("rankdir", rankdir, RANKDIRS)
    net = _MatrixNet.checked(weights, biases, activations, functions, deltas, weight_grads, loss)
    return _digraph(rankdir, _matrix_view(net))


def save(graph: graphviz.Graph | graphviz.Digraph | graphviz.Source, path: str | os.PathLike[str]) -> Path:
    """Write a drawing to ``path``, in the format its extension names: .svg, .png, .pdf or .dot (.gv).

    The file is written whole or not at all (a temporary file in the same directory, then
    renamed). Rendering needs Graphviz's ``dot``; a .dot file does not. Returns the path.

        >>> from autograd_core import Value, draw, save
        >>> save(draw(Value(1.0, label="x")), "x.dot")  # doctest: +SKIP
        PosixPath('x.dot')
    """
    target = Path(path)
    extension = target.suffix.lower().lstrip(".")
    if extension not in FORMATS:
        raise ValueError(
            f"save: cannot tell the format from {str(path)!r}: expected a file name ending in "
            f".svg, .png, .pdf, .dot or .gv, got {('.' + extension) if extension else 'no extension'}"
        )
    if FORMATS[extension] == "dot":
        data = graph.source.encode("utf-8")
    else:
        with _dot_required():
            data = graph.pipe(format=FORMATS[extension])
    write_atomic(target, data)
    return target


def render_svg(graph: graphviz.Graph | graphviz.Digraph | graphviz.Source) -> str:
    """The drawing rendered to SVG text by Graphviz's ``dot`` (GraphvizNotFoundError without it)."""
    with _dot_required():
        svg: str = graph.pipe(format="svg", encoding="utf-8")
    return svg


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all: a temporary file beside it, then os.replace.

    The temporary file is created with the usual permissions (0o666 less the umask), so the
    result is readable like any other file the user writes.
    """
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(f"cannot write {str(path)!r}: the directory {str(directory)!r} does not exist")
    temporary = directory / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


# ---- the graph view --------------------------------------------------------------------


def node_ids(order: Sequence[Value]) -> dict[Value, str]:
    """DOT names from positions in the topological order: the same graph gives the same names."""
    return {node: f"n{i}" for i, node in enumerate(order)}


def edge_id(child_id: str, k: int) -> str:
    """The id of the edge from ``child.parents[k]`` to ``child`` (k tells duplicate edges apart)."""
    return f"{child_id}_{k}"


def node_names(order: Sequence[Value]) -> dict[Value, str]:
    """What a node is called in drawings and steps: its label, or ``#i``, i its position in the order."""
    return {node: node.label or f"#{i}" for i, node in enumerate(order)}


def graph_view(
    order: list[Value],
    show_local_grads: bool,
    parameters: frozenset[Value] = frozenset(),
    highlight: Iterable[Value | tuple[Value, Value]] = (),
) -> list[str]:
    """The DOT statements of the graph view (draw(view="graph") and the Stepper's graph)."""
    ids, names = node_ids(order), node_names(order)
    marked_nodes, marked_edges = _highlights(highlight, ids)
    roles = _roles(order, parameters)
    known = _grads_known(order)
    reading = _reading_order(order[-1])
    statements = {
        node: _node_statement(ids[node], node, names[node], roles[node], known, node in marked_nodes)
        for node in reading
    }
    lines = ['node [shape=box style="rounded,filled" margin="0.08,0.04"]']
    lines += _clustered(reading, statements)
    for node in reading:
        for k, (parent, local) in enumerate(zip(node.parents, node.local_grads)):
            attrs = {"id": edge_id(ids[node], k)}
            if show_local_grads:
                attrs["label"] = _quote(_num(local))
            if (parent, node) in marked_edges:
                attrs.update(color=_quote(HIGHLIGHT), fontcolor=_quote(HIGHLIGHT), penwidth="2.5")
            lines.append(f"{ids[parent]} -> {ids[node]} {_attrs(attrs)}")
    lines += [f"{ids[a]} -> {ids[b]} [style=invis]" for a, b in _layering(reading)]
    lines.append(f"label=<{_legend(show_local_grads)}> labelloc=b labeljust=l")
    return lines


def _reading_order(root: Value) -> list[Value]:
    """Every node after its parents, parents visited left to right: the order one reads the expression.

    Nodes are declared in this order, and Graphviz keeps it where it can, so ``x1 * w1 + x2 * w2``
    is drawn with x1 above w1 above x2 (topological_order visits parents right to left).
    """
    order: list[Value] = []
    seen: set[Value] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, parents_placed = stack.pop()
        if parents_placed:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            stack.extend((parent, False) for parent in reversed(node.parents) if parent not in seen)
    return order


def _layering(order: list[Value]) -> list[tuple[Value, Value]]:
    """Invisible edges a{l-1}[k] -> W{l}[j,k] (and -> b{l}[j]) for the z nodes of layers after the first.

    Parameters are leaves, so Graphviz would put every layer's weights in the first column and
    stack the layer clusters on top of each other; these edges keep layer l's W and b just right
    of layer l-1's outputs, so the layers read left to right. Inputs x[k] that are Values are
    leaves themselves and get no such edges (W1 then shares their column, which draws cleanest).
    """
    pairs = []
    for node in order:
        if not _Z.fullmatch(node.label):
            continue
        weights = [p for p in node.parents if _W.fullmatch(p.label)]
        bias = [p for p in node.parents if _B.fullmatch(p.label)]
        inputs = [p for p in node.parents if not _PARAMETER.fullmatch(p.label)]
        if inputs and len(inputs) == len(weights) and all(p.parents for p in inputs):
            pairs += list(zip(inputs, weights)) + [(inputs[0], b) for b in bias]
    return pairs


def _node_statement(node_id: str, node: Value, name: str, role: str, grads_known: bool, marked: bool) -> str:
    head = f"<b>{_html(name)}</b>" if node.label else f'<font color="{MUTED}">{_html(name)}</font>'
    if node.op:
        head += f'  <font color="#1e3a8a">{_html(op_text(node))}</font>'
    grad = f"grad {_num(node.grad)}" if grads_known else f'<font color="{MUTED}">grad: not computed</font>'
    attrs = {
        "id": node_id,
        "fillcolor": _quote(COLORS[role]),
        "label": f"<{_rows([head, f'data {_num(node.data)}', grad])}>",
    }
    if marked:
        attrs.update(color=_quote(HIGHLIGHT), penwidth="3")
    return f"{node_id} {_attrs(attrs)}"


def op_text(node: Value) -> str:
    """The op of a node as drawn, with the number it folded in: "× 2", "+ 1", "2 −", "tanh"."""
    symbol = {"+": "+", "-": "−", "*": "×", "/": "÷", "**": "**", "sum": "Σ", "dot": "Σ w·x"}.get(node.op, node.op)
    c = node.const
    if c is None:
        return symbol
    reflected = {"rsub": "−", "rdiv": "÷", "rpow": "**"}
    if node.op in reflected:
        return f"{_num(c)} {reflected[node.op]}"
    return f"{symbol} + {_num(c)}" if node.op in ("sum", "dot") else f"{symbol} {_num(c)}"


def _roles(order: list[Value], parameters: frozenset[Value]) -> dict[Value, str]:
    roles = {}
    for node in order:
        if node.parents:
            roles[node] = "intermediate"
        elif node in parameters or _PARAMETER.fullmatch(node.label):
            roles[node] = "parameter"
        else:
            roles[node] = "input"
    roles[order[-1]] = "output"
    return roles


def _clustered(order: list[Value], statements: dict[Value, str]) -> list[str]:
    """Node statements, grouped as neurons inside layers when the labels follow the MLP names.

    Inside a neuron: its weights in input order, then the bias, z and a.
    """
    groups: dict[int, dict[int, list[tuple[tuple[int, int], str]]]] = {}
    loose = []
    for node in order:
        key = _neuron_key(node.label)
        if key is None:
            loose.append(statements[node])
        else:
            layer, neuron, place = key
            groups.setdefault(layer, {}).setdefault(neuron, []).append((place, statements[node]))
    lines = []
    for layer in sorted(groups):
        title = "inputs" if layer == 0 else f"layer {layer}"
        lines.append(f'subgraph cluster_{layer} {{ label="{title}" style="rounded" color="#94a3b8" fontcolor="#475569"')
        for neuron, members in sorted(groups[layer].items()):
            body = [statement for _, statement in sorted(members, key=lambda m: m[0])]
            if layer == 0:
                lines += body
                continue
            lines.append(f'subgraph cluster_{layer}_{neuron} {{ label="" style="rounded,dashed" color="#cbd5e1"')
            lines += [*body, "}"]
        lines.append("}")
    return lines + loose


def _neuron_key(label: str) -> tuple[int, int, tuple[int, int]] | None:
    """(layer, neuron, place inside the neuron) of a node named by the MLP conventions.

    The inputs x[k] are layer 0, one "neuron" each. Places: weights W[j,k] by k, then b, z, a.
    """
    m = _W.fullmatch(label)
    if m:
        return int(m[1]), int(m[2]), (0, int(m[3]))
    for place, pattern in ((1, _B), (2, _Z), (3, _A)):
        m = pattern.fullmatch(label)
        if m:
            return int(m[1]), int(m[2]), (place, 0)
    m = _X.fullmatch(label)
    return (0, int(m[1]), (0, 0)) if m else None


def _highlights(
    items: Iterable[Value | tuple[Value, Value]], ids: dict[Value, str]
) -> tuple[set[Value], set[tuple[Value, Value]]]:
    nodes, edges = set(), set()
    for item in items:
        if isinstance(item, Value):
            if item not in ids:
                raise ValueError(f"highlight: {item!r} is not a node of this graph")
            nodes.add(item)
        elif isinstance(item, tuple) and len(item) == 2 and item[1] in ids and item[0] in item[1].parents:
            edges.add(item)
        else:
            raise ValueError(
                f"highlight: expected nodes of the graph and (parent, child) pairs of its edges, got {item!r}"
            )
    return nodes, edges


def _legend(show_local_grads: bool) -> str:
    cells = "".join(
        f'<td bgcolor="{color}" border="1" color="#94a3b8">{role}</td><td> </td>' for role, color in COLORS.items()
    )
    note = "<td>   numbers on edges: local derivatives ∂child/∂parent</td>" if show_local_grads else ""
    return f'<table border="0" cellspacing="0" cellpadding="3"><tr>{cells}{note}</tr></table>'


def _grads_known(order: Iterable[Value]) -> bool:
    return any(node.grad for node in order)


# ---- MLP graphs: the structure behind the neuron and matrix views -----------------------


@dataclass(frozen=True)
class _Layer:
    z: list[Value]  # z{l}[j], j = 0..n_l-1
    a: list[Value] | None  # a{l}[j]; None for a linear layer (z is its output)
    function: str
    weights: list[list[Value]]  # W{l}[j,k]
    biases: list[Value | None]  # b{l}[j]
    inputs: list[float]  # a^{l-1}: d z{l}[0] / d W{l}[0,k] is exactly a^{l-1}_k


@dataclass(frozen=True)
class _MLP:
    inputs: dict[int, Value]  # the x[k] nodes, when the inputs were Values
    layers: list[_Layer]
    loss: Value | None  # the root, when it is not a layer's output itself


def _mlp(order: list[Value], view: str) -> _MLP:
    """The layers of an MLP graph, read off the node labels (W1[j,k], b1[j], z1[j], a1[j], x[k])."""
    found: dict[str, dict[tuple[int, ...], Value]] = {"z": {}, "a": {}, "x": {}}
    for node in order:
        for kind, pattern in (("z", _Z), ("a", _A), ("x", _X)):
            m = pattern.fullmatch(node.label)
            if m:
                key = tuple(int(g) for g in m.groups())
                if key in found[kind]:
                    raise ValueError(_several_samples(view, node.label, order))
                found[kind][key] = node
    zs = found["z"]
    if not zs:
        raise ValueError(
            f"draw(view={view!r}) needs the graph of an MLP, with nodes labelled z1[0], a1[0], W1[0,0], b1[0] "
            f"(the label conventions of nn); this graph has no node labelled z<l>[<j>]. Use view='graph'."
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
    return _MLP({k[0]: v for k, v in found["x"].items()}, layers, loss)


def _layer_sizes(zs: dict[tuple[int, ...], Value], view: str) -> list[int]:
    last = max(layer for layer, _ in zs)
    sizes = []
    for layer in range(1, last + 1):
        js = sorted(j for l_, j in zs if l_ == layer)
        if js != list(range(len(js))) or not js:
            have = ", ".join(f"z{layer}[{j}]" for j in js) or "none"
            raise ValueError(
                f"draw(view={view!r}): the z nodes of layer {layer} must be z{layer}[0] to z{layer}[n-1]; "
                f"this graph has {have}"
            )
        sizes.append(len(js))
    return sizes


def _read_layer(layer: int, z: list[Value], acts: dict[tuple[int, ...], Value], n_in: int | None, view: str) -> _Layer:
    weights, biases = [], []
    inputs: dict[int, float] = {}
    for j, node in enumerate(z):
        row: dict[int, Value] = {}
        bias = None
        for parent, local in zip(node.parents, node.local_grads):
            m = _W.fullmatch(parent.label)
            if m and (int(m[1]), int(m[2])) == (layer, j):
                row[int(m[3])] = parent
                inputs.setdefault(int(m[3]), local)
            elif parent.label == f"b{layer}[{j}]":
                bias = parent
        width = n_in if n_in is not None else len(row)
        if node.op != "dot" or sorted(row) != list(range(width)) or not row:
            raise ValueError(
                f"draw(view={view!r}): z{layer}[{j}] must be a Value.dot node whose parents are "
                f"W{layer}[{j},0] to W{layer}[{j},{width - 1}] (and b{layer}[{j}]); "
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
            f"draw(view={view!r}): every a{layer}[j] must be computed from z{layer}[j] alone "
            f"(a{layer}[j] = f(z{layer}[j])), for every neuron j of layer {layer}"
        )
    functions = sorted({node.op for node in a if node is not None})
    return _Layer(z, [node for node in a if node is not None], "/".join(functions), weights, biases, inputs_in_order)


def _several_samples(view: str, label: str, order: list[Value]) -> str:
    count = sum(node.label == label for node in order)
    return (
        f"draw(view={view!r}) draws one sample, but this graph holds several: the label {label!r} is on "
        f"{count} nodes. Draw the graph of a single sample, or use view='graph'."
    )


# ---- the neuron view -------------------------------------------------------------------


def _neuron_view(mlp: _MLP, show_weights: bool, grads_known: bool) -> list[str]:
    # Each column (the inputs, then each layer) is one node with a port per unit: Graphviz keeps
    # the rows of a table in order, while separate nodes of a dense layer come out shuffled.
    inputs = []
    for k, x in enumerate(mlp.layers[0].inputs):
        rows = [[f"<b>x[{k}]</b>", _num(x)]]
        if k in mlp.inputs and grads_known:
            rows.append(["grad", _num(mlp.inputs[k].grad)])
        inputs.append(_grid(rows))
    lines = ["splines=line ranksep=0.9", "node [shape=plain]"]
    lines.append(f"L0 [label=<{_column_of_units('inputs', inputs, COLORS['input'])}>]")
    for number, layer in enumerate(mlp.layers, start=1):
        title = f"layer {number} · {_html(layer.function)} · W{number}: {len(layer.z)}×{len(layer.inputs)}"
        units = [_grid(_neuron_rows(layer, number, j, show_weights, grads_known)) for j in range(len(layer.z))]
        lines.append(f"L{number} [label=<{_column_of_units(title, units, COLORS['intermediate'])}>]")
        lines += [
            f"L{number - 1}:{k}:e -> L{number}:{j}:w" for k in range(len(layer.inputs)) for j in range(len(layer.z))
        ]
    if mlp.loss is not None:
        box = _grid([[f"<b>{_html(mlp.loss.label or 'loss')}</b>", _num(mlp.loss.data)]])
        lines.append(f"loss [label=<{_column_of_units('', [box], COLORS['output'])}>]")
        last = len(mlp.layers)
        lines += [f"L{last}:{j}:e -> loss:0:w" for j in range(len(mlp.layers[-1].z))]
    lines.append('label="δ = ∂loss/∂z = z.grad" labelloc=b labeljust=l fontcolor="#475569"')
    return lines


def _column_of_units(title: str, units: list[str], color: str) -> str:
    """A titled column of boxes, one table cell (and port) per unit."""
    cells = "".join(
        f'<tr><td port="{i}" border="1" style="rounded" bgcolor="{color}" cellpadding="4">{unit}</td></tr>'
        for i, unit in enumerate(units)
    )
    head = f'<tr><td><font color="#475569">{title}</font></td></tr>' if title else ""
    return f'<table border="0" cellborder="0" cellspacing="10">{head}{cells}</table>'


def _neuron_rows(layer: _Layer, number: int, j: int, show_weights: bool, grads_known: bool) -> list[list[str]]:
    """One neuron: its weight row and bias (the local derivatives of z), then z, a and δ."""
    rows = []
    if show_weights:
        w = [node.data for node in layer.weights[j]]
        shown = "  ".join(map(_num, w)) if len(w) <= 6 else f"‖·‖ = {_num(math.hypot(*w))}"
        rows.append([f"W{number}[{j},:]", shown])
        bias = layer.biases[j]
        if bias is not None:
            rows.append([f"b{number}[{j}]", _num(bias.data)])
    z = layer.z[j]
    rows.append([f"<b>z{number}[{j}]</b>", _num(z.data)])
    if layer.a is not None:
        rows.append([f"<b>a{number}[{j}]</b>", _num(layer.a[j].data)])
    rows.append(["<b>δ</b>", _num(z.grad) if grads_known else "not computed"])
    return rows


# ---- the matrix view -------------------------------------------------------------------


@dataclass(frozen=True)
class _MatrixNet:
    weights: list[list[list[float]]]
    biases: list[list[list[float]] | None]
    activations: list[list[list[float]]]
    functions: list[str]
    deltas: list[list[list[float]]] | None
    weight_grads: list[list[list[float]]] | None
    loss: float | None
    loss_name: str = "loss"

    @staticmethod
    def checked(
        weights: Sequence[ArrayLike],
        biases: Sequence[ArrayLike | None] | None,
        activations: Sequence[ArrayLike],
        functions: Sequence[str],
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
        _expect_count("activations", activations, n_layers + 1, "a^0 = x, then one per layer")
        acts = [_matrix(a, f"activations[{i}]") for i, a in enumerate(activations)]
        samples = len(acts[0][0])
        for i, a in enumerate(acts):
            _expect_shape(f"activations[{i}] (a^{i})", a, (sizes[i], samples))
        _expect_count("functions", functions, n_layers, "one per layer")
        bs = None if biases is None else _vectors("biases", biases, sizes[1:], 1)
        ds = None if deltas is None else _vectors("deltas", deltas, sizes[1:], samples)
        gs = None
        if weight_grads is not None:
            _expect_count("weight_grads", weight_grads, n_layers, "one per layer")
            gs = [_matrix(g, f"weight_grads[{i}]", ndim=2) for i, g in enumerate(weight_grads)]
            for i, g in enumerate(gs):
                _expect_shape(f"weight_grads[{i}] (dW^{i + 1})", g, (sizes[i + 1], sizes[i]))
        return _MatrixNet(ws, bs or [None] * n_layers, acts, [str(f) for f in functions], ds, gs, loss, loss_name)


def _matrix_view_of(mlp: _MLP, grads_known: bool) -> list[str]:
    """The matrix view of an MLP graph: its numbers gathered into the matrices of each layer."""
    layers = mlp.layers
    weights = [[[w.data for w in row] for row in layer.weights] for layer in layers]
    biases = [_data(layer.biases) for layer in layers]
    activations = [layers[0].inputs] + [[v.data for v in (layer.a or layer.z)] for layer in layers]
    deltas = [[z.grad for z in layer.z] for layer in layers] if grads_known else None
    grads = [[[w.grad for w in row] for row in layer.weights] for layer in layers] if grads_known else None
    loss = None if mlp.loss is None else mlp.loss.data
    net = _MatrixNet.checked(
        weights,
        biases,
        activations,
        [layer.function for layer in layers],
        deltas,
        grads,
        loss,
        (mlp.loss.label if mlp.loss is not None else "") or "loss",
    )
    return _matrix_view(net)


def _data(nodes: list[Value | None]) -> list[float] | None:
    """The numbers of a layer's bias nodes; None when the layer has no biases."""
    return None if any(node is None for node in nodes) else [node.data for node in nodes if node is not None]


_SUPERSCRIPTS = str.maketrans("0123456789T", "⁰¹²³⁴⁵⁶⁷⁸⁹ᵀ")


def _sup(text: object) -> str:
    """Superscript as Unicode characters: Graphviz's <SUP> becomes a separate SVG <text> with a
    baseline-shift that browsers ignore, so "z<sup>1</sup>" would show as a misplaced "z 1"."""
    return str(text).translate(_SUPERSCRIPTS)


def _matrix_view(net: _MatrixNet) -> list[str]:
    lines = ['node [shape=box style="rounded,filled" fillcolor="#f8fafc" color="#94a3b8"]']
    x = net.activations[0]
    lines.append(f"a0 [fillcolor={_quote(COLORS['input'])} label=<{_column(f'a{_sup(0)} = x', x)}>]")
    for i in range(len(net.weights)):
        lines.append(f"L{i + 1} [label=<{_layer_table(net, i)}>]")
    last = f"L{len(net.weights)}"
    if net.loss is not None:
        title = f"<b>{_html(net.loss_name)}</b> = {_num(net.loss)}"
        lines.append(f"loss [fillcolor={_quote(COLORS['output'])} label=<{title}>]")
    chain = ["a0"] + [f"L{i + 1}" for i in range(len(net.weights))] + (["loss"] if net.loss is not None else [])
    for i, (a, b) in enumerate(itertools.pairwise(chain)):
        shape = "×".join(str(n) for n in _shape(net.activations[i]))
        lines.append(f"{a} -> {b} [label=<a{_sup(i)} ({shape})>]")
    if net.deltas is not None:
        back = 'style=dashed color="#b91c1c" fontcolor="#b91c1c" constraint=false'
        n = len(net.weights)
        if net.loss is not None:
            c = _html(net.loss_name)
            lines.append(f"loss -> {last} [{back} label=<δ{_sup(n)} = ∂{c}/∂z{_sup(n)}>]")
        for layer in range(n - 1, 0, -1):
            here, above = _sup(layer), _sup(layer + 1)
            rule = f"δ{here} = (W{above}){_sup('T')} δ{above} ⊙ f′(z{here})"
            lines.append(f"L{layer + 1} -> L{layer} [{back} label=<{rule}>]")
    return lines


def _layer_table(net: _MatrixNet, i: int) -> str:
    """One layer: W, b, z, a side by side, and under them dW, db, δ (as the equations pair them)."""
    sup, prev = _sup(i + 1), _sup(i)
    w, b, a = net.weights[i], net.biases[i], net.activations[i + 1]
    f = _html(net.functions[i])
    rule = f"a{sup} = z{sup}" if f == "linear" else f"a{sup} = {f}(z{sup})"
    bias = f" + b{sup}" if b is not None else ""
    head = f"<b>layer {i + 1}</b>:  z{sup} = W{sup} a{prev}{bias},   {rule}"
    forward = [
        _column(f"W{sup}  ({len(w)}×{len(w[0])})", w),
        _column(f"b{sup}", b) if b is not None else "<i>no bias</i>",
        _column(f"z{sup}", _pre_activations(w, b, net.activations[i])),
        _column(f"a{sup}", a),
    ]
    rows = [f'<tr><td colspan="4">{head}</td></tr>', _cells(forward)]
    if net.deltas is not None:
        c, delta = _html(net.loss_name), net.deltas[i]
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


def _numbers(m: list[list[float]], largest: int = 8) -> str:
    if not m:
        return ""
    rows, cols = len(m), len(m[0])
    if rows > largest or cols > largest:
        norm = math.sqrt(math.fsum(v * v for row in m for v in row))
        return f"{rows}×{cols},  ‖·‖ = {_num(norm)}"
    body = "".join("<tr>" + "".join(f'<td align="right">{_num(v)}</td>' for v in row) + "</tr>" for row in m)
    table = 'border="0" cellborder="1" cellspacing="0" cellpadding="3" color="#cbd5e1" bgcolor="white"'
    return f"<table {table}>{body}</table>"


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


# ---- DOT text ----------------------------------------------------------------------------


def _num(x: float) -> str:
    """A number as drawn: 4 significant digits, a short exponent (1.235e-5), no negative zero."""
    if x == 0:
        return "0"
    s = f"{x:.4g}"
    if "e" in s:
        mantissa, exponent = s.split("e")
        s = f"{mantissa}e{int(exponent)}"
    return s


def _html(text: str) -> str:
    """Text made safe for an HTML-like DOT label: markup escaped, newlines kept, control characters shown."""
    shown = "".join(repr(c)[1:-1] if c != "\n" and unicodedata.category(c) in ("Cc", "Cs", "Cn") else c for c in text)
    escaped = shown.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return escaped.replace("\n", "<br/>")


def _quote(text: str) -> str:
    """A DOT double-quoted string, for the fixed text and numbers we write (never user labels)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _attrs(attrs: dict[str, str]) -> str:
    return "[" + " ".join(f"{k}={v}" for k, v in attrs.items()) + "]"


def _rows(rows: list[str]) -> str:
    body = "".join(f"<tr><td>{row}</td></tr>" for row in rows)
    return f'<table border="0" cellborder="0" cellspacing="0" cellpadding="1">{body}</table>'


def _grid(rows: list[list[str]]) -> str:
    body = "".join(
        "<tr>"
        + "".join(f'<td align="{"left" if i == 0 else "right"}">{cell}</td>' for i, cell in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return f'<table border="0" cellborder="0" cellspacing="0" cellpadding="2">{body}</table>'


def _digraph(rankdir: str, lines: list[str]) -> graphviz.Digraph:
    head = [
        f'graph [rankdir={rankdir} fontname="{FONT}" fontsize=10 nodesep=0.2 ranksep=0.35]',
        f'node [fontname="{FONT}" fontsize=10]',
        f'edge [fontname="{FONT}" fontsize=9 color="#64748b" fontcolor="#334155" arrowsize=0.6]',
    ]
    return _drawing_class()(name="autograd", body=[f"\t{line}\n" for line in head + lines])


def _check_choice(what: str, given: str, allowed: Sequence[str]) -> None:
    if given not in allowed:
        raise ValueError(f"draw: {what} must be one of {', '.join(map(repr, allowed))}, got {given!r}")


def _check_size(count: int, max_nodes: int, what: str) -> None:
    if count > max_nodes:
        raise ValueError(
            f"draw: the drawing would have {count:,} {what}, more than max_nodes={max_nodes:,}. "
            f"For an MLP, view='neurons' draws one box per neuron and view='matrix' one per layer; "
            f"otherwise pass a larger max_nodes (large drawings are slow to lay out and hard to read)."
        )


def _short(x: object) -> str:
    r = repr(x)
    return r if len(r) <= 60 else r[:57] + "..."


# ---- Graphviz: imported only here, when a drawing is made --------------------------------


@functools.cache
def _drawing_class() -> type[graphviz.Digraph]:
    try:
        import graphviz
    except ImportError:
        raise ImportError(
            "drawing needs the graphviz Python package: pip install graphviz (and Graphviz's dot: "
            + INSTALL_GRAPHVIZ
            + ")"
        ) from None

    class Drawing(graphviz.Digraph):
        """A graphviz.Digraph whose rendering says how to install Graphviz when ``dot`` is missing."""

        def pipe(self, *args: Any, **kwargs: Any) -> Any:
            with _dot_required():
                return super().pipe(*args, **kwargs)

        def render(self, *args: Any, **kwargs: Any) -> Any:
            with _dot_required():
                return super().render(*args, **kwargs)

    return Drawing


@contextmanager
def _dot_required() -> Iterator[None]:
    import graphviz

    try:
        yield
    except graphviz.ExecutableNotFound:
        raise GraphvizNotFoundError(
            "rendering a drawing needs Graphviz's dot program, which was not found on PATH. Install it: "
            + INSTALL_GRAPHVIZ
            + ". The DOT text (drawing.source, or save(drawing, 'graph.dot')) works without it."
        ) from None
