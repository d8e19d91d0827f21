"""The label format (nn.labels) and the layering rule it serves: the engine below knows no layers."""

import ast
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nn import MLP, labels
from nn.labels import Label

from .conftest import assert_no_cycle

ENGINE = Path(__file__).resolve().parent.parent / "autograd_core"
index = st.integers(0, 10_000)
layer = st.integers(1, 10_000)


@given(layer, index, index)
def test_every_kind_of_label_round_trips(l, j, k):
    written = {
        labels.weight(l, j, k): Label("W", l, j, k),
        labels.bias(l, j): Label("b", l, j),
        labels.pre_activation(l, j): Label("z", l, j),
        labels.activation(l, j): Label("a", l, j),
        labels.input_(k): Label("x", 0, k),
    }
    for text, label in written.items():
        assert labels.parse(text) == label
        assert str(label) == text
    assert labels.parse_matrix_name(labels.weight_matrix(l)) == ("W", l)
    assert labels.parse_matrix_name(labels.bias_vector(l)) == ("b", l)


@pytest.mark.parametrize(
    "text",
    ["", "loss", "W1[0]", "b1[0,1]", "z0[1]", "z01[1]", "a1[-1]", "x1[0]", "W1[0,1] ", "w1[0,0]", "z1[0]]", "Σ"],
)
def test_anything_else_is_not_an_mlp_label(text):
    assert labels.parse(text) is None


def test_parameters_are_weights_and_biases():
    kinds = {text: labels.parse(text).is_parameter for text in ("W1[0,0]", "b2[3]", "z1[0]", "a1[0]", "x[0]")}
    assert kinds == {"W1[0,0]": True, "b2[3]": True, "z1[0]": False, "a1[0]": False, "x[0]": False}


def test_the_mlp_writes_its_nodes_with_this_module():
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    trace = model.forward([0.5, -1.0])
    for l, (zs, acts) in enumerate(zip(trace.z, trace.a), start=1):
        for j, (z, a) in enumerate(zip(zs, acts)):
            assert labels.parse(z.label) == Label("z", l, j)
            assert a is z or labels.parse(a.label) == Label("a", l, j)
    for p in model.parameters():
        assert labels.parse(p.label).is_parameter


def _engine_modules():
    return {path.stem: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(ENGINE.glob("*.py"))}


def test_the_engine_imports_nothing_from_nn_and_parses_no_mlp_labels():
    for name, tree in _engine_modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert (node.module or "").split(".")[0] != "nn", f"autograd_core/{name}.py imports {node.module}"
            if isinstance(node, ast.Import):
                assert all(a.name.split(".")[0] != "nn" for a in node.names), f"autograd_core/{name}.py imports nn"
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                label_pattern = "\\[" in node.value and "\\d" in node.value  # like W(\d+)\[(\d+),(\d+)\]
                assert not label_pattern, f"autograd_core/{name}.py has a label pattern: {node.value!r}"


def test_the_engine_has_no_import_cycle():
    imports = {}
    for name, tree in _engine_modules().items():
        found = set()
        for node in ast.walk(tree):  # anywhere: in a function or under TYPE_CHECKING, it is still a cycle
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("autograd_core."):
                found.add(node.module.split(".")[1])
        imports[name] = found
    assert_no_cycle(imports)
