"""Learning-rate schedules in fit, and micrograd's demo loop as one fit call."""

import gc
import importlib.util
import math
import random

import numpy as np
import pytest

from autograd_core import Value
from nn import MLP, fit
from nn.data import moons
from nn.schedules import cosine, linear, step


def test_the_named_schedules():
    assert [linear(1.0, 0.1, 100)(k) for k in (0, 50, 99, 100, 500)] == pytest.approx([1.0, 0.55, 0.109, 0.1, 0.1])
    assert [cosine(1.0, 0.0, 10)(k) for k in (0, 5, 10, 11)] == pytest.approx([1.0, 0.5, 0.0, 0.0])
    assert [step(0.5, 0.1, 3)(k) for k in (0, 2, 3, 6)] == pytest.approx([0.5, 0.5, 0.05, 0.005])
    with pytest.raises(ValueError, match="positive int of steps"):
        linear(1.0, 0.1, 0)
    with pytest.raises(ValueError, match="finite number >= 0"):
        cosine(-1.0, 0.1, 10)


def test_fit_calls_the_schedule_once_per_step_and_refuses_a_bad_rate():
    seen = []

    def rate(k):
        seen.append(k)
        return 0.1

    X, y = np.zeros((6, 2)), np.zeros(6)
    fit(MLP(2, [2, 1], seed=0), X, y, loss="mse", lr=rate, epochs=2, batch_size=4, progress=False)
    assert seen == [0, 0, 1, 2, 3]  # once to build the optimizer, then before each of the 4 steps
    with pytest.raises(ValueError, match=r"lr: the schedule gave nan at step 0"):
        fit(MLP(2, [1]), X, y, loss="mse", lr=lambda k: math.nan, epochs=1, progress=False)


# ---- micrograd's demo, written out the way micrograd's README loop does it ----------------------
class RefNeuron:
    def __init__(self, w, nonlin):
        self.w, self.b, self.nonlin = [Value(x) for x in w], Value(0.0), nonlin

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.relu() if self.nonlin else act

    def parameters(self):
        return [*self.w, self.b]


class RefMLP:
    def __init__(self, matrices):
        self.layers = [[RefNeuron(row, l < len(matrices) - 1) for row in W] for l, W in enumerate(matrices)]

    def __call__(self, x):
        for layer in self.layers:
            x = [n(x) for n in layer]
        return x[0]

    def parameters(self):
        return [p for layer in self.layers for n in layer for p in n.parameters()]


def micrograd_demo_losses(matrices, X, y, steps=100):
    model = RefMLP(matrices)
    losses = []
    for k in range(steps):
        scores = [model([Value(a), Value(b)]) for a, b in X.tolist()]
        data_loss = sum((1 + -yi * si).relu() for yi, si in zip(y.tolist(), scores)) * (1.0 / len(scores))
        total_loss = data_loss + 1e-4 * sum(p * p for p in model.parameters())
        for p in model.parameters():
            p.grad = 0.0
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        losses.append(total_loss.data)
    return losses


@pytest.fixture
def no_cyclic_gc():
    """Value graphs hold no cycles; the collector only walks the 60,000 nodes of each step."""
    gc.disable()
    yield
    gc.enable()


def demo():
    X, y01 = moons(100, noise=0.1, seed=0)
    return MLP(2, [16, 16, 1], activation="relu", init="uniform", seed=1337), X, 2.0 * y01 - 1.0


def fit_like_micrograd(model, X, y):
    return fit(model, X, y, loss="hinge", lr=linear(1.0, 0.1, 100), epochs=100, l2=1e-4, shuffle=False, progress=False)


@pytest.mark.slow
@pytest.mark.usefixtures("no_cyclic_gc")
def test_micrograd_demo_is_one_fit_call():
    model, X, y = demo()
    reference = micrograd_demo_losses(model.matrices()[0], X, y)
    history = fit_like_micrograd(model, X, y)
    np.testing.assert_allclose(history.loss, reference, rtol=0, atol=1e-12)
    assert history.loss[-1] < 0.05 and history.accuracy[-1] == 1.0


STEPS_OF_MICROGRAD = 15  # the first 15 of the 100 steps (the whole run is checked against our own loop above)


@pytest.mark.slow
@pytest.mark.usefixtures("no_cyclic_gc")
@pytest.mark.skipif(importlib.util.find_spec("micrograd") is None, reason="micrograd 0.1.0 is not installed")
def test_micrograd_demo_matches_micrograd_itself():
    from micrograd import nn as mg

    model, X, y = demo()
    random.seed(0)
    theirs = mg.MLP(2, [16, 16, 1])
    Ws, _ = model.matrices()
    for layer, W in zip(theirs.layers, Ws):
        for neuron, row in zip(layer.neurons, W.tolist()):
            for p, value in zip(neuron.w, row):
                p.data = value
    losses = []
    for k in range(STEPS_OF_MICROGRAD):  # its graphs are reference cycles: each step costs it ~0.5 s
        scores = [theirs([mg.Value(a), mg.Value(b)]) for a, b in X.tolist()]  # type: ignore[attr-defined]
        data_loss = sum((1 + -yi * si).relu() for yi, si in zip(y.tolist(), scores)) * (1.0 / len(scores))
        total_loss = data_loss + 1e-4 * sum(p * p for p in theirs.parameters())
        theirs.zero_grad()
        total_loss.backward()
        for p in theirs.parameters():
            p.data -= (1.0 - 0.9 * k / 100) * p.grad
        losses.append(total_loss.data)
    ours = fit_like_micrograd(model, X, y).loss[:STEPS_OF_MICROGRAD]
    np.testing.assert_allclose(ours, losses, rtol=0, atol=1e-12)
