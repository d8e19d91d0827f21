"""Stepper benchmarks: building the step-through pages of one backward pass, printed as one JSON line.

    python bench/stepper_bench.py layer [--repeats 7] [--view neurons|matrix]
    python bench/stepper_bench.py node                       (slow: about a minute)

The work: MLP(2, [16, 16, 1]) (ReLU hidden, linear output, seed 0) over 10 moons samples with
binary cross-entropy on the logit, averaged over the batch: a scalar graph of 999 nodes.
layer: nn.LayerStepper (the matrix view's equations, the scalar graph of the batch built and
       backpropagated once, the page); median seconds over the repeats and the page's bytes.
node:  autograd_core.Stepper of the same loss (every node's step, the graph laid out by
       Graphviz's dot); one build, its seconds and the page's bytes.
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

from autograd_core import Stepper
from nn import MLP, LayerStepper, binary_cross_entropy
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
    model, X, y = work()
    loss = binary_cross_entropy([model(x) for x in X.tolist()], y)
    start = time.perf_counter()
    page = Stepper(loss, max_nodes=1000).html
    return {
        "bench": "Stepper (node by node)",
        "nodes": count_nodes(loss),
        "median_s": time.perf_counter() - start,
        "runs": 1,
        "page_bytes": len(page.encode("utf-8")),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["layer", "node"])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--view", choices=["neurons", "matrix"], default="neurons")
    args = ap.parse_args()
    print(json.dumps(layer(args.repeats, args.view) if args.what == "layer" else node()))


if __name__ == "__main__":
    main()
