"""A safe parser for expressions typed on the command line: text to a graph of Values.

    >>> from autograd_core.expr import parse
    >>> out = parse("tanh(a*b + c)", {"a": 2, "b": -3, "c": 10})
    >>> round(out.data, 6)
    0.999329

Python's ``ast`` module parses the text, and a whitelist decides what may appear in it: numbers,
names, ``+ - * / **``, unary ``-`` and ``+``, and one-argument calls of the engine's functions
exp, log, tanh, sigmoid and relu. Anything else is refused with an ExpressionError that names
what was found and where. Nothing is ever passed to eval or exec; numbers are floats from the
start (``9**9**9`` overflows at once instead of computing a huge integer), and the tree is
walked with an explicit stack, so no input can exhaust the recursion limit.
"""

from __future__ import annotations

import ast
import operator
import re
import unicodedata
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from autograd_core.inputs import real as _real
from autograd_core.inputs import short as _short
from autograd_core.value import Number, Value

MAX_LENGTH = 1000
"""Longer expressions are refused: nobody types them, and Python's parser recurses on nesting."""

FUNCTIONS = ("exp", "log", "tanh", "sigmoid", "relu")

ALLOWED = "numbers, names, + - * / **, unary - and +, and one-argument calls of " + ", ".join(FUNCTIONS)

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_OPERATOR_NAMES = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^ (for a power, write **)",
    ast.BitAnd: "&",
    ast.Not: "not",
    ast.Invert: "~",
}
_REFUSED = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts",
    ast.Slice: "slices",
    ast.Lambda: "lambdas",
    ast.Compare: "comparisons",
    ast.BoolOp: "and/or",
    ast.IfExp: "if/else expressions",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "generator expressions",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Set: "sets",
    ast.Dict: "dicts",
    ast.JoinedStr: "f-strings",
    ast.FormattedValue: "f-strings",
    ast.NamedExpr: "assignment expressions (:=)",
    ast.Starred: "starred arguments (*x)",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}


