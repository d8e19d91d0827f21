"""backward_steps(): the records, their order, and equality with backward() bit for bit."""

import pytest
from hypothesis import assume, given

from autograd_core import BackwardStep, Value, backward_steps, topological_order, zero_grad

from .conftest import deep_chain, low_recursion_limit
from .programs import Engine, programs, run


def bits(x: float) -> str:
    """A float as its exact bits (so -0.0 and 0.0 differ, as they may in grads)."""
    return x.hex()


def test_records_follow_backward_order_with_every_edge():
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    c = a * b
    c.label = "c"
    d = c + a
    d.label = "d"
    records = list(backward_steps(d))
    assert [r.node for r in records] == [d, c]  # leaves are not steps
    first, second = records
    assert first.grad == 1.0
    assert [(e.parent, e.local_grad, e.contribution, e.grad_before, e.grad_after) for e in first.edges] == [
        (c, 1.0, 1.0, 0.0, 1.0),
        (a, 1.0, 1.0, 0.0, 1.0),
    ]
    assert second.grad == 1.0
    assert [(e.parent, e.local_grad, e.contribution, e.grad_before, e.grad_after) for e in second.edges] == [
        (a, -3.0, -3.0, 1.0, -2.0),  # a already got 1 from d
        (b, 2.0, 2.0, 0.0, 2.0),
    ]
    assert (a.grad, b.grad) == (-2.0, 2.0)


def test_each_step_is_applied_when_it_is_yielded():
    a = Value(3.0, "a")
    out = (a * a).tanh()
    steps = backward_steps(out)
    assert out.grad == 1.0 and a.grad == 0.0  # reset and seed happen at the call
    first = next(steps)
    assert first.node is out
    assert out.parents[0].grad == first.edges[0].grad_after
    assert a.grad == 0.0  # the * node is not applied yet
    second = next(steps)
    assert a.grad == second.edges[1].grad_after
    assert next(steps, None) is None


def test_a_repeated_parent_gets_one_edge_per_use():
    a = Value(3.0, "a")
    out = a + a
    (step,) = backward_steps(out)
    assert [e.parent for e in step.edges] == [a, a]
    assert [(e.grad_before, e.grad_after) for e in step.edges] == [(0.0, 1.0), (1.0, 2.0)]


def test_a_node_whose_grad_is_zero_is_a_step_that_changes_nothing():
    x = Value(-1.0, "x")
    x.grad = -0.0  # a leaf's grad is kept (leaves accumulate); adding 0.0 would turn it into +0.0
    doubled = x * 2.0
    out = doubled.relu()  # relu'(-2) = 0: doubled.grad is 0, so backward() skips it
    records = list(backward_steps(out))
    assert [r.node for r in records] == [out, doubled]
    skipped = records[1]
    assert skipped.skipped and skipped.grad == 0.0
    assert [(e.contribution, e.grad_before, e.grad_after) for e in skipped.edges] == [(0.0, -0.0, -0.0)]
    assert bits(x.grad) == bits(-0.0)
    assert not records[0].skipped


