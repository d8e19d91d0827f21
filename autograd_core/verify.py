"""The compiled program's checks: each step replayed on the traced sample when it is compiled, and
the errors that name the node and the sample when a number stops being finite.

At compile time, ``verify`` runs every step on the sample the graph was built from, each node from
its parents' recorded numbers, and requires each node's recorded value and local derivatives: a
custom op's rule that does not fit it, or a node made by hand under a built-in op's name, is
refused there, before it runs on anything else.

At run time the program checks whole tables at once (one test per pass, not per node) and, only
when something is not finite, looks for where: ``value_error`` replays the first failing node of
the first failing sample in the engine, which raises its own error for it (so the message is the
engine's), and ``grad_error`` names the node where the grads first stopped being finite.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence

import numpy as np

from autograd_core.steps import Layout, Step
from autograd_core.trace import TraceError
from autograd_core.value import Value

TOLERANCE = 1e-9
"""How closely a step replayed on the traced sample must give each node's recorded numbers: to this
fraction of the largest of 1, the node's value and local derivatives and its parents' values."""

Name = Callable[[Value], str]


def verify(steps: Sequence[Step], inputs: Sequence[Value], theta: np.ndarray, name: Name) -> None:
    """Replay every step on the traced sample, each from its parents' recorded numbers, and compare."""
    V = np.array([[node.data for node in inputs] + [n.data for s in steps for n in s.nodes]])
    with np.errstate(all="ignore"):
        for step in steps:
            recorded = V[:, step.out].copy()
            try:
                step.run(V, theta)
            except (ValueError, TypeError) as e:  # a custom op's rule refusing its nodes
                raise TraceError(f"compile: node {name(step.nodes[0])!r} (op {step.op!r}): {e}") from None
            replayed = V[:, step.out][0].tolist()
            _, local = step.edges(V, theta)
            V[:, step.out] = recorded
            edge = 0
            for node, value in zip(step.nodes, replayed):
                ours = local[0, edge : edge + len(node.parents)].tolist()
                edge += len(node.parents)
                sizes = [1.0, abs(node.data), *(abs(p.data) for p in node.parents), *map(abs, node.local_grads)]
                scale = TOLERANCE * max(x for x in sizes if math.isfinite(x))
                pairs = zip([value, *ours], [node.data, *node.local_grads])
                if any(not abs(a - b) <= scale for a, b in pairs):
                    raise TraceError(_mismatch(step, node, value, ours, name))


def _mismatch(step: Step, node: Value, value: float, local: list[float], name: Name) -> str:
    rule = "its registered rule" if step.kind == "custom" else f"the rule of the built-in op {node.op!r}"
    return (
        f"compile: node {name(node)!r} (op {node.op!r}) records the value {node.data!r} and local derivatives "
        f"{_few(node.local_grads)}, but {rule} gives {value!r} and {_few(local)} for its parents' numbers: "
        + (
            "the rule does not fit the op"
            if step.kind == "custom"
            else "a node made by hand cannot take a built-in op's name; give it its own op and register_op a rule"
        )
    )


def value_error(steps: Sequence[Step], V: np.ndarray, theta: np.ndarray, layout: Layout, name: Name) -> Exception:
    """The error of the first node whose value or local derivative is not finite, in the first sample
    that has one, as the engine meets it building that sample's graph: the engine's own error, from
    replaying that node on that sample's numbers."""
    bad = {step: _bad(step, V) for step in steps}
    b = min(int(np.argwhere(rows)[0][0]) for rows in bad.values() if rows.any())
    step = next(step for step in steps if bad[step][b].any())
    node = step.nodes[int(np.argwhere(bad[step][b])[0][0])]
    parents = [
        float(theta[layout.slot[p]]) if p in layout.slot else float(V[b, layout.column[p]]) for p in node.parents
    ]
    where = f"compiled forward, step {step.number} ({_what(step)}), node {name(node)!r} of sample {b}"
    return engine_error(step.form, node, parents, where)


def _bad(step: Step, V: np.ndarray) -> np.ndarray:
    """Where a step's values or checked local derivatives are not finite, shape (B, nodes)."""
    B, n = len(V), len(step.nodes)
    bad = ~np.isfinite(V[:, step.out])
    for x in step.locals if step.checked else ():
        if isinstance(x, np.ndarray):
            finite = np.isfinite(x)
            bad |= ~np.broadcast_to(finite.all(axis=-1) if step.kind == "custom" else finite, (B, n))
    return bad


