"""The trace of a graph for compiling: which leaves are inputs, what each node computes, and the
levels of nodes that can run as one array operation.

A graph built from one sample has the structure of every sample's graph, as long as nothing in
it was decided by that sample's numbers; ``trace`` reads that structure once:

- the leaves named as ``inputs`` change from sample to sample (a column of the batch each); every
  other leaf is a parameter, shared by all samples (its grad is summed over the batch);
- every other node gets a *form*: what it computes, read from its op, its ``const`` and, for a
  dot node, its ``terms`` (never from its numbers). A form is the key of a kernel (kernels.py);
- its *depth* is the length of the longest path to it from a leaf. Nodes of one depth never
  depend on each other, so nodes of one depth and one form are a *level*: one fused step.

What the trace refuses, and why, is in ``TraceError``'s messages: an input that is not a leaf or
not used (its number was likely read as a constant: ``x.data``, ``float(x)``), a custom op with no
rule, a node made by hand under a built-in op's name but not of its shape, a dot node that records
no pairing of its terms. What it cannot see: a branch taken in Python on a sample's numbers
(``a if x.data > 0 else b``), or a constant computed from an input that is also used as a node;
the graph of another sample would differ, and no trace of one graph can tell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from autograd_core.draw import node_names, reading_order
from autograd_core.kernels import BINARY, UNARY, WITH_CONSTANT, custom_rule
from autograd_core.value import Value

Form = tuple
"""A node's form: ("unary", op), ("const", op), ("binary", op), ("sum",), ("custom", op, arity),
("dot", K, weights side, inputs side, bias) with a side "values" or "numbers", or
("matmul", K, bias, the shared side's nodes): a dot whose other side is a row of parameters."""


class TraceError(ValueError):
    """A graph that cannot be compiled, with the reason."""


@dataclass
class Names:
    """Every node's name in messages and listings: its label, or #i as drawings number it (draw.node_names),
    worked out when first asked for (a walk of the graph that a program that never fails never needs)."""

    order: tuple[Value, ...]
    _names: dict[Value, str] | None = field(default=None, repr=False)

    def __getitem__(self, node: Value) -> str:
        if self._names is None:
            self._names = node_names(self.order)
        return self._names[node]


@dataclass(frozen=True)
class Level:
    """Nodes of one depth and one form: they run as one fused step."""

    depth: int
    form: Form
    nodes: tuple[Value, ...]


@dataclass(frozen=True)
class Trace:
    """The structure of a graph, read once: its nodes in reading order (parents left to right, the
    root last), its inputs and parameters, and its levels in the order they can run."""

    root: Value
    order: tuple[Value, ...]
    inputs: tuple[Value, ...]
    parameters: tuple[Value, ...]  # the other leaves, in reading order
    levels: tuple[Level, ...]
    names: Names


def trace(root: Value, inputs: Sequence[Value]) -> Trace:
    """The trace of the graph of ``root``, whose leaves ``inputs`` change from sample to sample."""
    if not isinstance(root, Value):
        raise TypeError(f"compile: expected a Value as the root, got {type(root).__name__}: {root!r:.60}")
    order = tuple(reading_order(root))
    names = Names(order)
    given = _inputs(inputs, set(order), names)
    is_input = set(given)
    if not root.parents and root not in is_input:
        raise TraceError(
            f"compile: the root ({names[root]}) is a parameter, a leaf that is not an input: nothing to replay"
        )
    parameters = tuple(node for node in order if not node.parents and node not in is_input)
    depth: dict[Value, int] = {}
    levels: dict[tuple[int, Form], list[Value]] = {}
    for node in order:
        if not node.parents:
            depth[node] = 0
            continue
        depth[node] = 1 + max(depth[p] for p in node.parents)
        levels.setdefault((depth[node], form_of(node, is_input, names)), []).append(node)
    ordered = sorted(levels.items(), key=lambda item: item[0][0])  # by depth; stable: first met first
    return Trace(root, order, given, parameters, tuple(Level(d, form, tuple(ns)) for (d, form), ns in ordered), names)


def _inputs(inputs: Sequence[Value], in_graph: set[Value], names: Names) -> tuple[Value, ...]:
    if isinstance(inputs, Value) or not isinstance(inputs, Sequence):
        raise TypeError(f"compile: expected inputs as a list of Values, got {type(inputs).__name__}: {inputs!r:.60}")
    seen: set[Value] = set()
    for i, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"compile: inputs[{i}] is a {type(x).__name__}, expected a Value (a leaf of the graph)")
        if x in seen:
            raise TraceError(f"compile: inputs[{i}] ({_show(x)}) is given twice: each input is one column of the batch")
        seen.add(x)
        if x not in in_graph:
            raise TraceError(
                f"compile: inputs[{i}] ({_show(x)}) is not used by the graph of the root, so the graph would not "
                "change with it: was its number read as a constant (x.data, float(x)) while the graph was built? "
                "Build the graph from the Value itself"
            )
        if x.parents:
            raise TraceError(
                f"compile: inputs[{i}] ({names[x]}, op {x.op!r}) is computed from other nodes; inputs must be "
                "leaves (Values made from numbers), the ones that change from sample to sample"
            )
    return tuple(inputs)


