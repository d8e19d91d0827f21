"""Hostile and careless input (issue 13): every case gets a clean, short error, and nothing is lost.

The table below is the contract: an input, the error type it raises and a phrase of the message.
Then the command line (every subcommand over bad arguments: exit status 2, or 1 for a runtime
failure, one ``backprop ...error:`` line on stderr, never a traceback), state after a failed
backward(), the matrix view stopping like the scalar engine, and a fuzz of the expression parser
under a memory limit.
"""

import copy
import math
import os
import pickle
import subprocess
import sys
import textwrap
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest

import nn
from autograd_core import Stepper, Value, draw, from_micrograd, save_drawing, topological_order, zero_grad
from autograd_core.dot import render_svg
from autograd_core.expr import ExpressionError, parse
from nn.cli import main
from nn.compare import compare_gradients
from nn.data import moons
from nn.losses import l2_penalty
from nn.matrix import Conventions, MatrixMLP

NAN, INF = math.nan, math.inf
LONG = "a" * 100_000


def hand_set(x: float, label: str = "") -> Value:
    """A leaf whose .data was set by hand to x (the constructor would refuse it)."""
    v = Value(1.0, label=label)
    v.data = x
    return v


def moons_model(engine: str = "scalar"):
    X, y = moons(n=40, seed=0)
    model = nn.MLP(2, [8, 1], activation="relu", seed=0)
    return (MatrixMLP.from_mlp(model, loss="mse") if engine == "matrix" else model), X, y


def small_batch():
    model = nn.MLP(3, [4, 2], seed=1)
    X = np.random.default_rng(0).normal(size=(5, 3))
    return model, X, np.array([0, 1, 1, 0, 1])


CASES = [
    # ---- the scalar engine: a .data set to nan or inf by hand is caught where it enters --------
    *[
        (f"{op}({x})", lambda op=op, x=x: getattr(hand_set(x, "a"), op)(), OverflowError, "not finite")
        for op in ("exp", "log", "tanh", "sigmoid", "relu", "__neg__")
        for x in (NAN, INF, -INF)
        if not (op == "log" and x == -INF)
    ],
    ("log(-inf)", lambda: hand_set(-INF).log(), ValueError, "expected a positive operand"),
    ("nan + x", lambda: hand_set(NAN) + Value(1.0), OverflowError, "not finite"),
    ("x * nan", lambda: Value(0.0) * hand_set(NAN), OverflowError, "not finite"),
    ("x / inf", lambda: Value(1.0) / hand_set(INF), OverflowError, "not finite"),
    ("1 / inf", lambda: 1.0 / hand_set(INF), OverflowError, "not finite"),
    ("2 ** -inf", lambda: 2.0 ** hand_set(-INF), OverflowError, "not finite"),
    ("nan ** 0", lambda: hand_set(NAN) ** 0, OverflowError, "not finite"),
    ("x ** nan", lambda: Value(2.0) ** hand_set(NAN), OverflowError, "not finite"),
    ("dot with nan", lambda: Value.dot([hand_set(NAN)], [0.0]), OverflowError, "not finite"),
    ("sum with inf", lambda: Value.sum([hand_set(INF), hand_set(-INF)]), OverflowError, "not finite"),
    # ---- short, precise messages ------------------------------------------------------------------
    ("zero_grad(3)", lambda: zero_grad(3), TypeError, "zero_grad: expected a Value"),
    ("0-d array + Value", lambda: np.array(3.0) + Value(1.0), TypeError, "use .item()"),
    ("Value * 0-d array", lambda: Value(1.0) * np.array(3.0), TypeError, "use .item()"),
    ("Value(0-d array)", lambda: Value(np.array(3.0)), TypeError, "use .item()"),
    ("a huge integer", lambda: parse("1" + "0" * 400, {}), ExpressionError, "too large for a float"),
    ("10**400 as digits", lambda: parse(str(10**400), {}), ExpressionError, "too large for a float"),
    ("1e400", lambda: parse("1e400", {}), ExpressionError, "finite"),
    ("a long expression", lambda: parse(LONG, {}), ExpressionError, "100,000 characters long"),
    ("a long name", lambda: parse("a", {LONG: 1.0}), ExpressionError, "no value for the name"),
    ("a long bad name", lambda: parse("a", {"a": 1.0, "-" + LONG: 1.0}), ExpressionError, "cannot be a name"),
    ("a long unused name", lambda: parse("a", {"a": 1.0, LONG: 1.0}), ExpressionError, "does not use"),
    ("leading spaces", lambda: parse("   1 +* 2", {}), ExpressionError, "column 7:"),
    ("MLP(nouts=[0]*100000)", lambda: nn.MLP(2, [0] * 100_000), ValueError, "expects a positive int"),
    ("fit(optimizer=long)", lambda: nn.fit(*moons_model(), optimizer=LONG, progress=False), ValueError, "optimizer:"),
    ("Conventions(loss=long)", lambda: Conventions(loss=LONG), ValueError, "loss: expected one of"),
    # ---- L2 penalties: one rule everywhere ----------------------------------------------------
    ("fit(l2=-1)", lambda: nn.fit(*moons_model(), l2=-1, epochs=1, progress=False), ValueError, "l2: expected"),
    ("Conventions(l2=-1)", lambda: Conventions(l2=-1), ValueError, "l2: expected"),
    ("Conventions(l2=nan)", lambda: Conventions(l2=NAN), ValueError, "l2: expected"),
    ("l2_penalty(-1)", lambda: l2_penalty([Value(1.0)], -1), ValueError, "l2: expected"),
    ("l2_penalty(True)", lambda: l2_penalty([Value(1.0)], True), TypeError, "l2: expected"),
    # ---- seeds ----------------------------------------------------------------------------------
    ("fit(seed=-1)", lambda: nn.fit(*moons_model(), seed=-1, epochs=1, progress=False), ValueError, "seed:"),
    ("MLP(seed=-1)", lambda: nn.MLP(2, [1], seed=-1), ValueError, "seed:"),
    ("compare(seed=-1)", lambda: compare_gradients(*small_batch(), loss="cross_entropy", seed=-1), ValueError, "seed:"),
    # ---- compare_gradients checks its arguments ---------------------------------------------
    *[
        (
            f"numeric={n!r}",
            lambda n=n: compare_gradients(*small_batch(), loss="cross_entropy", numeric=n),
            err,
            "numeric:",
        )
        for n, err in ((-5, ValueError), (2.5, TypeError), ("x", TypeError))
    ],
    (
        "matrix= with another loss",
        lambda: compare_gradients(
            *small_batch(), loss="cross_entropy", matrix=MatrixMLP.from_mlp(small_batch()[0], loss="mse")
        ),
        ValueError,
        "loss='mse'",
    ),
]


