"""The drawing-time bound: the worst expressions one can type within the parser's limits, and
the neuron and matrix views of the seeds' networks.

    python bench/drawing_bench.py                      # the expressions
    python bench/drawing_bench.py seeds [--repeats 5]  # 784-30-10 and 784-100-10 over 10 samples

Each expression (at most autograd_core.expr.MAX_LENGTH characters) goes the way of
``backprop graph`` and ``backprop steps``: parsed, backward, drawn and rendered to SVG (or
refused before any layout starts); the figure is the wall time from parsing to the SVG or the
refusal. The target is ≤ 10 s for every one. Prints one JSON line per expression.

``seeds``: Nielsen's 784-30-10 sigmoid network and 784-100-10, over a mini-batch of 10 inputs of
28×28 pixels (random, 70% of them 0), with the ½-quadratic cost and softmax cross-entropy. For
each, the scalar graph is built and backpropagated once; then for each view, sample 3's drawing
(``draw_mlp(loss, view=..., sample=3)``: reading the batch and the MLP back from the graph, and
writing the DOT text) and its rendering by ``dot`` to SVG and to PNG are timed, medians of the
repeats. Prints one JSON line per network and view, with the sizes of the DOT text, the SVG and
the PNG (and its pixels).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograd_core import Stepper, draw
from autograd_core.dot import GraphvizError, render_svg
from autograd_core.draw import layout_cost
from autograd_core.expr import MAX_LENGTH, parse
from autograd_core.graph import topological_order


def fill(term: str, sep: str) -> str:
    """term sep term sep ... as long as the parser allows."""
    n = (MAX_LENGTH + len(sep)) // (len(term) + len(sep))
    return sep.join([term] * n)


def nested(fn: str) -> str:
    n = (MAX_LENGTH - 1) // (len(fn) + 3)
    return f"{fn}(" * n + "a" + ")" * n


CASES = {
    "a+a+...+a": fill("a", "+"),
    "a*a*...*a (small)": fill("a", "*"),
    "a+b+a+b+...": fill("a+b", "+"),
    "a*b+a*b+...": fill("a*b", "+"),
    "(a+b)*(a+b)*...": fill("(a+b)", "*"),
    "tanh(tanh(...a))": nested("tanh"),
    "a+a+... (40 terms)": "+".join(["a"] * 40),
    "a+a+... (70 terms)": "+".join(["a"] * 70),
    "a*b+c*d+... (many names)": "+".join(
        f"{x}*{y}" for x, y in zip("abcdefghijklmnopqrstuvw" * 4, "bcdefghijklmnopqrstuvwa" * 4)
    )[:MAX_LENGTH].rstrip("+*"),
}


def values(text: str) -> dict[str, float]:
    import ast

    names = {n.id for n in ast.walk(ast.parse(text, mode="eval")) if isinstance(n, ast.Name)}
    return {name: 0.5 + 0.01 * i for i, name in enumerate(sorted(names - {"tanh", "exp", "log", "sigmoid", "relu"}))}


def expressions() -> None:
    for name, text in CASES.items():
        for tool in ("graph", "steps"):
            t0 = time.perf_counter()
            try:
                out = parse(text, values(text))
                out.backward()
                cost = layout_cost(topological_order(out), True)
                if tool == "graph":
                    render_svg(draw(out, max_nodes=1000))
                else:
                    Stepper(out, max_nodes=1000)
                result = "rendered"
            except (ValueError, OverflowError, GraphvizError) as e:
                result = f"refused: {type(e).__name__}: {str(e)[:90]}"
                cost = locals().get("cost", -1)
            seconds = time.perf_counter() - t0
            row = {"case": name, "tool": tool, "chars": len(text), "cost": cost, "seconds": round(seconds, 3)}
            print(json.dumps({**row, "result": result}, ensure_ascii=False), flush=True)


def seeds(repeats: int) -> None:
    import numpy as np

    from autograd_core.dot import run_dot
    from nn import MLP, cross_entropy, draw_mlp, mse

    for hidden in (30, 100):
        for cost in ("mse", "cross_entropy"):
            output = "sigmoid" if cost == "mse" else "linear"
            rng = np.random.default_rng(0)
            X = rng.random((10, 784)) * (rng.random((10, 784)) < 0.3)
            classes = rng.integers(0, 10, 10)
            t0 = time.perf_counter()
            model = MLP(784, [hidden, 10], activation="sigmoid", output_activation=output, seed=0)
            outputs = [model(list(x)) for x in X]
            Y = np.eye(10)[classes]
            loss = mse(outputs, Y, mse_half=True) if cost == "mse" else cross_entropy(outputs, classes)
            loss.backward()
            graph = time.perf_counter() - t0
            for view in ("neurons", "matrix"):
                times: dict[str, list[float]] = {"draw": [], "svg": [], "png": []}
                sizes: dict[str, int | str] = {}
                for _ in range(repeats):
                    t0 = time.perf_counter()
                    source = draw_mlp(loss, view=view, sample=3).source
                    times["draw"].append(time.perf_counter() - t0)
                    for fmt in ("svg", "png"):
                        t0 = time.perf_counter()
                        out = run_dot(source, fmt, view)
                        times[fmt].append(time.perf_counter() - t0)
                        sizes[fmt] = len(out)
                        if fmt == "png":
                            sizes["px"] = f"{int.from_bytes(out[16:20], 'big')}×{int.from_bytes(out[20:24], 'big')}"
                row = {"net": f"784-{hidden}-10", "cost": cost, "view": view, "graph_s": round(graph, 3)}
                row |= {f"{k}_s": round(statistics.median(v), 3) for k, v in times.items()}
                row |= {"dot_MB": round(len(source) / 1e6, 2), "svg_MB": round(int(sizes["svg"]) / 1e6, 2)}
                row |= {"png_MB": round(int(sizes["png"]) / 1e6, 2), "png_px": sizes["px"]}
                print(json.dumps(row, ensure_ascii=False), flush=True)
            del loss, outputs, model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="?", choices=("expressions", "seeds"), default="expressions")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if args.what == "seeds":
        seeds(args.repeats)
    else:
        expressions()


if __name__ == "__main__":
    main()
