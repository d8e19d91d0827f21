"""The drawings at the seeds' sizes: Nielsen's 784-30-10 sigmoid network over a mini-batch of 10,
and 784-100-10, with the ½-quadratic cost and softmax cross-entropy (issue 19, item 1); and the
advice of every refusal, followed (issue 21)."""

import re

import numpy as np
import pytest

from autograd_core.dot import num_text, run_dot
from nn import MLP, LayerStepper, MatrixMLP, MLPStepper, cross_entropy, draw_matrix, draw_mlp, layer_stepper, mse
from nn.cells import INPUT_WIDTH, ROW_IMAGE_WIDTH, cell_size, gray_color, image, signed_color

SAMPLE = 3
NETS = [(30, "mse"), (30, "cross_entropy"), (100, "mse"), (100, "cross_entropy")]


class Seeds:
    """One network over a mini-batch of 10, after backward, and the same numbers from the matrix view."""

    def __init__(self, hidden, cost):
        output = "sigmoid" if cost == "mse" else "linear"
        self.model = MLP(784, [hidden, 10], activation="sigmoid", output_activation=output, seed=hidden)
        rng = np.random.default_rng(hidden)
        self.X = rng.random((10, 784)) * (rng.random((10, 784)) < 0.3)  # pixels in [0, 1], mostly 0, as MNIST's
        self.classes = classes = rng.integers(0, 10, 10)
        Y = np.eye(10)[classes] if cost == "mse" else classes
        outputs = [self.model(list(x)) for x in self.X]
        self.loss = mse(outputs, Y, mse_half=True) if cost == "mse" else cross_entropy(outputs, classes)
        self.loss.backward()
        matrix = MatrixMLP.from_mlp(self.model, loss=cost, mse_half=True)
        matrix.forward(self.X.T)
        self.grads = matrix.backward(Y.T if cost == "mse" else classes)
        self.z = [z[:, SAMPLE] for z in matrix.z]
        self.a = [a[:, SAMPLE] for a in matrix.a]
        self.delta = [d[:, SAMPLE] for d in self.grads.delta]
        self.W, self.b = self.model.matrices()
        self.dW, self.db = self.model.matrices(grad=True)


@pytest.fixture(scope="module")
def seeds():
    """The four networks, built once for the module (784-100-10 over 10 samples is ~80,000 weight nodes)."""
    return {(hidden, cost): Seeds(hidden, cost) for hidden, cost in NETS}


@pytest.fixture(scope="module")
def drawn(seeds):
    """``drawn(hidden, cost, view)``: the DOT source of sample 3's drawing, made once for the module."""
    sources = {}

    def source(hidden, cost, view):
        if (hidden, cost, view) not in sources:
            sources[hidden, cost, view] = draw_mlp(seeds[hidden, cost].loss, view=view, sample=SAMPLE).source
        return sources[hidden, cost, view]

    return source


def extremes(values, k=5, first=3, last=2):
    """The units a folded layer shows: its first and last few and the k of largest |value| among the rest."""
    n = len(values)
    ends = set(range(first)) | set(range(n - last, n))
    rest = sorted((j for j in range(n) if j not in ends), key=lambda j: (-abs(values[j]), j))
    return sorted(ends | set(rest[:k]))