# ---- issue 21: the engine, its files and its drawings ------------------------------------------------
X = Value(2.0, label="x")
HUGE = 10**400
"""An int too large for a float: float(HUGE) raises OverflowError."""
MB = "a" * 2**20


class Micro:
    """A node in micrograd's shape (data, _prev, _op, label), as from_micrograd reads it."""

    def __init__(self, data: object, prev: tuple = (), op: str = "", label: str = "") -> None:
        self.data, self._prev, self._op, self.label = data, set(prev), op, label


def chain(n: int, label: str = "x") -> Value:
    v = Value(1.0, label=label)
    for _ in range(n):
        v = v * 1.0001
    return v


CASES += [
    # A Value never turns into a plain number (a constant cut from the graph, a silent wrong gradient).
    *[
        (name, make, TypeError, "or v.data for the number")
        for name, make in [
            ("x * math.exp(x)", lambda: X * math.exp(X)),
            ("math.sqrt(x)", lambda: math.sqrt(X)),
            ("math.log(x)", lambda: math.log(X)),
            ("math.isclose(x, 2)", lambda: math.isclose(X, 2.0)),
            ("math.floor(x)", lambda: math.floor(X)),
            ("math.ceil(x)", lambda: math.ceil(X)),
            ("math.trunc(x)", lambda: math.trunc(X)),
            ("float(x)", lambda: float(X)),
            ("int(x)", lambda: int(X)),
            ("round(x)", lambda: round(X)),
            ("round(x, 2)", lambda: round(X, 2)),
            ("complex(x)", lambda: complex(X)),
            ("np.float64(x)", lambda: np.float64(X)),
            ("np.array([x], float)", lambda: np.array([X], dtype=float)),
            ("'%f' % x", lambda: "%f" % X),  # noqa: UP031 (the old way to format a float is a door too)
        ]
    ],
    ("bool(x)", lambda: bool(Value(0.0)), TypeError, "no truth value"),
    ("if x: ...", lambda: 1 if Value(0.0) else 0, TypeError, "e.g. if v.data > 0"),
    ("x == 2.0", lambda: X == 2.0, TypeError, "compare the numbers"),
    ("2 == x", lambda: 2 == X, TypeError, "compare the numbers"),
    ("x != 0", lambda: X != 0, TypeError, "compare the numbers"),
    ("x < 3", lambda: X < 3, TypeError, "compare the numbers"),
    ("0 >= x", lambda: 0 >= X, TypeError, "compare the numbers"),
    ("max(x, Value(3))", lambda: max(X, Value(3.0)), TypeError, "compare the numbers"),
    # An int too large for a float: the engine's own wording, not a bare "int too large to convert".
    ("Value(10**400)", lambda: Value(HUGE), ValueError, "Value: expected a finite number"),
    ("x + 10**400", lambda: X + HUGE, ValueError, "+: expected a finite number"),
    ("10**400 - x", lambda: HUGE - X, ValueError, "-: expected a finite number"),
    ("x * -10**400", lambda: X * -HUGE, ValueError, "*: expected a finite number"),
    ("x / 10**400", lambda: X / HUGE, ValueError, "/: expected a finite number"),
    ("x ** 10**400", lambda: X**HUGE, ValueError, "**: expected a finite number"),
    ("10**400 ** x", lambda: HUGE**X, ValueError, "**: expected a finite number"),
    ("Value.dot([x], [10**400])", lambda: Value.dot([X], [HUGE]), ValueError, "expected a finite number"),
    ("Value.sum([x, 10**400])", lambda: Value.sum([X, HUGE]), ValueError, "expected a finite number"),
    ("x.backward(10**400)", lambda: (X * 1.0).backward(HUGE), ValueError, "expected a finite number"),
    ("local_grads=[10**400]", lambda: Value(1.0, parents=[X], local_grads=[HUGE]), ValueError, "local_grads"),
    ("Value(10**5000)", lambda: Value(10**5000), ValueError, "an int of about 5,001 digits"),
    # from_micrograd: every refusal names the node, shortened
    # (a cycle in _prev: test_from_micrograd_stops_at_a_cycle, below, in a process with limits)
    (
        "micrograd: array data",
        lambda: from_micrograd(Micro(np.ones(3), label="a")),
        TypeError,
        "from_micrograd: the data of Micro(data=array([1., 1., 1.]), label='a', _op='')",
    ),
    (
        "micrograd: array data of a node",
        lambda: from_micrograd(Micro(np.ones(3), (Micro(1.0), Micro(2.0)), "*")),
        TypeError,
        "use .item()",
    ),
    (
        "micrograd: 10**400 data",
        lambda: from_micrograd(Micro(HUGE, label="h")),
        ValueError,
        "the data of Micro(data=an int of 401 digits, label='h', _op=''): expected a finite number, got an int of 401",
    ),
    (
        "micrograd: inf data",
        lambda: from_micrograd(Micro(2.0, (Micro(math.inf),), "exp")),
        ValueError,
        "the data of Micro(data=inf, _op=''): expected a finite number",
    ),
    (
        "micrograd: **1e400",
        lambda: from_micrograd(Micro(4.0, (Micro(2.0),), "**1e400")),
        ValueError,
        "op '**1e400': expected a finite exponent: Micro(data=4.0, _op='**1e400')",
    ),
    # drawings: every message quotes a bounded excerpt, and says truly what makes a layout costly
    ("draw(a 1 MB str)", lambda: draw(MB), TypeError, "draw: expected a Value as the root, got str: 'aaa"),
    ("Stepper(a 1 MB str)", lambda: Stepper(MB), TypeError, "Stepper: expected a Value as the root"),
    ("draw(rankdir=a 1 MB str)", lambda: draw(X, rankdir=MB), ValueError, "rankdir must be one of"),
    (
        "draw(names=) giving an int",
        lambda: draw(Value(1.0, label=MB) * 2, names=lambda node: 3),
        TypeError,
        "names: expected a str or None for Value(data=",
    ),
    ("draw(highlight=a 1 MB str)", lambda: draw(X * 2, highlight=[MB]), ValueError, "highlight: expected nodes"),
    (
        "draw(highlight=a node of another graph)",
        lambda: draw(X * 2, highlight=[Value(1.0, label=MB)]),
        ValueError,
        "is not a node of this graph",
    ),
    (
        "draw a long chain",
        lambda: draw(chain(5000, label=MB), max_nodes=10_000),
        ValueError,
        "(layout cost 10,001, more than 6,000: 5,001 nodes and 5,000 edges, each with a number)",
    ),
    (
        "step through a long chain",
        lambda: Stepper(chain(5000, label=MB), max_nodes=10_000),
        ValueError,
        "5,001 nodes and 5,000 edges, each with a number); Graphviz could take minutes. Draw a smaller graph, or",
    ),
    (
        "micrograd: a long label and op",
        lambda: from_micrograd(Micro(1.0, (Micro(1.0, label=LONG),), "op" + LONG)),
        ValueError,
        "unknown op 'opaaaaaaaa",
    ),
]


