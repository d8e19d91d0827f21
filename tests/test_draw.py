"""draw() and save_drawing(): the graph view's DOT text, its hooks (parameters=, group=), escaping, rendering, saving.

The drawings of an MLP (nn.draw_mlp, the neuron and matrix views) are tested in test_views.py."""

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from autograd_core import GraphvizNotFoundError, Value, dot, draw, save_drawing
from autograd_core.dot import COLORS, INSTALL_GRAPHVIZ, GraphvizError, render_svg
from autograd_core.draw import layout_cost, op_text

from .conftest import clusters, deep_chain, low_recursion_limit, mlp, neuron

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = [
    "</script><script>alert(1)</script>",
    'a<b>&c"d',
    "{x}|y\\z",
    "line one\nline two",
    "tab\tbell\x07nul\x00",
    "]]><!-- -->",
    "é δ ∂ 😀",
    "&amp; &#x41; &lt;",
    "]",
    "]] [",
    "ends with a backslash\\",
]


def node_line(source, label):
    """The DOT statement of the node whose label starts with ``label``."""
    (line,) = [s for s in source.splitlines() if f"<b>{label}</b>" in s]
    return line


# ---- the graph view: DOT text ------------------------------------------------------------


def test_nodes_show_label_op_data_and_grad_and_edges_the_local_derivative():
    o = neuron()
    o.backward()
    source = draw(o).source
    assert source.count(" -> ") == 9
    line = node_line(source, "o")
    assert "tanh" in line and "data 0.7071" in line and "grad 1<" in line
    assert "×" in node_line(source, "x1*w1")
    assert "grad -1.5" in node_line(source, "x1")
    assert re.search(r'-> n\d+ \[id=n\d+_0 label="-3"\]', source)  # d(x1*w1)/d(x1) = w1 = -3
    assert "local derivatives ∂child/∂parent" in source
    plain = draw(o, show_local_grads=False).source
    assert 'label="' not in "".join(s for s in plain.splitlines() if " -> " in s)


def test_grads_read_not_computed_until_a_backward_pass():
    o = neuron()
    assert source_has(draw(o), "grad: not computed")
    o.backward()
    assert not source_has(draw(o), "grad: not computed")


def source_has(graph, text):
    return text in graph.source


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda x: x * 2, "× 2"),
        (lambda x: x + 1, "+ 1"),
        (lambda x: x - 1.5, "− 1.5"),
        (lambda x: 2 - x, "2 −"),
        (lambda x: x / 4, "÷ 4"),
        (lambda x: 2 / x, "2 ÷"),
        (lambda x: x**2, "** 2"),
        (lambda x: 2**x, "2 **"),
        (lambda x: -x, "neg"),
        (lambda x: x * x, "×"),
        (lambda x: x.exp(), "exp"),
        (lambda x: Value.sum([x, x, 1.5]), "Σ + 1.5"),
        (lambda x: Value.dot([x], [x], 0.5), "Σ x² + 0.5"),  # the same nodes as weights and inputs: squares
        (lambda x: Value.dot([x], [x]), "Σ x²"),
        (lambda x: Value.dot([x], [Value(2.0, "w")]), "Σ w·x"),
    ],
)
def test_the_op_is_drawn_with_the_number_it_folded_in(make, expected):
    node = make(Value(3.0, "x"))
    assert op_text(node) == expected
    assert expected in draw(node).source


def test_colours_by_role():
    x, w = Value(1.0, "x"), Value(2.0, "W1[0,0]")
    p = Value(3.0, "p")
    out = x * w + p
    source = draw(out, parameters=[p]).source
    fill = {label: re.search(r'fillcolor="([^"]+)"', node_line(source, label))[1] for label in ("x", "W1[0,0]", "p")}
    # only the leaves passed as parameters: the engine reads no meaning into a label like W1[0,0]
    assert fill == {"x": COLORS["input"], "W1[0,0]": COLORS["input"], "p": COLORS["parameter"]}
    assert f'fillcolor="{COLORS["output"]}"' in next(s for s in source.splitlines() if "×" not in s and "+" in s)
    assert f'fillcolor="{COLORS["intermediate"]}"' in next(s for s in source.splitlines() if "×" in s)