def form_of(node: Value, is_input: set[Value], names: Names) -> Form:
    """What ``node`` computes, from its op, const and terms; a TraceError when it cannot be replayed."""
    op, n, c = node.op, len(node.parents), node.const
    if op == "sum":
        return ("sum",)
    if op == "dot":
        return _dot_form(node, is_input, names)
    if op in UNARY and n == 1 and c is None:
        return ("unary", op)
    if op in WITH_CONSTANT and n == 1 and c is not None:
        return ("const", op)
    if op in BINARY and n == 2 and c is None:
        return ("binary", op)
    if op in UNARY or op in WITH_CONSTANT or op in BINARY:
        raise TraceError(
            f"compile: node {names[node]!r} has op {op!r}, a built-in op, but {n} parent(s) and const={c!r}, "
            f"which that op never makes: a node made by hand cannot take a built-in op's name (its numbers "
            f"would be replayed by the built-in rule); give it a name of its own and register_op a rule for it"
        )
    if not op:
        raise TraceError(
            f"compile: node {names[node]!r} has {n} parent(s) but no op name, so its local derivatives (numbers "
            f"from the sample it was built on) cannot be recomputed for other samples; give it an op name and "
            f"register_op(name, rule)"
        )
    if custom_rule(op) is None:
        raise TraceError(
            f"compile: node {names[node]!r} has the custom op {op!r}, whose local derivatives were computed from "
            f"the numbers of the sample it was built on and cannot be replayed on other samples; register its "
            f"rule first: autograd_core.register_op({op!r}, rule), rule(parents) -> (value, local derivatives)"
        )
    if c is not None:
        raise TraceError(
            f"compile: node {names[node]!r} (custom op {op!r}) holds a constant (const={c!r}), which its rule "
            f"would not see (a rule gets the parents' values only)"
        )
    return ("custom", op, n)


def _dot_form(node: Value, is_input: set[Value], names: Names) -> Form:
    terms = getattr(node, "terms", None)
    if terms is None:
        raise TraceError(
            f"compile: node {names[node]!r} has op 'dot' but no terms (it was made by hand), so nothing says which "
            "parent multiplies which; build it with Value.dot, or give it an op of its own and register_op a rule"
        )
    k, w, x, b = terms
    mixed = [side for side, count in (("weights", w), ("inputs", x)) if 0 < count < k]
    if mixed:
        raise TraceError(
            f"compile: dot node {names[node]!r} mixes plain numbers and Values among its {mixed[0]}, so it does "
            "not record which number goes with which Value; pass them all as Values (Value(2.0)) or all as numbers"
        )
    if w == x == 0:
        raise TraceError(
            f"compile: dot node {names[node]!r} multiplies plain numbers only: its products were summed into its "
            "value and are not recorded; add them as a constant instead"
        )
    weights, inputs = node.parents[:w], node.parents[w : w + x]
    weights_are_parameters = all(not p.parents and p not in is_input for p in weights)
    if w == x == k and weights_are_parameters and all(p.parents or p in is_input for p in inputs):
        return ("matmul", k, b, inputs)
    return ("dot", k, "values" if w else "numbers", "values" if x else "numbers", b)


def _show(x: Value) -> str:
    return f"label {x.label!r}" if x.label else f"Value(data={x.data!r})"
