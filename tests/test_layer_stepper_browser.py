"""The layer stepper's page in a real browser: headless Chromium driven by Playwright.

The page draws its pictures from the data, so these tests read them back: the steps and their
equations, the result kept in view, every cell pickable (click or keys) and read out in full,
the neuron diagram, the sample picker, the marks, a phone's screen. Needs the playwright package
and Chromium at /usr/bin/chromium (`make system-deps`), not Graphviz; skipped with a reason
when they are missing, and failing instead when CI=true.
"""

import numpy as np
import pytest

from autograd_core.dot import num_text
from nn import MLP, LayerStepper
from nn.data import moons

HOSTILE = "</script><script>window.__hacked = 1</script>"
WIDTH, HEIGHT = 1280, 800


def new_page(browser, width=WIDTH, height=HEIGHT):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.problems = []
    page.on("console", lambda m: page.problems.append(f"console error: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: page.problems.append(f"page error: {e}"))
    page.on("dialog", lambda d: (page.problems.append(f"dialog: {d.message}"), d.dismiss()))
    return page


@pytest.fixture
def page(browser):
    page = new_page(browser)
    yield page
    page.close()
    assert page.problems == []


def stepper(view="neurons", hidden=(16, 16, 16), **options):
    """Four layers (12 steps) over 10 moons; the hostile title must stay inert."""
    X, y = moons(10, seed=0)
    model = MLP(2, [*hidden, 1], activation="tanh", seed=0)
    return LayerStepper(model, X, y, loss="binary_cross_entropy", view=view, title=HOSTILE, **options)


def open_page(page, tmp_path, s, name="layers.html"):
    page.goto(s.save(tmp_path / name).resolve().as_uri())
    return s


def state(page):
    return {
        "step": int(page.get_attribute(".ag-stepper", "data-step")),
        "current": page.get_attribute(".ag-stepper", "data-current"),
        "currents": page.eval_on_selector_all(".ag-current", "els => els.map(e => e.id)"),
        "heading": page.inner_text(".ag-stephead"),
        "position": page.inner_text(".ag-position"),
    }


IN_WINDOW = """selector => {
  const r = document.querySelector(selector).getBoundingClientRect();
  return [r.width > 0 && r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight,
          [r.left, r.top, r.right, r.bottom]];
}"""


def in_window(page, selector):
    return page.evaluate(IN_WINDOW, selector)


def unit_texts(page, layer):
    return page.eval_on_selector_all(f'.ag-unit[data-l="{layer}"] text', "ts => ts.map(t => t.textContent)")


def delta_texts(s, layer, sample):
    """δ^layer of one sample (a column: the default layout), as the boxes show it."""
    step = next(st for st in s.steps if st.equation in ("BP1", "BP2") and st.layer == layer)
    return [f"δ {num_text(v)}" for v in step.result[:, sample]]


@pytest.mark.parametrize("view", ["neurons", "matrix"])
def test_clicked_through_end_to_end_the_equation_and_result_stay_in_view(tmp_path, page, view):
    s = open_page(page, tmp_path, stepper(view))
    n = len(s.steps)
    assert n == 12
    start = state(page)
    assert start["step"] == 0 and start["currents"] == [] and start["position"] == f"0 / {n}"
    assert start["heading"].startswith("Start") and repr(s.loss) in page.inner_text(".ag-formula")
    assert page.is_disabled(".ag-prev")
    for k, step in enumerate(s.steps, start=1):
        page.click(".ag-next")
        now = state(page)
        assert now["step"] == k and now["position"] == f"{k} / {n}"
        assert now["currents"] == [now["current"]] and now["current"]  # the step's result, one element
        assert now["heading"].startswith(f"Step {k} of {n} · {step.equation} ")
        assert page.inner_text(".ag-formula") == step.formula
        for selector in (".ag-formula", ".ag-result", ".ag-next"):
            ok, box = in_window(page, selector)
            assert ok, f"step {k}: {selector} at {box} is outside the {WIDTH}×{HEIGHT} window"
        if view == "neurons" and step.equation in ("BP1", "BP2"):
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


def test_every_cell_of_the_result_is_read_out_in_full_with_its_scalar_node(tmp_path, page):
    s = open_page(page, tmp_path, stepper())
    page.keyboard.press("ArrowRight")  # BP1: δ⁴, (1, 10)
    cells = page.locator(".ag-result td")
    assert cells.count() == 10  # a small matrix keeps its numbers
    cells.nth(3).click()
    text = page.inner_text(".ag-readout")
    step = s.steps[0]
    assert f"δ⁴[0,3] = {float(step.result[0, 3])!r}   (sample 3)" in text
    assert f"scalar graph: z4[0].grad of sample 3 = {float(step.scalar[0, 3])!r}" in text
    # from the keyboard: the arrow keys on the focused picture move the cell; the stepper stays put
    page.focus(".ag-result .ag-pic")
    page.keyboard.press("ArrowRight")
    assert f"δ⁴[0,4] = {float(step.result[0, 4])!r}" in page.inner_text(".ag-readout")
    assert state(page)["step"] == 1
    page.keyboard.press("Escape")
    page.keyboard.press("ArrowRight")
    assert state(page)["step"] == 2


def test_a_weights_chain_rule_from_its_cell_or_its_edge(tmp_path, page):
    s = open_page(page, tmp_path, stepper())
    k = next(i for i, st in enumerate(s.steps, start=1) if st.equation == "BP4" and st.layer == 3)
    for _ in range(k):
        page.keyboard.press("ArrowRight")
    page.select_option(".ag-sample", "2")
    dW = s.steps[k - 1].result  # (16, 16): numbers, each cell pickable
    page.locator(".ag-result tr").nth(5).locator("td").nth(7).click()
    text = page.inner_text(".ag-readout")
    assert f"∂C/∂W³[5,7] = {float(dW[5, 7])!r}" in text
    assert f"W3[5,7].grad = {float(s.steps[k - 1].scalar[5, 7])!r}" in text
    assert "∂C/∂W³[5,7] = Σₙ δ³[5,n] · a²[7,n]   (n = 0..9)" in text
    delta = next(st for st in s.steps if st.equation == "BP2" and st.layer == 3).result
    assert f"sample 2: δ³[5,2] · a²[7,2] = {float(delta[5, 2])!r} × " in text
    j, kk = click_some_edge(page, 3)
    assert f"∂C/∂W³[{j},{kk}] = {float(dW[j, kk])!r}" in page.inner_text(".ag-readout")
    assert page.eval_on_selector_all(".ag-edge.ag-picked", "es => es.length") == 1


@pytest.mark.parametrize(("layout", "w_layout"), [("rows", "in_out")])
def test_the_chain_rule_in_the_other_layouts(tmp_path, page, layout, w_layout):
    s = open_page(page, tmp_path, stepper(layout=layout, w_layout=w_layout))
    k = next(i for i, st in enumerate(s.steps, start=1) if st.equation == "BP4" and st.layer == 3)
    for _ in range(k):
        page.keyboard.press("ArrowRight")
    j, kk = click_some_edge(page, 3)
    dW = s.steps[k - 1].result  # (in, out)
    text = page.inner_text(".ag-readout")
    assert f"∂C/∂W³[{kk},{j}] = {float(dW[kk, j])!r}" in text and f"W3[{j},{kk}].grad = " in text
    assert "Σₙ δ³[n," in text  # samples in rows


def click_some_edge(page, l):
    """Click a point of some edge of layer l where that edge is on top; returns its (j, k)."""
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
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")  # BP1: the chosen sample's column is outlined
    assert page.eval_on_selector_all(".ag-result td.ag-sel", "tds => tds.map(t => +t.dataset.c)") == [3]


def test_two_steppers_inline_on_one_page_do_not_clash(tmp_path, page):
    host = tmp_path / "two.html"
    body = stepper()._repr_html_() + stepper(view="matrix", hidden=(3,))._repr_html_()
    outside = '<button id="outside">a control of the notebook</button>'
    host.write_text(f"<!DOCTYPE html><html><body>{body}{outside}</body></html>", encoding="utf-8")
    page.goto(host.resolve().as_uri())
    first, second = page.locator(".ag-stepper").nth(0), page.locator(".ag-stepper").nth(1)
    first.locator(".ag-next").click()
    first.locator(".ag-next").click()
    assert [x.get_attribute("data-step") for x in (first, second)] == ["2", "0"]
    second.locator(".ag-next").click()
    assert [x.get_attribute("data-step") for x in (first, second)] == ["2", "1"]
    first.locator("h1").click()  # the keys step the stepper that has the focus, and only while it has it
    page.keyboard.press("ArrowRight")
    assert [x.get_attribute("data-step") for x in (first, second)] == ["3", "1"]
    page.click("#outside")  # the focus elsewhere (a notebook's cells): the arrow keys are not ours
    page.keyboard.press("ArrowRight")
    assert [x.get_attribute("data-step") for x in (first, second)] == ["3", "1"]


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


# ---- at the seeds' size: 784-30-10 over a mini-batch of 10 ---------------------------------------
def nielsen(**options):
    rng = np.random.default_rng(0)
    model = MLP(784, [30, 10], activation="sigmoid", output_activation="sigmoid", seed=0)
    X = rng.uniform(size=(10, 784)) * (rng.uniform(size=(10, 784)) < 0.2)
    return LayerStepper(model, X, np.eye(10)[rng.integers(0, 10, 10)], loss="mse", mse_half=True, **options)


def test_nielsens_network_images_and_every_pixel_of_them(tmp_path, page):
    s = open_page(page, tmp_path, nielsen(lr=3.0))
    assert page.eval_on_selector("image.ag-input-image", "e => e.getBBox().width") >= 56  # the input, as an image
    k = next(i for i, st in enumerate(s.steps, start=1) if st.equation == "BP4" and st.layer == 1)
    for _ in range(k):
        page.keyboard.press("ArrowRight")
    assert page.get_attribute(".ag-result .ag-pic", "data-mode") == "images"  # 30 images of 28×28
    for selector in (".ag-formula", ".ag-result"):
        assert in_window(page, selector)[0], selector
    # the pixel at row 3, column 5 of the image of unit 2: ∂C/∂W¹[2, 3*28 + 5]
    point = page.evaluate(
        """() => {
            const c = document.querySelector(".ag-result canvas"), r = c.getBoundingClientRect();
            return [r.left, r.top, r.width / c.width];
        }"""
    )
    per_row, k_px = image_grid(page)
    left, top, f = point
    tile, py, px = 2, 3, 5
    x0, y0 = (tile % per_row) * (28 * k_px + 3), (tile // per_row) * (28 * k_px + 3)
    page.mouse.click(left + (x0 + px * k_px + k_px / 2) * f, top + (y0 + py * k_px + k_px / 2) * f)
    dW = s.steps[k - 1].result
    text = page.inner_text(".ag-readout")
    assert f"∂C/∂W¹[2,89] = {float(dW[2, 89])!r}" in text and "W1[2,89].grad = " in text
    # the update: the new W¹, computed in the page from W¹ and ∂C/∂W¹, bit for bit
    update = next(i for i, st in enumerate(s.steps, start=1) if st.equation == "update" and st.layer == 1)
    page.keyboard.press("Escape")  # the picked picture has the keys (they move the cell); give them back
    for _ in range(update - k):
        page.keyboard.press("ArrowRight")
    page.mouse.click(left + (x0 + px * k_px + k_px / 2) * f, top + (y0 + py * k_px + k_px / 2) * f)
    assert f"W¹[2,89] = {float(s.steps[update - 1].result[2, 89])!r}" in page.inner_text(".ag-readout")


def image_grid(page):
    """(images per row, pixels per image pixel) of the result's picture of images."""
    return page.evaluate(
        """() => {
            const c = document.querySelector(".ag-result canvas");
            const fits = (n, k) => n * (28 * k + 3) - 3 === c.width
                && Math.ceil(30 / n) * (28 * k + 3) - 3 === c.height;
            for (let k = 4; k >= 1; k--) for (let n = 1; n <= 30; n++) if (fits(n, k)) return [n, k];
            return null;
        }"""
    )


def test_a_hidden_units_gradient_as_an_image(tmp_path, page):
    s = open_page(page, tmp_path, nielsen())
    page.keyboard.press("End")
    page.locator('.ag-unit[data-l="1"][data-j="4"]').click()
    text = page.inner_text(".ag-readout")
    assert "z1[4] of sample 0: z = " in text and "its row of ∂C/∂W¹ (28×28)" in text
    assert page.locator(".ag-readout canvas").count() == 1
    assert len(s.steps) == 6


def test_on_a_phone_the_saved_page_fits_the_screen(tmp_path, browser):
    page = new_page(browser, 390, 844)
    s = open_page(page, tmp_path, nielsen(lr=3.0))
    for k in range(1, len(s.steps) + 1):
        page.click(".ag-next")
        for selector in (".ag-formula", ".ag-result", ".ag-next"):
            ok, box = in_window(page, selector)
            assert ok, f"step {k}: {selector} at {box} is outside the 390×844 screen"
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 390, f"step {k}: wider than the screen"
        size = page.eval_on_selector(".ag-formula", "e => parseFloat(getComputedStyle(e).fontSize)")
        assert size >= 12  # the numbers are read at a phone's scale 1, not 0.4
        overlaps = page.eval_on_selector_all(
            "svg.ag-net text.ag-col",
            """ts => { const r = ts.map(t => t.getBoundingClientRect()), out = [];
                 r.forEach((a, i) => r.slice(i + 1).forEach((b, j) => {
                   if (a.top < b.bottom && b.top < a.bottom && a.left < b.right && b.left < a.right)
                     out.push([ts[i].textContent, ts[i + 1 + j].textContent]); }));
                 return out; }""",
        )
        assert overlaps == [], f"step {k}: the diagram's column headings overlap"
    page.close()
    assert page.problems == []


def test_the_cells_are_coloured_by_the_one_rule_for_signed_numbers(tmp_path, page):
    from nn.cells import signed_color

    s = open_page(page, tmp_path, stepper())
    page.keyboard.press("ArrowRight")  # BP1: δ⁴ as numbers, each cell coloured
    result = s.steps[0].result
    colours = page.eval_on_selector_all(".ag-result td", "tds => tds.map(t => getComputedStyle(t).backgroundColor)")
    largest = float(np.abs(result).max())
    for got, v in zip(colours, result[0]):
        want = signed_color(float(v), largest)
        assert got == "rgb({}, {}, {})".format(*(int(want[i : i + 2], 16) for i in (1, 3, 5))), v
