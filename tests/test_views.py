"""nn.draw_mlp (an MLP's graph in layers, the neuron view, the matrix view), draw_matrix, side_by_side."""

import html
import itertools
import json
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from autograd_core import Value
from nn import draw_matrix, draw_mlp, side_by_side

from .conftest import clusters, mlp, neuron


def test_mlp_graphs_are_grouped_into_neurons_inside_layers():
    loss = mlp(inputs_as_values=True)
    loss.backward()
    source = draw_mlp(loss).source
    blocks = clusters(source)
    assert {"W1[0,0]", "W1[0,1]", "b1[0]", "z1[0]", "a1[0]"} == set(blocks["layer 1/neuron 0"])
    assert {"W2[1,0]", "W2[1,1]", "W2[1,2]", "b2[1]", "z2[1]"} == set(blocks["layer 2/neuron 1"])
    assert set(blocks["inputs"]) == {"x[0]", "x[1]"}
    assert set(blocks["layer 1"]) >= set(blocks["layer 1/neuron 0"]) | set(blocks["layer 1/neuron 2"])
    assert "loss" not in {label for labels in blocks.values() for label in labels}
    titles = re.findall(r'subgraph cluster\w* \{ label="([^"]*)"', source)
    assert titles[0] == "inputs" and titles.index("layer 1") < titles.index("layer 2")


def test_neuron_view_has_one_box_per_neuron_with_z_a_and_delta():
    loss = mlp()
    loss.backward()
    source = draw_mlp(loss, view="neurons").source
    z = {(node.label): node for node in _nodes(loss) if node.label.startswith("z")}
    assert f'<b>z1[2]</b></td><td align="right">{_fmt(z["z1[2]"].data)}' in source
    assert "<b>a1[0]</b>" in source and "<b>a2[0]</b>" not in source  # layer 2 is linear
    assert source.count("<b>δ</b>") == 5
    assert _fmt(z["z2[1]"].grad) in source  # δ = z.grad
    assert "layer 1 · tanh · W1: 3×2" in source and "layer 2 · linear · W2: 2×3" in source
    assert source.count(" -> ") == 2 * 3 + 3 * 2 + 2  # inputs to layer 1, 1 to 2, outputs to the loss
    assert "<b>x[1]</b>" in source and "<b>loss</b>" in source


def _nodes(root):
    from autograd_core import topological_order

    return topological_order(root)


def _fmt(x):
    from autograd_core.dot import num_text

    return num_text(x)


def test_matrix_view_shows_the_layers_as_matrices_forward_and_backward():
    loss = mlp()
    loss.backward()
    source = draw_mlp(loss, view="matrix").source
    assert "z¹ = W¹ a⁰ + b¹" in source
    assert "W²  (2×3)" in source and "tanh(z¹)" in source
    nodes = {n.label: n for n in _nodes(loss)}
    assert f">{_fmt(nodes['W2[1,2]'].data)}<" in source
    assert f">{_fmt(nodes['W1[2,1]'].grad)}<" in source  # dW
    assert "δ¹ = (W²)ᵀ δ² ⊙ f′(z¹)" in source
    assert "<b>C</b> = " in source and "∂C/∂W¹" in source
    fresh = mlp()
    assert "backward" not in draw_mlp(fresh, view="matrix").source  # no grads yet: forward only


def test_neuron_and_matrix_views_match_the_real_nn_mlp():
    import nn

    model = nn.MLP(2, [3, 2], activation="tanh", seed=1)
    loss = nn.mse([model([0.5, -1.0])], [[1.0, 0.0]])
    loss.backward()
    for view in ("neurons", "matrix"):
        assert "layer 2" in draw_mlp(loss, view=view).source


@pytest.mark.parametrize("view", ["neurons", "matrix"])
def test_mlp_views_refuse_several_samples_and_non_mlp_graphs(view):
    with pytest.raises(ValueError, match=r"holds several: the label 'z1\[\d\]' is on 2 nodes"):
        draw_mlp(mlp(samples=2), view=view)
    with pytest.raises(ValueError, match="needs the graph of an MLP"):
        draw_mlp(neuron(), view=view)
    z = Value.dot([Value(1.0, "W1[1,0]")], [2.0], label="z1[1]")
    with pytest.raises(
        ValueError, match=r"numbered 0, 1, 2, ... without gaps \(z1\[0\], z1\[1\], ...\); this graph has z1\[1\]"
    ):
        draw_mlp(z, view=view)


