"""Step through backprop in a browser: a self-contained HTML page, or inline in Jupyter.

    from autograd_core import Value, Stepper
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = (a * b + 1).tanh()
    Stepper(out)                     # in Jupyter: shows inline
    Stepper(out).save("steps.html")  # or open this file in any browser

The page holds the graph (an SVG rendered by Graphviz's ``dot``) and every step of one backward
pass (``backward_steps``) as JSON: no server, no kernel, no network. Prev/Next, the slider, the
arrow keys and Play move through the steps; the current node and its edges are drawn in red,
the parents it passes its grad to in orange. A panel beside the graph (below it on a narrow
screen) writes out the step's chain rule, a group of lines per edge however many there are
(``a.grad += ∂c/∂a × c.grad = 3 × 2 = 6``, and ``∂(a·b)/∂a = b = 3`` from
``autograd_core.derivatives``). The boxes keep short numbers; the panel's show all their digits
on hover or with "Full digits", and its readout gives the data and grad in full of the node
pointed at or clicked (else the current one). Clicking a parent picks its lines, and a line its
parent. The graph zooms, pans and fits; one too large to read whole gets a minimap (the marks,
and a frame round the part in view: click or drag). The current node is kept in view.

Nothing is measured in the browser to lay the page out: every text of a node's box is centred
on the box here, from the SVG's coordinates, each box is laid out for the widest grad it will
show, and the minimap is drawn from the boxes' coordinates, found here too. (A browser font
wider than Graphviz assumed makes the page narrow a text to its box.)

The page is built by ``autograd_core.page`` from ``autograd_core/assets`` (the template, style
and controls shared with ``nn.LayerStepper``, and graph.css and graph.js), in the DOM contract
of docs/architecture.md: the current element (``ag-current``) is the current node's SVG group.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable

from autograd_core.derivatives import Part, explain
from autograd_core.dot import check_choice, check_size, digraph, num_text, render_svg, svg_captioned
from autograd_core.draw import (
    DEFAULT_MAX_NODES,
    Group,
    Names,
    check_layout_cost,
    edge_id,
    first_edge,
    graph_view,
    kept_nodes,
    node_ids,
    node_names,
    op_text,
    too_big_advice,
)
from autograd_core.graph import BackwardStep, backward_steps, topological_order
from autograd_core.inputs import short
from autograd_core.page import StepPage, asset, build_page
from autograd_core.value import Value

_SIMPLE_NAME = re.compile(r"[\w\[\],.#@]+")


class Stepper(StepPage):
    """One backward pass of the graph of ``root``, as an interactive page.

    The pass starts from zeroed grads and ``root.grad = 1``, exactly as ``backward_steps``
    records it; the graph's own grads are left as they were (the Stepper only looks). The
    options are draw()'s: ``rankdir``, ``show_local_grads``, ``parameters`` (leaves to colour as
    parameters), ``group`` (the clusters of a node, e.g. ``nn.layer_group``), ``names`` (the name
    a node is shown with, in the drawing and in the text), ``keep`` (show only these nodes: the
    pass is still the whole backward pass, so a node shared with the part not shown also gets
    grads from steps not shown), ``max_nodes`` (of the nodes shown).

    Attributes:
        steps: the records of ``backward_steps``, one per non-leaf node shown, in backward() order.
        html: the page, a complete HTML document (also ``to_html()``).

    Example::

        >>> from autograd_core import Value, Stepper
        >>> x = Value(3.0, label="x")
        >>> y = x * x; y.label = "y"
        >>> len(Stepper(y).steps)  # doctest: +SKIP
        1
    """

    def __init__(
        self,
        root: Value,
        *,
        rankdir: str = "LR",
        show_local_grads: bool = True,
        parameters: Iterable[Value] = (),
        group: Group | None = None,
        names: Names | None = None,
        keep: Iterable[Value] | None = None,
        max_nodes: int = DEFAULT_MAX_NODES,
        title: str = "",
    ) -> None:
        if not isinstance(root, Value):
            raise TypeError(f"Stepper: expected a Value as the root, got {type(root).__name__}: {short(root)}")
        check_choice("rankdir", rankdir, ("LR", "TB"))
        order = topological_order(root)
        kept = kept_nodes(order, keep, "Stepper")
        part = order if kept is None else [node for node in order if node in kept]
        if len(part) > max_nodes:
            advice = too_big_advice(part, show_local_grads, "step through")
            check_size(len(part), max_nodes, "nodes", advice, "Stepper")
        cost = check_layout_cost(part, show_local_grads, "Stepper")
        shown = node_names(order, names)
        saved = [node.grad for node in order]
        try:
            for node in order:
                node.grad = 0.0
            steps = tuple(backward_steps(root))
            # Each box is laid out for the widest grad it will show, so no number outgrows its box.
            for node, grad in _widest_grads(root, steps).items():
                node.grad = grad
            lines = graph_view(order, show_local_grads, frozenset(parameters), (), group, names, kept)
            svg = render_svg(digraph(rankdir, lines, f"Stepper of {shown[root]}", cost))
        finally:
            for node, grad in zip(order, saved):
                node.grad = grad
        self.steps: tuple[BackwardStep, ...] = steps if kept is None else tuple(s for s in steps if s.node in kept)
        self._root_name = shown[root]
        svg, boxes = _centred(svg)
        data = _step_data(order, shown, self.steps, kept)
        data["boxes"] = boxes
        self._svg, self._data = svg, data
        self.html = _page(title or f"Backward pass of {shown[root]}", svg, data)

    def __repr__(self) -> str:
        count = len(self.steps)
        return (
            f"<Stepper: {count} step{'' if count == 1 else 's'} of the backward pass of {self._root_name!r}; "
            f".save('steps.html') writes the page>"
        )

    def still_svg(self) -> str:
        """The graph at the first step, as the page draws it (the node passing its grad in red, its
        edges too, its parents in orange with their new grads; grads not reached yet in grey), under
        the step's heading."""
        return _still(self._svg, self._data)

    def _repr_html_(self) -> str:
        """Inline in Jupyter: the page in a sandboxed iframe, so several steppers never clash.

        The frame is at most 640 px tall, so the controls, the text and the current node all fit
        on a screen; the graph scrolls, zooms and pans inside it.
        """
        return self.iframe(max(380, min(640, _svg_height(self.html) + 300)))


