"""Graphs from micrograd: a graph built with micrograd's ``Value`` (or the one written in its
lecture) becomes a graph of this library's Values, so it can be drawn, stepped through and checked.

    >>> from autograd_core import from_micrograd, draw, Stepper
    >>> out = from_micrograd(their_out)   # doctest: +SKIP
    >>> out.backward(); draw(out)          # doctest: +SKIP

A micrograd node has ``data``, ``_prev`` (its operands, a set), ``_op`` (a string) and, in the
lecture's version, ``label``; its derivative lives in a ``_backward`` closure that cannot be read.
So the local derivatives are worked out here from the op's name and the data, for the ops
micrograd and its lecture make: ``+``, ``*``, ``**N`` (the exponent is in the op's name),
``ReLU``, ``tanh``, ``exp``, and also ``-``, ``/``, ``neg``, ``log``, ``sigmoid`` should a
variant have them. Any other op is an error that names it.

``_prev`` is a set, so ``a + a`` and ``a * a`` have ONE operand there; the operand is used twice,
and the new node gets two edges to it (as ``a + a`` has here), so d(a+a)/da = 1 + 1 and
d(a*a)/da = a + a. Each node's data is checked to be a finite real number and to match its op
applied to its operands, which also settles the order of the operands of ``-`` and ``/`` (a set
does not keep it). The walk is iterative: a graph as deep as memory allows converts at the
default recursion limit, and a graph whose ``_prev`` links form a cycle (no computation makes
one, but the attributes can be set by hand) is refused when the walk first comes back to a node.
"""

from __future__ import annotations

import math
from typing import Any

from autograd_core.inputs import real, short
from autograd_core.value import Value

OPS = ("+", "-", "*", "/", "**N", "ReLU", "tanh", "exp", "log", "sigmoid", "neg")
"""The micrograd op names ``from_micrograd`` knows (``**N`` stands for ``**2``, ``**-1``, ...)."""

_REL = 1e-9  # how closely a node's data must match its op applied to its operands


def from_micrograd(root: Any, *, nodes: dict[int, Value] | None = None) -> Value:
    """This library's graph of a micrograd graph: one Value per node, same data, same labels.

    ``root`` is a node of micrograd 0.1.0 (``micrograd.engine.Value``) or of any class with
    ``data``, ``_prev`` and ``_op`` (``label`` is kept when there is one). Their grads are not
    copied: call ``backward()`` on the result. If ``nodes`` is a dict, it receives
    ``id(their node) -> our Value`` for every node, to compare grads node by node.

    Raises TypeError for an object that is not such a node, or whose data is not a real number
    (an array), and ValueError for an op this function does not know (naming it), a node whose
    data is not finite or does not match its op, or a cycle in ``_prev``; each names the node.
    """
    converted: dict[int, Value] = {} if nodes is None else nodes
    keep: list[Any] = []  # their nodes, alive until the end, so no id() is reused meanwhile
    expanding: set[int] = set()  # nodes whose operands are being converted
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, operands_done = stack.pop()
        if id(node) in converted:
            continue
        prev = _operands(node)
        if not operands_done:
            # Everything above (node, True) on the stack was reached from node: meeting node
            # there again, before it is converted, means a path from node back to itself.
            if id(node) in expanding:
                raise ValueError(
                    f"from_micrograd: _prev has a cycle: following the operands of {_show(node)} leads back "
                    "to it (a computation graph has none)"
                )
            expanding.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in prev if id(p) not in converted)
            continue
        keep.append(node)
        converted[id(node)] = _convert(node, [converted[id(p)] for p in prev], isinstance(node._prev, (set, frozenset)))
    return converted[id(root)]


def _operands(node: Any) -> list[Any]:
    for attribute in ("data", "_prev", "_op"):
        if not hasattr(node, attribute):
            raise TypeError(
                f"from_micrograd: expected a micrograd Value (with data, _prev and _op), got "
                f"{type(node).__name__} without {attribute!r}: {short(node)}"
            )
    prev = list(node._prev)
    if isinstance(node._prev, (set, frozenset)):  # no order: show operands in a fixed one
        prev.sort(key=lambda p: (str(getattr(p, "label", "") or ""), _data(p)))
    return prev


def _data(node: Any) -> float:
    """A node's data as a finite float, or the error that names the node."""
    return real(node.data, f"from_micrograd: the data of {_show(node)}")


def _convert(node: Any, parents: list[Value], unordered: bool) -> Value:
    op = str(node._op)
    label = getattr(node, "label", "")
    label = label if isinstance(label, str) else ""
    data = _data(node)
    if not parents:
        if op:
            raise ValueError(f"from_micrograd: a node with op {short(op, 40)} and no operands: {_show(node)}")
        return Value(data, label)
    local, ours, const, parents = _local_grads(op, parents, data, unordered, node)
    out = Value(data, label, parents=parents, local_grads=local, op=ours)
    out.const = const
    return out


