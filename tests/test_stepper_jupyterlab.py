"""The steppers inline in a real JupyterLab: the node stepper of notebook 01 (Run All, then step
the stepper's frame), and the same notebook exported to HTML by nbconvert; the node stepper of a
292-node graph and the layer stepper at Nielsen's size on a laptop's screen (1366×768, the file
browser open).

Starts `jupyter lab` on a free loopback port with a random token, in a temporary root holding a
copy of notebook 01, opens it in headless Chromium, runs every cell from the Run menu, finds the
stepper's iframe and steps it: every text inside its box, the current node and Next in view of
the page. Needs what the browser test needs, plus JupyterLab and ipykernel (`pip install -e
'.[notebooks]'`); skipped with a reason when missing, failing instead when CI=true.
"""

import importlib.util
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from notebooks.store import write_kernel_spec

from .conftest import (
    ARGS,
    CHROMIUM,
    CURRENT_IN_MINIMAP,
    IN_VIEW,
    TEXTS_OUTSIDE_THEIR_BOX,
    apart,
    inside,
    rect,
    require,
)

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "01_chain_rule_on_scalars.ipynb"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path, request):
    """A JupyterLab server on a temporary root with a copy of notebook 01 (or the notebook that the
    function a test passes as its indirect parameter writes); (url, root). Stopped after."""
    write = getattr(request, "param", None)
    require(shutil.which("dot") is not None, "Graphviz's dot")
    for module in ("playwright", "jupyterlab", "ipykernel"):
        require(importlib.util.find_spec(module) is not None, f"{module} (pip install -e '.[test,notebooks]')")
    require(os.access(CHROMIUM, os.X_OK), f"Chromium at {CHROMIUM}")
    root = tmp_path / "root"
    root.mkdir()
    notebook = write(root) if write is not None else Path(shutil.copy(NOTEBOOK, root / NOTEBOOK.name))
    jupyter = tmp_path / "jupyter"  # settings, runtime files and the kernelspec: nothing of the user's
    write_kernel_spec(jupyter / "data")
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(jupyter / "config"),
        JUPYTER_DATA_DIR=str(jupyter / "data"),
        JUPYTER_RUNTIME_DIR=str(jupyter / "runtime"),
        JUPYTER_PATH=str(jupyter / "data"),
        JUPYTERLAB_SETTINGS_DIR=str(jupyter / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(jupyter / "workspaces"),
        PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        MPLBACKEND="Agg",
    )
    port, token = free_port(), secrets.token_hex(16)
    command = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
        f"--ServerApp.token={token}", "--allow-root", f"--ServerApp.root_dir={root}",
        "--ServerApp.port_retries=0", "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]  # fmt: skip
    log = (tmp_path / "lab.log").open("w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"jupyter lab did not start:\n{(tmp_path / 'lab.log').read_text()[-3000:]}")
            time.sleep(0.5)
        yield f"{base}/lab/tree/{notebook.name}?token={token}", root
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)  # the server and the kernels it started
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        log.close()


def run_all(page, url, height):
    """Open the notebook at ``url``, run every cell from the Run menu, and scroll the stepper's frame
    into the ``height`` px tall view: (the iframe element, its frame), laid out."""
    page.goto(url)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    page.get_by_text("Python 3 | Idle").wait_for(timeout=60_000)  # the kernel is up
    page.click(".lm-MenuBar-itemLabel:text-is('Run')")
    page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
    frame_element = page.wait_for_selector(".jp-OutputArea-output iframe[srcdoc]", state="attached", timeout=120_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)
    no_news = page.get_by_role("button", name="No", exact=True)  # "notified about Jupyter news?"
    if no_news.count():
        no_news.first.click()
    for _ in range(20):  # the notebook may scroll on its own once the run ends: until it settles
        frame_element.evaluate("frame => frame.scrollIntoView({block: 'center'})")
        page.wait_for_timeout(250)
        box = frame_element.bounding_box()
        if box and box["y"] >= 0 and box["y"] + box["height"] <= height:
            break
    frame = frame_element.content_frame()
    frame.wait_for_selector(".ag-stepper")
    frame.wait_for_function("document.querySelector('.ag-graph').clientWidth > 0")
    page.wait_for_timeout(200)
    return frame_element, frame


def test_notebook_01_steps_inline_in_jupyterlab(lab):
    from playwright.sync_api import sync_playwright

    url, root = lab
    shots = root.parent
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            frame_element, frame = run_all(page, url, 800)
            assert frame.evaluate(TEXTS_OUTSIDE_THEIR_BOX) == []
            frame_box = frame_element.bounding_box()
            assert frame_box["y"] >= 0 and frame_box["y"] + frame_box["height"] <= 800, frame_box
            steps = int(frame.get_attribute(".ag-slider", "max"))
            assert steps == 8  # one per node with parents, as the notebook says
            for k in range(1, steps + 1):
                frame.click(".ag-next")
                assert frame.get_attribute(".ag-stepper", "data-step") == str(k)
                for selector in (".ag-current", ".ag-next"):
                    assert frame.evaluate(IN_VIEW, selector), f"step {k}: {selector} out of view in the frame"
                    box = frame.locator(selector).bounding_box()  # in the page's coordinates
                    assert box and 0 <= box["y"] and box["y"] + box["height"] <= 800, f"step {k}: {selector} {box}"
                assert frame.evaluate(TEXTS_OUTSIDE_THEIR_BOX) == [], f"step {k}"
            assert "∂" in frame.inner_text(".ag-lines")
        except Exception:
            page.screenshot(path=str(shots / "failure.png"))  # what the page showed, for the report
            raise
        finally:
            browser.close()
    assert problems == []


