"""autograd_core.backward(roots, grads): backward from several roots, each with its upstream gradient
(a vector-Jacobian product, as torch.autograd.backward(tensors, grad_tensors)), checked against
central differences, HIPS autograd's vjp and PyTorch when installed; and Value.backward's semantics."""

import math

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_core import Value, backward, topological_order

from .oracles import assert_close_to_numeric, central_difference


def q_of(a: list, b: list) -> list:
    """The PyTorch autograd tutorial's Q = 3a³ − b², element by element (Values or floats)."""
    return [3 * ai**3 - bi**2 for ai, bi in zip(a, b)]


def test_the_pytorch_tutorials_q_equals_3a_cubed_minus_b_squared():
    a = [Value(2.0, "a0"), Value(3.0, "a1")]
    b = [Value(6.0, "b0"), Value(4.0, "b1")]
    backward(q_of(a, b), [1.0, 1.0])  # Q.backward(gradient=torch.tensor([1., 1.]))
    assert [x.grad for x in a] == [9 * 2.0**2, 9 * 3.0**2]  # dQ/da = 9a²: [36, 81]
    assert [x.grad for x in b] == [-2 * 6.0, -2 * 4.0]  # dQ/db = −2b: [−12, −8]


# Three functions from R^3 to R^3, written once for Values and once for autograd.numpy.
def f_values(x: list) -> list:
    x0, x1, x2 = x
    return [(x0 * x1).tanh() + x2, x0.exp() * x2 - x1**2, (x0 * x1 * x2 + 1.0).log() + x0 / x1]


def f_numpy(x):
    x0, x1, x2 = x[0], x[1], x[2]
    return anp.array([anp.tanh(x0 * x1) + x2, anp.exp(x0) * x2 - x1**2, anp.log(x0 * x1 * x2 + 1.0) + x0 / x1])


def ours(xs: list[float], v: list[float]) -> list[float]:
    x = [Value(xi, f"x{i}") for i, xi in enumerate(xs)]
    backward(f_values(x), v)
    return [xi.grad for xi in x]


positive = st.floats(0.2, 2.0)
upstream = st.floats(-3.0, 3.0)


@settings(max_examples=40, deadline=None)
@given(st.lists(positive, min_size=3, max_size=3), st.lists(upstream, min_size=3, max_size=3))
def test_the_vjp_equals_central_differences_of_v_dot_f(xs, v):
    def v_dot_f(*x: float) -> float:
        return sum(vi * qi for vi, qi in zip(v, f_numpy(np.array(x))))

    numeric = [central_difference(v_dot_f, xs, i) for i in range(3)]
    assert_close_to_numeric(ours(xs, v), numeric)


@settings(max_examples=40, deadline=None)
@given(st.lists(positive, min_size=3, max_size=3), st.lists(upstream, min_size=3, max_size=3))
def test_the_vjp_equals_hips_autograds(xs, v):
    vjp, _ = autograd.make_vjp(f_numpy)(np.array(xs))
    np.testing.assert_allclose(ours(xs, v), vjp(np.array(v)), rtol=1e-13, atol=1e-13)


def test_the_vjp_equals_pytorchs_when_installed():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed (an oracle only when it is)")
    xs, v = [0.7, 1.3, 0.4], [-2.0, 1.0, 0.5]
    x = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    q = torch.stack(
        [
            torch.tanh(x[0] * x[1]) + x[2],
            torch.exp(x[0]) * x[2] - x[1] ** 2,
            torch.log(x[0] * x[1] * x[2] + 1.0) + x[0] / x[1],
        ]
    )
    torch.autograd.backward([q], [torch.tensor(v, dtype=torch.float64)])
    np.testing.assert_allclose(ours(xs, v), x.grad.numpy(), rtol=1e-13, atol=1e-13)


def test_one_root_is_value_backward_bit_for_bit():
    def graph():
        a, b = Value(0.3, "a"), Value(-1.7, "b")
        return a, b, ((a * b).tanh() + a.exp()) * b

    a, b, out = graph()
    out.backward(2.5)
    c, d, out2 = graph()
    backward(out2, 2.5)  # one root needs no list
    assert (a.grad, b.grad) == (c.grad, d.grad)


def test_a_root_listed_twice_gets_both_grads_and_a_root_above_another_passes_its_grad_on():
    x = Value(2.0, "x")
    y = x * x  # y is a root and a parent of z
    z = y * 3
    backward([y, z, y], [1.0, 1.0, 0.5])
    assert y.grad == 1.0 + 3.0 + 0.5
    assert x.grad == 2 * x.data * y.grad


def test_non_leaf_grads_are_reset_and_leaves_accumulate():
    a, b = Value(2.0, "a"), Value(6.0, "b")
    q = q_of([a], [b])[0]
    r = a * b
    backward([q, r], [1.0, -2.0])
    first = (a.grad, b.grad, q.grad, r.grad)
    backward([q, r], [1.0, -2.0])
    assert (a.grad, b.grad) == (2 * first[0], 2 * first[1])
    assert (q.grad, r.grad) == (first[2], first[3]) == (1.0, -2.0)


def test_a_root_that_is_a_leaf_accumulates_its_grad():
    x = Value(1.0, "x")
    x.grad = 5.0
    backward([x, x * 4], [1.0, 1.0])
    assert x.grad == 5.0 + 1.0 + 4.0


def test_a_failed_pass_changes_nothing():
    x = Value(1e-300, "x")
    y = x * 1e200
    y.label = "y"
    big = y * 1e200 * 1e200  # d big / d y = 1e400 overflows in backward
    small = x * 2.0
    small.backward()
    before = [(node, node.grad) for root in (big, small) for node in topological_order(root)]
    with pytest.raises(OverflowError, match=r"backward: the gradient at node 'y'.*is inf"):
        backward([small, big], [1.0, 1.0])
    assert all(node.grad == g for node, g in before)


@pytest.mark.parametrize(
    "roots, grads, error, message",
    [
        ([], None, ValueError, "expected at least one root, got none"),
        ([1.0], None, TypeError, "expected Values as the roots, got float at 0"),
        ("QQ", None, TypeError, "expected Values as the roots, got str at 0"),
        (["Q"], [1.0, 2.0], TypeError, "got str at 0"),
        ([Value(1.0)], [1.0, 2.0], ValueError, r"expected one grad per root \(1\), got 2"),
        ([Value(1.0)], [math.nan], ValueError, r"backward\(grads\[0\]\): expected a finite number, got nan"),
        ([Value(1.0)], ["1"], TypeError, r"backward\(grads\[0\]\): expected a real number"),
    ],
)
def test_bad_roots_or_grads_say_what_was_expected(roots, grads, error, message):
    with pytest.raises(error, match=message):
        backward(roots, grads)


def test_bad_grads_change_nothing():
    x = Value(1.0, "x")
    y = x * 3
    y.backward()
    with pytest.raises(ValueError):
        backward([y, y], [1.0, math.inf])
    assert (x.grad, y.grad) == (3.0, 1.0)
