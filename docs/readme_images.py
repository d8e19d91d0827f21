"""Draw the README's pictures again from the current code: docs/images/*.svg and the layer stepper's PNG.

    python docs/readme_images.py              the three drawings (needs Graphviz's dot)
    python docs/readme_images.py --stepper    also layer-stepper.png (needs Playwright's Chromium)

graph.svg is o = tanh(x1·w1 + x2·w2 + b) with the numbers of micrograd's lecture (o = 0.7071);
neuron-view.svg and matrix-view.svg are MLP(2, [3, 2], tanh, seed 0) on one sample x = [0.5, -1]
of class 1, softmax cross-entropy; neuron-view-784-30-10.png is Nielsen's network as initialised
(seed 0) over ten 8×8 digits upscaled to 28×28, ½-quadratic cost, sample 3 (PNG reduced to 128
colours with Pillow, to keep the repository small); layer-stepper.png is notebook 07's 784-30-10 over ten 8×8
digits upscaled to 28×28, at BP4 of layer 1 with hidden unit 5 picked, at 1366×768.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from autograd_core import Value, draw, save_drawing  # noqa: E402
from autograd_core.dot import run_dot  # noqa: E402
from nn import MLP, LayerStepper, cross_entropy, draw_mlp, mse  # noqa: E402
from nn.data import digits  # noqa: E402

IMAGES = ROOT / "docs" / "images"


def drawings() -> None:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    out = (x1 * w1 + x2 * w2 + b).tanh()
    out.label = "out"
    out.backward()
    save_drawing(draw(out), IMAGES / "graph.svg")

    model = MLP(2, [3, 2], activation="tanh", seed=0)
    loss = cross_entropy([model([0.5, -1.0])], [1])
    loss.label = "loss"
    loss.backward()
    save_drawing(draw_mlp(loss, view="neurons"), IMAGES / "neuron-view.svg")
    save_drawing(draw_mlp(loss, view="matrix"), IMAGES / "matrix-view.svg")

    import io

    from PIL import Image

    X, Y = nielsen_batch()
    nielsen = MLP(784, [30, 10], activation="sigmoid", output_activation="sigmoid", seed=0)
    batch_loss = mse([nielsen(x) for x in X.tolist()], Y, mse_half=True)
    batch_loss.backward()
    png = run_dot(draw_mlp(batch_loss, view="neurons", sample=3).source, "png", "neuron view")
    Image.open(io.BytesIO(png)).convert("RGB").quantize(128).save(IMAGES / "neuron-view-784-30-10.png", optimize=True)


def nielsen_batch() -> tuple[np.ndarray, np.ndarray]:
    """Ten of the 8×8 digits upscaled to 28×28 (each pixel 3×3, a border of 2), and one-hot targets."""
    X8, labels8 = digits()
    images = np.pad(np.kron(X8.reshape(-1, 8, 8) / 16.0, np.ones((3, 3))), ((0, 0), (2, 2), (2, 2)))
    return images.reshape(-1, 784)[:10], np.eye(10)[labels8[:10]]


def stepper() -> None:
    from playwright.sync_api import sync_playwright

    X, Y = nielsen_batch()
    model = MLP(784, [30, 10], activation="sigmoid", output_activation="sigmoid", seed=0)
    page_path = IMAGES / "layer-stepper.html"
    LayerStepper(model, X, Y, loss="mse", mse_half=True, lr=3.0).save(page_path)
    try:
        with sync_playwright() as p:
            # the system's Chromium, as the tests use it (make test installs it)
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.goto(page_path.resolve().as_uri())
            for _ in range(6):
                page.keyboard.press("ArrowRight")
            page.locator('.ag-unit[data-l="1"][data-j="5"]').click()
            page.screenshot(path=str(IMAGES / "layer-stepper.png"))
            browser.close()
    finally:
        page_path.unlink()


if __name__ == "__main__":
    drawings()
    if "--stepper" in sys.argv[1:]:
        stepper()
    print(f"drew the README's pictures into {IMAGES.relative_to(ROOT)}/")
