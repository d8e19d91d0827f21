"""The expression parser: what it builds, and what it refuses (hostile input included)."""

import math

import pytest

from autograd_core import Value, topological_order
from autograd_core.expr import MAX_LENGTH, ExpressionError, parse


def test_names_become_labelled_leaves_and_a_repeated_name_is_one_leaf():
    out = parse("a*b + a", {"a": 2, "b": -3})
    leaves = [n for n in topological_order(out) if not n.parents]
    assert sorted(n.label for n in leaves) == ["a", "b"]
    out.backward()
    a = next(n for n in leaves if n.label == "a")
    assert out.data == -4.0 and a.grad == -2.0  # d/da (a*b + a) = b + 1


def test_numbers_are_folded_into_the_nodes_as_constants():
    out = parse("2 - x * 3", {"x": 1.5})
    assert out.op == "rsub" and out.const == 2.0
    assert out.parents[0].op == "*" and out.parents[0].const == 3.0
    assert len(topological_order(out)) == 3


def test_the_micrograd_expression_and_its_gradients():
    out = parse("tanh(a*b + c)", {"a": 2, "b": -3, "c": 10})
    out.backward()
    a, b, c = sorted((n for n in topological_order(out) if not n.parents), key=lambda n: n.label)
    t = math.tanh(4.0)
    assert out.data == t
    assert (a.grad, b.grad, c.grad) == pytest.approx(((1 - t * t) * -3, (1 - t * t) * 2, 1 - t * t), rel=1e-12)


@pytest.mark.parametrize(
    "text, values, expected",
    [
        (
            "exp(x) + log(x) + sigmoid(x) + relu(-x) + -x + +x",
            {"x": 0.5},
            math.exp(0.5) + math.log(0.5) + 1 / (1 + math.exp(-0.5)) - 0.5 + 0.5,
        ),
        ("x ** 2 / 4 - 1", {"x": 3.0}, 1.25),
        ("2 ** x", {"x": 3}, 8.0),
        ("2 * 3 + 1", {}, 7.0),
        ("((((x))))", {"x": 2}, 2.0),
        ("é + 1", {"é": 1}, 2.0),
        ("  x  ", {"x": 1}, 1.0),
    ],
)
def test_what_the_grammar_allows(text, values, expected):
    assert parse(text, values).data == pytest.approx(expected, rel=1e-15)


def test_numbers_alone_make_one_unlabelled_leaf():
    out = parse("2 ** 0.5", {})
    assert out.data == math.sqrt(2) and out.parents == () and out.label == ""


@pytest.mark.parametrize(
    "text, values, message, column",
    [
        ("__import__('os')", {}, "unknown function '__import__'; the functions are exp, log, tanh, sigmoid, relu", 1),
        ("().__class__", {}, "attribute access is not allowed", 1),
        ("a.b", {"a": 1}, "attribute access is not allowed", 1),
        ("a + a.b", {"a": 1}, "attribute access is not allowed", 5),
        ("f(x)", {"x": 1}, "unknown function 'f'", 1),
        ("a.b()", {"a": 1}, "only the functions exp, log, tanh, sigmoid, relu can be called", 1),
        ("lambda: 1", {}, "lambdas are not allowed", 1),
        ("a[0]", {"a": 1}, "subscripts are not allowed", 1),
        ("'s' + a", {"a": 1}, "strings are not allowed", 1),
        ("b'x'", {}, "bytes are not allowed", 1),
        ("f'{a}'", {"a": 1}, "f-strings are not allowed", 1),
        ("True", {}, "True, False and None are not allowed", 1),
        ("1j", {}, "complex numbers are not allowed", 1),
        ("exp(x=1)", {}, "exp() takes no keyword arguments", 1),
        ("exp(*a)", {"a": 1}, "starred arguments (*x) are not allowed", 1),
        ("exp(a, a)", {"a": 1}, "exp() takes exactly one argument, got 2", 1),
        ("a < 1", {"a": 1}, "comparisons are not allowed", 1),
        ("a and 1", {"a": 1}, "and/or are not allowed", 1),
        ("a if a else a", {"a": 1}, "if/else expressions are not allowed", 1),
        ("[a for a in b]", {"b": 1}, "comprehensions are not allowed", 1),
        ("(a, a)", {"a": 1}, "tuples are not allowed", 1),
        ("(a := 1)", {}, "assignment expressions (:=) are not allowed", 2),
        ("a ^ 2", {"a": 1}, "the operator ^ (for a power, write **) is not allowed", 1),
        ("a // 2", {"a": 1}, "the operator // is not allowed", 1),
        ("~a", {"a": 1}, "the operator ~ is not allowed", 1),
        ("not a", {"a": 1}, "the operator not is not allowed", 1),
        ("exp + 1", {}, "exp is a function: call it, as in exp(x)", 1),
        ("a + d", {"a": 1}, "no value for the name(s) 'd'; the names with values are: a", 5),
        ("x + y", {}, "no value for the name(s) 'x', 'y'; the names with values are: none", 1),
    ],
)
def test_refusals_name_what_was_found_and_where(text, values, message, column):
    with pytest.raises(ExpressionError) as e:
        parse(text, values)
    assert message in str(e.value)
    assert str(e.value).startswith(f"column {column}: ")
    assert e.value.column == column


