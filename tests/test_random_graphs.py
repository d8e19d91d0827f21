"""Random expression graphs: every gradient against central differences and HIPS autograd.

A program is a list of steps; each step applies an op to earlier nodes (so subexpressions are
shared) and mostly to the latest ones (so graphs get deep). The same program runs on four
backends: our Values, plain floats (for central differences), autograd.numpy, and PyTorch
when it is installed.
"""

import autograd
import numpy as np
import pytest
from hypothesis import assume, given, target

from autograd_core import Value, topological_order

from .oracles import assert_close_to_numeric, central_difference
from .programs import Autograd, Engine, Floats, Torch, depth, programs, run

try:
    import torch
except ImportError:  # PyTorch is an optional oracle
    torch = None


@pytest.mark.filterwarnings("ignore:overflow encountered in cosh")  # autograd's tanh' is 1/cosh**2: 0 there
@given(programs())
def test_random_graph_gradients_match_central_differences_and_autograd(case):
    xs, program = case
    leaves = [Value(x, f"x{i}") for i, x in enumerate(xs)]
    root = run(program, leaves, Engine)[-1]
    assume(isinstance(root, Value))  # a program may not reach its inputs at all
    target(float(depth(root)), label="graph depth")
    root.backward()
    ours = [leaf.grad for leaf in leaves]

    def f_floats(*inputs):
        return run(program, inputs, Floats)[-1]

    assert root.data == pytest.approx(f_floats(*xs), rel=1e-12, abs=1e-12)
    numeric = [central_difference(f_floats, xs, i) for i in range(len(xs))]
    assert_close_to_numeric(ours, numeric)

    def f_autograd(v):
        return run(program, [v[i] for i in range(len(xs))], Autograd)[-1]

    expected = autograd.grad(f_autograd)(np.array(xs, dtype=np.float64))
    scale = max(1.0, *map(abs, expected))
    assert ours == pytest.approx(list(expected), rel=1e-9, abs=1e-12 * scale)


@pytest.mark.skipif(torch is None, reason="PyTorch is not installed (an optional oracle)")
@given(programs())
def test_random_graph_gradients_match_pytorch(case):
    xs, program = case
    leaves = [Value(x) for x in xs]
    root = run(program, leaves, Engine)[-1]
    assume(isinstance(root, Value))
    root.backward()
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    out = run(program, ts, Torch)[-1]
    grads = torch.autograd.grad(out, ts, allow_unused=True)
    expected = [0.0 if g is None else g.item() for g in grads]
    scale = max(1.0, *map(abs, expected))
    assert [leaf.grad for leaf in leaves] == pytest.approx(expected, rel=1e-9, abs=1e-12 * scale)


def test_generated_graphs_get_deep():
    """The generator does produce the deep, shared graphs the property tests claim to cover."""
    deepest = 0
    shared = False

    @given(programs())
    def probe(case):
        nonlocal deepest, shared
        xs, program = case
        root = run(program, [Value(x) for x in xs], Engine)[-1]
        if isinstance(root, Value):
            deepest = max(deepest, depth(root))
            children = {}
            for n in topological_order(root):
                for p in n.parents:
                    children[id(p)] = children.get(id(p), 0) + 1
            shared = shared or max(children.values(), default=0) > 1

    probe()
    assert deepest >= 45
    assert shared