def test_rankdir_and_highlight():
    o = neuron()
    n = o.parents[0]
    source = draw(o, rankdir="TB", highlight=[n, (n, o)]).source
    assert "rankdir=TB" in source
    assert 'penwidth="3"' not in source  # attributes are written bare
    assert "penwidth=3" in node_line(source, "n")
    (edge,) = [s for s in source.splitlines() if " -> " in s and "penwidth=2.5" in s]
    assert edge.split(" [")[0].endswith(re.search(r"^\s*(n\d+) ", node_line(source, "o"))[1])
    with pytest.raises(ValueError, match="not a node of this graph"):
        draw(o, highlight=[Value(1.0)])
    with pytest.raises(ValueError, match=r"\(parent, child\) pairs"):
        draw(o, highlight=[(o, n)])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"rankdir": "RL"}, "rankdir must be one of 'LR', 'TB', got 'RL'"),
    ],
)
def test_bad_choices_are_named(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        draw(neuron(), **kwargs)


def test_root_must_be_a_value():
    with pytest.raises(TypeError, match="expected a Value as the root, got float"):
        draw(3.0)  # type: ignore[arg-type]


def test_node_cap_says_how_many_the_cap_and_what_to_do():
    x = Value(1.0, "x")
    v = x
    for _ in range(50):
        v = v * 1.01
    with pytest.raises(ValueError) as e:
        draw(v, max_nodes=20)
    message = str(e.value)
    assert "51 nodes" in message and "max_nodes=20" in message and "pass a larger max_nodes" in message
    assert "neuron" not in message  # the engine knows nothing of layers
    assert draw(v, max_nodes=51).source.count(" -> ") == 50


def test_same_graph_same_text_and_an_identical_graph_too():
    o = neuron()
    o.backward()
    again = neuron()
    again.backward()
    assert draw(o).source == draw(o).source == draw(again).source
    loss = mlp()
    loss.backward()
    twin = mlp()
    twin.backward()
    assert draw(loss).source == draw(twin).source


def test_node_names_come_from_the_topological_order_never_from_id():
    source = draw(neuron()).source
    assert re.findall(r"^\s*(n\d+) \[", source, re.M) != []
    assert str(id(neuron())) not in source
    assert not re.search(r">#\d", source)  # every node of this graph is labelled
    unnamed = draw((Value(1.0) * 2).tanh()).source
    assert ">#1<" in unnamed and ">#3<" in unnamed  # unlabelled nodes are numbered in reading order


def test_unnamed_nodes_are_numbered_in_reading_order():
    from autograd_core import topological_order
    from autograd_core.draw import node_names

    a, b, c, d = (Value(x, name) for x, name in zip([1.0, 2.0, 3.0, 4.0], "abcd"))
    ab, cd = a * b, c * d
    out = (ab + cd).tanh()
    names = node_names(topological_order(out))
    assert [names[ab], names[cd], names[out.parents[0]], names[out]] == ["#1", "#2", "#3", "#4"]
    assert names[a] == "a"


# ---- escaping --------------------------------------------------------------------------


@pytest.mark.parametrize("label", HOSTILE)
def test_hostile_labels_cannot_break_the_dot_text(label):
    x = Value(1.0, label)
    out = x * 2
    out.label = label
    for line in draw(out).source.splitlines():
        if "label=<" in line:
            inner = line.split("label=<", 1)[1]
            assert "<script" not in inner and "\x00" not in inner and "\n" not in inner
    assert "&lt;/script&gt;" in draw(Value(1.0, HOSTILE[0])).source


@pytest.mark.parametrize("label", HOSTILE)
def test_hostile_labels_render_to_valid_svg_showing_the_label(label, needs_dot):
    x = Value(1.0, label)
    out = x * 2
    out.label = label
    root = ET.fromstring(render_svg(draw(out)).encode())  # well-formed XML, whatever the label
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    shown = "".join(texts)
    for part in label.split("\n"):  # a newline starts a new line of the box; other controls are shown escaped
        escaped = "".join(c if c.isprintable() else repr(c)[1:-1] for c in part)
        for word in escaped.split():
            assert word in shown
    assert not list(root.iter(f"{SVG}script"))
    assert all(tag.tag.startswith(SVG) for tag in root.iter())


# ---- rendering and saving ------------------------------------------------------------------


def test_svg_shows_every_node_and_number(needs_dot):
    o = neuron()
    o.backward()
    root = ET.fromstring(render_svg(draw(o)).encode())
    nodes = [g for g in root.iter(f"{SVG}g") if g.get("class") == "node"]
    assert len(nodes) == 10
    texts = {tuple(t.text.strip() for t in g.iter(f"{SVG}text") if t.text.strip()) for g in nodes}
    assert ("o", "tanh", "data 0.7071", "grad 1") in texts
    assert ("x1", "data 2", "grad -1.5") in texts


def test_displays_inline_in_jupyter_scaled_to_the_width(needs_dot):
    drawing = draw(neuron())
    bundle = drawing._repr_mimebundle_()
    assert list(bundle) == ["text/html", "image/svg+xml", "text/plain"]
    assert bundle["image/svg+xml"].startswith("<svg") and "data 0.7071" in bundle["image/svg+xml"]  # no HTML needed
    assert bundle["text/html"].startswith('<div style="overflow-x:auto"><svg style="max-width:100%;height:auto"')
    assert "viewBox" in bundle["text/html"] and "<?xml" not in bundle["text/html"]
    assert (
        bundle["text/plain"]
        == repr(drawing)
        == ("<drawing: graph of o, 9 edges; .source is the DOT text, save_drawing(drawing, 'graph.svg') writes it>")
    )


@pytest.mark.parametrize(
    "extension, magic", [("svg", b"<?xml"), ("png", b"\x89PNG"), ("pdf", b"%PDF"), ("dot", b"digraph")]
)
def test_save_picks_the_format_from_the_extension(tmp_path, extension, magic, needs_dot):
    path = save_drawing(draw(neuron()), tmp_path / f"graph.{extension.upper()}")
    assert path.read_bytes().startswith(magic)
    assert os.listdir(tmp_path) == [path.name]  # no temporary file left behind


def test_save_refuses_unknown_extensions_and_missing_directories(tmp_path):
    g = draw(neuron())
    with pytest.raises(ValueError, match=r"expected a file name ending in .svg, .png, .pdf, .dot or .gv, got .jpeg"):
        save_drawing(g, tmp_path / "graph.jpeg")
    with pytest.raises(ValueError, match="got no extension"):
        save_drawing(g, tmp_path / "graph")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_drawing(g, tmp_path / "missing" / "graph.dot")
    assert os.listdir(tmp_path) == []


def test_save_replaces_a_file_whole_and_keeps_it_when_rendering_fails(tmp_path, monkeypatch):
    path = tmp_path / "graph.svg"
    path.write_text("old")
    save_drawing(draw(neuron()), path.with_suffix(".dot"))
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot on PATH: rendering fails
    with pytest.raises(GraphvizNotFoundError):
        save_drawing(draw(neuron()), path)
    assert path.read_text() == "old"
    assert sorted(os.listdir(tmp_path)) == ["graph.dot", "graph.svg"]


def test_without_dot_the_text_works_and_rendering_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    g = draw(neuron())
    assert g.source.startswith("digraph")
    save_drawing(g, tmp_path / "graph.dot")
    assert "brew install graphviz" in g._repr_mimebundle_()["text/plain"]  # in Jupyter: the text, no error
    for render in (lambda: save_drawing(g, tmp_path / "graph.svg"), lambda: g.pipe(format="svg")):
        with pytest.raises(GraphvizNotFoundError) as e:
            render()
        for command in (
            "sudo apt-get install graphviz",
            "brew install graphviz",
            "conda install -c conda-forge graphviz",
        ):
            assert command in str(e.value)
    assert "sudo apt-get install graphviz" in INSTALL_GRAPHVIZ


def test_importing_the_engine_imports_no_graphviz():
    code = "import sys, autograd_core; autograd_core.draw(autograd_core.Value(1.0)); print('graphviz' in sys.modules)"
    check = "import sys, autograd_core; print('graphviz' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", check], capture_output=True, text=True).stdout.strip() == "False"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "True"


