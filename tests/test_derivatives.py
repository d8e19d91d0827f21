"""autograd_core.derivatives: where each local derivative comes from, one rule per built-in op."""

import math

import pytest

from autograd_core import Value
from autograd_core.derivatives import RULES, explain
from autograd_core.value import DotTerms


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


# ---- a dot node names its operands from its structure, never from their numbers -------------------
def roles(node: Value) -> list[str]:
    """Each parent's explanation, as text."""
    return [
        "".join(p if isinstance(p, str) else f"{p:g}" for p in explain(node, k, name)) for k in range(len(node.parents))
    ]


def test_a_dot_of_plain_number_inputs_names_weights_and_bias_even_when_values_coincide():
    # w2 equals the input x_2 = 2... and b equals w_2's neighbour's input: numbers that a guess would pair up
    w0, w1, w2, b = Value(5.0, label="w0"), Value(1.0, label="w1"), Value(2.0, label="w2"), Value(3.0, label="b")
    z = Value.dot([w0, w1, w2], [2.0, 3.0, 5.0], bias=b)
    assert z.terms == DotTerms(3, 3, 0, 1)
    assert [z.terms.role(k) for k in range(4)] == [("w", 0), ("w", 1), ("w", 2), ("b", None)]
    assert roles(z) == [
        "∂(Σ w·x + b)/∂w_0 = x_0 = 2",
        "∂(Σ w·x + b)/∂w_1 = x_1 = 3",
        "∂(Σ w·x + b)/∂w_2 = x_2 = 5",
        "∂(Σ w·x + b)/∂b = 1",
    ]


def test_a_dot_of_values_names_every_partner_when_weights_equal_inputs_and_the_bias_a_weight():
    w, x0, x1 = Value(5.0, label="w"), Value(5.0, label="x0"), Value(5.0, label="x1")
    z = Value.dot([w, w], [x0, x1], bias=w)  # every number is 5; w is both weights and the bias
    assert z.terms == DotTerms(2, 2, 2, 1)
    assert [z.terms.role(k) for k in range(5)] == [("w", 0), ("w", 1), ("x", 0), ("x", 1), ("b", None)]
    assert [z.terms.partner(k) for k in range(5)] == [2, 3, 0, 1, None]
    assert roles(z) == [
        "∂(Σ w·x + b)/∂w_0 = x_0 = x0 = 5",
        "∂(Σ w·x + b)/∂w_1 = x_1 = x1 = 5",
        "∂(Σ w·x + b)/∂x_0 = w_0 = w = 5",
        "∂(Σ w·x + b)/∂x_1 = w_1 = w = 5",
        "∂(Σ w·x + b)/∂b = 1",
    ]
    assert z.backward() is None and w.grad == 5.0 + 5.0 + 1.0


def test_a_dot_of_plain_number_weights_names_the_inputs_and_a_number_bias_is_a_constant():
    x0, x1 = Value(2.0, label="x0"), Value(2.0, label="x1")
    z = Value.dot([2.0, 2.0], [x0, x1], bias=2.0)
    assert z.terms == DotTerms(2, 0, 2, 0) and z.const == 2.0
    assert roles(z) == ["∂(Σ w·x + b)/∂x_0 = w_0 = 2", "∂(Σ w·x + b)/∂x_1 = w_1 = 2"]


def test_a_dot_mixing_values_and_numbers_on_one_side_does_not_invent_an_index():
    w0, x0, x1 = Value(3.0, label="w0"), Value(3.0, label="x0"), Value(1.0, label="x1")
    z = Value.dot([w0, 1.0], [x0, x1])  # w0 is a weight, but its index among the Values is not w's index
    assert z.terms == DotTerms(2, 1, 2, 0)
    assert [z.terms.role(k) for k in range(3)] == [("w", None), ("x", 0), ("x", 1)]
    assert roles(z) == ["∂(Σ w·x)/∂w = x = 3", "∂(Σ w·x)/∂x_0 = w_0 = 3", "∂(Σ w·x)/∂x_1 = w_1 = 1"]


def test_an_mlp_layer_records_the_same_terms_as_value_dot():
    from nn import MLP

    model = MLP(2, [3, 1], seed=0)
    x = [Value(0.5, label="x0"), Value(-1.0, label="x1")]
    z = model.forward(x).z[0][0]
    assert z.terms == DotTerms(2, 2, 2, 1)
    assert roles(z)[0] == f"∂(Σ w·x + b)/∂w_0 = x_0 = x0 = {0.5:g}"
    assert roles(z)[-1] == "∂(Σ w·x + b)/∂b = 1"
