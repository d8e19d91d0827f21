"""The drawing-time bound: the worst expressions one can type within the parser's limits.

    python bench/drawing_bench.py

Each expression (at most autograd_core.expr.MAX_LENGTH characters) goes the way of
``backprop graph`` and ``backprop steps``: parsed, backward, drawn and rendered to SVG (or
refused before any layout starts); the figure is the wall time from parsing to the SVG or the
refusal. The target is ≤ 10 s for every one. Prints one JSON line per expression.
"""

from __future__ import annotations

import json
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


def main() -> None:
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


if __name__ == "__main__":
    main()
