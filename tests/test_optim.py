"""SGD and Adam: the update rules, checked against plain-numpy formulas and PyTorch when installed."""

import numpy as np
import pytest

from autograd_core import Value
from nn import SGD, Adam

try:
    import torch
except ImportError:
    torch = None


def quadratic(ps, targets):
    """sum (p - t)^2 * (k + 1): a loss with a different curvature per parameter."""
    return Value.sum([(p - t) * (p - t) * (k + 1.0) for k, (p, t) in enumerate(zip(ps, targets))])


def run(opt_factory, steps=25):
    ps = [Value(x) for x in (1.0, -2.0, 0.5)]
    opt = opt_factory(ps)
    for _ in range(steps):
        opt.zero_grad()
        quadratic(ps, [0.3, 0.1, -0.4]).backward()
        opt.step()
    return [p.data for p in ps]


def numpy_reference(kind, steps=25, lr=0.05, momentum=0.0, weight_decay=0.0, betas=(0.9, 0.999), eps=1e-8):
    p = np.array([1.0, -2.0, 0.5])
    t = np.array([0.3, 0.1, -0.4])
    k = np.array([1.0, 2.0, 3.0])
    v = np.zeros(3)
    m = np.zeros(3)
    for step in range(1, steps + 1):
        g = 2 * (p - t) * k + weight_decay * p
        if kind == "sgd":
            v = momentum * v + g
            p = p - lr * v
        else:
            m = betas[0] * m + (1 - betas[0]) * g
            v = betas[1] * v + (1 - betas[1]) * g * g
            p = p - lr * (m / (1 - betas[0] ** step)) / (np.sqrt(v / (1 - betas[1] ** step)) + eps)
    return p


@pytest.mark.parametrize("momentum, weight_decay", [(0.0, 0.0), (0.9, 0.0), (0.5, 0.1), (0.0, 0.01)])
def test_sgd_matches_reference(momentum, weight_decay):
    ours = run(lambda ps: SGD(ps, lr=0.05, momentum=momentum, weight_decay=weight_decay))
    assert ours == pytest.approx(numpy_reference("sgd", momentum=momentum, weight_decay=weight_decay), rel=1e-12)


@pytest.mark.parametrize("weight_decay", [0.0, 0.05])
def test_adam_matches_reference(weight_decay):
    ours = run(lambda ps: Adam(ps, lr=0.05, weight_decay=weight_decay))
    assert ours == pytest.approx(numpy_reference("adam", weight_decay=weight_decay), rel=1e-12)


@pytest.mark.skipif(torch is None, reason="PyTorch is not installed (an optional oracle)")
@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_optimizers_match_pytorch(kind):
    if kind == "sgd":
        ours = lambda ps: SGD(ps, lr=0.05, momentum=0.9, weight_decay=0.01)  # noqa: E731
        theirs = lambda ts: torch.optim.SGD(ts, lr=0.05, momentum=0.9, weight_decay=0.01)  # noqa: E731
    else:
        ours = lambda ps: Adam(ps, lr=0.05, weight_decay=0.01)  # noqa: E731
        theirs = lambda ts: torch.optim.Adam(ts, lr=0.05, weight_decay=0.01)  # noqa: E731
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in (1.0, -2.0, 0.5)]
    opt = theirs(ts)
    for _ in range(25):
        opt.zero_grad()
        loss = sum((p - t) * (p - t) * (k + 1.0) for k, (p, t) in enumerate(zip(ts, [0.3, 0.1, -0.4])))
        loss.backward()
        opt.step()
    assert run(ours) == pytest.approx([t.item() for t in ts], rel=1e-12)


def test_zero_grad_and_lr_schedule():
    p = Value(1.0)
    opt = SGD([p], lr=0.5)
    (p * p).backward()
    opt.zero_grad()
    assert p.grad == 0.0
    opt.lr = 0.25  # a plain attribute: schedules just set it
    (p * p).backward()
    opt.step()
    assert p.data == 0.5


@pytest.mark.parametrize(
    "make, pattern",
    [
        (lambda: SGD([], lr=0.1), "empty parameter list"),
        (lambda: SGD([1.0], lr=0.1), "expects parameters with .data and .grad"),
        (lambda: SGD([Value(1.0)], lr=-1), "lr: expected a finite number >= 0, got -1"),
        (lambda: SGD([Value(1.0)], momentum=float("nan")), "momentum"),
        (lambda: Adam([Value(1.0)], betas=(0.9, 1.0)), "betas"),
    ],
)
def test_bad_arguments(make, pattern):
    with pytest.raises((ValueError, TypeError), match=pattern):
        make()
