"""`Value`, a scalar node of a computation graph, and every op on it.

A node stores data, not code: its `parents` and, aligned with them, its `local_grads`, the
local derivatives d(node)/d(parent) as plain floats, computed by the op that made the node.
The backward pass (graph.py) is one loop over those pairs:

    parent.grad += local_grad * node.grad

Each op below is one place that says both halves of its rule: the forward value and the local
derivative(s). A plain number in an op (``x * 2``, ``1 - x``) is folded into the node rather
than becoming a node of its own (as in PyTorch); it is kept in ``const`` so drawings can show it.

Invariant: every node's data and local derivatives are finite floats. An op that would break it
raises (ValueError for a domain error, ZeroDivisionError, OverflowError) naming the op and its
operands; the engine never hands back a silent nan or inf. The check lives in ``_node``, the one
function that makes nodes (and ``_node_checked`` adds the derivative check for the few ops whose
derivative can overflow when their value does not: /, rdiv, **, rpow, log).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Sequence
from numbers import Real
from operator import mul
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn

from autograd_core.graph import chain_rule as _chain_rule
from autograd_core.graph import topological_order
from autograd_core.inputs import real as _real
from autograd_core.inputs import short as _short
from autograd_core.inputs import text as _text
from autograd_core.inputs import too_large as _too_large

Number = int | float
"""A plain real number; numpy real scalars (and anything registered as numbers.Real) work too."""

_new = object.__new__
_ONE = (1.0,)
_MINUS_ONE = (-1.0,)
_ZERO = (0.0,)
_ONE_ONE = (1.0, 1.0)
_ONE_MINUS_ONE = (1.0, -1.0)
_FLOAT_TYPE = {float}
SHOWN_OPERANDS = 4
"""An error message names at most this many operands (a wide layer's dot node has hundreds)."""


class Value:
    """A scalar in a computation graph, with the gradient of the output with respect to it.

    ``Value(2.0, label="a")`` makes a leaf. Ops on Values (``a * b``, ``a.tanh()``, ...) make
    new nodes that remember their parents and the local derivatives d(node)/d(parent);
    ``out.backward()`` then fills ``grad`` on every node that ``out`` depends on.

    Attributes:
        data: the value, a Python float.
        grad: d(root)/d(this node) after ``root.backward()``; 0.0 before.
        parents: the nodes this one was computed from, in order. Duplicates are kept:
            ``a + a`` has two edges to ``a``.
        local_grads: d(this node)/d(parent) for each entry of ``parents``, as floats.
        op: the op that made the node ("+", "*", "tanh", "dot", ...); "" for a leaf.
        label: a name for drawings and reports ("" when unnamed).
        const: the plain number the op folded in (2.0 for ``x * 2``), or None.
        terms: a dot node's structure (``DotTerms``: which parents are weights, inputs and the
            bias); only dot nodes have it, so read it as ``getattr(node, "terms", None)``. (The
            slot costs no memory: a node's 88 bytes take a 96-byte block either way.)

    A custom op is a node built directly from its value and its local derivatives::

        softplus = Value(math.log1p(math.exp(x.data)), parents=(x,),
                         local_grads=(1 / (1 + math.exp(-x.data)),), op="softplus")
    """

    __slots__ = ("data", "grad", "parents", "local_grads", "op", "label", "const", "terms")

    # numpy defers to our reflected ops, so np.float64(2) * v is a Value, not an object array.
    __array_ufunc__ = None

    data: float
    grad: float
    parents: tuple[Value, ...]
    local_grads: tuple[float, ...]
    op: str
    label: str
    const: float | None
    terms: DotTerms

    def __init__(
        self,
        data: Number,
        label: str = "",
        *,
        parents: Sequence[Value] = (),
        local_grads: Sequence[Number] = (),
        op: str = "",
    ) -> None:
        self.data = _real(data, "Value")
        self.grad = 0.0
        self.label = _text(label, "label")
        self.op = _text(op, "op")
        self.parents, self.local_grads = _edges(parents, local_grads)
        self.const = None

    def __repr__(self) -> str:
        extra = "".join(f", {k}={v!r}" for k, v in (("op", self.op), ("label", self.label)) if v)
        return f"Value(data={self.data!r}, grad={self.grad!r}{extra})"

    # ---- a node is not a number: its number is .data ---------------------------------------
    # float(v) would let math.exp(v) (every math.* function calls it) return a plain float, cut
    # from the graph: y = x * math.exp(x) would get dy/dx = e instead of 2e, silently. So every
    # door to a plain number raises and says what to write (micrograd's Value, which has no
    # __float__, raises a TypeError here too). int(v), round(v) and math.trunc(v) raise the same
    # way; math.floor and math.ceil, complex(v) and np.float64(v) go through __float__. Hidden
    # from type checkers, so that they flag ``math.exp(v)`` as well.
    if not TYPE_CHECKING:

        def __float__(self, *_: object) -> NoReturn:  # round(v, 2) passes one more
            raise TypeError(
                f"{_show(self)} is a node of the graph, not a plain number: float(v), int(v), round(v) and "
                "math.* functions would cut it from the graph, and its gradient would be silently lost. "
                "Use its ops (v.exp(), v.log(), v.tanh(), v ** 0.5, ...), or v.data for the number"
            )

        __int__ = __round__ = __trunc__ = __float__

    def __bool__(self) -> NoReturn:
        """``if v:`` would be true whatever the number (an object is true): refused."""
        raise TypeError(
            f"{_show(self)} has no truth value (a node is not a number): test its number, e.g. if v.data > 0"
        )

    def __eq__(self, other: object) -> bool:
        """The same node (``is``), as for any object: nodes are keys of dicts and members of sets.
        ``v == 0`` would be false whatever the number: refused, as are ``<``, ``<=``, ``>``, ``>=``."""
        if isinstance(other, Real):
            raise _compared(self, "==", other)
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        if isinstance(other, Real):
            raise _compared(self, "!=", other)
        return NotImplemented

    __hash__ = object.__hash__

    def __lt__(self, other: object) -> NoReturn:
        raise _compared(self, "<", other)

    def __le__(self, other: object) -> NoReturn:
        raise _compared(self, "<=", other)

    def __gt__(self, other: object) -> NoReturn:
        raise _compared(self, ">", other)

    def __ge__(self, other: object) -> NoReturn:
        raise _compared(self, ">=", other)

    # ---- copies: copy.deepcopy and pickle work at any depth ----------------------------------
    def __reduce__(self) -> tuple:
        """How pickle and ``copy.deepcopy`` take a node apart: see ``_reduce``."""
        return _reduce(self)

    def __copy__(self) -> Value:
        """``copy.copy(v)``: a new node with the same data, grad, edges, op, label and const."""
        return _rebuilt((), (), *_fields(self))

    # ---- the chain rule, run from this node --------------------------------------------
    def backward(self, grad: Number = 1.0) -> None:
        """Fill ``.grad`` of every node this one depends on with d(self)/d(node) * grad.

        Non-leaf grads are reset first; leaf grads accumulate (``+=``) across calls, as in
        PyTorch: k calls without zeroing give the leaves k times the gradient. Zero them
        with ``autograd_core.zero_grad(root)`` (or an optimizer's ``zero_grad()``).
        Iterative: a chain of a million nodes needs no recursion limit. For several roots at once,
        each with its own grad (a vector-Jacobian product), see ``autograd_core.backward``.
        """
        _chain_rule(self, _real(grad, "backward(grad)"))

    # ---- binary ops: forward value, then local derivatives ------------------------------
    def __add__(self, other: Value | Number) -> Value:
        """self + other; d/dself = 1, d/dother = 1."""
        if isinstance(other, Value):
            return _node(self.data + other.data, (self, other), _ONE_ONE, "+")
        c = other if type(other) is float else _operand(other, "+")
        if c is None:
            return NotImplemented
        return _node(self.data + c, (self,), _ONE, "+", c)

    __radd__ = __add__

    def __sub__(self, other: Value | Number) -> Value:
        """self - other; d/dself = 1, d/dother = -1."""
        if isinstance(other, Value):
            return _node(self.data - other.data, (self, other), _ONE_MINUS_ONE, "-")
        c = other if type(other) is float else _operand(other, "-")
        if c is None:
            return NotImplemented
        return _node(self.data - c, (self,), _ONE, "-", c)

    def __rsub__(self, other: Number) -> Value:
        """other - self; d/dself = -1."""
        c = other if type(other) is float else _operand(other, "-")
        if c is None:
            return NotImplemented
        return _node(c - self.data, (self,), _MINUS_ONE, "rsub", c)

    def __mul__(self, other: Value | Number) -> Value:
        """self * other; d/dself = other, d/dother = self."""
        if isinstance(other, Value):
            return _node(self.data * other.data, (self, other), (other.data, self.data), "*")
        c = other if type(other) is float else _operand(other, "*")
        if c is None:
            return NotImplemented
        return _node(self.data * c, (self,), (c,), "*", c)

    __rmul__ = __mul__

    def __truediv__(self, other: Value | Number) -> Value:
        """self / other; d/dself = 1/other, d/dother = -self/other**2."""
        if isinstance(other, Value):
            y = other.data
            if y - y:  # x / inf is a finite 0: the inf would pass unseen
                raise _overflow("/", self, other)
            if y == 0.0:
                raise ZeroDivisionError(f"/: division by zero: {_show(self)} / {_show(other)}")
            d = self.data / y
            return _node_checked(d, (self, other), (1.0 / y, -d / y), "/")
        c = _operand(other, "/")
        if c is None:
            return NotImplemented
        if c == 0.0:
            raise ZeroDivisionError(f"/: division by zero: {_show(self)} / {c!r}")
        return _node_checked(self.data / c, (self,), (1.0 / c,), "/", c)

    def __rtruediv__(self, other: Number) -> Value:
        """other / self; d/dself = -other/self**2."""
        c = _operand(other, "/")
        if c is None:
            return NotImplemented
        x = self.data
        if x - x:  # c / inf is a finite 0
            raise _overflow("/", self, c)
        if x == 0.0:
            raise ZeroDivisionError(f"/: division by zero: {c!r} / {_show(self)}")
        d = c / x
        return _node_checked(d, (self,), (-d / x,), "rdiv", c)

    def __pow__(self, other: Value | Number) -> Value:
        """self ** other.

        With a number c: d/dself = c * self**(c-1); a negative base needs an integer c.
        With a Value y: d/dself = y * self**(y-1), d/dy = self**y * log(self); the base must
        be positive, because self**y is not a differentiable function of y otherwise.
        """
        if isinstance(other, Value):
            x, y = self.data, other.data
            if x <= 0.0:
                raise ValueError(
                    f"**: a Value exponent needs a positive base (d/dy x**y = x**y * log x), "
                    f"got {_show(self)} ** {_show(other)}"
                )
            d = _pow(x, y, "**", self, other)
            local = (y * _pow(x, y - 1.0, "**", self, other), d * math.log(x))
            return _node_checked(d, (self, other), local, "**")
        c = _operand(other, "**")
        if c is None:
            return NotImplemented
        x = self.data
        if x - x:  # inf ** -1 is a finite 0, and nan ** 0 is 1
            raise _overflow("**", self, c)
        if x < 0.0 and not c.is_integer():
            raise ValueError(f"**: a negative base needs an integer exponent, got {_show(self)} ** {c!r}")
        if x == 0.0 and c < 0.0:
            raise ZeroDivisionError(f"**: zero to a negative power: {_show(self)} ** {c!r}")
        if c == 0.0:
            return _node(1.0, (self,), _ZERO, "**", c)
        if x == 0.0 and c < 1.0:
            raise ZeroDivisionError(f"**: the derivative c * x**(c-1) is infinite at {_show(self)} ** {c!r}")
        dx = c * _pow(x, c - 1.0, "**", self, c) if c != 1.0 else 1.0
        return _node_checked(_pow(x, c, "**", self, c), (self,), (dx,), "**", c)

    def __rpow__(self, other: Number) -> Value:
        """other ** self for a number base b > 0; d/dself = b**self * log(b)."""
        c = _operand(other, "**")
        if c is None:
            return NotImplemented
        if self.data - self.data:  # 2 ** -inf is a finite 0
            raise _overflow("**", c, self)
        if c <= 0.0:
            raise ValueError(f"**: the base of b ** x must be positive, got {c!r} ** {_show(self)}")
        d = _pow(c, self.data, "**", c, self)
        return _node_checked(d, (self,), (d * math.log(c),), "rpow", c)

    def __neg__(self) -> Value:
        """-self; d/dself = -1."""
        return _node(-self.data, (self,), _MINUS_ONE, "neg")

    # ---- unary functions ----------------------------------------------------------------
    def exp(self) -> Value:
        """e**x; d/dx = e**x."""
        if self.data - self.data:  # exp(-inf) is a finite 0
            raise _overflow("exp", self)
        try:
            d = math.exp(self.data)
        except OverflowError:
            raise OverflowError(
                f"exp: overflow at {_show(self)} (exp(x) exceeds the float range for x > 709.78)"
            ) from None
        return _node(d, (self,), (d,), "exp")

    def log(self) -> Value:
        """Natural log; d/dx = 1/x. Needs x > 0."""
        x = self.data
        if x <= 0.0:
            raise ValueError(f"log: expected a positive operand, got {_show(self)}")
        return _node_checked(math.log(x), (self,), (1.0 / x,), "log")

    def tanh(self) -> Value:
        """tanh(x); d/dx = 1 - tanh(x)**2 = 4e / (1 + e)**2 with e = exp(-2|x|).

        The second form has no cancellation, so value and derivative are exact to float
        precision for any x (1 - t*t loses all digits once t rounds to 1).
        """
        x = self.data
        if x - x:  # tanh(inf) is a finite 1
            raise _overflow("tanh", self)
        e = math.exp(-2.0 * abs(x))
        return _node(math.tanh(x), (self,), (4.0 * e / ((1.0 + e) * (1.0 + e)),), "tanh")

    def sigmoid(self) -> Value:
        """s = 1 / (1 + exp(-x)); d/dx = s * (1 - s) = e / (1 + e)**2 with e = exp(-|x|).

        Only exp of a non-positive number is taken, so nothing overflows, and neither form
        cancels: exact to float precision for any x.
        """
        x = self.data
        if x - x:  # sigmoid(inf) is a finite 1
            raise _overflow("sigmoid", self)
        e = math.exp(-abs(x))
        s = 1.0 / (1.0 + e) if x >= 0.0 else e / (1.0 + e)
        return _node(s, (self,), (e / ((1.0 + e) * (1.0 + e)),), "sigmoid")

    def relu(self) -> Value:
        """max(0, x); d/dx = 1 for x > 0 and 0 for x <= 0 (0 at the kink, as in PyTorch)."""
        if self.data > 0.0:
            return _node(self.data, (self,), _ONE, "relu")
        if self.data - self.data:  # nan and -inf are not > 0, but are no 0 either
            raise _overflow("relu", self)
        return _node(0.0, (self,), _ZERO, "relu")

    # ---- n-ary ops: one node however many inputs ----------------------------------------
    @staticmethod
    def sum(values: Iterable[Value | Number], label: str = "") -> Value:
        """values[0] + values[1] + ... as ONE node; d/dvalues[i] = 1.

        Plain numbers among the values are added into ``const``.
        """
        values = tuple(values)
        data, nodes, all_nodes = _unpack(values, "Value.sum")
        c = None if all_nodes else sum(x for x, v in zip(data, values) if not isinstance(v, Value))
        return _node(sum(data, 0.0), nodes, (1.0,) * len(nodes), "sum", c, label)

    @staticmethod
    def dot(
        weights: Sequence[Value | Number],
        inputs: Sequence[Value | Number],
        bias: Value | Number | None = None,
        label: str = "",
    ) -> Value:
        """sum_k weights[k] * inputs[k] (+ bias) as ONE node: a neuron's pre-activation z.

        d/dweights[k] = inputs[k], d/dinputs[k] = weights[k], d/dbias = 1. Parents are the
        Values among weights, then among inputs, then the bias; plain numbers are constants.
        The node's ``terms`` record that structure, so every explanation of
        it names each parent's role from the structure, never by comparing numbers.
        """
        if len(weights) != len(inputs):
            raise ValueError(
                f"Value.dot: weights and inputs must have the same length, got {len(weights)} and {len(inputs)}"
            )
        wd, w_nodes, w_all = _unpack(weights, "Value.dot(weights)")
        xd, x_nodes, x_all = _unpack(inputs, "Value.dot(inputs)")
        d = sum(map(mul, wd, xd))
        parents = w_nodes + x_nodes
        if (w_all or not w_nodes) and (x_all or not x_nodes):  # each side all Values or all numbers
            local: tuple[float, ...] = (*(xd if w_all else ()), *(wd if x_all else ()))
        else:
            local = tuple(x for w, x in zip(weights, xd) if isinstance(w, Value))
            local += tuple(w for w, x in zip(wd, inputs) if isinstance(x, Value))
        c = None
        if isinstance(bias, Value):
            d += bias.data
            parents += (bias,)
            local += _ONE
        elif bias is not None:
            c = _real(bias, "Value.dot(bias)")
            d += c
        node = _node(d, parents, local, "dot", c, label)
        node.terms = DotTerms(len(wd), len(w_nodes), len(x_nodes), int(isinstance(bias, Value)))
        return node


# ---- helpers ---------------------------------------------------------------------------


def _node(
    data: float,
    parents: tuple,
    local_grads: tuple,
    op: str,
    const: float | None = None,
    label: str = "",
) -> Value:
    """A new node: the one place that makes nodes, and so the one place that checks the value.

    The value must be finite (``data - data`` is nonzero exactly for inf and nan), or the op
    raises, naming itself and its operands. The local derivatives of most ops are their
    operands' values or constants, finite already; the ops whose derivative can overflow on
    its own use ``_node_checked``. The edges are taken as given: ``parents`` a tuple of Values,
    ``local_grads`` an aligned tuple of floats.
    """
    if data - data:
        raise _overflow(op, *parents, *(() if const is None else (const,)))
    v = _new(Value)
    v.data = data
    v.grad = 0.0
    v.parents = parents
    v.local_grads = local_grads
    v.op = op
    v.label = label
    v.const = const
    return v


def _node_checked(data: float, parents: tuple, local_grads: tuple, op: str, const: float | None = None) -> Value:
    """_node, after making sure every local derivative is finite too (/, rdiv, **, rpow, log)."""
    if any(g - g for g in local_grads):
        raise _overflow(op, *parents, *(() if const is None else (const,)))
    return _node(data, parents, local_grads, op, const)


def _pow(base: float, exponent: float, op: str, *operands: Value | float) -> float:
    try:
        return base**exponent
    except OverflowError:
        raise _overflow(op, *operands) from None


_WRITTEN = {"rsub": "-", "rdiv": "/", "rpow": "**"}  # a reflected op, named in errors as the user wrote it


def _overflow(op: str, *operands: Value | float) -> Exception:
    """The error of an op whose result is not finite: it names the operand that is not finite
    (a number, or a Value whose .data was set by hand), else the first operands."""
    op = _WRITTEN.get(op, op)
    for x in operands:
        if not isinstance(x, Value) and x - x:
            return ValueError(f"{op}: expected a finite number as an operand, got {x!r}")
    for x in operands:
        if isinstance(x, Value) and x.data - x.data:
            return OverflowError(
                f"{op}: the operand {_show(x)} is not finite; the engine never makes such a node, so its .data "
                "was set by hand (or by an optimizer step that overflowed)"
            )
    if len(operands) <= SHOWN_OPERANDS:
        return OverflowError(
            f"{op}: the result or its derivative overflows the float range for operands "
            + ", ".join(map(_show, operands))
        )
    largest = sorted(range(len(operands)), key=lambda i: -abs(_number(operands[i])))[:SHOWN_OPERANDS]
    shown = ", ".join(_show(operands[i]) for i in sorted(largest))
    return OverflowError(
        f"{op}: the result or its derivative overflows the float range; the largest of its "
        f"{len(operands)} operands: {shown}"
    )


# Pickle and deepcopy walk an object's references recursively: a node's parents, their parents,
# ... so a chain of 10^5 nodes hit the recursion limit. A node is taken apart instead as its own
# fields plus, first, every node it depends on in topological order, each of those taken apart
# shallowly (its parents, met before it, are already copied, so nothing recurses). Identity is
# kept: pickle and deepcopy copy each node once, shared parents stay shared, and a leaf pickled
# beside the graph (a model's weight) is the same object as the graph's. Which nodes to take
# apart shallowly is kept per thread while they are being copied; the empty tuple ``_Copied``
# turns into is copied right after them and forgets them. (A copy that fails halfway leaves
# them marked: a later copy of one of them then recurses as before; it is never wrong.)
class _Marked(threading.local):
    """The ids of the nodes to take apart shallowly, in this thread (see above)."""

    def __init__(self) -> None:
        self.ids: set[int] = set()


_marked = _Marked()


def _reduce(v: Value) -> tuple:
    marked = _marked.ids
    if not v.parents or id(v) in marked:
        return _rebuilt, ((), (), *_fields(v))
    before = topological_order(v)[:-1]
    ids = [id(node) for node in before if node.parents and id(node) not in marked]
    marked.update(ids)
    return _rebuilt, (tuple(before), _Copied(ids), *_fields(v))


def _fields(v: Value) -> tuple:
    return type(v), v.data, v.grad, v.parents, v.local_grads, v.op, v.label, v.const, getattr(v, "terms", None)


def _rebuilt(before: tuple, copied: tuple, cls: type[Value], *fields: Any) -> Value:
    """A node from ``_fields`` (``before`` and ``copied`` only ordered the copying)."""
    v = _new(cls)
    v.data, v.grad, v.parents, v.local_grads, v.op, v.label, v.const, terms = fields
    if terms is not None:  # only dot nodes have terms
        v.terms = terms
    return v


class _Copied:
    """Copied right after the nodes ``_reduce`` marked: unmarks them, and becomes ()."""

    def __init__(self, ids: list[int]) -> None:
        self.ids = ids

    def __reduce__(self) -> tuple:
        _marked.ids.difference_update(self.ids)
        return tuple, ()


def _compared(v: Value, op: str, other: object) -> TypeError:
    return TypeError(
        f"cannot compare {_show(v)} {op} {_short(other, 40)}: a node is not a number (== is the same node, and "
        f"< and > are not defined); compare the numbers, e.g. v.data {op} 0"
    )


def _number(x: Value | float) -> float:
    return x.data if isinstance(x, Value) else x


def _show(x: Value | float) -> str:
    if isinstance(x, Value):
        return f"Value(data={x.data!r}{f', label={_short(x.label, 40)}' if x.label else ''})"
    return repr(x)


def _operand(x: object, op: str) -> float | None:
    """A plain-number operand as a float; None (so the op returns NotImplemented) otherwise.

    A numpy array gets the TypeError that says to take its number out with .item(), whichever
    side of the op it is on (numpy defers to our reflected ops, see ``__array_ufunc__``).
    """
    if type(x) is float:
        f = x
    elif type(x) is int or (isinstance(x, Real) and not isinstance(x, bool)):
        try:
            f = float(x)
        except OverflowError:
            raise ValueError(f"{op}: expected a finite number as an operand, got {_too_large(x)}") from None
    elif type(x).__name__ == "ndarray":
        return _real(x, f"{op}: the other operand")
    else:
        return None
    if f - f:
        raise ValueError(f"{op}: expected a finite number as an operand, got {f!r}")
    return f


def _unpack(items: Sequence[Value | Number], where: str) -> tuple[list[float], tuple[Value, ...], bool]:
    """(every item's value as a float, the Values among the items, whether all items are Values).

    Dispatches on the set of item types, so the two common cases (all Values, all floats)
    cost one pass in C each.
    """
    types = set(map(type, items))
    if types == _VALUE_TYPE:
        return [v.data for v in items], tuple(items), True  # type: ignore[union-attr, arg-type]
    if types == _FLOAT_TYPE:
        total = sum(items)
        if not total - total:  # all finite (an inf or nan would poison the sum)
            return list(items), (), False  # type: ignore[arg-type]
    data = [v.data if isinstance(v, Value) else _real(v, where) for v in items]
    return data, tuple(v for v in items if isinstance(v, Value)), False


def _edges(parents: Sequence[Value], local_grads: Sequence[Number]) -> tuple[tuple[Value, ...], tuple[float, ...]]:
    ps = tuple(parents)
    gs = tuple(_real(g, "local_grads") for g in local_grads)
    if len(ps) != len(gs):
        raise ValueError(f"parents and local_grads must be aligned, got {len(ps)} parents and {len(gs)} local_grads")
    for p in ps:
        if not isinstance(p, Value):
            raise TypeError(f"parents: expected Value nodes, got {type(p).__name__}: {_short(p)}")
    return ps, gs


class DotTerms(NamedTuple):
    """The structure of a dot node: Σ_k w_k·x_k (+ b) over ``products`` terms.

    Its parents are ``weights`` Values among the w_k, then ``inputs`` Values among the x_k, then
    ``bias`` (0 or 1) Value for b; a plain number among them was folded into its partner's local
    derivative (or, for b, into ``const``). A side given wholly as Values keeps its order: when
    weights == products, w_k is parents[k]; when inputs == products, x_k is parents[weights + k].
    """

    products: int
    weights: int
    inputs: int
    bias: int

    def role(self, k: int) -> tuple[str, int | None]:
        """("w", i), ("x", i) or ("b", None) for parent k; i is None when its side mixed numbers in."""
        if k < self.weights:
            return "w", k if self.weights == self.products else None
        if k < self.weights + self.inputs:
            return "x", k - self.weights if self.inputs == self.products else None
        return "b", None

    def partner(self, k: int) -> int | None:
        """The parent that parent k is multiplied by (x_i for w_i, w_i for x_i), if it is a Value."""
        side, i = self.role(k)
        if i is None or self.weights != self.inputs:
            return None
        return k + self.weights if side == "w" else k - self.weights


_VALUE_TYPE = {Value}


# ---- for code that makes many nodes of one shape (nn's layers) ---------------------------
# A layer makes one dot node per neuron from one shared input. It unpacks the input once
# (``unpack``, as Value.dot does for each call) and builds each node's edges itself, by the
# rule of Value.dot (its terms too); it skips no check of the value: ``make_node`` is ``_node``.
unpack = _unpack
make_node = _node