def _local_grads(
    op: str, parents: list[Value], data: float, unordered: bool, node: Any
) -> tuple[tuple[float, ...], str, float | None, list[Value]]:
    """(local derivatives, our op name, the constant folded into the op, parents with repeats)."""
    if op in ("+", "-", "*", "/"):
        if len(parents) == 1:  # a set keeps one of two equal operands: a + a, a * a
            parents = [parents[0], parents[0]]
        if len(parents) != 2:
            raise ValueError(f"from_micrograd: op {short(op, 40)} with {len(parents)} operands: {_show(node)}")
        orders = [parents, parents[::-1]] if unordered and parents[0] is not parents[1] else [parents]
        fits = [(x, y) for x, y in orders if _close(_binary(op, x.data, y.data), data)]
        if not fits:
            raise _mismatch(node, op, [p.data for p in parents])
        x, y = fits[0]
        local = _binary_grads(op, x.data, y.data)
        swapped = _binary_grads(op, y.data, x.data)
        if len(fits) > 1 and local != (swapped[1], swapped[0]):
            raise ValueError(
                f"from_micrograd: cannot tell the operands of {short(op, 40)} apart ({x.data!r} and {y.data!r} give "
                f"the same result either way, and _prev is a set, which keeps no order): {_show(node)}"
            )
        return local, op, None, [x, y]
    if len(parents) != 1:
        raise (
            _unknown(op, node)
            if not _is_unary(op)
            else ValueError(
                f"from_micrograd: op {short(op, 40)} with {len(parents)} operands, expected 1: {_show(node)}"
            )
        )
    (x,) = parents
    if op.startswith("**"):
        try:
            n = float(op[2:])
        except ValueError:
            raise _unknown(op, node) from None
        if n - n:  # **inf, **nan
            raise ValueError(f"from_micrograd: op {short(op, 40)}: expected a finite exponent: {_show(node)}")
        try:
            power = float(x.data**n)
        except (ZeroDivisionError, OverflowError, TypeError):  # TypeError: a complex result
            raise _mismatch(node, op, [x.data]) from None
        if not _close(power, data):
            raise _mismatch(node, op, [x.data])
        return ((n * x.data ** (n - 1.0) if n != 1.0 else 1.0),), "**", n, parents
    if op.lower() == "relu":
        return ((1.0 if data > 0.0 else 0.0),), "relu", None, parents  # micrograd: (out.data > 0)
    if op == "tanh":
        _check(node, op, math.tanh(x.data), data, x)
        return (1.0 - data * data,), "tanh", None, parents  # the lecture's (1 - t**2)
    if op == "exp":
        _check(node, op, math.exp(x.data), data, x)
        return (data,), "exp", None, parents
    if op == "log":
        _check(node, op, math.log(x.data), data, x)
        return (1.0 / x.data,), "log", None, parents
    if op == "sigmoid":
        return (data * (1.0 - data),), "sigmoid", None, parents
    if op == "neg":
        _check(node, op, -x.data, data, x)
        return (-1.0,), "neg", None, parents
    raise _unknown(op, node)


def _binary(op: str, x: float, y: float) -> float:
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    return x / y if y else math.nan


def _binary_grads(op: str, x: float, y: float) -> tuple[float, float]:
    if op == "+":
        return (1.0, 1.0)
    if op == "-":
        return (1.0, -1.0)
    if op == "*":
        return (y, x)
    return (1.0 / y, -x / (y * y))


def _is_unary(op: str) -> bool:
    return op.startswith("**") or op.lower() == "relu" or op in ("tanh", "exp", "log", "sigmoid", "neg")


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=_REL, abs_tol=1e-12)


def _check(node: Any, op: str, expected: float, data: float, x: Value) -> None:
    if not _close(expected, data):
        raise _mismatch(node, op, [x.data])


def _mismatch(node: Any, op: str, operands: list[float]) -> ValueError:
    return ValueError(
        f"from_micrograd: a node's data does not match its op {short(op, 40)} applied to its operands "
        f"{', '.join(map(repr, operands))}: {_show(node)}"
    )


def _unknown(op: str, node: Any) -> ValueError:
    return ValueError(
        f"from_micrograd: unknown op {short(op, 40)} (known: {', '.join(OPS)}; **N is a power such as **2): "
        + _show(node)
    )


def _show(node: Any) -> str:
    """A node as an error quotes it: every part cut short (a label or an array can be huge)."""
    label = getattr(node, "label", "")
    shown = f", label={short(label, 40)}" if label else ""
    return f"{type(node).__name__}(data={short(node.data, 40)}{shown}, _op={short(node._op, 40)})"
