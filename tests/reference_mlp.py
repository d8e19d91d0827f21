"""An independent MLP in autograd.numpy, for checking the Value-graph MLP and its gradients.

Parameters are a flat list [W1, b1, W2, b2, ...] (or without the b's), W of shape (n_out, n_in),
samples in rows: the same layout as nn.io.state_dict, but none of nn's code.
"""

import autograd.numpy as anp
import numpy as np

import nn.io


def activation(name, z):
    if name == "tanh":
        return anp.tanh(z)
    if name == "sigmoid":
        return 1.0 / (1.0 + anp.exp(-z))
    if name == "relu":
        return anp.where(z > 0, z, 0.0)  # derivative 0 at 0, as everywhere here (anp.maximum would split it)
    return z


def params_of(model):
    state = nn.io.state_dict(model)
    out = []
    for l in range(1, len(model.sizes)):
        out.append(state[f"W{l}"])
        if model.bias:
            out.append(state[f"b{l}"])
    return out


def forward(params, X, acts, bias):
    """Outputs for rows X; also returns the pre-activations z^l of every layer (rows = samples)."""
    a = X
    zs = []
    step = 2 if bias else 1
    for l, f in enumerate(acts):
        W = params[step * l]
        z = anp.dot(a, W.T) + (params[step * l + 1] if bias else 0.0)
        zs.append(z)
        a = activation(f, z)
    return a, zs


def loss(params, X, Y, acts, bias, kind, reduction="mean", half=False):
    out, _ = forward(params, X, acts, bias)
    n = X.shape[0]
    if kind == "mse":
        per = anp.sum((out - Y) ** 2, axis=1) * (0.5 if half else 1.0)
    elif kind == "cross_entropy":
        m = anp.max(out, axis=1, keepdims=True)
        lse = m[:, 0] + anp.log(anp.sum(anp.exp(out - m), axis=1))
        per = lse - anp.sum(out * Y, axis=1)
    elif kind == "binary_cross_entropy":
        z = out[:, 0]
        y = Y[:, 0]
        per = anp.maximum(z, 0.0) - y * z + anp.log(1.0 + anp.exp(-anp.abs(z)))
    elif kind == "hinge":
        per = anp.maximum(0.0, 1.0 - Y[:, 0] * out[:, 0])
    else:
        raise ValueError(kind)
    total = anp.sum(per)
    return total / n if reduction == "mean" else total


def one_hot(labels, k):
    return np.eye(k)[np.asarray(labels)]
