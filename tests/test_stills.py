"""The still pictures the steppers carry beside their pages: their first step, as SVG computed in
Python, so a notebook shows it where HTML and iframes are not shown (GitHub, VS Code, nbconvert)."""

import xml.etree.ElementTree as ET

import numpy as np

import nn
from autograd_core import Stepper, Value
from autograd_core.dot import num_text

SVG = "{http://www.w3.org/2000/svg}"


def texts(element) -> list[str]:
    return ["".join(t.itertext()).strip() for t in element.iter(f"{SVG}text")]


def groups(picture, kind: str) -> dict:
    return {g.get("id"): g for g in picture.iter(f"{SVG}g") if g.get("class") == kind}


def test_the_stepper_still_is_its_graph_at_the_first_step(needs_dot):
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    c = a * b
    c.label = "c"
    out = c.tanh()
    out.label = "out"
    stepper = Stepper(out)
    bundle = stepper._repr_mimebundle_()
    assert set(bundle) == {"text/html", "image/svg+xml", "text/plain"} and "<iframe" in bundle["text/html"]
    assert bundle["text/plain"] == repr(stepper)
    picture = ET.fromstring(bundle["image/svg+xml"])
    assert (
        texts(picture)[0]
        == "Step 1 of 2: out passes its grad (1) to its parent (a still: the page steps through every step)"
    )
    nodes = {texts(g)[0].split()[0]: g for g in groups(picture, "node").values() if texts(g)}
    first = stepper.steps[0]
    assert texts(nodes["out"])[-1] == "grad 1"
    assert texts(nodes["c"])[-1] == f"grad {num_text(first.edges[0].grad_after)}"  # 1 - tanh(-6)²
    assert texts(nodes["a"])[-1] == "grad 0"  # not reached yet: grey
    grey = [t for t in nodes["a"].iter(f"{SVG}text") if "grad" in "".join(t.itertext())]
    assert grey[0].get("fill") == "#94a3b8"
    outlines = lambda g: {s.get("stroke") for s in g if s.tag in (f"{SVG}path", f"{SVG}polygon")}  # noqa: E731
    assert outlines(nodes["out"]) == {"#dc2626"} and outlines(nodes["c"]) == {"#f59e0b"}
    assert "#dc2626" not in outlines(nodes["a"]) | outlines(nodes["b"])
    red_edges = [g for g in groups(picture, "edge").values() if outlines(g) == {"#dc2626"}]
    assert len(red_edges) == 1  # out's edge to c


def test_the_layer_stepper_still_is_its_first_step():
    """Step 1 (BP1) as the page shows it: the heading, the equation, and the result δ^L as a heatmap
    with its numbers, coloured by the one rule for signed numbers; drawn in Python."""
    from nn.cells import signed_color

    X = np.array([[0.5, -1.0], [1.0, 2.0], [0.0, 0.3]])
    Y = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    model = nn.MLP(2, [3, 2], activation="tanh", seed=0)
    for view in ("neurons", "matrix"):
        stepper = nn.LayerStepper(model, X, Y, loss="mse", sample=1, view=view)
        bundle = stepper._repr_mimebundle_()
        assert set(bundle) == {"text/html", "image/svg+xml", "text/plain"}
        picture = ET.fromstring(bundle["image/svg+xml"])
        shown = texts(picture)
        bp1 = stepper.steps[0]
        assert shown[1].startswith("Step 1 of 6 · BP1 at the output layer 2: the output error δ²")
        assert shown[2] == bp1.formula and shown[3] == "δ² (2, 3)"
        assert shown[4:] == [num_text(float(v)) for v in bp1.result.ravel()]
        largest = float(np.abs(bp1.result).max())
        fills = [r.get("fill") for r in list(picture.iter(f"{SVG}rect"))[1:]]  # after the white background
        assert fills == [signed_color(float(v), largest) for v in bp1.result.ravel()]