@pytest.mark.parametrize("hidden, cost", NETS)
def test_the_neuron_view_shows_the_image_the_folded_layer_and_the_models_numbers(seeds, drawn, hidden, cost):
    net = seeds[hidden, cost]
    source = drawn(hidden, cost, "neurons")
    assert "inputs x[0] … x[783]: a 28×28 image" in source
    lo, hi = net.X[SAMPLE].min(), net.X[SAMPLE].max()
    assert image([gray_color(v, lo, hi) for v in net.X[SAMPLE]], 28, cell_size(28, INPUT_WIDTH)) in source
    assert f"layer 1 · sigmoid · W1: {hidden}×784" in source and "layer 2 · " in source and "<b>loss</b>" in source
    assert f"10 of {hidden} units shown: the first 3, the last 2 and the 5 of largest |δ|" in source
    assert f"a1, all {hidden} units" in source  # the band
    assert "δ = ∂C/∂z = z.grad of this sample, ∂C/∂W of the batch of 10" in source
    assert np.allclose(net.dW[0], net.grads.dW[0], rtol=1e-12, atol=1e-15)  # the graph's grads are the model's
    shown = extremes(net.delta[0])
    assert len(re.findall(r"<b>z1\[\d+\]</b>", source)) == 10
    largest_w, largest_dw = np.abs(net.W[0]).max(), np.abs(net.dW[0]).max()
    for j in shown:
        assert f'<b>z1[{j}]</b></td><td align="right">{num_text(net.z[0][j])}<' in source
        assert f'<b>a1[{j}]</b></td><td align="right">{num_text(net.a[1][j])}<' in source
        assert f'<td align="right">{num_text(net.delta[0][j])}</td>' in source
        size = cell_size(28, ROW_IMAGE_WIDTH)
        assert image([signed_color(v, largest_w) for v in net.W[0][j]], 28, size) in source  # W1[j,:]
        assert image([signed_color(v, largest_dw) for v in net.dW[0][j]], 28, size) in source  # ∂C/∂W1[j,:]
    for j in range(10):  # the output layer is narrow: every unit, with its numbers
        assert f'<b>z2[{j}]</b></td><td align="right">{num_text(net.z[1][j])}<' in source


@pytest.mark.parametrize("hidden, cost", NETS)
def test_the_matrix_view_shows_the_image_the_rows_as_images_and_the_models_numbers(seeds, drawn, hidden, cost):
    net = seeds[hidden, cost]
    source = drawn(hidden, cost, "matrix")
    assert "a⁰ = x  (784 inputs, a 28×28 image)" in source and "rankdir=TB" in source
    lo, hi = net.X[SAMPLE].min(), net.X[SAMPLE].max()
    assert image([gray_color(v, lo, hi) for v in net.X[SAMPLE]], 28, cell_size(28, INPUT_WIDTH)) in source
    assert f"W¹  ({hidden}×784): row j as a 28×28 image" in source and "<b>layer 2</b>" in source
    assert "<b>C</b> = " + num_text(net.grads.loss) in source
    folded = f"10 of {hidden} units shown" in source
    assert folded == (hidden > 36)  # 30 rows of images make a 6×5 grid: all of them
    shown = extremes(net.delta[0]) if folded else range(hidden)
    largest_w, largest_dw = np.abs(net.W[0]).max(), np.abs(net.dW[0]).max()
    size = cell_size(28, ROW_IMAGE_WIDTH)
    for j in shown:
        assert image([signed_color(v, largest_w) for v in net.W[0][j]], 28, size) in source
        assert image([signed_color(v, largest_dw) for v in net.dW[0][j]], 28, size) in source
    for j in range(10):  # layer 2: numbers in the cells; db is the batch's, δ sample 3's
        assert f">{num_text(net.z[1][j])}<" in source and f">{num_text(net.delta[1][j])}<" in source
        assert f">{num_text(net.grads.db[1][j])}<" in source
    assert "∂C/∂W¹ = Σ δ¹ (a⁰)ᵀ over the batch of 10" in source and "δ¹ = ∂C/∂z¹ (sample 3)" in source


@pytest.mark.parametrize("view", ["neurons", "matrix"])
@pytest.mark.parametrize("hidden, cost", NETS)
def test_the_seeds_drawings_render_to_svg_and_png_within_a_laptop_screen(drawn, hidden, cost, view, needs_dot):
    source = drawn(hidden, cost, view)
    assert run_dot(source, "svg", view).startswith(b"<?xml")  # within DOT_TIME_LIMIT, or GraphvizError
    png = run_dot(source, "png", view)
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert 600 < width <= 1366 and height < 2400  # readable at 1366 px without scaling: no long strip


