"""The stepper page in a real browser: headless Chromium driven by Playwright.

Needs Graphviz's dot, the playwright package and Chromium at /usr/bin/chromium (`make
system-deps`); skipped with a reason when they are missing, and failing instead when CI=true.
"""

import importlib.util
import os
import shutil

import pytest

from autograd_core import Stepper, Value, backward_steps, topological_order
from autograd_core.dot import num_text
from autograd_core.draw import edge_id, node_ids

from .conftest import CHROMIUM, require
from .test_draw import mlp

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOSTILE = "</script><script>alert(1)</script>"


@pytest.fixture(scope="module")
def browser():
    require(shutil.which("dot") is not None, "Graphviz's dot")
    require(importlib.util.find_spec("playwright") is not None, "the playwright Python package")
    require(os.access(CHROMIUM, os.X_OK), f"Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
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
