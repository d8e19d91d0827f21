"""``compile``: a scalar graph traced once and replayed over a batch with numpy.

    >>> from autograd_core import Value, compile
    >>> x, w = Value(0.5, label="x"), Value(2.0, label="w")
    >>> program = compile((w * x).tanh(), inputs=[x])
    >>> program.forward([[0.5], [1.0], [-1.0]]).round(4).tolist()
    [0.7616, 0.964, -0.964]
    >>> program.backward().round(4).tolist(), round(w.grad, 4)
    ([[0.8399], [0.1413], [0.1413]], 0.21)

The graph of one sample (built from Values, with the leaves that change from sample to sample
passed as ``inputs``) has the structure of every sample's graph; the trace (trace.py) reads it
and groups its nodes into levels, nodes of one depth and one form; each level runs as one fused
step (steps.py) over the whole batch. Forward, the steps compute every node's value for every
sample; backward, they apply the chain rule in reverse, and the parameters (the other leaves)
get their grads summed over the batch, as ``backward()`` accumulates leaf grads.

It equals the engine run sample by sample up to the order of the sums (a dot level is one matrix
product, the parameters' grads are summed over the batch at once), and keeps its promises: a nan
or an inf raises, naming the step, the node and the sample, with the engine's own message.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from autograd_core.inputs import real
from autograd_core.listing import describe, draw_steps
from autograd_core.steps import Layout, Step, make_step
from autograd_core.trace import Trace, trace
from autograd_core.value import Value
from autograd_core.verify import grad_error, parameter_grad_error, value_error, verify

if TYPE_CHECKING:
    import graphviz  # type: ignore[import-untyped]

    from autograd_core.listing import Names


@dataclass
class Parameters:
    """A program's parameters as arrays, for training without a loop over Values: ``data`` (θ) and
    ``grad`` (dθ), aligned with ``leaves``. An optimizer updates them like any parameter (nn.optim);
    ``write()`` puts the numbers back into the Values."""

    leaves: tuple[Value, ...]
    data: np.ndarray
    grad: np.ndarray

    def write(self) -> None:
        """Copy ``data`` into the leaves' ``.data`` and ``grad`` into their ``.grad``."""
        for leaf, value, g in zip(self.leaves, self.data.tolist(), self.grad.tolist()):
            leaf.data = value
            leaf.grad = g


def compile(root: Value, inputs: Sequence[Value]) -> Program:
    """The program that replays the graph of ``root`` over a batch; ``inputs`` are its leaves that
    change from sample to sample (the inputs and the targets), in the order of the batch's columns.

    Raises TraceError (a ValueError) with the reason when the graph cannot be replayed: an input that
    is not a leaf of the graph, a custom op without a rule (``register_op``), a node made by hand
    under a built-in op's name but not of its shape, a dot node without terms. Each step is then
    replayed on the traced sample itself and must give every node's recorded value and local
    derivatives (``verify.TOLERANCE``), which catches a rule that does not fit its node.
    """
    return Program(trace(root, inputs))


