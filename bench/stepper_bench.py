"""Stepper benchmarks: building the step-through pages of one backward pass, printed as one JSON line.

    python bench/stepper_bench.py layer [--repeats 7] [--view neurons|matrix]
    python bench/stepper_bench.py node                       (slow: about a minute)
    python bench/stepper_bench.py node300 [--graph mlp|chain|wide] [--repeats 3]

The work: MLP(2, [16, 16, 1]) (ReLU hidden, linear output, seed 0) over 10 moons samples with
binary cross-entropy on the logit, averaged over the batch: a scalar graph of 999 nodes.
layer: nn.LayerStepper (the matrix view's equations, the scalar graph of the batch built and
       backpropagated once, the page); median seconds over the repeats and the page's bytes.
node:  autograd_core.Stepper of the same loss (every node's step, the graph laid out by
       Graphviz's dot); one build, its seconds and the page's bytes.
node300: the node Stepper of a graph of about 300 nodes (the default max_nodes), target ≤ 5 s:
       mlp, the mean squared error of MLP(2, [8, 8, 1]) (tanh) over the largest batch that keeps
       the graph within 300 nodes; chain, 150 links of tanh(v × c); wide, nn.MLPStepper of the mse
       of MLP(2, [13, 13, 1]) (tanh) on one sample: 292 nodes, each z2 node with 27 parents.
       Median of the repeats after a warm-up, in seconds and in this process's CPU seconds
       (median_cpu_s: the Python side, without Graphviz's dot, which runs as another process).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine_bench import count_nodes

from autograd_core import Stepper, Value
from nn import MLP, LayerStepper, MLPStepper, binary_cross_entropy, mse
from nn.data import moons

SIZES, SAMPLES = [2, 16, 16, 1], 10


def work() -> tuple[MLP, object, object]:
    X, y = moons(SAMPLES, seed=0)
    return MLP(SIZES[0], SIZES[1:], activation="relu", seed=0), X, y


def layer(repeats: int, view: str) -> dict:
    model, X, y = work()
    times, page = [], ""
    for _ in range(repeats):
        start = time.perf_counter()
        page = LayerStepper(model, X, y, loss="binary_cross_entropy", view=view).html
        times.append(time.perf_counter() - start)
    loss = binary_cross_entropy([model(x) for x in X.tolist()], y)
    return {
        "bench": f"LayerStepper, view={view}",
        "nodes": count_nodes(loss),
        "median_s": statistics.median(times),
        "runs": repeats,
        "page_bytes": len(page.encode("utf-8")),
    }


def node() -> dict:
    """The node stepper of the same loss. With the numbers on its edges its layout costs more than
    dot's budget (draw.LAYOUT_BUDGET), so it is refused before any layout starts; without them it
    is built, and Graphviz lays out all 999 nodes."""
    model, X, y = work()
    loss = binary_cross_entropy([model(x) for x in X.tolist()], y)
    start = time.perf_counter()
    try:
        Stepper(loss, max_nodes=1000)
        refused = None
    except ValueError as e:
        refused = {"seconds": time.perf_counter() - start, "message": str(e)}
    start = time.perf_counter()
    page = Stepper(loss, max_nodes=1000, show_local_grads=False).html
    return {
        "bench": "Stepper (node by node), show_local_grads=False",
        "nodes": count_nodes(loss),
        "median_s": time.perf_counter() - start,
        "runs": 1,
        "page_bytes": len(page.encode("utf-8")),
        "default_refused": refused,
    }


def mlp_300(target: int = 300) -> Value:
    """The mse of MLP(2, [8, 8, 1]) over the largest batch whose graph has at most ``target`` nodes."""
    model = MLP(2, [8, 8, 1], seed=0)

    def loss(samples: int) -> Value:
        X = [[0.1 * n, -0.2 * n + 0.5] for n in range(samples)]
        return mse([model(x) for x in X], [[float(n % 2)] for n in range(samples)])

    samples = 1
    while count_nodes(loss(samples + 1)) <= target:
        samples += 1
    root = loss(samples)
    root.backward()
    return root


def chain_300(links: int = 150) -> Value:
    v = Value(0.5, label="x")
    for i in range(links):
        v = (v * (1.01 if i % 2 else 0.99)).tanh()
    v.backward()
    return v


def wide_300() -> Value:
    """The mse of MLP(2, [13, 13, 1]) on one sample: 292 nodes, and 27 parents to each z2 node."""
    model = MLP(2, [13, 13, 1], seed=0)
    root = mse([model([0.5, -1.0])], [[1.0]])
    root.backward()
    return root


def node300(graph: str, repeats: int) -> dict:
    root = {"mlp": mlp_300, "chain": chain_300, "wide": wide_300}[graph]()
    nodes = count_nodes(root)
    page = MLPStepper if graph == "wide" else Stepper
    page(root, max_nodes=max(300, nodes))  # warm-up
    times, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        stepper = page(root, max_nodes=max(300, nodes))
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return {
        "bench": f"Stepper (node by node), {graph}",
        "nodes": nodes,
        "steps": len(stepper.steps),
        "median_s": statistics.median(times),
        "median_cpu_s": statistics.median(cpu),
        "runs": repeats,
        "page_bytes": len(stepper.html.encode("utf-8")),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["layer", "node", "node300"])
    ap.add_argument("--repeats", type=int, default=None, help="layer: 7; node300: 3")
    ap.add_argument("--view", choices=["neurons", "matrix"], default="neurons")
    ap.add_argument("--graph", choices=["mlp", "chain", "wide"], default="mlp", help="node300's graph")
    args = ap.parse_args()
    if args.what == "layer":
        print(json.dumps(layer(args.repeats or 7, args.view)))
    elif args.what == "node300":
        print(json.dumps(node300(args.graph, args.repeats or 3)))
    else:
        print(json.dumps(node()))


if __name__ == "__main__":
    main()
