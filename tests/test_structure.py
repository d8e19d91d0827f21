"""The shape of the house: no module reaches into another's private names, and imports point one way.

(The engine's own rules, that it imports nothing of nn and parses no MLP label, are in test_labels.py.)
"""

import ast
import functools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("autograd_core", "nn")


@functools.cache
def modules():
    """{"nn.matrix": its syntax tree, ...} for every module of both packages."""
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).glob("*.py")):
            name = package if path.stem == "__init__" else f"{package}.{path.stem}"
            out[name] = ast.parse(path.read_text(encoding="utf-8"))
    return out


def imports_of(module, tree):
    """(imported module, names) for every `from x import ...` and `import x` inside the packages."""
    found = []
    for node in ast.walk(tree):  # anywhere: in a function or under TYPE_CHECKING, it is still an import
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] in PACKAGES:
            found.append((node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names if a.name.split(".")[0] in PACKAGES]
    return found


@pytest.mark.parametrize("module", sorted(modules()))
def test_no_module_imports_another_modules_private_names(module):
    for source, names in imports_of(module, modules()[module]):
        private = [n for n in names if n.startswith("_") and not n.startswith("__")]
        assert not private, f"{module} imports the private name(s) {private} from {source}: give them a public home"


def test_the_modules_import_each_other_without_a_cycle():
    graph = {}
    for module, tree in modules().items():
        targets = set()
        for source, names in imports_of(module, tree):
            # `from nn import labels` imports the module nn.labels; `from nn.matrix import X` imports nn.matrix
            subs = [f"{source}.{n}" for n in names if f"{source}.{n}" in modules()]
            targets.update(subs or [source])
        graph[module] = {t for t in targets if t != module and t not in PACKAGES}
    state = {}

    def visit(name, path):
        assert state.get(name) != "open", f"import cycle: {' -> '.join([*path, name])}"
        if state.get(name) == "done":
            return
        state[name] = "open"
        for other in sorted(graph.get(name, ())):
            visit(other, [*path, name])
        state[name] = "done"

    for name in sorted(graph):
        visit(name, [])
