"""The layer stepper's page in a real browser: headless Chromium driven by Playwright.

Needs the playwright package and Chromium at /usr/bin/chromium (`make system-deps`), not
Graphviz: the neuron diagram is SVG computed in Python. Skipped with a reason when they are
missing, and failing instead when CI=true.
"""

import numpy as np
import pytest

from autograd_core.dot import num_text
from nn import MLP, LayerStepper
from nn.data import moons

HOSTILE = "</script><script>window.__hacked = 1</script>"
WIDTH, HEIGHT = 1280, 800


@pytest.fixture
def page(browser):
    page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
    problems = []
    page.on("console", lambda m: problems.append(f"console error: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    yield page
    page.close()
    assert problems == []


def stepper(view="neurons", hidden=(16, 16, 16)):
    """Four layers (12 steps) over 10 moons; the hostile title must stay inert."""
    X, y = moons(10, seed=0)
    model = MLP(2, [*hidden, 1], activation="tanh", seed=0)
    return LayerStepper(model, X, y, loss="binary_cross_entropy", view=view, title=HOSTILE)


def open_page(page, tmp_path, s):
    path = s.save(tmp_path / "layers.html")
    page.goto(path.resolve().as_uri())
    return s


def state(page):
    return {
        "step": int(page.get_attribute(".ag-stepper", "data-step")),
        "current": page.get_attribute(".ag-stepper", "data-current"),
        "currents": page.eval_on_selector_all(".ag-current", "els => els.map(e => e.id)"),
        "heading": page.inner_text(".ag-step:not([hidden]) .ag-heading"),
        "position": page.inner_text(".ag-position"),
    }


def inside_viewport(page, selector):
    box = page.eval_on_selector(
        selector, "e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }"
    )
    left, top, right, bottom = box
    return left >= 0 and top >= 0 and right <= WIDTH and bottom <= HEIGHT, box


def unit_texts(page, layer):
    return page.eval_on_selector_all(f'.ag-unit[data-l="{layer}"] text', "ts => ts.map(t => t.textContent)")


def delta_texts(s, layer, sample):
    """δ^layer of one sample (a column: the default layout), as the boxes show it."""
    step = next(st for st in s.steps if st.equation in ("BP1", "BP2") and st.layer == layer)
    return [f"δ {num_text(v)}" for v in step.result[:, sample]]


@pytest.mark.parametrize("view", ["neurons", "matrix"])
def test_clicked_through_end_to_end(tmp_path, page, view):
    s = open_page(page, tmp_path, stepper(view))
    n = len(s.steps)
    assert n == 12
    start = state(page)
    assert start["step"] == 0 and start["currents"] == [] and start["position"] == f"0 / {n}"
    assert start["heading"].startswith("Start")
    assert page.is_disabled(".ag-prev")
    for k, step in enumerate(s.steps, start=1):
        page.click(".ag-next")
        now = state(page)
        assert now["step"] == k and now["position"] == f"{k} / {n}"
        assert now["currents"] == [now["current"]] and now["current"]
        assert now["heading"].startswith(f"Step {k} of {n} · {step.equation} ")
        if k <= 10:
            for selector in (".ag-current", ".ag-next"):
                ok, box = inside_viewport(page, selector)
                assert ok, f"step {k}: {selector} at {box} is outside the {WIDTH}×{HEIGHT} viewport"
        if view == "neurons" and step.equation in ("BP1", "BP2"):
            assert now["current"] == f"ag-layer-{step.layer}"
            assert unit_texts(page, step.layer) == delta_texts(s, step.layer, 0)
    assert page.is_disabled(".ag-next")
    assert page.evaluate("window.__hacked === undefined")
    assert page.title().startswith("</script>")


def test_arrow_keys_step(tmp_path, page):
    s = open_page(page, tmp_path, stepper())
    page.click("h1")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert state(page)["step"] == 2
    page.keyboard.press("ArrowLeft")
    assert state(page)["step"] == 1
    page.keyboard.press("End")
    assert state(page)["step"] == len(s.steps)
    page.keyboard.press("Home")
    assert state(page)["step"] == 0


def test_the_sample_picker_changes_the_shown_values(tmp_path, page):
    s = open_page(page, tmp_path, stepper())
    page.keyboard.press("End")
    for layer in (1, 2, 3, 4):
        assert unit_texts(page, layer) == delta_texts(s, layer, 0)
    page.select_option(".ag-sample", "3")
    for layer in (1, 2, 3, 4):
        assert unit_texts(page, layer) == delta_texts(s, layer, 3)
    assert delta_texts(s, 2, 3) != delta_texts(s, 2, 0)
    X, _ = moons(10, seed=0)
    assert unit_texts(page, 0) == [num_text(v) for v in X[3]]
    # the chosen sample's column is outlined in every heatmap of a δ
    selected = page.eval_on_selector_all("td.ag-sel", "tds => tds.length")
    assert selected == page.eval_on_selector_all("td.n3", "tds => tds.length") > 0
    # and the δ step's table of scalar grads is for sample 3
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")  # BP1
    table = page.inner_text(".ag-step:not([hidden]) .ag-grads")
    assert "sample 3" in table and num_text(s.steps[0].scalar[0, 3]) in table


def stepper_in(layout, w_layout):
    X, y = moons(10, seed=0)
    model = MLP(2, [16, 16, 16, 1], activation="tanh", seed=0)
    return LayerStepper(model, X, y, loss="binary_cross_entropy", layout=layout, w_layout=w_layout)


def click_some_edge(page, l):
    """Click a point of some edge of layer l where that edge is on top (edges cross in a dense
    bundle, and a horizontal line has no height for Playwright's own click); returns its (j, k)."""
    found = page.evaluate(
        """l => {
            for (const g of document.querySelectorAll(`.ag-edge[data-l="${l}"]`)) {
                const line = g.querySelector(".ag-hit"), m = line.getScreenCTM();
                const [x1, y1, x2, y2] = ["x1", "y1", "x2", "y2"].map(a => line[a].baseVal.value);
                for (let u = 0.3; u < 0.7; u += 0.02) {
                    const p = new DOMPoint(x1 + u * (x2 - x1), y1 + u * (y2 - y1)).matrixTransform(m);
                    const hit = document.elementFromPoint(p.x, p.y);
                    if (hit && hit.closest(".ag-edge") === g) return [+g.dataset.j, +g.dataset.k, p.x, p.y];
                }
            }
            return null;
        }""",
        l,
    )
    assert found is not None, f"no edge of layer {l} can be clicked"
    j, k, x, y = found
    page.mouse.click(x, y)
    return j, k


@pytest.mark.parametrize(("layout", "w_layout"), [("columns", "out_in"), ("rows", "in_out")])
def test_clicking_an_edge_shows_its_chain_rule(tmp_path, page, layout, w_layout):
    s = open_page(page, tmp_path, stepper_in(layout, w_layout))
    page.keyboard.press("End")
    page.select_option(".ag-sample", "2")
    l = 2
    j, k = click_some_edge(page, l)
    assert page.is_visible(".ag-edge-info")
    text = page.inner_text(".ag-edge-info")
    rows, in_out = layout == "rows", w_layout == "in_out"
    dW = next(st for st in s.steps if st.equation == "BP4" and st.layer == l).result
    delta = next(st for st in s.steps if st.equation == "BP2" and st.layer == l).result
    dW, delta = (dW.T if in_out else dW), (delta.T if rows else delta)  # as (out, in) and (units, N)
    (W1, *_), (b1, *_) = MLP(2, [16, 16, 16, 1], activation="tanh", seed=0).matrices()
    a1 = np.tanh(W1 @ moons(10, seed=0)[0][2] + b1)

    def at(unit, n):
        return f"[{n},{unit}]" if rows else f"[{unit},{n}]"

    w = f"[{k},{j}]" if in_out else f"[{j},{k}]"
    assert text.startswith(f"W{l}[{j},{k}]")  # the node's label: always W{l}[out,in]
    assert f"∂C/∂W²{w} = Σₙ δ²{at(j, 'n')} · a¹{at(k, 'n')}" in text
    assert f"= {num_text(dW[j, k])}" in text
    term = f"{num_text(delta[j, 2])} × {num_text(a1[k])} = {num_text(delta[j, 2] * a1[k])}"
    assert f"sample 2: δ²{at(j, 2)} · a¹{at(k, 2)} = {term}" in text
    assert f"W{l}[{j},{k}].grad = " in text
    assert page.eval_on_selector_all(".ag-edge.ag-picked", "es => es.length") == 1


def test_two_layer_steppers_on_one_page_do_not_clash(tmp_path, page):
    host = tmp_path / "two.html"
    frames = stepper()._repr_html_() + stepper(view="matrix", hidden=(3,))._repr_html_()
    host.write_text(f"<!DOCTYPE html><html><body>{frames}</body></html>", encoding="utf-8")
    page.goto(host.resolve().as_uri())
    first, second = (f for f in page.frames if f != page.main_frame)
    first.click(".ag-next")
    first.click(".ag-next")
    assert [f.get_attribute(".ag-stepper", "data-step") for f in (first, second)] == ["2", "0"]
    second.click(".ag-next")
    assert [f.get_attribute(".ag-stepper", "data-step") for f in (first, second)] == ["2", "1"]


def test_dead_and_saturated_units_follow_the_sample(tmp_path, page):
    relu = MLP(2, [3, 1], activation="relu", seed=0)
    relu.set_matrices([np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]]), np.ones((1, 3))], [np.zeros(3), np.zeros(1)])
    X = np.array([[1.0, 2.0], [-2.0, -1.0]])  # z¹ = (3, -3, -1) and (-3, 3, -1)
    open_page(page, tmp_path, LayerStepper(relu, X, np.zeros((2, 1)), loss="mse"))

    def marked(cls):
        return page.eval_on_selector_all(f'.ag-unit[data-l="1"].{cls}', "gs => gs.map(g => +g.dataset.j)")

    assert (marked("ag-dead"), marked("ag-dead-always")) == ([1, 2], [2])
    page.select_option(".ag-sample", "1")
    assert (marked("ag-dead"), marked("ag-dead-always")) == ([0, 2], [2])

    sigmoid = MLP(2, [2, 1], activation="sigmoid", seed=0)
    sigmoid.set_matrices([np.array([[10.0, 0.0], [0.0, 0.1]]), np.ones((1, 2))], [np.zeros(2), np.zeros(1)])
    open_page(page, tmp_path, LayerStepper(sigmoid, np.array([[1.0, 1.0], [0.0, 1.0]]), np.zeros((2, 1)), loss="mse"))
    assert marked("ag-sat") == [0]  # σ'(10) is tiny, σ'(0.1) is near its largest, σ'(0) = 1/4
    page.select_option(".ag-sample", "1")
    assert marked("ag-sat") == []