def _widest_grads(root: Value, steps: tuple[BackwardStep, ...]) -> dict[Value, float]:
    """For each node, the grad it takes during the pass whose text is longest (drawn for layout)."""
    widest: dict[Value, float] = {root: root.grad}
    for step in steps:
        for edge in step.edges:
            now = widest.get(edge.parent, 0.0)
            if len(num_text(edge.grad_after)) > len(num_text(now)):
                now = edge.grad_after
            widest[edge.parent] = now
    return widest


# ---- the step data: everything the page shows, computed here so the page only displays ----


def _num(x: float) -> list[str]:
    """A number in the page's text: as drawn, and in full (on hover, or with "Full digits")."""
    return [num_text(x), repr(x)]


Shown = str | list[str]
"""A part of the page's text: a string, or a number as ``_num`` gives it."""

Line = list[Shown | dict[str, list[Shown]]]
"""A line of the page's text: parts, and ``{"g": parts}`` for parts kept on one line when it wraps."""


def _parts(parts: Iterable[Part]) -> list[Shown]:
    return [_num(p) if isinstance(p, float) else p for p in parts]


def _step_data(
    order: list[Value], names: dict[Value, str], steps: tuple[BackwardStep, ...], kept: frozenset[Value] | None
) -> dict:
    ids = node_ids(order)
    root = order[-1]
    r = _ref(names[root])
    seed = [f"{r}.grad = 1 (the seed: ∂{names[root]}/∂{names[root]}); every other grad starts at 0"]
    lines = [seed]
    if kept is not None:
        lines.append(
            [
                "Only part of the graph is shown. The pass is the whole backward pass: a node shown that also "
                "feeds nodes not shown gets grads from steps not shown too."
            ]
        )
    shown = order if kept is None else [node for node in order if node in kept]
    start = {ids[node]: _num(1.0 if node is root else 0.0) for node in shown}
    heading = ["Start: non-leaf grads reset, the seed set"]
    return {
        "root": ids[root],
        "nodes": {ids[node]: [names[node], op_text(node) if node.op else "", repr(node.data)] for node in shown},
        "start": {"grads": start, "heading": heading, "lines": [[line] for line in lines]},
        "steps": [_step_record(k, len(steps), step, ids, names, kept) for k, step in enumerate(steps, start=1)],
    }