@pytest.mark.slow
def test_a_deep_chain_hits_the_cap_without_recursion():
    _, v = deep_chain(10_000)
    with low_recursion_limit(), pytest.raises(ValueError, match="20,001 nodes, more than max_nodes=300"):
        draw(v)


# ---- the hooks: parameters= and group= -------------------------------------------------


def test_group_nests_clusters_in_natural_order_and_parameters_are_coloured():
    xs = [Value(float(i), f"v{i}") for i in range(12)]
    out = Value.sum(xs, label="out")
    group = lambda node: None if node is out else (f"g{int(node.label[1:]) % 11}", f"inner {node.label}")  # noqa: E731
    source = draw(out, group=group, parameters=xs[:2]).source
    blocks = clusters(source)
    assert blocks["g0"] == ["v0", "v11"] and blocks["g0/inner v11"] == ["v11"]
    titles = [t for t in re.findall(r'subgraph cluster\w* \{ label="([^"]*)"', source) if "/" not in t]
    top = [t for t in titles if t.startswith("g")]
    assert top == [f"g{i}" for i in range(11)]  # g2 before g10: numbers compare as numbers
    assert "out" not in {label for labels in blocks.values() for label in labels}
    assert node_line(source, "v0").count(COLORS["parameter"]) == 1
    assert node_line(source, "v5").count(COLORS["input"]) == 1  # leaves are inputs unless named as parameters
    assert "subgraph" not in draw(out).source