@pytest.mark.parametrize("make, error, phrase", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_case_raises_a_clean_error(make, error, phrase):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a numpy or syntax warning is a failure too
        with pytest.raises(error) as info:
            make()
    message = str(info.value)
    assert phrase in message
    assert len(message) < 400, message  # a bounded excerpt of the input, never all of it
    assert "\n" not in message


CYCLES = textwrap.dedent(
    """
    import math, resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))  # 1 GiB of address space
    from autograd_core import from_micrograd

    class Micro:
        def __init__(self, data, prev=(), op="", label=""):
            self.data, self._prev, self._op, self.label = data, set(prev), op, label

    p = Micro(1.0, label="p")
    q = Micro(math.e, (p,), "exp", label="q")
    p._prev, p._op = {q}, "exp"  # p = exp(q), q = exp(p)
    s = Micro(1.0, label="s")
    s._prev, s._op = {s}, "exp"  # s = exp(s)
    r = Micro(2.0, (Micro(1.0, label="one"), q), "+")  # a cycle below a sound node
    for root in (q, s, r):
        try:
            from_micrograd(root)
        except ValueError as e:
            print(e)
    """
)


def test_from_micrograd_stops_at_a_cycle():
    """A cycle in _prev (set by hand) is refused when the walk comes back to a node: bounded time
    and memory (it looped forever, its stack growing, before)."""
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", CYCLES],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
        timeout=60,
    )
    lines = done.stdout.splitlines()
    assert done.returncode == 0 and len(lines) == 3, done.stdout[-2000:] + done.stderr[-2000:]
    for line, name in zip(lines, ("q", "s", "q")):
        assert line.startswith("from_micrograd: _prev has a cycle: following the operands of"), line
        assert f"label='{name}'" in line and "leads back to it" in line and len(line) < 400, line


@pytest.mark.slow
@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_a_long_chain_pickles_and_deepcopies_with_its_leaves(how):
    """Pickle and deepcopy recursed through parents (RecursionError at 10^5 links); now they take the
    graph apart in topological order. Each node is copied once: the copy of a leaf listed beside the
    graph is the leaf of the copied graph, so its gradient lands where it is read."""
    x, b = Value(2.0, label="x"), Value(0.5, label="b")
    out = chain(100_000) * x + b
    out.backward()
    copied = pickle.loads(pickle.dumps([x, b, out])) if how == "pickle" else copy.deepcopy([x, b, out])
    x2, b2, out2 = copied
    assert (x2.data, x2.label, out2.data, out2.op, x2.grad) == (x.data, x.label, out.data, out.op, x.grad)
    assert out2.parents[0].parents[1] is x2 and out2.parents[1] is b2 and x2 is not x
    zero_grad(out2)
    out2.backward()
    assert (x2.grad, b2.grad) == (x.grad, b.grad)
    assert len(topological_order(out2)) == len(topological_order(out))


def test_copy_copy_is_a_new_node_with_the_same_edges():
    x = Value(2.0, label="x")
    y = x * 3
    z = copy.copy(y)
    assert z is not y and z.parents is y.parents and (z.data, z.op, z.const, z.label) == (6.0, "*", 3.0, "")


def test_a_dot_node_keeps_its_terms_through_every_copy():
    x, w = Value(2.0, label="x"), Value(3.0, label="w")
    z = Value.dot([w, 2.0], [x, x], bias=1.0)
    for copied in (copy.copy(z), copy.deepcopy(z), pickle.loads(pickle.dumps(z))):
        assert copied.terms == z.terms and (copied.data, copied.const, copied.local_grads) == (11.0, 1.0, z.local_grads)
    assert not hasattr(copy.deepcopy(x * w), "terms")