def test_draw_matrix_takes_plain_lists_and_numpy_arrays():
    weights = [np.array([[0.5, -1.0], [2.0, 0.25]]), np.array([[1.0, -1.0]])]
    biases = [np.array([0.1, 0.2]), None]
    a = [np.array([1.0, 2.0]), [0.4, 0.8], [-0.4]]
    g = draw_matrix(
        weights,
        biases,
        a,
        activations=["relu", "linear"],
        deltas=[[0.3, -0.3], [-1.4]],
        weight_grads=[[[0.3, 0.6], [-0.3, -0.6]], [[-0.56, -1.12]]],
        loss=0.98,
    )
    source = g.source
    assert "W¹  (2×2)" in source and "relu(z¹)" in source and "<i>no bias</i>" in source
    assert ">-1.12<" in source and "<b>C</b> = 0.98" in source
    batch = draw_matrix(
        [[[1.0, 2.0]]], [[0.5]], [[[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]], [[3.5, 4.5, 5.5]]], activations=["linear"]
    )
    assert "a⁰ (2×3)" in batch.source


def test_draw_matrix_shows_matrices_as_heatmaps_with_numbers_while_readable():
    w = np.array([[1.0, -2.0], [0.0, 0.5]])
    source = draw_matrix([w], None, [np.zeros(2), np.zeros(2)], activations=["tanh"]).source
    cells = dict(re.findall(r'<td align="right" bgcolor="(#[0-9a-f]{6})">(?:<font color="white">)?([^<]+)<', source))
    by_number = {number: color for color, number in cells.items()}
    assert by_number["0"] == "#ffffff"  # zero is white
    red, blue = by_number["1"], by_number["-2"]  # sign: red > 0, blue < 0; size: -2 is the darkest
    assert int(blue[5:7], 16) > int(blue[1:3], 16) and int(red[1:3], 16) > int(red[5:7], 16)
    assert '<font color="white">-2<' in source and "red > 0, blue < 0" in source

    big = draw_matrix([np.ones((20, 30))], None, [np.zeros(30), np.zeros(20)], activations=["tanh"]).source
    assert '<td bgcolor="#d6604d" width="7" height="7"></td>' in big and ">1<" not in big  # cells, no numbers
    tall = draw_matrix([np.ones((100, 30))], None, [np.zeros(30), np.zeros(100)], activations=["tanh"]).source
    assert '<td bgcolor="#d6604d" width="4" height="4"></td>' in tall  # 100 rows: smaller cells
    huge = draw_matrix([np.ones((200, 90))], None, [np.zeros(90), np.zeros(200)], activations=["tanh"]).source
    assert "200×90,  ‖·‖ = 134.2" in huge  # over 16,384 entries: shape and norm


def test_a_matrix_view_wider_than_a_screen_is_laid_out_top_to_bottom():
    rng = np.random.default_rng(0)
    sizes = [12, 16, 16, 10]
    weights = [rng.normal(size=(n, m)) for m, n in itertools.pairwise(sizes)]
    a = [rng.normal(size=n) for n in sizes]
    wide = draw_matrix(weights, None, a, activations=["tanh", "tanh", "linear"])
    assert "rankdir=TB" in wide.source
    assert "rankdir=LR" in draw_matrix(weights, None, a, activations=["tanh"] * 3, rankdir="LR").source
    small = draw_matrix([[[0.5, -1.0]]], [[0.1]], [[1.0, 2.0], [-1.4]], activations=["linear"])
    assert "rankdir=LR" in small.source


@pytest.mark.parametrize(
    "args, message",
    [
        (([], None, [[1.0]]), "at least one weight matrix"),
        (([[[1.0, 2.0]]], None, [[1.0, 2.0]]), "expected 2 a "),
        (([[[1.0, 2.0]]], None, [[1.0], [1.0]]), r"a\[0\] \(a\^0\): expected shape 2×1, got 1×1"),
        (
            ([[[1.0, 2.0]], [[1.0, 2.0]]], None, [[1.0, 1.0], [1.0], [1.0]]),
            r"weights\[1\] \(W\^2\): expected shape 1×1",
        ),
        (([[[1.0, 2.0]]], [[1.0, 2.0]], [[1.0, 1.0], [1.0]]), r"biases\[0\]: expected shape 1×1, got 2×1"),
        (([[1.0, 2.0]], None, [[1.0, 1.0], [1.0]]), r"weights\[0\]: expected a matrix"),
        (([[[1.0, "a"]]], None, [[1.0, 1.0], [1.0]]), "expected finite real numbers"),
        (([[[1.0, float("nan")]]], None, [[1.0, 1.0], [1.0]]), "expected finite real numbers"),
    ],
)
def test_draw_matrix_names_the_expected_and_given_shapes(args, message):
    with pytest.raises(ValueError, match=message):
        draw_matrix(*args, activations=["linear"] * len(args[0]))