class ExpressionError(ValueError):
    """An expression that cannot be parsed or evaluated. ``column`` is 1-based (None: no one place);
    ``missing`` names the names that were given no value, if that is the error."""

    def __init__(self, message: str, column: int | None = None, missing: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.column = column
        self.missing = missing


MAX_LABEL = 24
"""With ``parse(..., label_nodes=True)``, a node's label is its subexpression, cut to this many characters."""


def parse(text: str, values: Mapping[str, Number], *, label_nodes: bool = False) -> Value:
    """The graph of ``text``, with each name a leaf Value labelled by its name.

    ``values`` gives every name its number; a name used twice is the same leaf, and a name in
    ``values`` that the expression does not use is an error too (a typo, most likely). Numbers
    in the text are folded into the nodes as constants (``x * 2`` is one node showing ``× 2``),
    as the engine does for plain numbers: the drawings stay small and show the number where it
    acts. An expression of numbers only gives a single unlabelled leaf. With ``label_nodes``, every
    node the expression builds is labelled with its subexpression as typed (``a*b``, ``a*b + c``;
    cut to MAX_LABEL characters with "…"), so a drawing says what each box computes.

    Raises ExpressionError (a ValueError) with a message that says what is wrong and where.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse: expected the expression as a str, got {type(text).__name__}")
    tree = _syntax_tree(text)
    for node in ast.walk(tree):
        _operands(node, text)  # refuses anything outside the whitelist, outermost first
    leaves = _leaves(tree, text, values)
    result = _evaluate(tree, text, leaves, label_nodes)
    return result if isinstance(result, Value) else Value(result)


def _syntax_tree(text: str) -> ast.expr:
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is {len(text):,} characters long; the limit is {MAX_LENGTH:,}")
    if not text.strip():
        raise ExpressionError("the expression is empty; expected something like tanh(a*b + c)")
    try:
        with warnings.catch_warnings():  # "1if x" would print a SyntaxWarning to stderr
            warnings.simplefilter("ignore")
            return ast.parse(text.strip(), mode="eval").body
    except SyntaxError as e:
        one_line = "\n" not in text.strip()
        column = e.offset + len(text) - len(text.lstrip()) if e.offset and one_line else None
        where = f"column {column}: " if column else ""
        raise ExpressionError(f"{where}invalid expression: {e.msg}", column or e.offset or None) from None
    except (RecursionError, MemoryError):
        raise ExpressionError("the expression is nested too deeply for Python's parser") from None
    except ValueError as e:  # null bytes
        raise ExpressionError(f"invalid expression: {e}") from None


def _operands(node: ast.AST, text: str) -> list[ast.expr]:
    """The sub-expressions ``node`` applies to, after checking it against the whitelist."""
    if isinstance(node, ast.Constant):
        if type(node.value) not in (int, float):
            raise _not_allowed(node, text, f"{_constant_kind(node.value)} are")
        return []
    if isinstance(node, ast.Name):
        return []
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY:
            raise _not_allowed(node, text, f"the operator {_OPERATOR_NAMES.get(type(node.op), '?')} is")
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            raise _not_allowed(node, text, f"the operator {_OPERATOR_NAMES.get(type(node.op), '?')} is")
        return [node.operand]
    if isinstance(node, ast.Call):
        return [_call_argument(node, text)]
    if isinstance(node, (ast.expr_context, ast.operator, ast.unaryop)):
        return []  # parts of the nodes above, checked with them
    kind = _REFUSED.get(type(node), f"{type(node).__name__} expressions")
    raise _not_allowed(node, text, f"{kind} {'is' if kind.endswith('access') else 'are'}")


def _call_argument(node: ast.Call, text: str) -> ast.expr:
    if not isinstance(node.func, ast.Name):
        raise _refuse(node, text, "only the functions " + ", ".join(FUNCTIONS) + " can be called")
    name = node.func.id
    if name not in FUNCTIONS:
        raise _refuse(node, text, f"unknown function {_short(name, 40)}; the functions are {', '.join(FUNCTIONS)}")
    if node.keywords:
        raise _refuse(node, text, f"{name}() takes no keyword arguments")
    if any(isinstance(arg, ast.Starred) for arg in node.args):
        raise _not_allowed(node, text, "starred arguments (*x) are")
    if len(node.args) != 1:
        raise _refuse(node, text, f"{name}() takes exactly one argument, got {len(node.args)}")
    return node.args[0]


def _leaves(tree: ast.expr, text: str, values: Mapping[str, Number]) -> dict[str, Value]:
    """One leaf per name, after checking that the names used and the names given agree."""
    given = _checked_values(values)
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    used: dict[str, ast.Name] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and id(node) not in called:
            if node.id in FUNCTIONS:
                raise _refuse(node, text, f"{node.id} is a function: call it, as in {node.id}(x)")
            used.setdefault(node.id, node)
    unknown = [node for name, node in sorted(used.items(), key=lambda kv: kv[1].col_offset) if name not in given]
    if unknown:
        defined = _names(sorted(given)) or "none"
        names = _names([repr(node.id) for node in unknown])
        error = _refuse(unknown[0], text, f"no value for the name(s) {names}; the names with values are: {defined}")
        error.missing = tuple(node.id for node in unknown)
        raise error
    unused = sorted(set(given) - set(used))
    if unused:
        raise ExpressionError(
            f"values were given for name(s) the expression does not use: {_names(unused)} "
            f"(it uses: {_names(sorted(used)) or 'no names'})"
        )
    return {name: Value(number, label=name) for name, number in given.items()}


def _checked_values(values: Mapping[str, Number]) -> dict[str, float]:
    if not isinstance(values, Mapping):
        raise TypeError(f"parse: expected the values as a mapping of names to numbers, got {type(values).__name__}")
    checked: dict[str, float] = {}
    for name, number in values.items():
        if not isinstance(name, str) or not name.isidentifier() or name in FUNCTIONS:
            raise ExpressionError(
                f"{_short(name, 40)} cannot be a name: expected an identifier other than {', '.join(FUNCTIONS)}"
            )
        key = unicodedata.normalize("NFKC", name)  # as Python's parser normalizes the names in the text
        if key in checked:
            raise ExpressionError(f"the name {_short(name, 40)} is given twice")
        try:
            checked[key] = _real(number, f"the value of {_short(name, 40)}")
        except (TypeError, ValueError) as e:
            raise ExpressionError(str(e)) from None
    return checked


def _evaluate(tree: ast.expr, text: str, leaves: dict[str, Value], label_nodes: bool = False) -> Value | float:
    """Post-order evaluation with an explicit stack: operands first, then the node."""
    results: list[Value | float] = []
    stack: list[tuple[ast.expr, int]] = [(tree, -1)]  # -1: operands not pushed yet
    while stack:
        node, count = stack.pop()
        if count < 0:
            operands = _operands(node, text)
            stack.append((node, len(operands)))
            stack.extend((operand, -1) for operand in reversed(operands))
            continue
        args = results[len(results) - count :]
        del results[len(results) - count :]
        try:
            result = _apply(node, args, leaves)
        except (ValueError, ZeroDivisionError, OverflowError) as e:
            raise _refuse(node, text, str(e)) from None
        if label_nodes and isinstance(result, Value) and not result.label:  # a node built here (leaves have names)
            result.label = _segment_label(text, node)
        results.append(result)
    return results[0]


def _segment_label(text: str, node: ast.AST) -> str:
    """The subexpression ``node`` came from, as typed, whitespace runs made one space, cut to MAX_LABEL."""
    segment = " ".join((ast.get_source_segment(text.strip(), node) or "").split())
    return segment if len(segment) <= MAX_LABEL else segment[: MAX_LABEL - 1] + "…"


def _apply(node: ast.expr, args: list[Value | float], leaves: dict[str, Value]) -> Value | float:
    if isinstance(node, ast.Constant):
        number: int | float = node.value  # type: ignore[assignment]  # _operands let only int and float through
        try:
            return _real(float(number), "number")
        except OverflowError:
            raise ValueError("the number is too large for a float (largest about 1.8e308)") from None
    if isinstance(node, ast.Name):
        return leaves[node.id]
    if isinstance(node, ast.UnaryOp):
        return -args[0] if isinstance(node.op, ast.USub) else args[0]
    if isinstance(node, ast.BinOp):
        result = _BINARY[type(node.op)](*_as_operands(args))
    else:
        assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        result = getattr(_as_operands(args)[0], node.func.id)()
    return result if any(isinstance(a, Value) for a in args) else result.data


def _as_operands(args: list[Value | float]) -> list[Any]:
    """Numbers alone are combined by the engine too (through a temporary Value), so the same
    domain checks apply: ``2 ** 0.5`` and ``log(0)`` behave as they do on Values."""
    first = args[0]
    if isinstance(first, Value) or any(isinstance(a, Value) for a in args):
        return args
    return [Value(first), *args[1:]]


def _not_allowed(node: ast.AST, text: str, what: str) -> ExpressionError:
    return _refuse(node, text, f"{what} not allowed; allowed are {ALLOWED}")


def _refuse(node: ast.AST, text: str, message: str) -> ExpressionError:
    column = _column(node, text)
    segment = ast.get_source_segment(text.strip(), node) or ""
    shown = segment if len(segment) <= 40 else segment[:37] + "..."
    return ExpressionError(f"column {column}: {message} (in {shown!r})", column)


def _column(node: ast.AST, text: str) -> int:
    """The 1-based character column of a node (ast counts UTF-8 bytes within its line)."""
    stripped = text.strip()
    lines = re.split(r"\r\n|\r|\n", stripped)
    line = lines[getattr(node, "lineno", 1) - 1]
    prefix = line.encode("utf-8")[: getattr(node, "col_offset", 0)].decode("utf-8", errors="ignore")
    return len(text) - len(text.lstrip()) + len(prefix) + 1 if len(lines) == 1 else len(prefix) + 1


def _names(names: list[str], limit: int = 80) -> str:
    """Names joined with commas, cut to about ``limit`` characters: messages quote a bounded excerpt."""
    text = ", ".join(names)
    return text if len(text) <= limit else text[: limit - 3] + f"... ({len(names)} in all)"


def _constant_kind(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return "True, False and None"
    return {str: "strings", bytes: "bytes", complex: "complex numbers"}.get(type(value), "constants like ...")
