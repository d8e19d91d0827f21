"""fit's progress bar (which kind, and when) and the History it returns."""

import sys
import warnings

import numpy as np
import pytest
from tqdm.notebook import tqdm as notebook_bar
from tqdm.std import tqdm as text_bar

import nn
from nn import train
from nn.data import moons
from nn.train import History


@pytest.mark.parametrize(
    "history, text",
    [
        (History([0.659, 0.1, 0.00176], [0.65, 1, 1]), "History(3 epochs: loss 0.659 → 0.00176, accuracy 65% → 100%)"),
        (History([0.5], [0.995]), "History(1 epoch: loss 0.5, accuracy 99.5%)"),
        (History([3.25, 1.0], [None, None]), "History(2 epochs: loss 3.25 → 1)"),
        (History(), "History(0 epochs)"),
    ],
)  # fmt: skip
def test_history_repr_shows_the_first_and_last_epoch(history, text):
    assert repr(history) == text


def test_fit_returns_a_history_whose_repr_fits_on_a_line():
    X, y = moons(40, noise=0.1, seed=0)
    history = nn.fit(nn.MLP(2, [4, 1], seed=0), X, y, epochs=12, progress=False)
    assert repr(history).startswith("History(12 epochs: loss ") and "accuracy" in repr(history)
    assert len(repr(history)) < 80


@pytest.fixture
def in_a_jupyter_kernel(monkeypatch):
    monkeypatch.setattr(train, "_in_jupyter_kernel", lambda: True)


@pytest.mark.usefixtures("in_a_jupyter_kernel")
def test_the_widget_bar_in_jupyter_with_ipywidgets():
    pytest.importorskip("ipywidgets", reason="ipywidgets is not installed (the notebooks extra)")
    assert train._bar_class() is notebook_bar


@pytest.mark.usefixtures("in_a_jupyter_kernel")
def test_the_text_bar_in_jupyter_without_ipywidgets_and_no_warning(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # `import ipywidgets` now fails
    assert train._bar_class() is text_bar
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # tqdm.auto would warn "IProgress not found" here
        nn.fit(nn.MLP(1, [1], seed=0), np.zeros((2, 1)), [0.0, 1.0], epochs=2)
    assert "IProgress" not in capsys.readouterr().err


def test_the_text_bar_outside_jupyter():
    assert not train._in_jupyter_kernel()  # pytest is not a kernel
    assert train._bar_class() is text_bar
