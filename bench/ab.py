"""Before and after: the same benchmarks on two checkouts, interleaved, in one run.

    python bench/ab.py OLD_TREE [NEW_TREE] [--rounds 5]

OLD_TREE is a checkout of the code before a change (``git worktree add /tmp/before <commit>``),
NEW_TREE the one after (default: this checkout). Each round runs every case once in each tree,
alternating, each in a fresh process, so both see the same machine load; the figure is the
median over the rounds of each process's own median. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

CASES = [
    ("demo step (ms)", "nn_bench.py", ["demo", "--repeats", "15"], "median_s", 1e3),
    ("demo step / floor", "nn_bench.py", ["demo", "--repeats", "15"], "ratio_to_floor", 1),
    ("64-32-10 gradient (ms)", "nn_bench.py", ["gradient", "--repeats", "200"], "median_s", 1e3),
    ("chain, GC off (µs/node)", "engine_bench.py", ["chain", "--links", "100000", "--gc", "off"], "us_per_node", 1),
    ("chain, GC on (µs/node)", "engine_bench.py", ["chain", "--links", "100000", "--gc", "on"], "us_per_node", 1),
]


def run(tree: Path, script: str, args: list[str], key: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, str(tree / "bench" / script), *args], capture_output=True, text=True, check=True, env=env
    ).stdout
    return float(json.loads(out.strip().splitlines()[-1]).get(key, "nan"))  # nan: a bench too old to have it


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("old", type=Path)
    ap.add_argument("new", type=Path, nargs="?", default=Path(__file__).resolve().parent.parent)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    print("| case | before | after | after / before |")
    print("|---|---:|---:|---:|")
    for name, script, case_args, key, scale in CASES:
        old, new = [], []
        for _ in range(args.rounds):
            old.append(run(args.old, script, case_args, key))
            new.append(run(args.new, script, case_args, key))
        a, b = statistics.median(old) * scale, statistics.median(new) * scale
        print(f"| {name} | {a:.4g} | {b:.4g} | {b / a:.3f} |", flush=True)


if __name__ == "__main__":
    main()
