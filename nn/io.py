"""Save and load an MLP as .npz or .json: never pickle.

Both formats hold the architecture (sizes, activations, bias) and, for each layer l, the
weights W^l of shape (n_l, n_{l-1}) and the biases b^l of shape (n_l,). A save writes a
temporary file next to the target and renames it over the target, so a crash never leaves a
half-written model; a load checks every field and shape and refuses anything else with a
message that says what was expected. Round trips are exact (JSON floats are written with
Python's shortest round-tripping repr).

A load validates before it allocates, so a small hostile file cannot cost much memory or time:
it reads only a regular file (not a device, FIFO or directory) of at most ``MAX_NPZ_BYTES`` or
``MAX_JSON_BYTES``; it checks the declared architecture (at most ``MAX_PARAMETERS``
parameters) before anything else; in an .npz it checks each entry's compression (stored or
deflated, at most ``MAX_COMPRESSION_RATIO``) and each array's .npy header (of at most
``MAX_NPY_HEADER_BYTES``, declaring real numbers of exactly the declared shape, or a model header
of at most ``MAX_HEADER_CHARS``, and filling the entry exactly) before reading its data; and it checks
every array's shape before it builds the network. Every refusal is a ValueError that names the
file (a missing or unreadable one is the usual OSError).
"""

from __future__ import annotations

import io
import itertools
import json
import math
import os
import reprlib
import tokenize
import zipfile
import zlib
from pathlib import Path
from typing import IO, Any, cast

import numpy as np
from numpy.lib import format as npy

from autograd_core.files import open_regular, write_atomic
from nn import labels
from nn.activations import ACTIVATIONS
from nn.module import MLP, checked_array

FORMAT = "autograd-core.mlp"
VERSION = 1

MAX_PARAMETERS = 10_000_000
"""The most parameters (weights and biases) a saved model may declare: 80 MB as float64 arrays;
as an MLP of Values, about 2 GB."""
MAX_NPZ_BYTES = 128 * 2**20
"""The largest .npz a load reads: room for MAX_PARAMETERS float64s and their headers. Reading
its zip directory can take up to about 7 times its size in memory (a file of empty entries)."""
MAX_JSON_BYTES = 32 * 2**20
"""The largest JSON a load reads (and a save writes): about 1.4 million parameters as ``save``
writes them; save bigger models as .npz. It is the smaller limit because parsing JSON can take
up to about 27 times its size in memory (a text of empty lists)."""
MAX_HEADER_CHARS = 2**20
"""The longest model header (the JSON text of sizes, activations and bias in an .npz's header
entry) a load reads: room for about 80,000 layers. ``save`` writes about 12 characters a layer."""
MAX_NPY_HEADER_BYTES = 10_000
"""The longest .npy header (the text before an array's data) a load reads: numpy's own limit."""
MAX_COMPRESSION_RATIO = 100
"""The most an .npz entry may uncompress to, as a multiple of its compressed size. ``save``
stores arrays uncompressed (ratio 1) and random floats deflate to about 1.1; a zip bomb is near
1000. (A large all-zero array saved with np.savez_compressed can exceed it.)"""

_shown = reprlib.Repr()  # values from a file go into messages shortened: "[1, 2, 3, 4, 5, 6, ...]"


def state_dict(model: MLP) -> dict[str, Any]:
    """The model as plain data: architecture plus W1, b1, W2, ... as float64 arrays."""
    state: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "sizes": model.sizes,
        "activations": model.activations,
        "bias": model.bias,
    }
    Ws, bs = model.matrices()
    for l, W in enumerate(Ws, start=1):
        state[labels.weight_matrix(l)] = W
        if bs is not None:
            state[labels.bias_vector(l)] = bs[l - 1]
    return state


