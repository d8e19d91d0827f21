"""The backprop command fits terminal habits: pipes closed early, expressions starting with '-',
--set before the expression, singular words, the inputs' grads printed, examples in --help."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nn.cli import EXIT_BROKEN_PIPE, main

ROOT = Path(__file__).resolve().parent.parent


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_a_pipe_closed_early_ends_quietly():
    """`backprop check --json | head -1`: the reader is gone before we write; no traceback."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "nn.cli", "check", "--json", "--no-torch", "--numeric", "5"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    p.stdout.close()
    err = p.stderr.read().decode()
    p.stderr.close()
    assert p.wait(timeout=120) == EXIT_BROKEN_PIPE == 141
    assert err == ""


def test_head_reads_the_first_line_of_the_json(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        f"{sys.executable} -m nn.cli check --json --no-torch --numeric 5 | head -1",
        shell=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.stdout == "{\n" and "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["graph", "-a*b", "--set", "a=2", "b=3", "-o", "OUT"],
        ["graph", "--set", "a=2", "b=3", "-a*b", "-o", "OUT"],
        ["graph", "-o", "OUT", "--set", "a=2", "b=3", "-a*b"],
        ["graph", "-o", "OUT", "--set", "a=2", "b=3", "--", "-a*b"],
    ],
)
def test_an_expression_starting_with_minus_and_set_before_it(capsys, tmp_path, argv):
    out_file = tmp_path / "g.dot"
    status, out, err = run(capsys, *[str(out_file) if a == "OUT" else a for a in argv])
    assert (status, err) == (0, "")
    assert out.splitlines() == [f"wrote {out_file}", "out = -6.0", "a.grad = -3.0", "b.grad = -2.0"]


def test_set_before_the_expression_for_steps(capsys, tmp_path, needs_dot):
    page = tmp_path / "s.html"
    status, out, _ = run(capsys, "steps", "--set", "x=3", "x*x + 1", "-o", str(page))
    assert status == 0 and out == f"wrote {page}\n"


def test_graph_prints_each_inputs_grad_in_reading_order(capsys, tmp_path):
    dot = tmp_path / "g.dot"
    status, out, _ = run(capsys, "graph", "tanh(a*b + c)", "--set", "c=10", "b=-3", "a=2", "-o", str(dot))
    assert status == 0
    lines = out.splitlines()
    assert lines[1].startswith("out = 0.99932")
    assert [line.split(".grad = ")[0] for line in lines[2:5]] == ["a", "b", "c"]
    assert float(lines[2].split(" = ")[1]) == pytest.approx(-3 * (1 - 0.999329299739067**2), rel=1e-9)


def test_params_colours_those_leaves(capsys, tmp_path):
    dot = tmp_path / "g.dot"
    status, _, _ = run(capsys, "graph", "x*w + b", "--set", "x=2", "w=-3", "b=1", "--params", "w,b", "-o", str(dot))
    assert status == 0
    source = dot.read_text()
    assert source.count("#fde68a") == 3  # w, b and the legend's swatch
    status, _, err = run(capsys, "graph", "x*w", "--set", "x=2", "w=-3", "--params", "v", "-o", str(dot))
    assert status == 2 and "--params: the expression has no name(s) v (its names: x, w)" in err


def test_one_epoch_is_singular(capsys):
    status, out, _ = run(capsys, "train", "--epochs", "1", "--samples", "20", "--hidden", "4", "--no-progress")
    assert status == 0 and ", 1 epoch, " in out


def test_top_level_help_ends_with_examples(capsys):
    status, out, _ = run(capsys, "--help")
    assert status == 0
    tail = out[out.index("examples:") :]
    assert 'backprop graph "tanh(a*b + c)" --set a=2 b=-3 c=10' in tail
    assert "backprop check --json | head -1" in tail
    assert out.rstrip().endswith("describes each command.")


@pytest.mark.parametrize(
    "argv, said",
    [
        (["graph", "x**2", "x=3"], "did you mean --set x=3?"),
        (["steps", "x*y", "x=3", "y=-1"], "did you mean --set x=3 y=-1?"),
        (["graph", "x=3", "x**2"], "did you mean --set x=3?"),
    ],
)
def test_a_forgotten_set_is_named(capsys, tmp_path, argv, said):
    status, out, err = run(capsys, *argv, "-o", str(tmp_path / "g.dot"))
    assert status == 2 and out == ""
    assert said in err and "unrecognized arguments" not in err
    assert not list(tmp_path.iterdir())


def test_values_after_the_expression_still_count_once_set_came_first(capsys, tmp_path):
    status, out, _ = run(capsys, "graph", "--set", "a=2", "a*b", "b=3", "-o", str(tmp_path / "g.dot"))
    assert status == 0 and "out = 6.0" in out


def test_an_expression_without_values_says_to_use_set(capsys, tmp_path):
    status, _, err = run(capsys, "graph", "x**2 + y", "-o", str(tmp_path / "g.dot"))
    assert status == 2
    assert "no value for the name(s) 'x', 'y'" in err
    assert "give each name a value with --set: --set x=NUMBER y=NUMBER" in err


def test_division_by_zero_is_named_as_written_not_by_the_internal_op(capsys, tmp_path):
    status, _, err = run(capsys, "graph", "1/x", "--set", "x=0", "-o", str(tmp_path / "g.dot"))
    assert status == 2
    assert "division by zero: 1.0 / " in err and "rdiv" not in err
    status, _, err = run(capsys, "graph", "2**x", "--set", "x=2000", "-o", str(tmp_path / "g.dot"))
    assert status == 2 and "**: " in err and "rpow" not in err


def test_the_demos_time_is_the_same_in_both_helps_and_the_readme(capsys):
    _, top, _ = run(capsys, "--help")
    _, demo, _ = run(capsys, "demo", "--help")
    _, commands, _ = run(capsys, "-h")
    said = re.findall(r"about (\d+) s of CPU time", top + demo + commands)
    assert len(said) >= 3 and len(set(said)) == 1, said
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"({said[0]} s of CPU time)" in readme
    first_run = re.search(r"\| `make demo` \| (\d+–\d+ s) \(three clones\)", readme)
    assert first_run and first_run[1].replace("–", "-") in " ".join(demo.split())
    assert "minute" not in top + demo
