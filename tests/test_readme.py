"""The README's Python examples work when pasted: each ```python block runs in a fresh process."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_the_readme_has_examples():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_example_runs(code, tmp_path, needs_dot):
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    if "compare_gradients" in code:
        assert done.stdout.strip().endswith("True")


def test_the_readmes_report_of_a_mistake_is_what_the_code_prints():
    """The prose says: write BP2 with sigmoid(As[l]) instead, and the report says (the block after it)."""
    code = next(block for block in BLOCKS if "def my_backprop" in block)
    wrong = code.replace("As[l] * (1 - As[l])", "sigmoid(As[l]) * (1 - sigmoid(As[l]))")
    wrong = wrong.replace("backprop=my_backprop).ok)", 'backprop=my_backprop, notation="nielsen"))')
    assert wrong.count("sigmoid(As[l])") == 2 and 'notation="nielsen"' in wrong
    done = subprocess.run([sys.executable, "-c", wrong], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    text = README.read_text(encoding="utf-8")
    shown = re.search(r"`notation=\"nielsen\"`, his input being layer 1\) says:\n\n```\n(.*?)```", text, re.S)[1]
    printed = done.stdout.splitlines()
    for line in shown.splitlines():
        if line == "...":
            continue
        if line.startswith("disagrees:") and "torch: skipped" in done.stdout:
            line = line.replace(", PyTorch", "")
        if line.endswith("(...)"):
            assert any(p.startswith(line[:-5]) for p in printed), (line, done.stdout)
        else:
            assert line in printed, (line, done.stdout)


def test_every_image_and_link_is_absolute_into_the_repository_so_it_shows_on_pypi():
    """PyPI renders the README without the repository around it: a relative image or link breaks.
    Each one points into the repository named once in pyproject.toml, at a file that exists."""
    pyproject = (README.parent / "pyproject.toml").read_text(encoding="utf-8")
    repository = re.search(r'^Source = "(https://github\.com/[\w.-]+/[\w.-]+)"$', pyproject, re.M)[1]
    raw = repository.replace("https://github.com/", "https://raw.githubusercontent.com/") + "/main/"
    targets = re.findall(r"\]\(([^)\s]+)\)", README.read_text(encoding="utf-8"))
    assert len(targets) >= 10
    for target in targets:
        assert target.startswith((raw, repository)), f"not absolute into {repository}: {target}"
        path = target.removeprefix(raw).removeprefix(repository + "/blob/main/")
        if path != target and path != repository:
            assert (README.parent / path).exists(), f"{target}: no such file {path}"
    for name in ("Homepage", "Documentation", "Issues"):
        assert re.search(rf'^{name} = "{re.escape(repository)}', pyproject, re.M), name
