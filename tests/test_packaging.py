"""The distribution: its version, its type hints, and an sdist whose test tree runs as it is."""

import importlib.metadata
import importlib.util
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import autograd_core
import nn
from autograd_core.metadata import NOT_INSTALLED, version

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["pyproject.toml", "README.md", "LICENSE", "MANIFEST.in", "Makefile"]
FOLDERS = ["autograd_core", "nn", "tests", "notebooks", "docs", "bench"]


def test_both_packages_give_the_installed_version():
    installed = importlib.metadata.version("autograd-core")
    assert autograd_core.__version__ == nn.__version__ == installed


def test_the_version_without_metadata_is_a_placeholder(monkeypatch):
    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", missing)
    assert version() == NOT_INSTALLED == "0+unknown"


def test_backprop_version(capsys):
    from nn.cli import main

    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"backprop {importlib.metadata.version('autograd-core')}\n"


def test_both_packages_are_typed():
    for package in (autograd_core, nn):
        assert (Path(package.__file__).parent / "py.typed").exists()


@pytest.mark.slow
def test_the_sdist_holds_a_complete_test_tree_and_the_wheel_only_the_packages(tmp_path):
    for distribution in ("build", "setuptools"):
        if not installed(distribution):
            pytest.skip(f"{distribution} is not installed (pip install -e '.[dist]')")
    if not (ROOT / "pyproject.toml").exists():
        pytest.skip("not run from a source tree")
    source = copy_source(tmp_path / "source")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(tmp_path / "dist"), str(source)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    [sdist] = (tmp_path / "dist").glob("*.tar.gz")
    [wheel] = (tmp_path / "dist").glob("*.whl")

    with tarfile.open(sdist) as tar:
        shipped = {name.partition("/")[2] for name in tar.getnames()}
    for path in source.rglob("*"):
        if path.is_file() and path.relative_to(source).parts[0] in FOLDERS:
            assert str(path.relative_to(source)) in shipped
    assert {"tests/conftest.py", "tests/oracles.py", "tests/reference_mlp.py", "nn/py.typed"} <= shipped
    assert not any("__pycache__" in name or name.startswith(".ci") for name in shipped)

    with zipfile.ZipFile(wheel) as whl:
        names = whl.namelist()
        metadata = whl.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert {"autograd_core/py.typed", "nn/py.typed"} <= set(names)
    assets = {f"{p.parent.parent.name}/assets/{p.name}" for p in ROOT.glob("*/assets/*") if p.is_file()}
    assert {"autograd_core/assets/page.html", "autograd_core/assets/controls.js", "nn/assets/layers.js"} <= assets
    assert assets <= set(names)  # the pages' template, stylesheets and scripts ship in the wheel
    assert {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")} == {
        "autograd_core",
        "nn",
    }
    assert "Classifier: Typing :: Typed" in metadata and "Provides-Extra: plot" in metadata
    urls = [line.partition(", ")[0] for line in metadata.splitlines() if line.startswith("Project-URL: ")]
    assert [u.removeprefix("Project-URL: ") for u in urls] == ["Homepage", "Documentation", "Source", "Issues"]


def installed(distribution: str) -> bool:
    """Whether a distribution is installed. Not ``find_spec``: in an unpacked sdist, the build/
    folder that ``pip install .`` leaves is found as a namespace package named build."""
    try:
        importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def test_a_build_folder_is_not_the_build_package(tmp_path, monkeypatch):
    (tmp_path / "build").mkdir()
    monkeypatch.syspath_prepend(str(tmp_path))
    assert importlib.util.find_spec("build") is not None  # what the test used to ask, fooled
    assert not installed("no-such-distribution-here")
    assert installed("autograd-core")


def copy_source(to: Path) -> Path:
    """The files a checkout has (no venvs, caches or build output), so the build writes nowhere else."""
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", ".ipynb_checkpoints", "*.pyc")
    to.mkdir()
    for name in SOURCES:
        shutil.copy2(ROOT / name, to / name)
    for name in FOLDERS:
        shutil.copytree(ROOT / name, to / name, ignore=ignore)
    return to
