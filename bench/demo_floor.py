"""The floor for a pure-Python scalar engine on micrograd's demo step: the same MLP(2,[16,16,1]),
100 moons points, hinge + 1e-4*L2, forward + backward + SGD, written with plain floats and lists,
no graph objects. Any pure-Python Value engine pays at least this much.

This is the project's yardstick, copied from shared/yardsticks/demo_floor.py so that the bench
does not depend on that folder: the step is unchanged; the timing loop that the original runs at
import is under ``__main__`` here, so that nn_bench.py can import ``step`` and time it in the
same process as our engine's step, alternating with it. Run alone, it prints JSON as the original.
"""

import json
import math
import random
import statistics
import time

import numpy as np


def moons(n=100, seed=1337):
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, math.pi, n // 2)
    a = np.c_[np.cos(t), np.sin(t)]
    b = np.c_[1 - np.cos(t), 1 - np.sin(t) - 0.5]
    X = np.r_[a, b] + rng.normal(0, 0.1, (n, 2))
    y = np.r_[-np.ones(n // 2), np.ones(n // 2)]
    return X.tolist(), y.tolist()


X, Y = moons()
sizes = [2, 16, 16, 1]
r = random.Random(1337)
W = [[[r.uniform(-1, 1) for _ in range(sizes[l])] for _ in range(sizes[l + 1])] for l in range(3)]
B = [[0.0] * sizes[l + 1] for l in range(3)]


def step():
    gW = [[[0.0] * sizes[l] for _ in range(sizes[l + 1])] for l in range(3)]
    gB = [[0.0] * sizes[l + 1] for l in range(3)]
    n = len(X)
    loss = 0.0
    for x, yv in zip(X, Y):
        acts = [x]
        zs = []
        a = x
        for l in range(3):
            z = [sum(w * ai for w, ai in zip(Wj, a)) + bj for Wj, bj in zip(W[l], B[l])]
            zs.append(z)
            a = [max(0.0, v) for v in z] if l < 2 else z
            acts.append(a)
        m = 1 - yv * a[0]
        if m > 0:
            loss += m / n
            d = [-yv / n]
        else:
            d = [0.0]
        for l in (2, 1, 0):
            prev = acts[l]
            for j, dj in enumerate(d):
                gB[l][j] += dj
                row = gW[l][j]
                for k, pk in enumerate(prev):
                    row[k] += dj * pk
            if l:
                d = [
                    sum(W[l][j][k] * d[j] for j in range(len(d))) * (1.0 if zs[l - 1][k] > 0 else 0.0)
                    for k in range(sizes[l])
                ]
    reg = 0.0
    for l in range(3):
        for j in range(sizes[l + 1]):
            for k in range(sizes[l]):
                w = W[l][j][k]
                reg += w * w
                gW[l][j][k] += 2e-4 * w
            b = B[l][j]
            reg += b * b
            gB[l][j] += 2e-4 * b
    for l in range(3):
        for j in range(sizes[l + 1]):
            for k in range(sizes[l]):
                W[l][j][k] -= 0.01 * gW[l][j][k]
            B[l][j] -= 0.01 * gB[l][j]
    return loss + 1e-4 * reg


if __name__ == "__main__":
    step()
    ts = []
    for _ in range(15):
        t0 = time.perf_counter()
        step()
        ts.append(time.perf_counter() - t0)
    print(
        json.dumps(
            {
                "bench": "demo_step_floor_plain_python",
                "median_s": statistics.median(ts),
                "min_s": min(ts),
                "max_s": max(ts),
            }
        )
    )
