"""The stepper page in a real browser: headless Chromium driven by Playwright.

Needs Graphviz's dot, the playwright package and Chromium at /usr/bin/chromium (`make
system-deps`); skipped with a reason when they are missing, and failing instead when CI=true.
"""

import re
import shutil

import pytest

from autograd_core import Stepper, Value, backward_steps, topological_order
from autograd_core.dot import num_text
from autograd_core.draw import edge_id, node_ids

from .conftest import (
    CURRENT_IN_MINIMAP,
    FRAME_CENTRE,
    IN_VIEW,
    TEXTS_OUTSIDE_THEIR_BOX,
    apart,
    inside,
    mlp,
    rect,
    require,
    wide_loss,
)

HOSTILE = "</script><script>alert(1)</script>"


@pytest.fixture
def page(browser):
    require(shutil.which("dot") is not None, "Graphviz's dot")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems = []
    page.on("console", lambda m: problems.append(f"console error: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    yield page
    page.close()
    assert problems == []


def graph():
    """The loss of a small MLP (2-3-2), with a hostile label on one leaf that must stay inert."""
    loss = mlp()
    leaf = next(n for n in topological_order(loss) if n.label == "b2[1]")
    leaf.label = HOSTILE
    return loss


def expected_steps(root):
    """What the page should show at each step, from a fresh backward_steps pass of a twin graph."""
    twin_ids = node_ids(topological_order(root))
    return [(twin_ids[s.node], s) for s in backward_steps(root)], twin_ids


def state(page):
    return {
        "step": int(page.get_attribute(".ag-stepper", "data-step")),
        "current": page.get_attribute(".ag-stepper", "data-current"),
        "currents": page.eval_on_selector_all(".ag-current", "els => els.map(e => e.id)"),
        "edges": page.eval_on_selector_all("g.edge.ag-active", "els => els.map(e => e.id)"),
        "heading": page.inner_text(".ag-heading"),
        "lines": page.inner_text(".ag-lines"),
        "position": page.inner_text(".ag-position"),
    }


def grad_text(page, node_id):
    return page.eval_on_selector(
        f'[id="{node_id}"]', "g => { const t = g.querySelectorAll('text'); return t[t.length - 1].textContent; }"
    )


def assert_shows_step(page, k, steps):
    node_id, record = steps[k - 1]
    now = state(page)
    assert now["step"] == k and now["position"] == f"{k} / {len(steps)}"
    assert now["current"] == node_id and now["currents"] == [node_id]
    assert sorted(now["edges"]) == sorted(edge_id(node_id, i) for i in range(len(record.edges)))
    assert now["heading"].startswith(f"Step {k} of {len(steps)}: ")
    lines = now["lines"].splitlines()
    if record.skipped:
        assert len(lines) == len(record.edges)
        assert all(line.endswith(f".grad stays {num_text(e.grad_after)}") for line, e in zip(lines, record.edges))
        return
    assert len(lines) == 2 * len(record.edges)  # the chain rule, then where the local derivative comes from
    for line, why, edge in zip(lines[::2], lines[1::2], record.edges):
        n = num_text
        assert f" = {n(edge.local_grad)} × {n(record.grad)} = {n(edge.contribution)} " in line
        assert line.endswith(f"{n(edge.grad_before)} → {n(edge.grad_after)}")
        assert why.startswith("    ∂") and why.endswith(n(edge.local_grad))
    titles = page.eval_on_selector_all(".ag-lines .ag-num", "els => els.map(e => e.title)")
    for edge in record.edges:  # every number in full on hover
        assert {repr(edge.local_grad), repr(edge.contribution), repr(edge.grad_after)} <= set(titles)


def test_the_stepper_steps_through_backprop_in_a_browser(tmp_path, page):
    path = Stepper(graph()).save(tmp_path / "steps.html")
    steps, ids = expected_steps(graph())
    n = len(steps)
    page.goto(path.resolve().as_uri())

    start = state(page)
    assert start["step"] == 0 and start["currents"] == [] and start["position"] == f"0 / {n}"
    assert start["heading"].startswith("Start") and "loss.grad = 1" in start["lines"]
    assert page.is_disabled(".ag-prev")

    for k in range(1, 5):  # Next, four times
        page.click(".ag-next")
        assert_shows_step(page, k, steps)
    _, record = steps[3]
    for parent, grad in {e.parent: e.grad_after for e in record.edges}.items():  # the last edge to each parent
        assert grad_text(page, ids[parent]) == f"grad {num_text(grad)}"

    page.click(".ag-prev")
    assert_shows_step(page, 3, steps)

    slider = page.locator(".ag-slider")
    slider.fill("7")  # setting the slider
    assert_shows_step(page, 7, steps)
    slider.focus()
    page.keyboard.press("End")  # the slider's own keys
    assert_shows_step(page, n, steps)
    assert page.is_disabled(".ag-next")
    box = slider.bounding_box()
    page.mouse.click(box["x"] + 2, box["y"] + box["height"] / 2)  # dragging it to the start
    assert state(page)["step"] == 0

    page.click("h1")  # arrow keys anywhere on the page
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert_shows_step(page, 2, steps)
    page.keyboard.press("ArrowLeft")
    assert_shows_step(page, 1, steps)
    page.keyboard.press("End")
    assert_shows_step(page, n, steps)
    page.keyboard.press("Home")
    assert state(page)["step"] == 0

    page.click(".ag-play")
    assert page.inner_text(".ag-play") == "⏸ Pause"
    page.wait_for_function("document.querySelector('.ag-stepper').dataset.step === '1'")
    page.click(".ag-play")
    assert page.inner_text(".ag-play") == "▶ Play"

    page.keyboard.press("End")
    final = graph()
    final.backward()
    for node, node_id in node_ids(topological_order(final)).items():  # at the end: backward()'s grads
        assert grad_text(page, node_id) == f"grad {num_text(node.grad)}"
    assert page.evaluate("window.__hacked === undefined && document.title.includes('loss')")


def test_two_steppers_on_one_page_do_not_clash(tmp_path, page):
    a, b = Value(2.0, "a"), Value(3.0, "b")
    first = Stepper(a * b + a)
    second = Stepper((a * b).tanh())
    host = tmp_path / "two.html"
    host.write_text(f"<!DOCTYPE html><html><body>{first._repr_html_()}{second._repr_html_()}</body></html>")
    page.goto(host.resolve().as_uri())
    frames = [f for f in page.frames if f != page.main_frame]
    assert len(frames) == 2
    frames[0].click(".ag-next")
    frames[0].click(".ag-next")
    assert [f.get_attribute(".ag-stepper", "data-step") for f in frames] == ["2", "0"]
    frames[1].click(".ag-next")
    assert [f.get_attribute(".ag-stepper", "data-step") for f in frames] == ["2", "1"]


# ---- layout: the current node in view, every text inside its box, however the page is shown ----


def batch_loss(samples=4):
    """The loss of MLP(2, [4, 4, 1]) over a batch: every z and a node once per sample."""
    import nn

    model = nn.MLP(2, [4, 4, 1], seed=0)
    X = [[0.5, -1.0], [1.5, 0.3], [-0.7, 0.8], [0.1, 0.1], [2.0, -2.0]][:samples]
    loss = nn.mse([model(x) for x in X], [[1.0], [0.0], [1.0], [0.0], [1.0]][:samples])
    loss.backward()
    return loss


def assert_laid_out(frame, steps=10):
    """At each of the first steps: the current node and Next in view, and no text outside its box."""
    assert frame.evaluate(TEXTS_OUTSIDE_THEIR_BOX) == []
    for k in range(1, steps + 1):
        frame.click(".ag-next")
        assert frame.get_attribute(".ag-stepper", "data-step") == str(k)
        assert frame.evaluate(IN_VIEW, ".ag-current"), f"step {k}: the current node is out of view"
        assert frame.evaluate(IN_VIEW, ".ag-next"), f"step {k}: Next is out of view"
        assert frame.evaluate(TEXTS_OUTSIDE_THEIR_BOX) == [], f"step {k}"


def test_a_batch_graph_keeps_the_current_node_and_the_controls_in_view(tmp_path, page):
    import nn

    page.set_viewport_size({"width": 1280, "height": 800})
    stepper = nn.MLPStepper(batch_loss(), max_nodes=1000)
    page.goto(stepper.save(tmp_path / "batch.html").resolve().as_uri())
    assert_laid_out(page, 10)
    assert "@" in page.inner_text(".ag-heading")  # a per-sample node says its sample
    count = len(stepper.steps)
    for _ in range(11, count + 1):  # and on to the end, with no console error (the page fixture)
        page.click(".ag-next")
    assert page.get_attribute(".ag-stepper", "data-step") == str(count) and page.is_disabled(".ag-next")
    assert page.evaluate(TEXTS_OUTSIDE_THEIR_BOX) == []


def test_zoom_pan_fit_and_full_digits(tmp_path, page):
    import nn

    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(nn.MLPStepper(batch_loss(), max_nodes=1000).save(tmp_path / "b.html").resolve().as_uri())
    assert page.get_attribute(".ag-fit-toggle", "aria-pressed") == "false"  # too large to fit readably
    width = lambda: page.eval_on_selector(".ag-graph svg", "s => s.getBoundingClientRect().width")  # noqa: E731
    before = width()
    page.click(".ag-zoom-in")
    assert width() > before * 1.2 and page.inner_text(".ag-zoom-level") == "125%"
    page.click(".ag-fit-toggle")
    assert page.get_attribute(".ag-fit-toggle", "aria-pressed") == "true"
    graph = page.eval_on_selector(".ag-graph", "g => [g.clientWidth, g.clientHeight]")
    size = page.eval_on_selector(
        ".ag-graph svg", "s => [s.getBoundingClientRect().width, s.getBoundingClientRect().height]"
    )
    assert size[0] <= graph[0] and size[1] <= graph[1]  # all of it in view
    page.click(".ag-zoom-out")
    assert page.get_attribute(".ag-fit-toggle", "aria-pressed") == "false"
    page.click(".ag-fit-toggle")
    page.click(".ag-fit-toggle")  # off again: back to 100%
    assert page.inner_text(".ag-zoom-level") == "100%"
    box = page.locator(".ag-graph").bounding_box()
    start = page.eval_on_selector(".ag-graph", "g => [g.scrollLeft, g.scrollTop]")
    page.mouse.move(box["x"] + 400, box["y"] + 200)
    page.mouse.down()
    page.mouse.move(box["x"] + 300, box["y"] + 100, steps=4)  # drag to pan
    page.mouse.up()
    assert page.eval_on_selector(".ag-graph", "g => [g.scrollLeft, g.scrollTop]") != start

    page.click(".ag-next")
    short = page.inner_text(".ag-lines")
    page.click(".ag-digits")
    assert page.get_attribute(".ag-digits", "aria-pressed") == "true"
    full = page.inner_text(".ag-lines")
    assert len(full) > len(short) and page.eval_on_selector_all(
        ".ag-lines .ag-num", "els => els.every(e => e.textContent === e.title)"
    )


def test_a_page_shown_late_in_an_iframe_lays_out_when_shown(tmp_path, page):
    """Jupyter shows the stepper in an iframe, which may be hidden (display: none) when the page
    loads: every text must still lie inside its box once it is shown, and the steps must work."""
    import nn

    page.set_viewport_size({"width": 1280, "height": 800})
    stepper = nn.MLPStepper(batch_loss(), max_nodes=1000)
    host = tmp_path / "host.html"
    host.write_text(
        "<!DOCTYPE html><html><body><h2>a notebook</h2><div id=cell style='display:none'>"
        + stepper._repr_html_()
        + "</div><script>setTimeout(() => { document.getElementById('cell').style.display = 'block' }, 700)"
        "</script></body></html>",
        encoding="utf-8",
    )
    page.goto(host.resolve().as_uri())
    page.wait_for_function("getComputedStyle(document.getElementById('cell')).display === 'block'")
    frame = next(f for f in page.frames if f != page.main_frame)
    frame.wait_for_function("document.querySelector('.ag-graph').clientWidth > 0")
    page.wait_for_timeout(100)  # the frame's resize observer
    assert_laid_out(frame, 10)


def test_a_font_wider_than_graphvizs_is_narrowed_to_its_box(tmp_path, page):
    """Graphviz sizes the boxes with Helvetica's metrics; with a wider font the page narrows the
    text to its box when the graph is (re)laid out, so no text sticks out."""
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(Stepper(graph()).save(tmp_path / "wide.html").resolve().as_uri())
    page.add_style_tag(
        content="g.node text { font-family: 'DejaVu Sans Mono', monospace !important; font-size: 13px !important; }"
    )
    page.set_viewport_size({"width": 1200, "height": 800})  # a resize lays the graph out again
    page.wait_for_timeout(200)
    assert page.evaluate(TEXTS_OUTSIDE_THEIR_BOX) == []
    for _ in range(3):
        page.click(".ag-next")  # grads that change are narrowed as they are written
        assert page.evaluate(TEXTS_OUTSIDE_THEIR_BOX) == []


# ---- a graph of about 300 nodes: the minimap, the panel of a wide node, full digits out of the boxes ----

SIGNIFICANT = re.compile(r"-?(\d+(?:\.\d*)?)(?:e-?\d+)?")


@pytest.fixture(scope="module")
def wide(tmp_path_factory):
    """The node stepper of wide_loss(), saved: (path, stepper, loss)."""
    import nn

    require(shutil.which("dot") is not None, "Graphviz's dot")
    loss = wide_loss()
    stepper = nn.MLPStepper(loss)
    return stepper.save(tmp_path_factory.mktemp("wide") / "wide.html"), stepper, loss


def current_text_height(page):
    return page.eval_on_selector(".ag-current text", "t => t.getBoundingClientRect().height")


def test_a_300_node_graph_is_read_at_a_readable_zoom_with_a_minimap_that_follows(wide, page):
    path, stepper, _ = wide
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(path.resolve().as_uri())
    window = [0, 0, 1366, 768]
    assert page.is_visible(".ag-minimap")  # Fit would draw it at 2%: the minimap is the overview
    mini, graph, panel = rect(page, ".ag-minimap"), rect(page, ".ag-graph"), rect(page, ".ag-detail")
    assert inside(mini, window) and apart(mini, graph) and apart(mini, panel) and apart(graph, panel)
    assert mini[3] - mini[1] > 300  # a tall graph: the minimap runs down beside it
    page.wait_for_function(CURRENT_IN_MINIMAP, timeout=2000)  # the root, at the start
    widest = max(range(len(stepper.steps)), key=lambda i: len(stepper.steps[i].edges)) + 1
    for i, k in enumerate([*range(1, 9), widest, len(stepper.steps)]):
        if i < 8:
            page.click(".ag-next")
        else:
            page.locator(".ag-slider").fill(str(k))
        assert page.get_attribute(".ag-stepper", "data-step") == str(k)
        assert page.evaluate(IN_VIEW, ".ag-current"), f"step {k}: the current node is out of view"
        assert current_text_height(page) >= 10, f"step {k}: the current node's text is too small to read"
        page.wait_for_function(CURRENT_IN_MINIMAP, timeout=2000)  # the frame follows the scroll event

    scroll = lambda: page.eval_on_selector(".ag-graph", "g => [g.scrollLeft, g.scrollTop]")  # noqa: E731
    before = scroll()
    x, y = (mini[0] + mini[2]) / 2, mini[1] + 0.3 * (mini[3] - mini[1])
    page.mouse.click(x, y)  # a click on the minimap moves the view there
    assert scroll() != before
    centre = page.evaluate(FRAME_CENTRE)
    assert abs(centre[1] - y) < 3
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, y + 120, steps=5)  # and so does a drag
    page.mouse.up()
    assert abs(page.evaluate(FRAME_CENTRE)[1] - (y + 120)) < 3
    assert not page.evaluate(IN_VIEW, ".ag-current")
    page.click(".ag-prev")  # the next step brings the current node back
    assert page.evaluate(IN_VIEW, ".ag-current")
    page.wait_for_function(CURRENT_IN_MINIMAP, timeout=2000)


def test_the_minimap_is_drawn_where_the_boxes_are(wide, page):
    """The boxes' coordinates, found in Python from Graphviz's SVG, match where the browser draws them."""
    path, _, _ = wide
    page.goto(path.resolve().as_uri())
    gaps = page.evaluate(
        """() => {
      const data = JSON.parse(document.querySelector(".ag-data").textContent);
      const svg = document.querySelector(".ag-graph svg"), s = svg.getBoundingClientRect();
      const k = s.width / svg.viewBox.baseVal.width;
      return Object.keys(data.boxes).map(id => {
        const b = data.boxes[id], r = document.getElementById(id).querySelector("path").getBoundingClientRect();
        return Math.max(Math.abs((r.left - s.left) / k - b[0]), Math.abs((r.top - s.top) / k - b[1]),
                        Math.abs(r.width / k - b[2]), Math.abs(r.height / k - b[3]));
      });
    }"""
    )
    assert len(gaps) == 292 and max(gaps) < 3  # in SVG units (pt), with the stroke's width


@pytest.mark.parametrize("size", [(1366, 768), (390, 844)])
def test_every_edge_of_a_wide_node_is_in_the_panel_beside_the_graph(wide, page, size):
    path, stepper, loss = wide
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(path.resolve().as_uri())
    k = max(range(len(stepper.steps)), key=lambda i: len(stepper.steps[i].edges)) + 1
    step = stepper.steps[k - 1]
    assert len(step.edges) == 27
    page.locator(".ag-slider").fill(str(k))
    window = [0, 0, *size]
    panel, graph, lines = rect(page, ".ag-detail"), rect(page, ".ag-graph"), rect(page, ".ag-lines")
    assert inside(panel, window) and inside(graph, window) and apart(panel, graph)
    assert (panel[0] >= graph[2]) if size[0] > 760 else (panel[1] >= graph[3])  # beside, or below on a phone
    assert len(page.inner_text(".ag-lines").splitlines()) == 54  # the chain rule and its why, for every edge
    groups = page.locator(".ag-lines .ag-edge-text")
    assert groups.count() == 27
    ids = node_ids(topological_order(loss))
    font = page.eval_on_selector(".ag-lines", "e => parseFloat(getComputedStyle(e).fontSize)")
    assert font >= 12
    for i, edge in enumerate(step.edges):  # each in turn, scrolled into the panel, is there to read
        group = groups.nth(i)
        assert group.get_attribute("data-parent") == ids[edge.parent]
        group.evaluate("g => { g.parentNode.scrollTop = g.offsetTop; }")
        box = group.bounding_box()
        assert inside([box["x"], box["y"], box["x"] + box["width"], box["y"] + min(box["height"], 40)], lines)
        text = group.inner_text()
        assert f" = {num_text(edge.local_grad)} × {num_text(step.grad)} = {num_text(edge.contribution)} " in text

    last = ids[step.edges[-1].parent]
    groups.nth(26).click()  # a line picks its parent: in view in the graph, outlined, read in full
    assert page.get_attribute(f'[id="{last}"]', "class") == "node ag-parent ag-picked"
    assert page.evaluate(IN_VIEW, f'[id="{last}"]')
    readout = page.inner_text(".ag-readout")
    assert repr(step.edges[-1].parent.data) in readout and repr(step.edges[-1].grad_after) in readout
    page.click(f'[id="{last}"]')  # a click on the picked node lets it go
    assert page.locator(".ag-picked").count() == 0
    page.locator(".ag-lines").evaluate("e => { e.scrollTop = 0; }")
    page.click(f'[id="{last}"]')  # a click on a parent picks its lines, scrolled into the panel's view
    assert groups.nth(26).get_attribute("class") == "ag-edge-text ag-picked"
    box = groups.nth(26).bounding_box()
    lines = rect(page, ".ag-lines")
    assert lines[1] - 1 <= box["y"] and box["y"] + 20 <= lines[3]


def significant_digits(text):
    return max((len(m[1].replace(".", "").lstrip("0")) for m in SIGNIFICANT.finditer(text)), default=0)


def test_full_digits_are_in_the_panel_and_the_readout_never_in_the_boxes(wide, page):
    path, stepper, _ = wide
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(path.resolve().as_uri())
    boxes = lambda: page.eval_on_selector_all("g.node text", "ts => ts.map(t => t.textContent)")  # noqa: E731
    page.keyboard.press("End")
    short = boxes()
    page.click(".ag-digits")
    assert page.get_attribute(".ag-digits", "aria-pressed") == "true"
    for key in ("End", "Home", "ArrowRight", "ArrowRight", "ArrowRight"):
        page.keyboard.press(key)
        texts = boxes()
        assert max(significant_digits(t) for t in texts) <= 4, [t for t in texts if significant_digits(t) > 4]
    page.keyboard.press("End")
    assert boxes() == short  # the same short numbers, with or without "Full digits"
    assert significant_digits(page.inner_text(".ag-lines")) >= 15  # the panel has them in full
    nodes = topological_order(wide_loss())  # its grads: one backward(), as at the page's last step
    ids = node_ids(nodes)
    last = stepper.steps[-1]
    node = nodes[[n.label for n in nodes].index(last.node.label)]
    page.hover(f'[id="{ids[node]}"]')  # the readout: the node under the pointer, in full
    readout = page.inner_text(".ag-readout")
    assert node.label in readout and "under the pointer" in readout
    assert f"data {node.data!r}" in readout and f"grad {node.grad!r}" in readout
    parent = nodes[[n.label for n in nodes].index(last.edges[0].parent.label)]
    page.locator(".ag-lines .ag-edge-text").first.click()  # or picked, from its line
    page.mouse.move(5, 5)
    readout = page.inner_text(".ag-readout")
    assert "picked" in readout and f"data {parent.data!r}" in readout and f"grad {parent.grad!r}" in readout
