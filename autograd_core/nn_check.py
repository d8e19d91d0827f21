"""Whether ``import nn`` gives this distribution's nn, checked without importing it; and the
``backprop`` command's entry point, which checks before it hands over to ``nn.cli``.

    python -m autograd_core.nn_check     # from the folder where `import nn` misbehaves: what it finds

autograd-core ships two top-level packages, ``autograd_core`` and ``nn``. The name ``nn`` can be
taken from under it, silently:

- PyPI's unrelated ``nn`` distribution installs its own ``nn/__init__.py`` over ours (same
  folder), so ``import nn`` then fails on its imports (``No module named 'tensorflow'``), and
  uninstalling it deletes the file;
- a learner's own ``nn.py`` (or ``nn/`` folder) in the folder Python runs from, or anywhere on
  ``sys.path`` before ours, shadows the package.

Our nn lives beside this package (in site-packages, or in the source tree). The check finds where
``nn`` resolves (``importlib.util.find_spec``: nothing of it runs) and, for an installed copy,
compares its ``__init__.py`` with the hash in our distribution's RECORD. This is the one module of
the engine that names nn, and it imports nn only by name, at run time, after the check: the engine
itself still knows nothing of it.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import importlib.util
import sys
from pathlib import Path

DISTRIBUTION = "autograd-core"
HOME = Path(__file__).resolve().parent.parent / "nn"  # where our nn is: beside autograd_core
REINSTALL = f"pip install --force-reinstall --no-deps {DISTRIBUTION}"


def foreign_nn() -> str | None:
    """None when ``import nn`` gives autograd-core's nn; otherwise what took its place, and how to fix it."""
    if not (HOME / "__init__.py").is_file():
        return (
            f"{HOME / '__init__.py'} is missing, so nn is not {DISTRIBUTION}'s package (uninstalling PyPI's "
            f"unrelated `nn` deletes that file, which it had overwritten). Fix: {REINSTALL}"
        )
    try:
        spec = importlib.util.find_spec("nn")
    except (ImportError, ValueError) as e:  # a parent that fails, or an nn in sys.modules without a spec
        return f"`import nn` cannot be resolved ({e}); {DISTRIBUTION}'s nn is at {HOME}"
    origin = Path(spec.origin).resolve() if spec is not None and spec.origin not in (None, "namespace") else None
    if origin is None:
        return f"`import nn` finds no package named nn; {DISTRIBUTION}'s is at {HOME}, not on sys.path"
    if origin.name != "__init__.py":
        return (
            f"{origin} is a module named nn, and Python finds it before {DISTRIBUTION}'s nn package ({HOME}): "
            "the folder a script runs from, or the current folder in Jupyter and `python -c`, is searched first. "
            f"Rename your nn.py (e.g. to my_nn.py) and delete {origin.parent / '__pycache__'}/nn.*.pyc"
        )
    if origin.parent != HOME.resolve():
        owner = _owner(origin)
        what = f"the nn package of the distribution {owner}" if owner else "another package named nn"
        fix = f"pip uninstall {owner.split()[0]}" if owner else f"rename or remove {origin.parent}"
        return (
            f"`import nn` finds {what} at {origin.parent}, before {DISTRIBUTION}'s nn ({HOME}), "
            f"as it comes first on sys.path. Fix: {fix}, or take its folder off sys.path (PYTHONPATH)"
        )
    if not _as_installed(origin):
        owner = _owner(origin)
        who = f"the distribution {owner}" if owner else "another distribution named nn (PyPI's `nn`, most likely)"
        uninstall = f"pip uninstall {owner.split()[0] if owner else 'nn'}"
        return (
            f"{origin} is not the file {DISTRIBUTION} installed: {who} wrote its own nn/__init__.py over it "
            f"(both install a package named nn into the same folder). Fix: {uninstall}, then {REINSTALL}"
        )
    return None


def _as_installed(init: Path) -> bool:
    """Whether nn/__init__.py has the hash our RECORD gives it (True when there is no RECORD to
    compare with: a source tree, an editable install)."""
    try:
        files = importlib.metadata.distribution(DISTRIBUTION).files or []
    except importlib.metadata.PackageNotFoundError:
        return True
    for f in files:
        if f.as_posix() == "nn/__init__.py" and f.hash is not None and Path(f.locate()).resolve() == init:
            digest = base64.urlsafe_b64encode(hashlib.new(f.hash.mode, init.read_bytes()).digest()).rstrip(b"=")
            return digest.decode() == f.hash.value
    return True


def _owner(init: Path) -> str | None:
    """The installed distribution other than ours whose RECORD lists this nn/__init__.py, as
    "name version" (read only when something is wrong: it walks every installed distribution)."""
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"] or ""
        if name.lower().replace("_", "-") == DISTRIBUTION:
            continue
        for f in dist.files or []:
            if f.as_posix() == "nn/__init__.py" and Path(f.locate()).resolve() == init:
                return f"{name} {dist.version}"
    return None


def backprop() -> int:
    """The ``backprop`` command: the check, then ``nn.cli.main``."""
    problem = foreign_nn()
    if problem is not None:
        print(f"backprop: error: {problem}", file=sys.stderr)
        return 1
    cli = importlib.import_module("nn.cli")
    status: int = cli.main()
    return status


if __name__ == "__main__":  # `python -m` searches the working folder first, as a script or Jupyter does
    found = foreign_nn()
    print(found or f"`import nn` gives {DISTRIBUTION}'s nn, at {HOME}")
    sys.exit(1 if found else 0)
