"""backward(), topological_order(), zero_grad(): semantics, depth, memory hygiene."""

import gc
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_core import Value, topological_order, zero_grad

from .conftest import deep_chain, low_recursion_limit


def test_diamond_reuse_accumulates():
    a = Value(3.0, "a")
    b = a + a  # two edges to a
    c = b * b  # two edges to b
    c.backward()
    assert b.grad == 2 * b.data  # dc/db = 2b = 12
    assert a.grad == 4 * b.data  # dc/da = dc/db * db/da = 12 * 2
    assert c.grad == 1.0


def test_shared_subexpression_in_two_branches():
    x = Value(0.5)
    y = x.tanh()
    out = y * x + y.exp()
    out.backward()
    t = math.tanh(0.5)
    dt = 1 - t * t
    assert x.grad == pytest.approx(dt * 0.5 + t + math.exp(t) * dt, rel=1e-15)


def test_backward_twice_doubles_leaves_and_resets_the_rest():
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    mid = a * b
    out = (mid + a).tanh()
    out.backward()
    first = (a.grad, b.grad, mid.grad, out.grad)
    out.backward()
    assert (a.grad, b.grad) == (2 * first[0], 2 * first[1])
    assert (mid.grad, out.grad) == (first[2], first[3])  # non-leaves are reset, not doubled
    for k in range(3, 6):
        out.backward()
        assert a.grad == pytest.approx(k * first[0], rel=1e-15)


def test_zero_grad_clears_every_node():
    a = Value(2.0)
    out = (a * a).exp()
    out.backward()
    zero_grad(out)
    assert all(n.grad == 0.0 for n in topological_order(out))
    out.backward()
    assert a.grad == pytest.approx(4 * math.exp(4.0), rel=1e-15)


def test_backward_with_a_seed_gradient():
    a = Value(2.0)
    out = a * 3
    out.backward(0.5)
    assert a.grad == 1.5
    with pytest.raises(TypeError, match="backward"):
        out.backward("1")
    with pytest.raises(ValueError, match="finite"):
        out.backward(math.nan)


def test_backward_on_a_leaf_accumulates():
    a = Value(1.0)
    a.backward()
    a.backward()
    assert a.grad == 2.0


def test_zero_local_gradient_passes_nothing():
    a = Value(-1.0)
    r = a.relu()
    (r * 5).backward()
    assert (r.grad, a.grad) == (5.0, 0.0)


def test_gradient_overflow_in_backward_is_an_error_naming_the_node():
    x = Value(1e-300, "x")
    y1 = x * 1e200  # every value and local derivative is finite...
    y1.label = "y1"
    out = y1 * 1e200 * 1e200  # ...but d out / d y1 = 1e400 is not
    assert math.isfinite(out.data)
    with pytest.raises(OverflowError, match=r"backward: the gradient at node 'y1'.*is inf"):
        out.backward()


def _random_dag(draw_ops, n_leaves):
    leaves = [Value(0.1 * (i + 1), f"x{i}") for i in range(n_leaves)]
    nodes = list(leaves)
    for kind, i, j in draw_ops:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        nodes.append({0: a + b, 1: a * b, 2: a - b.tanh(), 3: Value.sum([a, b, a])}[kind])
    return leaves, nodes


@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 10**6), st.integers(0, 10**6)), min_size=1, max_size=40),
    st.integers(1, 5),
)
def test_topological_order_puts_every_node_after_its_parents(ops, n_leaves):
    _, nodes = _random_dag(ops, n_leaves)
    root = nodes[-1]
    order = topological_order(root)
    position = {id(n): i for i, n in enumerate(order)}
    assert len(position) == len(order)  # each node once
    assert order[-1] is root
    for n in order:
        for p in n.parents:
            assert position[id(p)] < position[id(n)]
    # exactly the ancestors of root (found here by a plain recursive walk)
    ancestors = set()

    def walk(n):
        if id(n) not in ancestors:
            ancestors.add(id(n))
            for p in n.parents:
                walk(p)

    walk(root)
    assert ancestors == set(position)
    assert [id(n) for n in topological_order(root)] == [id(n) for n in order]  # deterministic


def plain_depth_first_order(root):
    """topological_order without its shortcuts: push the node, a marker, then every parent not seen."""
    order, seen, stack = [], set(), [root]
    while stack:
        node = stack.pop()
        if node is None:
            order.append(stack.pop())
        elif node not in seen:
            seen.add(node)
            stack += [node, None]
            for parent in node.parents:
                if parent not in seen:
                    if parent.parents:
                        stack.append(parent)
                    else:
                        seen.add(parent)
                        order.append(parent)
    return order


@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 10**6), st.integers(0, 10**6)), min_size=1, max_size=40),
    st.integers(1, 5),
)
def test_the_shortcuts_of_topological_order_keep_the_order_of_the_plain_search(ops, n_leaves):
    _, nodes = _random_dag(ops, n_leaves)
    for root in (nodes[-1], nodes[len(nodes) // 2], Value.sum(nodes[-3:]).tanh()):
        assert [id(n) for n in topological_order(root)] == [id(n) for n in plain_depth_first_order(root)]


def test_a_deep_chain_backpropagates_without_recursion():
    x, v = deep_chain(10_000)
    with low_recursion_limit():
        order = topological_order(v)
        assert len(order) == 20_001
        v.backward()
        assert x.grad == pytest.approx(1.000001**10_000, rel=1e-12)
        zero_grad(v)
        assert x.grad == 0.0


def test_graphs_hold_no_reference_cycles():
    """Freed by reference counting alone: the cyclic collector finds nothing to collect."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        ws = [Value(0.1 * i) for i in range(10)]
        out = Value.sum([(w * w).tanh() + w.exp() for w in ws] + [Value.dot(ws, ws)])
        out.backward()
        del ws, out
        assert gc.collect() == 0
    finally:
        if was_enabled:
            gc.enable()