def from_state_dict(state: dict[str, Any], source: str = "state") -> MLP:
    """An MLP rebuilt from ``state_dict`` data, after checking every field and every array's
    shape: nothing is built until all of them are right."""
    sizes, acts, bias = _architecture(state, source)
    expected = _array_names(sizes, bias)
    arrays = {k for k in state if labels.parse_matrix_name(k) is not None}
    if arrays != expected:
        raise ValueError(
            f"{source}: expected arrays {_shown.repr(sorted(expected))}, found {_shown.repr(sorted(arrays))}"
        )
    layers = range(1, len(sizes))
    W, b = labels.weight_matrix, labels.bias_vector
    Ws = [checked_array(state[W(l)], (sizes[l], sizes[l - 1]), f"{source}: {W(l)}") for l in layers]
    bs = [checked_array(state[b(l)], (sizes[l],), f"{source}: {b(l)}") for l in layers] if bias else None
    hidden = acts[0] if len(acts) > 1 else "linear"
    model = MLP(sizes[0], sizes[1:], activation=hidden, output_activation=acts[-1], bias=bias)
    model.set_matrices(Ws, bs)
    return model


def save(model: MLP, path: str | os.PathLike[str]) -> Path:
    """Write the model to ``path`` (.npz or .json, by the extension), atomically.

    A JSON text over ``MAX_JSON_BYTES`` is refused (a load would refuse it): use .npz.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    state = state_dict(model)
    if suffix == ".json":
        data = {k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in state.items()}
        text = json.dumps(data, indent=1).encode()
        if len(text) > MAX_JSON_BYTES:
            raise ValueError(
                f"{target}: expected at most MAX_JSON_BYTES = {MAX_JSON_BYTES} bytes of JSON, "
                f"{model!r} takes {len(text)}; save it as .npz"
            )
        write_atomic(target, text)
    elif suffix == ".npz":
        arrays = {k: v for k, v in state.items() if isinstance(v, np.ndarray)}
        header = {k: v for k, v in state.items() if not isinstance(v, np.ndarray)}
        entries = {"header": np.array(json.dumps(header)), **arrays}
        write_atomic(target, lambda f: np.savez(f, **cast(dict[str, Any], entries)))
    else:
        raise ValueError(f"save: expected a path ending in .npz or .json, got {str(target)!r}")
    return target


def load(path: str | os.PathLike[str]) -> MLP:
    """Read a model written by ``save``; refuses malformed or hostile files with a clear message.

    Limits: a regular file of at most MAX_NPZ_BYTES (.npz) or MAX_JSON_BYTES (.json), declaring
    at most MAX_PARAMETERS parameters; .npz entries stored or deflated, uncompressing to at most
    MAX_COMPRESSION_RATIO times their size. Each is checked before the memory it would cost is
    allocated (see the module's docstring).
    """
    source = Path(path)
    suffix = source.suffix.lower()
    if suffix == ".json":
        state = _read_json(source)
    elif suffix == ".npz":
        state = _read_npz(source)
    else:
        raise ValueError(f"load: expected a path ending in .npz or .json, got {str(source)!r}")
    return from_state_dict(state, str(source))


def _parameter_count(sizes: list[int], bias: bool) -> int:
    """Σ_l n_l·n_{l-1} weights, plus Σ_l n_l biases when ``bias``."""
    return sum(n_out * (n_in + bias) for n_in, n_out in itertools.pairwise(sizes))


def _architecture(state: dict[str, Any], source: str) -> tuple[list[int], list[str], bool]:
    """The sizes, activations and bias of ``state``, each checked, and at most MAX_PARAMETERS."""
    if state.get("format") != FORMAT:
        found = _shown.repr(state.get("format"))
        raise ValueError(f"{source}: not an autograd-core model (format field {found}, expected {FORMAT!r})")
    if state.get("version") != VERSION:
        found = _shown.repr(state.get("version"))
        raise ValueError(f"{source}: unsupported version {found} (this library reads {VERSION})")
    sizes, acts, bias = state.get("sizes"), state.get("activations"), state.get("bias")
    if not isinstance(sizes, list) or len(sizes) < 2 or not all(type(n) is int and n > 0 for n in sizes):
        raise ValueError(f"{source}: 'sizes' must be a list of at least two positive ints, got {_shown.repr(sizes)}")
    if not isinstance(acts, list) or len(acts) != len(sizes) - 1 or not all(a in ACTIVATIONS for a in acts):
        names = ", ".join(ACTIVATIONS)
        raise ValueError(f"{source}: 'activations' must list {len(sizes) - 1} of {names}, got {_shown.repr(acts)}")
    if acts[:-1] and len(set(acts[:-1])) != 1:
        raise ValueError(f"{source}: hidden layers must share one activation, got {_shown.repr(acts[:-1])}")
    if not isinstance(bias, bool):
        raise ValueError(f"{source}: 'bias' must be true or false, got {_shown.repr(bias)}")
    n = _parameter_count(sizes, bias)
    if n > MAX_PARAMETERS:
        raise ValueError(
            f"{source}: too large: expected at most MAX_PARAMETERS = {MAX_PARAMETERS} parameters, "
            f"sizes {_shown.repr(sizes)} declare {n}"
        )
    return sizes, acts, bias


def _array_names(sizes: list[int], bias: bool) -> set[str]:
    layers = range(1, len(sizes))
    return {labels.weight_matrix(l) for l in layers} | ({labels.bias_vector(l) for l in layers} if bias else set())


def _shape(name: str, sizes: list[int]) -> tuple[int, ...]:
    """The shape array ``name`` must have: W^l is (n_l, n_{l-1}), b^l is (n_l,)."""
    kind, l = cast(tuple[str, int], labels.parse_matrix_name(name))
    return (sizes[l], sizes[l - 1]) if kind == "W" else (sizes[l],)


def _read_json(source: Path) -> dict[str, Any]:
    with open_regular(source, MAX_JSON_BYTES) as f:
        text = f.read(os.fstat(f.fileno()).st_size)  # the size checked, even if the file grows
    try:
        state = json.loads(text.decode("utf-8"))
    except (ValueError, RecursionError) as e:  # bad UTF-8, bad JSON, an int of too many digits, deep nesting
        raise ValueError(f"{source}: not valid JSON ({e})") from None
    if not isinstance(state, dict):
        raise ValueError(f"{source}: expected a JSON object at the top level")
    return state


def _read_npz(source: Path) -> dict[str, Any]:
    """The header and arrays of an .npz, each entry checked before its data is read."""
    with open_regular(source, MAX_NPZ_BYTES) as f:
        try:
            archive = zipfile.ZipFile(f)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as e:
            raise ValueError(f"{source}: not a readable .npz file ({e})") from None
        with archive:
            return _read_archive(archive, source)


def _read_archive(archive: zipfile.ZipFile, source: Path) -> dict[str, Any]:
    names = set(archive.namelist())
    if "header.npy" not in names:
        raise ValueError(f"{source}: no 'header' entry; not an autograd-core model")
    for info in archive.infolist():
        _check_entry(info, source)
    header = _read_header(archive, source)
    sizes, _, bias = _architecture(header, str(source))
    expected = {f"{name}.npy" for name in _array_names(sizes, bias)}
    if names - {"header.npy"} != expected:
        found = sorted(names - {"header.npy"})
        raise ValueError(f"{source}: expected entries {_shown.repr(sorted(expected))}, found {_shown.repr(found)}")
    arrays = {name[:-4]: _read_npy(archive, name, _shape(name[:-4], sizes), source) for name in sorted(expected)}
    return {**header, **arrays}


def _check_entry(info: zipfile.ZipInfo, source: Path) -> None:
    """An entry must be stored or deflated, not encrypted, and claim a ratio of at most
    MAX_COMPRESSION_RATIO (other methods, such as bzip2, reach millions)."""
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 1:
        raise ValueError(
            f"{source}: {info.filename}: expected an entry stored or deflated, as numpy writes them, "
            f"got compression method {info.compress_type}{', encrypted' if info.flag_bits & 1 else ''}"
        )
    if info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
        raise ValueError(
            f"{source}: {info.filename}: expected to uncompress to at most MAX_COMPRESSION_RATIO = "
            f"{MAX_COMPRESSION_RATIO} times its size, got {info.compress_size} bytes that uncompress to "
            f"{info.file_size} (a zip bomb?)"
        )


def _read_header(archive: zipfile.ZipFile, source: Path) -> dict[str, Any]:
    text = _read_npy(archive, "header.npy", None, source)[()]
    try:
        header = json.loads(str(text))
    except (ValueError, RecursionError) as e:
        raise ValueError(f"{source}: the header is not valid JSON ({e})") from None
    if not isinstance(header, dict):
        raise ValueError(f"{source}: the header is not a JSON object")
    return header


def _read_npy(archive: zipfile.ZipFile, name: str, shape: tuple[int, ...] | None, source: Path) -> np.ndarray:
    """The array in entry ``name``, once its .npy header says what ``shape`` asks for (real
    numbers of that shape; None: one unicode string, the model's header) and the entry holds
    exactly that many bytes of data. Nothing is read past the header before then."""
    info = archive.getinfo(name)
    try:
        with archive.open(info) as f:
            dtype, got, fortran = _npy_header(f, f"{source}: {name}")
            kinds, want = (
                ("U", "one unicode string, of shape ()") if shape is None else ("fiu", f"real numbers of shape {shape}")
            )
            if dtype.kind not in kinds or got != (shape or ()):
                raise ValueError(f"{source}: {name}: expected {want}, got {dtype} of shape {_shown.repr(got)}")
            if shape is None and dtype.itemsize > 4 * MAX_HEADER_CHARS:  # 4 bytes a character
                raise ValueError(
                    f"{source}: {name}: expected a header of at most MAX_HEADER_CHARS = {MAX_HEADER_CHARS} "
                    f"characters, got {dtype}"
                )
            nbytes = math.prod(got) * dtype.itemsize
            if info.file_size != f.tell() + nbytes:
                raise ValueError(
                    f"{source}: {name}: expected {nbytes} bytes of data for {dtype} of shape {got}, "
                    f"the entry has {info.file_size - f.tell()}"
                )
            data = f.read(nbytes)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError) as e:  # e.g. flag bit 5
        raise ValueError(f"{source}: {name}: not a readable .npz entry ({e})") from None
    return np.frombuffer(data, dtype=dtype).reshape(got, order="F" if fortran else "C")


def _npy_header(f: IO[bytes], where: str) -> tuple[np.dtype, tuple[int, ...], bool]:
    """dtype, shape and Fortran order from the .npy header at the start of ``f`` (format 1.0 or
    2.0, of at most MAX_NPY_HEADER_BYTES), read without reading any data.

    numpy reads the whole header before it checks its length against ``max_header_size``, and
    format 2.0 declares up to 4 GiB: so the declared length is read and checked here first."""
    try:
        version = npy.read_magic(f)
        readers = {(1, 0): npy.read_array_header_1_0, (2, 0): npy.read_array_header_2_0}
        if version not in readers:
            raise ValueError(f"expected .npy format 1.0 or 2.0, got {version}")
        width = 2 if version == (1, 0) else 4
        declared = f.read(width)
        length = int.from_bytes(declared, "little")
        if len(declared) < width or length > MAX_NPY_HEADER_BYTES:
            said = f"it declares {length}" if len(declared) == width else "the file ends in its length"
            raise ValueError(f"expected at most {MAX_NPY_HEADER_BYTES} bytes, {said}")
        header = io.BytesIO(declared + f.read(length))
        shape, fortran, dtype = readers[version](header, max_header_size=MAX_NPY_HEADER_BYTES)
    except (ValueError, SyntaxError, RecursionError, tokenize.TokenError) as e:  # numpy parses it as Python
        said = (str(e).splitlines() or ["no message"])[0]  # numpy's own messages run to several lines
        raise ValueError(f"{where}: not a valid .npy header ({said[:200]})") from None
    return dtype, shape, fortran
