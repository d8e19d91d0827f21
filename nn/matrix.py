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
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from autograd_core.inputs import short
from nn import labels
from nn.activations import ACTIVATIONS, activation_named
from nn.losses import LOSSES, l2_coefficient
from nn.module import MLP

LAYOUTS = ("columns", "rows")
W_LAYOUTS = ("out_in", "in_out")
L2_ON = ("weights", "all")


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
    """The result of one backward pass (lists indexed from layer 1, as ``weights``)."""

    loss: float
    delta: list[np.ndarray]  # δ^l, in the model's sample layout
    dW: list[np.ndarray]  # ∂C/∂W^l, in the model's weight layout
    db: list[np.ndarray] | None  # ∂C/∂b^l, or None without biases


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
        self.z: list[np.ndarray] = []
        self.a: list[np.ndarray] = []
        self._targets_in_backward: tuple[Any, np.ndarray] | None = None

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
            _check_network(mlp, preset)
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
        mlp.set_matrices([self._W(l) for l in range(len(self.weights))], self.biases)
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
        self.a, self.z = [A], []
        for l, f in enumerate(self.activations):
            with np.errstate(over="ignore", invalid="ignore"):  # checked just below, by name
                Z = self._W(l) @ A
                if self.biases is not None:
                    Z += self.biases[l][:, None]
            if not _finite(Z):
                raise self._overflow(l, "z", "forward")
            A = ACTIVATIONS[f].f(Z)
            self.z.append(Z)
            self.a.append(A)
        if self.conventions.layout == "rows":
            self.a = [A.T for A in self.a]
            self.z = [Z.T for Z in self.z]
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
        Z, T = self._column(self.z[-1]), self._targets(Y)
        c = self.conventions
        n = Z.shape[1]
        if c.loss == "mse":
            per = np.sum((self._column(self.a[-1]) - T) ** 2, axis=0) * (0.5 if c.mse_half else 1.0)
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
    def backward(self, Y: Any) -> Gradients:
        """δ^l, ∂C/∂W^l and ∂C/∂b^l for every layer, from the last forward pass and targets Y.

        BP1  δ^L = ∇_a C ⊙ f_L'(z^L)             (fused for softmax+CE, sigmoid+BCE: a - y)
        BP2  δ^l = ((W^{l+1})^T δ^{l+1}) ⊙ f_l'(z^l)
        BP3  ∂C/∂b^l = Σ_n δ^l[:, n]
        BP4  ∂C/∂W^l = δ^l (a^{l-1})^T
        With an L2 penalty λ Σ w², ∂C/∂W^l also gets 2λ W^l (and ∂C/∂b^l 2λ b^l on "all").
        """
        if not self.z:
            raise RuntimeError("backward() needs a forward() first")
        self._targets_in_backward = (Y, self._convert_targets(Y))
        try:
            return self._backward(Y)
        finally:
            self._targets_in_backward = None

    def _backward(self, Y: Any) -> Gradients:
        c = self.conventions
        L = len(self.weights)
        delta: list[np.ndarray] = [np.empty(0)] * L
        dW: list[np.ndarray] = [np.empty(0)] * L
        db: list[np.ndarray] = [np.empty(0)] * L
        with np.errstate(over="ignore", invalid="ignore"):  # each result is checked, by name
            D = self.output_delta(Y)  # BP1
            for l in range(L - 1, -1, -1):
                delta[l] = _checked(D, l, "δ")
                dW[l] = D @ self._column(self.a[l]).T  # BP4
                db[l] = D.sum(axis=1)  # BP3
                if l > 0:
                    D = (self._W(l).T @ D) * self._f_prime(l - 1)  # BP2
            if c.l2:
                for l in range(L):
                    dW[l] = dW[l] + 2.0 * c.l2 * self._W(l)
                    if c.l2_on == "all" and self.biases is not None:
                        db[l] = db[l] + 2.0 * c.l2 * self.biases[l]
        for l in range(L):
            _checked(dW[l], l, "∂C/∂W")
            _checked(db[l], l, "∂C/∂b")
        grads = Gradients(
            self.loss(Y),
            [d.T if c.layout == "rows" else d for d in delta],
            [g.T if c.w_layout == "in_out" else g for g in dW],
            db if self.biases is not None else None,
        )
        self._store_grads(grads)
        return grads

    def output_delta(self, Y: Any) -> np.ndarray:
        """BP1, in the column convention: δ^L = ∂C/∂z^L for the batch (shape (n_L, N))."""
        c = self.conventions
        Z, A, T = self._column(self.z[-1]), self._column(self.a[-1]), self._targets(Y)
        scale = 1.0 / Z.shape[1] if c.reduction == "mean" else 1.0
        if c.loss == "mse":
            grad_a = (A - T) * (1.0 if c.mse_half else 2.0)
            return grad_a * self._f_prime(len(self.z) - 1) * scale
        if c.loss == "hinge":
            return np.where(1.0 - T * Z > 0, -T, 0.0) * self._f_prime(len(self.z) - 1) * scale
        if c.loss == "cross_entropy":
            P = np.exp(Z - Z.max(axis=0))
            P /= P.sum(axis=0)
            if c.fused:
                return (P - T) * scale
            with np.errstate(divide="raise", invalid="raise"):
                try:
                    grad_p = -T / P  # ∇_p C; then the softmax Jacobian: J^T g = p ⊙ (g - p·g)
                except FloatingPointError:
                    raise FloatingPointError(
                        "the unfused softmax δ divides by softmax(z), which underflowed to 0; use fused=True"
                    ) from None
            return P * (grad_p - np.sum(P * grad_p, axis=0)) * scale
        S = ACTIVATIONS["sigmoid"].f(Z)  # binary cross-entropy on the logit
        if c.fused:
            return (S - T) * scale
        with np.errstate(divide="raise", invalid="raise"):
            try:
                grad_s = (S - T) / (S * (1.0 - S))  # ∇_σ C, then times σ'(z) = σ(1 - σ)
            except FloatingPointError:
                raise FloatingPointError(
                    "the unfused sigmoid δ divides by σ(1 - σ), which underflowed; use fused=True"
                ) from None
        return grad_s * (S * (1.0 - S)) * scale

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

    def _W(self, l: int) -> np.ndarray:
        """W^{l+1} in (n_out, n_in) orientation, whatever the storage layout."""
        return self.weights[l].T if self.conventions.w_layout == "in_out" else self.weights[l]

    def _f_prime(self, l: int) -> np.ndarray:
        """f'(z^{l+1}), in the column convention."""
        return ACTIVATIONS[self.activations[l]].df(self._column(self.z[l]), self.conventions.relu_grad_at_zero)

    def _column(self, M: np.ndarray) -> np.ndarray:
        return M.T if self.conventions.layout == "rows" else M

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
        return X.T if rows else X

    def _targets(self, Y: Any) -> np.ndarray:
        """Targets as (n_L, N) columns; class labels (N,) become one-hot columns for cross-entropy.

        Within one backward(), which reads Y for δ^L and again for the loss, it is converted once.
        """
        if self._targets_in_backward is not None and self._targets_in_backward[0] is Y:
            return self._targets_in_backward[1]
        return self._convert_targets(Y)

    def _convert_targets(self, Y: Any) -> np.ndarray:
        n_out, N = self.sizes[-1], self._column(self.z[-1]).shape[1]
        Y = np.asarray(Y)
        c = self.conventions
        if c.loss == "cross_entropy" and Y.ndim == 1:
            valid = (Y >= 0) & (Y < n_out) & np.equal(np.round(Y), Y)
            if Y.shape != (N,) or not np.all(valid):
                raise ValueError(f"Y: expected {N} class labels in 0..{n_out - 1}, got shape {Y.shape}")
            return np.eye(n_out)[Y.astype(np.int64)].T
        T = self._samples(Y, n_out, "Y")
        if T.shape[1] != N:
            raise ValueError(f"Y: expected {N} samples (as in the last forward), got {T.shape[1]}")
        if c.loss == "hinge":
            labels = set(np.unique(T).tolist())
            if labels <= {0.0, 1.0} and not labels <= {1.0}:
                T = 2.0 * T - 1.0
        return T

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
    """M, after making sure the backward pass kept layer l+1's ``quantity`` in the float range."""
    if not _finite(M):
        raise OverflowError(f"{quantity}^{l + 1} overflowed the float range in the backward pass")
    return M


def _check_network(mlp: MLP, preset: str) -> None:
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
