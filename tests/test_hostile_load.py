"""Hostile and careless input to the loaders (nn.load, nn.data.read_idx): a clean ValueError
that names the file and says what was wrong, in bounded memory, and never a hang.

Each case is a row of the table: a file made in tmp_path, the loader, the error expected and
a phrase of its message. Every call runs in a thread with a generous guard (a FIFO must not
block the suite) and under tracemalloc, which sees numpy's buffers as well as Python objects,
so a refusal that allocates first fails here.
"""

import gzip
import io
import json
import os
import struct
import threading
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.lib import format as npy

import nn
from nn.data import read_idx
from nn.io import MAX_JSON_BYTES, MAX_NPZ_BYTES, state_dict

PEAK = 32 * 2**20
"""The most memory (bytes, as tracemalloc counts them) any refusal here may take."""
GUARD = 60.0
"""Seconds after which a call is taken to hang; no case comes near it."""


def guarded(call: Callable[[], object], unblock: Callable[[], None] = lambda: None) -> tuple[object, int]:
    """call()'s result (or the exception it raised) and its peak traced memory; fails if it hangs."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as e:
            outcome.append(e)

    tracemalloc.start()
    try:
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        thread.join(GUARD)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    if thread.is_alive():
        unblock()
        pytest.fail(f"the call did not return within {GUARD} s")
    return outcome[0], peak


# ---- making hostile files ---------------------------------------------------------------------
HEAD = {"format": "autograd-core.mlp", "version": 1, "activations": ["linear"], "bias": True}


def json_file(path: Path, **fields: object) -> Path:
    path.write_text(json.dumps({**HEAD, **fields}))
    return path


def npy_bytes(a: np.ndarray) -> bytes:
    f = io.BytesIO()
    np.save(f, a)
    return f.getvalue()


def npy_header(shape: tuple[int, ...], descr: str = "<f8") -> bytes:
    f = io.BytesIO()
    npy.write_array_header_1_0(f, {"descr": descr, "fortran_order": False, "shape": shape})
    return f.getvalue()


def npz_file(path: Path, entries: dict[str, bytes], method: int = zipfile.ZIP_STORED, sizes=(2, 3)) -> Path:
    """An .npz with a model header for ``sizes`` and the given raw entries (name -> bytes)."""
    header = npy_bytes(np.array(json.dumps({**HEAD, "sizes": list(sizes)})))
    with zipfile.ZipFile(path, "w", method) as z:
        for name, data in {"header.npy": header, **entries}.items():
            z.writestr(name, data)
    return path


GOOD_ARRAYS = {"W1.npy": npy_bytes(np.ones((3, 2))), "b1.npy": npy_bytes(np.zeros(3))}


def zip_bomb(path: Path) -> Path:
    """W1.npy: 100 MiB of zeros, deflated to about 100 KB, with a header that says so."""
    npz_file(path, {"b1.npy": GOOD_ARRAYS["b1.npy"]})
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z, z.open("W1.npy", "w", force_zip64=True) as f:
        f.write(npy_header((100 * 2**20 // 8,)))
        for _ in range(100):
            f.write(bytes(2**20))
    return path


def idx_header(code: int, *dims: int) -> bytes:
    return bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)


def gzip_bomb(path: Path) -> Path:
    """An IDX header for 10 bytes of data, then 200 MB of zeros: about 200 KB gzipped."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    with open(path, "wb") as f:
        f.write(packer.compress(idx_header(0x08, 10)))
        for _ in range(200):
            f.write(packer.compress(bytes(2**20)))
        f.write(packer.flush())
    return path


