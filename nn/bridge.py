"""The PyTorch bridge: carry an MLP to torch.nn and back (needs PyTorch; nothing else does).

    seq = to_torch(model)      # torch.nn.Sequential(Linear, Tanh, Linear, ...), float64, same weights
    model = from_torch(seq)

torch is imported inside the functions, so nn imports without it.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from nn.activations import ACTIVATIONS
from nn.matrix import Conventions
from nn.module import MLP


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError(
            "PyTorch is not installed; the bridge needs it: pip install torch (CPU: pip install torch==2.13.0)"
        ) from None
    return torch


def to_torch(mlp: MLP) -> Any:
    """A float64 ``torch.nn.Sequential`` with the same weights: Linear, activation, Linear, ...

    A linear layer has no activation module. Weights are copied (torch's Linear stores W as
    (n_out, n_in), as we do).
    """
    torch = _torch()
    modules = []
    Ws, bs = mlp.matrices()
    for l, f in enumerate(mlp.activations):
        n_out, n_in = Ws[l].shape
        lin = torch.nn.Linear(n_in, n_out, bias=bs is not None, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(Ws[l]))
            if bs is not None:
                lin.bias.copy_(torch.from_numpy(bs[l]))
        modules.append(lin)
        module = ACTIVATIONS[f].torch_module
        if module is not None:
            modules.append(getattr(torch.nn, module)())
    return torch.nn.Sequential(*modules)


def from_torch(seq: Any) -> MLP:
    """An MLP from a ``torch.nn.Sequential`` of Linear layers, each optionally followed by
    Tanh, ReLU, Sigmoid or Identity; all hidden layers must share one activation."""
    torch = _torch()
    if not isinstance(seq, torch.nn.Sequential):
        raise TypeError(f"from_torch expects a torch.nn.Sequential, got {type(seq).__name__}")
    names = {a.torch_module: a.name for a in ACTIVATIONS.values() if a.torch_module}
    layers: list[list[Any]] = []  # [linear, activation name]
    for i, m in enumerate(seq):
        if isinstance(m, torch.nn.Linear):
            layers.append([m, "linear"])
        elif type(m).__name__ in names and layers and layers[-1][1] == "linear":
            layers[-1][1] = names[type(m).__name__]
        elif isinstance(m, torch.nn.Identity):
            continue
        else:
            raise ValueError(
                f"from_torch: module {i} ({type(m).__name__}) is not a Linear or a Tanh/ReLU/Sigmoid after one"
            )
    if not layers:
        raise ValueError("from_torch: the Sequential has no Linear layer")
    biases = {lin.bias is not None for lin, _ in layers}
    if len(biases) != 1:
        raise ValueError("from_torch: either every Linear has a bias or none does")
    hidden = {f for _, f in layers[:-1]}
    if len(hidden) > 1:
        raise ValueError(f"from_torch: hidden layers must share one activation, got {sorted(hidden)}")
    sizes = [layers[0][0].in_features] + [lin.out_features for lin, _ in layers]
    for (a, _), (b, _) in itertools.pairwise(layers):
        if b.in_features != a.out_features:
            raise ValueError(f"from_torch: Linear({b.in_features}, ...) cannot follow Linear(..., {a.out_features})")
    mlp = MLP(
        sizes[0],
        sizes[1:],
        activation=hidden.pop() if hidden else "linear",
        output_activation=layers[-1][1],
        bias=biases.pop(),
    )
    Ws = [lin.weight.detach().to(torch.float64).cpu().numpy() for lin, _ in layers]
    bs = [lin.bias.detach().to(torch.float64).cpu().numpy() for lin, _ in layers] if mlp.bias else None
    mlp.set_matrices(Ws, bs)
    return mlp


def torch_gradients(mlp: MLP, X: np.ndarray, Y: np.ndarray, conv: Conventions) -> dict[str, list[np.ndarray]]:
    """δ^l (columns), ∂C/∂W^l and ∂C/∂b^l computed by PyTorch's autograd, for the comparison report."""
    torch = _torch()
    F = torch.nn.functional
    seq = to_torch(mlp)
    a = torch.tensor(X, dtype=torch.float64)
    zs = []
    for m in seq:
        a = m(a)
        if isinstance(m, torch.nn.Linear):
            a.retain_grad()
            zs.append(a)
    out = a
    red = conv.reduction
    if conv.loss == "mse":
        per = ((out - torch.tensor(Y)) ** 2).sum(dim=1) * (0.5 if conv.mse_half else 1.0)
        loss = per.mean() if red == "mean" else per.sum()
    elif conv.loss == "cross_entropy":
        target = torch.tensor(Y, dtype=torch.long) if Y.ndim == 1 else torch.tensor(Y, dtype=torch.float64)
        loss = F.cross_entropy(out, target, reduction=red)
    elif conv.loss == "binary_cross_entropy":
        loss = F.binary_cross_entropy_with_logits(out[:, 0], torch.tensor(Y[:, 0]), reduction=red)
    else:
        y = torch.tensor(Y[:, 0])
        if set(np.unique(Y).tolist()) <= {0.0, 1.0}:
            y = 2 * y - 1
        per = torch.clamp(1 - y * out[:, 0], min=0)
        loss = per.mean() if red == "mean" else per.sum()
    if conv.l2:
        lins = [m for m in seq if isinstance(m, torch.nn.Linear)]
        ps = [p for m in lins for p in m.parameters()] if conv.l2_on == "all" else [m.weight for m in lins]
        loss = loss + conv.l2 * sum((p * p).sum() for p in ps)
    loss.backward()
    lins = [m for m in seq if isinstance(m, torch.nn.Linear)]
    return {
        "delta": [z.grad.detach().numpy().T for z in zs],
        "dW": [m.weight.grad.detach().numpy() for m in lins],
        "db": [m.bias.grad.detach().numpy() for m in lins] if mlp.bias else [],
    }
