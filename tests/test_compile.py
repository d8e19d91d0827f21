"""autograd_core.compile: every op replayed over a batch equals the engine run sample by sample;
what cannot be replayed is refused with the reason; a nan or inf names the node and the sample."""

import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import assume, given

from autograd_core import Value, compile, register_op, topological_order
from autograd_core.derivatives import RULES
from autograd_core.kernels import BUILT_IN
from autograd_core.trace import TraceError

from .compiled import assert_equal, assert_same_as_engine, by_engine, by_program
from .programs import Engine, programs, run

P = [Value(0.7, "p0"), Value(-1.3, "p1"), Value(0.4, "p2")]
"""Parameters: leaves shared by every sample."""


def unary(f):
    """An op on an input, and on a node computed from an input and a parameter."""
    return lambda x: Value.sum([f(x[0]), f(x[1] * P[0])]) * P[1]


CASES = {
    "neg": unary(lambda v: -v),
    "exp": unary(Value.exp),
    "log": unary(Value.log),
    "tanh": unary(Value.tanh),
    "sigmoid": unary(Value.sigmoid),
    "relu": unary(Value.relu),
    "+ c": unary(lambda v: v + 2.5),
    "- c": unary(lambda v: v - 2.5),
    "rsub": unary(lambda v: 2.5 - v),
    "* c": unary(lambda v: v * -3.0),
    "/ c": unary(lambda v: v / 4.0),
    "rdiv": unary(lambda v: 4.0 / v),
    "** 2": unary(lambda v: v**2),
    "** 0": unary(lambda v: v**0),
    "** 1": unary(lambda v: v**1),
    "** 0.5": unary(lambda v: v**0.5),
    "** -1.5": unary(lambda v: v**-1.5),
    "rpow": unary(lambda v: 2.0**v),
    "rpow 0.5": unary(lambda v: 0.5**v),
    "+": lambda x: (x[0] + x[1]) * P[0] + (x[0] + P[1]),
    "-": lambda x: (x[0] - x[1]) * P[0] + (P[1] - x[0]),
    "*": lambda x: x[0] * x[1] * P[0] + x[0] * x[0],
    "/": lambda x: x[0] / x[1] + P[0] / x[0],
    "**": lambda x: x[0] ** x[1] + x[1] ** P[0],
    "sum": lambda x: Value.sum([x[0], x[1], P[0], 2.0]) * Value.sum([x[1], P[1]]),
    "sum of different sizes": lambda x: Value.sum([Value.sum([x[0], x[1], 1.0]), Value.sum([x[1]])]),
    "dot, a matrix product": lambda x: Value.sum([Value.dot(P[:2], x, P[2]), Value.dot(P[1:], x)]).tanh(),
    "dot, a bias number": lambda x: Value.dot(P[:2], x, 0.25) * Value.dot(P[1:], x, -1.0),
    "dot, weights per sample": lambda x: Value.dot([x[0] * P[0], x[1]], [x[1], P[1]], x[0]),
    "dot, weights numbers": lambda x: Value.dot([0.5, -2.0], x, P[0]).sigmoid(),
    "dot, inputs numbers": lambda x: Value.dot(P[:2], [x[0] * 0.0 + 1.5, x[1]], None) + Value.dot(P[:2], [3.0, 4.0]),
    "dot, a sum of squares": lambda x: Value.dot([x[0] - P[0], x[1]], [x[0] - P[0], x[1]]),
    "nodes of parameters only": lambda x: (
        x[0] * (P[0] * P[1]).tanh() + Value.sum([P[0], P[1], 1.0]) * Value.dot(P[:2], P[1:]) + x[1] * P[2].exp()
    ),
}
POSITIVE = {"log", "** 0.5", "** -1.5", "/", "**", "rdiv"}


@pytest.mark.parametrize("case", CASES)
def test_every_op_equals_the_engine_sample_by_sample(case):
    rng = np.random.default_rng(len(case))
    low = 0.2 if case in POSITIVE else -2.0
    batch = rng.uniform(low, 2.0, (7, 2))
    assert_same_as_engine(CASES[case], P, batch)


def test_every_built_in_op_has_an_array_form_and_a_case_here():
    assert set(RULES) == set(BUILT_IN)
    ops = set()
    for build in CASES.values():
        ops |= {node.op for node in topological_order(build([Value(0.5), Value(0.75)])) if node.parents}
    assert ops == set(BUILT_IN)


def test_a_chain_and_a_sum_of_shared_nodes_keep_every_edge():
    def build(x):
        a = x[0] * P[0]
        return (a + a) * (a * a) + Value.sum([a, a, x[1]])

    assert_same_as_engine(build, P, np.random.default_rng(1).normal(size=(5, 2)))


