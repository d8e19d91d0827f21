"""What Jupyter shows for what the library returns: figures, reports, steppers and drawings."""

import importlib.util
import shutil

import pytest

from autograd_core import Stepper, Value, draw, gradcheck
from notebooks.store import write_kernel_spec

from .conftest import require


def small():
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    out = (a * b + 1).tanh()
    out.label = "out"
    return out


def test_gradcheck_report_repr_is_short_and_html_is_a_table():
    report = gradcheck(lambda a, b: (a * b).tanh(), [Value(0.5, "a"), Value(-1.2, "b")])
    text = repr(report)
    assert text.startswith("<GradcheckReport: PASS, 2 input(s), norm-relative error ") and len(text) < 120
    page = report._repr_html_()
    assert page.startswith("<table>") and page.count("<tr>") == 3 and "<code>a</code>" in page
    assert ">PASS</b>" in page and ">ok</td>" in page


def test_gradcheck_report_html_escapes_labels():
    report = gradcheck(lambda x: x * 2, [Value(1.0, "<b>x</b>")])
    assert "&lt;b&gt;x&lt;/b&gt;" in report._repr_html_()


def test_stepper_repr(needs_dot):
    text = repr(Stepper(small()))
    assert text == "<Stepper: 3 steps of the backward pass of 'out'; .save('steps.html') writes the page>"


def test_drawings_follow_set_jupyter_format(needs_dot):
    import graphviz

    drawing = draw(small())
    assert set(drawing._repr_mimebundle_()) == {"text/html", "image/svg+xml", "text/plain"}  # SVG, by default
    graphviz.set_jupyter_format("png")
    try:
        bundle = drawing._repr_mimebundle_()
    finally:
        graphviz.set_jupyter_format("svg")
    assert bundle["image/png"].startswith(b"\x89PNG") and "text/html" not in bundle


def test_a_drawing_without_dot_shows_its_dot_text_and_the_install_hint(monkeypatch, tmp_path):
    drawing = draw(small())
    monkeypatch.setenv("PATH", str(tmp_path))
    bundle = drawing._repr_mimebundle_()
    assert "sudo apt-get install graphviz" in bundle["text/plain"] and drawing.source in bundle["text/plain"]
    assert bundle["text/html"].startswith("<pre") and "digraph" in bundle["text/html"]


def test_training_figure_has_a_png_repr():
    pytest.importorskip("matplotlib", reason="matplotlib is not installed (the plot extra)")
    import nn
    from nn.plot import training_figure

    history = nn.fit(nn.MLP(2, [3, 1], seed=0), [[0.0, 1.0], [1.0, 0.0]], [0, 1], epochs=2, progress=False)
    assert training_figure(history)._repr_png_().startswith(b"\x89PNG")


CELLS = [
    "import nn\nfrom nn.plot import training_figure\n"
    "history = nn.fit(nn.MLP(2, [3, 1], seed=0), [[0.0, 1.0], [1.0, 0.0]], [0, 1], epochs=2, progress=False)",
    "training_figure(history)",
    "from autograd_core import Value, gradcheck, draw, Stepper\ngradcheck(lambda a, b: (a * b).tanh(), [0.5, -1.2])",
    "a = Value(2.0, 'a'); out = (a * a).tanh(); out.label = 'out'\nStepper(out)",
    "import graphviz\ngraphviz.set_jupyter_format('png')\ndraw(out)",
]


def test_in_a_fresh_kernel_everything_displays(tmp_path, monkeypatch):
    """A real kernel, started as a user starts one (no MPLBACKEND, pyplot never imported)."""
    for module in ("nbclient", "nbformat", "ipykernel", "matplotlib"):
        require(importlib.util.find_spec(module) is not None, f"{module} (pip install -e '.[notebooks]')")
    require(shutil.which("dot") is not None, "Graphviz's dot")
    import nbformat
    from nbclient import NotebookClient

    write_kernel_spec(tmp_path)
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    shown = [
        next((o["data"] for o in cell.outputs if o.get("output_type") == "execute_result"), {}) for cell in nb.cells
    ]
    assert "image/png" in shown[1], shown[1].get("text/plain")
    assert shown[2]["text/html"].startswith("<table>") and shown[2]["text/plain"].startswith("<GradcheckReport: PASS")
    assert "<iframe" in shown[3]["text/html"] and shown[3]["text/plain"].startswith("<Stepper: 2 steps")
    assert (
        shown[3]["image/svg+xml"].startswith("<svg") and "Step 1 of 2: out passes its grad" in shown[3]["image/svg+xml"]
    )
    assert "image/png" in shown[4] and shown[4]["text/plain"].startswith("<drawing:")


def test_gradient_comparison_repr_is_one_line():
    import numpy as np

    from nn import MLP, GradientComparison, compare_gradients

    model = MLP(2, [3, 1], seed=0)
    X = np.random.default_rng(0).normal(size=(4, 2))
    report = compare_gradients(model, X, np.zeros((4, 1)), loss="mse", numeric=5, torch=False)
    assert isinstance(report, GradientComparison)
    assert repr(report) == (
        "<GradientComparison: PASS, scalar graph vs matrix view, 11 rows; print(report) for the table>"
    )
