"""Name the mistake in a hand-written backprop by reproducing it.

Each classic mistake is a small change to the four equations (f′ left out of BP2, W for Wᵀ, the
δ of the next layer in BP4, ...). ``diagnose`` runs backprop once per mistake on the same forward
pass, in numpy, and reports the mistakes whose gradients equal the ones under test: a hint is
given only when the numbers are reproduced, never from a resemblance.

Everything here is in the column convention with W^l as (n_l, n_{l-1}); lists are indexed from
layer 1 (``Ws[0]`` is W^1), and ``a[0]`` is the input batch a^0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from nn.activations import ACTIVATIONS
from nn.matrix import Conventions

Tensors = dict[tuple[str, int], np.ndarray]  # ("dW", l) -> array, l counted from 1


@dataclass(frozen=True)
class Forward:
    """One forward pass and what backprop needs besides it."""

    Ws: list[np.ndarray]
    bs: list[np.ndarray] | None
    z: list[np.ndarray]  # z^1..z^L, (n_l, N)
    a: list[np.ndarray]  # a^0..a^L
    activations: list[str]
    T: np.ndarray  # targets (n_L, N); one-hot for cross-entropy, ±1 for the hinge
    delta_L: np.ndarray  # the correct δ^L
    conv: Conventions


@dataclass(frozen=True)
class Mistake:
    key: str
    text: str  # names the mistake and says what the equation should be


MISTAKES = {
    m.key: m
    for m in (
        Mistake(
            "dW_transposed",
            "matches after transposing: ∂C/∂W^l is δ^l (a^{l-1})ᵀ, of W^l's shape (n_l, n_{l-1}), not a^{l-1} (δ^l)ᵀ "
            "(or a W layout clash: (n_out, n_in) vs (n_in, n_out))",
        ),
        Mistake(
            "fprime_missing_bp2",
            "the activation derivative is missing in BP2: δ^l = ((W^{l+1})ᵀ δ^{l+1}) ⊙ f′(z^l), not (W^{l+1})ᵀ δ^{l+1}",
        ),
        Mistake("fprime_twice_bp2", "the activation derivative is applied twice in BP2: multiply by f′(z^l) once"),
        Mistake("fprime_missing_bp1", "the activation derivative is missing in BP1: δ^L = ∇_a C ⊙ f′(z^L)"),
        Mistake("fprime_twice_bp1", "the activation derivative is applied twice in BP1: δ^L = ∇_a C ⊙ f′(z^L), once"),
        Mistake(
            "fprime_at_a",
            "f′ is evaluated at a instead of z: use f′(z^l), not f′(a^l) = f′(f(z^l)) "
            "(for the sigmoid, σ′(z^l) = a^l (1 − a^l), which is not σ′(a^l))",
        ),
        Mistake(
            "W_not_transposed",
            "BP2 multiplies by W^{l+1} where it needs the transpose: δ^l = ((W^{l+1})ᵀ δ^{l+1}) ⊙ f′(z^l)",
        ),
        Mistake("sign", "every gradient has the wrong sign: ∇_a C is a − y, not y − a"),
        Mistake("constant_factor", "every gradient is off by one constant factor"),
        Mistake(
            "bp4_next_delta",
            "BP4 uses the δ of the wrong layer: ∂C/∂W^l = δ^l (a^{l-1})ᵀ with the same layer's δ^l, "
            "not δ^{l+1} (compute ∂C/∂W^l after BP2 has stepped down to layer l)",
        ),
        Mistake(
            "bp4_same_a",
            "BP4 uses the activations of the wrong layer: ∂C/∂W^l = δ^l (a^{l-1})ᵀ with the layer's input a^{l-1}, "
            "not its output a^l",
        ),
        Mistake(
            "bp4_output_a",
            "BP4 of the output layer uses its output a^L where it needs its input a^{L−1}: "
            "∂C/∂W^L = δ^L (a^{L−1})ᵀ (in Nielsen's code, activations[-2], not activations[-1])",
        ),
        Mistake(
            "bias_not_summed",
            "the bias gradient is not summed over the batch: ∂C/∂b^l = Σ_n δ^l[:, n], a vector of shape (n_l,)",
        ),
        Mistake(
            "bias_one_sample",
            "the bias gradient holds one sample's δ only (assigned, not accumulated): ∂C/∂b^l = Σ_n δ^l[:, n]",
        ),
        Mistake(
            "fused_fprime",
            "is off by a factor f'(z^L): the fused output error a − y multiplied by f'(z^L) again "
            "(softmax or sigmoid with cross-entropy: δ^L = a − y already holds the derivative)",
        ),
        Mistake("relu0", "differs only where z == 0: a ReLU'(0) convention clash"),
    )
}


def diagnose(fw: Forward, under_test: Tensors, n: int) -> list[tuple[Mistake, str]]:
    """The mistakes whose backprop reproduces ``under_test`` (a subset of δ, dW, db per layer),
    each with the hint text; empty when none does (or when the tensors are right)."""
    correct = _backprop(fw)
    assert correct is not None
    if _matches(under_test, correct):
        return []
    found: list[tuple[Mistake, str]] = []
    for key, extra, candidate in [*_candidates(fw, correct, n), _constant_factor(fw, correct, under_test, n)]:
        if candidate is None or _matches(candidate, correct, keys=under_test) or not _matches(under_test, candidate):
            continue
        wrong = [k for k in sorted(under_test, key=_order) if not _close(under_test[k], correct.get(k))]
        where = ", ".join(f"L{l} {q}" for q, l in wrong[:4]) + (" ..." if len(wrong) > 4 else "")
        mistake = MISTAKES[key]
        found.append((mistake, f"{where} {extra}" if key == "constant_factor" else f"{where}: {mistake.text}"))
    return found


def factor_causes(k: float, n: int, loss: str) -> str:
    """What a gradient off by the constant factor ``k`` could come from: the factor as measured,
    then every cause that gives it, none claimed (a learning rate of 0.1 with N = 10 looks just
    like a sum where a mean was meant)."""
    named, causes = [], []
    if n > 1 and (_near(k, n) or _near(k, 1.0 / n)):
        named.append(f"{'N' if k > 1 else '1/N'} (N={n})")
        causes.append("a sum over the batch where the conventions take the mean, or the other way round")
    if loss == "mse" and (_near(k, 2.0) or _near(k, 0.5)):
        named.append("2" if k > 1 else "½")
        causes.append("the ½ in the squared error (½‖a−y‖² gives δ^L = (a − y) ⊙ f′, ‖a−y‖² gives 2(a − y) ⊙ f′)")
    causes += ["a learning rate folded into the gradient (η ∂C/∂W returned for ∂C/∂W)", "a cost scaled by a constant"]
    factor = f"{k:.4g}" + "".join(f" ≈ {name}" for name in named)
    return f"is off by a constant factor {factor}: it could be " + "; or ".join(causes)


def _constant_factor(fw: Forward, correct: Tensors, under_test: Tensors, n: int) -> tuple[str, str, Tensors | None]:
    """Every tensor under test k times the correct one (the L2 penalty's gradient taken out, or
    not), for one k other than 1 and -1 (that is the sign), with the text that says so."""
    penalty = _penalty(fw)
    for plain in (True, False):
        data = {key: v - penalty.get(key, 0.0) if plain else v for key, v in correct.items()}
        k = _ratio(under_test, data, penalty if plain else {})
        if k is not None and not (_near(k, 1.0) or _near(k, -1.0)):
            scaled = {key: k * v + (penalty.get(key, 0.0) if plain else 0.0) for key, v in data.items()}
            if _matches(under_test, scaled):
                return "constant_factor", factor_causes(k, n, fw.conv.loss), scaled
    return "constant_factor", "", None


def _ratio(under_test: Tensors, data: Tensors, penalty: Tensors) -> float | None:
    """under_test / data at the largest entry of data (the penalty taken out), or None."""
    best, k = 0.0, None
    for key, x in under_test.items():
        d = data.get(key)
        if d is None or d.shape != x.shape or not d.size:
            return None
        i = int(np.argmax(np.abs(d)))
        if abs(d.flat[i]) > best:
            best, k = abs(d.flat[i]), float((x - penalty.get(key, 0.0)).flat[i] / d.flat[i])
    return k if k is not None and np.isfinite(k) else None


def _near(x: float, target: float) -> bool:
    return abs(x - target) <= 1e-6 * abs(target)


# ---- the candidates ---------------------------------------------------------------------------
def _candidates(fw: Forward, correct: Tensors, n: int) -> list[tuple[str, str, Tensors | None]]:
    c = fw.conv
    penalty = _penalty(fw)
    data = {k: v - penalty.get(k, 0.0) for k, v in correct.items()}

    def scaled(k: float) -> Tensors:
        return {key: k * v + penalty.get(key, 0.0) for key, v in data.items()}

    out: list[tuple[str, str, Tensors | None]] = [
        ("dW_transposed", "", _backprop(fw, bp4="transposed")),
        ("fprime_missing_bp2", "", _backprop(fw, bp2_f="none")),
        ("fprime_twice_bp2", "", _backprop(fw, bp2_f="twice")),
        ("fprime_at_a", "", _backprop(fw, bp1="at_a", bp2_f="at_a")),
        ("fprime_at_a", "", _backprop(fw, bp2_f="at_a")),
        ("fprime_at_a", "", _backprop(fw, bp1="at_a")),
        ("W_not_transposed", "", _backprop(fw, bp2_W="W")),
        ("bp4_next_delta", "", _backprop(fw, bp4="next_delta")),
        ("bp4_next_delta", "", _backprop(fw, bp4="next_delta", bp3="next_delta")),
        ("bp4_same_a", "", _backprop(fw, bp4="same_a")),
        ("bp4_output_a", "", _backprop(fw, bp4="output_a")),
        ("bias_not_summed", "", _backprop(fw, bp3="none")),
        ("bias_one_sample", "", _backprop(fw, bp3="last")),
        ("bias_one_sample", "", _backprop(fw, bp3="first")),
        ("sign", "", scaled(-1.0)),
    ]
    if c.loss in ("mse", "hinge"):
        out += [
            ("fprime_missing_bp1", "", _backprop(fw, bp1="none")),
            ("fprime_missing_bp1", "", _backprop(fw, bp1="none", bp2_f="none")),
            ("fprime_twice_bp1", "", _backprop(fw, bp1="twice")),
            ("fprime_twice_bp1", "", _backprop(fw, bp1="twice", bp2_f="twice")),
        ]
    else:
        out.append(("fused_fprime", "", _backprop(fw, bp1="fused_fprime")))
    relu_zeros = any(f == "relu" and np.any(z == 0.0) for f, z in zip(fw.activations, fw.z))
    if relu_zeros:
        for r in (0.0, 0.5, 1.0):
            if r != c.relu_grad_at_zero:
                extra = f"(ReLU'(0) = {r:g} here, {c.relu_grad_at_zero:g} in the conventions) "
                out.append(("relu0", extra, _backprop(fw, relu0=r)))
    return out


def _backprop(
    fw: Forward,
    *,
    bp1: str = "ok",
    bp2_f: str = "ok",
    bp2_W: str = "T",
    bp3: str = "sum",
    bp4: str = "ok",
    relu0: float | None = None,
) -> Tensors | None:
    """BP1-BP4 with one deliberate change (None when that change does not fit the shapes)."""
    L = len(fw.Ws)
    r0 = fw.conv.relu_grad_at_zero if relu0 is None else relu0

    def fprime(l: int, mode: str) -> np.ndarray | float:  # f'(z^{l+1})
        act, Z, A = ACTIVATIONS[fw.activations[l]], fw.z[l], fw.a[l + 1]
        d = act.df(Z, r0)
        if mode == "none":
            return 1.0
        if mode == "twice":
            return d * d
        if mode == "at_a":
            return act.df(A, r0)
        return d

    try:
        D = _output_delta(fw, bp1, fprime, relu0)
        deltas = [np.empty(0)] * L
        for l in range(L - 1, -1, -1):
            deltas[l] = D
            if l > 0:
                W = fw.Ws[l].T if bp2_W == "T" else fw.Ws[l]
                D = (W @ D) * fprime(l - 1, bp2_f)
        out: Tensors = {}
        for l in range(L):
            out[("delta", l + 1)] = deltas[l]
            d_for_W = deltas[l + 1] if bp4 == "next_delta" and l < L - 1 else deltas[l]
            a_in = fw.a[l + 1] if bp4 == "same_a" or (bp4 == "output_a" and l == L - 1) else fw.a[l]
            dW = d_for_W @ a_in.T
            out[("dW", l + 1)] = dW.T if bp4 == "transposed" else dW
            if fw.bs is not None:
                d_for_b = deltas[l + 1] if bp3 == "next_delta" and l < L - 1 else deltas[l]
                out[("db", l + 1)] = {"none": d_for_b, "last": d_for_b[:, -1], "first": d_for_b[:, 0]}.get(
                    bp3, d_for_b.sum(axis=1)
                )
    except ValueError:  # matmul: this mistake needs shapes this network does not have
        return None
    for key, p in _penalty(fw).items():
        if out[key].shape == p.shape:
            out[key] = out[key] + p
    return out


def _output_delta(fw: Forward, bp1: str, fprime: Callable[[int, str], Any], relu0: float | None) -> np.ndarray:
    c, L = fw.conv, len(fw.Ws)
    Z, A, T = fw.z[-1], fw.a[-1], fw.T
    scale = 1.0 / Z.shape[1] if c.reduction == "mean" else 1.0
    if c.loss in ("cross_entropy", "binary_cross_entropy"):
        if bp1 != "fused_fprime":
            return fw.delta_L
        if c.loss == "binary_cross_entropy":
            return fw.delta_L * ACTIVATIONS["sigmoid"].df(Z, 0.0)
        P = np.exp(Z - Z.max(axis=0))
        P /= P.sum(axis=0)
        return fw.delta_L * P * (1.0 - P)
    if bp1 == "ok" and relu0 is None:
        return fw.delta_L
    mse = c.loss == "mse"
    grad_a = (A - T) * (1.0 if c.mse_half else 2.0) if mse else np.where(1.0 - T * Z > 0, -T, 0.0)
    return grad_a * fprime(L - 1, bp1) * scale


def _penalty(fw: Forward) -> Tensors:
    c = fw.conv
    if not c.l2:
        return {}
    out = {("dW", l + 1): 2.0 * c.l2 * W for l, W in enumerate(fw.Ws)}
    if c.l2_on == "all" and fw.bs is not None:
        out.update({("db", l + 1): 2.0 * c.l2 * b for l, b in enumerate(fw.bs)})
    return out


def _close(x: np.ndarray | None, y: np.ndarray | None) -> bool:
    if x is None or y is None or x.shape != y.shape:
        return False
    scale = max(1.0, float(np.max(np.abs(y), initial=0.0)))
    return bool(np.allclose(x, y, rtol=1e-7, atol=1e-10 * scale))


def _matches(x: Tensors, y: Tensors, keys: Tensors | None = None) -> bool:
    """Whether x and y agree on every tensor of ``keys`` (default: all of x's)."""
    return all(_close(x.get(k), y.get(k)) for k in (x if keys is None else keys))


def _order(key: tuple[str, int]) -> tuple[int, int]:
    q, l = key
    return (-l, ["delta", "dW", "db"].index(q))
