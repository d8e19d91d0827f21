"""The conventions on which sources differ, and a preset per source (docs/conventions.md).

``Conventions`` holds the choices (loss, reduction, the ½ in the squared error, sample and weight
layouts, ReLU'(0), fused output errors, L2); ``PRESETS`` one formulation per source, each with its
network and default sizes. The matrix view computes in one orientation, the textbooks' columns
with W^l of shape (n_l, n_{l-1}); ``Conventions.columns`` and ``Conventions.out_in`` are the one
conversion between that orientation and the layout a user chose (each is its own inverse).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from autograd_core.inputs import short
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

    def columns(self, M: np.ndarray) -> np.ndarray:
        """A batch array between this layout and the column convention (samples in columns):
        transposed for samples in rows. The same transpose goes either way."""
        return M.T if self.layout == "rows" else M

    def out_in(self, W: np.ndarray) -> np.ndarray:
        """A weight array between this layout and (n_out, n_in): transposed for "in_out"."""
        return W.T if self.w_layout == "in_out" else W

    def encode_targets(self, T: np.ndarray, n_out: int) -> np.ndarray:
        """Targets as the loss reads them, (n_out, N) columns, from class labels (N,) or columns:
        labels become one-hot columns for cross-entropy, and 0/1 become ±1 for the hinge."""
        if self.loss == "cross_entropy" and T.ndim == 1:
            return np.eye(n_out)[T.astype(np.int64)].T
        T = T.astype(np.float64)
        if self.loss == "hinge":
            labels = set(np.unique(T).tolist())
            if labels <= {0.0, 1.0} and not labels <= {1.0}:
                T = 2.0 * T - 1.0
        return T


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
            f"preset {preset!r} needs {', '.join(problems)}; "
            f"build one with nn.conventions.preset_mlp({preset!r}, sizes)"
        )