class Program:
    """A compiled graph: ``forward(batch)``, ``backward(grad)``, and each node's numbers per sample.

    Attributes:
        inputs: the input leaves, one per column of a batch.
        parameters: the other leaves, in the order of θ (``arrays()``).
        steps: the fused steps, in the order they run.
        root: the traced root.
    """

    def __init__(self, tr: Trace):
        self.root = tr.root
        self.inputs = tr.inputs
        self._names = tr.names
        column = {x: i for i, x in enumerate(tr.inputs)}
        slots = _slots(tr)
        wanted = _wanted(tr)
        layout = Layout(column, slots, wanted)
        steps = []
        width = len(tr.inputs)
        for number, level in enumerate(tr.levels, start=1):
            out = slice(width, width + len(level.nodes))
            column.update((node, width + i) for i, node in enumerate(level.nodes))
            width += len(level.nodes)
            steps.append(make_step(number, level, out, layout))
        self.steps: tuple[Step, ...] = tuple(steps)
        self.parameters = tuple(sorted(slots, key=slots.__getitem__))
        self._layout = layout
        self._width = width
        self._theta = np.array([p.data for p in self.parameters], dtype=np.float64)
        self._V: np.ndarray | None = None
        self._G: np.ndarray | None = None
        self._input_grads = True  # whether the last backward computed the grads of what only inputs are above
        self._dtheta = np.zeros_like(self._theta)  # reused by every backward: θ's size is fixed
        verify(self.steps, self.inputs, self._theta, self.name)

    # ---- running it -----------------------------------------------------------------------------
    def arrays(self) -> Parameters:
        """The parameters' numbers, read from the Values now, and zero grads: for ``forward`` and
        ``backward`` with ``parameters=``, which then read and write these arrays only."""
        data = np.array([p.data for p in self.parameters], dtype=np.float64)
        return Parameters(self.parameters, data, np.zeros_like(data))

    def forward(self, batch: Any, parameters: Parameters | None = None) -> np.ndarray:
        """The root's value for every sample: batch of shape (B, len(inputs)) -> shape (B,).

        The parameters are read from the Values (their current ``.data``), or from ``parameters``.
        Raises, naming the step, the node and the sample, where a value or a local derivative is not
        finite, with the error the engine gives that node (ValueError, ZeroDivisionError, OverflowError).
        """
        X = self._batch(batch)
        theta = self._parameters(parameters).data if parameters is not None else self._read_parameters()
        V = np.empty((len(X), self._width))
        V[:, : len(self.inputs)] = X
        finite = True
        with np.errstate(all="ignore"):  # checked below, and a nan or inf explained by the engine
            for step in self.steps:
                step.run(V, theta)
                finite = finite and (not step.checked or step.locals_finite())
        if not (finite and np.isfinite(V).all()):
            raise value_error(self.steps, V, theta, self._layout, self.name)
        self._V, self._G, self._theta = V, None, theta
        return V[:, self._column(self.root)].copy()

    def backward(
        self, grad: Any = 1.0, parameters: Parameters | None = None, *, input_grads: bool = True
    ) -> np.ndarray | None:
        """The chain rule over the batch of the last ``forward``, seeded with ``grad`` (a number, or one
        per sample, shape (B,)): d(root_b)/d(node) for every node and sample.

        Adds to each parameter's ``.grad`` (or to ``parameters.grad``) the sum over the batch, as
        ``backward()`` accumulates leaf grads; returns the inputs' grads per sample, shape
        (B, len(inputs)), or None with ``input_grads=False`` (then they are not computed).
        Raises OverflowError, naming the node and the sample, when a grad is not finite; nothing is
        added then.
        """
        if self._V is None:
            raise RuntimeError("backward() needs a forward() first")
        V, theta = self._V, self._theta
        seed = self._seed(grad, len(V))
        G = np.zeros_like(V)
        G[:, self._column(self.root)] = seed
        dtheta = self._dtheta
        dtheta.fill(0.0)
        with np.errstate(all="ignore"):  # checked below: the first node whose grad is not finite is named
            for step in reversed(self.steps):
                if step.live(input_grads):
                    step.backward(G, dtheta, V, theta, input_grads)
        if not np.isfinite(G[:, 0 if input_grads else len(self.inputs) :]).all():
            raise grad_error(self.steps, self.inputs, G, input_grads, self.name)
        if not math.isfinite(dtheta.sum()) and not np.isfinite(dtheta).all():  # (a sum of finite grads may overflow)
            raise parameter_grad_error(self.parameters, dtheta, self.name)
        self._G, self._input_grads = G, input_grads
        if parameters is not None:
            np.add(self._parameters(parameters).grad, dtheta, out=parameters.grad)
        else:
            for leaf, g in zip(self.parameters, dtheta.tolist()):
                leaf.grad += g
        return G[:, : len(self.inputs)].copy() if input_grads else None

    # ---- each node's numbers ----------------------------------------------------------------------
    def data(self, node: Value) -> np.ndarray:
        """``node``'s value for every sample of the last forward, shape (B,)."""
        V = self._need(self._V, "data", "forward")
        if node in self._layout.slot:
            return np.full(len(V), self._theta[self._layout.slot[node]])
        return V[:, self._column(node)].copy()

    def values(self, nodes: Sequence[Value]) -> np.ndarray:
        """Several per-sample nodes' values for every sample of the last forward, shape (B, len(nodes))."""
        V = self._need(self._V, "values", "forward")
        return V[:, [self._column(node) for node in nodes]]

    def grad(self, node: Value) -> np.ndarray:
        """d(root_b)/d(node) for every sample b of the last backward, shape (B,). For a parameter it
        is worked out on request from its children (the program keeps only their sum)."""
        G = self._need(self._G, "grad", "backward")
        if not self._input_grads and not self._layout.wanted.get(node, (True, True))[0]:
            raise ValueError(
                f"grad: node {self.name(node)!r} depends on inputs only, and the last backward() ran with "
                "input_grads=False, so its grads were not computed"
            )
        if node in self._layout.slot:
            V = self._V
            total = np.zeros(len(G))
            for step in self.steps:
                parents, local = step.edges(V, self._theta)  # type: ignore[arg-type]
                owners = np.repeat(np.arange(len(step.nodes)), [len(n.parents) for n in step.nodes])
                for e in (e for e, p in enumerate(parents) if p is node):
                    total += G[:, step.out][:, owners[e]] * local[:, e]
            return total
        return G[:, self._column(node)].copy()

    # ---- what it is -------------------------------------------------------------------------------
    def text(self, names: Names | None = None, *, every_node: bool = False) -> str:
        """Its fused steps, one a line: the formula, what it fuses, and the nodes it came from (the
        first few and the last, or with ``every_node`` every one; ``step.nodes`` holds them all).

        ``names`` names a list of nodes (a step's nodes, or an operand's) for the formulas, or None
        to leave the default (``v3`` for step 3's nodes, ``x`` for the inputs, ``θ[a:b]`` for
        parameters); ``nn.matrix_name`` turns an MLP's steps into z¹ = W¹a⁰ + b¹, a¹ = σ(z¹), ...
        """
        return describe(self, names, every_node)

    def draw(self, names: Names | None = None, rankdir: str = "TB") -> graphviz.Digraph:
        """The fused steps as a drawing: one box per step (its formula, its size, its nodes), the
        inputs and the parameters it reads, and an edge from what each step reads to the step."""
        return draw_steps(self, names, rankdir)

    def name(self, node: Value) -> str:
        """A node's name in messages and drawings: its label, or #i as drawings number it."""
        return self._names[node]

    def slot(self, node: Value) -> int | None:
        """The index of a parameter in θ (``arrays()``), or None for another node."""
        return self._layout.slot.get(node)

    def column(self, node: Value) -> int | None:
        """The column of a per-sample node (an input or a computed node), or None for a parameter."""
        return self._layout.column.get(node)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return (
            f"<compiled program of {self.name(self.root)!r}: {len(self.inputs)} inputs, "
            f"{len(self.parameters):,} parameters, {len(self.steps)} fused steps>"
        )

    # ---- helpers ----------------------------------------------------------------------------------
    def _column(self, node: Value) -> int:
        column = self._layout.column.get(node)
        if column is None:
            raise ValueError(f"{node!r:.80} is not a node of this program's graph")
        return column

    def _need(self, array: np.ndarray | None, what: str, after: str) -> np.ndarray:
        if array is None:
            raise RuntimeError(f"{what}() needs a {after}() first")
        return array

    def _batch(self, batch: Any) -> np.ndarray:
        try:
            X = np.asarray(batch, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"forward: expected a batch of numbers, got {type(batch).__name__}") from None
        n = len(self.inputs)
        if X.ndim != 2 or X.shape[1] != n or len(X) == 0:
            raise ValueError(
                f"forward: expected a batch of shape (B, {n}) with B >= 1, one sample per row, got {X.shape}"
            )
        if not np.isfinite(X).all():
            b, i = np.argwhere(~np.isfinite(X))[0]
            raise ValueError(
                f"forward: sample {b}, input {i} ({self.name(self.inputs[i])}) is {float(X[b, i])!r}: "
                "expected finite numbers"
            )
        return X

    def _parameters(self, parameters: Parameters) -> Parameters:
        if not isinstance(parameters, Parameters) or parameters.leaves is not self.parameters:
            raise ValueError("parameters: expected the Parameters of this program (program.arrays())")
        return parameters

    def _read_parameters(self) -> np.ndarray:
        return np.fromiter((p.data for p in self.parameters), dtype=np.float64, count=len(self.parameters))

    def _seed(self, grad: Any, B: int) -> np.ndarray:
        if isinstance(grad, int | float) and not isinstance(grad, bool):
            return np.full(B, real(grad, "backward(grad)"))
        seed = np.asarray(grad, dtype=np.float64)
        if seed.shape != (B,) or not np.isfinite(seed).all():
            raise ValueError(f"backward: expected grad as a finite number or {B} finite numbers (B,), got {seed.shape}")
        return seed


