"""The layer stepper at the seeds' sizes: its build time, its page, and what a notebook stores.

    python bench/layer_stepper_bench.py [--repeats 5]     prints one JSON line per case

Cases (targets of issue 19): Nielsen's 784-30-10 (sigmoid, ½-quadratic cost, η = 3.0 update steps)
over a mini-batch of 10 MNIST-shaped samples: a build of at most 2 s, a page of at most 3 MB and at
most 1 MB stored in a notebook (every format of its output as JSON: the inline page, the still
SVG of its first step, the repr); 784-100-10 the same; MLP(2, [16, 16, 1])
over 10 moons with binary cross-entropy: a build of at most 0.5 s, at most 300 KB stored. A build
is everything LayerStepper does: both views of the batch (the scalar graph built and
backpropagated once), the steps, the page. Median wall time of the repeats, after one warm-up.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from nn import MLP, LayerStepper
from nn.data import moons


def nielsen(hidden: int) -> tuple[MLP, Any, Any, dict]:
    rng = np.random.default_rng(0)
    model = MLP(784, [hidden, 10], activation="sigmoid", output_activation="sigmoid", seed=0)
    X = rng.uniform(size=(10, 784)) * (rng.uniform(size=(10, 784)) < 0.2)
    Y = np.eye(10)[rng.integers(0, 10, 10)]
    return model, X, Y, {"loss": "mse", "mse_half": True, "lr": 3.0}


def toy() -> tuple[MLP, Any, Any, dict]:
    X, y = moons(10, seed=0)
    return MLP(2, [16, 16, 1], activation="tanh", seed=0), X, y, {"loss": "binary_cross_entropy"}


CASES = {
    "784-30-10 over 10, with the update": (lambda: nielsen(30), 2.0, 3_000_000, 1_000_000),
    "784-100-10 over 10, with the update": (lambda: nielsen(100), None, None, None),
    "2-16-16-1 over 10": (toy, 0.5, None, 300_000),
}


def measure(name: str, repeats: int) -> dict:
    build, build_target, page_target, stored_target = CASES[name]
    model, X, Y, options = build()
    LayerStepper(model, X, Y, **options)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        stepper = LayerStepper(model, X, Y, **options)
        times.append(time.perf_counter() - start)
    page = len(stepper.html.encode())
    # what a notebook stores: every format of the output (the inline page, the still, the repr) as JSON
    stored = sum(len(json.dumps(v)) for v in stepper._repr_mimebundle_().values())
    median = statistics.median(times)
    return {
        "bench": name,
        "median_s": median,
        "runs": repeats,
        "page_bytes": page,
        "stored_bytes": stored,
        "targets": {"build_s": build_target, "page_bytes": page_target, "stored_bytes": stored_target},
        "met": all(
            target is None or value <= target
            for value, target in ((median, build_target), (page, page_target), (stored, stored_target))
        ),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    for name in CASES:
        print(json.dumps(measure(name, args.repeats)))


if __name__ == "__main__":
    main()