def written(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def sparse(path: Path, size: int) -> Path:
    """A regular file of ``size`` zero bytes that takes no disk space."""
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def symlink(path: Path, target: str) -> Path:
    path.symlink_to(target)
    return path


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def directory(path: Path) -> Path:
    path.mkdir()
    return path


def saved(path: Path) -> Path:
    return nn.save(nn.MLP(2, [3, 2], seed=0), path)


def repeated_zip(path: Path, entries: dict[str, tuple[bytes, bytes, int]]) -> Path:
    """A zip of deflated entries, each ``head`` then ``chunk`` repeated ``n`` times, written in a
    fraction of a second however large: the chunk is deflated once and its bytes repeated (after a
    full flush, deflate starts afresh, so every copy deflates the same). A hostile .npz that
    uncompresses to gigabytes, within MAX_COMPRESSION_RATIO, as a few MiB on disk."""
    with open(path, "wb") as f:
        directory = b""
        for name, (head, chunk, n) in entries.items():
            packer = zlib.compressobj(1, zlib.DEFLATED, -15)
            flush = zlib.Z_FULL_FLUSH
            first, each = packer.compress(head) + packer.flush(flush), packer.compress(chunk) + packer.flush(flush)
            last = packer.flush()
            crc = zlib.crc32(head)
            for _ in range(n):
                crc = zlib.crc32(chunk, crc)
            sizes = struct.pack("<III", crc, len(first) + n * len(each) + len(last), len(head) + n * len(chunk))
            common = struct.pack("<HHHHH", 20, 0, zipfile.ZIP_DEFLATED, 0, 0x21) + sizes
            offset = f.tell()
            f.write(b"PK\x03\x04" + common + struct.pack("<HH", len(name), 0) + name.encode())
            f.write(first)
            for _ in range(n):
                f.write(each)
            f.write(last)
            extra = struct.pack("<HHHHHII", len(name), 0, 0, 0, 0, 0, offset)
            directory += b"PK\x01\x02" + struct.pack("<H", 20) + common + extra + name.encode()
        start = f.tell()
        f.write(directory)
        f.write(b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, len(entries), len(entries), len(directory), start, 0))
    return path