@pytest.mark.parametrize("size", [16_384, 100_000])
def test_a_long_label_is_cut_in_drawings_and_still_renders(size, needs_dot):
    """Graphviz refused a label of 16 KB or more (GraphvizError): a drawing shows MAX_TEXT characters."""
    x = Value(1.0, label="x" * size)
    out = (x * 2).tanh()
    out.label = "é" * size
    svg = render_svg(draw(out))
    assert "x" * 79 + "…" in svg and "x" * 80 not in svg and "é" * 79 + "…" in svg
    assert "x" * 79 + "…" in Stepper(out).html and "x" * 80 not in Stepper(out).html


def test_a_nul_in_a_group_title_is_shown_escaped(needs_dot):
    """A NUL ended dot's quoted string: a syntax error."""
    svg = render_svg(draw(X * 2, group=lambda node: ("layer\x00 1", "tab\there")))
    assert "layer\\x00 1" in svg and "tab\\there" in svg


def test_a_lone_surrogate_in_a_label_or_title_saves_and_shows(tmp_path, needs_dot):
    """A lone surrogate cannot be encoded as UTF-8: save and Jupyter's display raised UnicodeEncodeError."""
    x = Value(1.0, label="x\ud800")
    out = x * 2
    drawing = draw(out, group=lambda node: ("title \udfff",))
    for name in ("d.svg", "d.dot"):
        assert "\\ud800" in save_drawing(drawing, tmp_path / name).read_text(encoding="utf-8")
    assert "\\udfff" in drawing._repr_mimebundle_()["text/html"].encode("utf-8").decode()
    stepper = Stepper(out, title="steps \ud800", group=lambda node: ("title \udfff",))
    page = stepper.save(tmp_path / "s.html").read_text(encoding="utf-8")
    assert "steps \\ud800" in page and "title \\udfff" in page
    assert stepper._repr_html_().encode("utf-8")


def test_a_second_backward_on_a_root_being_backpropagated_is_refused(monkeypatch):
    """As a second thread finds it while the first runs backward() on the same root: refused before
    it touches a grad (the first thread's pass is not disturbed)."""
    from autograd_core import graph

    x = Value(2.0, label="x")
    out = x * x
    out.label = "L" * 1000
    monkeypatch.setitem(graph._RUNNING, id(out), object())  # the first thread's pass, under way
    with pytest.raises(RuntimeError, match="another thread is running backward") as info:
        out.backward()
    assert len(str(info.value)) < 400 and (x.grad, out.grad) == (0.0, 0.0)
    monkeypatch.delitem(graph._RUNNING, id(out))
    out.backward()
    assert x.grad == 4.0 and graph._RUNNING == {}


