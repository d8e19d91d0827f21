"""Execute every notebook top to bottom and store it with its outputs (`make notebooks`).

    python notebooks/store.py [NOTEBOOK ...]

The stored notebooks show their pictures where people browse code (GitHub renders them). Each
is run with nbclient on the python3 kernel of this interpreter, from notebooks/ as the working
directory, with the inline matplotlib backend (as in Jupyter) and a fixed hash seed, so the same
code stores the same outputs (timings aside). Each code cell's metadata records a hash of its
source: the tests fail when a cell was edited after its outputs were stored (run this again),
when a stored output is an error, or when cells were stored out of order.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def source_hash(source: str) -> str:
    """The hash stored with a cell's outputs: of its source, as run."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


def write_kernel_spec(folder: Path) -> Path:
    """A python3 kernelspec in ``folder`` (kernels/python3/kernel.json) that runs this interpreter;
    returns ``folder``, to put in JUPYTER_PATH, which Jupyter searches before the user's own
    kernelspecs. The notebook tests, the JupyterLab tests and bench/notebooks_bench.py use it too."""
    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "Python 3", "language": "python"}))
    return folder


def store(path: Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as kernels:
        os.environ["JUPYTER_PATH"] = str(write_kernel_spec(Path(kernels)))
        os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"  # figures shown, as in Jupyter
        os.environ["PYTHONHASHSEED"] = "0"
        NotebookClient(
            nb, timeout=120, kernel_name="python3", record_timing=False, resources={"metadata": {"path": str(HERE)}}
        ).execute()
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.metadata.pop("execution", None)
            cell.metadata["autograd_core"] = {"source_sha256": source_hash(cell.source)}
            cell.outputs = _coalesced(cell.outputs)
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    print(f"stored {path.name} ({path.stat().st_size / 1000:.0f} kB)")


def _coalesced(outputs: list) -> list:
    """Consecutive text on the same stream as one output: how the kernel chunked it is noise."""
    merged: list = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            output.output_type == "stream"
            and previous is not None
            and previous.output_type == "stream"
            and previous.name == output.name
        ):
            previous.text += output.text
        else:
            merged.append(output)
    return merged


def main(argv: list[str]) -> None:
    paths = [Path(p) for p in argv] or sorted(HERE.glob("*.ipynb"))
    for path in paths:
        store(path)


if __name__ == "__main__":
    main(sys.argv[1:])
