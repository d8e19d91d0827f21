"""The activation functions, one table: each with its scalar op, its numpy form and derivative.

One entry per function, used by every part of nn that needs one: the scalar MLP (``scalar``,
an op of ``Value``), the matrix view (``f`` and ``df``), the PyTorch bridge (``torch_module``)
and the drawings (the name). The numpy forms use the same formulas as the scalar ops, so the
two views agree to the last bit or nearly (tanh' = 4e/(1+e)², e = exp(-2|z|); σ' = e/(1+e)²,
e = exp(-|z|): no cancellation, exact for any z).

"activation" in nn always means one of these functions (or its name); the values a^l it
produces are called ``a``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from autograd_core import Value
from autograd_core.inputs import short


@dataclass(frozen=True)
class Activation:
    """f and f′, for scalars (a Value op) and for arrays."""

    name: str
    scalar: Callable[[Value], Value] | None  # None: the identity, no node is made
    f: Callable[[np.ndarray], np.ndarray]
    df: Callable[[np.ndarray, float], np.ndarray]  # f′(z); the float is ReLU′(0)
    torch_module: str | None  # the torch.nn module, or None for the identity
    saturates: bool  # f′ → 0 for large |z| (sigmoid, tanh): gradients can vanish


def _sigmoid(Z: np.ndarray) -> np.ndarray:
    E = np.exp(-np.abs(Z))
    return np.where(Z >= 0, 1.0 / (1.0 + E), E / (1.0 + E))


def _sigmoid_prime(Z: np.ndarray, _: float) -> np.ndarray:
    E = np.exp(-np.abs(Z))
    return E / ((1.0 + E) * (1.0 + E))


def _tanh_prime(Z: np.ndarray, _: float) -> np.ndarray:
    E = np.exp(-2.0 * np.abs(Z))
    return 4.0 * E / ((1.0 + E) * (1.0 + E))


def _relu_prime(Z: np.ndarray, at_zero: float) -> np.ndarray:
    d = (Z > 0).astype(np.float64)
    if at_zero:
        d[Z == 0] = at_zero
    return d


ACTIVATIONS: dict[str, Activation] = {
    "tanh": Activation("tanh", Value.tanh, np.tanh, _tanh_prime, "Tanh", True),
    "relu": Activation("relu", Value.relu, lambda Z: np.maximum(Z, 0.0), _relu_prime, "ReLU", False),
    "sigmoid": Activation("sigmoid", Value.sigmoid, _sigmoid, _sigmoid_prime, "Sigmoid", True),
    "linear": Activation("linear", None, lambda Z: Z, lambda Z, _: np.ones_like(Z), None, False),
}


def activation_named(name: object) -> Activation:
    """The table's entry for ``name``, or a ValueError that lists the names there are."""
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"activation: expected one of {', '.join(ACTIVATIONS)}, got {short(name)}")
    return ACTIVATIONS[name]
