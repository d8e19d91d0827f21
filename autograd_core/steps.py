"""The fused steps of a compiled program: each runs one level of the graph (nodes of one depth and
one form) as a few numpy operations over the whole batch, forward and backward.

Storage (program.py owns it): ``V``, shape (B, columns), holds every per-sample node's value, one
column per node (the inputs first, then each step's nodes), ``G`` the same nodes' grads; ``θ``
(``theta``), shape (P,), holds the parameters, shared by all samples, and ``dθ`` their grads,
summed over the batch. An ``Operand`` is the list of a step's parents at one position, and reads
them from wherever they live: a slice of V's columns or of θ when they lie side by side in order
(no copy; an MLP's layers lie so), a gather otherwise.

The backward pass of a step is the engine's rule, ``parent.grad += local_grad * node.grad``, for
all its nodes and samples at once: the products ``g * local`` are scattered into the parents'
grads, summed where a parent appears more than once (``a * a``, an input shared by many nodes) and,
for parameters, over the batch. A dot level whose weights are parameters and whose inputs are one
shared vector is a matrix product (``MatMul``): z = X Mᵀ + b forward, and X's grads g M, M's grads
gᵀ X, the bias's g summed, backward: the matrix view's equations, found from the scalar graph.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from autograd_core.kernels import BINARY, CHECKED, UNARY, WITH_CONSTANT, Local, custom_rule
from autograd_core.trace import Form, Level
from autograd_core.value import Value


class Layout:
    """Where each node lives: per-sample nodes in a column of V, parameters in a slot of θ."""

    def __init__(self, column: dict[Value, int], slot: dict[Value, int], wanted: dict[Value, tuple[bool, bool]]):
        self.column = column
        self.slot = slot
        self.wanted = wanted  # node -> (a parameter is at or above it, an input is): whose grads it carries


class _Index:
    """Positions in one axis of an array: a slice when they are consecutive and ascending, else an
    index array; and how to add into them when some position comes more than once."""

    def __init__(self, positions: Sequence[int]):
        idx = np.asarray(positions, dtype=np.intp)
        self.size = len(idx)
        consecutive = self.size > 0 and bool(np.all(np.diff(idx) == 1))
        self.at: slice | np.ndarray = slice(int(idx[0]), int(idx[-1]) + 1) if consecutive else idx
        self.repeats = False
        if not consecutive:
            order = np.argsort(idx, kind="stable")
            unique, starts = np.unique(idx[order], return_index=True)
            self.repeats = len(unique) < self.size
            self.order, self.unique, self.starts = order, unique, starts

    def add(self, target: np.ndarray, values: np.ndarray) -> None:
        """target[..., positions] += values, summing the values of a repeated position."""
        if not self.repeats:
            target[..., self.at] += values
        else:
            target[..., self.unique] += np.add.reduceat(values[..., self.order], self.starts, axis=-1)


class Operand:
    """A step's parents at one position, for all its nodes: read from V's columns, θ's slots, or both."""

    def __init__(self, nodes: Sequence[Value], layout: Layout):
        self.nodes = tuple(nodes)
        columns = [layout.column.get(node) for node in nodes]
        self.per_sample = [i for i, c in enumerate(columns) if c is not None]
        self.shared = [i for i, c in enumerate(columns) if c is None]
        self.v = _Index([columns[i] for i in self.per_sample]) if self.per_sample else None  # type: ignore[misc]
        self.p = _Index([layout.slot[nodes[i]] for i in self.shared]) if self.shared else None
        wanted = [layout.wanted[node] for node in nodes]
        self.carries = (any(w[0] for w in wanted), any(w[1] for w in wanted))

    def live(self, input_grads: bool) -> bool:
        """Whether its grads are needed: a parameter (or, for input grads, an input) is at or above it."""
        return self.carries[0] or (input_grads and self.carries[1])

    def fetch(self, V: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """The values: shape (B, m), or (m,) when all m are parameters (the same for every sample)."""
        v, p = self.v, self.p
        if p is None:
            return V[:, v.at]  # type: ignore[union-attr, index]
        if v is None:
            return theta[p.at]
        out = np.empty((len(V), len(self.nodes)))
        out[:, self.per_sample] = V[:, v.at]
        out[:, self.shared] = theta[p.at]
        return out

    def scatter(self, G: np.ndarray, dtheta: np.ndarray, c: np.ndarray) -> None:
        """Add the contributions c, shape (B, m), to the grads: per sample into G, summed over the batch into dθ."""
        v, p = self.v, self.p
        if v is not None:
            v.add(G, c if p is None else c[:, self.per_sample])
        if p is not None:
            p.add(dtheta, (c if v is None else c[:, self.shared]).sum(axis=0))

    def add_summed(self, dtheta: np.ndarray, s: np.ndarray) -> None:
        """Add grads already summed over the batch, shape (m,), to parameters (an operand of parameters only)."""
        assert self.p is not None and self.v is None
        self.p.add(dtheta, s)


class Step:
    """One level of the graph as one fused step. ``nodes`` are the scalar nodes it came from (in
    the order of its columns ``out`` of V); ``number`` counts from 1."""

    kind = "elementwise"

    def __init__(self, number: int, level: Level, out: slice, layout: Layout):
        self.number = number
        self.depth = level.depth
        self.form = level.form
        self.nodes = level.nodes
        self.op = self.nodes[0].op
        self.out = out
        self.checked = self.op in CHECKED
        self.locals: tuple[Local, ...] = ()
        self.reads: tuple[Operand, ...] = ()  # every operand, for the listing and the drawing
        wanted = [layout.wanted[node] for node in self.nodes]
        self.carries = (any(w[0] for w in wanted), any(w[1] for w in wanted))

    def live(self, input_grads: bool) -> bool:
        return self.carries[0] or (input_grads and self.carries[1])

    def run(self, V: np.ndarray, theta: np.ndarray) -> None:
        """Compute the nodes' values into V[:, out], and keep their local derivatives for backward."""
        raise NotImplementedError

    def backward(self, G: np.ndarray, dtheta: np.ndarray, V: np.ndarray, theta: np.ndarray, input_grads: bool) -> None:
        """Pass the nodes' grads G[:, out] on to their parents (the live ones)."""
        raise NotImplementedError

    def edges(self, V: np.ndarray, theta: np.ndarray) -> tuple[list[Value], np.ndarray]:
        """Every edge of every node, node by node, in each node's parents order: (the parents, the
        local derivatives per sample, shape (B, edges)). For checks and questions, not for speed."""
        raise NotImplementedError

    def locals_finite(self) -> bool:
        return all(np.isfinite(x).all() for x in self.locals if isinstance(x, np.ndarray))


class Elementwise(Step):
    """Ops of one or two operands (tanh, relu, x * 2, a + b, ...): the kernel on whole arrays."""

    def __init__(self, number: int, level: Level, out: slice, layout: Layout):
        super().__init__(number, level, out, layout)
        shape, op = level.form
        self.kernel = {"unary": UNARY, "const": WITH_CONSTANT, "binary": BINARY}[shape][op]
        arity = 2 if shape == "binary" else 1
        self.operands = tuple(Operand([node.parents[k] for node in self.nodes], layout) for k in range(arity))
        self.constants = np.array([node.const for node in self.nodes]) if shape == "const" else None
        self.reads = self.operands

    def run(self, V: np.ndarray, theta: np.ndarray) -> None:
        args = [operand.fetch(V, theta) for operand in self.operands]
        if self.constants is not None:
            args.append(self.constants)
        values, self.locals = self.kernel(*args)
        V[:, self.out] = values

    def backward(self, G: np.ndarray, dtheta: np.ndarray, V: np.ndarray, theta: np.ndarray, input_grads: bool) -> None:
        g = G[:, self.out]
        for operand, local in zip(self.operands, self.locals):
            if operand.live(input_grads):
                operand.scatter(G, dtheta, g * local)

    def edges(self, V: np.ndarray, theta: np.ndarray) -> tuple[list[Value], np.ndarray]:
        B, n = len(V), len(self.nodes)
        local = np.stack([np.broadcast_to(x, (B, n)) for x in self.locals], axis=-1)
        return [p for node in self.nodes for p in node.parents], local.reshape(B, -1)


class Sum(Step):
    """n-ary sums (Value.sum): all parents side by side, each node's summed; a node's grad goes to
    each of its parents (local derivative 1)."""

    kind = "sum"

    def __init__(self, number: int, level: Level, out: slice, layout: Layout):
        super().__init__(number, level, out, layout)
        self.operands = (Operand([p for node in self.nodes for p in node.parents], layout),)
        sizes = [len(node.parents) for node in self.nodes]
        self.starts = np.cumsum([0, *sizes[:-1]])
        self.owner = np.repeat(np.arange(len(self.nodes)), sizes)
        self.constants = np.array([node.const or 0.0 for node in self.nodes])
        self.reads = self.operands

    def run(self, V: np.ndarray, theta: np.ndarray) -> None:
        X = self.operands[0].fetch(V, theta)
        V[:, self.out] = np.add.reduceat(X, self.starts, axis=-1) + self.constants

    def backward(self, G: np.ndarray, dtheta: np.ndarray, V: np.ndarray, theta: np.ndarray, input_grads: bool) -> None:
        operand = self.operands[0]
        if operand.live(input_grads):
            operand.scatter(G, dtheta, G[:, self.out][:, self.owner])

    def edges(self, V: np.ndarray, theta: np.ndarray) -> tuple[list[Value], np.ndarray]:
        return list(self.operands[0].nodes), np.ones((len(V), len(self.owner)))


class Dot(Step):
    """Dot nodes (Value.dot) in general: z = Σ_k w_k·x_k + b per node, the products side by side.

    A side given as plain numbers is a constant matrix, read from the other side's local
    derivatives (d z/d x_k = w_k), which do not depend on the sample.
    """

    kind = "dot"

    def __init__(self, number: int, level: Level, out: slice, layout: Layout):
        super().__init__(number, level, out, layout)
        _, self.k, w_side, x_side, bias = level.form
        k, n = self.k, len(self.nodes)
        w = k if w_side == "values" else 0
        x = k if x_side == "values" else 0
        self.w = Operand([p for node in self.nodes for p in node.parents[:w]], layout) if w else None
        self.x = Operand([p for node in self.nodes for p in node.parents[w : w + x]], layout) if x else None
        numbers = np.array([node.local_grads[:k] for node in self.nodes]).reshape(n, k)  # the Values' partners
        self.w_numbers = None if w else numbers
        self.x_numbers = None if x else numbers
        self.bias = Operand([node.parents[-1] for node in self.nodes], layout) if bias else None
        self.constants = np.array([node.const or 0.0 for node in self.nodes])
        self.shape = (n, k)
        self.reads = tuple(o for o in (self.w, self.x, self.bias) if o is not None)

    def _side(
        self, operand: Operand | None, numbers: np.ndarray | None, V: np.ndarray, theta: np.ndarray
    ) -> np.ndarray:
        if operand is None:
            return numbers  # type: ignore[return-value]
        values = operand.fetch(V, theta)
        return values.reshape(values.shape[:-1] + self.shape)

    def run(self, V: np.ndarray, theta: np.ndarray) -> None:
        W = self._side(self.w, self.w_numbers, V, theta)
        X = self._side(self.x, self.x_numbers, V, theta)
        z = (W * X).sum(axis=-1) + self.constants
        if self.bias is not None:
            z = z + self.bias.fetch(V, theta)
        V[:, self.out] = z
        self.locals = (X, W)  # d z/d w_k = x_k, d z/d x_k = w_k

    def backward(self, G: np.ndarray, dtheta: np.ndarray, V: np.ndarray, theta: np.ndarray, input_grads: bool) -> None:
        g = G[:, self.out]
        B = len(g)
        for operand, local in ((self.w, self.locals[0]), (self.x, self.locals[1])):
            if operand is not None and operand.live(input_grads):
                operand.scatter(G, dtheta, (g[:, :, None] * local).reshape(B, -1))
        if self.bias is not None and self.bias.live(input_grads):
            self.bias.scatter(G, dtheta, g)

    def edges(self, V: np.ndarray, theta: np.ndarray) -> tuple[list[Value], np.ndarray]:
        B, (n, k) = len(V), self.shape
        parts = []
        if self.w is not None:
            parts.append(np.broadcast_to(self.locals[0], (B, n, k)))
        if self.x is not None:
            parts.append(np.broadcast_to(self.locals[1], (B, n, k)))
        if self.bias is not None:
            parts.append(np.ones((B, n, 1)))
        local = np.concatenate(parts, axis=-1).reshape(B, -1)
        return [p for node in self.nodes for p in node.parents], local


class MatMul(Step):
    """Dot nodes whose weights are parameters and whose inputs are one shared vector: one matrix
    product. z = X Mᵀ + b, with M (nodes × K) gathered from the weights (a view of θ when they lie
    in order, as an MLP's do), X (B × K) the shared inputs; backward, X gets g M, M gets gᵀ X and
    the bias g summed over the batch."""

    kind = "matrix product"

    def __init__(self, number: int, level: Level, out: slice, layout: Layout):
        super().__init__(number, level, out, layout)
        _, self.k, bias, shared = level.form
        k, n = self.k, len(self.nodes)
        self.x = Operand(shared, layout)
        self.m = Operand([p for node in self.nodes for p in node.parents[:k]], layout)
        assert self.m.p is not None and self.m.v is None  # the weights are parameters (trace.py)
        self.m_at = self.m.p.at
        self.bias = Operand([node.parents[-1] for node in self.nodes], layout) if bias else None
        self.constants = np.array([node.const or 0.0 for node in self.nodes])
        self.has_constants = bool(np.any(self.constants))
        self.shape = (n, k)
        self.reads = tuple(o for o in (self.m, self.x, self.bias) if o is not None)

    def matrix(self, theta: np.ndarray) -> np.ndarray:
        """M, shape (nodes, K): a view of θ when the weights lie in order, else a copy."""
        return theta[self.m_at].reshape(self.shape)

    def run(self, V: np.ndarray, theta: np.ndarray) -> None:
        z = self.x.fetch(V, theta) @ self.matrix(theta).T
        if self.bias is not None:
            z += self.bias.fetch(V, theta)
        if self.has_constants:
            z += self.constants
        V[:, self.out] = z

    def backward(self, G: np.ndarray, dtheta: np.ndarray, V: np.ndarray, theta: np.ndarray, input_grads: bool) -> None:
        g = G[:, self.out]
        X = self.x.fetch(V, theta)
        if self.m.live(input_grads):
            self.m.add_summed(dtheta, (g.T @ X).reshape(-1))
        if self.x.live(input_grads):
            self.x.scatter(G, dtheta, g @ self.matrix(theta))
        if self.bias is not None and self.bias.live(input_grads):
            self.bias.scatter(G, dtheta, g)

    def edges(self, V: np.ndarray, theta: np.ndarray) -> tuple[list[Value], np.ndarray]:
        B, (n, k) = len(V), self.shape
        X = np.broadcast_to(self.x.fetch(V, theta)[:, None, :], (B, n, k))
        M = np.broadcast_to(self.matrix(theta), (B, n, k))
        parts = [X, M] + ([np.ones((B, n, 1))] if self.bias is not None else [])
        return [p for node in self.nodes for p in node.parents], np.concatenate(parts, axis=-1).reshape(B, -1)


class Custom(Step):
    """A custom op through its registered rule: the parents of each node along the last axis."""

    kind = "custom"

    def __init__(self, number: int, level: Level, out: slice, layout: Layout):
        super().__init__(number, level, out, layout)
        self.rule = custom_rule(self.op)
        self.arity = level.form[2]
        self.operand = Operand([p for node in self.nodes for p in node.parents], layout)
        self.checked = True  # the engine checks a custom node's local derivatives (Value's constructor)
        self.reads = (self.operand,)

    def run(self, V: np.ndarray, theta: np.ndarray) -> None:
        X = self.operand.fetch(V, theta)
        X = X.reshape((*X.shape[:-1], len(self.nodes), self.arity))
        value, local = self.rule(X)  # type: ignore[misc]
        value, local = np.asarray(value, dtype=np.float64), np.asarray(local, dtype=np.float64)
        if value.shape != X.shape[:-1] or local.shape != X.shape:
            raise TypeError(
                f"the rule of custom op {self.op!r} returned a value of shape {value.shape} and local derivatives of "
                f"shape {local.shape} for parents of shape {X.shape}; expected {X.shape[:-1]} and {X.shape}"
            )
        V[:, self.out] = value
        self.locals = (local,)

    def backward(self, G: np.ndarray, dtheta: np.ndarray, V: np.ndarray, theta: np.ndarray, input_grads: bool) -> None:
        if self.operand.live(input_grads):
            g = G[:, self.out]
            self.operand.scatter(G, dtheta, (g[:, :, None] * self.locals[0]).reshape(len(g), -1))

    def edges(self, V: np.ndarray, theta: np.ndarray) -> tuple[list[Value], np.ndarray]:
        B, n = len(V), len(self.nodes)
        local = np.broadcast_to(self.locals[0], (B, n, self.arity)).reshape(B, -1)
        return list(self.operand.nodes), local


def make_step(number: int, level: Level, out: slice, layout: Layout) -> Step:
    """The fused step of a level, by the form of its nodes."""
    kinds: dict[str, type[Step]] = {"sum": Sum, "dot": Dot, "matmul": MatMul, "custom": Custom}
    form: Form = level.form
    return kinds.get(form[0], Elementwise)(number, level, out, layout)
