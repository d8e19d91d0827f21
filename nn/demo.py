"""`backprop demo`: the library's main job in a few seconds, with every picture written out.

1. Train an MLP(2, [16, 16, 1]) on moons with the scalar engine (a progress bar).
2. Compare its scalar graph with its matrix view on a batch, with finite differences.
3. Write into the output folder: graph.svg (a single neuron's graph, local derivatives on the
   edges), neuron-view.svg and matrix-view.svg (the trained MLP on sample 0, its loss box naming
   the sample, its target and the loss), steps.html (the step-through page of the neuron),
   training.png (loss curve and decision boundary).

Without Graphviz's ``dot`` it still finishes: the drawings are written as .dot text, the step
page is skipped, and it says how to install Graphviz. Without matplotlib, training.png is skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import nn
from autograd_core import GraphvizNotFoundError, Stepper, Value, draw, save_drawing
from nn import labels
from nn.compare import compare_gradients
from nn.data import moons
from nn.views import draw_mlp

SEED = 0


def neuron() -> Value:
    """o = tanh(x1*w1 + x2*w2 + b), after backward: the graph every backprop lesson starts from."""
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2 = Value(-3.0, "w1"), Value(1.0, "w2")
    b = Value(6.881373587019543, "b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o


def sample_views(model: nn.MLP, X: Any, y: Any, n: int = 0) -> dict[str, Any]:
    """The neuron and matrix views of ``model`` on sample n, after backward() on its loss, whose box
    says what it is: "C = binary cross-entropy of sample 0 (x = [0.82, -0.37], target y = 1)"."""
    xs = [Value(float(v), labels.input_(k)) for k, v in enumerate(X[n])]
    sample_loss = nn.binary_cross_entropy([model(xs)], [y[n]])
    shown = ", ".join(f"{float(v):.3g}" for v in X[n])
    sample_loss.label = f"C = binary cross-entropy of sample {n} (x = [{shown}], target y = {int(y[n])})"
    sample_loss.backward()
    return {
        "neuron-view": draw_mlp(sample_loss, view="neurons"),
        "matrix-view": draw_mlp(sample_loss, view="matrix"),
    }


def run_demo(out: Path, progress: bool = True, say: Callable[[str], None] = print) -> tuple[list[Path], bool]:
    """Do the demo, writing into ``out``; returns the files written and whether the views agreed."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    X, y = moons(200, noise=0.1, seed=SEED)

    say("1. Training MLP(2 → 16 relu → 16 relu → 1) on 200 moons points with the scalar engine")
    model = nn.MLP(2, [16, 16, 1], activation="relu", seed=SEED)
    history = nn.fit(model, X, y, optimizer="adam", lr=0.02, epochs=100, seed=SEED, progress=progress)
    say(f"   final training loss {history.loss[-1]:.4f}, accuracy {100 * (history.accuracy[-1] or 0):.1f}%\n")

    say("2. The same MLP as a scalar graph and as matrices: gradients compared entry by entry")
    report = compare_gradients(model, X[:8], y[:8].reshape(-1, 1), loss="binary_cross_entropy", numeric=60)
    say(str(report) + "\n")

    say(f"3. Pictures, in {out}/")
    drawings = {"graph": draw(neuron()), **sample_views(model, X, y)}
    has_dot = True
    for name, drawing in drawings.items():
        try:
            written.append(save_drawing(drawing, out / f"{name}.svg"))
        except GraphvizNotFoundError:
            has_dot = False
            written.append(save_drawing(drawing, out / f"{name}.dot"))
    if has_dot:
        written.append(Stepper(neuron(), title="backprop through o = tanh(x1*w1 + x2*w2 + b)").save(out / "steps.html"))
    try:
        from nn.plot import save_figure, training_figure

        written.append(save_figure(training_figure(history, model, X, y), out / "training.png"))
    except ImportError as e:
        say(f"   (training.png skipped: {e})")

    for path in written:
        say(f"   wrote {path}")
    say("")
    say("graph.svg and steps.html show a single neuron, o = tanh(x1*w1 + x2*w2 + b), the example every backprop")
    say("lesson starts from; neuron-view.svg and matrix-view.svg show the trained MLP on sample 0 of moons, with")
    say("its binary cross-entropy; training.png shows the whole training run.")
    say("Open the .svg files and steps.html in a web browser (steps.html: ← → or the buttons step through")
    say("backward() one node at a time), training.png in any image viewer.")
    if not has_dot:
        say("Graphviz's `dot` is not installed, so the drawings were written as .dot text and steps.html was")
        say("skipped. Install it (Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install graphviz;")
        say("conda: conda install -c conda-forge graphviz) and run `backprop demo` again.")
    if not report.ok:
        say("WARNING: the scalar graph and the matrix view disagreed; see the report above.")
    return written, report.ok
