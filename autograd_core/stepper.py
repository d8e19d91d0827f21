"""Step through backprop in a browser: a self-contained HTML page, or inline in Jupyter.

    from autograd_core import Value, Stepper
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = (a * b + 1).tanh()
    Stepper(out)                     # in Jupyter: shows inline
    Stepper(out).save("steps.html")  # or open this file in any browser

The page holds the graph (an SVG rendered by Graphviz's ``dot``) and every step of one backward
pass (``backward_steps``) as JSON: no server, no kernel, no network. Prev/Next, the slider, the
arrow keys (Home/End too) and Play/Pause move through the steps; the current node and its edges
are drawn in red, the parents it passes its grad to in orange, and each step's chain rule is
written out, e.g. ``a.grad += ∂c/∂a × c.grad = 3 × 2 = 6``, followed by where the local
derivative comes from (``∂(a·b)/∂a = b = 3``, from ``autograd_core.derivatives``). Numbers are
shown as in the drawing (4 significant digits); hover one for all its digits, or press "Full
digits". The graph zooms (the − / + buttons, Ctrl+wheel) and pans (drag it, or scroll); "Fit"
shows all of it; the current node is scrolled into view at every step, and the controls stay
at the top of the page.

The page lays itself out without measuring text in the browser: every text of a node's box is
centred on the box in Python, from the SVG's own coordinates, and each box is laid out for the
widest grad it will show. (When the browser's font is wider than Graphviz assumed, the page
narrows the text to its box, whenever the graph is shown or resized.)

The DOM contract, shared with ``nn.LayerStepper`` so that pages can be embedded and tested:

- the root element has the class ``ag-stepper`` and the attributes ``data-step`` (0 = the
  start) and ``data-current`` (the id of the current element, "" at the start);
- the current element (here the SVG group of the current node) has the class ``ag-current``;
- the buttons have the classes ``ag-next`` and ``ag-prev``; the right and left arrow keys (and
  Home/End) step too, anywhere on the page (when several steppers share a page, the focused one).
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from autograd_core.derivatives import Part, explain
from autograd_core.dot import check_choice, check_size, digraph, num_text, render_svg
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
    too_big_advice,
)
from autograd_core.files import write_atomic
from autograd_core.graph import BackwardStep, backward_steps, topological_order
from autograd_core.value import Value

_SIMPLE_NAME = re.compile(r"[\w\[\],.#@]+")


class StepPage:
    """A self-contained HTML page that steps through something: saved whole, shown inline in Jupyter.

    The pages of ``Stepper`` (node by node) and ``nn.LayerStepper`` (equation by equation) share
    this and the DOM contract in the module docstring. A subclass sets ``html``.
    """

    html: str

    def to_html(self) -> str:
        """The page: a complete, self-contained HTML document."""
        return self.html

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to ``path`` (.html or .htm), whole or not at all. Returns the path."""
        target = Path(path)
        if target.suffix.lower() not in (".html", ".htm"):
            raise ValueError(f"{type(self).__name__}.save: expected a file name ending in .html, got {str(path)!r}")
        write_atomic(target, self.html.encode("utf-8"))
        return target

    def iframe(self, height: int) -> str:
        """The page in a sandboxed iframe ``height`` px tall (several on one notebook never clash)."""
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" sandbox="allow-scripts" '
            f'style="width: 100%; height: {height}px; border: 1px solid #e2e8f0"></iframe>'
        )


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
            raise TypeError(f"Stepper: expected a Value as the root, got {type(root).__name__}: {root!r}")
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
        data = _step_data(order, shown, self.steps, kept)
        self.html = _page(title or f"Backward pass of {shown[root]}", _centred(svg), data)

    def __repr__(self) -> str:
        count = len(self.steps)
        return (
            f"<Stepper: {count} step{'' if count == 1 else 's'} of the backward pass of {self._root_name!r}; "
            f".save('steps.html') writes the page>"
        )

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


