"""Where each local derivative comes from: the rule of every built-in op, written out, by op name.

value.py computes the local derivatives as numbers when it makes a node; this module says, for
the stepper's text, which formula gave each number::

    >>> from autograd_core import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> explain(a * b, 0, lambda node: node.label)
    ['∂(a·b)/∂a = b = ', -3.0]
    >>> explain(b.tanh(), 0, lambda node: node.label)[:3]
    ['∂tanh(b)/∂b = 1 − tanh(b)² = 1 − ', -0.9950547536867305, '² = ']

A rule is text with the numbers left as floats (the caller formats them, e.g. short with the full
value on hover); its last part is always the stored local derivative itself. ``RULES`` is the one
table, keyed by ``Value.op``; an op that is not in it (a custom op, or one made by nn) gets None.
"""

from __future__ import annotations

from collections.abc import Callable

from autograd_core.value import Value

Part = str | float
"""A piece of an explanation: text, or a number for the caller to format."""

Name = Callable[[Value], str]
"""The name a node is written with (in parentheses already when it is not one word)."""

Rule = Callable[[Value, int, Name], list[Part]]


def explain(node: Value, k: int, name: Name) -> list[Part] | None:
    """Why d(node)/d(node.parents[k]) is ``node.local_grads[k]``: the rule of ``node.op``, as parts.

    None when the op has no rule here (a custom op: its number is whatever the op stored).
    """
    rule = RULES.get(node.op)
    if rule is None or not 0 <= k < len(node.parents):
        return None
    return rule(node, k, name)


def _last(node: Value, k: int) -> float:
    return node.local_grads[k]


def _binary(symbol: str) -> Callable[[Value, Name], str]:
    """The expression of a node of a binary op, as text: "a + b", "x + 2" (a folded number)."""

    def text(node: Value, name: Name) -> str:
        if node.const is not None:
            return f"{name(node.parents[0])} {symbol} {_short(node.const)}"
        a, b = node.parents
        return f"{name(a)} {symbol} {name(b)}"

    return text


def _short(x: float) -> str:
    """A folded-in constant inside a formula: as the user wrote it, 2 rather than 2.0."""
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)


def _add(node: Value, k: int, name: Name) -> list[Part]:
    return [f"∂({_binary('+')(node, name)})/∂{name(node.parents[k])} = ", _last(node, k)]


def _sub(node: Value, k: int, name: Name) -> list[Part]:
    return [f"∂({_binary('−')(node, name)})/∂{name(node.parents[k])} = ", _last(node, k)]


def _rsub(node: Value, k: int, name: Name) -> list[Part]:
    return [f"∂({_short(node.const or 0.0)} − {name(node.parents[0])})/∂{name(node.parents[0])} = ", _last(node, k)]


def _neg(node: Value, k: int, name: Name) -> list[Part]:
    return [f"∂(−{name(node.parents[0])})/∂{name(node.parents[0])} = ", _last(node, k)]


def _mul(node: Value, k: int, name: Name) -> list[Part]:
    if node.const is not None:
        x = name(node.parents[0])
        return [f"∂({x}·{_short(node.const)})/∂{x} = ", _last(node, k)]
    a, b = map(name, node.parents)
    return [f"∂({a}·{b})/∂{(a, b)[k]} = {(b, a)[k]} = ", _last(node, k)]


def _div(node: Value, k: int, name: Name) -> list[Part]:
    if node.const is not None:
        x, c = name(node.parents[0]), _short(node.const)
        return [f"∂({x}/{c})/∂{x} = 1/{c} = ", _last(node, k)]
    a, b = map(name, node.parents)
    if k == 0:
        return [f"∂({a}/{b})/∂{a} = 1/{b} = 1/", node.parents[1].data, " = ", _last(node, k)]
    return [f"∂({a}/{b})/∂{b} = −{a}/{b}² = ", _last(node, k)]


def _rdiv(node: Value, k: int, name: Name) -> list[Part]:
    x, c = name(node.parents[0]), _short(node.const or 0.0)
    return [f"∂({c}/{x})/∂{x} = −{c}/{x}² = −{c}/", node.parents[0].data, "² = ", _last(node, k)]


