"""The label format: how the nodes of an MLP's graph are named, written and read in one place.

The names follow the matrix notation, layers counted from 1 and indices from 0:

    W{l}[j,k]   the weight from unit k of layer l-1 to unit j of layer l    (an entry of W^l)
    b{l}[j]     the bias of unit j of layer l                               (an entry of b^l)
    z{l}[j]     the pre-activation of unit j of layer l: ONE node           (an entry of z^l)
    a{l}[j]     its activation f_l(z{l}[j]); none for a linear layer        (an entry of a^l)
    x[k]        input k, when the inputs are Values                         (an entry of a^0)
    y[j]        target j, when the targets are Values (``target``; not an MLP node, so not parsed)

In a batch graph the drawings and the stepper show a node of sample n as ``z1[0]@2``
(``in_sample``); the labels themselves carry no sample.

This is the contract between the scalar graph and the matrix view: the grads of layer l's
``z`` nodes are δ^l, those of its ``W`` nodes are ∂C/∂W^l. ``nn.module`` writes these labels,
and the drawings, the comparison report, io and the bridge read them, all through this module.

    >>> weight(2, 0, 3), parse("W2[0,3]")
    ('W2[0,3]', Label(kind='W', layer=2, unit=0, index=3))
    >>> parse("a1[4]"), parse("x[1]"), parse("loss")
    (Label(kind='a', layer=1, unit=4, index=None), Label(kind='x', layer=0, unit=1, index=None), None)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KINDS = ("W", "b", "z", "a", "x")
"""The kinds of labelled node: weight, bias, pre-activation, activation, input."""

_LABEL = re.compile(r"(?:(?P<kind>[Wbza])(?P<layer>[1-9]\d*)|x)\[(?P<unit>\d+)(?:,(?P<index>\d+))?\]")


@dataclass(frozen=True)
class Label:
    """A label read back: ``kind`` in KINDS, ``layer`` (1-based; 0 for an input), ``unit`` j
    (the input k for kind "x"), and ``index`` k for a weight (None otherwise)."""

    kind: str
    layer: int
    unit: int
    index: int | None = None

    @property
    def is_parameter(self) -> bool:
        """True for weights and biases: the leaves that training changes."""
        return self.kind in ("W", "b")

    def __str__(self) -> str:
        return _WRITERS[self.kind](self)


_SUPERSCRIPTS = str.maketrans("0123456789T", "⁰¹²³⁴⁵⁶⁷⁸⁹ᵀ")


def sup(text: object) -> str:
    """Superscript digits (and T) as Unicode characters, for the matrix names: ``"δ" + sup(2)`` is δ².

    Unicode, not markup: Graphviz's <SUP> becomes a separate SVG <text> with a baseline-shift
    that browsers ignore, so "z<sup>1</sup>" would show as a misplaced "z 1".
    """
    return str(text).translate(_SUPERSCRIPTS)


Index = int | str
"""An index in a label: a number, or a placeholder such as "{0}" for a template that a page fills in."""


def weight(l: int, j: Index, k: Index) -> str:
    """The label of W^l[j,k]: ``W{l}[j,k]``."""
    return f"{weight_matrix(l)}[{j},{k}]"


def bias(l: int, j: Index) -> str:
    """The label of b^l[j]: ``b{l}[j]``."""
    return f"{bias_vector(l)}[{j}]"


def pre_activation(l: int, j: Index) -> str:
    """The label of z^l[j]: ``z{l}[j]``."""
    return f"z{l}[{j}]"


def activation(l: int, j: Index) -> str:
    """The label of a^l[j]: ``a{l}[j]``."""
    return f"a{l}[{j}]"


def input_(k: Index) -> str:
    """The label of input k: ``x[k]``."""
    return f"x[{k}]"


def target(j: int) -> str:
    """The label of target j of a sample, when the targets are Values (a compiled sample's graph): ``y[j]``."""
    return f"y[{j}]"


def in_sample(name: str, n: int) -> str:
    """The name shown for a node of sample n of a batch graph: ``z1[0]@2`` (drawings and steps only;
    the node's label stays ``z1[0]``, so ``parse`` reads it as before)."""
    return f"{name}@{n}"


def sample_cost(n: int) -> str:
    """The label of the cost of sample n, C_n (the loss reduces these over the batch): ``C_{n}``."""
    return f"C_{n}"


def difference(output: str, j: int) -> str:
    """The label of output j's error in a squared error, a_j − y_j: ``{output} − y[j]`` (``z2[0] − y[0]``)."""
    return f"{output or f'a[{j}]'} − y[{j}]"


def weight_matrix(l: int) -> str:
    """The name of the whole matrix W^l: ``W{l}`` (keys in saved files, rows of the report)."""
    return f"W{l}"


def bias_vector(l: int) -> str:
    """The name of the whole vector b^l: ``b{l}``."""
    return f"b{l}"


def parse(label: str) -> Label | None:
    """The (kind, layer, unit, index) a label names, or None when it is not an MLP label."""
    m = _LABEL.fullmatch(label)
    if m is None:
        return None
    kind = m["kind"] or "x"
    if (kind == "W") != (m["index"] is not None):
        return None
    index = None if m["index"] is None else int(m["index"])
    return Label(kind, int(m["layer"] or 0), int(m["unit"]), index)


def parse_matrix_name(name: str) -> tuple[str, int] | None:
    """("W" or "b", l) for a whole-tensor name ``W{l}`` or ``b{l}``; None otherwise."""
    m = re.fullmatch(r"([Wb])([1-9]\d*)", name)
    return (m[1], int(m[2])) if m else None


_WRITERS = {
    "W": lambda t: weight(t.layer, t.unit, t.index),
    "b": lambda t: bias(t.layer, t.unit),
    "z": lambda t: pre_activation(t.layer, t.unit),
    "a": lambda t: activation(t.layer, t.unit),
    "x": lambda t: input_(t.unit),
}