def _parts(parts: Iterable[Part]) -> list[str | list[str]]:
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
    return {
        "root": ids[root],
        "start": {"grads": start, "heading": ["Start: non-leaf grads reset, the seed set"], "lines": lines},
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
    lines: list[list[str | list[str]]] = []
    heading: list[str | list[str]]
    if step.skipped:
        heading = [f"Step {k} of {n}: {names[node]}.grad is 0, so it passes nothing on (backward() skips it)"]
        lines = [[f"{_ref(names[e.parent])}.grad stays ", _num(e.grad_after)] for _, e in edges]
    else:
        heading = _parts(
            [f"Step {k} of {n}: {names[node]} passes its grad (", step.grad, f") to its {_parents(len(step.edges))}"]
        )
        heading.append(not_shown)
        name = _namer(names)
        for i, e in edges:
            parent = _ref(names[e.parent])
            local = f"∂{child}/∂{parent}"
            numbers = [e.local_grad, step.grad, e.contribution, e.grad_before, e.grad_after]
            text = [f"{parent}.grad += {local} × {child}.grad = ", " × ", " = ", f"      {parent}.grad: ", " → "]
            lines.append(_parts([part for pair in zip(text, numbers) for part in pair]))
            why = explain(node, i, name)
            if why is None:
                why = [f"{local} = ", e.local_grad, f", as the op {node.op or 'of this node'!r} computed it"]
            lines.append(["    ", *_parts(why)])
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

_NODE = re.compile(r'(<g id="[^"]*" class="node">)(.*?)(</g>)', re.S)
_TEXT = re.compile(r"<text ([^>]*)>(.*?)</text>\n?", re.S)
_ATTR = re.compile(r'([\w:-]+)="([^"]*)"')
_POINT = re.compile(r"(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)")
_SHAPE = re.compile(r'<(?:path|polygon)[^>]* (?:d|points)="([^"]*)"')


def _centred(svg: str) -> str:
    """The SVG with each row of text in a node box made one ``<text>``, centred on the box.

    Graphviz places a row's texts with text-anchor="start" at x positions from its own font
    metrics; a browser with another font then draws them off centre, half outside the box. A
    row written as one text anchored at the middle of the box stays centred in any font, and
    needs no measuring in the browser (which fails while a frame is hidden).
    """
    return _NODE.sub(_centre_node, svg)


def _centre_node(m: re.Match[str]) -> str:
    head, body, tail = m.groups()
    shape = _SHAPE.search(body)
    texts = list(_TEXT.finditer(body))
    if shape is None or not texts:
        return m[0]
    xs = [float(x) for x, _ in _POINT.findall(shape[1])]
    centre = f"{(min(xs) + max(xs)) / 2:.2f}"
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
    return head + body[:first] + between + "".join(merged) + body[last:] + tail


def _attrs(attrs: dict[str, str]) -> str:
    return " ".join(f'{k}="{v}"' for k, v in attrs.items())


# ---- the page ---------------------------------------------------------------------------


def _page(title: str, svg: str, data: dict) -> str:
    svg = svg[svg.index("<svg") :]  # drop the XML declaration and DOCTYPE: the SVG goes inline
    payload = script_json(data)
    return _TEMPLATE.format(title=html.escape(title), svg=svg, data=payload, count=len(data["steps"]))


def script_json(data: object) -> str:
    """JSON that is inert inside a <script> element: no "</script>", no "<!--", whatever it holds
    (both steppers' pages carry their data this way)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char in "<>&\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
  html, body {{ margin: 0; }}
  body {{ font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #0f172a;
    background: #fff; }}
  .ag-stepper {{ display: flex; flex-direction: column; min-height: 100vh; box-sizing: border-box;
    padding: 0 16px 8px; outline: none; }}
  .ag-top {{ position: sticky; top: 0; z-index: 2; background: #fff; padding-top: 10px; flex: none; }}
  .ag-stepper h1 {{ font-size: 16px; margin: 0 0 6px; white-space: nowrap; overflow: hidden;
    text-overflow: ellipsis; }}
  .ag-controls {{ display: flex; gap: 6px; align-items: center; flex-wrap: wrap; }}
  .ag-controls button {{ font: inherit; padding: 3px 10px; border: 1px solid #94a3b8; border-radius: 6px;
    background: #f8fafc; color: inherit; cursor: pointer; }}
  .ag-controls button:disabled {{ opacity: 0.4; cursor: default; }}
  .ag-controls button[aria-pressed="true"] {{ background: #1e293b; border-color: #1e293b; color: #fff; }}
  .ag-slider {{ flex: 1; min-width: 120px; max-width: 420px; }}
  .ag-position, .ag-zoom-level {{ font-variant-numeric: tabular-nums; min-width: 56px; }}
  .ag-zoom-level {{ min-width: 44px; text-align: center; color: #475569; }}
  .ag-gap {{ width: 10px; }}
  .ag-detail {{ margin: 8px 0; padding: 6px 10px; background: #f8fafc; border-left: 4px solid #dc2626;
    height: 10.5em; overflow: auto; box-sizing: border-box; }}
  .ag-heading {{ font-weight: 600; }}
  .ag-lines {{ margin: 4px 0 0; font: 13px/1.45 ui-monospace, Menlo, Consolas, monospace; white-space: pre-wrap; }}
  .ag-num {{ text-decoration: underline dotted #94a3b8; }}
  .ag-graph {{ flex: 1 1 0; min-height: 220px; overflow: auto; border: 1px solid #e2e8f0; border-radius: 6px;
    cursor: grab; user-select: none; -webkit-user-select: none; touch-action: none; }}
  .ag-graph.ag-dragging {{ cursor: grabbing; }}
  .ag-graph svg {{ display: block; margin: 0 auto; }}
  .ag-hint {{ color: #64748b; font-size: 12px; margin-top: 6px; flex: none; }}
  .ag-stepper g.node.ag-done > path, .ag-stepper g.node.ag-done > polygon {{ stroke: #16a34a; stroke-width: 2px; }}
  .ag-stepper g.node.ag-parent > path, .ag-stepper g.node.ag-parent > polygon {{ stroke: #f59e0b;
    stroke-width: 3px; }}
  .ag-stepper g.node.ag-current > path, .ag-stepper g.node.ag-current > polygon {{ stroke: #dc2626;
    stroke-width: 4px; }}
  .ag-stepper g.edge.ag-active > path {{ stroke: #dc2626; stroke-width: 2.5px; }}
  .ag-stepper g.edge.ag-active > polygon {{ fill: #dc2626; stroke: #dc2626; }}
  .ag-stepper g.edge.ag-active > text {{ fill: #dc2626; font-weight: bold; }}
  .ag-stepper text.ag-pending {{ fill: #94a3b8; }}
  .ag-stepper text.ag-changed {{ fill: #dc2626; font-weight: bold; }}
</style>
</head>
<body>
<div class="ag-stepper" tabindex="0" data-step="0" data-current="">
<div class="ag-top">
<h1>{title}</h1>
<div class="ag-controls">
  <button type="button" class="ag-prev" title="previous step (←)">◀ Prev</button>
  <button type="button" class="ag-play" title="play / pause">▶ Play</button>
  <button type="button" class="ag-next" title="next step (→)">Next ▶</button>
  <input type="range" class="ag-slider" min="0" max="{count}" value="0" aria-label="step">
  <span class="ag-position">0 / {count}</span>
  <span class="ag-gap"></span>
  <button type="button" class="ag-zoom-out" title="zoom out (−, or Ctrl + wheel)">−</button>
  <span class="ag-zoom-level">100%</span>
  <button type="button" class="ag-zoom-in" title="zoom in (+, or Ctrl + wheel)">+</button>
  <button type="button" class="ag-fit-toggle" aria-pressed="false"
    title="fit the whole graph in view (on), or keep the zoom (off)">Fit</button>
  <button type="button" class="ag-digits" aria-pressed="false"
    title="numbers with all their digits (or hover over one)">Full digits</button>
</div>
<div class="ag-detail"><div class="ag-heading"></div><div class="ag-lines"></div></div>
</div>
<div class="ag-graph">
{svg}
</div>
<div class="ag-hint">← → step · Home/End first/last · drag or scroll to pan, Ctrl + wheel or − + to zoom ·
red: the node whose grad is passed on, and its edges · orange: its parents, whose grads grow · green: done ·
grey grads: not reached yet</div>
<script type="application/json" class="ag-data">{data}</script>
<script>
(function () {{
  "use strict";
  var root = document.currentScript.closest(".ag-stepper");
  var data = JSON.parse(root.querySelector(".ag-data").textContent);
  var steps = data.steps, n = steps.length, position = 0, timer = null, full = false;
  var $ = function (selector) {{ return root.querySelector(selector); }};
  var byId = function (id) {{ return root.querySelector('[id="' + id + '"]'); }};
  var slider = $(".ag-slider"), box = $(".ag-graph"), svg = box.querySelector("svg");

  // Each node's grad is the last text of its box (centred on the box by the Python side).
  var gradText = {{}};
  Object.keys(data.start.grads).forEach(function (id) {{
    var g = byId(id), texts = g ? g.querySelectorAll("text") : [];
    if (texts.length) gradText[id] = texts[texts.length - 1];
  }});

  // Text as parts: a string, or a number [as drawn, in full] shown short with the full value on hover.
  function render(el, parts) {{
    el.textContent = "";
    parts.forEach(function (part) {{
      if (typeof part === "string") {{ el.appendChild(document.createTextNode(part)); return; }}
      var span = document.createElement("span");
      span.className = "ag-num";
      span.title = part[1];
      span.textContent = full ? part[1] : part[0];
      el.appendChild(span);
    }});
  }}

  // Narrow a text to its box when the browser's font is wider than Graphviz assumed. Needs
  // layout, so it runs when the graph is shown or resized, and for the grads that change.
  function boxWidth(text) {{
    var shape = text.parentNode.querySelector("path, polygon");
    return shape ? shape.getBBox().width - 6 : 0;
  }}
  function fitText(text) {{
    text.removeAttribute("textLength");
    text.removeAttribute("lengthAdjust");
    var width = boxWidth(text), length = text.getComputedTextLength();
    if (width > 0 && length > width) {{
      text.setAttribute("textLength", String(width));
      text.setAttribute("lengthAdjust", "spacingAndGlyphs");
    }}
  }}
  function fitAllText() {{
    if (!box.clientWidth) return;
    root.querySelectorAll("g.node text").forEach(fitText);
  }}

  function mark(ids, cls) {{
    ids.forEach(function (id) {{ var el = byId(id); if (el) el.classList.add(cls); }});
  }}

  function show(k) {{
    position = Math.max(0, Math.min(n, k));
    var grads = Object.assign({{}}, data.start.grads), reached = {{}}, done = [];
    reached[data.root] = true;
    for (var i = 0; i < position; i++) {{
      done.push(steps[i].node);
      steps[i].parents.forEach(function (p, j) {{ grads[p] = steps[i].grads[j]; reached[p] = true; }});
    }}
    var marks = ["ag-current", "ag-parent", "ag-done", "ag-active", "ag-changed", "ag-pending"];
    root.querySelectorAll("." + marks.join(", ."))
      .forEach(function (el) {{ el.classList.remove.apply(el.classList, marks); }});
    var measurable = box.clientWidth > 0;
    Object.keys(gradText).forEach(function (id) {{
      var t = gradText[id], text = "grad " + grads[id][full ? 1 : 0];
      if (t.textContent !== text) {{ t.textContent = text; if (measurable) fitText(t); }}
      t.setAttribute("data-full", grads[id][1]);
      if (!reached[id]) t.classList.add("ag-pending");
    }});
    var record = position ? steps[position - 1] : data.start;
    mark(done.slice(0, -1), "ag-done");
    if (position) {{
      mark([record.node], "ag-current");
      mark(record.parents, "ag-parent");
      mark(record.edges, "ag-active");
      record.parents.forEach(function (p) {{ if (gradText[p]) gradText[p].classList.add("ag-changed"); }});
    }}
    render($(".ag-heading"), record.heading);
    var lines = $(".ag-lines");
    lines.textContent = "";
    record.lines.forEach(function (parts) {{
      var line = document.createElement("div");
      render(line, parts);
      lines.appendChild(line);
    }});
    $(".ag-position").textContent = position + " / " + n;
    slider.value = String(position);
    root.setAttribute("data-step", String(position));
    root.setAttribute("data-current", position ? record.node : "");
    $(".ag-prev").disabled = position === 0;
    $(".ag-next").disabled = position === n;
    reveal();
  }}

  // ---- zoom and pan: the SVG drawn at scale × its natural size, inside a scroll box ----
  var natural = {{ w: parseFloat(svg.getAttribute("width")) * 4 / 3,
                  h: parseFloat(svg.getAttribute("height")) * 4 / 3 }};  // pt to px
  var scale = 1, fitting = false;
  function fitScale() {{
    if (!box.clientWidth || !box.clientHeight) return 0;
    return Math.min(1.25, (box.clientWidth - 4) / natural.w, (box.clientHeight - 4) / natural.h);
  }}
  function setScale(s, anchor) {{
    s = Math.max(0.05, Math.min(4, s));
    var b = box.getBoundingClientRect(), ax = anchor ? anchor.x - b.left : box.clientWidth / 2,
        ay = anchor ? anchor.y - b.top : box.clientHeight / 2;
    var fx = (box.scrollLeft + ax) / (natural.w * scale), fy = (box.scrollTop + ay) / (natural.h * scale);
    scale = s;
    svg.setAttribute("width", (natural.w * scale).toFixed(1) + "px");
    svg.setAttribute("height", (natural.h * scale).toFixed(1) + "px");
    box.scrollLeft = fx * natural.w * scale - ax;
    box.scrollTop = fy * natural.h * scale - ay;
    $(".ag-zoom-level").textContent = Math.round(scale * 100) + "%";
  }}
  function setFitting(on) {{
    fitting = on;
    $(".ag-fit-toggle").setAttribute("aria-pressed", on ? "true" : "false");
    if (on && fitScale()) setScale(fitScale());
  }}
  function zoom(factor, anchor) {{ setFitting(false); setScale(scale * factor, anchor); reveal(); }}

  // The current node (at the start, the root, where the pass begins) in view: inside the graph's
  // scroll box, then inside the window.
  function reveal() {{
    var el = byId(position ? steps[position - 1].node : data.root);
    if (!el || !box.clientWidth) return;
    var b = box.getBoundingClientRect(), r = el.getBoundingClientRect(), m = 16;
    if (r.left < b.left + m || r.right > b.left + box.clientWidth - m)
      box.scrollLeft += r.left + r.width / 2 - (b.left + box.clientWidth / 2);
    if (r.top < b.top + m || r.bottom > b.top + box.clientHeight - m)
      box.scrollTop += r.top + r.height / 2 - (b.top + box.clientHeight / 2);
    r = el.getBoundingClientRect();
    var top = $(".ag-top").getBoundingClientRect().bottom, bottom = window.innerHeight;
    if (r.top < top || r.bottom > bottom) window.scrollBy(0, r.top + r.height / 2 - (top + bottom) / 2);
  }}

  var seen = false;
  function laidOut() {{
    if (!box.clientWidth) return;  // hidden (display: none): wait until shown
    if (!seen) {{
      seen = true;
      var f = fitScale();
      setFitting(f >= 0.6);
      if (!fitting) setScale(1);
    }} else if (fitting) setScale(fitScale());
    fitAllText();
    reveal();
  }}
  if (window.ResizeObserver) new ResizeObserver(laidOut).observe(box);
  window.addEventListener("resize", laidOut);
  window.addEventListener("load", laidOut);
  if (document.fonts && document.fonts.ready) document.fonts.ready.then(laidOut);

  var drag = null;
  box.addEventListener("pointerdown", function (e) {{
    if (e.button !== 0) return;
    drag = {{ x: e.clientX, y: e.clientY, left: box.scrollLeft, top: box.scrollTop, id: e.pointerId }};
    box.classList.add("ag-dragging");
  }});
  box.addEventListener("pointermove", function (e) {{
    if (!drag || e.pointerId !== drag.id) return;
    box.scrollLeft = drag.left - (e.clientX - drag.x);
    box.scrollTop = drag.top - (e.clientY - drag.y);
  }});
  var endDrag = function () {{ drag = null; box.classList.remove("ag-dragging"); }};
  box.addEventListener("pointerup", endDrag);
  box.addEventListener("pointercancel", endDrag);
  box.addEventListener("pointerleave", endDrag);
  box.addEventListener("wheel", function (e) {{
    if (!e.ctrlKey && !e.metaKey) return;  // a plain wheel scrolls; Ctrl + wheel (and pinch) zooms
    e.preventDefault();
    zoom(Math.exp(-e.deltaY / 300), {{ x: e.clientX, y: e.clientY }});
  }}, {{ passive: false }});

  function pause() {{
    if (timer !== null) {{ clearInterval(timer); timer = null; }}
    $(".ag-play").textContent = "▶ Play";
  }}

  function play() {{
    if (position === n) show(0);
    $(".ag-play").textContent = "⏸ Pause";
    timer = setInterval(function () {{ if (position >= n) pause(); else show(position + 1); }}, 900);
  }}

  $(".ag-prev").addEventListener("click", function () {{ pause(); show(position - 1); }});
  $(".ag-next").addEventListener("click", function () {{ pause(); show(position + 1); }});
  $(".ag-play").addEventListener("click", function () {{ if (timer === null) play(); else pause(); }});
  $(".ag-zoom-in").addEventListener("click", function () {{ zoom(1.25); }});
  $(".ag-zoom-out").addEventListener("click", function () {{ zoom(0.8); }});
  $(".ag-fit-toggle").addEventListener("click", function () {{
    setFitting(!fitting);
    if (!fitting) setScale(1);
    reveal();
  }});
  $(".ag-digits").addEventListener("click", function () {{
    full = !full;
    $(".ag-digits").setAttribute("aria-pressed", full ? "true" : "false");
    show(position);
  }});
  slider.addEventListener("input", function () {{ pause(); show(parseInt(slider.value, 10)); }});
  document.addEventListener("keydown", function (e) {{
    // The slider handles its own keys; with several steppers on a page, only the focused one listens.
    if (e.target === slider || e.altKey || e.ctrlKey || e.metaKey) return;
    if (document.querySelectorAll(".ag-stepper").length > 1 && !root.contains(document.activeElement)) return;
    if (e.key === "+" || e.key === "=") {{ zoom(1.25); return; }}
    if (e.key === "-") {{ zoom(0.8); return; }}
    var moves = {{ ArrowRight: position + 1, ArrowLeft: position - 1, Home: 0, End: n }};
    if (!(e.key in moves)) return;
    e.preventDefault();
    pause();
    show(moves[e.key]);
  }});
  show(0);
  laidOut();
}})();
</script>
</div>
</body>
</html>
"""
