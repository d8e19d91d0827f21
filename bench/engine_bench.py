"""Engine benchmarks: one measurement per process, printed as one JSON line.

    python bench/engine_bench.py chain  --engine ours|micrograd --links N [--gc on|off]
    python bench/engine_bench.py memory --links N
    python bench/engine_bench.py wide   --engine ours|micrograd [--gc on|off]
    python bench/engine_bench.py depth  --engine ours|micrograd

chain:  v = v * 1.000001 + 0.0, N links; build + backward, time per link and per graph node.
memory: tracemalloc bytes per node of the chain graph, after build and after backward.
wide:   the same seeded random expression graph in both engines (ops both have), rebuilt and
        backpropagated 15 times in a loop, as a training loop does; median per iteration.
depth:  the longest chain that backward() survives at the default recursion limit.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import time
import tracemalloc


def engine(name: str) -> type:
    if name == "ours":
        from autograd_core import Value
    else:
        from micrograd.engine import Value  # type: ignore[import-not-found, no-redef]
    return Value


def count_nodes(root: object) -> int:
    """Nodes reachable from root, in either engine (iteratively)."""
    seen, stack = {id(root)}, [root]
    while stack:
        node = stack.pop()
        for p in getattr(node, "parents", None) or getattr(node, "_prev", ()):
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    return len(seen)


def chain(Value: type, links: int) -> tuple[object, object]:
    x = Value(1.0)
    v = x
    for _ in range(links):
        v = v * 1.000001 + 0.0
    return x, v


def bench_chain(name: str, links: int, repeats: int) -> dict:
    Value = engine(name)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * links + 1000))  # micrograd recurses
    builds, backs = [], []
    nodes = 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        x, v = chain(Value, links)
        t1 = time.perf_counter()
        v.backward()
        t2 = time.perf_counter()
        builds.append(t1 - t0)
        backs.append(t2 - t1)
        nodes = nodes or count_nodes(v)
        del x, v
        gc.collect()  # start every repeat from the same heap (micrograd's chains are cycles)
    total = statistics.median(b + k for b, k in zip(builds, backs))
    return {
        "links": links,
        "nodes": nodes,
        "build_s": statistics.median(builds),
        "backward_s": statistics.median(backs),
        "total_s": total,
        "us_per_link": total / links * 1e6,
        "us_per_node": total / nodes * 1e6,
    }


def bench_memory(links: int) -> dict:
    Value = engine("ours")
    gc.collect()
    tracemalloc.start()
    _, v = chain(Value, links)
    built, _ = tracemalloc.get_traced_memory()
    v.backward()
    after, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    nodes = count_nodes(v)
    return {
        "links": links,
        "nodes": nodes,
        "bytes_per_node_built": built / nodes,
        "bytes_per_node_after_backward": after / nodes,
    }


def bench_memory_micrograd(links: int) -> dict:
    Value = engine("micrograd")
    gc.collect()
    tracemalloc.start()
    _, v = chain(Value, links)
    built, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    nodes = count_nodes(v)
    return {"links": links, "nodes": nodes, "bytes_per_node_built": built / nodes}


def wide_program(seed: int = 0, width: int = 500, layers: int = 60) -> list:
    """Layers of `width` nodes; node k of a layer combines node k of the layer below with a
    random one of it (so every node is used, and nodes are shared).

    Every op keeps |value| <= 1, so the graph is the same for any seed-drawn leaves.
    """
    rng = random.Random(seed)
    ops = ["add", "mul", "sub", "relu", "square", "div"]
    program = []
    for _ in range(layers):
        program.append([(rng.choice(ops), k, rng.randrange(width)) for k in range(width)])
    values = [rng.uniform(-1, 1) for _ in range(width)]
    return [values, program]


def build_wide(Value: type, spec: list) -> tuple[list, object]:
    values, program = spec
    leaves = [Value(v) for v in values]
    layer = leaves
    for ops in program:
        nxt = []
        for op, i, j in ops:
            a, b = layer[i], layer[j]
            if op == "add":
                nxt.append((a + b) * 0.5)
            elif op == "mul":
                nxt.append(a * b)
            elif op == "sub":
                nxt.append((a - b) * 0.5)
            elif op == "relu":
                nxt.append(a.relu())
            elif op == "square":
                nxt.append(a**2)
            else:
                nxt.append(a / (b**2 + 1))
        layer = nxt
    root = layer[0]
    for v in layer[1:]:
        root = root + v
    return leaves, root


def bench_wide(name: str, repeats: int) -> dict:
    Value = engine(name)
    spec = wide_program()
    times = []
    nodes = 0
    for _ in range(repeats + 1):  # the first iteration warms up
        t0 = time.perf_counter()
        leaves, root = build_wide(Value, spec)
        root.backward()
        times.append(time.perf_counter() - t0)
        nodes = nodes or count_nodes(root)
        del leaves, root  # dropped, as a training loop drops last step's graph; no manual collect
    times = times[1:]
    return {"nodes": nodes, "median_s": statistics.median(times), "min_s": min(times), "max_s": max(times)}


def bench_depth(name: str) -> dict:
    """Bisect the number of chain links at which backward() first raises RecursionError."""
    Value = engine(name)

    def survives(links: int) -> bool:
        _, v = chain(Value, links)
        try:
            v.backward()
        except RecursionError:
            return False
        return True

    if survives(500_000):
        return {"recursion_limit": sys.getrecursionlimit(), "max_links": None, "checked_links": 500_000}
    ok, bad = 1, 500_000
    while bad - ok > 1:
        mid = (ok + bad) // 2
        ok, bad = (mid, bad) if survives(mid) else (ok, mid)
    return {"recursion_limit": sys.getrecursionlimit(), "max_links": ok}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["chain", "memory", "wide", "depth"])
    ap.add_argument("--engine", choices=["ours", "micrograd"], default="ours")
    ap.add_argument("--links", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--gc", choices=["on", "off"], default="on")
    args = ap.parse_args()
    if args.gc == "off":
        gc.disable()
    if args.what == "chain":
        result = bench_chain(args.engine, args.links, args.repeats)
    elif args.what == "memory":
        result = bench_memory(args.links) if args.engine == "ours" else bench_memory_micrograd(args.links)
    elif args.what == "wide":
        result = bench_wide(args.engine, 15)
    else:
        result = bench_depth(args.engine)
    print(json.dumps({"bench": args.what, "engine": args.engine, "gc": args.gc, **result}))


if __name__ == "__main__":
    main()
