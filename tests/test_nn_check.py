"""`import nn` taken over, for real, in a fresh interpreter: a learner's nn.py in the working folder,
a foreign nn package earlier on sys.path, PyPI's nn written over our nn/__init__.py (and deleted
with it). The backprop command says what happened and how to fix it."""

import base64
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOREIGN = "from tensorflow.keras import *\n"  # the first line of PyPI's nn 0.1.1
BACKPROP = "import sys; from autograd_core.nn_check import backprop; sys.argv[1:] = ['--version']; sys.exit(backprop())"


def run(code: str, cwd: Path, path: list[Path]) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, path))}
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


def test_our_own_nn_passes(tmp_path):
    done = run(BACKPROP, tmp_path, [ROOT])
    assert (done.returncode, done.stdout.split()[0], done.stderr) == (0, "backprop", "")


def test_a_learners_nn_py_in_the_working_folder(tmp_path):
    """A script, Jupyter and `python -m` search the working folder first (the backprop console
    script searches its own folder instead); `python -m autograd_core.nn_check` says what it finds."""
    (tmp_path / "nn.py").write_text("class MLP: pass\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    check = [sys.executable, "-m", "autograd_core.nn_check"]
    done = subprocess.run(check, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert f"{tmp_path / 'nn.py'} is a module named nn, and Python finds it before" in done.stdout
    assert "Rename your nn.py (e.g. to my_nn.py)" in done.stdout
    done = run(BACKPROP, tmp_path, [ROOT])  # the entry point's check, in an interpreter that sees it
    assert done.returncode == 1 and done.stdout == ""
    assert f"backprop: error: {tmp_path / 'nn.py'} is a module named nn" in done.stderr
    (tmp_path / "nn.py").unlink()
    done = subprocess.run(check, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("`import nn` gives autograd-core's nn, at ")


def fake_distribution(site: Path, name: str, version: str, files: dict[str, Path]) -> None:
    """A dist-info as pip writes it: METADATA and a RECORD with each file's sha256."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    rows = []
    for relative, path in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(path.read_bytes()).digest()).rstrip(b"=").decode()
        rows.append(f"{relative},sha256={digest},{path.stat().st_size}")
    (info / "RECORD").write_text("\n".join(rows) + "\n")


def test_a_foreign_nn_package_earlier_on_sys_path(tmp_path):
    site = tmp_path / "other-site"
    (site / "nn").mkdir(parents=True)
    (site / "nn" / "__init__.py").write_text(FOREIGN)
    fake_distribution(site, "nn", "0.1.1", {"nn/__init__.py": site / "nn" / "__init__.py"})
    done = run(BACKPROP, tmp_path, [site, ROOT])
    assert done.returncode == 1
    assert f"`import nn` finds the nn package of the distribution nn 0.1.1 at {site / 'nn'}" in done.stderr
    assert "Fix: pip uninstall nn" in done.stderr


def installed_copy(site: Path) -> Path:
    """Our two packages installed into ``site`` with their RECORD, as a wheel install leaves them."""
    ignore = shutil.ignore_patterns("__pycache__")
    for package in ("autograd_core", "nn"):
        shutil.copytree(ROOT / package, site / package, ignore=ignore)
    init = site / "nn" / "__init__.py"
    fake_distribution(site, "autograd-core", "0.1.0", {"nn/__init__.py": init})
    return init


def test_pypis_nn_written_over_our_init_then_deleted_with_it(tmp_path):
    site = tmp_path / "site-packages"
    init = installed_copy(site)
    done = run(BACKPROP, tmp_path, [site])
    assert done.returncode == 0, done.stderr  # as installed: the hash in RECORD matches

    init.write_text(FOREIGN)  # pip install nn: same folder, its own __init__.py
    fake_distribution(site, "nn", "0.1.1", {"nn/__init__.py": init})
    done = run(BACKPROP, tmp_path, [site])
    assert done.returncode == 1
    assert f"{init} is not the file autograd-core installed: the distribution nn 0.1.1 wrote its own" in done.stderr
    assert "Fix: pip uninstall nn, then pip install --force-reinstall --no-deps autograd-core" in done.stderr

    init.unlink()  # pip uninstall nn: it deletes the file it wrote
    shutil.rmtree(site / "nn-0.1.1.dist-info")
    done = run(BACKPROP, tmp_path, [site])
    assert done.returncode == 1
    assert (
        f"{init} is missing" in done.stderr and "pip install --force-reinstall --no-deps autograd-core" in done.stderr
    )
