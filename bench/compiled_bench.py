"""The compiled scalar graph against its peers: one measurement per process, printed as one JSON line.

    python bench/compiled_bench.py mnist [--slice 3000] [--rounds 5] [--nodes-slice 200]
    python bench/compiled_bench.py micrograd [--repeats 30]

mnist:     the MNIST-shaped epoch of Nielsen's chapter 1, side by side in one process: a 784-30-10
           sigmoid network, quadratic cost, mini-batches of 10, η = 3.0, on synthetic data (pixels
           uniform in [0, 1), random labels as one-hot rows), one BLAS thread. Four engines:
           - "compiled": ``fit(MLP, engine="compiled")``, the scalar graph of one sample compiled;
           - "nielsen": numpy code in the shape of Nielsen's network.py (NielsenShaped below:
             per-sample backprop on column vectors, summed over the mini-batch, then the update);
           - "matrix": ``fit(MatrixMLP)``, the four equations on the mini-batch;
           - "nodes": ``fit(MLP, engine="nodes")``, the scalar graph node by node, on a smaller slice.
           The quadratic cost is Nielsen's ½‖a − y‖² with η = 3.0; fit's mse has no ½, so fit runs
           with lr = 1.5, the same update. Each engine trains one epoch over a slice of the samples,
           in rounds that alternate the engines; the median is scaled to 60,000 samples. The
           compiled engine's one-time compile (each fit compiles once) is timed inside each fit,
           taken out of the slice before scaling, and counted once in the epoch. Both on the wall
           clock and in CPU time (``CLOCKS``).
micrograd: a micrograd-style MLP(2, [16, 16, 1]) in our Values (one node per product, each
           neuron's sum a chain of +, as micrograd builds it), max-margin loss of one sample
           (1 + -y·score).relu(), over 100 moons: forward and backward of all 100 samples, node by
           node (build each sample's graph, backward) against the compiled program of one sample's
           graph (program.forward + program.backward over the 100); micrograd 0.1.0 itself for scale.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from threadpoolctl import threadpool_limits

from autograd_core import Value, compile
from nn import MLP, fit
from nn.compiled import CompiledMLP
from nn.data import moons
from nn.matrix import MatrixMLP

SIZES = [784, 30, 10]
ETA = 3.0
BATCH = 10
EPOCH = 60_000


def synthetic(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n samples of 784 pixels uniform in [0, 1) and a random digit, the targets as one-hot rows."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0.0, 1.0, (n, SIZES[0])), np.eye(SIZES[-1])[rng.integers(0, SIZES[-1], n)]


class NielsenShaped:
    """Numpy code in the shape of Nielsen's network.py (chapter 1): samples as (n, 1) column vectors,
    ``backprop(x, y)`` per sample, the mini-batch's gradients summed, then w -= (η/m)·Σ∇w."""

    def __init__(self, sizes: list[int], seed: int = 0):
        rng = np.random.default_rng(seed)
        self.biases = [rng.standard_normal((y, 1)) for y in sizes[1:]]
        self.weights = [rng.standard_normal((y, x)) for x, y in itertools.pairwise(sizes)]

    def sgd_epoch(self, training_data: list[tuple[np.ndarray, np.ndarray]], mini_batch_size: int, eta: float) -> None:
        random.shuffle(training_data)
        for k in range(0, len(training_data), mini_batch_size):
            self.update_mini_batch(training_data[k : k + mini_batch_size], eta)

    def update_mini_batch(self, mini_batch: list[tuple[np.ndarray, np.ndarray]], eta: float) -> None:
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        self.weights = [w - (eta / len(mini_batch)) * nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - (eta / len(mini_batch)) * nb for b, nb in zip(self.biases, nabla_b)]

    def backprop(self, x: np.ndarray, y: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = (activations[-1] - y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for l in range(2, len(self.weights) + 1):
            delta = np.dot(self.weights[-l + 1].transpose(), delta) * sigmoid_prime(zs[-l])
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
        return nabla_b, nabla_w


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z: np.ndarray) -> np.ndarray:
    return sigmoid(z) * (1 - sigmoid(z))


def network() -> MLP:
    return MLP(SIZES[0], SIZES[1:], activation="sigmoid", output_activation="sigmoid", seed=0)


def epoch_runner(engine: str, X: np.ndarray, Y: np.ndarray) -> Any:
    """A function that trains one more epoch over (X, Y) with ``engine``. The network is made once,
    outside the timing (as Nielsen's data is loaded once), and goes on training from call to call."""
    settings = dict(loss="mse", reduction="mean", optimizer="sgd", lr=ETA / 2, batch_size=BATCH, epochs=1)
    if engine == "nielsen":
        net, data = NielsenShaped(SIZES), [(x.reshape(-1, 1), y.reshape(-1, 1)) for x, y in zip(X, Y)]
        return lambda: net.sgd_epoch(data, BATCH, ETA)
    model: MLP | MatrixMLP = MatrixMLP.from_mlp(network(), loss="mse") if engine == "matrix" else network()
    return lambda: fit(model, X, Y, progress=False, engine="nodes" if engine == "matrix" else engine, **settings)


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
"""Two clocks: the wall clock, and the CPU time of this process, which leaves out the time it waits
for a core while other work shares the machine (the ratios in CPU time move less from run to run)."""


def now() -> dict[str, float]:
    return {name: clock() for name, clock in CLOCKS.items()}


def since(start: dict[str, float]) -> dict[str, float]:
    return {name: clock() - start[name] for name, clock in CLOCKS.items()}


def timing_compiles() -> list[dict[str, float]]:
    """Make every CompiledMLP (what fit(engine="compiled") builds first) record how long it took."""
    seconds: list[dict[str, float]] = []
    build = CompiledMLP.__init__

    def timed(self: CompiledMLP, *args: Any) -> None:
        start = now()
        build(self, *args)
        seconds.append(since(start))

    CompiledMLP.__init__ = timed  # type: ignore[method-assign]
    return seconds


def mnist(slice_: int, rounds: int, nodes_slice: int) -> dict[str, Any]:
    X, Y = synthetic(slice_)
    runners = {engine: epoch_runner(engine, X, Y) for engine in ("compiled", "nielsen", "matrix")}
    runs: dict[str, list[dict[str, float]]] = {engine: [] for engine in runners}
    compiles = timing_compiles()
    for _ in range(rounds):
        for engine, run in runners.items():
            start = now()
            run()
            runs[engine].append(since(start))
    runs["compiled"] = [{k: t[k] - c[k] for k in CLOCKS} for t, c in zip(runs["compiled"], compiles)]  # its steps
    scale = EPOCH / slice_
    result: dict[str, Any] = {"bench": "mnist", "slice": slice_, "rounds": rounds, "nodes_slice": nodes_slice}
    start = now()
    epoch_runner("nodes", X[:nodes_slice], Y[:nodes_slice])()
    nodes = since(start)
    for clock in CLOCKS:
        compile_s = statistics.median(c[clock] for c in compiles)
        epoch = {engine: statistics.median(t[clock] for t in ts) * scale for engine, ts in runs.items()}
        epoch["compiled"] += compile_s  # once per epoch (per fit)
        epoch["nodes"] = nodes[clock] * EPOCH / nodes_slice
        result[clock] = {
            "epoch_s": epoch,
            "compile_s": compile_s,
            "compiled_over_nielsen": epoch["compiled"] / epoch["nielsen"],
            "compiled_over_matrix": epoch["compiled"] / epoch["matrix"],
            "nodes_over_compiled": epoch["nodes"] / epoch["compiled"],
            "spread": {
                engine: [min(t[clock] for t in ts) * scale, max(t[clock] for t in ts) * scale]
                for engine, ts in runs.items()
            },
        }
    return result


# ---- micrograd's MLP over 100 samples ------------------------------------------------------------
class Neuron:
    """micrograd's Neuron in our Values: the products one node each, their sum a chain of +."""

    def __init__(self, n_in: int, relu: bool):
        self.w = [Value(random.uniform(-1, 1)) for _ in range(n_in)]
        self.b = Value(0.0)
        self.relu = relu

    def __call__(self, x: list[Value]) -> Value:
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.relu() if self.relu else act


def micrograd_style(sizes: list[int]) -> Any:
    random.seed(1337)
    layers = [[Neuron(sizes[l], l < len(sizes) - 2) for _ in range(sizes[l + 1])] for l in range(len(sizes) - 1)]

    def model(x: list[Value]) -> Value:
        for layer in layers:
            x = [neuron(x) for neuron in layer]
        return x[0]

    return model, [p for layer in layers for n in layer for p in [*n.w, n.b]]


def micrograd(repeats: int) -> dict[str, Any]:
    X, labels = moons(100, noise=0.1, seed=1337)
    rows = np.column_stack([X, 2.0 * labels - 1.0])
    model, params = micrograd_style([2, 16, 16, 1])

    def cost(values: list[Value]) -> Value:
        return (1 + -values[2] * model(values[:2])).relu()

    def nodes() -> None:
        for p in params:
            p.grad = 0.0
        for row in rows.tolist():
            cost([Value(v) for v in row]).backward()

    t0 = time.perf_counter()
    first = [Value(v) for v in rows[0].tolist()]
    program = compile(cost(first), inputs=first)
    compile_s = time.perf_counter() - t0

    def compiled() -> None:
        program.forward(rows)
        program.backward()

    def theirs() -> Any:
        from micrograd.engine import Value as MValue
        from micrograd.nn import MLP as MMLP

        random.seed(1337)
        mmodel = MMLP(2, [16, 16, 1])

        def step() -> None:
            mmodel.zero_grad()
            for x0, x1, y in rows.tolist():
                (1 + -y * mmodel([MValue(x0), MValue(x1)])).relu().backward()

        return step

    runs: dict[str, Any] = {"nodes": nodes, "compiled": compiled, "micrograd": theirs()}
    times: dict[str, list[float]] = {name: [] for name in runs}
    for run in runs.values():
        run()  # warm-up
    for _ in range(repeats):
        for name, run in runs.items():
            t0 = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - t0)
    median = {name: statistics.median(ts) for name, ts in times.items()}
    return {
        "bench": "micrograd",
        "samples": len(rows),
        "steps": len(program.steps),
        "nodes_per_sample": len({id(n) for n in _nodes(cost(first))}),
        "median_s": median,
        "compile_s": compile_s,
        "speedup": median["nodes"] / median["compiled"],
        "micrograd_over_compiled": median["micrograd"] / median["compiled"],
    }


def _nodes(root: Value) -> list[Value]:
    from autograd_core import topological_order

    return topological_order(root)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["mnist", "micrograd"])
    ap.add_argument("--slice", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--nodes-slice", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=30)
    args = ap.parse_args()
    gc.collect()
    with threadpool_limits(1):
        result = mnist(args.slice, args.rounds, args.nodes_slice) if args.what == "mnist" else micrograd(args.repeats)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
