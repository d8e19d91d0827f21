"""`backprop train` and `backprop check`: what they print, write, and exit with."""

import json
import re
import sys

import numpy as np
import pytest

import nn
from nn.cli import main
from nn.matrix import PRESETS, MatrixMLP


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_train_with_the_defaults_reaches_95_percent_on_moons(capsys):
    status, out, _ = run(capsys, "train", "--no-progress")
    assert status == 0
    accuracy = float(re.search(r"accuracy (\d+\.\d)%", out).group(1))
    assert accuracy >= 95.0, out
    assert "MLP(2 → 16 relu → 16 relu → 1 linear) on moons (200 samples), binary_cross_entropy" in out


def test_train_plots_and_saves(capsys, tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib is not installed (the plot extra)")
    png, model = tmp_path / "training.png", tmp_path / "model.npz"
    status, out, _ = run(capsys, "train", "--epochs", "5", "--no-progress", "--plot", str(png), "--save", str(model))
    assert status == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert nn.load(model).sizes == [2, 16, 16, 1]
    assert f"wrote {png}" in out and f"wrote {model}" in out


def test_train_with_the_matrix_engine_matches_the_scalar_one(capsys):
    argv = ["train", "--dataset", "xor", "--samples", "40", "--epochs", "15", "--hidden", "6", "--no-progress"]
    _, scalar, _ = run(capsys, *argv)
    _, matrix, _ = run(capsys, *argv, "--engine", "matrix")
    assert scalar.splitlines()[1] == matrix.splitlines()[1]  # the same final loss and accuracy, to 4 digits


def test_train_on_spiral_uses_cross_entropy(capsys):
    status, out, _ = run(capsys, "train", "--dataset", "spiral", "--epochs", "3", "--samples", "30", "--no-progress")
    assert status == 0 and "→ 3 linear" in out and "cross_entropy" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--hidden", "16,x"], "expected comma-separated positive ints"),
        (["train", "--epochs", "0"], "expected a positive int"),
        (["train", "--lr", "-1"], "expected a number > 0"),
        (["train", "--dataset", "cifar"], "invalid choice"),
        (["train", "--plot", "out.jpg"], "--plot: expected a file name ending in .png, .svg or .pdf"),
        (["train", "--save", "model.pkl"], "--save: expected a file name ending in .npz or .json"),
        (["check", "--layers", "4"], "--layers: expected at least two widths"),
        (["check", "--loss", "hinge"], "--loss hinge needs one output unit"),
        (["check", "--preset", "nielsen", "--activation", "relu"], "--preset nielsen needs --activation sigmoid"),
        (["check", "--samples", "-3"], "expected a positive int"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(capsys, argv, message):
    status, _, err = run(capsys, *argv)
    assert status == 2
    assert message in err
    assert "Traceback" not in err


def test_check_passes_and_exits_0(capsys):
    argv = [
        "check",
        "--layers",
        "4,8,8,3",
        "--activation",
        "tanh",
        "--loss",
        "cross_entropy",
        "--samples",
        "16",
        "--seed",
        "0",
    ]
    status, out, _ = run(capsys, *argv)
    assert status == 0
    assert "result: PASS: the views agree" in out and "N: 16" in out


@pytest.mark.parametrize("preset", ["nielsen", "no_bias_sigmoid", "udl_relu", "softmax_ce"])
def test_check_each_preset(capsys, preset):
    status, out, _ = run(capsys, "check", "--preset", preset, "--layers", "3,5,2", "--no-torch")
    assert status == 0, out
    assert f"preset: {preset}" in out


def test_check_micrograd_preset_and_json(capsys):
    status, out, _ = run(capsys, "check", "--preset", "micrograd", "--layers", "2,16,16,1", "--json")
    assert status == 0
    report = json.loads(out)
    assert report["ok"] is True and report["preset"] == "micrograd" and report["conventions"]["loss"] == "hinge"


def test_check_exits_1_when_the_views_disagree(capsys, monkeypatch):
    original = MatrixMLP.output_delta
    monkeypatch.setattr(MatrixMLP, "output_delta", lambda self, Y: 2.0 * original(self, Y))  # a wrong δ^L
    status, out, _ = run(capsys, "check", "--no-torch", "--numeric", "0")
    assert status == 1
    assert "result: FAIL" in out and "hint:" in out


def test_cli_runs_as_an_installed_script(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    script = Path(sys.executable).with_name("backprop")
    done = subprocess.run([str(script), "check", "--no-torch", "--numeric", "10"], capture_output=True, text=True)
    assert done.returncode == 0 and "PASS" in done.stdout
    bad = subprocess.run([str(script), "train", "--epochs", "x"], capture_output=True, text=True)
    assert bad.returncode == 2 and "backprop train: error: argument --epochs" in bad.stderr
    np.testing.assert_equal(bad.stdout, "")


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_preset_runs_alone(capsys, preset):
    status, out, _ = run(capsys, "check", "--preset", preset)  # no other flag
    assert status == 0, out
    assert out.startswith(f"network: {PRESETS[preset].sizes[0]} → ") and f"preset: {preset}" in out, out
    assert out.count("→") == len(PRESETS[preset].sizes) - 1


MINE = '''
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def backprop(weights, biases, X, Y):
    """Nielsen's network in the batch form: columns, ½ quadratic cost averaged over the batch."""
    a, As, Zs = X, [X], []
    for W, b in zip(weights, biases):
        z = W @ a + b[:, None]
        a = sigmoid(z)
        Zs.append(z)
        As.append(a)
    D = (As[-1] - Y) * sigmoid(Zs[-1]) * (1 - sigmoid(Zs[-1])) / X.shape[1]
    dW, db = [None] * len(weights), [None] * len(weights)
    for l in range(len(weights) - 1, -1, -1):
        dW[l], db[l] = D @ As[l].T, D.sum(axis=1)
        if l:
            D = (weights[l].T @ D) * sigmoid(Zs[l - 1]) * (1 - sigmoid(Zs[l - 1]))
    return dW, db


def forgot_the_mean(weights, biases, X, Y):
    dW, db = backprop(weights, biases, X, Y)
    return [d * X.shape[1] for d in dW], [d * X.shape[1] for d in db]


def crashes(weights, biases, X, Y):
    return weights[7]
'''


def test_check_your_own_backprop_from_a_file(capsys, tmp_path):
    mine = tmp_path / "mine.py"
    mine.write_text(MINE)
    status, out, _ = run(capsys, "check", "--preset", "nielsen", "--backprop", f"{mine}:backprop", "--no-torch")
    assert status == 0, out
    assert "vs your backprop" in out and "result: PASS: your backprop agrees" in out
    status, out, _ = run(capsys, "check", "--preset", "nielsen", "--backprop", f"{mine}:forgot_the_mean")
    assert status == 1
    assert "≈ N (N=8): it could be a sum over the batch where the conventions take the mean" in out
    assert "result: FAIL" in out
    status, out, err = run(capsys, "check", "--preset", "nielsen", "--backprop", f"{mine}:crashes")
    assert status == 1 and out == ""
    assert err.startswith("backprop: error: --backprop: your code raised IndexError") and f"{mine}:" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "spec, message",
    [
        ("nowhere.py:backprop", "--backprop: no such file: 'nowhere.py'"),
        ("{mine}:missing", "has no 'missing'"),
        ("{mine}", "expected FILE.py:FUNCTION"),
        ("{mine}:np", "is a module, not a function"),
    ],
)
def test_a_bad_backprop_file_or_function_exits_2_with_one_line(capsys, tmp_path, spec, message):
    mine = tmp_path / "mine.py"
    mine.write_text(MINE)
    status, out, err = run(capsys, "check", "--backprop", spec.format(mine=mine))
    assert status == 2 and out == ""
    assert message in err and err.count("\n") == 1 and err.startswith("backprop: error: ")


FORMS = '''
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


class Network:
    """Nielsen's form: a network object with weights, biases and backprop(x, y)."""

    def __init__(self, sizes):
        self.num_layers = len(sizes)
        self.weights = [np.zeros((n, m)) for m, n in zip(sizes[:-1], sizes[1:])]
        self.biases = [np.zeros((n, 1)) for n in sizes[1:]]

    def backprop(self, x, y):
        a, activations, zs = x, [x], []
        for b, w in zip(self.biases, self.weights):
            zs.append(w @ a + b)
            a = sigmoid(zs[-1])
            activations.append(a)
        delta = (a - y) * a * (1 - a)
        nabla_b, nabla_w = [delta], [delta @ activations[-2].T]
        for l in range(2, self.num_layers):
            s = sigmoid(zs[-l])
            delta = (self.weights[-l + 1].T @ delta) * s * (1 - s)
            nabla_b.insert(0, delta)
            nabla_w.insert(0, delta @ activations[-l - 1].T)
        return nabla_b, nabla_w


net = Network([2, 3, 1])


def forward(x, all_weights, all_biases):
    """UDL's form, layer 0 first."""
    all_f, all_h = [], [x]
    for k, (W, b) in enumerate(zip(all_weights, all_biases)):
        all_f.append(b + W @ all_h[-1])
        all_h.append(np.maximum(all_f[-1], 0) if k < len(all_weights) - 1 else all_f[-1])
    return all_f[-1], all_f, all_h


def backward_pass(all_weights, all_biases, all_f, all_h, y):
    K = len(all_weights) - 1
    dW, db = [None] * (K + 1), [None] * (K + 1)
    df = 2 * (all_f[K] - y)
    for k in range(K, -1, -1):
        dW[k], db[k] = df @ all_h[k].T, df
        if k:
            df = (all_f[k - 1] > 0) * (all_weights[k].T @ df)
    return dW, db


def least_squares(out, y):
    return float(np.sum((out - y) ** 2))
'''


def test_check_the_nielsen_and_udl_forms_from_a_file(capsys, tmp_path):
    forms = tmp_path / "forms.py"
    forms.write_text(FORMS)
    status, out, _ = run(
        capsys, "check", "--preset", "nielsen", "--backprop", f"{forms}:net.backprop", "--form", "nielsen"
    )
    assert status == 0, out
    argv = ["check", "--preset", "udl_relu", "--backprop", f"{forms}:backward_pass", "--form", "udl"]
    status, out, _ = run(capsys, *argv, "--forward", "forward", "--cost", "least_squares", "--notation", "udl")
    assert status == 0, out
    assert "Σ_i L_i" in out and "∂L_i/∂W_0" in out  # the loss row from the user's cost, UDL's symbols
    status, _, err = run(capsys, *argv)
    assert status == 2 and "--form udl needs --forward" in err


def train_argv():
    """`backprop train` for 3 epochs on a small net, run as a program."""
    return [sys.executable, "-m", "nn.cli", "train", "--epochs", "3", "--samples", "20", "--hidden", "4"]


def test_train_draws_no_progress_bar_when_stderr_is_not_a_terminal():
    import subprocess

    done = subprocess.run(train_argv(), capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert b"\r" not in done.stderr and b"epoch" not in done.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal (pty)")
def test_train_draws_a_progress_bar_on_a_terminal():
    import fcntl
    import os
    import pty
    import struct
    import subprocess
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # tqdm draws nothing in 0 columns
    child = subprocess.Popen(train_argv(), stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)  # the child holds the only other end: reading ends when it exits
    shown = b""
    try:
        while chunk := _read(leader):
            shown += chunk
    finally:
        os.close(leader)
    assert child.wait(timeout=120) == 0
    assert b"\r" in shown and b"epoch" in shown


def _read(fd):
    """The next bytes from a pty; b"" at its end (Linux raises EIO there)."""
    import os

    try:
        return os.read(fd, 4096)
    except OSError:
        return b""


# ---- issue 21: the conventions as flags, the preset's notation, Ctrl-C and a lost stdout ------------
def test_check_takes_every_convention_as_a_flag(capsys):
    argv = ["check", "--activation", "relu", "--layout", "rows", "--w-layout", "in_out", "--mse-half"]
    status, out, err = run(capsys, *argv, "--l2", "0.01", "--relu-grad-at-zero", "1", "--no-torch")
    assert status == 0, out + err
    assert (
        "not the defaults: mse_half: True (C_n = ½‖a − y‖²), layout: rows, w_layout: in_out, relu'(0): 1, "
        "l2: 0.01 on weights"
    ) in out
    status, out, _ = run(capsys, "check", "--preset", "nielsen", "--no-mse-half", "--no-torch")
    assert status == 0 and "mse_half" not in out  # the preset's ½, turned off
    status, _, err = run(capsys, "check", "--relu-grad-at-zero", "0.3")
    assert status == 2 and "invalid choice" in err


ROWS = """
import numpy as np


def backprop(weights, biases, X, Y):
    '''X @ W code: samples in rows, W as (n_in, n_out), tanh hidden, linear output, mean squared error.'''
    (W1, W2), (b1, b2) = weights, biases
    a1 = np.tanh(X @ W1 + b1)
    d2 = 2 * (a1 @ W2 + b2 - Y) / len(X)
    d1 = (d2 @ W2.T) * (1 - a1**2)
    return [X.T @ d1, a1.T @ d2], [d1.sum(axis=0, keepdims=True), d2.sum(axis=0, keepdims=True)]
"""


def test_check_a_rows_layout_backprop_from_the_shell(capsys, tmp_path):
    mine = tmp_path / "rows.py"
    mine.write_text(ROWS)
    argv = ["check", "--layers", "3,5,2", "--layout", "rows", "--w-layout", "in_out", "--backprop", f"{mine}:backprop"]
    status, out, err = run(capsys, *argv, "--no-torch")
    assert status == 0, out + err


def test_a_preset_prints_in_its_sources_notation_unless_told_otherwise(capsys):
    status, out, _ = run(capsys, "check", "--preset", "nielsen", "--no-torch")
    assert status == 0 and "notation: Nielsen" in out and "∂C/∂w^3" in out
    status, out, _ = run(capsys, "check", "--preset", "nielsen", "--no-torch", "--notation", "ours")
    assert status == 0 and "notation:" not in out and "L2    dW" in out


def test_ctrl_c_in_train_saves_the_model_so_far_and_ends_in_one_line(capsys, tmp_path, monkeypatch):
    import nn.train

    step = nn.train._Graph.step
    calls = []

    def interrupted_at_the_third(*args):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return step(*args)

    monkeypatch.setattr(nn.train._Graph, "step", interrupted_at_the_third)
    model = tmp_path / "model.npz"
    status, out, err = run(capsys, "train", "--epochs", "50", "--samples", "20", "--hidden", "3", "--save", str(model))
    assert status == 130
    assert err == "backprop: error: interrupted after 2 of 50 epochs\n"
    assert "2 of 50 epochs" in out and f"wrote {model}" in out
    assert nn.load(model).sizes == [2, 3, 1]


def test_train_saves_the_model_before_it_prints(tmp_path):
    import os
    import subprocess
    from pathlib import Path

    model = tmp_path / "model.npz"
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [*train_argv(), "--save", str(model)],
            stdout=full,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
            timeout=120,
        )
    assert done.returncode == 1 and done.stderr.endswith(b"cannot write the output: No space left on device\n")
    assert nn.load(model).sizes == [2, 4, 1]  # written, though nothing could be printed


def test_demo_refuses_an_empty_output_folder(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "graph.svg").write_text("mine")
    status, _, err = run(capsys, "demo", "-o", "", "--no-progress")
    assert status == 2 and err == "backprop: error: --output: expected a folder name, got ''\n"
    assert [p.name for p in tmp_path.iterdir()] == ["graph.svg"] and (tmp_path / "graph.svg").read_text() == "mine"


@pytest.mark.slow
def test_train_preset_micrograd_runs_micrograds_demo(capsys, tmp_path):
    """100 full-batch SGD steps at 1.0 → 0.1, U(-1, 1) weights, hinge + 1e-4 L2: the same run as
    fit(...) written out as micrograd's demo (tests/test_schedules.py checks that call against
    micrograd's own loop), and 100% accuracy on its moons."""
    from nn.data import moons
    from nn.schedules import linear

    saved = tmp_path / "micrograd.npz"
    status, out, err = run(capsys, "train", "--preset", "micrograd", "--no-progress", "--save", str(saved))
    assert status == 0, err
    first, second = out.splitlines()[:2]
    assert first == (
        "MLP(2 → 16 relu → 16 relu → 1 linear) on moons (100 samples), hinge, l2 0.0001, 100 epochs, "
        "sgd lr 1 → 0.1 (linear)"
    )
    assert second.endswith(", accuracy 100.0%")

    X, y01 = moons(100, noise=0.1, seed=0)
    model = nn.MLP(2, [16, 16, 1], activation="relu", init="uniform", seed=0)
    history = nn.fit(
        model,
        X,
        2 * y01 - 1,
        loss="hinge",
        lr=linear(1.0, 0.1, 100),
        epochs=100,
        l2=1e-4,
        shuffle=False,
        progress=False,
    )
    assert second == f"final training loss {history.loss[-1]:.4g}, accuracy 100.0%"
    for ours, theirs in zip(nn.load(saved).parameters(), model.parameters()):
        assert ours.data == theirs.data


def test_train_flags_change_a_preset_and_lr_end_needs_a_schedule(capsys):
    status, out, _ = run(
        capsys, "train", "--preset", "micrograd", "--epochs", "2", "--schedule", "cosine", "--no-progress"
    )
    assert status == 0 and "2 epochs, sgd lr 1 → 0.1 (cosine)" in out
    status, _, err = run(capsys, "train", "--lr-end", "0.1", "--epochs", "1", "--no-progress")
    assert status == 2 and "--lr-end goes with --schedule linear or cosine" in err
    status, _, err = run(capsys, "train", "--preset", "micrograd", "--activation", "tanh", "--no-progress")
    assert status == 2 and "--preset micrograd needs --activation relu, got tanh" in err
    status, out, _ = run(capsys, "train", "--init", "uniform", "--epochs", "1", "--samples", "20", "--no-progress")
    assert status == 0