@pytest.mark.parametrize(
    "text, values, message",
    [
        ("import os", {}, "invalid expression: invalid syntax"),
        ("a +", {"a": 1}, "invalid expression"),
        ("a; a", {"a": 1}, "invalid expression"),
        ("", {}, "the expression is empty"),
        ("x\x00", {"x": 1}, "null bytes"),
        ("a", {"a": 1, "b": 2}, "values were given for name(s) the expression does not use: b (it uses: a)"),
        ("a", {"a": float("nan")}, "the value of 'a': expected a finite number, got nan"),
        ("a", {"a": "2"}, "the value of 'a': expected a real number"),
        ("a", {"a": 1, "exp": 2}, "'exp' cannot be a name"),
        ("a", {"a b": 1}, "'a b' cannot be a name"),
    ],
)
def test_bad_input_and_bad_values_are_explained(text, values, message):
    with pytest.raises(ExpressionError, match=None) as e:
        parse(text, values)
    assert message in str(e.value)


@pytest.mark.parametrize(
    "text, values, message",
    [
        ("9**9**9", {}, "**: the result or its derivative overflows the float range"),
        ("a ** 1e308", {"a": 2}, "overflows the float range"),
        ("1" * 400, {}, "the number is too large for a float"),
        ("1e999", {}, "expected a finite number, got inf"),
        ("log(0)", {}, "log: expected a positive operand"),
        ("log(a)", {"a": 0}, "log: expected a positive operand"),
        ("a / (a - a)", {"a": 1}, "/: division by zero"),
        ("exp(1000)", {}, "exp: overflow"),
        ("(-8) ** (1/3)", {}, "**: a negative base needs an integer exponent"),
    ],
)
def test_domain_errors_are_clean_messages_with_a_column(text, values, message):
    with pytest.raises(ExpressionError) as e:
        parse(text, values)
    assert message in str(e.value) and str(e.value).startswith("column ")


