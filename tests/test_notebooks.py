"""The notebooks in notebooks/: each runs top to bottom, in under a minute, and is stored clean.

Every notebook is executed with nbclient on the python3 kernel of this interpreter, from
notebooks/ as the working directory, with MPLBACKEND=Agg. A cell that raises fails the test with
the cell's source and the error. Stored notebooks carry a python3 kernelspec, no execution
counts, and no outputs to speak of (the file stays under 50 kB).
"""

import importlib.util
import json
import re
import shutil
import sys
import time
from pathlib import Path

import pytest

from .conftest import require

pytestmark = pytest.mark.slow

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
CELL_TIMEOUT = 60  # seconds, per cell
WALL_TIME = 60.0  # seconds, per notebook
MAX_FILE_SIZE = 50_000  # bytes: a notebook stored with outputs would be far larger
ANSI_COLOR = re.compile(r"\x1b\[[0-9;]*m")  # IPython colours its tracebacks


def read(path: Path):
    require(importlib.util.find_spec("nbformat") is not None, "nbformat (pip install -e '.[notebooks]')")
    import nbformat

    return nbformat.read(path, as_version=4)


@pytest.fixture
def python3_kernel_of_this_interpreter(tmp_path, monkeypatch):
    """A python3 kernelspec that runs sys.executable, found first (JUPYTER_PATH beats the user's own specs)."""
    spec = tmp_path / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "Python 3", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))


@pytest.mark.usefixtures("python3_kernel_of_this_interpreter")
@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
def test_notebook_runs_top_to_bottom_in_under_a_minute(path, monkeypatch, capsys):
    for module in ("nbclient", "ipykernel", "matplotlib"):
        require(importlib.util.find_spec(module) is not None, f"{module} (pip install -e '.[notebooks]')")
    require(shutil.which("dot") is not None, "Graphviz's dot")
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    nb = read(path)
    monkeypatch.setenv("MPLBACKEND", "Agg")  # the kernel inherits this process's environment
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    start = time.perf_counter()
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError) as error:
        message = ANSI_COLOR.sub("", str(error))
        pytest.fail(f"{path.name}: a cell failed after {time.perf_counter() - start:.1f} s\n{message}", pytrace=False)
    seconds = time.perf_counter() - start
    with capsys.disabled():  # the wall time, shown even with -q
        print(f"\n{path.name} ran in {seconds:.1f} s", end=" ")
    assert seconds < WALL_TIME, f"{path.name} took {seconds:.1f} s (limit {WALL_TIME:.0f} s)"
    for cell in nb.cells:  # a table of sizes and counts never shows an unexplained negative number
        text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")
        if "bytes/node" in text:  # notebook 04's memory table
            assert not re.search(r"(?<![\w.])-\d", text), f"{path.name}: a negative number in\n{text}"


@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
def test_notebook_is_stored_without_outputs_and_with_a_kernelspec(path):
    nb = read(path)
    import nbformat

    nbformat.validate(nb)
    size = path.stat().st_size
    assert size < MAX_FILE_SIZE, f"{path.name} is {size} bytes: strip its outputs (limit {MAX_FILE_SIZE})"
    counted = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and cell.execution_count is not None]
    assert not counted, f"{path.name}: cells {counted} have execution counts: strip them"
    kernelspec = nb.metadata.get("kernelspec", {})
    assert kernelspec.get("name") == "python3", f"{path.name}: expected a python3 kernelspec, got {kernelspec!r}"
