"""Draw who imports whom, one picture per package: docs/images/modules-{nn,autograd_core}.dot and .svg.

    python docs/modules.py            writes them (the SVGs need Graphviz's dot)
    python docs/modules.py --check    exits 1 if the stored DOT is not what the code imports now

The imports are read from the source with ast (nothing is imported). Each module sits in the
group that says what it is for (GROUPS below); a module in no group is an error, so a new file
has to be placed before the picture can be drawn. An arrow A → B means "A imports B", so importers
sit above what they import; nn's imports of the engine are left out of its picture (nearly every
module of nn has one, and none of the engine's imports nn).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "images"
PACKAGES = ("autograd_core", "nn")

# (package, group title, modules), from the top of the picture to the bottom.
GROUPS: list[tuple[str, str, list[str]]] = [
    ("nn", "applications", ["cli", "demo", "plot"]),
    (
        "nn",
        "pages and pictures",
        ["layer_stepper", "views", "neuron_view", "matrix_picture", "cells", "fold", "mlp_graph", "batch"],
    ),
    ("nn", "checking a backprop", ["compare", "mistakes", "handwritten", "user_code", "notation", "bridge"]),
    ("nn", "training", ["train", "compiled", "optim", "schedules", "io", "data", "matrix_names"]),
    ("nn", "the two views", ["passes", "matrix", "equations", "losses", "module", "activations", "labels"]),
    ("autograd_core", "pages and drawings", ["stepper", "page", "derivatives", "draw", "dot"]),
    ("autograd_core", "the compiler", ["program", "listing", "verify", "steps", "trace", "kernels"]),
    ("autograd_core", "the engine", ["check", "micrograd", "expr", "value", "graph", "inputs", "files"]),
    ("autograd_core", "on its own", ["nn_check", "metadata"]),
]
SKIP = {"__init__", "__main__"}  # the packages' front doors re-export; they would point at everything


def imports() -> dict[str, set[str]]:
    """Each module ("nn.matrix") and the modules of both packages it imports, read with ast."""
    found: dict[str, set[str]] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).glob("*.py")):
            if path.stem in SKIP:
                continue
            name, deps = f"{package}.{path.stem}", set()
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    top = node.module.split(".")[0]
                    if top not in PACKAGES:
                        continue
                    if node.module == top:  # from nn import x: a module when x is one, else the package
                        deps |= {
                            f"{top}.{a.name}" if (ROOT / top / f"{a.name}.py").exists() else top for a in node.names
                        }
                    else:
                        deps.add(node.module)
                elif isinstance(node, ast.Import):
                    deps |= {a.name for a in node.names if a.name.split(".")[0] in PACKAGES}
            found[name] = {d for d in deps if d != name}
    return found


COLOURS = ["#fde2e2", "#fdf0d5", "#e3f1df", "#dcecf7", "#ece4f5", "#dcecf7", "#ece4f5", "#e3f1df", "#eeeeee"]


def dot_source(package: str) -> str:
    """One package's picture: its modules in their groups, and their imports of each other."""
    found = imports()
    placed = {f"{p}.{m}" for p, _, mods in GROUPS for m in mods}
    missing = sorted(set(found) - placed)
    if missing:
        sys.exit(f"modules.py: place {', '.join(missing)} in a group of GROUPS")
    lines = [
        f"digraph {package} {{",
        '  graph [rankdir=TB, fontname="Helvetica", fontsize=12, nodesep=0.2, ranksep=0.5, labeljust=l];',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11, height=0.3, penwidth=0.6];',
        '  edge [color="#00000066", arrowsize=0.6];',
    ]
    for i, (p, title, mods) in enumerate(GROUPS):
        if p != package:
            continue
        style = f'style="rounded,filled", fillcolor="{COLOURS[i]}", color="#00000033"'
        lines.append(f'  subgraph "cluster_{i}" {{ graph [label="{title}", {style}];')
        lines += [f'    "{p}.{m}" [label="{m}.py", fillcolor="#ffffff"];' for m in mods]
        lines.append("  }")
    edges = set()
    for name, deps in found.items():
        if not name.startswith(package + "."):
            continue
        for dep in deps:
            if dep == package:
                continue  # cli and demo import the package for its re-exports; their modules are drawn
            if dep.startswith(package + ".") and dep != name:
                edges.add((name, dep))  # nn's imports of the engine are left out: nearly every module has one
    lines += [f'  "{a}" -> "{b}";' for a, b in sorted(edges)]
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    stale = []
    for package in PACKAGES:
        source, out = dot_source(package), OUT / f"modules-{package}"
        dot_path = out.with_suffix(".dot")
        if argv == ["--check"]:
            if not dot_path.exists() or dot_path.read_text(encoding="utf-8") != source:
                stale.append(str(dot_path.relative_to(ROOT)))
            continue
        OUT.mkdir(parents=True, exist_ok=True)
        dot_path.write_text(source, encoding="utf-8")
        svg = subprocess.run(["dot", "-Tsvg"], input=source.encode(), capture_output=True, check=True).stdout
        out.with_suffix(".svg").write_bytes(svg)
        print(f"wrote {dot_path.relative_to(ROOT)} and its .svg")
    if stale:
        print(f"{', '.join(stale)}: not what the code imports now; run python docs/modules.py", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
