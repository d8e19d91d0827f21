"""nn benchmarks: one measurement per process, printed as one JSON line.

    python bench/nn_bench.py demo     --engine ours|micrograd [--gc on|off]
    python bench/nn_bench.py gradient --engine ours|micrograd [--gc on|off]
    python bench/nn_bench.py parts [--gc on|off]

demo:     micrograd's demo training step: MLP(2, [16, 16, 1]) (ReLU, linear output), 100 moons
          points, max-margin loss + 1e-4 * L2, forward + backward + SGD update. micrograd runs
          its demo's own code; ours the same step with nn's API. The floor (demo_floor.py: the
          same step with floats and lists, no graph) is timed in the same process, alternating
          step by step with the engine's, and reported as the ratio of the two medians, in
          wall-clock time and in CPU time (on a busy machine, the wall clock also counts the
          time spent waiting for a core, and the two steps do not wait alike).
parts:    our demo step cut into its parts (forward, losses, zero_grad, topological order, the
          backward loop, SGD, freeing the graph) and the floor, each in CPU time, one line.
gradient: the full gradient of MLP(64, [32, 10]) (ReLU hidden) for one sample of 64 inputs
          under softmax cross-entropy. micrograd 0.1.0 has no exp or log, so they are added to
          its Value here exactly as its lecture version defines them; the cross-entropy is the
          usual log-sum-exp with the max subtracted.
Steps run in a loop (graphs dropped each time, as in training); median seconds per step.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import math
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import demo_floor
import numpy as np
from engine_bench import count_nodes

from nn.data import moons

Times = dict[str, list[float]]


def timed(step: Any, repeats: int, floor: Any = None) -> tuple[Times, Times, Any]:
    """Seconds per step of ``step``, and of ``floor`` timed right after each step, on two clocks:
    "wall" (time.perf_counter) and "cpu" (time.process_time, which leaves out the time the
    process waits for a core on a busy machine); then one more step's root, to count its nodes.

    Each step's result is dropped inside its own timing, so freeing its graph is part of the step
    (as in a training loop), and nothing of the engine's is alive while the floor runs.
    """
    step()  # warm-up
    if floor is not None:
        floor()
    times: Times = {"wall": [], "cpu": []}
    floor_times: Times = {"wall": [], "cpu": []}
    for _ in range(repeats):
        for run, record in ((step, times), (floor, floor_times)):
            if run is None:
                continue
            t0, c0 = time.perf_counter(), time.process_time()
            run()
            c1, t1 = time.process_time(), time.perf_counter()
            record["wall"].append(t1 - t0)
            record["cpu"].append(c1 - c0)
    return times, floor_times, step()


# ---- micrograd's demo step ---------------------------------------------------------------------
def demo_micrograd(X: list[list[float]], y: list[float]) -> Any:
    from micrograd.engine import Value
    from micrograd.nn import MLP

    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    k = [0]

    def step() -> Any:  # the body of micrograd's demo.ipynb training loop
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k[0] / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        k[0] += 1
        return total_loss

    return step


def demo_ours(X: list[list[float]], y: list[float]) -> Any:
    from nn import MLP, hinge, l2_penalty

    model = MLP(2, [16, 16, 1], activation="relu", init="uniform", seed=1337)
    params = model.parameters()
    k = [0]

    def step() -> Any:
        scores = [model(x) for x in X]
        total_loss = hinge(scores, y) + l2_penalty(params, 1e-4)
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k[0] / 100
        for p in params:
            p.data -= learning_rate * p.grad
        k[0] += 1
        return total_loss

    return step


def demo_parts(X: list[list[float]], y: list[float], repeats: int) -> dict[str, float]:
    """Our demo step cut into its parts, each timed on its own; median CPU milliseconds per part.

    CPU time (not wall-clock time) because the parts are short and the machine is shared: it
    leaves out the time the process waits for a core. The garbage collector stays on, so its
    collections land in the parts that allocate (mostly the forward pass).
    """
    from autograd_core import topological_order
    from nn import MLP, hinge, l2_penalty

    clock = time.process_time
    model = MLP(2, [16, 16, 1], activation="relu", init="uniform", seed=1337)
    params = model.parameters()
    parts: dict[str, list[float]] = {}
    for k in range(repeats + 1):
        t = [clock()]
        scores = [model(x) for x in X]
        t.append(clock())
        total_loss = hinge(scores, y) + l2_penalty(params, 1e-4)
        t.append(clock())
        model.zero_grad()
        t.append(clock())
        topological_order(total_loss)  # timed alone here; backward() sorts again, and is charged for it
        t.append(clock())
        total_loss.backward()
        t.append(clock())
        learning_rate = 1.0 - 0.9 * k / 100
        for p in params:
            p.data -= learning_rate * p.grad
        t.append(clock())
        del scores, total_loss
        t.append(clock())
        demo_floor.step()
        t.append(clock())
        d = [b - a for a, b in itertools.pairwise(t)]
        sort = d[3]
        named = {
            "forward": d[0],
            "losses": d[1],
            "zero_grad": d[2],
            "topological order": sort,
            "backward loop": d[4] - sort,
            "SGD": d[5],
            "freeing the graph": d[6],
            "step": sum(d[:7]) - sort,
            "floor": d[7],
        }
        for name, seconds in named.items():
            parts.setdefault(name, []).append(seconds)
    return {name: statistics.median(times[1:]) * 1e3 for name, times in parts.items()}  # the first: warm-up


# ---- the 64-32-10 gradient -------------------------------------------------------------------------
def gradient_micrograd(x: list[float], label: int) -> Any:
    from micrograd.engine import Value
    from micrograd.nn import MLP

    def exp(self: Any) -> Any:
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward() -> None:
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def log(self: Any) -> Any:
        out = Value(math.log(self.data), (self,), "log")

        def _backward() -> None:
            self.grad += (1.0 / self.data) * out.grad

        out._backward = _backward
        return out

    Value.exp, Value.log = exp, log
    random.seed(0)
    model = MLP(64, [32, 10])

    def step() -> Any:
        logits = model(x)
        m = max(z.data for z in logits)
        total = sum((z - m).exp() for z in logits)
        loss = total.log() - (logits[label] - m)
        model.zero_grad()
        loss.backward()
        return loss

    return step


def gradient_ours(x: list[float], label: int) -> Any:
    from nn import MLP, cross_entropy

    model = MLP(64, [32, 10], activation="relu", seed=0)

    def step() -> Any:
        loss = cross_entropy([model(x)], [label])
        model.zero_grad()
        loss.backward()
        return loss

    return step


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["demo", "gradient", "parts"])
    ap.add_argument("--engine", choices=["ours", "micrograd"], default="ours")
    ap.add_argument("--gc", choices=["on", "off"], default="on")
    ap.add_argument("--repeats", type=int, default=0)
    args = ap.parse_args()
    if args.gc == "off":
        gc.disable()
    floor = None
    if args.what == "parts":
        X, labels = moons(100, noise=0.1, seed=1337)
        cpu_ms = demo_parts(X.tolist(), (2.0 * labels - 1.0).tolist(), args.repeats or 60)
        print(json.dumps({"bench": "parts", "gc": args.gc, "cpu_ms": cpu_ms}))
        return
    if args.what == "demo":
        X, labels = moons(100, noise=0.1, seed=1337)
        y = (2.0 * labels - 1.0).tolist()
        make = demo_ours if args.engine == "ours" else demo_micrograd
        step = make(X.tolist(), y)
        repeats = args.repeats or (31 if args.engine == "ours" else 15)
        floor = demo_floor.step
    else:
        rng = np.random.default_rng(0)
        x = rng.uniform(0.0, 16.0, 64).round().tolist()  # a digits-like sample: pixels 0..16
        step = (gradient_ours if args.engine == "ours" else gradient_micrograd)(x, 3)
        repeats = args.repeats or 200
    times, floor_times, root = timed(step, repeats, floor)
    wall = times["wall"]
    result = {
        "bench": args.what,
        "engine": args.engine,
        "gc": args.gc,
        "nodes": count_nodes(root),
        "median_s": statistics.median(wall),
        "min_s": min(wall),
        "max_s": max(wall),
        "cpu_median_s": statistics.median(times["cpu"]),
    }
    if floor_times["wall"]:
        result["floor_median_s"] = statistics.median(floor_times["wall"])
        result["ratio_to_floor"] = result["median_s"] / result["floor_median_s"]
        result["floor_cpu_median_s"] = statistics.median(floor_times["cpu"])
        result["cpu_ratio_to_floor"] = result["cpu_median_s"] / result["floor_cpu_median_s"]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
