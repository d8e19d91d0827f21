"""Every op: forward value and gradient against independent oracles.

Oracles: central differences of a plain-float reference function (never our engine), and
HIPS autograd (`autograd` on PyPI) differentiating the same reference written in autograd.numpy.
"""

import math
from decimal import Decimal, localcontext

import autograd
import autograd.numpy as anp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_core import Value

from .oracles import assert_close_to_numeric, central_difference

reals = st.floats(-4.0, 4.0)
positive = st.floats(0.05, 6.0)
nonzero = reals.filter(lambda x: abs(x) > 0.05)
away_from_zero = reals.filter(lambda x: abs(x) > 1e-3)


def _sigmoid(x):
    return 1.0 / (1.0 + anp.exp(-x))


# name, engine op, reference (works on floats and on autograd.numpy), domain
UNARY = [
    ("x + c", lambda v: v + 1.5, lambda x: x + 1.5, reals),
    ("c + x", lambda v: 1.5 + v, lambda x: 1.5 + x, reals),
    ("x - c", lambda v: v - 1.5, lambda x: x - 1.5, reals),
    ("c - x", lambda v: 1.5 - v, lambda x: 1.5 - x, reals),
    ("x * c", lambda v: v * -2.5, lambda x: x * -2.5, reals),
    ("c * x", lambda v: -2.5 * v, lambda x: -2.5 * x, reals),
    ("x / c", lambda v: v / 3.0, lambda x: x / 3.0, reals),
    ("c / x", lambda v: 3.0 / v, lambda x: 3.0 / x, nonzero),
    ("-x", lambda v: -v, lambda x: -x, reals),
    ("x ** 2", lambda v: v**2, lambda x: x**2, reals),
    ("x ** 3", lambda v: v**3, lambda x: x**3, reals),
    ("x ** -2", lambda v: v**-2, lambda x: x**-2, nonzero),
    ("x ** 0.5", lambda v: v**0.5, lambda x: x**0.5, positive),
    ("x ** -1.5", lambda v: v**-1.5, lambda x: x**-1.5, positive),
    ("x ** 1", lambda v: v**1, lambda x: x**1, reals),
    ("x ** 0", lambda v: v**0 * 1.0, lambda x: x * 0.0 + 1.0, reals),
    ("3 ** x", lambda v: 3**v, lambda x: 3.0**x, reals),
    ("0.5 ** x", lambda v: 0.5**v, lambda x: 0.5**x, reals),
    ("exp", lambda v: v.exp(), anp.exp, reals),
    ("log", lambda v: v.log(), anp.log, positive),
    ("tanh", lambda v: v.tanh(), anp.tanh, reals),
    ("sigmoid", lambda v: v.sigmoid(), _sigmoid, reals),
    ("relu", lambda v: v.relu(), lambda x: anp.maximum(x, 0.0), away_from_zero),
]

BINARY = [
    ("a + b", lambda a, b: a + b, lambda a, b: a + b, reals, reals),
    ("a - b", lambda a, b: a - b, lambda a, b: a - b, reals, reals),
    ("a * b", lambda a, b: a * b, lambda a, b: a * b, reals, reals),
    ("a / b", lambda a, b: a / b, lambda a, b: a / b, reals, nonzero),
    ("a ** b", lambda a, b: a**b, lambda a, b: a**b, positive, st.floats(-2.0, 2.0)),
]


def _float_ref(ref):
    """The reference evaluated on plain floats (autograd.numpy works on them too)."""
    return lambda *xs: float(ref(*xs))


@pytest.mark.parametrize("name, op, ref, domain", UNARY, ids=[u[0] for u in UNARY])
@given(data=st.data())
def test_unary_op_forward_and_gradient(name, op, ref, domain, data):
    x = data.draw(domain)
    v = Value(x)
    out = op(v)
    out.backward()
    assert out.data == pytest.approx(_float_ref(ref)(x), rel=1e-14, abs=1e-300)
    assert v.grad == pytest.approx(float(autograd.grad(ref)(x)), rel=1e-12, abs=1e-13)
    assert_close_to_numeric([v.grad], [central_difference(_float_ref(ref), [x], 0)])