def test_two_threads_backpropagating_one_graph_never_get_wrong_grads_silently():
    """Two threads calling backward() on one graph got grads off by 95-395%. Now, however the threads
    interleave, each call either runs alone (the leaf gets 1 per call) or is refused."""
    x = Value(1.0, label="x")
    out = x
    for _ in range(200_000):
        out = out * 1.0  # d(out)/dx = 1 exactly: each whole backward() adds exactly 1 to x.grad

    def run(start: threading.Barrier, refused: list[RuntimeError]) -> None:
        start.wait()
        try:
            out.backward()
        except RuntimeError as e:
            refused.append(e)

    for _ in range(3):
        zero_grad(out)
        start, refused = threading.Barrier(2), []
        threads = [threading.Thread(target=run, args=(start, refused)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert x.grad == 2 - len(refused), (x.grad, refused)


def test_value_sum_of_nothing_is_a_float():
    out = Value.sum([])
    assert out.data == 0.0 and type(out.data) is float


def test_an_overflow_in_a_wide_node_names_at_most_four_operands():
    weights = [Value(1e300, label=f"w{k}") for k in range(500)]
    with pytest.raises(OverflowError) as info:
        Value.dot(weights, [1e10] * 500)
    message = str(info.value)
    assert "w3" in message and "w4'" not in message and "largest of its 500 operands" in message
    assert len(message) < 300


@pytest.mark.parametrize("text", ["1if 1else 2", "1or 2", "0x1for x in y", "'\\d'", "1 is 1", "(1)(2)"])
def test_parsing_leaks_no_syntax_warning(text):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ExpressionError):
            parse(text, {})
    assert [str(w.message) for w in caught] == []


def test_parse_error_columns_count_leading_whitespace():
    for text in ("1 +* 2", "  1 +* 2", "\t1 +* 2"):
        with pytest.raises(ExpressionError) as info:
            parse(text, {})
        lead = len(text) - len(text.lstrip())
        assert info.value.column == 4 + lead
        assert text[info.value.column - 1] == "*"


# ---- state stays consistent after a failed backward() -----------------------------------------------
def overflowing_graph():
    """a*1e-300, then log (local derivative 1e308), then * 1e10: the gradient overflows halfway."""
    a, b = Value(1e-8, label="a"), Value(2.0, label="b")
    ok = a * b
    bad = (a * 1e-300).log() * 1e10
    return a, b, ok, bad


def test_a_failed_backward_leaves_every_grad_as_it_was():
    a, b, ok, bad = overflowing_graph()
    ok.backward()
    before = [(n, n.grad) for n in (a, b, ok)]
    inner = bad.parents[0]
    inner.grad = 7.0  # a non-leaf grad from an earlier pass
    with pytest.raises(OverflowError, match="overflowed"):
        bad.backward()
    assert [(n, n.grad) for n, _ in before] == before
    assert inner.grad == 7.0
    ok.backward()  # the next ordinary backward() works, and accumulates as usual
    assert (a.grad, b.grad) == (4.0, 2e-8)


def test_a_failed_backward_in_a_loop_can_be_retried():
    x = Value(1e-300, label="x")
    out = x.log() * 1e10
    for _ in range(3):
        with pytest.raises(OverflowError):
            out.backward()
        assert x.grad == 0.0


# ---- the matrix view stops like the scalar engine ---------------------------------------------------
@pytest.mark.parametrize("engine", ["scalar", "matrix"])
def test_a_diverging_fit_keeps_its_history_and_the_last_finite_model(engine):
    model, X, y = moons_model(engine)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = nn.fit(model, X, y, loss="mse", optimizer="sgd", lr=1e8, epochs=200, progress=False)
    assert [w.category for w in caught] == [RuntimeWarning]  # one warning, and none from numpy
    assert "fit: training diverged at epoch" in str(caught[0].message)
    assert 0 < len(history) < 200 and "overflow" in history.diverged and len(history.diverged) < 400
    assert repr(history).endswith("; diverged)") and all(math.isfinite(x) for x in history.loss)
    outputs = nn.predict(model, X)  # the parameters are back to the last finite ones: the model still works
    assert np.isfinite(outputs).all()
    again = nn.fit(model, X, y, loss="mse", optimizer="sgd", lr=1e-30, epochs=2, progress=False)
    assert len(again) == 2 and again.diverged is None


@pytest.mark.parametrize("engine", ["scalar", "matrix"])
@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_a_diverging_fit_puts_the_optimizers_state_back_with_the_parameters(engine, kind):
    def make(params):
        return nn.optim.SGD(params, lr=0.1, momentum=0.9) if kind == "sgd" else nn.optim.Adam(params, lr=0.1)

    def jump(k):  # three ordinary steps, then one that sends the parameters out of range
        return 0.05 if k < 3 else 1e300

    model, X, y = moons_model(engine)
    opt = make(model.parameters())
    with pytest.warns(RuntimeWarning, match="training diverged at epoch 5, step 5"):
        history = nn.fit(model, X, y, loss="mse", optimizer=opt, lr=jump, epochs=10, progress=False)
    assert len(history) == 4  # the fourth step's loss was finite; the fifth forward pass overflowed
    reference, X, y = moons_model(engine)
    ref_opt = make(reference.parameters())
    nn.fit(reference, X, y, loss="mse", optimizer=ref_opt, lr=jump, epochs=3, progress=False)
    for mine, theirs in zip(model.parameters(), reference.parameters()):  # three steps kept, not four
        np.testing.assert_array_equal(mine.data, theirs.data)
    state, ref_state = opt.state_dict(), ref_opt.state_dict()
    assert state.pop("lr") == 1e300 and ref_state.pop("lr") == 0.05  # the schedule's rate stays as it was set
    assert state.keys() == ref_state.keys() and len(state) >= 1
    for name in state:  # momentum, or Adam's moments and step count: three steps' worth
        if name == "t":
            assert state[name] == ref_state[name] == 3
        else:
            for mine, theirs in zip(state[name], ref_state[name], strict=True):
                np.testing.assert_array_equal(mine, theirs)
                assert np.all(np.asarray(mine) != 0.0)  # a state the steps really changed


class CutInHalf(nn.optim.SGD):
    """An optimizer stopped by Ctrl-C halfway through its third step."""

    def step(self):
        self.steps = getattr(self, "steps", 0) + 1
        if self.steps == 3:
            self.params[0].data += 1.0
            raise KeyboardInterrupt
        super().step()


@pytest.mark.parametrize("engine", ["scalar", "matrix"])
def test_ctrl_c_in_fit_returns_the_history_so_far_and_undoes_a_half_step(engine):
    model, X, y = moons_model(engine)
    params = model.parameters()
    opt = CutInHalf(params, lr=0.1)
    with pytest.warns(UserWarning, match="fit: interrupted in epoch 3"):
        history = nn.fit(model, X, y, loss="mse", optimizer=opt, epochs=10, progress=False)
    assert len(history) == 2 and history.interrupted and not history.diverged
    reference, X, y = moons_model(engine)
    nn.fit(reference, X, y, loss="mse", optimizer="sgd", lr=0.1, epochs=2, progress=False)
    for mine, theirs in zip(params, reference.parameters()):  # two whole steps, and not the third half
        np.testing.assert_array_equal(mine.data, theirs.data)


def test_the_matrix_view_names_the_layer_and_quantity():
    mm = MatrixMLP([np.full((2, 2), 1e200), np.full((1, 2), 1e200)], None, ["relu", "linear"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(OverflowError, match=r"z\^2 overflowed the float range in the forward pass"):
            mm.forward(np.ones((2, 3)))
        mm = MatrixMLP([np.full((2, 2), 8e307), np.full((1, 2), 1e-300)], None, ["relu", "linear"])
        mm.forward(np.ones((2, 3)))  # z^1 = 1.6e308 and z^2 = 3.2e8 are finite; δ^2 a^1 is not
        with pytest.raises(OverflowError, match=r"∂C/∂W\^2 overflowed the float range in the backward pass"):
            mm.backward(np.zeros((1, 3)))


def test_the_matrix_view_names_a_weight_set_to_nan():
    mm = MatrixMLP([np.ones((2, 2)), np.ones((1, 2))], None, ["tanh", "linear"])
    mm.weights[1][0, 0] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(OverflowError, match=r"W\^2 is not finite"):
            mm.forward(np.ones((2, 3)))


class InfDelta(MatrixMLP):
    """A matrix view whose δ^L overflows: the backward pass stops there, naming it."""

    def output_delta(self, Y):
        D = super().output_delta(Y)
        D[0, 0] = np.inf
        return D


class NanGradient(MatrixMLP):
    """A matrix view that hands back a nan in ∂C/∂W^1 (its own backward, unchecked)."""

    def backward(self, Y):
        g = super().backward(Y)
        g.dW[0] = g.dW[0].copy()
        g.dW[0][0, 0] = np.nan
        return g


def test_compare_stops_at_an_overflow_in_the_matrix_view():
    model, X, y = small_batch()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(OverflowError, match=r"δ\^2 overflowed the float range in the backward pass"):
            compare_gradients(model, X, y, loss="cross_entropy", matrix=InfDelta.from_mlp(model, loss="cross_entropy"))


def test_compare_never_passes_beside_a_nan():
    model, X, y = small_batch()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mm = NanGradient.from_mlp(model, loss="cross_entropy")
        report = compare_gradients(model, X, y, loss="cross_entropy", matrix=mm, numeric=False, torch=False)
    assert not report.ok
    text = str(report)
    assert "PASS: the views agree" not in text and "not finite (nan or inf)" in text
    row = next(r for r in report.rows if r.quantity == "dW" and r.layer == 1)
    assert not row.close and row.note == "not finite (nan or inf)"


# ---- the command line -------------------------------------------------------------------------------
BAD_COMMANDS = [
    (["steps", "log(a*1e-300)*1e10", "--set", "a=1e-8", "-o", "{tmp}/s.html"], 2, "overflowed"),
    (["graph", "log(a*1e-300)*1e10", "--set", "a=1e-8", "-o", "{tmp}/g.dot"], 2, "overflowed"),
    (["graph", LONG, "-o", "{tmp}/g.dot"], 2, "100,000 characters"),
    (["steps", "x", "--set", "x=" + "9" * 5000, "-o", "{tmp}/s.html"], 2, "expected a finite number"),
    (["graph", "a+", "--set", "a=1", "-o", "{tmp}/g.dot"], 2, "invalid expression"),
    (["graph", "a", "--set", "a=1", "-o", "{tmp}/g.jpg"], 2, "--output"),
    (["steps", "a", "--set", "a=1", "-o", "{tmp}/missing/s.html"], 1, "does not exist"),
    (["check", "--seed", "-1"], 2, "--seed"),
    (["check", "--numeric", "-5"], 2, "--numeric"),
    (["check", "--numeric", "2.5"], 2, "--numeric"),
    (["check", "--layers", LONG], 2, "--layers"),
    (["train", "--seed", "-1"], 2, "--seed"),
    (["train", "--dataset", "digits", "--seed", "-1"], 2, "--seed"),
    (["train", "--l2", "-1"], 2, "--l2"),
    (["train", "--lr", LONG], 2, "--lr"),
    (["train", "--save", "{tmp}/missing/model.npz"], 1, "--save: the folder"),
    (["train", "--plot", "{tmp}/missing/plot.png"], 1, "--plot: the folder"),
    (["train", "--save", "{tmp}"], 2, "--save: expected a file name ending in .npz or .json"),
    (["train", "--save", "{tmp}/x.npz/"], 2, "--save: expected a file name ending in .npz or .json"),
    (["train", "--save", "{tmp}/model.pkl"], 2, "--save"),
    (["train", "--dataset", "spiral", "--loss", "hinge"], 2, "--loss hinge"),
    (["train", "--epochs", "30", "--lr", "1e12", "--optimizer", "sgd", "--engine", "matrix"], 1, "overflow"),
    (["train", "--epochs", "30", "--lr", "1e12", "--optimizer", "sgd"], 1, "overflow"),
    (["demo", "-o", "{tmp}/a-file"], 1, "cannot write"),
    (["train", "--noise", "1e308"], 2, "noise: 1e+308 sends points out of the float range"),
    (["train", "--noise", "1e308", "--dataset", "spiral"], 2, "noise: 1e+308 sends points out of the float range"),
    (["check", "--backprop", LONG], 2, "--backprop: expected FILE.py:FUNCTION"),
    (["check", "--backprop", "{tmp}/bp.py:" + LONG], 2, "has no"),
    (["check", "--backprop", "{tmp}/bp.py:divide", "--no-torch"], 1, "your code raised ZeroDivisionError"),
]


@pytest.mark.parametrize("argv, status, phrase", BAD_COMMANDS, ids=[" ".join(a)[:50] for a, _, _ in BAD_COMMANDS])
def test_every_subcommand_refuses_bad_arguments_in_one_line(capsys, tmp_path, argv, status, phrase):
    (tmp_path / "a-file").write_text("")
    (tmp_path / "bp.py").write_text("def divide(W, b, X, Y):\n    return 1 / 0\n")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = main([*argv, "--no-progress"] if argv[0] in ("train", "demo") else argv)
    _, err = capsys.readouterr()
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    errors = [line for line in lines if "error:" in line]
    assert len(errors) == 1 and errors[0] == lines[-1] and errors[0].startswith("backprop"), err
    assert not lines[0].startswith("usage") or status == 2
    assert (got, phrase in errors[0]) == (status, True), err
    assert len(errors[0]) < 400, errors[0]
    assert {p.name for p in tmp_path.iterdir()} - {"__pycache__"} == {"a-file", "bp.py"}  # nothing written


def test_train_with_cross_entropy_on_two_classes_uses_two_output_units(capsys):
    status = main(["train", "--loss", "cross_entropy", "--epochs", "3", "--samples", "20", "--no-progress"])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "→ 2 linear) on moons" in out and "cross_entropy" in out


def test_an_unexpected_library_error_becomes_one_line(capsys, monkeypatch):
    import nn.cli

    def broken(args):
        raise ZeroDivisionError("something deep")

    monkeypatch.setattr(nn.cli, "check", broken)  # build_parser binds the module's function
    assert main(["check"]) == 1
    assert capsys.readouterr().err == "backprop: error: something deep\n"


# ---- a learner's code, careless or hostile, checked from the shell (issue 21) -----------------------
LEARNER = '''
import sys

import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def backprop(weights, biases, X, Y):
    """Correct for --preset nielsen: columns, sigmoid, ½ quadratic cost averaged over the batch."""
    a, As = X, [X]
    for W, b in zip(weights, biases):
        a = sigmoid(W @ a + b[:, None])
        As.append(a)
    D = (As[-1] - Y) * As[-1] * (1 - As[-1]) / X.shape[1]
    dW, db = [None] * len(weights), [None] * len(weights)
    for l in reversed(range(len(weights))):
        dW[l], db[l] = D @ As[l].T, D.sum(axis=1)
        if l:
            D = (weights[l].T @ D) * As[l] * (1 - As[l])
    return dW, db


def complex_parts(weights, biases, X, Y):
    dW, db = backprop(weights, biases, X, Y)
    return [d + 1000j for d in dW], [d + 1000j for d in db]


def exits(weights, biases, X, Y):
    sys.exit(0)


def interrupted(weights, biases, X, Y):
    raise KeyboardInterrupt


def never_returns(weights, biases, X, Y):
    while True:
        try:
            np.zeros(3).sum()
        except Exception:
            pass


def shapes(weights, biases, X, Y):
    return [weights[0] @ weights[0]], biases


def in_float32(weights, biases, X, Y):
    return backprop([W.astype(np.float32) for W in weights], [b.astype(np.float32) for b in biases],
                    X.astype(np.float32), Y.astype(np.float32))
'''


def line_of(text, source=LEARNER):
    """The line number of ``text`` in the learner's file."""
    return next(i for i, line in enumerate(source.splitlines(), 1) if text in line)


LEARNER_COMMANDS = [
    # argv after `check --preset nielsen --no-torch --backprop FILE:`, status, what stdout or stderr says
    (["complex_parts"], 1, "out", "∂C/∂w^3: complex numbers (complex128); expected real ones"),
    (["exits"], 1, "err", f"--backprop: your code exited (sys.exit(0)) at {{file}}:{line_of('sys.exit(0)')}"),
    (["interrupted"], 130, "err", f"interrupted in your code at {{file}}:{line_of('raise KeyboardInterrupt')}"),
    (["never_returns", "--timeout", "0.5"], 1, "err", "--backprop: your code did not return within 0.5 s at {file}:"),
    (["shapes"], 1, "err", "--backprop: your code raised ValueError: matmul: Input operand 1 has a mismatch"),
]


@pytest.mark.parametrize("argv, status, stream, phrase", LEARNER_COMMANDS, ids=[a[0] for a, *_ in LEARNER_COMMANDS])
def test_the_learners_code_cannot_fake_a_pass_or_hang_the_command(capsys, tmp_path, argv, status, stream, phrase):
    file = tmp_path / "mine.py"
    file.write_text(LEARNER)
    spec = f"{file}:{argv[0]}"
    got = main(["check", "--preset", "nielsen", "--no-torch", "--backprop", spec, *argv[1:]])
    out, err = capsys.readouterr()
    assert got == status, out + err
    assert phrase.format(file=file) in {"out": out, "err": err}[stream], out + err
    assert "Traceback" not in out + err
    if stream == "err":
        assert out == "" and err.count("\n") == 1 and err.startswith("backprop: error: ")


def test_a_value_error_in_the_learners_code_says_where(capsys, tmp_path):
    file = tmp_path / "mine.py"
    file.write_text(LEARNER)
    got = main(["check", "--preset", "nielsen", "--backprop", f"{file}:shapes"])
    _, err = capsys.readouterr()
    assert got == 1 and "usage" not in err  # not a mistake in what was typed
    assert err.rstrip().endswith(f"at {file}:{line_of('weights[0] @ weights[0]')}")


@pytest.mark.parametrize("source", ["import sys\nsys.exit(0)\n", "raise KeyboardInterrupt\n", "x = [1][2]\n"])
def test_the_learners_file_cannot_end_the_command_as_it_is_imported(capsys, tmp_path, source):
    file = tmp_path / "mine.py"
    file.write_text(source)
    got = main(["check", "--backprop", f"{file}:backprop"])
    _, err = capsys.readouterr()
    assert got in (1, 130) and err.count("\n") == 1 and f"{file}:" in err and "Traceback" not in err, err


def test_the_learners_file_imports_its_neighbours(capsys, tmp_path, monkeypatch):
    folder = tmp_path / "lesson"
    folder.mkdir()
    (folder / "network_21.py").write_text(LEARNER)
    (folder / "mine.py").write_text("import network_21\n\nbackprop = network_21.backprop\n")
    monkeypatch.chdir(tmp_path)  # not the file's folder
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "network_21", raising=False)
    got = main(["check", "--preset", "nielsen", "--no-torch", "--backprop", str(folder / "mine.py") + ":backprop"])
    out, err = capsys.readouterr()
    assert got == 0 and "result: PASS" in out, out + err


def test_correct_float32_code_is_told_it_agrees_to_float32_precision(capsys, tmp_path):
    file = tmp_path / "mine.py"
    file.write_text(LEARNER)
    got = main(["check", "--preset", "nielsen", "--no-torch", "--samples", "10", "--backprop", f"{file}:in_float32"])
    out, _ = capsys.readouterr()
    assert got == 1
    assert "agree with the scalar graph to float32 precision" in out, out
    result = out.strip().splitlines()[-1]
    assert "numeric (your gradients)" in out and "PASS" in out.split("numeric")[1].splitlines()[0]
    assert result == "result: FAIL: your backprop disagrees with the scalar graph; agrees with central differences"


ENCODINGS = ["ascii", "cp1252", "latin-1"]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_check_and_train_print_on_a_stdout_that_is_not_utf8(tmp_path, encoding):
    model = tmp_path / "model.npz"
    env = {**os.environ, "PYTHONIOENCODING": encoding, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    for argv in (
        ["check", "--no-torch", "--numeric", "5"],
        ["train", "--epochs", "2", "--samples", "20", "--hidden", "3", "--save", str(model)],
    ):
        done = subprocess.run([sys.executable, "-m", "nn.cli", *argv], capture_output=True, env=env, timeout=120)
        assert done.returncode == 0 and done.stderr == b"", done.stderr.decode(errors="replace")
        text = done.stdout.decode(encoding)
        assert "->" in text and "?" not in text, text  # δ, →, ≈ spelled in ASCII, not dropped
    assert nn.load(model).sizes == [2, 3, 1]


def run_cli(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    return subprocess.run([sys.executable, "-m", "nn.cli", *argv], stdout=stdout, stderr=stderr, env=env, timeout=120)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_stdout_is_one_line_on_stderr():
    with open("/dev/full", "w") as full:
        done = run_cli(["check", "--no-torch", "--numeric", "5"], stdout=full)
    assert done.returncode == 1
    assert done.stderr.decode() == "backprop: error: cannot write the output: No space left on device\n"


@pytest.mark.skipif(sys.platform == "win32", reason="closes a POSIX file descriptor")
def test_a_closed_stdout_or_stderr_is_not_a_traceback_nor_silence():
    closed_out = subprocess.run(
        [sys.executable, "-m", "nn.cli", "check", "--no-torch", "--numeric", "5"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        preexec_fn=lambda: os.close(1),
        timeout=120,
    )
    assert closed_out.returncode == 1 and b"Traceback" not in closed_out.stderr
    assert closed_out.stderr.decode().startswith("backprop: error: standard output is closed")
    closed_err = subprocess.run(
        [sys.executable, "-m", "nn.cli", "train", "--epochs", "2", "--samples", "20", "--save", "model.pkl"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        preexec_fn=lambda: os.close(2),
        timeout=120,
    )
    assert closed_err.returncode == 2 and b"--save: expected a file name ending in .npz" in closed_err.stdout
    trained = subprocess.run(
        [sys.executable, "-m", "nn.cli", "train", "--epochs", "2", "--samples", "20"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        preexec_fn=lambda: os.close(2),
        timeout=120,
    )
    assert trained.returncode == 0 and b"final training loss" in trained.stdout  # no progress bar on a closed stderr


TOO_BIG = [
    (["train", "--hidden", "100000"], "the scalar graph of one batch would hold 80,000,200 weight entries"),
    (["train", "--hidden", "100000,100000", "--engine", "matrix"], "has 10,000,500,001 parameters; the limit is"),
    (["train", "--hidden", "100000,100000"], "has 10,000,500,001 parameters; the limit is 10,000,000"),
    (["check", "--samples", str(10**9)], "argument --samples: expected a positive int of at most 1,000,000"),
    (["check", "--samples", "1000000"], "the limit is 10,000,000 (use fewer units in --layers or a smaller --samples)"),
    (["check", "--layers", "784,100000,10"], "parameters; the limit is 10,000,000"),
    (["train", "--samples", str(10**9)], "argument --samples: expected a positive int of at most 1,000,000"),
    (["train", "--epochs", str(10**12)], "argument --epochs: expected a positive int of at most 1,000,000"),
    (["train", "--engine", "matrix", "--samples", "1000000", "--hidden", "100"], "the limit is 20,000,000"),
]


@pytest.mark.parametrize("argv, phrase", TOO_BIG, ids=[" ".join(a) for a, _ in TOO_BIG])
def test_sizes_too_big_are_refused_before_any_work(capsys, argv, phrase):
    got = main([*argv, "--no-progress"] if argv[0] == "train" else argv)
    out, err = capsys.readouterr()
    assert got == 2 and out == "" and phrase in err.splitlines()[-1], err  # argparse's usage lines, then the error
    assert "Traceback" not in err


# ---- a fuzz of the expression parser, in a child process with a memory limit -------------------
FUZZ = textwrap.dedent(
    """
    import resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))  # 1 GiB of address space
    from hypothesis import given, settings, strategies as st
    from autograd_core import Value
    from autograd_core.expr import ExpressionError, parse

    PIECES = st.sampled_from(["a", "b", "x1", "1", "0", "2.5", "1e308", "9" * 30, "+", "-", "*", "/", "**",
                              "(", ")", " ", "exp", "log", "tanh", "sigmoid", "relu", ",", "=", "'", ".", "[", "]",
                              "lambda", ":", "if", "else", "is", "not", "@", "%", "\\\\", "\\n", "\\x00", "é", "ﬁ"])
    TEXT = st.one_of(st.text(max_size=60), st.lists(PIECES, max_size=80).map("".join),
                     st.integers(1, 3000).map(lambda n: "(" * n + "a" + ")" * n),
                     st.integers(1, 3000).map(lambda n: "-" * n + "a"),
                     st.integers(1, 600).map(lambda n: "a**" * n + "a"))

    @settings(max_examples=int(sys.argv[1]), derandomize=True, deadline=None, database=None)
    @given(TEXT)
    def check_with_names(text):
        names = {n: v for n, v in {"a": 0.5, "b": -2.0, "x1": 3.0}.items() if n in text}
        try:
            out = parse(text, names)
        except (ExpressionError, ValueError, OverflowError, ZeroDivisionError) as e:
            assert str(e) and len(str(e)) < 600, (text, str(e))
            return
        assert isinstance(out, Value) and out.data - out.data == 0
        out.backward()

    check_with_names()
    print("ok")
    """
)


def test_the_parser_under_random_strings_and_a_memory_limit():
    root = Path(__file__).resolve().parent.parent
    examples = os.environ.get("HYPOTHESIS_MAX_EXAMPLES", "300")
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", FUZZ, examples],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
        timeout=600,
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stdout[-3000:] + done.stderr[-3000:]