def test_absurd_sizes_are_refused_quickly_and_deep_nesting_never_recurses():
    with pytest.raises(ExpressionError, match=f"5,001 characters long; the limit is {MAX_LENGTH:,}"):
        parse("(" * 2500 + "a" + ")" * 2500, {"a": 1})
    with pytest.raises(ExpressionError, match="10,001 characters long"):
        parse("-" * 10_000 + "a", {"a": 1})
    with pytest.raises(ExpressionError, match="column 201: invalid expression: too many nested parentheses"):
        parse("(" * 250 + "a" + ")" * 250, {"a": 1})
    deep = parse("-" * (MAX_LENGTH - 1) + "a", {"a": 2.0})  # as deep as the limit allows: evaluated iteratively
    assert deep.data == -2.0 and len(topological_order(deep)) == MAX_LENGTH
    long_sum = parse("+".join(["a"] * (MAX_LENGTH // 2)), {"a": 1.0})
    assert long_sum.data == MAX_LENGTH // 2


def test_parse_wants_a_string_and_a_mapping():
    with pytest.raises(TypeError, match="expected the expression as a str"):
        parse(b"a", {"a": 1})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="expected the values as a mapping"):
        parse("a", [("a", 1)])  # type: ignore[arg-type]


def test_it_is_a_value_error_and_never_evaluates_python():
    assert issubclass(ExpressionError, ValueError)
    with pytest.raises(ExpressionError):
        parse("__import__('os').system('echo pwned')", {})
    assert isinstance(parse("a", {"a": 1}), Value)


# ---- the backprop command: expressions typed on the command line ------------------------


def run_cli(capsys, *argv):
    from nn.cli import main

    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_backprop_graph_writes_the_drawing_in_the_format_of_the_extension(tmp_path, capsys, needs_dot):
    for name, magic in (("graph.svg", b"<?xml"), ("graph.png", b"\x89PNG"), ("graph.dot", b"digraph")):
        path = tmp_path / name
        status, out, err = run_cli(capsys, "graph", "tanh(a*b + c)", "--set", "a=2", "b=-3", "c=10", "-o", str(path))
        assert (status, err) == (0, "") and out.startswith(f"wrote {path}\n")
        assert path.read_bytes().startswith(magic)
    dot = (tmp_path / "graph.dot").read_text()
    assert "<b>out</b>" in dot and "tanh" in dot and 'label="-3"' in dot  # d(a*b)/da = b on the edge


def test_backprop_steps_writes_a_page(tmp_path, capsys, needs_dot):
    path = tmp_path / "steps.html"
    status, out, _ = run_cli(capsys, "steps", "x*x + 1", "--set", "x=3", "-o", str(path), "--rankdir", "TB")
    assert status == 0 and out == f"wrote {path}\n"
    page = path.read_text()
    assert page.startswith("<!DOCTYPE html>") and "backprop steps: x*x + 1" in page


@pytest.mark.parametrize(
    "argv, message",
    [
        (["graph", "a.b", "--set", "a=1"], "backprop: error: 'a.b': column 1: attribute access is not allowed"),
        (["graph", "a*b", "--set", "a=1"], "no value for the name(s) 'b'; the names with values are: a"),
        (["graph", "a", "--set", "a=1", "b=2"], "values were given for name(s) the expression does not use: b"),
        (["steps", "a*b", "--set", "a=1", "b=2", "a=3"], "backprop: error: --set gives 'a' twice"),
        (["graph", "log(a)", "--set", "a=0"], "log: expected a positive operand"),
        (["graph", "9**9**9"], "overflows the float range"),
        (
            ["graph", "a", "--set", "a=1", "-o", "graph.txt"],
            "--output: save_drawing: cannot tell the format from 'graph.txt'",
        ),
        (["steps", "a", "--set", "a=1", "-o", "steps.svg"], "--output: expected a file name ending in .html"),
        (
            ["graph", "+".join(["a"] * 100), "--set", "a=1"],
            "or leave the numbers off the edges (--no-local-grads halves",
        ),
        (["steps", "+".join(["a"] * 499), "--set", "a=1"], "this graph would be costly to lay out"),
    ],
)
def test_backprop_reports_bad_expressions_in_one_line_with_status_2(capsys, argv, message):
    status, out, err = run_cli(capsys, *argv)
    assert status == 2 and out == ""
    assert message in err and err.startswith("backprop: error: ") and err.count("\n") == 1
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "argv, message",
    [
        ([], "the following arguments are required: COMMAND"),
        (["draw"], "invalid choice: 'draw'"),
        (["graph"], "the following arguments are required: expression"),
        (["graph", "a*b", "--set", "a"], "argument --set: expected NAME=NUMBER, got 'a'"),
        (["graph", "a*b", "--set", "a=two"], "expected a number after a=, got 'two'"),
        (["graph", "a*b", "--set", "a=nan"], "expected a finite number after a=, got 'nan'"),
        (["graph", "a", "--rankdir", "XY"], "invalid choice: 'XY'"),
    ],
)
def test_bad_arguments_get_argparse_errors_with_status_2(capsys, argv, message):
    status, out, err = run_cli(capsys, *argv)
    assert status == 2 and out == ""
    assert err.startswith("usage: backprop") and message in err and "Traceback" not in err


def test_help_exits_0(capsys):
    status, out, _ = run_cli(capsys, "graph", "--help")
    assert status == 0 and "--set NAME=NUMBER" in out


def test_backprop_without_dot_or_a_writable_place_exits_1(tmp_path, capsys, monkeypatch):
    status, _, err = run_cli(capsys, "graph", "a", "--set", "a=1", "-o", str(tmp_path / "missing" / "g.svg"))
    assert status == 1 and "does not exist" in err
    monkeypatch.setenv("PATH", str(tmp_path))
    status, _, err = run_cli(capsys, "steps", "a", "--set", "a=1", "-o", str(tmp_path / "s.html"))
    assert status == 1 and err.startswith("backprop: error: rendering a drawing needs Graphviz's dot")
    assert "sudo apt-get install graphviz" in err


def test_the_installed_backprop_script(tmp_path):
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    script = Path(sys.executable).with_name("backprop")
    if not script.exists():
        script = Path(shutil.which("backprop") or "backprop")
    ok = subprocess.run(
        [str(script), "graph", "a*b", "--set", "a=2", "b=3", "-o", "g.dot"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "wrote g.dot\nout = 6.0\na.grad = 3.0\nb.grad = 2.0\n", "")
    bad = subprocess.run([str(script), "graph", "__import__('os')"], cwd=tmp_path, capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.startswith("backprop: error: ") and "unknown function '__import__'" in bad.stderr


def test_label_nodes_names_each_node_by_its_subexpression():
    out = parse("tanh(a*b  +  c)", {"a": 2, "b": -3, "c": 10}, label_nodes=True)
    assert out.label == "tanh(a*b + c)"
    assert out.parents[0].label == "a*b + c" and out.parents[0].parents[0].label == "a*b"
    assert parse("a*b", {"a": 1, "b": 2}).label == ""  # only when asked
    long = parse("a + " * 20 + "a", {"a": 1.0}, label_nodes=True)
    assert len(long.label) == 24 and long.label.endswith("…")
    assert parse("+a", {"a": 1.0}, label_nodes=True).label == "a"  # +a is the leaf itself, keeps its name


def test_backprop_graph_labels_nodes_by_subexpression(tmp_path, capsys):
    path = tmp_path / "g.dot"
    status, _, _ = run_cli(capsys, "graph", "tanh(a*b + c)", "--set", "a=2", "b=-3", "c=10", "-o", str(path))
    source = path.read_text()
    assert status == 0 and "<b>a*b</b>" in source and "<b>a*b + c</b>" in source and "<b>out</b>" in source
    assert ">#" not in source
