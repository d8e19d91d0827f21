"""The Makefile's recipes, read with `make -n -B` (printed, never run): what each target installs."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def recipe(target: str) -> str:
    if shutil.which("make") is None or not (ROOT / "Makefile").exists():
        pytest.skip("make or the Makefile is missing")
    done = subprocess.run(["make", "-n", "-B", "-C", str(ROOT), target], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_demo_installs_the_plot_extra_and_dot_only():
    demo = recipe("demo")
    assert "-m pip install -q -e '.[plot]'" in demo and "bin/backprop demo" in demo
    assert "graphviz" in demo
    for heavy in ("chromium", "notebooks", "playwright", "--upgrade pip"):
        assert heavy not in demo


def test_test_installs_every_extra_and_chromium():
    pytest_recipe = recipe("pytest")
    assert "test,lint,digits,plot,notebooks" in pytest_recipe
    assert "graphviz" in pytest_recipe and "chromium" in pytest_recipe


def test_lab_allows_root_only_as_root():
    lab = next(line for line in recipe("lab").splitlines() if "jupyter lab" in line)
    assert ("--allow-root" in lab) == (os.geteuid() == 0)
