"""Value: what it accepts, what it stores, how it prints."""

import math
from fractions import Fraction

import numpy as np
import pytest

from autograd_core import Value


@pytest.mark.parametrize(
    "x, expected",
    [
        (3, 3.0),
        (-2.5, -2.5),
        (np.float64(1.25), 1.25),
        (np.float32(0.5), 0.5),
        (np.int64(7), 7.0),
        (Fraction(1, 4), 0.25),
    ],
)
def test_accepts_real_numbers_and_stores_a_python_float(x, expected):
    v = Value(x)
    assert v.data == expected
    assert type(v.data) is float


@pytest.mark.parametrize(
    "x, type_name",
    [
        ("2.0", "str"),
        (None, "NoneType"),
        (1 + 2j, "complex"),
        ([1.0], "list"),
        (True, "bool"),
        (np.bool_(True), "bool"),
    ],
)
def test_rejects_non_numbers_naming_the_type(x, type_name):
    with pytest.raises(TypeError, match=type_name):
        Value(x)


def test_numpy_array_gets_a_hint():
    with pytest.raises(TypeError, match=r"ndarray.*\.item\(\)"):
        Value(np.array(2.0))


def test_value_of_a_value_is_refused_with_a_hint():
    with pytest.raises(TypeError, match="already a node"):
        Value(Value(1.0))


@pytest.mark.parametrize("x", [math.inf, -math.inf, math.nan, np.float64("nan")])
def test_rejects_non_finite(x):
    with pytest.raises(ValueError, match="finite"):
        Value(x)


def test_leaf_attributes():
    v = Value(2.0, label="a")
    assert (v.data, v.grad, v.parents, v.local_grads, v.op, v.label, v.const) == (2.0, 0.0, (), (), "", "a", None)
    assert not hasattr(v, "__dict__")


def test_repr_is_readable():
    a = Value(2.0, label="a")
    assert repr(a) == "Value(data=2.0, grad=0.0, label='a')"
    assert repr(a * 3) == "Value(data=6.0, grad=0.0, op='*')"


def test_a_plus_a_keeps_both_edges():
    a = Value(3.0)
    b = a + a
    assert b.parents == (a, a)
    assert b.local_grads == (1.0, 1.0)
    b.backward()
    assert a.grad == 2.0


def test_parents_and_local_grads_are_aligned_tuples_of_floats():
    a, b = Value(2.0), Value(-3.0)
    c = a * b
    assert c.parents == (a, b)
    assert c.local_grads == (-3.0, 2.0)
    assert all(type(g) is float for g in c.local_grads)


def test_constants_are_folded_into_the_node():
    x = Value(4.0)
    for node, op, const in [
        (x + 1, "+", 1.0),
        (1 + x, "+", 1.0),
        (x - 1, "-", 1.0),
        (1 - x, "rsub", 1.0),
        (x * 2, "*", 2.0),
        (2 * x, "*", 2.0),
        (x / 2, "/", 2.0),
        (2 / x, "rdiv", 2.0),
        (x**2, "**", 2.0),
        (2**x, "rpow", 2.0),
    ]:
        assert node.parents == (x,)
        assert (node.op, node.const) == (op, const)


def test_numpy_scalar_on_the_left_gives_a_value():
    out = np.float64(2.0) * Value(3.0)
    assert isinstance(out, Value)
    assert out.data == 6.0


def test_unsupported_operand_is_a_type_error():
    with pytest.raises(TypeError, match="unsupported operand"):
        Value(1.0) + "a"
    with pytest.raises(TypeError):
        Value(1.0) * None


def test_a_value_never_becomes_a_plain_float():
    """x * math.exp(x) would have dy/dx = e (the exp a constant), not 2e: every door to a float raises."""
    x = Value(1.0, label="x")
    for make in (lambda: x * math.exp(x), lambda: float(x), lambda: np.float64(x), lambda: np.array([x], float)):
        with pytest.raises(TypeError, match=r"v\.exp\(\), .* or v\.data for the number"):
            make()
    y = x * x.exp()
    y.backward()
    assert x.grad == pytest.approx(2 * math.e, rel=1e-15)


def test_custom_op_from_value_and_local_grads():
    x = Value(0.3)
    sp = Value(math.log1p(math.exp(x.data)), parents=(x,), local_grads=(1 / (1 + math.exp(-x.data)),), op="softplus")
    (sp * 2).backward()
    assert x.grad == pytest.approx(2 / (1 + math.exp(-0.3)), rel=1e-15)
    assert sp.op == "softplus"


def test_custom_op_is_validated():
    x = Value(1.0)
    with pytest.raises(ValueError, match="1 parents and 2 local_grads"):
        Value(1.0, parents=(x,), local_grads=(1.0, 2.0))
    with pytest.raises(TypeError, match="expected Value nodes, got float"):
        Value(1.0, parents=(1.0,), local_grads=(1.0,))
    with pytest.raises(ValueError, match="finite"):
        Value(1.0, parents=(x,), local_grads=(math.inf,))
    with pytest.raises(TypeError, match="label: expected a str"):
        Value(1.0, label=3)
