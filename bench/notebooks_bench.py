"""Each notebook's wall time from scratch (the target: under a minute each), as the tests run them.

    python bench/notebooks_bench.py     prints one JSON line per notebook, then a summary line

Every notebook runs with nbclient on a python3 kernel of this interpreter, from notebooks/ as the
working directory, with MPLBACKEND=Agg (tests/test_notebooks.py runs them the same way, and
checks that they run; their time is measured here, not asserted in the tests).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
sys.path.insert(0, str(ROOT))
from notebooks.store import write_kernel_spec  # noqa: E402

TARGET_S = 60.0


def run(path: Path) -> float:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}})
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as kernels:
        os.environ["JUPYTER_PATH"] = str(write_kernel_spec(Path(kernels)))
        os.environ["MPLBACKEND"] = "Agg"
        times = {}
        for path in sorted(NOTEBOOKS.glob("*.ipynb")):
            times[path.name] = run(path)
            print(json.dumps({"bench": "notebook", "notebook": path.name, "seconds": round(times[path.name], 2)}))
    slowest = max(times, key=times.__getitem__)
    print(
        json.dumps(
            {"bench": "notebooks", "slowest": slowest, "seconds": round(times[slowest], 2), "target_s": TARGET_S,
             "met": times[slowest] < TARGET_S, "times": {k: round(v, 2) for k, v in times.items()}}
        )
    )  # fmt: skip


if __name__ == "__main__":
    main()