WIDE_CELL = """import nn
model = nn.MLP(2, [13, 13, 1], seed=0)
loss = nn.mse([model([0.5, -1.0])], [[1.0]])
nn.MLPStepper(loss)"""


def wide_notebook(folder: Path) -> Path:
    """A notebook of one cell: the node stepper of a 292-node MLP graph whose z2 nodes have 27 parents."""
    import nbformat

    kernel = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    path = folder / "wide.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(WIDE_CELL)], metadata=kernel), path)
    return path


@pytest.mark.parametrize("lab", [wide_notebook], indirect=True)
def test_a_292_node_graph_inline_on_a_laptop_with_the_file_browser_open(lab):
    """1366x768, the file browser open: the frame on the screen, the graph, its minimap and the panel
    side by side in it, the current node in view at every step, all 27 edges of a z node in the panel."""
    from playwright.sync_api import sync_playwright

    url, root = lab
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            frame_element, frame = run_all(page, url, 768)
            assert page.locator(".jp-FileBrowser").is_visible()  # the file browser is open
            box = frame_element.bounding_box()
            assert box["x"] > 250 and box["y"] >= 0 and box["y"] + box["height"] <= 768, box  # beside the browser
            window = [0, 0, *frame.evaluate("[innerWidth, innerHeight]")]
            graph, mini, panel = rect(frame, ".ag-graph"), rect(frame, ".ag-minimap"), rect(frame, ".ag-detail")
            assert frame.is_visible(".ag-minimap") and all(inside(r, window) for r in (graph, mini, panel))
            assert apart(graph, mini) and apart(graph, panel) and apart(mini, panel)
            for k in range(1, 9):
                frame.click(".ag-next")
                assert frame.evaluate(IN_VIEW, ".ag-current"), f"step {k}: the current node is out of view"
                node = frame.locator(".ag-current").bounding_box()  # in the page's coordinates
                assert 0 <= node["y"] and node["y"] + node["height"] <= 768, f"step {k}: {node}"
                frame.wait_for_function(CURRENT_IN_MINIMAP, timeout=2000)  # the frame follows the scroll event
            frame.locator(".ag-slider").fill("31")  # z2[12], whose grad goes to its 27 parents
            assert "27 parents" in frame.inner_text(".ag-heading")
            groups = frame.locator(".ag-lines .ag-edge-text")
            assert groups.count() == 27 and len(frame.inner_text(".ag-lines").splitlines()) == 54
            lines = rect(frame, ".ag-lines")
            for i in range(27):  # each one, scrolled into the panel, is there to read
                groups.nth(i).evaluate("g => { g.parentNode.scrollTop = g.offsetTop; }")
                top = groups.nth(i).evaluate("g => g.getBoundingClientRect().top")
                assert lines[1] - 1 <= top <= lines[3] - 20, i
            assert frame.evaluate(IN_VIEW, ".ag-current")
        except Exception:
            page.screenshot(path=str(root.parent / "failure-wide.png"))  # what the page showed, for the report
            raise
        finally:
            browser.close()
    assert problems == []


def test_notebook_01_exported_by_nbconvert_steps_in_a_browser(tmp_path, monkeypatch):
    """The same stepper in notebook 01 executed (nbclient) and exported to HTML (nbconvert): the page
    a reader gets from a notebook rendered on the web."""
    require(shutil.which("dot") is not None, "Graphviz's dot")
    for module in ("playwright", "nbclient", "nbconvert", "ipykernel"):
        require(importlib.util.find_spec(module) is not None, f"{module} (pip install -e '.[test,notebooks]')")
    require(os.access(CHROMIUM, os.X_OK), f"Chromium at {CHROMIUM}")
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter
    from playwright.sync_api import sync_playwright

    write_kernel_spec(tmp_path)
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    ).execute()
    body, _ = HTMLExporter().from_notebook_node(nb)
    page_path = tmp_path / "01.html"
    page_path.write_text(body, encoding="utf-8")
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.goto(page_path.resolve().as_uri())
            frame_element = page.wait_for_selector("iframe[srcdoc]", state="attached")
            frame_element.evaluate("frame => frame.scrollIntoView({block: 'center'})")
            frame = frame_element.content_frame()
            frame.wait_for_function("document.querySelector('.ag-graph').clientWidth > 0")
            page.wait_for_timeout(200)
            assert frame.evaluate(TEXTS_OUTSIDE_THEIR_BOX) == []
            for k in range(1, 9):
                frame.click(".ag-next")
                assert frame.evaluate(IN_VIEW, ".ag-current"), f"step {k}"
                assert frame.evaluate(TEXTS_OUTSIDE_THEIR_BOX) == [], f"step {k}"
        finally:
            browser.close()
    assert problems == []


