"""An MLP of Values trained through the compiled program of one sample's graph (``fit(engine="compiled")``).

The graph of one sample's cost is built once, with the inputs x[k] and the targets y[j] as Values,
and compiled (``autograd_core.compile``): each layer's dot nodes become one matrix product. Each
batch then runs the program forward and backward over all its samples at once, and the optimizer
updates the parameters as one array θ (``Program.arrays()``), so no step loops over the Values.
The Values get the numbers back when ``fit`` returns, whether it ran to the end, diverged (after
putting back the step before the overflow, as for the other engines) or was interrupted.

It trains the same network as the node-by-node engine, with the same loss, reduction, L2 penalty
and optimizer; only the order of the sums differs, so the two follow the same losses (to 1e-10 on
moons and the 8×8 digits, tests/test_compiled_nn.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_core import Value, compile
from autograd_core.program import Parameters, Program
from nn import labels
from nn.losses import LOSSES, target_rows
from nn.module import MLP


class CompiledMLP:
    """One sample's graph of ``model`` under ``loss``, compiled; the training data as batch rows.

    ``X`` are the inputs (N, n_in) and ``Y`` the targets as the loss takes them; the first sample
    is the one traced. ``theta`` holds θ and its grads while training; ``parameters`` is [θ], what
    the optimizer updates. ``step`` and ``finish`` are what ``fit`` calls of every engine.
    """

    def __init__(self, model: MLP, loss: str, X: np.ndarray, Y: np.ndarray):
        targets = target_rows(loss, Y, len(X), model.sizes[-1] if loss != "hinge" else 1)
        xs = [Value(x, labels.input_(k)) for k, x in enumerate(X[0].tolist())]
        ys = [Value(y, labels.target(j)) for j, y in enumerate(targets[0].tolist())]
        self.outputs = model(xs)
        per_batch = LOSSES[loss]([self.outputs], [ys], reduction="sum")
        (cost,) = per_batch.parents  # the sum of one sample's cost (nn.batch: a loss reduces one cost per sample)
        self.program: Program = compile(cost, xs + ys)
        self.X, self.targets = X, targets  # a batch's rows are put together per batch: no copy of all of X
        self.theta: Parameters = self.program.arrays()
        self.parameters: list[Any] = [self.theta]

    def step(self, idx: Any, reduction: str, l2: float) -> tuple[float, np.ndarray]:
        """Forward and backward over the samples ``idx``: the batch loss, and the outputs (B, n_out);
        the grads are added to ``theta.grad``."""
        costs = self.program.forward(np.concatenate([self.X[idx], self.targets[idx]], axis=1), self.theta)
        scale = 1.0 / len(costs) if reduction == "mean" else 1.0
        self.program.backward(scale, self.theta, input_grads=False)
        value = float(costs.sum()) * scale
        if l2:  # nn.l2_penalty's rule on the array: l2 Σ θ², grad 2 l2 θ
            theta = self.theta.data
            value += l2 * float(theta @ theta)
            self.theta.grad += 2.0 * l2 * theta
        return value, self.program.values(self.outputs)

    def finish(self) -> None:
        """Put the trained numbers (and the last grads) into the model's Values."""
        self.theta.write()
