"""`backprop demo`: run it into a temporary folder and check every file it writes."""

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
SCRIPT = Path(sys.executable).with_name("backprop")


def svg_text(path: Path) -> str:
    root = ET.parse(path).getroot()  # parses as XML, or raises
    assert root.tag.endswith("svg")
    return " ".join(t.strip() for t in root.itertext() if t.strip())


def test_demo_writes_every_file(tmp_path, needs_dot):
    out = tmp_path / "demo"
    done = subprocess.run([str(SCRIPT), "demo", "-o", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "\r" not in done.stderr  # stderr is a pipe, not a terminal: no progress bar
    assert "result: PASS: the views agree" in done.stdout
    assert "graph.svg and steps.html show a single neuron" in done.stdout
    assert re.search(r"numeric: 60 entries sampled, \d+ kinks", done.stdout)
    accuracy = float(re.search(r"accuracy (\d+\.\d)%", done.stdout).group(1))
    assert accuracy >= 95.0
    assert sorted(p.name for p in out.iterdir()) == [
        "graph.svg", "matrix-view.svg", "neuron-view.svg", "steps.html", "training.png",
    ]  # fmt: skip
    for name in ("graph.svg", "neuron-view.svg", "matrix-view.svg", "steps.html", "training.png"):
        assert f"wrote {out / name}" in done.stdout

    graph = svg_text(out / "graph.svg")
    for label in ("x1", "w1", "x2", "w2", "b", "n", "o", "tanh", "data 0.7071", "grad 1"):
        assert label in graph
    neurons = svg_text(out / "neuron-view.svg")
    for label in ("x[0]", "z1[0]", "a1[15]", "z2[15]", "z3[0]", "loss", "δ", "binary cross-entropy of sample 0"):
        assert label in neurons
    matrix = svg_text(out / "matrix-view.svg")
    for label in ("layer 1", "layer 3", "W", "16×16", "backward", "δ"):
        assert label in matrix

    page = (out / "steps.html").read_text(encoding="utf-8")
    data = re.search(r'<script type="application/json" class="ag-data">(.*?)</script>', page, re.S)
    assert data, "the stepper's step data is embedded"
    steps = json.loads(data.group(1))
    assert "x1" in json.dumps(steps) and "<svg" in page and "http://" not in page.replace("http://www.w3.org", "")

    png = (out / "training.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000


def test_demo_without_dot_writes_dot_files_and_says_how_to_install(tmp_path):
    bin_dir = tmp_path / "bin"  # a PATH with python and backprop but no `dot`
    bin_dir.mkdir()
    for tool in (sys.executable, str(SCRIPT)):
        os.symlink(tool, bin_dir / Path(tool).name)
    env = {**os.environ, "PATH": str(bin_dir)}
    assert shutil.which("dot", path=env["PATH"]) is None
    out = tmp_path / "demo"
    done = subprocess.run(
        [str(SCRIPT), "demo", "-o", str(out), "--no-progress"], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["graph.dot", "matrix-view.dot", "neuron-view.dot", "training.png"]
    assert (out / "graph.dot").read_text().startswith("digraph")
    assert "sudo apt-get install graphviz" in done.stdout and "brew install graphviz" in done.stdout


def test_the_sample_views_say_which_sample_target_and_loss():
    import nn
    from nn.data import moons
    from nn.demo import sample_views

    X, y = moons(10, seed=0)
    views = sample_views(nn.MLP(2, [3, 1], seed=0), X, y, n=2)
    for drawing in views.values():
        assert (
            f"binary cross-entropy of sample 2 (x = [{X[2][0]:.3g}, {X[2][1]:.3g}], target y = {y[2]})"
            in drawing.source
        )


def test_the_matrix_views_headings_name_the_cost_c_and_its_sentence_is_a_caption():
    """The loss's label is a sentence: in ∂{label}/∂W¹ it garbled all nine headings of the demo."""
    import nn
    from nn.data import moons
    from nn.demo import sample_views

    X, y = moons(10, seed=0)
    source = sample_views(nn.MLP(2, [16, 16, 1], seed=0), X, y, n=0)["matrix-view"].source
    derivatives = re.findall(r"∂[^<>]{0,12}/∂[^<>\s=]+", source)
    assert set(derivatives) == {f"∂C/∂{q}{layer}" for q in "Wbz" for layer in "¹²³"}
    body = source.split("\n", 1)[1]  # after the first line, which names the drawing
    assert body.count("binary cross-entropy of sample 0") == 1  # the caption of the loss box
    assert re.search(r"<b>C</b> = [-\d.e]+<br/><font point-size=\"9\">C = binary cross-entropy of sample 0", source)
