"""The steps of the matrix view's backward pass, and their equations as written on a page.

``MatrixMLP.backward_steps`` (nn/matrix.py) computes BP1-BP4 and yields a ``Step`` per equation;
this module says what a step is (its result, the named operands it was computed from) and writes
each equation with its layer's symbols in the layouts of the conventions: ``formula("BP2", 2, c,
N)`` is "δ² = ((W³)ᵀ δ³) ⊙ f′(z²)" for samples in columns and W as (out, in).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple, Protocol

import numpy as np

from nn.labels import sup


class Layouts(Protocol):
    """What a formula reads of the conventions (``nn.matrix.Conventions`` is one)."""

    @property
    def loss(self) -> str: ...
    @property
    def reduction(self) -> str: ...
    @property
    def mse_half(self) -> bool: ...
    @property
    def layout(self) -> str: ...
    @property
    def w_layout(self) -> str: ...
    @property
    def fused(self) -> bool: ...
    @property
    def l2(self) -> float: ...
    @property
    def l2_on(self) -> str: ...


QUANTITIES = {"BP1": "delta", "BP2": "delta", "BP3": "db", "BP4": "dW"}
"""What each equation of backprop computes: δ^l, ∂C/∂b^l or ∂C/∂W^l. (An "update" step computes
a new W^l, quantity "W", or a new b^l, quantity "b".)"""

SYMBOLS = {"delta": "δ", "db": "∂C/∂b", "dW": "∂C/∂W", "W": "W", "b": "b"}


class Operand(NamedTuple):
    """An array a step reads (or an intermediate it forms), with its symbol as written, and what it
    is, from the structure of the equations (never guessed from the symbol or the numbers)."""

    symbol: str  # "δ³", "a²", "W³", "(W³)ᵀ δ³", "f′(z²)", "y", ...
    array: np.ndarray  # as the conventions lay it out
    samples: int | None  # the axis that counts the samples of the batch; None for a parameter
    quantity: str  # one of OPERANDS
    layer: int  # the l of that quantity (0 for the input a⁰ = x)


OPERANDS = {
    "x": "the input a⁰ = x",
    "a": "a^l = f(z^l)",
    "delta": "δ^l = ∂C/∂z^l",
    "fp": "f′(z^l)",
    "y": "the targets y",
    "W": "the weights W^l",
    "b": "the biases b^l",
    "dW": "∂C/∂W^l",
    "db": "∂C/∂b^l",
    "dCda": "∂C/∂a^L, the gradient of the cost at the output",
    "back": "(W^{l+1})ᵀ δ^{l+1} = ∂C/∂a^l, the error sent back to layer l",
    "margin": "1 − y ⊙ z^L, the hinge's margin",
    "p": "softmax(z^L) or σ(z^L), the probabilities",
    "dCdp": "∂C/∂p or ∂C/∂σ, the gradient of the cost at the probabilities",
}
"""What an operand can be (``Operand.quantity``)."""


@dataclass(eq=False)
class Step:
    """One equation of the backward pass, as ``MatrixMLP.backward_steps`` computes it.

    equation: "BP1".."BP4", or "update" (a step of gradient descent, ``MatrixMLP.update_steps``);
    layer: the l of what it computes (from 1); quantity: "delta" (δ^l), "db", "dW", or for an
    update "W" or "b" (the new W^l or b^l); result: that array in the layout of the conventions;
    column: the same in the column convention (W as (n_l, n_{l-1})). ``operands`` and ``formula``
    are worked out when first read (a training loop never reads them).
    """

    equation: str
    layer: int
    quantity: str
    result: np.ndarray
    column: np.ndarray = field(repr=False)
    _explain: Callable[[], tuple[tuple[Operand, ...], str]] = field(repr=False)

    @property
    def symbol(self) -> str:
        """The result's symbol: δ², ∂C/∂b², ∂C/∂W² (or new W², new b² for the parameters an update makes)."""
        return ("new " if self.equation == "update" else "") + SYMBOLS[self.quantity] + sup(self.layer)

    @cached_property
    def _explained(self) -> tuple[tuple[Operand, ...], str]:
        return self._explain()

    @property
    def operands(self) -> tuple[Operand, ...]:
        """What the step computes its result from, and the intermediates, in the order of the formula."""
        return self._explained[0]

    @property
    def formula(self) -> str:
        """The equation with this layer's symbols, in the layout of the conventions."""
        return self._explained[1]


def back_symbol(l: int, c: Layouts) -> str:
    """(W^l)ᵀ δ^l as written in the conventions' layouts: the error sent back to layer l - 1."""
    s = sup(l)
    return {
        (False, False): f"(W{s})ᵀ δ{s}",
        (False, True): f"W{s} δ{s}",
        (True, False): f"δ{s} W{s}",
        (True, True): f"δ{s} (W{s})ᵀ",
    }[(c.layout == "rows", c.w_layout == "in_out")]


def update_formula(quantity: str, l: int, lr: float) -> str:
    """The update of W^l or b^l by gradient descent, as written: W² ← W² − η ∂C/∂W²  (η = 0.5)."""
    p = f"{quantity}{sup(l)}"
    return f"{p} ← {p} − η ∂C/∂{p}  (η = {lr!r})"


def formula(equation: str, l: int, c: Layouts, N: int) -> str:
    """The step's equation as written on a page, with the layer's symbols and the conventions' layouts."""
    s, rows = sup(l), c.layout == "rows"
    if equation == "BP2":
        return f"δ{s} = ({back_symbol(l + 1, c)}) ⊙ f′(z{s})"
    if equation == "BP3":
        total = f"Σₙ δ{s}[n, :]" if rows else f"Σₙ δ{s}[:, n]"
        return f"∂C/∂b{s} = {total}" + (f" + 2λ b{s}" if c.l2 and c.l2_on == "all" else "")
    if equation == "BP4":
        p = sup(l - 1)
        product = {
            (False, False): f"δ{s} (a{p})ᵀ",
            (False, True): f"a{p} (δ{s})ᵀ",
            (True, False): f"(δ{s})ᵀ a{p}",
            (True, True): f"(a{p})ᵀ δ{s}",
        }[(rows, c.w_layout == "in_out")]
        return f"∂C/∂W{s} = {product}" + (f" + 2λ W{s}" if c.l2 else "")
    mean = f" / N (N = {N})" if c.reduction == "mean" else ""
    if c.loss == "mse":
        two = "" if c.mse_half else "2 "
        return f"δ{s} = ∂C/∂a{s} ⊙ f′(z{s}),  ∂C/∂a{s} = {two}(a{s} − y){mean}"
    if c.loss == "hinge":
        return f"δ{s} = ∂C/∂a{s} ⊙ f′(z{s}),  ∂C/∂a{s} = −y ⊙ [1 − y ⊙ z{s} > 0]{mean}"
    if c.loss == "cross_entropy":
        if c.fused:
            return f"δ{s} = (softmax(z{s}) − y){mean}"
        return f"δ{s} = p ⊙ (g − pᵀg),  g = ∂C/∂p{s} = −y ⊘ p{mean},  p = softmax(z{s})"
    if c.fused:
        return f"δ{s} = (σ(z{s}) − y){mean}"
    return f"δ{s} = ∂C/∂σ{s} ⊙ σ′(z{s}),  ∂C/∂σ{s} = (σ − y) ⊘ (σ(1 − σ)){mean}"