def _step_record(
    k: int,
    n: int,
    step: BackwardStep,
    ids: dict[Value, str],
    names: dict[Value, str],
    kept: frozenset[Value] | None,
) -> dict:
    node, child = step.node, _ref(names[step.node])
    edges = [(i, e) for i, e in enumerate(step.edges) if kept is None or e.parent in kept]
    hidden = len(step.edges) - len(edges)
    not_shown = f" ({hidden} more not shown)" if hidden else ""
    lines: list[list[Line]] = []  # per edge shown: its lines
    heading: list[Shown]
    if step.skipped:
        heading = [f"Step {k} of {n}: {names[node]}.grad is 0, so it passes nothing on (backward() skips it)"]
        lines = [[[f"{_ref(names[e.parent])}.grad stays ", _num(e.grad_after)]] for _, e in edges]
    else:
        heading = _parts(
            [f"Step {k} of {n}: {names[node]} passes its grad (", step.grad, f") to its {_parents(len(step.edges))}"]
        )
        heading.append(not_shown)
        name = _namer(names)
        for i, e in edges:
            parent = _ref(names[e.parent])
            local = f"∂{child}/∂{parent}"
            arithmetic = _parts([e.local_grad, " × ", step.grad, " = ", e.contribution])
            update = _parts([f"{parent}.grad: ", e.grad_before, " → ", e.grad_after])
            chain: Line = [f"{parent}.grad += {local} × {child}.grad = ", {"g": arithmetic}, "      ", {"g": update}]
            why = explain(node, i, name)
            if why is None:
                why = [f"{local} = ", e.local_grad, f", as the op {node.op or 'of this node'!r} computed it"]
            lines.append([chain, ["    ", *_parts(why)]])
    return {
        "node": ids[node],
        "edges": [edge_id(ids[node], first_edge(node, i)) for i, _ in edges],
        "parents": [ids[e.parent] for _, e in edges],
        "grads": [_num(e.grad_after) for _, e in edges],
        "heading": heading,
        "lines": lines,
    }


def _namer(names: dict[Value, str]) -> Callable[[Value], str]:
    return lambda node: _ref(names[node])


def _ref(name: str) -> str:
    """A name as the left of ``.grad``: in parentheses unless it is one word like ``W1[0,1]``."""
    return name if _SIMPLE_NAME.fullmatch(name) else f"({name})"


def _parents(count: int) -> str:
    return "parent" if count == 1 else f"{count} parents"


def _svg_height(page: str) -> int:
    m = re.search(r'<svg width="[\d.]+pt" height="([\d.]+)pt"', page)
    return int(float(m[1]) * 4 / 3) if m else 400


# ---- the SVG: every text of a node centred on its box, in Python ----------------------------

_NODE = re.compile(r'(<g id="([^"]*)" class="node">)(.*?)(</g>)', re.S)
_TEXT = re.compile(r"<text ([^>]*)>(.*?)</text>\n?", re.S)
_ATTR = re.compile(r'([\w:-]+)="([^"]*)"')
_POINT = re.compile(r"(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)")
_SHAPE = re.compile(r'<(?:path|polygon)[^>]* (?:d|points)="([^"]*)"')
_PAIR = r"(-?\d+(?:\.\d+)?) (-?\d+(?:\.\d+)?)"
_TRANSFORM = re.compile(rf'<g id="graph0" class="graph" transform="scale\({_PAIR}\) rotate\(0\) translate\({_PAIR}\)"')

