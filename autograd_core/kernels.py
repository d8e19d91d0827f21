"""The array form of every op: its value and local derivatives over a whole batch at once.

value.py computes an op on one sample's floats when it makes a node; a compiled program
(program.py) replays the node on other samples, so it needs the same rule written for numpy
arrays. Each kernel here takes the operands as arrays (one row per sample, one column per node of
a fused step) and returns the value and the local derivatives d(node)/d(operand), by the same
formulas as value.py (tanh' = 4e/(1+e)², e = exp(-2|x|); σ' = e/(1+e)², e = exp(-|x|)), so the
two agree to a few ulps (numpy's exp, log and tanh may round differently from the math module's).

A kernel never raises: a domain error shows as a nan or an inf in the value or in a local
derivative, which the program checks and then explains by replaying the one node in the engine
(verify.py), so the error is the engine's own. ``CHECKED`` lists the ops whose local
derivative can overflow while their value does not; value.py checks the same ones.

Custom ops (a node made by ``Value(..., parents=, local_grads=, op="name")``) recorded their local
derivatives as numbers computed from one sample: those numbers are wrong for every other sample,
so a custom op compiles only through a rule registered for its name (``register_op``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Local = np.ndarray | float
"""A local derivative over the batch, or one number for every sample and node (1.0 for +)."""

Kernel = Callable[..., tuple[np.ndarray, tuple[Local, ...]]]
"""(operands...) -> (value, local derivatives, one per operand)."""

ArrayRule = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
"""A custom op's rule: its parents' values, shape (..., arity), to its value, shape (...), and its
local derivatives d(node)/d(parent k), shape (..., arity). Vectorised over the leading axes."""


def _sigmoid(x: np.ndarray) -> tuple[np.ndarray, tuple[Local, ...]]:
    e = np.exp(-np.abs(x))
    d = 1.0 + e  # computed once; the same numbers as value.py's (1 + e) each time
    return np.where(x >= 0.0, 1.0 / d, e / d), (e / (d * d),)


def _tanh(x: np.ndarray) -> tuple[np.ndarray, tuple[Local, ...]]:
    e = np.exp(-2.0 * np.abs(x))
    d = 1.0 + e
    return np.tanh(x), (4.0 * e / (d * d),)


def _exp(x: np.ndarray) -> tuple[np.ndarray, tuple[Local, ...]]:
    d = np.exp(x)
    return d, (d,)


def _relu(x: np.ndarray) -> tuple[np.ndarray, tuple[Local, ...]]:
    positive = x > 0.0
    return np.where(positive, x, 0.0), (positive.astype(np.float64),)


def _power(x: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, tuple[Local, ...]]:
    """x ** c for constants c: d/dx = c·x**(c-1), but exactly 0 for c == 0 and 1 for c == 1 (as value.py)."""
    d = np.power(x, c)
    dx = np.where(c == 0.0, 0.0, np.where(c == 1.0, 1.0, c * np.power(x, c - 1.0)))
    return d, (dx,)


def _rdiv(x: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, tuple[Local, ...]]:
    d = c / x
    return d, (-d / x,)


def _rpow(x: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, tuple[Local, ...]]:
    d = np.power(c, x)
    return d, (d * np.log(c),)


def _divide(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, tuple[Local, ...]]:
    d = x / y
    return d, (1.0 / y, -d / y)


def _power_of_values(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, tuple[Local, ...]]:
    """x ** y: d/dx = y·x**(y-1), d/dy = x**y·log x (nan for x <= 0, which the engine refuses)."""
    d = np.power(x, y)
    return d, (y * np.power(x, y - 1.0), d * np.log(x))


UNARY: dict[str, Kernel] = {
    "neg": lambda x: (-x, (-1.0,)),
    "exp": _exp,
    "log": lambda x: (np.log(x), (1.0 / x,)),
    "tanh": _tanh,
    "sigmoid": _sigmoid,
    "relu": _relu,
}
"""Ops of one operand and no constant: kernel(x)."""

WITH_CONSTANT: dict[str, Kernel] = {
    "+": lambda x, c: (x + c, (1.0,)),
    "-": lambda x, c: (x - c, (1.0,)),
    "rsub": lambda x, c: (c - x, (-1.0,)),
    "*": lambda x, c: (x * c, (c,)),
    "/": lambda x, c: (x / c, (1.0 / c,)),
    "rdiv": _rdiv,
    "**": _power,
    "rpow": _rpow,
}
"""Ops of one operand and the plain number folded into the node (its ``const``): kernel(x, c)."""

BINARY: dict[str, Kernel] = {
    "+": lambda x, y: (x + y, (1.0, 1.0)),
    "-": lambda x, y: (x - y, (1.0, -1.0)),
    "*": lambda x, y: (x * y, (y, x)),
    "/": _divide,
    "**": _power_of_values,
}
"""Ops of two operands: kernel(x, y)."""

STRUCTURAL = ("sum", "dot")
"""The n-ary ops: their fused steps (steps.py) sum and multiply operands themselves."""

BUILT_IN = frozenset(UNARY) | frozenset(WITH_CONSTANT) | frozenset(BINARY) | frozenset(STRUCTURAL)
"""Every op value.py makes (derivatives.RULES has the same keys; a test holds them equal)."""

CHECKED = frozenset({"/", "rdiv", "**", "rpow", "log"})
"""Ops whose local derivative can overflow while their value does not (value.py's _node_checked)."""

_CUSTOM: dict[str, ArrayRule] = {}


def register_op(op: str, rule: ArrayRule) -> None:
    """Make the custom op ``op`` compilable: ``rule`` computes its value and local derivatives on arrays.

    A custom node records its local derivatives as numbers, worked out from the sample it was built
    on; replaying it on another sample needs the formula. ``rule(x)`` gets the parents' values with
    the parents along the last axis, shape (..., arity), and returns (value of shape (...), local
    derivatives of shape (..., arity)); for example softplus, d/dx = σ(x)::

        >>> import numpy as np
        >>> from autograd_core import register_op
        >>> register_op("softplus", lambda x: (np.logaddexp(0.0, x[..., 0]), 1.0 / (1.0 + np.exp(-x))))

    ``compile`` checks the rule against every node of that op in the traced graph (value and local
    derivatives, to 1e-9 of their size), so a rule that does not match the node is refused there.
    Registering a name again replaces its rule; a built-in op's name is refused.
    """
    if not isinstance(op, str) or not op:
        raise ValueError(f"register_op: expected the op's name as a non-empty str, got {op!r:.60}")
    if op in BUILT_IN:
        raise ValueError(f"register_op: {op!r} is a built-in op; it compiles already (pick another name)")
    if not callable(rule):
        raise TypeError(f"register_op: expected a function for the rule of {op!r}, got {type(rule).__name__}")
    _CUSTOM[op] = rule


def custom_rule(op: str) -> ArrayRule | None:
    """The rule registered for a custom op, or None."""
    return _CUSTOM.get(op)