def grad_error(
    steps: Sequence[Step], inputs: Sequence[Value], G: np.ndarray, input_grads: bool, name: Name
) -> OverflowError:
    """The error of the node where grads first stopped being finite: of the last step (the backward
    pass ran it first), or else an input; in the first sample where it happened."""
    parts = [(step.out, step.nodes) for step in reversed(steps)]
    parts += [(slice(0, len(inputs)), tuple(inputs))] if input_grads else []
    columns, nodes = next((c, n) for c, n in parts if not np.isfinite(G[:, c]).all())
    b, i = (int(v) for v in np.argwhere(~np.isfinite(G[:, columns]))[0])
    node = nodes[i]
    return OverflowError(
        f"compiled backward: the gradient at node {name(node)!r} (op {node.op or 'leaf'!r}) of sample {b} "
        f"is {float(G[b, columns][i])!r}: gradients overflowed the float range"
    )


def parameter_grad_error(parameters: Sequence[Value], dtheta: np.ndarray, name: Name) -> OverflowError:
    i = int(np.argwhere(~np.isfinite(dtheta))[0][0])
    return OverflowError(
        f"compiled backward: the gradient of parameter {name(parameters[i])!r}, summed over the batch, "
        f"is {float(dtheta[i])!r}: gradients overflowed the float range"
    )


def _what(step: Step) -> str:
    return step.kind if step.kind in ("dot", "matrix product", "sum") else f"{step.kind} {step.op!r}"


def _few(numbers: Sequence[float]) -> str:
    shown = ", ".join(repr(x) for x in list(numbers)[:4])
    return f"({shown}{', ...' if len(numbers) > 4 else ''})"


# ---- the engine's own error for one node ---------------------------------------------------------
_SCALAR_UNARY: dict[str, Callable[[Value], Value]] = {
    "neg": operator.neg,
    "exp": Value.exp,
    "log": Value.log,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "relu": Value.relu,
}
_SCALAR_WITH_CONSTANT: dict[str, Callable[[Value, float], Value]] = {
    "+": operator.add,
    "-": operator.sub,
    "rsub": lambda x, c: c - x,
    "*": operator.mul,
    "/": operator.truediv,
    "rdiv": lambda x, c: c / x,
    "**": operator.pow,
    "rpow": lambda x, c: c**x,
}
_SCALAR_BINARY: dict[str, Callable[[Value, Value], Value]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}


def engine_error(form: tuple, node: Value, parents: list[float], where: str) -> Exception:
    """The error the engine raises for ``node``'s op on these parents' numbers (one sample's), prefixed
    with ``where``; an OverflowError when the engine finds the node finite (its sums ran in another
    order) or the op is a custom one (whose rule alone produced the nan or inf)."""
    operands = []
    for p, x in zip(node.parents, parents):
        v = Value(0.0, p.label)
        v.data = x  # as set by hand, so the op names a parameter an optimizer step made infinite
        operands.append(v)
    try:
        _replay(form, node, operands)
    except (ValueError, ZeroDivisionError, OverflowError) as e:
        return type(e)(f"{where}: {e}")
    return OverflowError(
        f"{where}: its value or a local derivative is not finite (op {node.op!r} on parents "
        f"{', '.join(map(repr, parents[:4]))}{', ...' if len(parents) > 4 else ''})"
    )


def _replay(form: tuple, node: Value, ps: list[Value]) -> None:
    """Apply the engine's op of ``form`` to the operands ``ps`` (it raises where it refuses them)."""
    kind, c = form[0], node.const
    if kind == "unary":
        _SCALAR_UNARY[form[1]](ps[0])
    elif kind == "const":
        _SCALAR_WITH_CONSTANT[form[1]](ps[0], c)  # type: ignore[arg-type]
    elif kind == "binary":
        _SCALAR_BINARY[form[1]](ps[0], ps[1])
    elif kind == "sum":
        Value.sum([*ps, c or 0.0])
    elif kind in ("dot", "matmul"):
        k, w, x, b = node.terms
        numbers = list(node.local_grads[:k])  # the partners of a side given as numbers
        weights = ps[:w] if w else numbers
        inputs = ps[w : w + x] if x else numbers
        Value.dot(weights, inputs, ps[-1] if b else c)