def test_neuron_view_top_to_bottom_lays_layers_out_as_rows():
    source = draw_mlp(mlp(inputs_as_values=True), view="neurons", rankdir="TB").source
    assert "rankdir=TB" in source
    assert re.search(r"L0:\d+:s -> L1:\d+:n", source) and ":e ->" not in source
    assert "colspan=" in source


def test_side_by_side_shows_drawings_in_one_row(needs_dot):
    loss = mlp(inputs_as_values=True)
    loss.backward()
    both = side_by_side(draw_mlp(loss, view="neurons"), draw_mlp(loss, view="matrix"))
    bundle = both._repr_mimebundle_()
    page = bundle["text/html"]
    assert page.startswith('<div style="display:flex') and page.count("<svg") == 2
    assert page.count('style="max-width:100%;height:auto"') == 2
    picture = ET.fromstring(bundle["image/svg+xml"])  # one SVG of the row, for viewers without HTML
    placed = [child for child in picture if child.tag.endswith("svg")]
    assert [child.get("x") for child in placed] == ["0", str(float(placed[0].get("width")) + 12).removesuffix(".0")]
    assert bundle["text/plain"] == repr(both) == "<2 drawings side by side: neuron view of loss, matrix view of loss>"


def test_the_graph_view_refuses_too_many_nodes_with_advice_that_works():
    loss = mlp()
    loss.backward()
    advice = r"would have 30 nodes.*view='neurons' draws .*; view='matrix' draws"
    with pytest.raises(ValueError, match=advice) as refused:
        draw_mlp(loss, max_nodes=20)
    for view in re.findall(r"view='(\w+)'", str(refused.value)):
        assert "layer 2" in draw_mlp(loss, view=view, max_nodes=20).source
    several = mlp(samples=3)  # three samples' graphs summed, but not one cost per sample: no view draws one
    with pytest.raises(ValueError, match=r"keep=\.\.\.\) draws a part of it") as refused:
        draw_mlp(several, max_nodes=20)
    assert "view=" not in str(refused.value)


def test_an_mlp_graph_drawn_plainly_has_no_clusters_and_no_parameter_colour():
    from autograd_core import draw
    from autograd_core.dot import COLORS

    loss = mlp()
    assert "subgraph" not in draw(loss).source and COLORS["parameter"] not in draw(loss).source
    assert COLORS["parameter"] in draw_mlp(loss).source


def test_signed_numbers_have_one_colour_rule_in_every_picture():
    from nn import MLP, LayerStepper
    from nn.cells import NEGATIVE, POSITIVE, SIGN_LEGEND, signed_color

    hexed = ["#{:02x}{:02x}{:02x}".format(*rgb) for rgb in (POSITIVE, NEGATIVE)]
    assert [signed_color(v, 1.0) for v in (1.0, -1.0)] == hexed and signed_color(0.0, 1.0) == "#ffffff"
    assert POSITIVE[0] > POSITIVE[2] and NEGATIVE[2] > NEGATIVE[0]  # red > 0, blue < 0
    drawing = draw_matrix([np.array([[1.0, -1.0]])], None, [np.zeros(2), np.zeros(1)], activations=["tanh"]).source
    assert SIGN_LEGEND in drawing and all(color in drawing for color in hexed)  # stated, and drawn with them
    model = MLP(2, [2, 1], seed=0)
    page = LayerStepper(model, np.array([[1.0, -1.0]]), np.array([[0.5]]), loss="mse").html
    assert html.escape(SIGN_LEGEND) in page  # the page draws in the browser, from the same two colours:
    data = json.loads(re.search(r'<script type="application/json" class="ag-data">(.*?)</script>', page, re.S)[1])
    assert (data["pos"], data["neg"], data["legend"]) == (list(POSITIVE), list(NEGATIVE), SIGN_LEGEND)
