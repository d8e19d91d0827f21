"""numerical_grad and gradcheck: they agree with correct gradients and catch wrong ones."""

import math

import pytest

from autograd_core import GradcheckReport, Value, gradcheck, numerical_grad


def test_numerical_grad_of_a_known_function():
    def f(a, b):
        return a * a * b + b.exp()

    g = numerical_grad(f, [1.5, -0.5])
    assert g == pytest.approx([2 * 1.5 * -0.5, 1.5**2 + math.exp(-0.5)], rel=1e-9)


def test_numerical_grad_accepts_plain_number_results():
    assert numerical_grad(lambda x: x.data**3, [2.0]) == pytest.approx([12.0], rel=1e-9)


def test_gradcheck_passes_on_correct_gradients_and_reports_each_input():
    a, b = Value(0.3, "a"), Value(-1.2, "b")
    report = gradcheck(lambda a, b: (a * b + a.sigmoid()).tanh() / (1 + b * b), [a, b])
    assert isinstance(report, GradcheckReport)
    assert report.ok
    assert [e.label for e in report] == ["a", "b"]
    assert all(e.passed and not e.kink for e in report)
    assert report[0].abs_err < 1e-9
    assert a.grad == 0.0  # the caller's Values are left alone
    text = str(report)
    assert "PASS" in text and "a " in text


def _wrong_square(x: Value) -> Value:
    """x**2 with a deliberately wrong local derivative (x instead of 2x)."""
    return Value(x.data**2, parents=(x,), local_grads=(x.data,), op="bad_square")


def test_gradcheck_catches_a_wrong_local_derivative():
    report = gradcheck(lambda x, y: _wrong_square(x) * y, [1.5, 2.0])
    assert not report.ok
    assert not report[0].passed
    assert report[1].passed
    assert "FAIL" in str(report)


def test_gradcheck_catches_a_small_systematic_error():
    def almost(x):  # derivative off by one part in a million
        return Value(math.sin(x.data), parents=(x,), local_grads=(math.cos(x.data) * (1 + 1e-6),), op="sin")

    assert not gradcheck(almost, [0.7]).ok


def test_relu_kink_is_flagged_and_left_out():
    report = gradcheck(lambda x, y: (x * 1.0).relu() + y * y, [0.0, 1.0])
    assert report[0].kink
    assert not report[1].kink
    assert report.ok
    assert "KINK" in str(report)


def test_gradcheck_needs_a_value_result():
    with pytest.raises(TypeError, match="f must return a Value, got float"):
        gradcheck(lambda x: 1.0, [1.0])