def test_the_graph_views_refusal_at_784_30_10_names_views_that_work(seeds):
    loss = seeds[30, "mse"].loss
    with pytest.raises(ValueError, match=r"24,782 nodes, more than max_nodes=300") as refused:
        draw_mlp(loss)
    advised = re.findall(r"view='(\w+)', sample=(\d+)", str(refused.value))
    assert [view for view, _ in advised] == ["neurons", "matrix"]
    for view, sample in advised:
        assert "layer 2" in draw_mlp(loss, view=view, sample=int(sample)).source
    with pytest.raises(ValueError, match=r"batch of 10 samples: pass sample=0 \(or any of 0\.\.9\)"):
        draw_mlp(loss, view="neurons")


def test_the_node_steppers_refusal_at_784_30_10_names_calls_that_work(seeds, monkeypatch):
    net = seeds[30, "mse"]
    with pytest.raises(ValueError, match=r"more than max_nodes=300; nn\.LayerStepper\(model, X, Y\) steps"):
        MLPStepper(net.loss, sample=1)
    assert len(LayerStepper(net.model, net.X, np.eye(10)[net.classes]).steps) > 0  # the call it names
    monkeypatch.setattr(layer_stepper, "MAX_UNITS", 64)  # a network over the layer stepper's sizes
    with pytest.raises(ValueError, match="more than max_nodes") as refused:
        MLPStepper(net.loss, sample=1)
    assert "LayerStepper" not in str(refused.value)
    advised = re.findall(r"nn\.draw_mlp\(loss, view='(\w+)', sample=(\d+)\)", str(refused.value))
    assert [view for view, _ in advised] == ["neurons", "matrix"]
    for view, sample in advised:
        assert "layer 1" in draw_mlp(net.loss, view=view, sample=int(sample)).source


@pytest.mark.parametrize("view", ["neurons", "matrix"])
def test_a_layer_of_1024_units_is_drawn_and_a_wider_one_refused_with_advice_that_works(view):
    def loss_of(width):
        model = MLP(1, [width, 1], seed=0)
        loss = mse([model([0.5])], [[1.0]])
        loss.backward()
        return loss

    assert "layer 1" in draw_mlp(loss_of(1024), view=view).source
    wide = loss_of(1100)
    with pytest.raises(ValueError, match=r"layer 1 has 1,100 units, more than max_units=1,024; pass max_units=1100"):
        draw_mlp(wide, view=view)
    assert "layer 1" in draw_mlp(wide, view=view, max_units=1100).source


def test_draw_matrix_of_a_batch_of_100_images_shows_the_first_ten():
    rng = np.random.default_rng(0)
    W = [rng.normal(size=(30, 784)), rng.normal(size=(10, 30))]
    X = rng.random((784, 100))
    A1 = 1 / (1 + np.exp(-(W[0] @ X)))
    source = draw_matrix(W, None, [X, A1, W[1] @ A1], activations=["sigmoid", "linear"]).source
    assert "sample 9" in source and "sample 10" not in source and "⋯ 90 more" in source
    column = X[:, 4]
    picture = image([gray_color(v, column.min(), column.max()) for v in column], 28, cell_size(28, INPUT_WIDTH / 2))
    assert picture in source
    huge = draw_matrix([np.ones((3, 128 * 128))], None, [np.zeros(128 * 128), np.zeros(3)], activations=["tanh"])
    assert "16384×1,  ‖·‖ = 0" in huge.source and "image" not in huge.source  # too big for a drawing: summarised


def test_wide_inputs_that_are_not_an_image_fold_into_a_band():
    model = MLP(20, [3, 1], seed=0)
    x = [0.1 * k for k in range(20)]
    loss = mse([model(x)], [[1.0]])
    loss.backward()
    source = draw_mlp(loss, view="neurons").source
    assert "inputs<br/>10 of 20 units shown: the first 3, the last 2 and the 5 of largest |x|" in source
    assert "x, all 20" in source
    shown = sorted(int(k) for k in re.findall(r"<b>x\[(\d+)\]</b>", source))
    assert shown == [0, 1, 2, 13, 14, 15, 16, 17, 18, 19]  # the largest |x| are the last ones
    assert "⋯ 10 more (3–12)" in source
