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
written out in full precision, e.g. ``a.grad += ∂c/∂a (3.0) × c.grad (2.0) = 6.0``.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path

from autograd_core.dot import check_choice, check_size, digraph, num_text, render_svg
from autograd_core.draw import (
    DEFAULT_MAX_NODES,
    Group,
    check_layout_cost,
    edge_id,
    first_edge,
    graph_view,
    node_ids,
    node_names,
)
from autograd_core.files import write_atomic
from autograd_core.graph import BackwardStep, backward_steps, topological_order
from autograd_core.value import Value

_SIMPLE_NAME = re.compile(r"[\w\[\],.#]+")
_ADVICE = "pass a larger max_nodes (the page gets slow to build and long to scroll) or step through a smaller graph"


class Stepper:
    """One backward pass of the graph of ``root``, as an interactive page.

    The pass starts from zeroed grads and ``root.grad = 1``, exactly as ``backward_steps``
    records it; the graph's own grads are left as they were (the Stepper only looks). The
    options are draw()'s: ``rankdir``, ``show_local_grads``, ``parameters`` (leaves to colour as
    parameters), ``group`` (the clusters of a node, e.g. ``nn.layer_group``), ``max_nodes``.

    Attributes:
        steps: the records of ``backward_steps``, one per non-leaf node, in backward() order.
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
        max_nodes: int = DEFAULT_MAX_NODES,
        title: str = "",
    ) -> None:
        if not isinstance(root, Value):
            raise TypeError(f"Stepper: expected a Value as the root, got {type(root).__name__}: {root!r}")
        check_choice("rankdir", rankdir, ("LR", "TB"))
        order = topological_order(root)
        check_size(len(order), max_nodes, "nodes", _ADVICE, "Stepper")
        cost = check_layout_cost(order, show_local_grads, "Stepper")
        names = node_names(order)
        saved = [node.grad for node in order]
        try:
            for node in order:
                node.grad = 0.0
            self.steps: tuple[BackwardStep, ...] = tuple(backward_steps(root))
            # drawn with the final grads, so every box is wide enough for the numbers it will show
            lines = graph_view(order, show_local_grads, frozenset(parameters), (), group)
            graph = digraph(rankdir, lines, f"Stepper of {names[root]}", cost)
            svg = render_svg(graph)
        finally:
            for node, grad in zip(order, saved):
                node.grad = grad
        data = _step_data(order, names, self.steps)
        self.html = _page(title or f"Backward pass of {names[root]}", svg, data)

    def to_html(self) -> str:
        """The page: a complete, self-contained HTML document."""
        return self.html

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to ``path`` (.html or .htm), whole or not at all. Returns the path."""
        target = Path(path)
        if target.suffix.lower() not in (".html", ".htm"):
            raise ValueError(f"Stepper.save: expected a file name ending in .html, got {str(path)!r}")
        write_atomic(target, self.html.encode("utf-8"))
        return target

    def _repr_html_(self) -> str:
        """Inline in Jupyter: the page in a sandboxed iframe, so several steppers never clash."""
        height = min(1000, _svg_height(self.html) + 300)
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" sandbox="allow-scripts" '
            f'style="width: 100%; height: {height}px; border: 1px solid #e2e8f0"></iframe>'
        )


# ---- the step data: everything the page shows, computed here so the page only displays ----


def _step_data(order: list[Value], names: dict[Value, str], steps: tuple[BackwardStep, ...]) -> dict:
    ids = node_ids(order)
    root = order[-1]
    seed = f"{_ref(names[root])}.grad = 1 (the seed: ∂{names[root]}/∂{names[root]}); every other grad starts at 0"
    start = {ids[node]: num_text(1.0 if node is root else 0.0) for node in order}
    return {
        "root": ids[root],
        "start": {"grads": start, "heading": "Start: non-leaf grads reset, the seed set", "lines": [seed]},
        "steps": [_step_record(k, len(steps), step, ids, names) for k, step in enumerate(steps, start=1)],
    }


