"""The notebooks in notebooks/: each runs top to bottom from scratch (its wall time is printed;
bench/notebooks_bench.py measures it against the target of a minute), and is stored executed,
with outputs that are not stale.

Every notebook is executed with nbclient on the python3 kernel of this interpreter, from
notebooks/ as the working directory, with MPLBACKEND=Agg. A cell that raises fails the test with
the cell's source and the error. Stored notebooks (written by `make notebooks`, notebooks/store.py)
carry a python3 kernelspec and their outputs, so their pictures show where people browse code;
a stored notebook fails the tests when a reader would notice it is stale: a cell edited since its
outputs were stored, an output that is an error, a cell not run, or cells run out of order. All of
them together stay under 5 MB.
"""

import importlib.util
import re
import shutil
import time
from pathlib import Path

import pytest

from notebooks.store import write_kernel_spec

from .conftest import require

pytestmark = pytest.mark.slow

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
CELL_TIMEOUT = 120  # seconds, per cell: a cell that hangs fails the test (the time itself is bench's business)
MAX_TOTAL_SIZE = 5_000_000  # bytes, all notebooks together: the repository stays light
ANSI_COLOR = re.compile(r"\x1b\[[0-9;]*m")  # IPython colours its tracebacks


def read(path: Path):
    require(importlib.util.find_spec("nbformat") is not None, "nbformat (pip install -e '.[notebooks]')")
    import nbformat

    return nbformat.read(path, as_version=4)


@pytest.fixture
def python3_kernel_of_this_interpreter(tmp_path, monkeypatch):
    """A python3 kernelspec that runs sys.executable, found first (JUPYTER_PATH beats the user's own specs)."""
    write_kernel_spec(tmp_path)
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))


@pytest.mark.usefixtures("python3_kernel_of_this_interpreter")
@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
def test_notebook_runs_top_to_bottom(path, monkeypatch, capsys):
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
    for cell in nb.cells:  # a table of sizes and counts never shows an unexplained negative number
        text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")
        if "bytes/node" in text:  # notebook 04's memory table
            assert not re.search(r"(?<![\w.])-\d", text), f"{path.name}: a negative number in\n{text}"


@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
def test_notebook_is_stored_executed_in_order_with_its_current_code(path):
    nb = read(path)
    import nbformat

    from notebooks.store import source_hash

    nbformat.validate(nb)
    kernelspec = nb.metadata.get("kernelspec", {})
    assert kernelspec.get("name") == "python3", f"{path.name}: expected a python3 kernelspec, got {kernelspec!r}"
    code = [(i, cell) for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and cell.source.strip()]
    fix = "run `make notebooks` to store it afresh"
    not_run = [i for i, cell in code if cell.execution_count is None]
    assert not not_run, f"{path.name}: cells {not_run} were stored without being run; {fix}"
    counts = [cell.execution_count for _, cell in code]
    assert counts == list(range(1, len(code) + 1)), f"{path.name}: cells were run out of order {counts}; {fix}"
    errors = [i for i, cell in code if any(out.output_type == "error" for out in cell.outputs)]
    assert not errors, f"{path.name}: cells {errors} store an error as their output; {fix}"
    edited = [
        i for i, cell in code if cell.metadata.get("autograd_core", {}).get("source_sha256") != source_hash(cell.source)
    ]
    assert not edited, f"{path.name}: cells {edited} were edited after their outputs were stored; {fix}"


def test_the_stored_notebooks_stay_light():
    total = sum(path.stat().st_size for path in PATHS)
    assert total < MAX_TOTAL_SIZE, f"the notebooks take {total:,} bytes (limit {MAX_TOTAL_SIZE:,})"


@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
def test_every_stored_picture_also_shows_without_html(path):
    """GitHub's and VS Code's viewers sanitize HTML and drop iframes: an output whose HTML holds a
    picture (an <svg>) or a page (an <iframe>) also carries it as an image."""
    nb = read(path)
    missing = []
    for i, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            html = data.get("text/html", "")
            html = "".join(html) if isinstance(html, list) else html
            if ("<svg" in html or "<iframe" in html) and not {"image/svg+xml", "image/png"} & set(data):
                missing.append((i, data.get("text/plain", "")[:60]))
    assert not missing, f"{path.name}: a picture only in HTML (cell, text): {missing}; run `make notebooks`"
