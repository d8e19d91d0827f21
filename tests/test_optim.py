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


def steps(opt, ps, n):
    for _ in range(n):
        opt.zero_grad()
        quadratic(ps, [0.3, 0.1, -0.4]).backward()
        opt.step()


@pytest.mark.parametrize(
    "make", [lambda ps: SGD(ps, lr=0.05, momentum=0.9), lambda ps: Adam(ps, lr=0.05)], ids=["sgd", "adam"]
)
def test_state_dict_puts_an_optimizer_back_where_it_was(make):
    ps = [Value(x) for x in (1.0, -2.0, 0.5)]
    opt = make(ps)
    steps(opt, ps, 3)
    saved, data = opt.state_dict(), [p.data for p in ps]
    steps(opt, ps, 4)
    first = [p.data for p in ps]
    assert opt.state_dict() != saved  # the steps moved the state on; the saved copy did not move
    opt.load_state_dict(saved)
    for p, x in zip(ps, data):
        p.data = x
    steps(opt, ps, 4)
    assert [p.data for p in ps] == first  # the same four steps again, bit for bit
    assert run(make, steps=7) == first  # and the same as seven steps in one go


def test_state_dict_copies_arrays_and_refuses_another_kind():
    class P:  # a matrix-view parameter: numpy arrays, updated in place
        def __init__(self):
            self.data, self.grad = np.ones(3), np.full(3, 0.5)

    opt = Adam([P()], lr=0.1)
    opt.step()
    state = opt.state_dict()
    state["m"][0][:] = 7.0
    assert not np.any(opt.m[0] == 7.0)  # a copy, not a view of the optimizer's arrays
    wrong = r"Adam.load_state_dict: expected the keys \['lr', 'm', 't', 'v'\], got \['lr', 'velocity'\]"
    with pytest.raises(ValueError, match=wrong):
        opt.load_state_dict(SGD([P()], lr=0.1).state_dict())
    with pytest.raises(ValueError, match=r"expected the keys .*, got list"):
        opt.load_state_dict([])