def _step_record(k: int, n: int, step: BackwardStep, ids: dict[Value, str], names: dict[Value, str]) -> dict:
    node, child = step.node, names[step.node]
    if step.skipped:
        heading = f"Step {k} of {n}: {child}.grad is 0, so it passes nothing on (backward() skips it)"
        lines = [f"{_ref(names[e.parent])}.grad stays {e.grad_after!r}" for e in step.edges]
    else:
        heading = f"Step {k} of {n}: {child} passes its grad ({step.grad!r}) to its {_parents(len(step.edges))}"
        lines = [
            f"{_ref(names[e.parent])}.grad += ∂{_ref(child)}/∂{_ref(names[e.parent])} ({e.local_grad!r}) × "
            f"{_ref(child)}.grad ({step.grad!r}) = {e.contribution!r}    "
            f"{_ref(names[e.parent])}.grad: {e.grad_before!r} → {e.grad_after!r}"
            for e in step.edges
        ]
    return {
        "node": ids[node],
        "edges": [edge_id(ids[node], first_edge(node, i)) for i in range(len(step.edges))],
        "parents": [ids[e.parent] for e in step.edges],
        "grads": [num_text(e.grad_after) for e in step.edges],
        "heading": heading,
        "lines": lines,
    }


def _ref(name: str) -> str:
    """A name as the left of ``.grad``: in parentheses unless it is one word like ``W1[0,1]``."""
    return name if _SIMPLE_NAME.fullmatch(name) else f"({name})"


def _parents(count: int) -> str:
    return "parent" if count == 1 else f"{count} parents"


def _svg_height(page: str) -> int:
    m = re.search(r'<svg width="[\d.]+pt" height="([\d.]+)pt"', page)
    return int(float(m[1]) * 4 / 3) if m else 400


# ---- the page ---------------------------------------------------------------------------


def _page(title: str, svg: str, data: dict) -> str:
    svg = svg[svg.index("<svg") :]  # drop the XML declaration and DOCTYPE: the SVG goes inline
    payload = _script_json(data)
    return _TEMPLATE.format(title=html.escape(title), svg=svg, data=payload, count=len(data["steps"]))


