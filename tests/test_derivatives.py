"""autograd_core.derivatives: where each local derivative comes from, one rule per built-in op."""

import math

import pytest

from autograd_core import Value
from autograd_core.derivatives import RULES, explain


def name(node):
    return node.label or "?"


def built_in_nodes():
    """One node of every op value.py makes, both ways where a plain number can stand in."""
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    p = Value(0.5, label="p")
    return {
        "a + b": a + b,
        "a + 2": a + 2,
        "a - b": a - b,
        "a - 2": a - 2,
        "2 - a": 2 - a,
        "-a": -a,
        "a * b": a * b,
        "a * 2": a * 2,
        "a / b": a / b,
        "a / 2": a / 2,
        "2 / a": 2 / a,
        "a ** 3": a**3,
        "a ** 0": a**0,
        "p ** a": p**a,
        "2 ** a": 2**a,
        "a.exp()": a.exp(),
        "a.log()": a.log(),
        "b.tanh()": b.tanh(),
        "b.sigmoid()": b.sigmoid(),
        "a.relu()": a.relu(),
        "b.relu()": b.relu(),
        "sum": Value.sum([a, b, p]),
        "dot, all Values": Value.dot([a, b], [p, a], bias=b),
        "dot, number inputs": Value.dot([a, b], [1.0, 2.0], bias=p),
        "a * a": a * a,
    }


def test_every_op_of_value_has_a_rule():
    ops = {node.op for node in built_in_nodes().values()}
    assert ops == set(RULES)


@pytest.mark.parametrize("text", list(built_in_nodes()))
def test_each_rule_ends_with_the_stored_local_derivative(text):
    node = built_in_nodes()[text]
    for k in range(len(node.parents)):
        parts = explain(node, k, name)
        assert parts is not None and isinstance(parts[0], str) and parts[0].startswith("∂")
        assert parts[-1] == node.local_grads[k], (text, k, parts)
        assert all(isinstance(p, (str, float)) for p in parts)


def test_the_rules_say_where_the_number_comes_from():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    text = lambda node, k: "".join(p if isinstance(p, str) else f"{p:g}" for p in explain(node, k, name))  # noqa: E731
    assert text(a * b, 0) == "∂(a·b)/∂a = b = -3"
    assert text(a * b, 1) == "∂(a·b)/∂b = a = 2"
    assert text(a * 2, 0) == "∂(a·2)/∂a = 2"
    t = b.tanh()
    assert text(t, 0) == f"∂tanh(b)/∂b = 1 − tanh(b)² = 1 − {t.data:g}² = {t.local_grads[0]:g}"
    assert text(Value.dot([a], [b]), 0) == "∂(Σ w·x)/∂w_0 = x_0 = b = -3"
    assert text(Value.dot([a], [b]), 1) == "∂(Σ w·x)/∂x_0 = w_0 = a = 2"
    assert text(a.log(), 0) == "∂log(a)/∂a = 1/a = 1/2 = 0.5"
    assert "b = -3 ≤ 0, so 0" in text(b.relu(), 0)
    assert math.isclose(a.log().local_grads[0], 0.5)


def test_a_custom_op_has_no_rule():
    x = Value(1.0, label="x")
    custom = Value(2.0, parents=(x,), local_grads=(3.0,), op="softplus")
    assert explain(custom, 0, name) is None
    assert explain(x * 2, 5, name) is None  # no such edge
