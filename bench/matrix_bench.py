"""Matrix-view benchmarks: one process, one thread for numpy's BLAS and for PyTorch, float64.

    python bench/matrix_bench.py step     prints one JSON line per configuration
    python bench/matrix_bench.py compare  the time of compare_gradients on 64-32-10, batch 8

step: one training step (forward + backward + SGD update), MatrixMLP (the four equations in
numpy) against PyTorch CPU tensors used the usual way (Sequential, functional loss,
loss.backward(), torch.optim.SGD). Configurations: 2-16-16-1 ReLU on a batch of 100 moons with
binary cross-entropy on the logit; 64-128-10 ReLU on a batch of 256 with softmax cross-entropy.
The two engines are timed alternately, in rounds, and the medians compared.
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
from threadpoolctl import threadpool_limits

from nn import MLP, SGD
from nn.compare import compare_gradients
from nn.data import moons
from nn.matrix import MatrixMLP

CONFIGS = {
    "2-16-16-1, batch 100, BCE": ([2, 16, 16, 1], 100, "binary_cross_entropy"),
    "64-128-10, batch 256, softmax CE": ([64, 128, 10], 256, "cross_entropy"),
}


def data(sizes: list[int], n: int, loss: str) -> tuple[np.ndarray, np.ndarray]:
    if sizes[0] == 2:
        X, y = moons(n, seed=0)
        return X, y
    rng = np.random.default_rng(0)
    return rng.uniform(0, 1, (n, sizes[0])), rng.integers(0, sizes[-1], n)


def numpy_step(sizes: list[int], X: np.ndarray, y: np.ndarray, loss: str) -> Any:
    mm = MatrixMLP.from_mlp(MLP(sizes[0], sizes[1:], activation="relu", seed=0), loss=loss, layout="rows")
    opt = SGD(mm.parameters(), lr=0.01)
    Y = y if loss == "cross_entropy" else y.reshape(-1, 1).astype(np.float64)

    def step() -> float:
        mm.forward(X)
        g = mm.backward(Y)
        opt.step()
        return g.loss

    return step


def torch_step(sizes: list[int], X: np.ndarray, y: np.ndarray, loss: str) -> Any:
    import torch

    from nn.bridge import to_torch

    F = torch.nn.functional
    model = to_torch(MLP(sizes[0], sizes[1:], activation="relu", seed=0))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    Xt = torch.tensor(X, dtype=torch.float64)
    yt = torch.tensor(y, dtype=torch.long) if loss == "cross_entropy" else torch.tensor(y, dtype=torch.float64)

    def step() -> float:
        opt.zero_grad()
        out = model(Xt)
        if loss == "cross_entropy":
            value = F.cross_entropy(out, yt)
        else:
            value = F.binary_cross_entropy_with_logits(out[:, 0], yt)
        value.backward()
        opt.step()
        return float(value.detach())

    return step


def bench_steps(rounds: int, per_round: int) -> list[dict]:
    import torch

    torch.set_num_threads(1)
    results = []
    with threadpool_limits(1):
        for name, (sizes, n, loss) in CONFIGS.items():
            X, y = data(sizes, n, loss)
            steps = {"numpy": numpy_step(sizes, X, y, loss), "torch": torch_step(sizes, X, y, loss)}
            times: dict[str, list[float]] = {k: [] for k in steps}
            for f in steps.values():
                for _ in range(50):
                    f()  # warm-up
            for _ in range(rounds):
                for k, f in steps.items():
                    t0 = time.perf_counter()
                    for _ in range(per_round):
                        f()
                    times[k].append((time.perf_counter() - t0) / per_round)
            med = {k: statistics.median(v) for k, v in times.items()}
            results.append(
                {
                    "bench": "step",
                    "config": name,
                    "numpy_us": med["numpy"] * 1e6,
                    "torch_us": med["torch"] * 1e6,
                    "ratio": med["numpy"] / med["torch"],
                    "torch": torch.__version__,
                    "numpy": np.__version__,
                }
            )
    return results


def bench_compare(repeats: int) -> dict:
    rng = np.random.default_rng(0)
    model = MLP(64, [32, 10], activation="relu", seed=0)
    X, y = rng.uniform(0, 16, (8, 64)), rng.integers(0, 10, 8)
    out = {}
    for label, kw in (
        ("no numeric, no torch", dict(numeric=False, torch=False)),
        ("no numeric, torch", dict(numeric=False)),
    ):
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            compare_gradients(model, X, y, loss="cross_entropy", **kw)
            times.append(time.perf_counter() - t0)
        out[label] = statistics.median(times)
    return {"bench": "compare", **out}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["step", "compare"])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--per-round", type=int, default=200)
    args = ap.parse_args()
    if args.what == "step":
        for r in bench_steps(args.rounds, args.per_round):
            print(json.dumps(r))
    else:
        print(json.dumps(bench_compare(11)))


if __name__ == "__main__":
    main()