@pytest.mark.filterwarnings("ignore:overflow encountered in cosh")
@given(programs(max_steps=40))
def test_random_graphs_replayed_on_nearby_samples_equal_the_engine(case):
    """Random graphs (tests/test_random_graphs.py): the first leaf a parameter, the others inputs."""
    xs, program = case
    assume(len(xs) >= 2)
    parameter = Value(xs[0], "p")

    def build(inputs):
        return run(program, [parameter, *inputs], Engine)[-1]

    first = build([Value(x) for x in xs[1:]])
    assume(isinstance(first, Value) and first.parents)
    rng = np.random.default_rng(len(program))
    batch = np.array(xs[1:]) + rng.normal(0.0, 1e-3, (4, len(xs) - 1))
    try:
        reference = by_engine(build, [parameter], batch)
    except (ValueError, ZeroDivisionError, OverflowError) as e:
        with pytest.raises(type(e)):
            by_program(build, [parameter], batch)
        return
    try:
        ours = by_program(build, [parameter], batch)
    except TraceError as e:  # an input the graph does not use
        assert "is not used by the graph" in str(e)
        return
    roots, grads, total, terms = reference
    assert_equal(ours[0], roots, "root")
    assert_equal(ours[1], grads, "input grads")
    assert_equal(ours[2], total, "parameter grads", terms=terms)


# ---- custom ops -------------------------------------------------------------------------------
def softplus(x: Value) -> Value:
    return Value(math.log1p(math.exp(x.data)), parents=(x,), local_grads=(1 / (1 + math.exp(-x.data)),), op="softplus")


def test_a_custom_op_compiles_through_its_registered_rule():
    register_op("softplus", lambda x: (np.logaddexp(0.0, x[..., 0]), 1.0 / (1.0 + np.exp(-x))))
    assert_same_as_engine(
        lambda x: softplus(x[0] * P[0] + x[1]) * P[1], P, np.random.default_rng(2).normal(size=(6, 2))
    )


def test_a_custom_op_on_parameters_only_and_a_rule_of_the_wrong_shape():
    register_op("softplus", lambda x: (np.logaddexp(0.0, x[..., 0]), 1.0 / (1.0 + np.exp(-x))))
    assert_same_as_engine(
        lambda x: softplus(P[0] * P[1]) * x[0] + x[1], P, np.random.default_rng(3).normal(size=(4, 2))
    )
    register_op("flat", lambda x: (x[..., 0], np.ones(3)))
    x = Value(1.0, "x")
    with pytest.raises(TraceError, match=r"the rule of custom op 'flat' returned .* local derivatives of shape \(3,\)"):
        compile(Value(1.0, parents=(x,), local_grads=(1.0,), op="flat"), inputs=[x])


def test_a_custom_op_without_a_rule_is_refused_with_the_reason():
    x = Value(1.0, "x")
    node = Value(2.0, parents=(x,), local_grads=(2.0,), op="doubled_unregistered")
    with pytest.raises(TraceError, match=r"custom op 'doubled_unregistered'.*computed from the numbers of the sample"):
        compile(node * 1.0, inputs=[x])
    with pytest.raises(TraceError, match="no op name"):
        compile(Value(2.0, parents=(x,), local_grads=(2.0,)) * 1.0, inputs=[x])


def test_a_rule_that_does_not_fit_its_op_is_refused():
    register_op("halved", lambda x: (x[..., 0] / 3.0, np.full_like(x, 1 / 3)))
    x = Value(1.0, "x")
    halved = Value(0.5, parents=(x,), local_grads=(0.5,), op="halved", label="h")
    with pytest.raises(
        TraceError, match=r"node 'h' \(op 'halved'\) records the value 0.5.*the rule does not fit the op"
    ):
        compile(halved, inputs=[x])


def test_a_custom_op_with_a_constant_or_a_built_in_name_is_refused():
    register_op("scaled", lambda x: (2.0 * x[..., 0], np.full_like(x, 2.0)))
    x = Value(1.0, "x")
    node = Value(2.0, parents=(x,), local_grads=(2.0,), op="scaled")
    node.const = 2.0
    with pytest.raises(TraceError, match="holds a constant"):
        compile(node, inputs=[x])
    with pytest.raises(TraceError, match="op '\\*', a built-in op, but 1 parent"):
        compile(Value(2.0, parents=(x,), local_grads=(2.0,), op="*"), inputs=[x])
    by_hand = Value(3.0, parents=(x,), local_grads=(5.0,), op="exp", label="e")
    with pytest.raises(TraceError, match=r"node 'e' .*cannot take a built-in op's name"):
        compile(by_hand, inputs=[x])
    with pytest.raises(ValueError, match="'tanh' is a built-in op"):
        register_op("tanh", lambda x: (x[..., 0], np.ones_like(x)))