def test_parameters_of_a_dot_node_are_placed_beside_the_inputs_they_multiply():
    a = [Value(1.0, "x").tanh(), Value(2.0, "y").tanh()]
    w, b = [Value(0.5, "w0"), Value(-0.5, "w1")], Value(0.1, "b")
    z = Value.dot(w, a, b, label="z")
    source = draw(z, parameters=[*w, b]).source
    assert len(re.findall(r"-> \w+ \[style=invis\]", source)) == 3
    assert "style=invis" not in draw(z).source  # without parameters, nothing is known to place


def test_the_legend_lists_only_the_roles_that_are_drawn():
    x = Value(1.0, "x")
    legend = draw(x * 2).source.split("label=<<table")[-1]
    assert ">input<" in legend and ">output<" in legend and ">parameter<" not in legend
    assert ">parameter<" in draw(x * 2, parameters=[x]).source


# ---- bounded drawing time: parallel edges, the layout cost, dot's time limit ------------


def sum_of(name, terms):
    """name + name + ... + name, as the expression parser builds it: one leaf feeding every node."""
    from autograd_core.expr import parse

    return parse("+".join([name] * terms), {name: 1.0})


def test_parallel_edges_are_drawn_as_one_edge_that_says_how_many():
    a = Value(3.0, "a")
    source = draw(a * a).source
    assert source.count(" -> ") == 1 and '"3 (2 edges each)"' in source
    x = Value(2.0, "x")
    source = draw(Value.dot([x, x, Value(5.0, "w")], [x, 1.0, x])).source  # x·x + x·1 + w·x
    assert '"2, 1, 5 (4 edges)"' in source  # ∂/∂x of each: x (weight 0), 1, x (input 0), w (input 2)
    assert source.count(" -> ") == 2
    assert '"×2"' in draw(a * a, show_local_grads=False).source


def test_the_layout_cost_counts_the_ranks_long_edges_cross():
    from autograd_core import topological_order

    chain = Value(1.0, "x")
    for _ in range(50):
        chain = chain * 1.01
    assert layout_cost(topological_order(chain), True) == 51 + 50  # one label per edge, no long edge
    order = topological_order(sum_of("a", 100))
    assert layout_cost(order, True) > 50 * layout_cost(order[:2], True)  # a feeds nodes at 99 depths
    assert layout_cost(order, False) < layout_cost(order, True)


def test_a_costly_layout_is_refused_up_front_with_advice():
    out = sum_of("a", 100)  # 199 characters: Graphviz took minutes on it before
    with pytest.raises(
        ValueError, match=r"draw: this graph would be costly to lay out .* 'a' feeds nodes at 99 depths"
    ):
        draw(out)
    with pytest.raises(ValueError, match="show_local_grads=False"):
        draw(out, max_nodes=1000)
    from autograd_core import Stepper

    with pytest.raises(ValueError, match="Stepper: this graph would be costly to lay out"):
        Stepper(out)
    assert draw(sum_of("a", 40)).source.startswith("digraph")  # a short one still draws


def test_every_dot_run_has_a_time_limit_that_names_the_drawing(monkeypatch, needs_dot):
    monkeypatch.setattr(dot, "DOT_TIME_LIMIT", 1e-4)
    drawing = draw(neuron())
    for render in (lambda: render_svg(drawing), lambda: drawing.pipe(format="svg")):
        with pytest.raises(GraphvizError, match=r"did not finish laying out the drawing 'graph of o' within 0.0001 s"):
            render()
    assert "did not finish laying out" in drawing._repr_mimebundle_()["text/plain"]  # Jupyter: shown, not raised


def test_a_failure_of_dot_is_a_library_error_naming_the_drawing(needs_dot):
    from autograd_core.dot import digraph

    broken = digraph("LR", ["n0 -> -> n1"], "broken drawing")
    with pytest.raises(GraphvizError, match=r"dot failed on the drawing 'broken drawing' \(exit status 1\): Error"):
        render_svg(broken)
