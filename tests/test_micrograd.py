"""from_micrograd: graphs built with micrograd 0.1.0 (from PyPI) or a lecture-style Value class
become our graphs, and our backward() gives every node the grad their backward() gives it."""

from __future__ import annotations

import math
import random
import sys

import pytest

from autograd_core import Stepper, draw, from_micrograd, gradcheck, topological_order

try:
    from micrograd.engine import Value as MicrogradValue
except ImportError:  # pragma: no cover - micrograd is in the test extra
    MicrogradValue = None

needs_micrograd = pytest.mark.skipif(MicrogradValue is None, reason="micrograd 0.1.0 is not installed")


class LectureValue:
    """The Value of the micrograd lecture (data, grad, _prev, _op, label; + - * / ** exp tanh)."""

    def __init__(self, data, _children=(), _op="", label=""):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op
        self.label = label

    def __add__(self, other):
        other = other if isinstance(other, LectureValue) else LectureValue(other)
        out = LectureValue(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += 1.0 * out.grad
            other.grad += 1.0 * out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, LectureValue) else LectureValue(other)
        out = LectureValue(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, other):
        assert isinstance(other, (int, float))
        out = LectureValue(self.data**other, (self,), f"**{other}")

        def _backward():
            self.grad += other * (self.data ** (other - 1)) * out.grad

        out._backward = _backward
        return out

    def __rmul__(self, other):
        return self * other

    def __radd__(self, other):
        return self + other

    def __truediv__(self, other):
        return self * other**-1

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-other)

    def tanh(self):
        x = self.data
        t = (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)
        out = LectureValue(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t**2) * out.grad

        out._backward = _backward
        return out

    def exp(self):
        out = LectureValue(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def backward(self):
        topo, visited = [], set()

        def build(v):
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build(child)
                topo.append(v)

        build(self)
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()


def _their_nodes(root):
    seen, stack, nodes = set(), [root], []
    while stack:
        v = stack.pop()
        if id(v) not in seen:
            seen.add(id(v))
            nodes.append(v)
            stack.extend(v._prev)
    return nodes


def _random_expression(cls, rng: random.Random, unary: tuple[str, ...]):
    """A random expression over 3 leaves, built so operands repeat (a + a, a * a, x - x, ...)."""
    leaves = [cls(rng.uniform(-1.5, 1.5)) for _ in range(3)]
    for name, leaf in zip("abc", leaves):
        if hasattr(leaf, "label"):
            leaf.label = name
    pool = list(leaves)
    for _ in range(rng.randint(3, 12)):
        x, y = rng.choice(pool), rng.choice(pool)
        kind = rng.choice(["+", "*", "-", "/", "**", "same+", "same*", "unary", "const"])
        if kind == "same+":
            z = x + x
        elif kind == "same*":
            z = x * x
        elif kind == "+":
            z = x + y
        elif kind == "*":
            z = x * y
        elif kind == "-":
            z = x - y
        elif kind == "/":
            if abs(y.data) < 0.2:
                continue
            z = x / y
        elif kind == "**":
            if abs(x.data) < 0.2 or abs(x.data) > 3:
                continue
            z = x ** rng.choice([2, 3, -1])
        elif kind == "const":
            z = x * rng.uniform(-2, 2) + 1
        else:
            op = rng.choice(unary)
            if op == "exp" and x.data > 5:
                continue
            z = getattr(x, op)()
        if abs(z.data) < 50:
            pool.append(z)
    out = pool[-1]
    for v in pool[3:]:
        out = out + v  # every node matters
    return out


def _assert_same_grads(their_root) -> None:
    nodes: dict = {}
    ours = from_micrograd(their_root, nodes=nodes)
    ours.backward()
    their_root.backward()
    theirs = _their_nodes(their_root)
    assert len(theirs) == len(nodes) == len(topological_order(ours))
    for v in theirs:
        assert nodes[id(v)].data == v.data
        assert nodes[id(v)].grad == pytest.approx(v.grad, rel=1e-12, abs=1e-12), v


@needs_micrograd
@pytest.mark.parametrize("seed", range(40))
def test_micrograd_random_expressions_same_grads(seed: int) -> None:
    _assert_same_grads(_random_expression(MicrogradValue, random.Random(seed), ("relu",)))


@pytest.mark.parametrize("seed", range(40))
def test_lecture_value_random_expressions_same_grads(seed: int) -> None:
    _assert_same_grads(_random_expression(LectureValue, random.Random(seed), ("tanh", "exp")))


@needs_micrograd
def test_repeated_operands_count_twice() -> None:
    a = MicrogradValue(3.0)
    s, p = a + a, a * a
    assert len(s._prev) == len(p._prev) == 1  # micrograd's set keeps one
    ours_s, ours_p = from_micrograd(s), from_micrograd(p)
    ours_s.backward()
    ours_p.backward()
    assert ours_s.parents[0].grad == 2.0
    assert ours_p.parents[0].grad == 6.0
    assert ours_p.local_grads == (3.0, 3.0)


@needs_micrograd
def test_micrograd_ops_and_power_exponent() -> None:
    x = MicrogradValue(2.0)
    out = (x**3).relu()
    ours = from_micrograd(out)
    assert ours.op == "relu" and ours.parents[0].op == "**" and ours.parents[0].const == 3.0
    ours.backward()
    assert ours.parents[0].parents[0].grad == 12.0


def test_labels_kept_and_tools_work(needs_dot: None) -> None:
    a, b, c = LectureValue(2.0, label="a"), LectureValue(-3.0, label="b"), LectureValue(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    o = d.tanh()
    o.label = "o"
    ours = from_micrograd(o)
    ours.backward()
    assert {v.label for v in topological_order(ours)} == {"a", "b", "c", "d", "e", "o"}
    assert "<b>e</b>" in draw(ours).source
    assert len(Stepper(ours).steps) == 3


def test_grads_agree_with_gradcheck() -> None:
    """The converted graph's grads are those that gradcheck checks on the same function written here."""
    report = gradcheck(lambda a, b: (a * b + a).tanh() * (a**2).exp(), [0.3, -0.7])
    x, y = LectureValue(0.3, label="a"), LectureValue(-0.7, label="b")
    nodes: dict = {}
    from_micrograd((x * y + x).tanh() * (x**2).exp(), nodes=nodes).backward()
    assert report.ok
    assert nodes[id(x)].grad == pytest.approx(report[0].analytic, rel=1e-12)
    assert nodes[id(y)].grad == pytest.approx(report[1].analytic, rel=1e-12)


def test_deep_graph_converts_without_recursion() -> None:
    x = LectureValue(0.5, label="x")
    v = x
    for _ in range(20_000):
        v = v * 1.0 + 0.0
    assert sys.getrecursionlimit() < 20_000
    ours = from_micrograd(v)
    ours.backward()
    assert len(topological_order(ours)) == 1 + 4 * 20_000  # each step: x*1.0 (two nodes), +0.0 (two)
    assert next(n for n in topological_order(ours) if n.label == "x").grad == 1.0


def test_unknown_op_is_named() -> None:
    a = LectureValue(1.0, label="a")
    weird = LectureValue(math.sin(1.0), (a,), "sin")
    with pytest.raises(ValueError, match="unknown op 'sin'"):
        from_micrograd(weird)


def test_not_a_micrograd_value() -> None:
    with pytest.raises(TypeError, match="_prev"):
        from_micrograd(3.0)


def test_data_that_does_not_match_its_op() -> None:
    a, b = LectureValue(2.0), LectureValue(3.0)
    wrong = LectureValue(7.0, (a, b), "+")
    with pytest.raises(ValueError, match="does not match its op '\\+'"):
        from_micrograd(wrong)


def test_unordered_minus_is_resolved_by_data_or_refused() -> None:
    a, b = LectureValue(5.0, label="a"), LectureValue(2.0, label="b")
    ours = from_micrograd(LectureValue(3.0, (b, a), "-"))  # a - b, stored in a set
    assert [p.label for p in ours.parents] == ["a", "b"] and ours.local_grads == (1.0, -1.0)
    c = LectureValue(5.0, label="c")
    with pytest.raises(ValueError, match="cannot tell the operands"):
        from_micrograd(LectureValue(0.0, (a, c), "-"))