@pytest.mark.parametrize("name, op, ref, dom_a, dom_b", BINARY, ids=[b[0] for b in BINARY])
@given(data=st.data())
def test_binary_op_forward_and_gradients(name, op, ref, dom_a, dom_b, data):
    x, y = data.draw(dom_a), data.draw(dom_b)
    a, b = Value(x), Value(y)
    out = op(a, b)
    out.backward()
    f = _float_ref(ref)
    assert out.data == pytest.approx(f(x, y), rel=1e-14, abs=1e-300)
    expected = [float(autograd.grad(ref, i)(x, y)) for i in (0, 1)]
    assert [a.grad, b.grad] == pytest.approx(expected, rel=1e-12, abs=1e-13)
    assert_close_to_numeric([a.grad, b.grad], [central_difference(f, [x, y], i) for i in (0, 1)])


@given(st.lists(reals, min_size=1, max_size=8), st.data())
def test_sum_is_one_node_with_unit_local_grads(xs, data):
    vs = [Value(x) for x in xs]
    c = data.draw(st.one_of(st.none(), reals))
    items = vs + ([c] if c is not None else [])
    s = Value.sum(items)
    assert s.op == "sum" and s.parents == tuple(vs) and s.local_grads == (1.0,) * len(vs)
    assert s.const == c
    (s * s).backward()
    total = math.fsum(xs) + (c or 0.0)
    assert s.data == pytest.approx(total, rel=1e-13, abs=1e-13)
    assert [v.grad for v in vs] == pytest.approx([2 * total] * len(vs), rel=1e-12, abs=1e-12)


@given(st.integers(1, 8), st.data())
def test_dot_of_values_matches_autograd(n, data):
    ws = data.draw(st.lists(reals, min_size=n, max_size=n))
    xs = data.draw(st.lists(reals, min_size=n, max_size=n))
    bias = data.draw(reals)
    w_v, x_v, b_v = [Value(w) for w in ws], [Value(x) for x in xs], Value(bias)
    z = Value.dot(w_v, x_v, b_v)
    assert z.op == "dot" and z.parents == (*w_v, *x_v, b_v)
    z.tanh().backward()

    def ref(w, x, b):
        return anp.tanh(anp.dot(w, x) + b)

    W, X = anp.array(ws), anp.array(xs)
    assert [v.grad for v in w_v] == pytest.approx(list(autograd.grad(ref, 0)(W, X, bias)), rel=1e-12, abs=1e-13)
    assert [v.grad for v in x_v] == pytest.approx(list(autograd.grad(ref, 1)(W, X, bias)), rel=1e-12, abs=1e-13)
    assert b_v.grad == pytest.approx(float(autograd.grad(ref, 2)(W, X, bias)), rel=1e-12, abs=1e-13)


def test_dot_with_numbers_folds_them_into_local_grads():
    w = [Value(0.5), Value(-1.0)]
    z = Value.dot(w, [2.0, 3], bias=0.25)
    assert z.parents == tuple(w)
    assert z.local_grads == (2.0, 3.0)
    assert z.data == 0.5 * 2 - 3 + 0.25
    assert z.const == 0.25
    x = [Value(2.0), 4.0]  # mixed on one side: only the Values are parents
    z = Value.dot([1.5, w[0]], x)
    assert z.parents == (w[0], x[0])
    assert z.local_grads == (4.0, 1.5)
    assert z.data == 1.5 * 2 + 0.5 * 4


def test_dot_length_mismatch():
    with pytest.raises(ValueError, match="same length, got 2 and 3"):
        Value.dot([Value(1.0)] * 2, [1.0, 2.0, 3.0])


def test_dot_rejects_non_numbers():
    with pytest.raises(TypeError, match="str"):
        Value.dot([Value(1.0)], ["x"])


def test_relu_derivative_is_zero_at_zero():
    for x in (0.0, -0.0):
        v = Value(x)
        out = v.relu()
        out.backward()
        assert (out.data, v.grad) == (0.0, 0.0)


# ---- tanh and sigmoid: exact to float precision, finite everywhere ------------------------


# References in decimal arithmetic with 100 digits more than the size of x needs (sinh x of a
# tiny x is a difference of two numbers near 1), in forms that cancel no digits:
# tanh x = sinh x / cosh x, tanh' x = 1 / cosh(x)**2, sigmoid' x = e**-x / (1 + e**-x)**2.


def _decimal_tanh_and_derivative(x: float) -> tuple[float, float]:
    with localcontext() as ctx:
        ctx.prec = 100 + max(0, -Decimal(x).adjusted()) if x else 100
        ep, em = Decimal(x).exp(), (-Decimal(x)).exp()
        return float((ep - em) / (ep + em)), float(4 / (ep + em) ** 2)


