"""Shared test settings (hypothesis runs derandomized: the same examples every run), the fixtures for
the tools some tests need (dot, Chromium), and the helpers several test modules share."""

import contextlib
import os
import re
import shutil
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from autograd_core import Value

settings.register_profile(
    "default",
    derandomize=True,
    deadline=None,
    database=None,
    max_examples=int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", "100")),
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("default")

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""Chromium's flags for the browser tests: headless, and nothing that reaches for the network."""


def require(available: bool, what: str) -> None:
    """Skip a test whose tool is missing, saying why; in CI (CI=true) fail instead of skipping."""
    if available:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required in CI (CI=true) but missing; run `make system-deps`")
    pytest.skip(f"{what} is missing (run `make system-deps`)")


@pytest.fixture
def needs_dot() -> None:
    """For tests that render with Graphviz's dot."""
    require(shutil.which("dot") is not None, "Graphviz's dot")


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (the system's, driven by Playwright), one per test module."""
    import importlib.util

    require(importlib.util.find_spec("playwright") is not None, "the playwright Python package")
    require(os.access(CHROMIUM, os.X_OK), f"Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


# ---- graphs, batches and page probes that several test modules use ----------------------------


def neuron():
    """micrograd's neuron: o = tanh(x1*w1 + x2*w2 + b), every node labelled."""
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2 = Value(-3.0, "w1"), Value(1.0, "w2")
    b = Value(6.8813735870195432, "b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    s = x1w1 + x2w2
    s.label = "x1*w1 + x2*w2"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def mlp(sizes=(2, 3, 2), x=(0.5, -1.2), y=(1.0, 0.0), inputs_as_values=False, samples=1):
    """An MLP graph built by hand with the label conventions of nn, and a squared-error loss."""
    params = {}
    for layer in range(1, len(sizes)):
        for j in range(sizes[layer]):
            for k in range(sizes[layer - 1]):
                params[f"W{layer}[{j},{k}]"] = Value(0.1 * (j + 1) - 0.07 * k * layer, f"W{layer}[{j},{k}]")
            params[f"b{layer}[{j}]"] = Value(0.05 * j - 0.1, f"b{layer}[{j}]")
    terms = []
    for _ in range(samples):
        a = [Value(v, f"x[{k}]") for k, v in enumerate(x)] if inputs_as_values else list(x)
        for layer in range(1, len(sizes)):
            out = []
            for j in range(sizes[layer]):
                w = [params[f"W{layer}[{j},{k}]"] for k in range(sizes[layer - 1])]
                z = Value.dot(w, a, params[f"b{layer}[{j}]"], label=f"z{layer}[{j}]")
                if layer < len(sizes) - 1:
                    z = z.tanh()
                    z.label = f"a{layer}[{j}]"
                out.append(z)
            a = out
        terms += [(o - t) ** 2 for o, t in zip(a, y)]
    return Value.sum(terms, label="loss")


def clusters(source):
    """{cluster title path: labels of the nodes declared inside it (nested clusters included)}."""
    blocks, open_ = {}, []
    for line in source.splitlines():
        m = re.match(r'\s*subgraph cluster\w* \{ label="([^"]*)"', line)
        if m:
            open_.append(m[1])
            blocks["/".join(open_)] = []
        elif line.strip() == "}" and open_:
            open_.pop()
        else:
            label = re.search(r"<b>([^<]+)</b>", line)
            if label and " -> " not in line:
                for depth in range(1, len(open_) + 1):
                    blocks["/".join(open_[:depth])].append(label[1])
    return blocks


def data(model, n, loss, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, model.sizes[0]))
    k = model.sizes[-1]
    Y = {
        "mse": rng.normal(size=(n, k)),
        "cross_entropy": rng.integers(0, k, n),
        "binary_cross_entropy": rng.integers(0, 2, (n, 1)).astype(float),
        "hinge": rng.choice([-1.0, 1.0], (n, 1)),
    }[loss]
    return X, Y


TEXTS_OUTSIDE_THEIR_BOX = """() => {
  const bad = [];
  document.querySelectorAll("g.node").forEach(g => {
    const shape = g.querySelector("path, polygon");
    if (!shape) return;
    const box = shape.getBoundingClientRect();
    g.querySelectorAll("text").forEach(t => {
      const r = t.getBoundingClientRect();
      if (!r.width || r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 1
          || r.bottom > box.bottom + 1) bad.push(g.id + ": " + JSON.stringify(t.textContent));
    });
  });
  return bad;
}"""


IN_VIEW = """selector => {
  const el = document.querySelector(selector), r = el.getBoundingClientRect();
  const graph = document.querySelector(".ag-graph").getBoundingClientRect();
  const inWindow = r.width > 0 && r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight;
  const inGraph = !el.closest(".ag-graph") || (r.left >= graph.left && r.right <= graph.right
    && r.top >= graph.top && r.bottom <= graph.bottom);
  return inWindow && inGraph;
}"""


def wide_loss():
    """The mse of MLP(2, [13, 13, 1]) on one sample: 292 nodes, and 27 parents to each z2 node."""
    import nn

    model = nn.MLP(2, [13, 13, 1], seed=0)
    loss = nn.mse([model([0.5, -1.0])], [[1.0]])
    loss.backward()
    return loss


RECT = "e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }"


def rect(page, selector):
    """The element's [left, top, right, bottom] in the viewport of its page (or frame)."""
    return page.eval_on_selector(selector, RECT)


def inside(inner, outer, slack=0.5):
    """Rectangle ``inner`` lies within ``outer``."""
    return all(inner[i] >= outer[i] - slack for i in (0, 1)) and all(inner[i] <= outer[i] + slack for i in (2, 3))


def apart(a, b):
    """Rectangles ``a`` and ``b`` do not overlap."""
    return a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


CURRENT_IN_MINIMAP = """() => {
  const data = JSON.parse(document.querySelector(".ag-data").textContent);
  const id = document.querySelector(".ag-stepper").dataset.current || data.root, b = data.boxes[id];
  const vb = document.querySelector(".ag-graph svg").viewBox.baseVal;
  const c = document.querySelector(".ag-minimap canvas").getBoundingClientRect();
  const f = document.querySelector(".ag-minimap-view").getBoundingClientRect();
  const x = c.left + (b[0] + b[2] / 2) * c.width / vb.width, y = c.top + (b[1] + b[3] / 2) * c.height / vb.height;
  return x >= f.left - 2 && x <= f.right + 2 && y >= f.top - 2 && y <= f.bottom + 2;
}"""

"""In the node stepper: the minimap's frame (the part of the graph in view) is round the current node."""

FRAME_CENTRE = """() => {
  const f = document.querySelector(".ag-minimap-view").getBoundingClientRect();
  return [(f.left + f.right) / 2, (f.top + f.bottom) / 2];
}"""


@contextlib.contextmanager
def low_recursion_limit(headroom=120):
    """A recursion limit only ``headroom`` frames above the caller's own depth. A graph walk that
    recursed once per level of a 20,000-node chain fails inside; one that does not recurse runs
    as it would at any limit (micrograd's recursive sort fails at 496 links of the default 1000)."""
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + headroom)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def deep_chain(links=10_000):
    """x and v = x * 1.000001 + 0.0, ``links`` times over: a chain of 2 * links + 1 nodes."""
    x = Value(1.0, "x")
    v = x
    for _ in range(links):
        v = v * 1.000001 + 0.0
    return x, v


def assert_no_cycle(graph):
    """Fail naming the cycle, if the directed graph {name: names it points to} has one."""
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