def test_seed_gradient_and_bad_arguments():
    a = Value(2.0)
    out = a * 3
    list(backward_steps(out, grad=2.0))
    assert a.grad == 6.0
    with pytest.raises(TypeError, match="backward_steps\\(grad\\)"):
        backward_steps(out, grad="1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="expected a Value as the root"):
        backward_steps(3.0)  # type: ignore[arg-type]


def test_records_are_frozen():
    (step,) = backward_steps(Value(1.0) * 2)
    assert isinstance(step, BackwardStep)
    with pytest.raises(AttributeError):
        step.grad = 2.0  # type: ignore[misc]


def test_overflowing_gradients_raise_where_backward_raises():
    def graph():
        x = Value(1e-300, "x")
        y = x * 1e300  # data 1, local derivative 1e300
        return x, y * 1e300  # x.grad = 1e300 * 1e300 = inf

    _, out = graph()
    with pytest.raises(OverflowError) as expected:
        out.backward()
    _, out = graph()
    steps = backward_steps(out)
    assert len([next(steps), next(steps)]) == 2  # both nodes are applied, then the leaf is checked
    with pytest.raises(OverflowError) as got:
        next(steps)
    assert str(got.value) == str(expected.value)


def _twin_graphs(case):
    """The same random program built twice: two identical, independent graphs."""
    xs, program = case
    twins = []
    for _ in range(2):
        leaves = [Value(x, f"x{i}") for i, x in enumerate(xs)]
        root = run(program, leaves, Engine)[-1]
        twins.append((root, topological_order(root) if isinstance(root, Value) else []))
    return twins


@given(programs())
def test_all_steps_reproduce_backward_bit_for_bit_on_random_graphs(case):
    (root_a, nodes_a), (root_b, nodes_b) = _twin_graphs(case)
    assume(isinstance(root_a, Value))
    for repeat in range(3):  # leaves accumulate across passes, identically
        root_a.backward()
        count = 0
        for step in backward_steps(root_b):
            count += 1
            after = {edge.parent: edge.grad_after for edge in step.edges}  # the last edge to each parent
            assert all(bits(grad) == bits(parent.grad) for parent, grad in after.items())
        assert count == sum(1 for n in nodes_b if n.parents)
        assert [bits(n.grad) for n in nodes_a] == [bits(n.grad) for n in nodes_b], f"pass {repeat + 1}"


@given(programs(max_steps=25))
def test_after_k_steps_the_grads_are_those_after_k_nodes_of_backward(case):
    (root_a, nodes_a), (root_b, nodes_b) = _twin_graphs(case)
    assume(isinstance(root_a, Value))
    n_steps = sum(1 for n in nodes_a if n.parents)
    for k in range(n_steps + 1):
        zero_grad(root_a)
        steps = backward_steps(root_a)
        for _ in range(k):
            next(steps)
        zero_grad(root_b)
        _backward_first_k_nodes(root_b, k)
        assert [bits(n.grad) for n in nodes_a] == [bits(n.grad) for n in nodes_b], f"after {k} steps"


def _backward_first_k_nodes(root, k):
    """backward()'s loop (graph.py), stopped after k nodes that have parents: the oracle."""
    order = topological_order(root)
    for node in order:
        if node.parents:
            node.grad = 0.0
    root.grad += 1.0
    done = 0
    for node in reversed(order):
        if not node.parents:
            continue
        if done == k:
            break
        done += 1
        g = node.grad
        if g:
            for parent, local in zip(node.parents, node.local_grads):
                parent.grad += local * g


def test_a_deep_chain_steps_without_recursion():
    x, v = deep_chain(10_000)
    count = 0
    with low_recursion_limit():
        for step in backward_steps(v):
            count += 1
            last = step
    assert count == 20_000
    assert last.edges[0].parent is x
    steps_grad = x.grad
    x.grad = 0.0
    v.backward()
    assert bits(x.grad) == bits(steps_grad)


# ---- Stepper: the page ---------------------------------------------------------------------

HOSTILE = "</script><script>alert(1)</script>"


def small_graph(label="a"):
    a, b = Value(2.0, label), Value(-3.0, "b")
    c = Value(10.0, "c")
    out = (a * b + c).tanh()
    out.label = "out"
    return out


def test_stepper_records_one_fresh_pass_and_leaves_the_grads_alone(needs_dot):
    from autograd_core import Stepper

    out = small_graph()
    out.backward()
    out.backward()  # leaves hold twice the gradient now
    before = [n.grad for n in topological_order(out)]
    stepper = Stepper(out)
    assert [n.grad for n in topological_order(out)] == before
    fresh = small_graph()
    expected = list(backward_steps(fresh))
    assert [s.node.label or s.node.op for s in stepper.steps] == [s.node.label or s.node.op for s in expected]
    assert [e.grad_after for s in stepper.steps for e in s.edges] == [e.grad_after for s in expected for e in s.edges]


def test_stepper_page_is_self_contained_and_deterministic(needs_dot):
    from autograd_core import Stepper

    page = Stepper(small_graph()).html
    assert page == Stepper(small_graph()).to_html()
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "<?xml" not in page
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page
    assert "∂(#1)/∂a" not in page  # names that are one word go bare
    assert '"a.grad += ∂#1/∂a × #1.grad = ",{"g":[["-3","-3.0"]," × ",' in page  # as drawn, and in full


def test_hostile_labels_stay_inert_in_the_page(needs_dot):
    from autograd_core import Stepper

    page = Stepper(small_graph(HOSTILE)).html
    assert page.count("<script") == 2  # the JSON data and the code, nothing from the label
    assert "</script><script>alert" not in page
    assert "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in page
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page  # in the SVG and the title


def test_jupyter_shows_the_page_in_a_sandboxed_iframe(needs_dot):
    import html

    from autograd_core import Stepper

    stepper = Stepper(small_graph(HOSTILE))
    frame = stepper._repr_html_()
    assert frame.startswith('<iframe srcdoc="') and 'sandbox="allow-scripts"' in frame
    srcdoc = frame[len('<iframe srcdoc="') : frame.index('" sandbox=')]
    assert "<" not in srcdoc and '"' not in srcdoc
    assert html.unescape(srcdoc) == stepper.html


def test_stepper_save_and_its_errors(tmp_path, needs_dot):
    from autograd_core import Stepper

    stepper = Stepper(small_graph())
    path = stepper.save(tmp_path / "steps.html")
    assert path.read_text(encoding="utf-8") == stepper.html
    assert [p.name for p in tmp_path.iterdir()] == ["steps.html"]
    with pytest.raises(ValueError, match=r"expected a file name ending in \.html"):
        stepper.save(tmp_path / "steps.svg")
    with pytest.raises(TypeError, match="expected a Value as the root"):
        Stepper(1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="more than max_nodes=3"):
        Stepper(small_graph(), max_nodes=3)


def test_stepper_without_dot_says_how_to_install(tmp_path, monkeypatch):
    from autograd_core import GraphvizNotFoundError, Stepper

    monkeypatch.setenv("PATH", str(tmp_path))
    out = small_graph()
    out.backward()
    grads = [n.grad for n in topological_order(out)]
    with pytest.raises(GraphvizNotFoundError, match="brew install graphviz"):
        Stepper(out)
    assert [n.grad for n in topological_order(out)] == grads  # restored even when rendering fails


def test_a_leaf_alone_has_no_steps(needs_dot):
    from autograd_core import Stepper

    stepper = Stepper(Value(1.0, "x"))
    assert stepper.steps == () and 'max="0"' in stepper.html