# ---- what cannot be replayed ---------------------------------------------------------------------
def test_an_input_read_as_a_number_is_refused():
    x, y = Value(1.0, "x"), Value(2.0, "y")
    folded = x * y.data  # y's number became a constant: the graph would not change with y
    with pytest.raises(TraceError, match=r"inputs\[1\] \(label 'y'\) is not used by the graph.*x\.data"):
        compile(folded, inputs=[x, y])


def test_inputs_must_be_distinct_leaves_of_the_graph():
    x = Value(1.0, "x")
    h = x * 2.0
    h.label = "h"
    with pytest.raises(TraceError, match=r"inputs\[0\] \(h, op '\*'\) is computed from other nodes"):
        compile(h.tanh(), inputs=[h])
    with pytest.raises(TraceError, match="given twice"):
        compile(h.tanh(), inputs=[x, x])
    with pytest.raises(TypeError, match=r"inputs\[0\] is a float"):
        compile(h.tanh(), inputs=[1.0])
    with pytest.raises(TypeError, match="expected a Value as the root"):
        compile(1.0, inputs=[x])
    with pytest.raises(TraceError, match=r"the root \(x\) is a parameter, a leaf that is not an input"):
        compile(x, inputs=[])
    program = compile(x, inputs=[x])  # the root an input: the identity
    assert program.forward([[2.0], [3.0]]).tolist() == [2.0, 3.0] and program.backward().tolist() == [[1.0], [1.0]]


def test_dot_nodes_that_record_no_pairing_are_refused():
    x, w = Value(1.0, "x"), Value(2.0, "w")
    by_hand = Value(2.0, parents=(w, x), local_grads=(1.0, 2.0), op="dot", label="z")
    with pytest.raises(TraceError, match="node 'z' has op 'dot' but no terms"):
        compile(by_hand, inputs=[x])
    mixed = Value.dot([w, 3.0], [x, x], label="z")
    with pytest.raises(TraceError, match="mixes plain numbers and Values among its weights"):
        compile(mixed, inputs=[x])


# ---- nan and inf ---------------------------------------------------------------------------------
def test_a_domain_error_names_the_step_the_node_and_the_sample_with_the_engines_message():
    x = Value(3.0, "x")
    h = (x - 1.0).log()
    h.label = "h"
    program = compile(h * 2.0, inputs=[x])
    with pytest.raises(
        ValueError, match=r"node 'h' of sample 2: log: expected a positive operand, got Value\(data=-1.0"
    ):
        program.forward([[3.0], [2.0], [0.0], [-1.0]])
    with pytest.raises(OverflowError, match="of sample 1: exp: overflow"):
        compile(x.exp(), inputs=[x]).forward([[1.0], [800.0]])
    with pytest.raises(ZeroDivisionError, match="of sample 0: /: division by zero"):
        compile(1.0 / x, inputs=[x]).forward([[0.0]])
    with pytest.raises(ZeroDivisionError, match=r"\*\*: the derivative c \* x\*\*\(c-1\) is infinite"):
        compile(x**0.5, inputs=[x]).forward([[1.0], [0.0]])


def test_a_parameter_made_infinite_is_named_as_the_engine_names_it():
    x, w = Value(1.0, "x"), Value(2.0, "w")
    program = compile((w * x).tanh(), inputs=[x])
    w.data = math.inf
    with pytest.raises(
        OverflowError, match=r"of sample 0: \*: the operand Value\(data=inf, label='w'\) is not finite.*set by hand"
    ):
        program.forward([[1.0]])


def test_a_gradient_that_overflows_names_the_node_and_the_sample_and_adds_nothing():
    x, p = Value(0.5, "x"), Value(1.0, "p")
    h = (x * p).tanh()
    h.label = "h"
    program = compile(h * 1e308 + h * 1e308, inputs=[x])
    program.forward([[0.5], [0.25]])
    with pytest.raises(OverflowError, match=r"gradient at node 'h' \(op 'tanh'\) of sample 0 is inf"):
        program.backward()
    assert p.grad == 0.0
    q = Value(1e-10, "q")
    program = compile(q * 1e308 + q * 1e308 + x, inputs=[x])
    program.forward([[0.5]])
    with pytest.raises(OverflowError, match="gradient of parameter 'q', summed over the batch, is inf"):
        program.backward()
    program = compile(x * 1e308 + x * 1e308, inputs=[x])
    program.forward([[1e-10]])
    with pytest.raises(OverflowError, match=r"gradient at node 'x' \(op 'leaf'\) of sample 0 is inf"):
        program.backward()


