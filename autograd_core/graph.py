"""Walking the graph: topological order, the backward pass (the chain rule), zeroing grads.

Nothing here recurses, so graph depth is limited by memory, not by Python's recursion limit.
``topological_order`` and ``chain_rule`` (the backward loop) allocate no object the cyclic garbage collector tracks,
per node, so the backward pass costs the same with the collector on or off. ``backward_steps``
is the exception, on purpose: it records every step (a ``BackwardStep`` and its ``EdgeStep``s per
node) for the pages that show the pass, and those records are tracked objects.

This module is written against what a node has (``Node``: data, grad, parents, local_grads,
op, label), not against the ``Value`` class, so value.py can import it and not the other way.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar, runtime_checkable

from autograd_core.inputs import real, short

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self from Python 3.11; only read by type checkers


@runtime_checkable
class Node(Protocol):
    """What the graph algorithms need of a node (``Value`` is one): they write only ``grad``."""

    grad: float

    @property
    def data(self) -> float: ...
    @property
    def parents(self) -> Sequence[Self]: ...
    @property
    def local_grads(self) -> Sequence[float]: ...
    @property
    def op(self) -> str: ...
    @property
    def label(self) -> str: ...


N = TypeVar("N", bound=Node)


def topological_order(root: N) -> list[N]:
    """Every node ``root`` depends on, each after all of its parents; ``root`` comes last.

    An iterative depth-first search: a node is pushed, then a ``None`` marker, then its
    parents; when the marker comes off the stack all the parents are placed, so the node
    is. A leaf needs nothing before it, so it is placed as soon as it is met (most nodes of an
    MLP's graph are leaves: its weights), and so is a node whose parents are all placed
    already (most of an MLP's dot nodes: the weights are shared by every sample, and the
    previous layer's nodes by every neuron). Deterministic: the same graph always gives the
    same order.
    """
    order: list[N] = []
    seen: set[N] = set()
    stack: list[N | None] = [root]
    push, pop, place, mark = stack.append, stack.pop, order.append, seen.add
    while stack:
        node = pop()
        if node is None:  # its parents are all placed
            place(pop())  # type: ignore[arg-type]
            continue
        if node in seen:
            continue
        mark(node)
        parents = node.parents
        # The same step three ways, all giving the order of the last one alone: a node of one
        # parent (most nodes of an expression) needs no loop; a node whose parents are all
        # placed (a parent seen is a parent placed) is placed at once, as one set operation in
        # C tells (most of an MLP's dot nodes); any other node waits on the stack for its parents.
        if len(parents) == 1:
            parent = parents[0]
            if parent not in seen:
                if parent.parents:
                    push(node)
                    push(None)
                    push(parent)
                    continue
                mark(parent)
                place(parent)
            place(node)
        elif seen.issuperset(parents):
            place(node)
        else:
            push(node)
            push(None)
            for parent in parents:
                if parent not in seen:
                    if parent.parents:
                        push(parent)
                    else:
                        mark(parent)
                        place(parent)
    return order


_RUNNING: dict[int, object] = {}
"""The roots whose backward() is running now, by id (see ``chain_rule``)."""


def chain_rule(root: Node, grad: float = 1.0) -> None:
    """The chain rule, applied node by node from ``root`` back to the leaves (``Value.backward``).

    For each node, children first:  parent.grad += local_grad * node.grad  for every edge.
    Non-leaf grads are reset to 0 first; leaf grads accumulate across calls (as in PyTorch).
    A node whose grad is exactly 0 passes nothing on (every contribution would be 0).
    Raises OverflowError, naming the node, if a gradient stops being finite; then every grad of
    the graph is put back as it was before the call (no inf, no partial sums), so the next
    backward() is not poisoned by the failed one.

    Not thread-safe: it writes ``grad`` on every node of the graph. Two threads running
    backward() on graphs that share nodes (a model's weights, say) would add into the same
    grads at once and get wrong gradients without a word. A second backward() on the same root
    while one runs is refused (RuntimeError); on other roots sharing nodes it is not detected:
    give each thread its own graph (``copy.deepcopy`` the model), or hold a lock.
    """
    order = topological_order(root)
    before = [node.grad for node in order]  # only read again when the pass fails
    key = id(root)
    if _RUNNING.setdefault(key, before) is not before:  # one atomic step: of two threads, one wins
        raise _running_already(root)
    try:
        for node in order:
            if node.parents:
                node.grad = 0.0
        root.grad += grad
        for node in reversed(order):
            g = node.grad
            if not g:
                continue
            if g - g:  # inf or nan: inf - inf is nan, and nan is truthy
                error = _not_finite(node)
                _restore(order, before)
                raise error
            parents = node.parents
            n = len(parents)
            # The same rule three ways: unpacking one or two parents is 2-3x faster than zip,
            # and most nodes (unary ops, binary ops, ops with a constant) have one or two.
            if n == 1:
                parents[0].grad += node.local_grads[0] * g
            elif n == 2:
                p, q = parents
                dp, dq = node.local_grads
                p.grad += dp * g
                q.grad += dq * g
            elif n:  # (a leaf has no parents: nothing to pass on)
                for parent, local in zip(parents, node.local_grads):
                    parent.grad += local * g
    finally:
        del _RUNNING[key]


def backward(roots: Sequence[Node] | Node, grads: Sequence[float] | float | None = None) -> None:
    """Backward from several roots at once, each with its own upstream gradient: a vector-Jacobian product.

    For roots q_i and grads v_i, every node x gets ``x.grad += Σ_i v_i ∂q_i/∂x``: with the q_i the
    outputs of a vector function, that is vᵀJ, what PyTorch's ``torch.autograd.backward(tensors,
    grad_tensors)`` (or ``q.backward(gradient=v)``) computes. ``grads`` defaults to 1 for each root;
    one root may be given without a list. The semantics are ``Value.backward``'s: non-leaf grads are
    reset first, leaf grads accumulate, a root listed twice gets both grads, and a gradient that
    overflows raises OverflowError naming the node, with every grad put back as it was.

        >>> from autograd_core import Value, backward
        >>> a, b = Value(2.0, label="a"), Value(6.0, label="b")
        >>> q0, q1 = 3 * a**3 - b**2, a * b          # Q = (q0, q1), a function of (a, b)
        >>> backward([q0, q1], [1.0, -2.0])          # vᵀJ with v = (1, -2)
        >>> a.grad, b.grad                           # (9a² − 2b, −2b − 2a)
        (24.0, -16.0)
    """
    many = roots if isinstance(roots, (list, tuple)) else [roots]
    where = "backward"
    for k, root in enumerate(many):
        if not isinstance(root, Node):
            raise TypeError(f"{where}: expected Values as the roots, got {type(root).__name__} at {k}: {short(root)}")
    if not many:
        raise ValueError(f"{where}: expected at least one root, got none")
    if grads is None:
        seeds = [1.0] * len(many)
    else:
        given = grads if isinstance(grads, (list, tuple)) else [grads]
        if len(given) != len(many):
            raise ValueError(f"{where}: expected one grad per root ({len(many)}), got {len(given)}")
        seeds = [real(g, f"{where}(grads[{k}])") for k, g in enumerate(given)]
    chain_rule(_Seed(tuple(many), tuple(seeds)))


class _Seed:
    """A node above the roots of ``backward``: the roots are its parents and their upstream
    gradients its local derivatives, so the chain rule from it (grad 1) passes each root its grad,
    and the one loop of ``chain_rule`` does the rest."""

    __slots__ = ("grad", "local_grads", "parents")
    data = 0.0
    op = "backward"
    label = ""

    def __init__(self, parents: tuple, local_grads: tuple[float, ...]) -> None:
        self.grad = 0.0
        self.parents = parents
        self.local_grads = local_grads


@dataclass(frozen=True, slots=True)
class EdgeStep(Generic[N]):
    """What one edge passed on in a backward step: ``parent.grad += local_grad * upstream``."""

    parent: N
    local_grad: float  # d(node)/d(parent)
    contribution: float  # local_grad * the node's grad
    grad_before: float  # parent.grad before this edge
    grad_after: float  # parent.grad after it (== grad_before when the node's grad is 0)


@dataclass(frozen=True, slots=True)
class BackwardStep(Generic[N]):
    """One node of the backward pass: its grad (the upstream gradient) and what each edge passed on.

    ``edges`` is aligned with ``node.parents`` (duplicates kept, so ``a + a`` has two edges).
    """

    node: N
    grad: float
    edges: tuple[EdgeStep[N], ...]

    @property
    def skipped(self) -> bool:
        """True when the node's grad is exactly 0: backward() passes nothing on from it."""
        return not self.grad


def backward_steps(root: N, grad: float = 1.0) -> Iterator[BackwardStep[N]]:
    """backward(), one node at a time: yields a record for each node it applies.

    The reset and the seed happen at the call (non-leaf grads set to 0, ``root.grad += grad``);
    each record is yielded right after its node is applied, so after k records the grads are
    exactly those after the first k non-leaf nodes of backward(). Running all of them gives the
    same grads as backward(), bit for bit. Leaves are not steps (they pass nothing on). A node
    whose grad is exactly 0 is still a step, with zero contributions and every parent's grad
    left as it was (``record.skipped``): backward() skips it, so nothing is added, not even 0.0.
    Raises OverflowError, as backward() does, when a gradient is not finite.

        >>> from autograd_core import Value, backward_steps
        >>> a = Value(3.0, label="a"); c = a * 2; c.label = "c"
        >>> [(s.node.label, [(e.parent.label, e.local_grad, e.grad_after) for e in s.edges])
        ...  for s in backward_steps(c)]
        [('c', [('a', 2.0, 2.0)])]
    """
    if not isinstance(root, Node):
        raise TypeError(f"backward_steps: expected a Value as the root, got {type(root).__name__}: {short(root)}")
    seed = real(grad, "backward_steps(grad)")
    order = topological_order(root)
    for node in order:
        if node.parents:
            node.grad = 0.0
    root.grad += seed
    return _apply_steps(order)


def _apply_steps(order: list[N]) -> Iterator[BackwardStep[N]]:
    """The loop of backward(), written plainly and recording what each edge did."""
    for node in reversed(order):
        g = node.grad
        if g and g - g:  # inf or nan, checked where backward() checks it (leaves included)
            raise _not_finite(node)
        if not node.parents:
            continue
        edges = []
        for parent, local in zip(node.parents, node.local_grads):
            before = parent.grad
            contribution = local * g
            if g:
                parent.grad = before + contribution
            edges.append(EdgeStep(parent, local, contribution, before, parent.grad))
        yield BackwardStep(node, g, tuple(edges))


def zero_grad(root: Node) -> None:
    """Set ``grad`` to 0 on ``root`` and every node it depends on (leaves included)."""
    if not isinstance(root, Node):
        raise TypeError(f"zero_grad: expected a Value as the root, got {type(root).__name__}: {short(root)}")
    for node in topological_order(root):
        node.grad = 0.0


def _restore(order: list[N], grads: list[float]) -> None:
    """Put back the grads a failed backward() found (``grads`` is aligned with ``order``)."""
    for node, g in zip(order, grads):
        node.grad = g


def _running_already(root: Node) -> RuntimeError:
    name = f" {short(root.label, 40)}" if root.label else ""
    return RuntimeError(
        f"backward: another thread is running backward() on this graph (root{name}, op {root.op or 'leaf'!r}) "
        "right now; both would add into the same grads and get wrong gradients. Give each thread its own "
        "graph, or hold a lock around backward()"
    )


def _not_finite(node: Node) -> OverflowError:
    name = f" {node.label!r}" if node.label else ""
    return OverflowError(
        f"backward: the gradient at node{name} (op {node.op or 'leaf'!r}, data={node.data!r}) "
        f"is {node.grad!r}: gradients overflowed the float range"
    )
