"""Run every benchmark and print the tables for docs/benchmarks.md (`make bench`).

Each measurement runs in a fresh process (bench/*_bench.py print one JSON line each), so one
engine's garbage never lands on the other's clock. Ratios compare figures from this same run.

    python bench/run.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def measure(script: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, str(HERE / script), *args], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def engine_suite(quick: bool) -> str:
    rows = []
    big = 100_000 if quick else 500_000
    chain = {}
    for links in (50_000, big):
        for gc in ("on", "off"):
            chain[("ours", links, gc)] = measure("engine_bench.py", "chain", "--links", str(links), "--gc", gc)
    for gc in ("on", "off"):
        chain[("micrograd", 50_000, gc)] = measure(
            "engine_bench.py", "chain", "--engine", "micrograd", "--links", "50000", "--gc", gc
        )
    rows.append("### Chain `v = v * 1.000001 + 0.0`: build + backward\n")
    rows.append("| engine | links | graph nodes | GC | µs per link | µs per node |")
    rows.append("|---|---:|---:|---|---:|---:|")
    for (name, links, gc), r in chain.items():
        rows.append(f"| {name} | {links:,} | {r['nodes']:,} | {gc} | {r['us_per_link']:.2f} | {r['us_per_node']:.2f} |")
    for gc in ("on", "off"):
        ratio = chain[("micrograd", 50_000, gc)]["us_per_link"] / chain[("ours", 50_000, gc)]["us_per_link"]
        rows.append(f"\nSame work (per link), GC {gc}: autograd-core is **{ratio:.1f}×** faster than micrograd.")

    mem = [measure("engine_bench.py", "memory", "--links", str(n)) for n in (50_000, big)]
    mg_mem = measure("engine_bench.py", "memory", "--engine", "micrograd", "--links", "50000")
    rows.append("\n### Memory of the chain graph (tracemalloc)\n")
    rows.append("| engine | graph nodes | bytes per node, built | bytes per node, after backward |")
    rows.append("|---|---:|---:|---:|")
    for r in mem:
        rows.append(
            f"| ours | {r['nodes']:,} | {r['bytes_per_node_built']:.0f} | {r['bytes_per_node_after_backward']:.0f} |"
        )
    rows.append(f"| micrograd | {mg_mem['nodes']:,} | {mg_mem['bytes_per_node_built']:.0f} | |")

    wide = {
        (e, gc): measure("engine_bench.py", "wide", "--engine", e, "--gc", gc)
        for e in ("ours", "micrograd")
        for gc in ("on", "off")
    }
    rows.append("\n### Wide random expression graph (same program in both engines), build + backward\n")
    rows.append("| engine | GC | graph nodes | median s per iteration | ratio |")
    rows.append("|---|---|---:|---:|---:|")
    for gc in ("on", "off"):
        ours, mg = wide[("ours", gc)], wide[("micrograd", gc)]
        rows.append(f"| ours | {gc} | {ours['nodes']:,} | {ours['median_s']:.4f} | |")
        ratio = mg["median_s"] / ours["median_s"]
        rows.append(f"| micrograd | {gc} | {mg['nodes']:,} | {mg['median_s']:.4f} | **{ratio:.1f}×** |")

    depth = {e: measure("engine_bench.py", "depth", "--engine", e) for e in ("ours", "micrograd")}
    rows.append("\n### Deepest chain backward() survives at the default recursion limit\n")
    rows.append("| engine | recursion limit | longest chain |")
    rows.append("|---|---:|---|")
    for e, r in depth.items():
        longest = f"{r['max_links']} links" if r["max_links"] else f"no failure up to {r['checked_links']:,} links"
        rows.append(f"| {e} | {r['recursion_limit']} | {longest} |")
    return "\n".join(rows)


def nn_suite(quick: bool) -> str:
    rows = ["### Training and gradients of MLPs, GC on (as users run it)\n"]
    rows.append("| work | engine | graph nodes | median per step | ratio |")
    rows.append("|---|---|---:|---:|---:|")
    titles = {
        "demo": "micrograd's demo step: MLP(2,[16,16,1]), 100 moons, hinge + 1e-4·L2, fwd + bwd + SGD",
        "gradient": "full gradient of MLP(64,[32,10]), one sample, softmax cross-entropy",
    }
    runs = {}
    for what, title in titles.items():
        ours = runs[what, "ours"] = measure("nn_bench.py", what, "--engine", "ours")
        mg = runs[what, "micrograd"] = measure("nn_bench.py", what, "--engine", "micrograd")
        rows.append(f"| {title} | ours | {ours['nodes']:,} | {_ms(ours['median_s'])} | |")
        rows.append(
            f"| | micrograd | {mg['nodes']:,} | {_ms(mg['median_s'])} | **{mg['median_s'] / ours['median_s']:.1f}×** |"
        )
    ours, mg = runs["demo", "ours"], runs["demo", "micrograd"]
    rows.append(
        "\nThe demo step against its floor (bench/demo_floor.py: the same step with floats and lists, no graph),"
        " timed in the same process as each engine, alternating step by step:"
        f" ours {_ms(ours['median_s'])} against the floor's {_ms(ours['floor_median_s'])},"
        f" **{ours['ratio_to_floor']:.2f}×** the floor; micrograd {mg['ratio_to_floor']:.0f}× the floor."
        f" In CPU time (which leaves out waiting for a core on a busy machine): ours"
        f" {_ms(ours['cpu_median_s'])} against {_ms(ours['floor_cpu_median_s'])},"
        f" **{ours['cpu_ratio_to_floor']:.2f}×**; micrograd {mg['cpu_ratio_to_floor']:.0f}×."
    )
    return "\n".join(rows)


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms"


def matrix_suite(quick: bool) -> str:
    rows = ["### One training step (forward + backward + SGD), float64, one thread each\n"]
    try:
        steps = measure_lines("matrix_bench.py", "step", *(["--rounds", "5", "--per-round", "50"] if quick else []))
    except subprocess.CalledProcessError as e:
        return f"(skipped: {e.stderr.strip().splitlines()[-1] if e.stderr else 'PyTorch not installed'})"
    rows.append("| network, batch, loss | MatrixMLP (numpy) | PyTorch CPU tensors | numpy / torch |")
    rows.append("|---|---:|---:|---:|")
    for r in steps:
        rows.append(f"| {r['config']} | {r['numpy_us']:.0f} µs | {r['torch_us']:.0f} µs | **{r['ratio']:.2f}×** |")
    rows.append(f"\nPyTorch {steps[0]['torch']}, numpy {steps[0]['numpy']}.")
    c = measure("matrix_bench.py", "compare")
    rows.append("\n### compare_gradients on 64-32-10, batch of 8\n")
    rows.append("| columns | median |")
    rows.append("|---|---:|")
    for k, v in c.items():
        if k != "bench":
            rows.append(f"| {k} | {_ms(v)} |")
    return "\n".join(rows)


def measure_lines(script: str, *args: str) -> list[dict]:
    out = subprocess.run([sys.executable, str(HERE / script), *args], check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.strip().splitlines()]


def stepper_suite(quick: bool) -> str:
    rows = ["### Step-through pages of one backward pass: MLP(2,[16,16,1]), 10 moons, BCE (999 nodes)\n"]
    rows.append("| page | build (median) | page size |")
    rows.append("|---|---:|---:|")
    runs = [measure("stepper_bench.py", "layer", "--view", v) for v in ("neurons", "matrix")]
    if not quick:
        runs.append(measure("stepper_bench.py", "node"))
    for r in runs:
        rows.append(f"| {r['bench']} | {_ms(r['median_s'])} | {r['page_bytes'] / 1e6:.2f} MB |")
        if r.get("default_refused"):
            refusal = r["default_refused"]
            rows.append(f"| Stepper (node by node), default: refused | {_ms(refusal['seconds'])} | |")
            rows.append(f"\n(The refusal says: {refusal['message']})")
    rows.append("\n### The node stepper of a graph of about 300 nodes (target: build ≤ 5 s)\n")
    rows.append("| graph | nodes | steps | build (median) | page size |")
    rows.append("|---|---:|---:|---:|---:|")
    for graph in ("mlp", "chain", "wide"):
        r = measure("stepper_bench.py", "node300", "--graph", graph, *(["--repeats", "1"] if quick else []))
        rows.append(
            f"| {graph} | {r['nodes']} | {r['steps']} | {r['median_s']:.2f} s | {r['page_bytes'] / 1e6:.2f} MB |"
        )
    return "\n".join(rows)


def layer_stepper_suite(quick: bool) -> str:
    runs = measure_lines("layer_stepper_bench.py", "--repeats", "2" if quick else "5")
    rows = ["### The layer stepper at the seeds' sizes (issue 19's targets)\n"]
    rows.append("| network, batch | build (median) | page | stored in a notebook | targets |")
    rows.append("|---|---:|---:|---:|---|")
    for r in runs:
        t = r["targets"]
        wanted = ", ".join(
            f"{what} ≤ {t[key] if key == 'build_s' else f'{t[key] / 1e6:g} MB'}"
            for key, what in (("build_s", "build s"), ("page_bytes", "page"), ("stored_bytes", "stored"))
            if t[key] is not None
        )
        verdict = ("met" if r["met"] else "MISSED") if wanted else ""
        rows.append(
            f"| {r['bench']} | {r['median_s']:.3f} s | {r['page_bytes'] / 1e6:.2f} MB | "
            f"{r['stored_bytes'] / 1e6:.2f} MB | {wanted} {verdict} |"
        )
    return "\n".join(rows)


def notebooks_suite(quick: bool) -> str:
    r = measure("notebooks_bench.py")
    rows = ["### Each notebook from scratch, as `make test` runs it (target: under a minute each)\n"]
    rows.append("| notebook | wall time |")
    rows.append("|---|---:|")
    rows += [f"| {name} | {seconds:.1f} s |" for name, seconds in r["times"].items()]
    rows.append(f"\nSlowest: {r['slowest']}, {r['seconds']:.1f} s: target {'met' if r['met'] else 'MISSED'}.")
    return "\n".join(rows)


def compiled_suite(quick: bool) -> str:
    args = ["--slice", "1000", "--rounds", "3", "--nodes-slice", "50"] if quick else []
    r = measure("compiled_bench.py", "mnist", *args)
    e, c = r["wall"]["epoch_s"], r["cpu"]["epoch_s"]
    engines = {
        "compiled": '| the scalar graph, compiled (`fit(engine="compiled")`)',
        "nielsen": "| numpy in the shape of Nielsen's network.py",
        "matrix": "| MatrixMLP through `fit`",
        "nodes": '| the scalar graph node by node (`fit(engine="nodes")`)',
    }
    rows = [
        "### The MNIST-shaped epoch: 784-30-10 sigmoid, quadratic cost, mini-batches of 10, η = 3.0, synthetic data\n",
        "| engine | one 60,000-sample epoch | in CPU time | ratio to the compiled graph (CPU time) |",
        "|---|---:|---:|---:|",
    ]
    for name, title in engines.items():
        rows.append(f"{title} | {e[name]:.2f} s | {c[name]:.2f} s | {c[name] / c['compiled']:.2f} |")
    rows.append(
        f"\nCompiled: **{r['wall']['compiled_over_nielsen']:.2f}×** the Nielsen-shaped code's time and **"
        f"{r['wall']['compiled_over_matrix']:.2f}×** MatrixMLP's on the wall clock; in CPU time "
        f"**{r['cpu']['compiled_over_nielsen']:.2f}×** and **{r['cpu']['compiled_over_matrix']:.2f}×**. Medians of"
        f" {r['rounds']} rounds over a slice of {r['slice']:,} samples (the node-by-node engine: one run over"
        f" {r['nodes_slice']}), scaled to 60,000; the one-time compile ({r['wall']['compile_s'] * 1e3:.0f} ms)"
        " is counted once. One BLAS thread."
    )
    m = measure("compiled_bench.py", "micrograd", *(["--repeats", "5"] if quick else []))
    t = m["median_s"]
    rows += [
        "\n### A micrograd-style MLP(2,[16,16,1]) over 100 moons: forward + backward of every sample\n",
        "| engine | median | ratio |",
        "|---|---:|---:|",
        f"| compiled program ({m['steps']} fused steps) | {_ms(t['compiled'])} | 1 |",
        f"| our engine node by node ({m['nodes_per_sample']} nodes a sample) | {_ms(t['nodes'])} |"
        f" **{m['speedup']:.0f}×** |",
        f"| micrograd 0.1.0 | {_ms(t['micrograd'])} | {m['micrograd_over_compiled']:.0f}× |",
        f"\nThe one-time compile: {_ms(m['compile_s'])}.",
    ]
    return "\n".join(rows)


SUITES = {
    "engine": engine_suite,
    "nn": nn_suite,
    "matrix": matrix_suite,
    "stepper": stepper_suite,
    "layer_stepper": layer_stepper_suite,
    "notebooks": notebooks_suite,
    "compiled": compiled_suite,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    ap.add_argument("suites", nargs="*", choices=[*SUITES, []], help="which suites (default: all)")
    args = ap.parse_args()
    print(f"Machine: {machine()}\n")
    for name in args.suites or SUITES:
        print(f"## {name}\n")
        print(SUITES[name](args.quick))
        print()


if __name__ == "__main__":
    main()
