"""Drawings of computation graphs: DOT text built in pure Python, rendered by Graphviz.

    from autograd_core import Value, draw, save_drawing
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = (a * b + 1).tanh()
    out.backward()
    g = draw(out)              # a graphviz.Digraph: shows inline in Jupyter
    print(g.source)            # the DOT text (no Graphviz needed for this)
    save_drawing(g, "out.svg")         # .svg, .png, .pdf or .dot, from the extension

Every node is drawn with its label, op (and the number it folded in: ``× 2``), data and grad;
each edge parent -> child carries the local derivative d(child)/d(parent). The engine knows
nothing of layers or samples: four small hooks let a caller say more, ``parameters=`` (leaves to
colour as parameters), ``group=`` (the clusters a node is drawn in), ``names=`` (the name a node
is shown with) and ``keep=`` (the nodes to draw: a part of the graph). ``nn.draw_mlp`` uses them
to draw an MLP's graph grouped into neurons and layers, or one sample of a batch, and adds the
neuron and matrix views.

Grads show as "grad: not computed" when every grad in the graph is exactly 0 (no backward()
has run, or it was seeded with 0). Only the standard library is imported until a drawing is made.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from autograd_core.dot import (
    COLORS,
    HIGHLIGHT,
    LAYOUT_BUDGET,
    MUTED,
    RANKDIRS,
    check_choice,
    check_size,
    cut,
    digraph,
    dot_attrs,
    dot_quote,
    html_text,
    num_text,
    printable,
    table_rows,
)
from autograd_core.graph import topological_order
from autograd_core.inputs import short
from autograd_core.value import Value

if TYPE_CHECKING:
    import graphviz  # type: ignore[import-untyped]

DEFAULT_MAX_NODES = 300

Group = Callable[[Value], Sequence[str] | None]
"""The clusters a node is drawn in, outermost first, by title: ("layer 2", "neuron 0"); None: none."""

Names = Callable[[Value], str | None]
"""The name a node is shown with, in drawings and steps; None: the default (its label, or #i)."""


def draw(
    root: Value,
    *,
    rankdir: str = "LR",
    show_local_grads: bool = True,
    highlight: Iterable[Value | tuple[Value, Value]] = (),
    parameters: Iterable[Value] = (),
    group: Group | None = None,
    names: Names | None = None,
    keep: Iterable[Value] | None = None,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> graphviz.Digraph:
    """A drawing of the graph that ``root`` depends on, as a ``graphviz.Digraph``.

    Args:
        rankdir: "LR" (inputs on the left) or "TB" (inputs on top).
        show_local_grads: write d(child)/d(parent) on every edge.
        highlight: nodes, and (parent, child) pairs for edges, to draw in red.
        parameters: leaves to colour as parameters (and to place beside the node that uses
            them, for a ``Value.dot`` node). Other leaves are inputs; ``root`` is the output.
        group: a function from a node to the clusters it is drawn in, outermost first, as a
            tuple of titles (``("layer 2", "neuron 0")``), or None for no cluster. Clusters are
            drawn in the natural order of their titles (numbers compare as numbers).
        names: a function from a node to the name it is shown with, or None for the default
            (its label, or ``#i`` with i its position in ``topological_order(root)``).
        keep: draw only these nodes of the graph, and the edges between them (None: all).
            ``root`` must be one of them. For a part of a large graph.
        max_nodes: refuse (ValueError) to draw more nodes than this (those kept, with ``keep``). A graph
            whose layout would be costly for Graphviz (edges that cross many ranks, such as one leaf used
            by every node of a long chain: ``a+a+...+a``) is refused too, before any layout starts (see
            ``layout_cost``); and every ``dot`` run has a time limit (``dot.DOT_TIME_LIMIT``).

    Example::

        >>> from autograd_core import Value, draw
        >>> x = Value(3.0, label="x")
        >>> print(draw(x * 2).source.count("->"))
        1
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw: expected a Value as the root, got {type(root).__name__}: {short(root)}")
    check_choice("rankdir", rankdir, RANKDIRS)
    order = topological_order(root)
    kept = kept_nodes(order, keep, "draw")
    shown = order if kept is None else [node for node in order if node in kept]
    if len(shown) > max_nodes:
        check_size(len(shown), max_nodes, "nodes", too_big_advice(shown, show_local_grads, "draw"))
    cost = check_layout_cost(shown, show_local_grads, "draw")
    lines = graph_view(order, show_local_grads, frozenset(parameters), highlight, group, names, kept)
    return digraph(rankdir, lines, f"graph of {node_names(order, names)[root]}", cost)


def layout_cost(order: Sequence[Value], show_local_grads: bool) -> int:
    """How much Graphviz's ``dot`` has to lay out: the boxes, plus one virtual node for every rank an
    edge crosses (dot routes a long edge through a chain of them) and, with edge labels, for each
    label (dot gives labels ranks of their own, doubling every edge's span). Parallel edges are
    drawn as one. Nodes are ranked as late as their first use allows, as dot's ranking tends to.

    The layout time grows much faster than this count (crossing minimisation on the virtual
    nodes): ``a+a+...+a`` with 100 terms has 100 boxes but a cost near 10,000. ``order`` may be a
    part of a graph (``keep=``): edges from parents outside it are not drawn, so not counted.
    """
    rank = _ranks(order)
    per_rank = 2 if show_local_grads else 1
    virtual = sum(per_rank * (rank[node] - rank[p]) - 1 for node in order for p in set(node.parents) if p in rank)
    return len(order) + virtual


def _ranks(order: Sequence[Value]) -> dict[Value, int]:
    """The rank of each node as dot tends to give it: the longest path from the leaves, then each
    node as late as its first use allows (edges from parents outside ``order`` left out)."""
    rank: dict[Value, int] = {}
    for node in order:
        rank[node] = 1 + max((rank[p] for p in node.parents if p in rank), default=-1)
    first_use: dict[Value, int] = {}
    for node in reversed(order):
        if node in first_use:
            rank[node] = first_use[node] - 1
        for p in node.parents:
            if p in rank:
                first_use[p] = min(first_use.get(p, rank[node]), rank[node])
    return rank


def too_big_advice(part: Sequence[Value], show_local_grads: bool, what: str) -> str:
    """What to do about a graph over max_nodes: show a part of it, and pass a larger max_nodes only
    when the layout of all of it would not be refused as too costly (advice never leads to a refusal)."""
    advice = f"{what} a part of it with keep= (a set of its nodes that holds the root)"
    if layout_cost(part, show_local_grads) <= LAYOUT_BUDGET:
        advice += ", or pass a larger max_nodes (large drawings are slow to lay out and hard to read)"
    return advice


_HALVE = ", or leave the numbers off the edges (show_local_grads=False halves the cost)"


def check_layout_cost(order: Sequence[Value], show_local_grads: bool, where: str) -> int:
    """``layout_cost``, or a ValueError with advice when it is over dot.LAYOUT_BUDGET."""
    cost = layout_cost(order, show_local_grads)
    if cost > LAYOUT_BUDGET:
        raise ValueError(
            f"{where}: this graph would be costly to lay out (layout cost {cost:,}, more than {LAYOUT_BUDGET:,}: "
            f"{_why_costly(order, show_local_grads, cost)}); Graphviz could take minutes. Draw a smaller graph"
            + (_HALVE if show_local_grads else "")
        )
    return cost


def _why_costly(order: Sequence[Value], show_local_grads: bool, cost: int) -> str:
    """What makes the layout costly: edges that cross many ranks, when they make most of the cost
    (naming the node whose edges cross the most), or else the size of the graph itself."""
    rank = _ranks(order)
    crossed: Counter[Value] = Counter()
    for node in order:
        for p in set(node.parents):
            if p in rank:
                crossed[p] += rank[node] - rank[p] - 1
    per_rank = 2 if show_local_grads else 1
    if 2 * per_rank * sum(crossed.values()) >= cost:
        hub = max(crossed, key=crossed.__getitem__)
        depths = len({rank[node] for node in order if hub in node.parents})
        return f"edges that cross many ranks, e.g. {node_names(order)[hub]!r} feeds nodes at {depths:,} depths"
    edges = sum(len(set(node.parents) & rank.keys()) for node in order)
    return f"{len(order):,} nodes and {edges:,} edges" + (", each with a number" if show_local_grads else "")


def kept_nodes(order: Sequence[Value], keep: Iterable[Value] | None, where: str) -> frozenset[Value] | None:
    """The ``keep=`` argument checked: None (all), or a set of nodes of the graph that holds its root."""
    if keep is None:
        return None
    kept = frozenset(keep)
    if not kept <= set(order):
        raise ValueError(f"{where}(keep=...): every node kept must be a node of the graph of root")
    if order[-1] not in kept:
        raise ValueError(f"{where}(keep=...): the nodes kept must include the root")
    return kept


def node_ids(order: Sequence[Value]) -> dict[Value, str]:
    """DOT names from positions in the topological order: the same graph gives the same names."""
    return {node: f"n{i}" for i, node in enumerate(order)}


def edge_id(child_id: str, k: int) -> str:
    """The id of the drawn edge from ``child.parents[k]`` to ``child``.

    Parallel edges (``a * a`` has two edges from ``a``) are drawn as one, whose id is that of
    the first: ``edge_id(child_id, first_edge(child, k))``.
    """
    return f"{child_id}_{k}"


def first_edge(node: Value, k: int) -> int:
    """The index of the first edge from the same parent as ``node.parents[k]``: the one drawn."""
    parent = node.parents[k]
    return next(i for i, p in enumerate(node.parents) if p is parent)


def drawn_edges(node: Value) -> list[tuple[int, Value, list[float]]]:
    """One entry per distinct parent: (index of its first edge, the parent, every edge's local derivative)."""
    edges: dict[int, tuple[int, Value, list[float]]] = {}
    for k, (parent, local) in enumerate(zip(node.parents, node.local_grads)):
        if id(parent) in edges:
            edges[id(parent)][2].append(local)
        else:
            edges[id(parent)] = (k, parent, [local])
    return list(edges.values())


def edge_text(locals_: list[float]) -> str:
    """An edge's label: its local derivative; for parallel edges, how many, and theirs."""
    if len(locals_) == 1:
        return num_text(locals_[0])
    shown = sorted(set(locals_), key=locals_.index)
    values = ", ".join(num_text(g) for g in shown[:3]) + (", …" if len(shown) > 3 else "")
    return f"{values} ({len(locals_)} edges{' each' if len(shown) == 1 else ''})"


def node_names(order: Sequence[Value], names: Names | None = None) -> dict[Value, str]:
    """What a node is called in drawings and steps: ``names(node)`` when given and not None, else
    its label, or ``#i`` for the i-th unlabelled node in reading order (``reading_order``: the order
    one reads the expression, so in ``(a*b + c).tanh()`` a*b is #1, a*b + c is #2 and the tanh #3).
    A name longer than ``dot.MAX_TEXT`` characters is cut, ending in "…"."""
    default: dict[Value, str] = {}
    unlabelled = 0
    for node in reading_order(order[-1]) if order else ():
        if not node.label:
            unlabelled += 1
        default[node] = cut(node.label) if node.label else f"#{unlabelled}"
    if names is None:
        return default
    return {node: _name(names(node), node, default[node]) for node in order}


def _name(given: object, node: Value, default: str) -> str:
    if given is None:
        return default
    if not isinstance(given, str):
        raise TypeError(f"names: expected a str or None for {short(node)}, got {type(given).__name__}: {short(given)}")
    return cut(given)


def graph_view(
    order: list[Value],
    show_local_grads: bool,
    parameters: frozenset[Value] = frozenset(),
    highlight: Iterable[Value | tuple[Value, Value]] = (),
    group: Group | None = None,
    names: Names | None = None,
    keep: frozenset[Value] | None = None,
) -> list[str]:
    """The DOT statements of the graph view (draw() and the Stepper's graph); with ``keep``, only
    those nodes and the edges between them (ids and default names stay those of the whole graph)."""
    ids, shown = node_ids(order), node_names(order, names)
    marked_nodes, marked_edges = _highlights(highlight, ids)
    roles = _roles(order, parameters)
    known = _grads_known(order)
    reading = reading_order(order[-1])
    if keep is not None:
        reading = [node for node in reading if node in keep]
    statements = {
        node: _node_statement(ids[node], node, shown[node], roles[node], known, node in marked_nodes)
        for node in reading
    }
    lines = ['node [shape=box style="rounded,filled" margin="0.08,0.04"]']
    lines += _clustered(reading, statements, group)
    for node in reading:
        for k, parent, locals_ in drawn_edges(node):
            if keep is not None and parent not in keep:
                continue
            attrs = {"id": edge_id(ids[node], k)}
            if show_local_grads:
                attrs["label"] = dot_quote(edge_text(locals_))
            elif len(locals_) > 1:
                attrs["label"] = dot_quote(f"×{len(locals_)}")
            if (parent, node) in marked_edges:
                attrs.update(color=dot_quote(HIGHLIGHT), fontcolor=dot_quote(HIGHLIGHT), penwidth="2.5")
            lines.append(f"{ids[parent]} -> {ids[node]} {dot_attrs(attrs)}")
    beside = _beside_their_inputs(reading, parameters)
    lines += [f"{ids[a]} -> {ids[b]} [style=invis]" for a, b in beside if keep is None or {a, b} <= keep]
    lines.append(f"label=<{_legend(show_local_grads, set(roles.values()))}> labelloc=b labeljust=l")
    return lines


def reading_order(root: Value) -> list[Value]:
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


_reading_order = reading_order  # the name it had


def _beside_their_inputs(order: list[Value], parameters: frozenset[Value]) -> list[tuple[Value, Value]]:
    """Invisible edges input[k] -> weight[k] (and input[0] -> bias) for the ``dot`` nodes whose
    weights are parameters and whose inputs are computed nodes (a neuron after the first layer).

    Parameters are leaves, so Graphviz would put them all in the first column and stack the
    nodes that use them on top of each other; these edges keep each weight just right of the
    input it multiplies, so a network reads left to right. Inputs that are leaves themselves get
    no such edges (the weights then share their column, which draws cleanest).
    """
    pairs = []
    for node in order:
        if node.op != "dot":
            continue
        weights = [p for p in node.parents if p in parameters]
        inputs = [p for p in node.parents if p not in parameters]
        if inputs and len(weights) in (len(inputs), len(inputs) + 1) and all(p.parents for p in inputs):
            pairs += list(zip(inputs, weights)) + [(inputs[0], b) for b in weights[len(inputs) :]]
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
    if node.op == "dot" and _squares(node):
        symbol = "Σ x²"
    c = node.const
    if c is None:
        return symbol
    reflected = {"rsub": "−", "rdiv": "÷", "rpow": "**"}
    if node.op in reflected:
        return f"{num_text(c)} {reflected[node.op]}"
    return f"{symbol} + {num_text(c)}" if node.op in ("sum", "dot") else f"{symbol} {num_text(c)}"


def _squares(node: Value) -> bool:
    """True for a ``Value.dot(xs, xs)``: weights and inputs the same nodes, a sum of squares."""
    terms = getattr(node, "terms", None)
    if terms is None:
        return False
    n, w, x, b = terms
    ps = node.parents
    return n > 0 and w == x == n and not b and all(ps[i] is ps[i + n] for i in range(n))


def _roles(order: list[Value], parameters: frozenset[Value]) -> dict[Value, str]:
    roles = {}
    for node in order:
        if node.parents:
            roles[node] = "intermediate"
        elif node in parameters:
            roles[node] = "parameter"
        else:
            roles[node] = "input"
    roles[order[-1]] = "output"
    return roles


def _clustered(order: list[Value], statements: dict[Value, str], group: Group | None) -> list[str]:
    """Node statements, nested in the clusters ``group`` puts them in; within a cluster, in ``order``."""
    if group is None:
        return [statements[node] for node in order]
    tree: dict = {}  # title -> (subtree, statements)
    loose = []
    for node in order:
        path = tuple(group(node) or ())
        if not path:
            loose.append(statements[node])
            continue
        level = tree
        for title in path[:-1]:
            level = level.setdefault(title, ({}, []))[0]
        level.setdefault(path[-1], ({}, []))[1].append(statements[node])
    return _cluster_lines(tree, "cluster") + loose


def _cluster_lines(tree: dict, prefix: str, depth: int = 0) -> list[str]:
    lines = []
    style = 'style="rounded" color="#94a3b8"' if depth == 0 else 'style="rounded,dashed" color="#cbd5e1"'
    for i, title in enumerate(sorted(tree, key=_natural)):
        subtree, members = tree[title]
        name = f"{prefix}_{i}"
        lines.append(f'subgraph {name} {{ label={dot_quote(printable(cut(title)))} {style} fontcolor="#475569"')
        lines += _cluster_lines(subtree, name, depth + 1) + members + ["}"]
    return lines


def _natural(title: str) -> list[tuple[int, int | str]]:
    """A sort key that compares the numbers in a title as numbers: "layer 2" < "layer 10"."""
    return [(0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", title) if part]


def _highlights(
    items: Iterable[Value | tuple[Value, Value]], ids: dict[Value, str]
) -> tuple[set[Value], set[tuple[Value, Value]]]:
    nodes, edges = set(), set()
    for item in items:
        if isinstance(item, Value):
            if item not in ids:
                raise ValueError(f"highlight: {short(item)} is not a node of this graph")
            nodes.add(item)
        elif isinstance(item, tuple) and len(item) == 2 and item[1] in ids and item[0] in item[1].parents:
            edges.add(item)
        else:
            raise ValueError(
                f"highlight: expected nodes of the graph and (parent, child) pairs of its edges, got {short(item)}"
            )
    return nodes, edges


def _legend(show_local_grads: bool, drawn: set[str]) -> str:
    """The colours of the roles that are drawn (no "parameter" swatch when no leaf is one)."""
    cells = "".join(
        f'<td bgcolor="{color}" border="1" color="#94a3b8">{role}</td><td> </td>'
        for role, color in COLORS.items()
        if role in drawn
    )
    note = "<td>   numbers on edges: local derivatives ∂child/∂parent</td>" if show_local_grads else ""
    return f'<table border="0" cellspacing="0" cellpadding="3"><tr>{cells}{note}</tr></table>'


def _grads_known(order: Iterable[Value]) -> bool:
    return any(node.grad for node in order)
