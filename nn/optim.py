"""Optimizers: SGD (momentum, weight decay) and Adam, as in PyTorch.

    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    opt.zero_grad(); loss.backward(); opt.step()

A parameter is anything with ``data`` and ``grad``: a Value of the scalar graph (floats), or a
matrix-view Param (numpy arrays, updated in place); the same update rules serve both views.
``lr`` is a plain attribute: change it between steps for a schedule. ``state_dict()`` copies an
optimizer's own state (lr, SGD's velocity, Adam's moments and step count) and ``load_state_dict``
puts it back, as in PyTorch; ``fit`` does so when a run diverges.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from autograd_core.inputs import short


class Optimizer:
    """Holds the parameters; ``zero_grad()`` clears their grads, ``step()`` updates their data."""

    _state: tuple[str, ...] = ("lr",)  # the attributes that step() reads and changes

    def __init__(self, parameters: Iterable[Any], lr: float):
        self.params = list(parameters)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        for p in self.params:
            if not (hasattr(p, "data") and hasattr(p, "grad")):
                raise TypeError(f"optimizer expects parameters with .data and .grad (Values), got {type(p).__name__}")
        self.lr = _non_negative(lr, "lr")

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = p.grad * 0.0 if hasattr(p.grad, "shape") else 0.0

    def step(self) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """A copy of the optimizer's own state (not the parameters): ``lr`` and what ``step()``
        carries from one step to the next. ``load_state_dict`` puts it back."""
        return {name: _copy(getattr(self, name)) for name in self._state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Put back a state that ``state_dict()`` of an optimizer of this kind returned."""
        if not isinstance(state, dict) or set(state) != set(self._state):
            got = sorted(state) if isinstance(state, dict) else type(state).__name__
            want = sorted(self._state)
            raise ValueError(f"{type(self).__name__}.load_state_dict: expected the keys {want}, got {got}")
        for name in self._state:
            setattr(self, name, _copy(state[name]))


class SGD(Optimizer):
    """p -= lr * v, with v = momentum * v + (grad + weight_decay * p)  (PyTorch's SGD, no dampening)."""

    _state = ("lr", "velocity")

    def __init__(self, parameters: Iterable[Any], lr: float = 0.01, momentum: float = 0.0, weight_decay: float = 0.0):
        super().__init__(parameters, lr)
        self.momentum = _non_negative(momentum, "momentum")
        self.weight_decay = _non_negative(weight_decay, "weight_decay")
        self.velocity = [0.0] * len(self.params)

    def step(self) -> None:
        lr, mu, wd = self.lr, self.momentum, self.weight_decay
        if mu == 0.0 and wd == 0.0:  # plain gradient descent, the common case
            for p in self.params:
                p.data -= lr * p.grad
            return
        v = self.velocity
        for i, p in enumerate(self.params):
            g = p.grad + wd * p.data
            v[i] = mu * v[i] + g
            p.data -= lr * v[i]


class Adam(Optimizer):
    """Adam (Kingma & Ba), as torch.optim.Adam: bias-corrected moments, L2 weight decay added to the grad."""

    _state = ("lr", "m", "v", "t")

    def __init__(
        self,
        parameters: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        super().__init__(parameters, lr)
        b1, b2 = betas
        if not (0.0 <= b1 < 1.0 and 0.0 <= b2 < 1.0):
            raise ValueError(f"betas: expected two numbers in [0, 1), got {short(betas)}")
        self.betas = (float(b1), float(b2))
        self.eps = _non_negative(eps, "eps")
        self.weight_decay = _non_negative(weight_decay, "weight_decay")
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)
        self.t = 0

    def step(self) -> None:
        self.t += 1
        b1, b2 = self.betas
        c1, c2 = 1.0 - b1**self.t, 1.0 - b2**self.t
        for i, p in enumerate(self.params):
            g = p.grad + self.weight_decay * p.data
            self.m[i] = b1 * self.m[i] + (1.0 - b1) * g
            self.v[i] = b2 * self.v[i] + (1.0 - b2) * g * g
            p.data -= self.lr * (self.m[i] / c1) / ((self.v[i] / c2) ** 0.5 + self.eps)


def _copy(x: Any) -> Any:
    """A copy that shares no array with ``x``: a list of floats or arrays, or one number."""
    if isinstance(x, list):
        return [np.array(e) if isinstance(e, np.ndarray) else e for e in x]
    return x


def _non_negative(x: float, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x) or x < 0:
        raise ValueError(f"{name}: expected a finite number >= 0, got {short(x)}")
    return float(x)