def _decimal_sigmoid_and_derivative(x: float) -> tuple[float, float]:
    with localcontext() as ctx:
        ctx.prec = 100
        em = (-Decimal(x)).exp()
        return float(1 / (1 + em)), float(em / (1 + em) ** 2)


def _ulps(a: float, b: float) -> float:
    if a == b:
        return 0.0
    return abs(a - b) / math.ulp(max(abs(a), abs(b)))


@given(st.floats(-1000.0, 1000.0))
def test_tanh_and_its_derivative_are_exact(x):
    out = Value(x).tanh()
    t, dt = _decimal_tanh_and_derivative(x)
    assert _ulps(out.data, t) <= 1
    assert math.isfinite(out.local_grads[0])
    assert _ulps(out.local_grads[0], dt) <= 4


@given(st.floats(-1000.0, 1000.0))
def test_sigmoid_and_its_derivative_are_exact(x):
    out = Value(x).sigmoid()
    s, ds = _decimal_sigmoid_and_derivative(x)
    assert _ulps(out.data, s) <= 2
    assert _ulps(out.local_grads[0], ds) <= 4


@pytest.mark.parametrize("x", [-1000.0, -710.0, 710.0, 1000.0])
def test_tanh_sigmoid_finite_at_extremes(x):
    for node in (Value(x).tanh(), Value(x).sigmoid()):
        assert math.isfinite(node.data) and math.isfinite(node.local_grads[0])
        node.backward()


# ---- domain errors: each names the op and the operand -----------------------------------


@pytest.mark.parametrize(
    "make, error, pattern",
    [
        (lambda: Value(0.0).log(), ValueError, r"log: expected a positive operand, got Value\(data=0.0"),
        (lambda: Value(-1.0, "q").log(), ValueError, r"log: .*data=-1.0, label='q'"),
        (lambda: Value(-2.0) ** 0.5, ValueError, r"\*\*: a negative base needs an integer exponent.*-2.0.*0.5"),
        (lambda: Value(0.0) ** -1, ZeroDivisionError, r"\*\*: zero to a negative power"),
        (lambda: Value(0.0) ** 0.5, ZeroDivisionError, r"\*\*: the derivative .* is infinite"),
        (lambda: Value(-2.0) ** Value(2.0), ValueError, r"\*\*: a Value exponent needs a positive base"),
        (lambda: (-2.0) ** Value(2.0), ValueError, r"\*\*: the base of b \*\* x must be positive"),
        (lambda: Value(1.0) / 0, ZeroDivisionError, r"/: division by zero"),
        (lambda: Value(1.0) / Value(0.0, "d"), ZeroDivisionError, r"/: division by zero.*label='d'"),
        (lambda: 1.0 / Value(0.0), ZeroDivisionError, r"/: division by zero: 1.0 / Value"),
        (lambda: Value(1000.0).exp(), OverflowError, r"exp: overflow at Value\(data=1000.0"),
        (lambda: Value(1e200) * Value(1e200), OverflowError, r"\*: .*overflows"),
        (lambda: Value(1e308) + 1e308, OverflowError, r"\+: .*overflows"),
        (lambda: Value(10.0) ** 400, OverflowError, r"\*\*: .*overflows"),
        (lambda: 10.0 ** Value(400.0), OverflowError, r"\*\*: .*overflows"),
        (lambda: Value(1e300) / 1e-300, OverflowError, r"/: .*overflows"),
        (lambda: Value(5e-324).log(), OverflowError, r"log: .*overflows"),
        (lambda: Value(1.0) + math.inf, ValueError, r"\+: expected a finite number as an operand, got inf"),
        (lambda: Value(1.0) * math.nan, ValueError, r"\*: expected a finite number as an operand, got nan"),
        (lambda: Value(1.0) / math.inf, ValueError, r"expected a finite number as an operand, got inf"),
    ],
)
def test_domain_errors_name_the_op_and_operand(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make()


@given(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(["+", "-", "*", "/", "**", "r-", "r/", "r**"]))
def test_no_op_ever_returns_a_non_finite_value(c, op):
    x = Value(0.7)
    ops = {
        "+": lambda: x + c,
        "-": lambda: x - c,
        "*": lambda: x * c,
        "/": lambda: x / c,
        "**": lambda: x**c,
        "r-": lambda: c - x,
        "r/": lambda: c / x,
        "r**": lambda: c**x,
    }
    try:
        out = ops[op]()
    except (ValueError, ZeroDivisionError, OverflowError):
        return
    assert math.isfinite(out.data) and all(math.isfinite(g) for g in out.local_grads)