def _script_json(data: object) -> str:
    """JSON that is inert inside a <script> element: no "</script>", no "<!--", whatever the labels."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char in "<>&\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
  body {{ margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
    color: #0f172a; }}
  .ag-stepper {{ padding: 12px 16px; }}
  .ag-stepper h1 {{ font-size: 16px; margin: 0 0 8px; }}
  .ag-controls {{ display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }}
  .ag-controls button {{ font: inherit; padding: 3px 12px; border: 1px solid #94a3b8; border-radius: 6px;
    background: #f8fafc; cursor: pointer; }}
  .ag-controls button:disabled {{ opacity: 0.4; cursor: default; }}
  .ag-slider {{ flex: 1; min-width: 160px; max-width: 480px; }}
  .ag-position {{ font-variant-numeric: tabular-nums; min-width: 64px; }}
  .ag-detail {{ margin: 10px 0; padding: 8px 10px; background: #f8fafc; border-left: 4px solid #dc2626; }}
  .ag-heading {{ font-weight: 600; }}
  .ag-lines {{ margin: 4px 0 0; font: 13px/1.5 ui-monospace, Menlo, Consolas, monospace; white-space: pre-wrap;
    max-height: 9em; overflow: auto; }}
  .ag-graph {{ overflow: auto; border: 1px solid #e2e8f0; border-radius: 6px; }}
  .ag-graph.ag-fit svg {{ width: 100%; height: auto; }}
  .ag-hint {{ color: #64748b; font-size: 12px; margin-top: 6px; }}
  .ag-stepper g.node.ag-done > path {{ stroke: #16a34a; stroke-width: 2px; }}
  .ag-stepper g.node.ag-parent > path {{ stroke: #f59e0b; stroke-width: 3px; }}
  .ag-stepper g.node.ag-current > path {{ stroke: #dc2626; stroke-width: 4px; }}
  .ag-stepper g.edge.ag-active > path {{ stroke: #dc2626; stroke-width: 2.5px; }}
  .ag-stepper g.edge.ag-active > polygon {{ fill: #dc2626; stroke: #dc2626; }}
  .ag-stepper g.edge.ag-active > text {{ fill: #dc2626; font-weight: bold; }}
  .ag-stepper text.ag-pending {{ fill: #94a3b8; }}
  .ag-stepper text.ag-changed {{ fill: #dc2626; font-weight: bold; }}
</style>
</head>
<body>
<div class="ag-stepper" tabindex="0">
<h1>{title}</h1>
<div class="ag-controls">
  <button type="button" class="ag-prev" title="previous step (←)">◀ Prev</button>
  <button type="button" class="ag-play" title="play / pause">▶ Play</button>
  <button type="button" class="ag-next" title="next step (→)">Next ▶</button>
  <input type="range" class="ag-slider" min="0" max="{count}" value="0" aria-label="step">
  <span class="ag-position">0 / {count}</span>
  <button type="button" class="ag-fit-toggle" title="fit the graph to the width, or show it at full size">Fit</button>
</div>
<div class="ag-detail"><div class="ag-heading"></div><pre class="ag-lines"></pre></div>
<div class="ag-graph">
{svg}
</div>
<div class="ag-hint">← → step · Home/End first/last · red: the node whose grad is passed on, and its edges ·
orange: its parents, whose grads grow · green: done · grey grads: not reached yet</div>
<script type="application/json" class="ag-data">{data}</script>
<script>
(function () {{
  "use strict";
  var root = document.currentScript.closest(".ag-stepper");
  var data = JSON.parse(root.querySelector(".ag-data").textContent);
  var steps = data.steps, n = steps.length, position = 0, timer = null;
  var $ = function (selector) {{ return root.querySelector(selector); }};
  var byId = function (id) {{ return root.querySelector('[id="' + id + '"]'); }};
  var slider = $(".ag-slider");

  // Each node's grad is the last text of its box; centre it so new numbers stay centred.
  var gradText = {{}};
  Object.keys(data.start.grads).forEach(function (id) {{
    var g = byId(id), texts = g ? g.querySelectorAll("text") : [];
    if (!texts.length) return;
    var t = texts[texts.length - 1];
    var width = t.getComputedTextLength ? t.getComputedTextLength() : 0;
    if (t.getAttribute("text-anchor") === "start") {{
      t.setAttribute("x", parseFloat(t.getAttribute("x")) + width / 2);
      t.setAttribute("text-anchor", "middle");
    }}
    gradText[id] = t;
  }});

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
    Object.keys(gradText).forEach(function (id) {{
      gradText[id].textContent = "grad " + grads[id];
      if (!reached[id]) gradText[id].classList.add("ag-pending");
    }});
    var record = position ? steps[position - 1] : data.start;
    mark(done.slice(0, -1), "ag-done");
    if (position) {{
      mark([record.node], "ag-current");
      mark(record.parents, "ag-parent");
      mark(record.edges, "ag-active");
      record.parents.forEach(function (p) {{ if (gradText[p]) gradText[p].classList.add("ag-changed"); }});
    }}
    $(".ag-heading").textContent = record.heading;
    $(".ag-lines").textContent = record.lines.join("\\n");
    $(".ag-position").textContent = position + " / " + n;
    slider.value = String(position);
    root.setAttribute("data-step", String(position));
    root.setAttribute("data-current", position ? record.node : "");
    $(".ag-prev").disabled = position === 0;
    $(".ag-next").disabled = position === n;
  }}

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
  $(".ag-fit-toggle").addEventListener("click", function () {{ $(".ag-graph").classList.toggle("ag-fit"); }});
  slider.addEventListener("input", function () {{ pause(); show(parseInt(slider.value, 10)); }});
  document.addEventListener("keydown", function (e) {{
    // The slider handles its own keys; with several steppers on a page, only the focused one listens.
    if (e.target === slider || e.altKey || e.ctrlKey || e.metaKey) return;
    if (document.querySelectorAll(".ag-stepper").length > 1 && !root.contains(document.activeElement)) return;
    var moves = {{ ArrowRight: position + 1, ArrowLeft: position - 1, Home: 0, End: n }};
    if (!(e.key in moves)) return;
    e.preventDefault();
    pause();
    show(moves[e.key]);
  }});
  // Fit a graph that is only a little too wide; a much wider one keeps its size (and scrolls).
  var box = $(".ag-graph"), width = box.querySelector("svg").getBoundingClientRect().width;
  if (width > box.clientWidth && box.clientWidth >= 0.6 * width) box.classList.add("ag-fit");
  show(0);
}})();
</script>
</div>
</body>
</html>
"""