LAPTOP = {"width": 1366, "height": 768}

NIELSEN_CELL = """import numpy as np
from nn import MLP, LayerStepper
rng = np.random.default_rng(0)
model = MLP(784, [30, 10], activation="sigmoid", output_activation="sigmoid", seed=0)
X = rng.uniform(size=(10, 784)) * (rng.uniform(size=(10, 784)) < 0.2)
Y = np.eye(10)[rng.integers(0, 10, 10)]
LayerStepper(model, X, Y, loss="mse", mse_half=True, lr=3.0)"""


def nielsen_notebook(folder: Path) -> Path:
    """A notebook of two cells around a LayerStepper of 784-30-10 over 10 samples."""
    import nbformat

    cells = [
        nbformat.v4.new_markdown_cell("# Nielsen's network over a mini-batch of 10"),
        nbformat.v4.new_code_cell(NIELSEN_CELL),
        nbformat.v4.new_markdown_cell("What follows the stepper."),
    ]
    kernel = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    path = folder / "nielsen.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata=kernel), path)
    return path


NESTED_SCROLL = """() => [...document.querySelectorAll(".ag-stepper, .ag-stepper *")].filter(e => {
  const s = getComputedStyle(e), scrolls = v => v === "auto" || v === "scroll";
  return (scrolls(s.overflowY) && e.scrollHeight > e.clientHeight + 1)
      || (scrolls(s.overflowX) && e.scrollWidth > e.clientWidth + 1);
}).map(e => e.className)"""


@pytest.mark.parametrize("lab", [nielsen_notebook], indirect=True)
def test_the_layer_stepper_at_nielsens_size_inline_on_a_laptop(lab):
    """784-30-10 over 10 samples, inline (no frame) at 1366×768 with the file browser open: after every
    Next, → and ←, the step's equation and its result are on the screen, nothing scrolls inside the
    stepper, and collapsing and expanding the output keeps the step."""
    from playwright.sync_api import sync_playwright

    url, root = lab
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport=LAPTOP)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        try:
            page.goto(url)
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
            page.get_by_text("Python 3 | Idle").wait_for(timeout=60_000)
            assert page.locator(".jp-FileBrowser").is_visible()  # the file browser is open
            page.click(".lm-MenuBar-itemLabel:text-is('Run')")
            page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
            page.wait_for_selector(".ag-stepper .ag-result", timeout=120_000)
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)
            no_news = page.get_by_role("button", name="No", exact=True)
            if no_news.count():
                no_news.first.click()
            stepper = page.locator(".ag-stepper")
            assert stepper.count() == 1 and page.locator(".jp-OutputArea-output iframe").count() == 0
            width = page.evaluate("document.querySelector('.jp-OutputArea-output').clientWidth")
            assert 850 <= width <= 1000, width  # the output area of a laptop's notebook with the file browser
            panel = page.evaluate(
                "(() => { const r = document.querySelector('.jp-WindowedPanel-outer').getBoundingClientRect();"
                " return [r.top, r.bottom]; })()"
            )
            n = int(page.get_attribute(".ag-slider", "max"))
            assert n == 10

            def check(k, how):
                assert stepper.get_attribute("data-step") == str(k), how
                for selector in (".ag-formula", ".ag-result"):
                    box = page.locator(selector).bounding_box()
                    visible = (
                        box and box["height"] > 0 and panel[0] <= box["y"] and box["y"] + box["height"] <= panel[1]
                    )
                    assert visible, f"step {k} ({how}): {selector} at {box} is not on the screen {panel}"
                assert page.evaluate(NESTED_SCROLL) == [], f"step {k} ({how}): a scroll inside the stepper"

            for k in range(1, n + 1):
                page.locator(".ag-next").click()
                check(k, "Next")
            page.locator(".ag-stepper h1").click()  # the stepper takes the keys once it has the focus
            for k in range(n - 1, 0, -1):
                page.keyboard.press("ArrowLeft")
                check(k, "←")
            for k in range(2, 5):
                page.keyboard.press("ArrowRight")
                check(k, "→")
            collapser = page.locator(".jp-CodeCell .jp-Cell-outputCollapser").first
            collapser.click(force=True)  # collapse the stepper's output (the bar left of it)
            page.wait_for_timeout(300)
            assert not stepper.is_visible()
            page.locator(".jp-CodeCell .jp-Cell-outputCollapser, .jp-CodeCell .jp-OutputPlaceholder").first.click(
                force=True
            )  # and expand it
            page.wait_for_timeout(300)
            assert stepper.is_visible() and stepper.get_attribute("data-step") == "4"
        except Exception:
            page.screenshot(path=str(root.parent / "failure.png"))
            raise
        finally:
            browser.close()
    assert problems == []