def _slots(tr: Trace) -> dict[Value, int]:
    """θ's layout: each matrix product's weights side by side, row by row (so the step reads its matrix
    as a view of θ, and an optimizer updates it in place), then its biases; then the other parameters."""
    is_parameter = set(tr.parameters)
    slot: dict[Value, int] = {}
    for level in tr.levels:
        if level.form[0] != "matmul":
            continue
        k = level.form[1]
        weights = [p for node in level.nodes for p in node.parents[:k]]
        biases = [node.parents[-1] for node in level.nodes] if level.form[2] else []
        for block in (weights, biases):
            if (
                len(set(block)) == len(block)
                and not any(p in slot for p in block)
                and all(p in is_parameter for p in block)
            ):
                base = len(slot)
                slot.update((p, base + i) for i, p in enumerate(block))
    for p in tr.parameters:
        if p not in slot:
            slot[p] = len(slot)
    return slot


def _wanted(tr: Trace) -> dict[Value, tuple[bool, bool]]:
    """For each node: whether a parameter, and whether an input, is at or above it (so its grad is needed)."""
    wanted: dict[Value, tuple[bool, bool]] = dict.fromkeys(tr.parameters, (True, False))
    wanted.update(dict.fromkeys(tr.inputs, (False, True)))
    for level in tr.levels:
        for node in level.nodes:
            flags = {wanted[p] for p in node.parents}
            wanted[node] = (any(f[0] for f in flags), any(f[1] for f in flags))
    return wanted
