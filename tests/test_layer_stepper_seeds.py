"""The layer stepper at the seeds' sizes: Nielsen's 784-30-10 over a mini-batch of 10, and Mazur's
"A Step by Step Backpropagation Example" end to end, his numbers at their steps.

Every step's result is checked against the matrix view (1e-12), the scalar graph (the step's own
``scalar``), and PyTorch when it is installed; the update steps against ``SGD``.
"""

import numpy as np
import pytest

from nn import MLP, SGD, LayerStepper
from nn.matrix import MatrixMLP, conventions_for

try:
    import torch  # noqa: F401

    from nn.bridge import torch_gradients
except ImportError:  # PyTorch is an optional oracle
    torch_gradients = None


def nielsen_batch(loss, hidden=30, seed=0):
    """Nielsen's network (sigmoid everywhere for the ½-quadratic cost; linear logits for softmax-CE)
    and a mini-batch of 10 MNIST-shaped samples: 784 pixels in [0, 1], mostly 0."""
    rng = np.random.default_rng(seed)
    out = "sigmoid" if loss == "mse" else "linear"
    model = MLP(784, [hidden, 10], activation="sigmoid", output_activation=out, seed=seed)
    X = rng.uniform(size=(10, 784)) * (rng.uniform(size=(10, 784)) < 0.2)
    y = rng.integers(0, 10, 10)
    return model, X, (np.eye(10)[y] if loss == "mse" else y)


OPTIONS = {"mse": {"loss": "mse", "mse_half": True}, "cross_entropy": {"loss": "cross_entropy"}}


@pytest.fixture(scope="module", params=["mse", "cross_entropy"])
def nielsen(request):
    model, X, Y = nielsen_batch(request.param)
    return model, X, Y, OPTIONS[request.param], LayerStepper(model, X, Y, lr=3.0, **OPTIONS[request.param])


def test_nielsens_network_steps_equal_the_matrix_view(nielsen):
    model, X, Y, options, stepper = nielsen
    conv = conventions_for(**options)
    mm = MatrixMLP.from_mlp(model, conventions=conv)
    mm.forward(X.T)
    g = mm.backward(Y if Y.ndim == 1 else Y.T)
    want = {("delta", l + 1): d for l, d in enumerate(g.delta)}
    want.update({("dW", l + 1): w for l, w in enumerate(g.dW)})
    want.update({("db", l + 1): b for l, b in enumerate(g.db)})
    SGD(mm.parameters(), lr=3.0).step()  # the update steps: the new W^l and b^l, as SGD makes them
    want.update({("W", l + 1): W for l, W in enumerate(mm.weights)})
    want.update({("b", l + 1): b for l, b in enumerate(mm.biases)})
    assert [(s.equation, s.layer) for s in stepper.steps] == [
        ("BP1", 2), ("BP3", 2), ("BP4", 2), ("BP2", 1), ("BP3", 1), ("BP4", 1),
        ("update", 2), ("update", 2), ("update", 1), ("update", 1),
    ]  # fmt: skip
    for step in stepper.steps:
        ref = want[step.quantity, step.layer]
        assert step.result.shape == ref.shape
        assert np.max(np.abs(step.result - ref)) <= 1e-12 * max(1.0, float(np.abs(ref).max())), step
        assert step.max_abs_diff <= 1e-12 * max(1.0, float(np.abs(step.scalar).max())), step
    assert stepper.loss == g.loss


@pytest.mark.skipif(torch_gradients is None, reason="PyTorch is not installed (an optional oracle)")
def test_nielsens_network_steps_equal_pytorch(nielsen):
    model, X, Y, options, stepper = nielsen
    t = torch_gradients(model, X, Y, conventions_for(**options))
    for step in stepper.steps:
        if step.equation == "update":
            continue
        ref = t[step.quantity][step.layer - 1]
        assert np.allclose(step.result, ref, rtol=1e-9, atol=1e-12 * max(1.0, float(np.abs(ref).max()))), step


def test_nielsens_network_with_100_hidden_units_is_stepped_too():
    model, X, Y = nielsen_batch("mse", hidden=100)
    stepper = LayerStepper(model, X, Y, **OPTIONS["mse"])
    assert len(stepper.steps) == 6 and all(s.max_abs_diff < 1e-15 for s in stepper.steps)


def test_stored_in_a_notebook_a_stepper_stays_light():
    """What Jupyter stores of a stepper (its inline page): at most 1 MB at 784-30-10 over 10
    samples, update steps included, and at most 300 KB at 2-16-16-1 over 10."""
    model, X, Y = nielsen_batch("mse")
    assert len(LayerStepper(model, X, Y, lr=3.0, **OPTIONS["mse"])._repr_html_().encode()) <= 1_000_000
    rng = np.random.default_rng(0)
    toy = MLP(2, [16, 16, 1], activation="tanh", seed=0)
    page = LayerStepper(toy, rng.normal(size=(10, 2)), rng.integers(0, 2, 10), loss="binary_cross_entropy")
    assert len(page._repr_html_().encode()) <= 300_000


# ---- Mazur's worked example ---------------------------------------------------------------------
def mazur(**extra):
    """His 2-2-2 network: weights w1..w8, one bias per layer (0.35, 0.60), sigmoid, E = Σ ½(target − out)²."""
    model = MLP(2, [2, 2], activation="sigmoid", output_activation="sigmoid")
    model.set_matrices([[[0.15, 0.20], [0.25, 0.30]], [[0.40, 0.45], [0.50, 0.55]]], [0.35, 0.60])
    return LayerStepper(model, [[0.05, 0.10]], [[0.01, 0.99]], loss="mse", mse_half=True, reduction="sum", **extra)


def test_mazurs_numbers_appear_at_their_steps():
    stepper = mazur(lr=0.5, update_biases=False)
    assert round(stepper.loss, 9) == 0.298371109  # E_total
    by = {(s.equation, s.layer, s.quantity): s for s in stepper.steps}
    assert ("update", 2, "b") not in by and ("update", 1, "b") not in by  # he leaves the biases
    bp1 = by["BP1", 2, "delta"]
    operands = {o.symbol: o.array for o in bp1.operands}
    assert np.round(operands["∂C/∂a²"][:, 0], 8).tolist() == [0.74136507, -0.21707153]  # ∂E/∂out_o1, ∂E/∂out_o2
    assert round(operands["f′(z²)"][0, 0], 9) == 0.186815602  # ∂out_o1/∂net_o1
    assert round(by["BP4", 2, "dW"].result[0, 0], 9) == 0.082167041  # ∂E_total/∂w5
    bp2 = {o.symbol: o.array for o in by["BP2", 1, "delta"].operands}
    assert round(bp2["(W²)ᵀ δ²"][0, 0], 9) == 0.036350306  # ∂E_total/∂out_h1
    assert round(by["BP4", 1, "dW"].result[0, 0], 9) == 0.000438568  # ∂E_total/∂w1
    new_W2, new_W1 = by["update", 2, "W"].result, by["update", 1, "W"].result
    assert np.round(new_W2, 8).tolist() == [[0.35891648, 0.40866619], [0.51130127, 0.56137012]]  # w5..w8
    assert np.round(new_W1, 8).tolist() == [[0.14978072, 0.19956143], [0.24975114, 0.29950229]]  # w1..w4


def test_the_loss_is_there_in_full():
    stepper = mazur()
    assert repr(stepper.loss) in stepper.html and repr(stepper.loss).startswith("0.29837110876")
