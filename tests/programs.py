"""Random expression programs, run on several backends: the strategies the engine's tests share.

A program is a list of steps; each step applies an op to earlier nodes (so subexpressions are
shared) and mostly to the latest ones (so graphs get deep). ``run`` evaluates one on a backend:
``Engine`` (our Values), ``Floats`` (plain floats, for central differences), ``Autograd``
(autograd.numpy) or ``Torch`` (when PyTorch is installed).
"""

import math

import autograd.numpy as anp
from hypothesis import assume
from hypothesis import strategies as st

from autograd_core import Value, topological_order

try:
    import torch
except ImportError:  # PyTorch is an optional oracle
    torch = None

BINARY = ["add", "sub", "mul", "div", "pow_value"]
UNARY = [
    "neg",
    "tanh",
    "sigmoid",
    "exp",
    "log",
    "square",
    "cube",
    "sqrt",
    "rpow",
    "relu",
    "add_c",
    "rsub_c",
    "mul_c",
    "rdiv_c",
]
NARY = ["sum", "dot"]


class Floats:
    """Plain Python floats: the function that central differences see."""

    add = staticmethod(lambda a, b: a + b)
    sub = staticmethod(lambda a, b: a - b)
    mul = staticmethod(lambda a, b: a * b)
    div = staticmethod(lambda a, b: a / (b * b + 1.0))
    pow_value = staticmethod(lambda a, b: (a * a + 0.5) ** (b * 0.5))
    neg = staticmethod(lambda a: -a)
    tanh = staticmethod(math.tanh)
    sigmoid = staticmethod(lambda a: 1.0 / (1.0 + math.exp(-a)))
    exp = staticmethod(math.exp)
    log = staticmethod(lambda a: math.log(a * a + 0.5))
    square = staticmethod(lambda a: a**2)
    cube = staticmethod(lambda a: a**3)
    sqrt = staticmethod(lambda a: (a * a + 0.1) ** 0.5)
    rpow = staticmethod(lambda a: 2.0**a)
    relu = staticmethod(lambda a: max(a, 0.0))
    add_c = staticmethod(lambda a, c: a + c)
    rsub_c = staticmethod(lambda a, c: c - a)
    mul_c = staticmethod(lambda a, c: a * c)
    rdiv_c = staticmethod(lambda a, c: c / (a * a + 1.0))
    sum = staticmethod(lambda xs, c: sum(xs) + c)
    dot = staticmethod(lambda ws, xs, b: sum(w * x for w, x in zip(ws, xs)) + b)


class Engine(Floats):
    """Our Values, with the engine's own n-ary nodes."""

    tanh = staticmethod(lambda a: a.tanh())
    sigmoid = staticmethod(lambda a: a.sigmoid())
    exp = staticmethod(lambda a: a.exp())
    log = staticmethod(lambda a: (a * a + 0.5).log())
    relu = staticmethod(lambda a: a.relu())
    sum = staticmethod(lambda xs, c: Value.sum([*xs, c]))
    dot = staticmethod(lambda ws, xs, b: Value.dot(ws, xs, b))


class Autograd(Floats):
    tanh = staticmethod(anp.tanh)
    sigmoid = staticmethod(lambda a: 1.0 / (1.0 + anp.exp(-a)))
    exp = staticmethod(anp.exp)
    log = staticmethod(lambda a: anp.log(a * a + 0.5))
    relu = staticmethod(lambda a: anp.maximum(a, 0.0))


class Torch(Floats):
    tanh = staticmethod(lambda a: torch.tanh(a))
    sigmoid = staticmethod(lambda a: torch.sigmoid(a))
    exp = staticmethod(lambda a: torch.exp(a))
    log = staticmethod(lambda a: torch.log(a * a + 0.5))
    relu = staticmethod(lambda a: torch.relu(a))


def run(program, inputs, ops):
    """Evaluate a program; returns every node (inputs first)."""
    nodes = list(inputs)
    for op, args, c in program:
        xs = [nodes[i] for i in args]
        if op in BINARY:
            out = getattr(ops, op)(xs[0], xs[1])
        elif op in ("add_c", "rsub_c", "mul_c", "rdiv_c"):
            out = getattr(ops, op)(xs[0], c)
        elif op == "sum":
            out = ops.sum(xs, c)
        elif op == "dot":
            half = len(xs) // 2
            out = ops.dot(xs[:half], xs[half : 2 * half], xs[-1] if len(xs) % 2 else c)
        else:
            out = getattr(ops, op)(xs[0])
        nodes.append(out)
    return nodes


@st.composite
def programs(draw, max_steps=60):
    """A program whose every intermediate value stays in a tame range at the drawn inputs.

    Steps whose value would leave [-8, 8] are followed by a tanh (decided once, at the drawn
    inputs, so every backend runs the same program); ReLU inputs keep away from the kink.
    """
    n_inputs = draw(st.integers(1, 5))
    xs = draw(st.lists(st.floats(-1.5, 1.5), min_size=n_inputs, max_size=n_inputs))
    values = list(xs)
    program = []
    for _ in range(draw(st.integers(1, max_steps))):  # (plus the tanh steps the guard adds)
        # the first operand is one of the newest nodes (depth); the others come from anywhere (sharing)
        first = st.one_of(st.just(len(values) - 1), st.integers(max(0, len(values) - 3), len(values) - 1))
        anywhere = st.integers(0, len(values) - 1)
        op = draw(st.sampled_from(BINARY + UNARY + NARY))
        c = draw(st.floats(-2.0, 2.0))
        n_args = {"sum": draw(st.integers(1, 4)), "dot": draw(st.integers(2, 7))}.get(op, 2 if op in BINARY else 1)
        args = [draw(first)] + [draw(anywhere) for _ in range(n_args - 1)]
        if op == "exp" and abs(values[args[0]]) > 5:
            op = "tanh"
        if op == "rpow" and abs(values[args[0]]) > 8:
            op = "sigmoid"
        if op == "relu":
            assume(abs(values[args[0]]) > 1e-2)
        step = (op, args, c)
        value = run([step], values, Floats)[-1]
        program.append(step)
        values.append(value)
        if abs(value) > 8:
            program.append(("tanh", [len(values) - 1], 0.0))
            values.append(math.tanh(value))
    return xs, program


def depth(root: Value) -> int:
    level = {}
    for n in topological_order(root):
        level[id(n)] = 1 + max((level[id(p)] for p in n.parents), default=0)
    return level[id(root)]
