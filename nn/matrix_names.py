"""The matrix view's names for vectors of an MLP's nodes: how a compiled program of an MLP's graph
is written in the notation of the equations.

A compiled program (``autograd_core.compile``) fuses each layer's dot nodes into one matrix product
and each activation into one array operation, and lists its steps over vectors of nodes. The
engine names those vectors generically (v1, x, θ[0:32]); ``matrix_name`` gives it the matrix
view's names, read from the labels (nn.labels), so the same listing reads as the equations::

    >>> from autograd_core import Value, compile
    >>> from nn import MLP, mse
    >>> from nn import labels
    >>> model = MLP(2, [3, 1], activation="sigmoid", seed=0)
    >>> xs = [Value(0.5, labels.input_(k)) for k in range(2)]
    >>> ys = [Value(1.0, labels.target(0))]
    >>> program = compile(mse([model(xs)], [ys], reduction="sum"), inputs=xs + ys)
    >>> print("\\n".join(line.split("  ")[1] for line in program.text(names=matrix_name).splitlines()[1:4]))
    z¹ = W¹a⁰ + b¹
    a¹ = σ(z¹)
    z² = W²a¹ + b²
"""

from __future__ import annotations

from collections.abc import Sequence

from autograd_core import Value
from nn import labels


def matrix_name(nodes: Sequence[Value]) -> str | None:
    """The matrix view's name of a whole vector or matrix of nodes, in order: W¹ for every W1[j,k]
    row by row, b¹, z¹, a¹ for a layer's units 0..n-1, a⁰ for the inputs x[0..n-1], y for the
    targets y[0..n-1], C for one sample's cost; None for anything else (the default name stays).
    For ``program.text(names=matrix_name)`` and ``program.draw(names=matrix_name)``."""
    if not nodes:
        return None
    texts = [node.label for node in nodes]
    if texts == [labels.target(j) for j in range(len(nodes))]:
        return "y"
    if texts == [labels.sample_cost(0)]:
        return "C"
    parsed = [labels.parse(text) for text in texts]
    first = parsed[0]
    if first is None or any(p is None or (p.kind, p.layer) != (first.kind, first.layer) for p in parsed):
        return None
    if first.kind == "W":
        rows = 1 + max(p.unit for p in parsed if p is not None)
        width = len(nodes) // rows
        expected = [(j, k) for j in range(rows) for k in range(width)]
        return _name("W", first.layer) if [(p.unit, p.index) for p in parsed if p] == expected else None
    if [p.unit for p in parsed if p is not None] != list(range(len(nodes))):
        return None
    return _name("a" if first.kind == "x" else first.kind, first.layer)


def _name(kind: str, layer: int) -> str:
    return f"{kind}{labels.sup(layer)}"
