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

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from autograd_core.dot import (
    COLORS,
    HIGHLIGHT,
    MUTED,
    RANKDIRS,
    check_choice,
    check_size,
    digraph,
    dot_attrs,
    dot_quote,
    html_text,
    num_text,
    table_rows,
)
from autograd_core.graph import topological_order
from autograd_core.mlp_views import (
    B_LABEL,
    PARAMETER_LABEL,
    W_LABEL,
    Z_LABEL,
    matrix_view_of,
    neuron_key,
    neuron_view,
    read_mlp,
)
from autograd_core.value import Value

if TYPE_CHECKING:
    import graphviz  # type: ignore[import-untyped]

DEFAULT_MAX_NODES = 300


VIEWS = ("graph", "neurons", "matrix")


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
    check_choice("view", view, VIEWS)
    check_choice("rankdir", rankdir, RANKDIRS)
    order = topological_order(root)
    if view == "graph":
        check_size(len(order), max_nodes, "nodes")
        lines = graph_view(order, show_local_grads, frozenset(parameters), highlight)
    else:
        mlp = read_mlp(order, view)
        if view == "neurons":
            check_size(len(mlp.layers[0].inputs) + sum(len(layer.z) for layer in mlp.layers), max_nodes, "neurons")
            lines = neuron_view(mlp, show_local_grads, _grads_known(order), rankdir)
        else:
            lines = matrix_view_of(mlp, _grads_known(order))
    return digraph(rankdir, lines)


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
                attrs["label"] = dot_quote(num_text(local))
            if (parent, node) in marked_edges:
                attrs.update(color=dot_quote(HIGHLIGHT), fontcolor=dot_quote(HIGHLIGHT), penwidth="2.5")
            lines.append(f"{ids[parent]} -> {ids[node]} {dot_attrs(attrs)}")
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
        if not Z_LABEL.fullmatch(node.label):
            continue
        weights = [p for p in node.parents if W_LABEL.fullmatch(p.label)]
        bias = [p for p in node.parents if B_LABEL.fullmatch(p.label)]
        inputs = [p for p in node.parents if not PARAMETER_LABEL.fullmatch(p.label)]
        if inputs and len(inputs) == len(weights) and all(p.parents for p in inputs):
            pairs += list(zip(inputs, weights)) + [(inputs[0], b) for b in bias]
    return pairs


def _node_statement(node_id: str, node: Value, name: str, role: str, grads_known: bool, marked: bool) -> str:
    head = f"<b>{html_text(name)}</b>" if node.label else f'<font color="{MUTED}">{html_text(name)}</font>'
    if node.op:
        head += f'  <font color="#1e3a8a">{html_text(op_text(node))}</font>'
    grad = f"grad {num_text(node.grad)}" if grads_known else f'<font color="{MUTED}">grad: not computed</font>'
    attrs = {
        "id": node_id,
        "fillcolor": dot_quote(COLORS[role]),
        "label": f"<{table_rows([head, f'data {num_text(node.data)}', grad])}>",
    }
    if marked:
        attrs.update(color=dot_quote(HIGHLIGHT), penwidth="3")
    return f"{node_id} {dot_attrs(attrs)}"


def op_text(node: Value) -> str:
    """The op of a node as drawn, with the number it folded in: "× 2", "+ 1", "2 −", "tanh"."""
    symbol = {"+": "+", "-": "−", "*": "×", "/": "÷", "**": "**", "sum": "Σ", "dot": "Σ w·x"}.get(node.op, node.op)
    c = node.const
    if c is None:
        return symbol
    reflected = {"rsub": "−", "rdiv": "÷", "rpow": "**"}
    if node.op in reflected:
        return f"{num_text(c)} {reflected[node.op]}"
    return f"{symbol} + {num_text(c)}" if node.op in ("sum", "dot") else f"{symbol} {num_text(c)}"


def _roles(order: list[Value], parameters: frozenset[Value]) -> dict[Value, str]:
    roles = {}
    for node in order:
        if node.parents:
            roles[node] = "intermediate"
        elif node in parameters or PARAMETER_LABEL.fullmatch(node.label):
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
        key = neuron_key(node.label)
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