MiB = 2**20
SPARSE = np.random.default_rng(0).random(MiB) < 0.008
SPARSE_CHARS = np.where(SPARSE[: MiB // 4], ord("b"), ord("a")).astype("<u4").tobytes()
"""1 MiB of "a" with a "b" here and there, as UCS-4: it deflates about 80 to 1, under MAX_COMPRESSION_RATIO."""
SPARSE_SPACES = np.where(SPARSE, ord("\t"), ord(" ")).astype(np.uint8).tobytes()
"""1 MiB of spaces with a tab here and there: padding of an .npy header that deflates about 40 to 1."""


def huge_model_header(path: Path, mib: int) -> Path:
    """An .npz whose model header (the entry header.npy, one unicode string) is ``mib`` MiB of text."""
    head = npy_header((), f"<U{mib * MiB // 4}")
    return repeated_zip(path, {"header.npy": (head, SPARSE_CHARS, mib)})


def huge_npy_header(path: Path, mib: int) -> Path:
    """An .npz whose header.npy declares an .npy header (format 2.0) of ``mib`` MiB, mostly padding."""
    text = b"{'descr': '<U1', 'fortran_order': False, 'shape': (), }"
    head = b"\x93NUMPY\x02\x00" + struct.pack("<I", len(text) + mib * MiB + 1) + text
    return repeated_zip(path, {"header.npy": (head + b"\n", SPARSE_SPACES, mib)})


def cut(path: Path, keep: float) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


# ---- the table ------------------------------------------------------------------------------
LOAD, IDX = nn.load, read_idx

CASES: list[tuple[str, Callable[[Path], Path], Callable[[Path], object], str]] = [
    # JSON models
    (
        "json 3000x3000 declared",
        lambda d: json_file(d / "m.json", sizes=[3000, 3000], W1=[[0]], b1=[0]),
        LOAD,
        "W1: expected shape (3000, 3000), got (1, 1)",
    ),
    (
        "json 100000x100000 declared",
        lambda d: json_file(d / "m.json", sizes=[100000, 100000], W1=[[0]], b1=[0]),
        LOAD,
        "too large: expected at most MAX_PARAMETERS = 10000000 parameters",
    ),
    ("json nested 100000 deep", lambda d: written(d / "m.json", b"[" * 100_000), LOAD, "not valid JSON"),
    (
        "json int of 5000 digits",
        lambda d: written(d / "m.json", b'{"sizes": [' + b"9" * 5000 + b"]}"),
        LOAD,
        "not valid JSON",
    ),
    (
        "json over MAX_JSON_BYTES",
        lambda d: sparse(d / "m.json", MAX_JSON_BYTES + 1),
        LOAD,
        f"too large: expected at most {MAX_JSON_BYTES} bytes",
    ),
    ("json truncated", lambda d: cut(saved(d / "m.json"), 0.5), LOAD, "not valid JSON"),
    (
        "json weight of 400 digits",
        lambda d: json_file(d / "m.json", sizes=[2, 3], W1=[[10**400, 0]] * 3, b1=[0, 0, 0]),
        LOAD,
        "W1: values must be finite (a number too large for a float)",
    ),
    # npz models
    (
        "npz 100000x100000 declared",
        lambda d: npz_file(d / "m.npz", GOOD_ARRAYS, sizes=(100000, 100000)),
        LOAD,
        "too large: expected at most MAX_PARAMETERS",
    ),
    (
        "npz array header of 8 TiB",
        lambda d: npz_file(d / "m.npz", {**GOOD_ARRAYS, "W1.npy": npy_header((2**20, 2**20))}),
        LOAD,
        "W1.npy: expected real numbers of shape (3, 2), got float64 of shape (1048576, 1048576)",
    ),
    (
        "npz object array",
        lambda d: npz_file(d / "m.npz", {**GOOD_ARRAYS, "W1.npy": npy_header((3, 2), "|O")}),
        LOAD,
        "W1.npy: expected real numbers of shape (3, 2), got object",
    ),
    (
        "npz array shorter than its header",
        lambda d: npz_file(d / "m.npz", {**GOOD_ARRAYS, "W1.npy": npy_header((3, 2))}),
        LOAD,
        "W1.npy: expected 48 bytes of data for float64 of shape (3, 2), the entry has 0",
    ),
    (
        "npz array header garbage",
        lambda d: npz_file(d / "m.npz", {**GOOD_ARRAYS, "W1.npy": b"\x93NUMPY\x01\x00\x04\x00{{{{"}),
        LOAD,
        "W1.npy: not a valid .npy header",
    ),
    (
        "npz header not a string",
        lambda d: npz_file(d / "m.npz", {"header.npy": npy_bytes(np.zeros(3))}),
        LOAD,
        "header.npy: expected one unicode string",
    ),
    (
        "npz extra entry",
        lambda d: npz_file(d / "m.npz", {**GOOD_ARRAYS, "W7.npy": GOOD_ARRAYS["b1.npy"]}),
        LOAD,
        "expected entries ['W1.npy', 'b1.npy'], found ['W1.npy', 'W7.npy', 'b1.npy']",
    ),
    (
        "npz zip bomb",
        lambda d: zip_bomb(d / "m.npz"),
        LOAD,
        "W1.npy: expected to uncompress to at most MAX_COMPRESSION_RATIO",
    ),
    (
        "npz bzip2 entry",
        lambda d: npz_file(d / "m.npz", GOOD_ARRAYS, zipfile.ZIP_BZIP2),
        LOAD,
        "expected an entry stored or deflated",
    ),
    (
        "npz over MAX_NPZ_BYTES",
        lambda d: sparse(d / "m.npz", MAX_NPZ_BYTES + 1),
        LOAD,
        f"too large: expected at most {MAX_NPZ_BYTES} bytes",
    ),
    ("npz truncated", lambda d: cut(saved(d / "m.npz"), 0.5), LOAD, "not a readable .npz file"),
    # issue 21: an entry's .npy header, and the model's header, are bounded before they are read
    (
        "npz model header of 954 MiB",
        lambda d: huge_model_header(d / "m.npz", 954),
        LOAD,
        "header.npy: expected a header of at most MAX_HEADER_CHARS = 1048576 characters, got <U250085376",
    ),
    (
        "npz model header of 1.9 GiB",
        lambda d: huge_model_header(d / "m.npz", 1900),
        LOAD,
        "header.npy: expected a header of at most MAX_HEADER_CHARS",
    ),
    (
        "npz .npy header of 900 MiB",
        lambda d: huge_npy_header(d / "m.npz", 900),
        LOAD,
        "header.npy: not a valid .npy header (expected at most 10000 bytes, it declares 9437184",
    ),
    (
        "npz .npy header length cut short",
        lambda d: repeated_zip(d / "m.npz", {"header.npy": (b"\x93NUMPY\x02\x00\x10", b"", 0)}),
        LOAD,
        "header.npy: not a valid .npy header",
    ),
    # IDX files
    (
        "idx lying header",
        lambda d: written(d / "x.idx", idx_header(0x08, 2**32 - 1, 2**32 - 1) + b"xy"),
        IDX,
        "truncated IDX data: expected 18446744065119617037 bytes",
    ),
    (
        "idx gzip lying header",
        lambda d: written(d / "x.gz", gzip.compress(idx_header(0x0E, 2**31, 2**31))),
        IDX,
        "truncated IDX data: expected 36893488147419103244 bytes",
    ),
    ("idx gzip bomb", lambda d: gzip_bomb(d / "x.gz"), IDX, "more than 1048576 trailing bytes after the IDX data"),
    (
        "idx truncated",
        lambda d: written(d / "x.idx", idx_header(0x08, 3, 4) + bytes(5)),
        IDX,
        "truncated IDX data: expected 24 bytes",
    ),
    # not regular files, for each loader
    *[
        (f"{kind} {name}", make, loader, phrase)
        for name, loader in [("m.json", LOAD), ("m.npz", LOAD), ("x.idx", IDX)]
        for kind, make, phrase in [
            ("/dev/zero via a symlink:", lambda d, n=name: symlink(d / n, "/dev/zero"), "got a character device"),
            ("a FIFO:", lambda d, n=name: fifo(d / n), "got a FIFO"),
            ("a directory:", lambda d, n=name: directory(d / n), "got a directory"),
        ]
    ],
    (
        "/dev/zero itself",
        lambda d: Path("/dev/zero"),
        IDX,
        "/dev/zero: expected a regular file, got a character device",
    ),
]


@pytest.mark.parametrize("make, loader, phrase", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hostile_file_is_refused_cleanly_in_bounded_memory(tmp_path, make, loader, phrase):
    path = make(tmp_path)
    error, peak = guarded(lambda: loader(path), unblock=lambda: os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK)))
    assert isinstance(error, ValueError), repr(error)
    message = str(error)
    assert message.startswith(f"{path}: "), message  # every load error names the file
    assert phrase in message, message
    assert peak < PEAK, f"peak {peak / 2**20:.0f} MiB"


# ---- random input ---------------------------------------------------------------------------
def valid_bytes(suffix: str) -> bytes:
    """A small valid file of each kind, for mutation."""
    if suffix == ".idx":
        a = np.arange(12, dtype=">i2").reshape(3, 4)
        return idx_header(0x0B, 3, 4) + a.tobytes()
    model = nn.MLP(2, [3, 2], seed=0)
    if suffix == ".json":
        return json.dumps(
            {k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in state_dict(model).items()}
        ).encode()
    f = io.BytesIO()
    entries = {k: v for k, v in state_dict(model).items() if isinstance(v, np.ndarray)}
    header = {k: v for k, v in state_dict(model).items() if not isinstance(v, np.ndarray)}
    np.savez(f, header=np.array(json.dumps(header)), **entries)
    return f.getvalue()


@st.composite
def hostile_bytes(draw, suffix: str) -> bytes:
    """Random bytes, or a valid file with random bytes overwritten, inserted or cut off."""
    if draw(st.booleans()):
        return draw(st.binary(max_size=2000))
    data = bytearray(valid_bytes(suffix))
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(data)))
        patch = draw(st.binary(min_size=1, max_size=8))
        if draw(st.booleans()):
            data[at : at + len(patch)] = patch
        else:
            data[at:at] = patch
    return bytes(data[: draw(st.integers(0, len(data)))] if draw(st.booleans()) else data)


@pytest.mark.parametrize(
    "suffix, loader, kind",
    [(".json", LOAD, nn.MLP), (".npz", LOAD, nn.MLP), (".idx", IDX, np.ndarray), (".gz", IDX, np.ndarray)],
)
@given(data=st.data())
def test_random_bytes_give_a_library_error_or_a_valid_result(tmp_path_factory, suffix, loader, kind, data):
    content = data.draw(hostile_bytes(".idx" if suffix == ".gz" else suffix))
    path = tmp_path_factory.mktemp("fuzz") / f"input{suffix}"
    path.write_bytes(gzip.compress(content) if suffix == ".gz" else content)
    result, peak = guarded(lambda: loader(path))
    if isinstance(result, BaseException):
        assert isinstance(result, ValueError), repr(result)
        assert str(result).startswith(f"{path}: "), str(result)
    else:
        assert isinstance(result, kind)
    assert peak < PEAK, f"peak {peak / 2**20:.0f} MiB"