def test_a_batch_must_be_finite_rows_of_the_inputs():
    x, y = Value(1.0, "x"), Value(2.0, "y")
    program = compile(x * y, inputs=[x, y])
    with pytest.raises(ValueError, match=r"expected a batch of shape \(B, 2\).*got \(2,\)"):
        program.forward([1.0, 2.0])
    with pytest.raises(ValueError, match=r"sample 1, input 0 \(x\) is nan"):
        program.forward([[1.0, 2.0], [math.nan, 1.0]])
    with pytest.raises(RuntimeError, match=r"backward\(\) needs a forward\(\) first"):
        program.backward()


# ---- the program's interface ---------------------------------------------------------------------
def test_backward_seeds_each_sample_and_accumulates_into_the_parameters_like_backward():
    x, w = Value(0.5, "x"), Value(2.0, "w")
    program = compile((w * x).tanh(), inputs=[x])
    batch = np.array([[0.5], [1.0], [-1.0]])
    program.forward(batch)
    grads = program.backward([1.0, 2.0, 0.0])
    expected = [1.0 * 2.0 * (1 - math.tanh(1.0) ** 2), 2.0 * 2.0 * (1 - math.tanh(2.0) ** 2), 0.0]
    assert_equal(grads[:, 0], expected, "input grads")
    first = w.grad
    program.backward([1.0, 2.0, 0.0])
    assert w.grad == pytest.approx(2 * first, rel=1e-15)
    assert program.backward(1.0, input_grads=False) is None
    with pytest.raises(ValueError, match=r"node 'x' depends on inputs only.*input_grads=False"):
        program.grad(x)


def test_each_nodes_numbers_per_sample_are_there_on_request():
    x, w = Value(0.5, "x"), Value(2.0, "w")
    h = w * x
    out = h.tanh()
    program = compile(out, inputs=[x])
    batch = np.array([[0.5], [1.0], [-1.0]])
    program.forward(batch)
    program.backward()
    assert_equal(program.data(h), 2.0 * batch[:, 0], "data of h")
    assert_equal(program.data(w), [2.0, 2.0, 2.0], "data of w")
    per_sample = []
    for row in batch[:, 0]:
        x.data = row
        w.grad = 0.0
        (w * x).tanh().backward()
        per_sample.append(w.grad)
    assert_equal(program.grad(w), per_sample, "per-sample grads of w")
    assert_equal(program.grad(h), 1 - np.tanh(2.0 * batch[:, 0]) ** 2, "grads of h")
    assert_equal(program.values([h, out]), np.column_stack([2 * batch[:, 0], np.tanh(2 * batch[:, 0])]), "values")


def test_arrays_train_without_touching_the_values_until_written():
    x, w = Value(0.5, "x"), Value(2.0, "w")
    program = compile((w * x).tanh(), inputs=[x])
    arrays = program.arrays()
    program.forward([[1.0]], arrays)
    program.backward(1.0, arrays, input_grads=False)
    assert w.grad == 0.0 and arrays.grad[0] == pytest.approx(1 - math.tanh(2.0) ** 2)
    arrays.data -= arrays.grad
    assert w.data == 2.0
    arrays.write()
    assert w.data == pytest.approx(2.0 - (1 - math.tanh(2.0) ** 2)) and w.grad == arrays.grad[0]
    other = compile(w * x, inputs=[x])
    with pytest.raises(ValueError, match="expected the Parameters of this program"):
        other.forward([[1.0]], arrays)


def test_it_lists_and_draws_its_fused_steps_generically():
    x0, x1 = Value(0.5, "x0"), Value(1.0, "x1")
    w = [[Value(0.1 * (j + k), f"w{j}{k}") for k in range(2)] for j in range(16)]
    zs = [Value.dot(row, [x0, x1], Value(0.0, f"b{j}"), label=f"z{j}") for j, row in enumerate(w)]
    root = Value.sum([z.tanh() for z in zs])
    program = compile(root, inputs=[x0, x1])
    text = str(program)
    assert "16 dot nodes over 2 inputs, as one matrix product (16×2)" in text
    assert "v1 = θ[0:32] x + θ[32:48]" in text
    assert "from z0, z1, z2, …, z15" in text
    assert "from " + ", ".join(f"z{j}" for j in range(16)) in program.text(every_node=True)
    assert [step.kind for step in program.steps] == ["matrix product", "elementwise", "sum"]
    assert program.steps[0].nodes == tuple(zs)
    assert "-> s2" in program.draw().source
    assert repr(program) == "<compiled program of '#17': 2 inputs, 48 parameters, 3 fused steps>"


def test_importing_the_engine_imports_no_numpy_until_compile_is_asked_for():
    code = (
        "import sys, autograd_core; print('numpy' in sys.modules); autograd_core.compile; print('numpy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "True"]