Boxes = dict[str, list[int]]
"""Each node's box, by id: [x, y, width, height] in the units of the SVG's viewBox."""


def _centred(svg: str) -> tuple[str, Boxes]:
    """The SVG with each row of text in a node box made one ``<text>``, centred on the box; and the
    boxes (for the minimap, so the page draws it without measuring anything either).

    Graphviz places a row's texts with text-anchor="start" at x positions from its own font
    metrics; a browser with another font then draws them off centre, half outside the box. A
    row written as one text anchored at the middle of the box stays centred in any font, and
    needs no measuring in the browser (which fails while a frame is hidden). Graphviz draws the
    graph inside one group transformed by scale(sx sy) translate(tx ty): a point p of a shape is
    at s·(p + t) in the viewBox.
    """
    m = _TRANSFORM.search(svg)
    if m is None:
        raise ValueError("Stepper: Graphviz's SVG has no graph group transformed by scale, rotate(0) and translate")
    sx, sy, tx, ty = (float(v) for v in m.groups())
    boxes: Boxes = {}

    def centre_node(node: re.Match[str]) -> str:
        head, node_id, body, tail = node.groups()
        shape = _SHAPE.search(body)
        if shape is None:
            return node[0]
        points = _POINT.findall(shape[1])
        xs, ys = [float(x) for x, _ in points], [float(y) for _, y in points]
        left, top = sx * (min(xs) + tx), sy * (min(ys) + ty)
        boxes[node_id] = [round(left), round(top), round(sx * (max(xs) - min(xs))), round(sy * (max(ys) - min(ys)))]
        return head + _centre_rows(body, f"{(min(xs) + max(xs)) / 2:.2f}") + tail

    return _NODE.sub(centre_node, svg), boxes


def _centre_rows(body: str, centre: str) -> str:
    """A node's body with each row of its texts made one text anchored at x = ``centre``."""
    texts = list(_TEXT.finditer(body))
    if not texts:
        return body
    rows: dict[str, list[tuple[dict[str, str], str]]] = {}
    for t in texts:
        attrs = dict(_ATTR.findall(t[1]))
        rows.setdefault(attrs.get("y", ""), []).append((attrs, t[2]))
    merged = []
    for y, row in rows.items():
        if len(row) == 1:
            attrs, content = row[0]
            attrs.update({"text-anchor": "middle", "x": centre})
            merged.append(f"<text {_attrs(attrs)}>{content}</text>\n")
            continue
        common = {key: value for key, value in row[0][0].items() if all(a.get(key) == value for a, _ in row)}
        common.update({"text-anchor": "middle", "x": centre, "y": y})
        spans = "".join(
            f"<tspan {_attrs({k: v for k, v in a.items() if k not in common and k not in ('x', 'y')})}>{c}</tspan>"
            for a, c in row
        )
        merged.append(f"<text {_attrs(common)}>{spans}</text>\n")
    first, last = texts[0].start(), texts[-1].end()
    between = _TEXT.sub("", body[first:last])
    return body[:first] + between + "".join(merged) + body[last:]


def _attrs(attrs: dict[str, str]) -> str:
    return " ".join(f'{k}="{v}"' for k, v in attrs.items())


# ---- the still picture of the first step: graph.css's marks as SVG attributes, set in Python ----

_GROUP = re.compile(r'(<g id="([^"]*)" class="(node|edge)">)(.*?)(</g>)', re.S)
_SHAPE_TAG = re.compile(r"<(path|polygon) ([^>]*?)/?>")
_RED, _ORANGE, _GREY = "#dc2626", "#f59e0b", "#94a3b8"