def _pow(node: Value, k: int, name: Name) -> list[Part]:
    if node.const is not None:
        x, c = name(node.parents[0]), node.const
        if c == 0.0:
            return [f"∂({x}**0)/∂{x} = ", _last(node, k)]
        return [f"∂({x}**{_short(c)})/∂{x} = {_short(c)}·{x}**{_short(c - 1)} = ", _last(node, k)]
    x, y = map(name, node.parents)
    if k == 0:
        return [f"∂({x}**{y})/∂{x} = {y}·{x}**({y} − 1) = ", _last(node, k)]
    return [
        f"∂({x}**{y})/∂{y} = {x}**{y}·log({x}) = ",
        node.data,
        " × log(",
        node.parents[0].data,
        ") = ",
        _last(node, k),
    ]


def _rpow(node: Value, k: int, name: Name) -> list[Part]:
    x, c = name(node.parents[0]), _short(node.const or 0.0)
    return [f"∂({c}**{x})/∂{x} = {c}**{x}·log({c}) = ", node.data, f" × log({c}) = ", _last(node, k)]


def _exp(node: Value, k: int, name: Name) -> list[Part]:
    x = name(node.parents[0])
    return [f"∂exp({x})/∂{x} = exp({x}) = ", _last(node, k)]


def _log(node: Value, k: int, name: Name) -> list[Part]:
    x = name(node.parents[0])
    return [f"∂log({x})/∂{x} = 1/{x} = 1/", node.parents[0].data, " = ", _last(node, k)]


def _tanh(node: Value, k: int, name: Name) -> list[Part]:
    x = name(node.parents[0])
    return [f"∂tanh({x})/∂{x} = 1 − tanh({x})² = 1 − ", node.data, "² = ", _last(node, k)]


def _sigmoid(node: Value, k: int, name: Name) -> list[Part]:
    x = name(node.parents[0])
    s = node.data
    return [f"∂σ({x})/∂{x} = σ({x})·(1 − σ({x})) = ", s, " × ", 1.0 - s, " = ", _last(node, k)]


def _relu(node: Value, k: int, name: Name) -> list[Part]:
    x = name(node.parents[0])
    value = node.parents[0].data
    where = "> 0" if value > 0.0 else "≤ 0"
    return [f"∂relu({x})/∂{x} = 1 if {x} > 0, else 0; here {x} = ", value, f" {where}, so ", _last(node, k)]


def _sum(node: Value, k: int, name: Name) -> list[Part]:
    return [f"∂(Σ of {len(node.parents)} terms)/∂{name(node.parents[k])} = ", _last(node, k)]


def _dot(node: Value, k: int, name: Name) -> list[Part]:
    """Value.dot: each parent's role (weight, input or bias) read from the node's ``terms``.

    A weight w_i's local derivative is the input x_i it multiplies, named when it is a node; an
    input's is its weight; the bias's is 1. Nothing is guessed from the numbers: a weight equal
    to an input is still named a weight.
    """
    terms = getattr(node, "terms", None)
    local = node.local_grads[k]
    if terms is None:  # a node built by hand with op "dot": its structure is unknown
        return [f"∂(Σ w·x + b)/∂{name(node.parents[k])} = the number it multiplies (1 for a bias) = ", local]
    expr = "Σ w·x + b" if terms.bias or node.const is not None else "Σ w·x"
    side, i = terms.role(k)
    if side == "b":
        return ["∂(Σ w·x + b)/∂b = ", local]
    other = "x" if side == "w" else "w"
    index = "" if i is None else f"_{i}"
    partner = terms.partner(k)
    what = "" if partner is None else f" = {name(node.parents[partner])}"
    return [f"∂({expr})/∂{side}{index} = {other}{index}{what} = ", local]


RULES: dict[str, Rule] = {
    "+": _add,
    "-": _sub,
    "rsub": _rsub,
    "neg": _neg,
    "*": _mul,
    "/": _div,
    "rdiv": _rdiv,
    "**": _pow,
    "rpow": _rpow,
    "exp": _exp,
    "log": _log,
    "tanh": _tanh,
    "sigmoid": _sigmoid,
    "relu": _relu,
    "sum": _sum,
    "dot": _dot,
}
"""The rule of every op that value.py makes, by ``Value.op``."""
