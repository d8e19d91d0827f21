"""The shape of the house: no module reaches into another's private names, and imports point one way.

(The engine's own rules, that it imports nothing of nn and parses no MLP label, are in test_labels.py.)
"""

import ast
import functools
from pathlib import Path

import pytest

from .conftest import assert_no_cycle

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
    assert_no_cycle(graph)


def test_no_python_file_holds_a_string_constant_over_2000_characters():
    for module, tree in modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert len(node.value) <= 2000, f"{module} line {node.lineno}: a {len(node.value)}-character string"


def test_both_pages_are_built_from_the_shipped_files_with_one_script_for_the_controls():
    import numpy as np

    from autograd_core import Stepper, Value
    from autograd_core.page import asset
    from nn import MLP, LayerStepper

    scripts = {name: asset(package, name) for package, name in
               [("autograd_core", "controls.js"), ("autograd_core", "graph.js"), ("nn", "layers.js")]}  # fmt: skip
    # (the layer stepper's pictures take the arrow keys too, to move a picked cell: not stepping)
    for key in ("Home: 0", "End: count", "data-step", "data-current", "scrollBy", ".ag-next", "Ctrl + wheel"):
        holders = [name for name, text in scripts.items() if key in text]
        assert holders == ["controls.js"], (key, holders)  # the DOM contract is carried out in one script
    x = Value(2.0, label="x")
    node_page = Stepper((x * x).tanh()).html
    layer_page = LayerStepper(MLP(2, [3, 1], seed=0), np.ones((2, 2)), np.zeros((2, 1)), loss="mse").html
    for page, own in ((node_page, ("graph.css", "graph.js")), (layer_page, ("layers.css", "layers.js"))):
        package = "autograd_core" if own[0] == "graph.css" else "nn"
        assert page.count(asset("autograd_core", "controls.js")) == 1
        assert page.count(asset("autograd_core", "stepper.css")) == 1
        assert all(page.count(asset(package, name)) == 1 for name in own)
        assert '<meta name="viewport"' in page and page.count('class="ag-bar"') == 1
    assert asset("nn", "layers.js") not in node_page and asset("autograd_core", "graph.js") not in layer_page


def test_fill_refuses_a_missing_or_an_unused_value():
    from autograd_core.page import fill

    assert fill("<p>{{a}} {{b}}</p>", {"a": "{{b}}", "b": "2"}) == "<p>{{b}} 2</p>"  # a value is never a template
    with pytest.raises(KeyError, match="differ"):
        fill("{{a}}", {})
    with pytest.raises(KeyError, match="differ"):
        fill("{{a}}", {"a": "1", "b": "2"})


def test_no_test_module_imports_from_another_test_module():
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                source = (node.module or "").split(".")[-1]
                assert not source.startswith("test_"), f"{path.name} imports from {node.module}: share it in conftest"


def test_the_pictures_of_who_imports_whom_in_the_docs_are_the_codes_imports():
    """docs/architecture.md shows docs/images/modules-*.svg, drawn from the .dot beside them; the
    DOT must be what docs/modules.py reads from the code now, so the picture cannot drift."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "modules.py"), "--check"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr + done.stdout
