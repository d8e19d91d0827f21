"""The matrix view: the same MLP in numpy float64, with backprop as the four equations.

Column convention (one sample per column, W^l of shape (n_l, n_{l-1})), layers l = 1..L:

    forward        z^l = W^l a^{l-1} + b^l,     a^l = f_l(z^l),     a^0 = x
    (BP1) output   δ^L = ∇_a C ⊙ f_L'(z^L)      (fused: δ^L = softmax(z^L) - y, or σ(z^L) - y)
    (BP2) error    δ^l = ((W^{l+1})^T δ^{l+1}) ⊙ f_l'(z^l)
    (BP3) bias     ∂C/∂b^l = δ^l                 (summed over the samples of a batch)
    (BP4) weight   ∂C/∂W^l = δ^l (a^{l-1})^T     (a batch in columns: Δ^l (A^{l-1})^T)

δ^l_j is the grad of the scalar graph's node z{l}[j]; ∂C/∂W^l_{jk} that of W{l}[j,k].

Lists follow Nielsen's code: ``a[0]`` is x and ``a[l]`` is a^l; ``z[l-1]`` is z^l; likewise
``weights[l-1]``, ``biases[l-1]``, and the ``delta``, ``dW``, ``db`` of a backward pass.

Every convention on which textbooks differ is an option (see ``Conventions`` and ``PRESETS``).
The equations are computed once, in the column convention; the rows layout (samples in rows)
and the (n_in, n_out) weight layout are exact transposes at the boundary.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import partial
from typing import Any

import numpy as np

from autograd_core.inputs import short
from nn import labels
from nn.activations import ACTIVATIONS, activation_named
from nn.equations import QUANTITIES, Operand, Step, back_symbol, formula, update_formula
from nn.labels import sup
from nn.losses import LOSSES, l2_coefficient, target_rows
from nn.module import MLP

LAYOUTS = ("columns", "rows")
W_LAYOUTS = ("out_in", "in_out")
L2_ON = ("weights", "all")


def columns(M: np.ndarray, layout: str) -> np.ndarray:
    """A batch array between ``layout`` ("rows": one sample per row) and the column convention
    (one sample per column): transposed for rows. The same transpose goes either way; the one
    place the library turns rows into columns."""
    return M.T if layout == "rows" else M


def out_in(W: np.ndarray, w_layout: str) -> np.ndarray:
    """A weight array between ``w_layout`` and (n_out, n_in): transposed for "in_out"."""
    return W.T if w_layout == "in_out" else W


def _choice(value: Any, allowed: tuple, name: str) -> None:
    if value not in allowed:
        raise ValueError(f"{name}: expected one of {', '.join(map(repr, allowed))}, got {short(value)}")


@dataclass(frozen=True)
class Conventions:
    """The choices on which sources differ (docs/conventions.md explains each).

    loss: "mse", "cross_entropy" (softmax on logits), "binary_cross_entropy" (sigmoid on a
        logit) or "hinge"; reduction: "mean" or "sum" of the per-sample costs over the batch;
    mse_half: C_n = ½‖a - y‖² (Nielsen) instead of ‖a - y‖² (UDL);
    layout: samples in "columns" (d, N) (Nielsen, UDL) or "rows" (N, d) (X @ W style code);
    w_layout: weights[l-1] of shape (n_out, n_in) ("out_in") or (n_in, n_out) ("in_out");
    relu_grad_at_zero: ReLU'(0): 0 (PyTorch, micrograd, UDL), 1 (I[z ≥ 0]) or 0.5;
    fused: output error of softmax+CE and sigmoid+BCE as a - y (else through ∇_a C and f');
    l2, l2_on: a penalty l2 * Σ w² on the "weights" only or on "all" parameters.
    """

    loss: str = "mse"
    reduction: str = "mean"
    mse_half: bool = False
    layout: str = "columns"
    w_layout: str = "out_in"
    relu_grad_at_zero: float = 0.0
    fused: bool = True
    l2: float = 0.0
    l2_on: str = "weights"

    def __post_init__(self) -> None:
        _choice(self.loss, tuple(LOSSES), "loss")
        _choice(self.reduction, ("mean", "sum"), "reduction")
        _choice(self.layout, LAYOUTS, "layout")
        _choice(self.w_layout, W_LAYOUTS, "w_layout")
        _choice(self.l2_on, L2_ON, "l2_on")
        _choice(self.relu_grad_at_zero, (0.0, 0.5, 1.0), "relu_grad_at_zero")
        l2_coefficient(self.l2)

    def columns(self, M: np.ndarray) -> np.ndarray:
        """A batch array between this layout and the column convention (samples in columns):
        transposed for samples in rows. The same transpose goes either way."""
        return columns(M, self.layout)

    def out_in(self, W: np.ndarray) -> np.ndarray:
        """A weight array between this layout and (n_out, n_in): transposed for "in_out"."""
        return out_in(W, self.w_layout)

    def encode_targets(self, T: np.ndarray, n_out: int) -> np.ndarray:
        """Targets as the loss reads them, (n_out, N) columns, from class labels (N,) or columns:
        labels become one-hot columns for cross-entropy, and 0/1 become ±1 for the hinge. The
        scalar losses' rule and checks (``nn.losses.target_rows``), on columns."""
        return target_rows(self.loss, T if T.ndim == 1 else T.T, T.shape[-1], n_out).T


@dataclass(frozen=True)
class Preset:
    """A source's formulation: the network it uses, its conventions, its default layer sizes
    (so a preset runs on its own), and the notation its text uses (``nn.notation``)."""

    description: str
    hidden: str | None  # None: any hidden activation
    output: str
    bias: bool
    conventions: Conventions
    sizes: tuple[int, ...]
    notation: str = "ours"
    activation: str = "tanh"  # the hidden activation used when ``hidden`` is None


PRESETS: dict[str, Preset] = {
    "nielsen": Preset(
        "Nielsen, ch. 2: sigmoid everywhere, biases, ½ quadratic cost averaged over the batch (BP1-BP4)",
        "sigmoid",
        "sigmoid",
        True,
        Conventions(loss="mse", reduction="mean", mse_half=True),
        (2, 3, 1),
        "nielsen",
    ),
    "no_bias_sigmoid": Preset(
        "the matrix-perspective article: sigmoid, no biases, squared error; gradients δ^l (a^{l-1})^T",
        "sigmoid",
        "sigmoid",
        False,
        Conventions(loss="mse", reduction="mean", mse_half=False),
        (3, 4, 4, 2),
    ),
    "no_bias_linear": Preset(
        "the matrix-perspective article's network without activation functions: linear layers, no biases, "
        "squared error",
        "linear",
        "linear",
        False,
        Conventions(loss="mse", reduction="mean", mse_half=False),
        (3, 4, 4, 2),
    ),
    "neuron_chain": Preset(
        "one neuron per layer (3Blue1Brown's chain): sigmoid, biases, C₀ = (a^(L) − y)², averaged over the examples",
        "sigmoid",
        "sigmoid",
        True,
        Conventions(loss="mse", reduction="mean", mse_half=False),
        (1, 1, 1, 1),
        "chain",
    ),
    "udl_relu": Preset(
        "Understanding Deep Learning, 7.4: ReLU hidden, linear output, sum of squares, per-sample gradients "
        "summed, I[z > 0]",
        "relu",
        "linear",
        True,
        Conventions(loss="mse", reduction="sum", mse_half=False, relu_grad_at_zero=0.0),
        (1, 6, 6, 6, 6, 6, 1),
        "udl",
    ),
    "udl_notebook": Preset(
        "the UDL notebook 7.2 as stored upstream (commit 259f34e): udl_relu with indicator_function "
        "I[z ≥ 0], that is ReLU'(0) = 1",
        "relu",
        "linear",
        True,
        Conventions(loss="mse", reduction="sum", mse_half=False, relu_grad_at_zero=1.0),
        (1, 6, 6, 6, 6, 6, 1),
        "udl_book",
    ),
    "softmax_ce": Preset(
        "softmax output with cross-entropy, the batch loss a sum over its samples: δ^L = softmax(z^L) - onehot(y)",
        None,
        "linear",
        True,
        Conventions(loss="cross_entropy", reduction="sum", fused=True),
        (2, 2, 2),
        "primes",
        "sigmoid",
    ),
    "micrograd": Preset(
        "micrograd's demo: ReLU hidden, linear output, max-margin loss + 1e-4 L2 on all parameters",
        "relu",
        "linear",
        True,
        Conventions(loss="hinge", reduction="mean", l2=1e-4, l2_on="all"),
        (2, 16, 16, 1),
        "micrograd",
    ),
}


def conventions_for(preset: str | None = None, **overrides: Any) -> Conventions:
    """A preset's conventions (or the defaults), with some fields replaced."""
    base = Conventions() if preset is None else preset_named(preset).conventions
    unknown = set(overrides) - {f.name for f in fields(Conventions)}
    if unknown:
        raise TypeError(f"unknown convention(s) {sorted(unknown)}; known: {[f.name for f in fields(Conventions)]}")
    return replace(base, **{k: v for k, v in overrides.items() if v is not None})


def preset_named(name: str) -> Preset:
    if name not in PRESETS:
        raise ValueError(f"preset: expected one of {', '.join(PRESETS)}, got {short(name)}")
    return PRESETS[name]


def preset_mlp(name: str, sizes: Sequence[int] | None = None, activation: str | None = None, seed: int = 0) -> MLP:
    """An MLP with the network a preset needs, of the preset's default sizes unless ``sizes`` are
    given (``activation`` is used where the preset allows any hidden activation)."""
    p = preset_named(name)
    sizes = p.sizes if sizes is None else sizes
    return MLP(
        sizes[0],
        list(sizes[1:]),
        activation=p.hidden or activation or p.activation,
        output_activation=p.output,
        bias=p.bias,
        seed=seed,
    )


@dataclass
class Param:
    """A weight matrix or bias vector with its gradient: what the optimizers update."""

    name: str
    data: np.ndarray
    grad: np.ndarray = field(default_factory=lambda: np.zeros(0))


@dataclass
class Gradients:
    """The result of one backward pass (lists indexed from layer 1, as ``weights``), and its steps."""

    loss: float
    delta: list[np.ndarray]  # δ^l, in the model's sample layout
    dW: list[np.ndarray]  # ∂C/∂W^l, in the model's weight layout
    db: list[np.ndarray] | None  # ∂C/∂b^l, or None without biases
    steps: list[Step] = field(default_factory=list, repr=False)  # backward_steps, as they ran


class MatrixMLP:
    """An MLP as numpy arrays, trained and differentiated with the four backprop equations.

    ``MatrixMLP.from_mlp(model)`` copies a Value-graph MLP exactly; ``.to_mlp()`` goes back.
    ``forward(X)`` keeps ``z`` and ``a`` for the batch; ``backward(Y)`` returns ``Gradients``.
    """

    def __init__(
        self,
        weights: Sequence[np.ndarray],
        biases: Sequence[np.ndarray] | None,
        activations: Sequence[str],
        conventions: Conventions | None = None,
        **overrides: Any,
    ):
        self.conventions = conventions_for(**overrides) if conventions is None else replace(conventions, **overrides)
        if len(weights) == 0 or len(activations) != len(weights):
            raise ValueError(f"expected one activation per weight matrix, got {len(activations)} and {len(weights)}")
        self.activations = [activation_named(f).name for f in activations]
        self.weights = [np.array(W, dtype=np.float64) for W in weights]
        self.sizes = self._check_weights()
        self.biases = None if biases is None else self._check_biases(biases)
        self.z: list[np.ndarray] = []  # z^1..z^L of the last forward pass, in the layout of the conventions
        self.a: list[np.ndarray] = []  # a^0 = x, a^1..a^L, likewise
        self._z: list[np.ndarray] = []  # the same in the column convention, where the equations are computed
        self._a: list[np.ndarray] = []
        self._targets_memo: tuple[Any, np.ndarray] | None = None  # (Y, its columns) within one backward

    # ---- construction ----------------------------------------------------------------------
    @classmethod
    def from_mlp(
        cls, mlp: MLP, preset: str | None = None, conventions: Conventions | None = None, **overrides: Any
    ) -> MatrixMLP:
        """The same network as arrays, copied exactly.

        Conventions come from ``conventions``, or from ``preset`` (which also checks that the
        network fits it), with keyword overrides: ``from_mlp(model, "nielsen", layout="rows")``.
        """
        if conventions is not None and preset is not None:
            raise TypeError("from_mlp: give a preset or conventions, not both")
        conv = replace(conventions, **overrides) if conventions is not None else conventions_for(preset, **overrides)
        if preset is not None:
            check_network(mlp, preset)
        Ws, bs = mlp.matrices()
        if conv.w_layout == "in_out":
            Ws = [W.T.copy() for W in Ws]
        return cls(Ws, bs, mlp.activations, conv)

    def to_mlp(self) -> MLP:
        """A Value-graph MLP with exactly these weights."""
        hidden = self.activations[0] if len(self.activations) > 1 else "linear"
        if len(set(self.activations[:-1])) > 1:
            raise ValueError(f"an MLP has one hidden activation; this network has {self.activations[:-1]}")
        mlp = MLP(
            self.sizes[0],
            self.sizes[1:],
            activation=hidden,
            output_activation=self.activations[-1],
            bias=self.biases is not None,
        )
        mlp.set_matrices([self.weight(l) for l in range(1, len(self.weights) + 1)], self.biases)
        return mlp

    def parameters(self) -> list[Param]:
        """W1, b1, W2, b2, ...: views of the arrays, with ``grad`` filled by ``backward``."""
        if not hasattr(self, "_params"):
            self._params = []
            for l, W in enumerate(self.weights):
                self._params.append(Param(labels.weight_matrix(l + 1), W, np.zeros_like(W)))
                if self.biases is not None:
                    b = self.biases[l]
                    self._params.append(Param(labels.bias_vector(l + 1), b, np.zeros_like(b)))
        return self._params

    # ---- the forward pass --------------------------------------------------------------------
    def forward(self, X: np.ndarray) -> np.ndarray:
        """a^L for a batch X ((n_in, N) in columns, (N, n_in) in rows); keeps every z^l and a^l.

        Raises OverflowError naming the layer when z^l leaves the float range (or names the
        weight or bias that is not finite), as the scalar engine does: never a silent nan.
        """
        A = self._samples(X, self.sizes[0], "X")
        if not _finite(A):
            raise ValueError("X: expected finite numbers, got nan or inf")
        self._a, self._z = [A], []
        for l, f in enumerate(self.activations):
            with np.errstate(over="ignore", invalid="ignore"):  # checked just below, by name
                Z = self.weight(l + 1) @ A
                if self.biases is not None:
                    Z += self.biases[l][:, None]
            if not _finite(Z):
                raise self._overflow(l, "z", "forward")
            A = ACTIVATIONS[f].f(Z)
            self._z.append(Z)
            self._a.append(A)
        self.z = [self.conventions.columns(Z) for Z in self._z]
        self.a = [self.conventions.columns(A) for A in self._a]
        return self.a[-1]

    def loss(self, Y: Any) -> float:
        """The cost C of the last forward pass against targets Y (penalty included).

        Raises OverflowError when it leaves the float range.
        """
        with np.errstate(over="ignore", invalid="ignore"):
            total = self._loss(Y)
        if not math.isfinite(total):
            raise OverflowError("the loss overflowed the float range")
        return total

    def _loss(self, Y: Any) -> float:
        c = self.conventions
        Z, T = self._z[-1], self.targets(Y)
        n = Z.shape[1]
        if c.loss == "mse":
            per = np.sum((self._a[-1] - T) ** 2, axis=0) * (0.5 if c.mse_half else 1.0)
        elif c.loss == "cross_entropy":
            m = Z.max(axis=0)
            per = m + np.log(np.exp(Z - m).sum(axis=0)) - np.sum(T * Z, axis=0)
        elif c.loss == "binary_cross_entropy":
            per = (np.maximum(Z, 0) - T * Z + np.log1p(np.exp(-np.abs(Z))))[0]
        else:
            per = np.maximum(0.0, 1.0 - T * Z)[0]
        total = float(per.sum()) if c.reduction == "sum" else float(per.sum() / n)
        return total + c.l2 * sum(float(np.sum(p.data * p.data)) for p in self._penalized())

    # ---- the backward pass: the four equations ---------------------------------------------
    def backward_steps(self, Y: Any) -> Iterator[Step]:
        """The backward pass of the last forward() against targets Y, one equation at a time.

        BP1  δ^L = ∂C/∂a^L ⊙ f_L'(z^L)        (fused for softmax+CE, sigmoid+BCE: (a^L - y) / N)
        BP3  ∂C/∂b^l = Σ_n δ^l[:, n]            (+ 2λ b^l with an L2 penalty on "all" parameters)
        BP4  ∂C/∂W^l = δ^l (a^{l-1})^T          (+ 2λ W^l with an L2 penalty)
        BP2  δ^{l-1} = ((W^l)^T δ^l) ⊙ f_{l-1}'(z^{l-1})
        In this order: BP1 at the output layer L, then BP3, BP4 and BP2 for l = L, ..., 1 (no BP3
        without biases, no BP2 below layer 1). This is the one place the equations are written:
        ``backward`` runs these steps, and the layer stepper and the comparison report show them.

        The equations are computed in the column convention; each step's ``result`` (and its
        ``operands``, computed when first asked for) are in the layout of the conventions. A
        quantity that leaves the float range raises OverflowError naming it and its layer.
        """
        if not self.z:
            raise RuntimeError("backward() needs a forward() first")
        c, L = self.conventions, len(self.weights)
        mine = self._targets_memo is None or self._targets_memo[0] is not Y
        if mine:  # BP1 (and backward's loss) read Y: convert it once
            self._targets_memo = (Y, self._convert_targets(Y))
        try:
            Z, A = self._z[-1], self._a[-1]
            D = self.output_delta(Y)  # BP1
            steps = [self._step("BP1", L, D, self.targets(Y), Z, A)]
            with _quiet():  # each result is checked, by name, as its step is made
                for l in range(L, 0, -1):
                    A = self._a[l - 1]
                    if self.biases is not None:
                        db = D.sum(axis=1)  # BP3
                        if c.l2 and c.l2_on == "all":
                            db = db + 2.0 * c.l2 * self.biases[l - 1]
                        steps.append(self._step("BP3", l, db, D))
                    dW = D @ A.T  # BP4
                    if c.l2:
                        dW = dW + 2.0 * c.l2 * self.weight(l)
                    steps.append(self._step("BP4", l, dW, D, A))
                    if l > 1:
                        back = self.weight(l).T @ D  # (W^l)^T δ^l, that is ∂C/∂a^{l-1}
                        fp = self.f_prime(l - 1)
                        steps.append(self._step("BP2", l - 1, back * fp, self.weight(l), D, back, fp))
                        D = steps[-1].column
        finally:
            if mine:
                self._targets_memo = None
        yield from steps

    def backward(self, Y: Any) -> Gradients:
        """δ^l, ∂C/∂W^l and ∂C/∂b^l for every layer, from the last forward pass and targets Y:
        the steps of ``backward_steps``, run. The grads also land on ``parameters()``."""
        if not self.z:
            raise RuntimeError("backward() needs a forward() first")
        self._targets_memo = (Y, self._convert_targets(Y))
        try:
            steps = list(self.backward_steps(Y))
            loss = self.loss(Y)
        finally:
            self._targets_memo = None
        found = {(step.quantity, step.layer): step.result for step in steps}
        layers = range(1, len(self.weights) + 1)
        grads = Gradients(
            loss,
            [found["delta", l] for l in layers],
            [found["dW", l] for l in layers],
            None if self.biases is None else [found["db", l] for l in layers],
            steps,
        )
        self._store_grads(grads)
        return grads

    def update_steps(self, grads: Gradients, lr: float, biases: bool = True) -> list[Step]:
        """One step of gradient descent, as equations: W^l ← W^l − η ∂C/∂W^l (and b^l likewise,
        unless ``biases`` is False, as in Mazur's worked example), for l = L, ..., 1, from the
        gradients of ``backward``. Each step's result is the new W^l or b^l, computed as ``SGD``
        computes it (``p.data -= lr * p.grad``), bit for bit; the model is not changed."""
        lr = _learning_rate(lr)
        c, steps = self.conventions, []
        for l in range(len(self.weights), 0, -1):
            dW = c.out_in(grads.dW[l - 1])
            with _quiet():
                W = self.weight(l) - lr * dW
            steps.append(self._update("W", l, W, lr, self.weight(l), dW))
            if biases and self.biases is not None and grads.db is not None:
                with _quiet():
                    b = self.biases[l - 1] - lr * grads.db[l - 1]
                steps.append(self._update("b", l, b, lr, self.biases[l - 1], grads.db[l - 1]))
        return steps

    def _update(self, quantity: str, l: int, new: np.ndarray, lr: float, old: np.ndarray, grad: np.ndarray) -> Step:
        """An update step: ``new`` (columns), from ``old`` and ``grad`` (columns) at rate ``lr``."""
        _checked(new, l, quantity)
        laid_out = self.conventions.out_in(new) if quantity == "W" else new

        def explain() -> tuple[tuple[Operand, ...], str]:
            named = [(f"{quantity}{sup(l)}", quantity, l, old), (f"∂C/∂{quantity}{sup(l)}", f"d{quantity}", l, grad)]
            return self._operands(named), update_formula(quantity, l, lr)

        return Step("update", l, quantity, laid_out, new, explain)

    def output_delta(self, Y: Any) -> np.ndarray:
        """BP1 in the column convention: δ^L = ∂C/∂z^L for the batch, shape (n_L, N).

        ``backward_steps`` takes BP1 from here, so a subclass can change it (to reproduce a
        mistake, say).
        """
        return self._output_error(self.targets(Y), self._z[-1], self._a[-1])[0]

    def _output_error(self, T: np.ndarray, Z: np.ndarray, A: np.ndarray) -> tuple[np.ndarray, list[_Named]]:
        """δ^L from targets T, z^L and a^L (columns), and what it is computed from, by name."""
        c, L = self.conventions, len(self.weights)
        s = sup(L)
        scale = 1.0 / Z.shape[1] if c.reduction == "mean" else 1.0
        named: list[_Named]
        with _quiet():
            if c.loss in ("mse", "hinge"):
                fp = ACTIVATIONS[self.activations[-1]].df(Z, c.relu_grad_at_zero)
                if c.loss == "mse":
                    grad_a = (A - T) * ((1.0 if c.mse_half else 2.0) * scale)
                    named = [(f"a{s}", "a", L, A), ("y", "y", L, T)]
                else:
                    margin = 1.0 - T * Z
                    grad_a = np.where(margin > 0, -T, 0.0) * scale
                    named = [("y", "y", L, T), (f"1 − y ⊙ z{s}", "margin", L, margin)]
                return grad_a * fp, [*named, (f"∂C/∂a{s}", "dCda", L, grad_a), (f"f′(z{s})", "fp", L, fp)]
            if c.loss == "cross_entropy":
                P = np.exp(Z - Z.max(axis=0))
                P /= P.sum(axis=0)
                named = [(f"softmax(z{s})", "p", L, P), ("y", "y", L, T)]
                if c.fused:
                    return (P - T) * scale, named
                grad_p = _divide(-T * scale, P, "the unfused softmax δ divides by softmax(z), which underflowed to 0")
                return P * (grad_p - np.sum(P * grad_p, axis=0)), [*named, (f"∂C/∂p{s}", "dCdp", L, grad_p)]  # J^T g
            S = ACTIVATIONS["sigmoid"].f(Z)  # binary cross-entropy on the logit
            named = [(f"σ(z{s})", "p", L, S), ("y", "y", L, T)]
            if c.fused:
                return (S - T) * scale, named
            slope = S * (1.0 - S)
            grad_s = _divide((S - T) * scale, slope, "the unfused sigmoid δ divides by σ(1 - σ), which underflowed")
            return grad_s * slope, [*named, (f"∂C/∂σ{s}", "dCdp", L, grad_s), (f"σ′(z{s})", "fp", L, slope)]

    def _step(self, equation: str, layer: int, column: np.ndarray, *arrays: np.ndarray) -> Step:
        """A step from its result in the column convention (checked to be finite, laid out as the
        conventions say), and the arrays it was computed from, to be named when they are asked for."""
        c = self.conventions
        quantity = QUANTITIES[equation]
        _checked(column, layer, {"delta": "δ", "db": "∂C/∂b", "dW": "∂C/∂W"}[quantity])
        result = c.columns(column) if quantity == "delta" else c.out_in(column) if quantity == "dW" else column
        return Step(equation, layer, quantity, result, column, partial(self._explain, equation, layer, arrays))

    def _explain(self, equation: str, l: int, arrays: tuple[np.ndarray, ...]) -> tuple[tuple[Operand, ...], str]:
        """The operands of a step, by name and laid out as the conventions say, and its formula."""
        c = self.conventions
        named: list[_Named]
        if equation == "BP1":
            named = self._output_error(*arrays)[1]
        elif equation == "BP3":
            named = [(f"δ{sup(l)}", "delta", l, arrays[0])]
        elif equation == "BP4":
            named = [(f"δ{sup(l)}", "delta", l, arrays[0]), (f"a{sup(l - 1)}", "a" if l > 1 else "x", l - 1, arrays[1])]
        else:  # BP2, down from layer l + 1
            W, D, back, fp = arrays
            u = l + 1
            named = [(f"W{sup(u)}", "W", u, W), (f"δ{sup(u)}", "delta", u, D)]
            named += [(back_symbol(u, c), "back", l, back), (f"f′(z{sup(l)})", "fp", l, fp)]
        return self._operands(named), formula(equation, l, c, self._z[-1].shape[1])

    def _operands(self, named: list[_Named]) -> tuple[Operand, ...]:
        """Arrays of the column convention, with what they are, laid out as the conventions say."""
        c, samples = self.conventions, 0 if self.conventions.layout == "rows" else 1
        return tuple(
            Operand(symbol, c.out_in(M), None, q, l) if q in ("W", "dW") else
            Operand(symbol, M, None, q, l) if q in ("b", "db") else
            Operand(symbol, c.columns(M), samples, q, l)
            for symbol, q, l, M in named
        )  # fmt: skip

    # ---- helpers ---------------------------------------------------------------------------------
    def _overflow(self, l: int, quantity: str, where: str) -> Exception:
        """The error for layer l+1's ``quantity`` gone out of the float range: a parameter that is
        not finite (set by hand, or by an optimizer step that overflowed) is named first."""
        params = [("W", self.weights[l])] + ([("b", self.biases[l])] if self.biases is not None else [])
        for name, arr in params:
            if not _finite(arr):
                return OverflowError(
                    f"{name}^{l + 1} is not finite (set by hand, or by an optimizer step that overflowed)"
                )
        return OverflowError(f"{quantity}^{l + 1} overflowed the float range in the {where} pass")

    def weight(self, l: int) -> np.ndarray:
        """W^l (l from 1) as (n_l, n_{l-1}), whatever the layout it is stored in."""
        return self.conventions.out_in(self.weights[l - 1])

    def f_prime(self, l: int) -> np.ndarray:
        """f_l'(z^l) of the last forward pass (l from 1), in the column convention."""
        z = self._z[l - 1]
        return ACTIVATIONS[self.activations[l - 1]].df(z, self.conventions.relu_grad_at_zero)

    def _penalized(self) -> list[Param]:
        ps = self.parameters()
        if self.conventions.l2_on == "all":
            return ps
        return [p for p in ps if any(p.data is W for W in self.weights)]

    def _store_grads(self, grads: Gradients) -> None:
        it = iter(self.parameters())
        for l in range(len(self.weights)):
            next(it).grad = grads.dW[l]
            if grads.db is not None:
                next(it).grad = grads.db[l]

    def _samples(self, X: Any, width: int, name: str) -> np.ndarray:
        """X as an (n, N) column batch, after checking its shape (no broadcasting of 1-D arrays)."""
        X = np.asarray(X, dtype=np.float64)
        rows = self.conventions.layout == "rows"
        expected = f"(N, {width})" if rows else f"({width}, N)"
        if X.ndim != 2:
            layout = self.conventions.layout
            raise ValueError(f"{name}: expected a 2-D array of shape {expected} ({layout} layout), got shape {X.shape}")
        if X.shape[1 if rows else 0] != width:
            raise ValueError(f"{name}: expected shape {expected} ({self.conventions.layout} layout), got {X.shape}")
        return self.conventions.columns(X)

    def targets(self, Y: Any) -> np.ndarray:
        """Targets Y (in the layout of the conventions) as (n_L, N) columns: class labels (N,)
        become one-hot columns for cross-entropy, 0/1 become ±1 for the hinge."""
        if self._targets_memo is not None and self._targets_memo[0] is Y:
            return self._targets_memo[1]
        return self._convert_targets(Y)

    def _convert_targets(self, Y: Any) -> np.ndarray:
        n_out, N = self.sizes[-1], self._z[-1].shape[1]
        Y = np.asarray(Y)
        if self.conventions.loss == "cross_entropy" and Y.ndim == 1:
            valid = (Y >= 0) & (Y < n_out) & np.equal(np.round(Y), Y)
            if Y.shape != (N,) or not np.all(valid):
                raise ValueError(f"Y: expected {N} class labels in 0..{n_out - 1}, got shape {Y.shape}")
            return self.conventions.encode_targets(Y, n_out)
        T = self._samples(Y, n_out, "Y")
        if T.shape[1] != N:
            raise ValueError(f"Y: expected {N} samples (as in the last forward), got {T.shape[1]}")
        return self.conventions.encode_targets(T, n_out)

    def _check_weights(self) -> list[int]:
        sizes: list[int] = []
        for l, W in enumerate(self.weights):
            if W.ndim != 2:
                raise ValueError(f"weights[{l}]: expected a 2-D array, got shape {W.shape}")
            n_out, n_in = W.shape if self.conventions.w_layout == "out_in" else W.shape[::-1]
            if sizes and n_in != sizes[-1]:
                want = (n_out, sizes[-1]) if self.conventions.w_layout == "out_in" else (sizes[-1], n_out)
                raise ValueError(f"weights[{l}]: expected shape {want} to follow the previous layer, got {W.shape}")
            sizes = sizes or [n_in]
            sizes.append(n_out)
        return sizes

    def _check_biases(self, biases: Sequence[np.ndarray]) -> list[np.ndarray]:
        if len(biases) != len(self.weights):
            raise ValueError(f"expected one bias vector per layer ({len(self.weights)}), got {len(biases)}")
        out = []
        for l, b in enumerate(biases):
            b = np.array(b, dtype=np.float64)
            if b.shape != (self.sizes[l + 1],):
                raise ValueError(f"biases[{l}]: expected shape ({self.sizes[l + 1]},), got {b.shape}")
            out.append(b)
        return out

    def __repr__(self) -> str:
        layers = " → ".join([str(self.sizes[0])] + [f"{n} {f}" for n, f in zip(self.sizes[1:], self.activations)])
        return f"MatrixMLP({layers}{'' if self.biases is not None else ', no bias'}; {self.conventions})"


def _finite(M: np.ndarray) -> bool:
    return bool(np.isfinite(M).all())


def _checked(M: np.ndarray, l: int, quantity: str) -> np.ndarray:
    """M, after making sure the backward pass kept layer l's ``quantity`` in the float range."""
    if not _finite(M):
        raise OverflowError(f"{quantity}^{l} overflowed the float range in the backward pass")
    return M


_Named = tuple[str, str, int, np.ndarray]  # an operand in the column convention: symbol, quantity, layer, array


def _learning_rate(lr: Any) -> float:
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not lr > 0 or not math.isfinite(lr):
        raise ValueError(f"lr: expected a positive finite number, got {short(lr)}")
    return float(lr)


def _quiet() -> np.errstate:
    """Overflow and invalid operations pass silently: each result is checked by name just after."""
    return np.errstate(over="ignore", invalid="ignore")


def _divide(numerator: np.ndarray, denominator: np.ndarray, why: str) -> np.ndarray:
    """numerator / denominator, or FloatingPointError(why + "; use fused=True") on a zero."""
    with np.errstate(divide="raise", invalid="raise"):
        try:
            return numerator / denominator
        except FloatingPointError:
            raise FloatingPointError(f"{why}; use fused=True") from None


def check_network(mlp: MLP, preset: str) -> None:
    """Raise ValueError when ``mlp`` is not the network ``preset`` needs (its activations, biases)."""
    p = preset_named(preset)
    hidden = mlp.activations[:-1]
    problems = []
    if p.hidden is not None and any(f != p.hidden for f in hidden):
        problems.append(f"hidden activation {p.hidden} (this MLP has {mlp.activation})")
    if mlp.activations[-1] != p.output:
        problems.append(f"output activation {p.output} (this MLP has {mlp.activations[-1]})")
    if mlp.bias != p.bias:
        problems.append("biases" if p.bias else "no biases")
    if problems:
        raise ValueError(
            f"preset {preset!r} needs {', '.join(problems)}; build one with nn.matrix.preset_mlp({preset!r}, sizes)"
        )