def _still(svg: str, data: dict) -> str:
    """``svg`` (the page's graph) marked as graph.js marks the first step (its ``show(1)``)."""
    first = data["steps"][0] if data["steps"] else None
    grads, reached = dict(data["start"]["grads"]), {data["root"]}
    parents, edges = set(), set()
    if first is not None:
        for p, g in zip(first["parents"], first["grads"]):
            grads[p] = g
        reached |= set(first["parents"])
        parents, edges = set(first["parents"]), set(first["edges"])

    def mark(m: re.Match[str]) -> str:
        head, ident, kind, body, tail = m.groups()
        if kind == "edge":
            if ident in edges:
                body = _restyle(body, {"stroke": _RED, "stroke-width": "2.5"}, fill=_RED)
                body = _TEXT.sub(
                    lambda t: f"<text {_attrs({**dict(_ATTR.findall(t[1])), 'fill': _RED})}>{t[2]}</text>", body
                )
            return head + body + tail
        if first is not None and ident == first["node"]:
            body = _restyle(body, {"stroke": _RED, "stroke-width": "4"})
        elif ident in parents:
            body = _restyle(body, {"stroke": _ORANGE, "stroke-width": "3"})
        texts = list(_TEXT.finditer(body))
        if ident in grads and texts:  # a box's last text is its grad
            last = texts[-1]
            attrs = dict(_ATTR.findall(last[1]))
            if ident in parents:
                attrs.update({"fill": _RED, "font-weight": "bold"})
            elif ident not in reached:
                attrs["fill"] = _GREY
            text = f"<text {_attrs(attrs)}>grad {html.escape(grads[ident][0])}</text>"
            body = body[: last.start()] + text + "\n" + body[last.end() :]
        return head + body + tail

    marked = _GROUP.sub(mark, svg[svg.index("<svg") :])
    heading = "".join(part if isinstance(part, str) else part[0] for part in (first or data["start"])["heading"])
    return svg_captioned(marked, f"{heading} (a still: the page steps through every step)")


def _restyle(body: str, attrs: dict[str, str], fill: str | None = None) -> str:
    """Every outline of a node or edge given these attributes (and arrowheads ``fill``)."""

    def one(m: re.Match[str]) -> str:
        own = dict(_ATTR.findall(m[2]))
        own.update(attrs)
        if fill is not None and m[1] == "polygon":
            own["fill"] = fill
        return f"<{m[1]} {_attrs(own)}/>"

    return _SHAPE_TAG.sub(one, body)


# ---- the page ---------------------------------------------------------------------------


_CONTROLS = """  <span class="ag-gap"></span>
  <button type="button" class="ag-zoom-out" title="zoom out (−, or Ctrl + wheel)">−</button>
  <span class="ag-zoom-level">100%</span>
  <button type="button" class="ag-zoom-in" title="zoom in (+, or Ctrl + wheel)">+</button>
  <button type="button" class="ag-fit-toggle" aria-pressed="false"
    title="fit the whole graph in view (on), or keep the zoom (off)">Fit</button>
  <button type="button" class="ag-digits" aria-pressed="false"
    title="the explanation's numbers with all their digits (the boxes keep short numbers)">Full digits</button>"""

_BODY = """<div class="ag-main">
<div class="ag-view">
<div class="ag-graph">
{svg}
</div>
<div class="ag-minimap" hidden title="the whole graph; the frame is the part in view: click or drag to move it">
<canvas></canvas><div class="ag-minimap-view"></div>
</div>
</div>
<div class="ag-detail">
<div class="ag-heading"></div>
<div class="ag-lines"></div>
<div class="ag-readout"></div>
</div>
</div>"""

_HINT = (
    "← → step · Home/End first/last · drag to pan, Ctrl + wheel or − + to zoom · click a node to read it in full · "
    "red: passes its grad on · orange: its parents, whose grads grow · green: done · grey grads: not reached yet"
)


def _page(title: str, svg: str, data: dict) -> str:
    svg = svg[svg.index("<svg") :]  # drop the XML declaration and DOCTYPE: the SVG goes inline
    return build_page(
        title=title,
        kind="ag-graph-stepper",
        count=len(data["steps"]),
        controls=_CONTROLS,
        body=_BODY.replace("{svg}", svg),
        data=data,
        hint=_HINT,
        style=asset("autograd_core", "graph.css"),
        script=asset("autograd_core", "graph.js"),
    )
