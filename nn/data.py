"""Datasets: small 2-D classification problems to train on, the digits, and an MNIST reader.

Every loader returns ``(X, y)``: X of shape (n, features), float64; y of shape (n,), int64.

- ``moons``: two interleaving half circles, as scikit-learn's make_moons lays them out.
- ``circles``: two concentric circles, the inner one of radius ``factor``.
- ``spiral``: the CS231n spiral, ``classes`` arms winding out from the origin.
- ``xor``: four clusters at the corners (±1, ±1), labelled 1 where the signs of x1 and x2 differ.
- ``digits``: scikit-learn's 8×8 handwritten digits, 1797 × 64 pixels in 0..16 (needs scikit-learn).
- ``mnist``: MNIST (or any IDX image/label pair) from files you have, read by ``read_idx``; or
  from Nielsen's mnist.pkl.gz (one file, three parts), read without running any of its code.

The synthetic sets are deterministic for a seed (``numpy.random.default_rng(seed)``) and come
shuffled, so that any slice of them (a mini-batch) mixes the classes. Nothing is downloaded.
"""

from __future__ import annotations

import gzip
import io
import math
import os
import pickle
import struct
import zlib
from collections.abc import Callable
from numbers import Integral, Real
from typing import BinaryIO, cast

import numpy as np
from numpy.typing import NDArray

from autograd_core.files import open_regular

Dataset = tuple[NDArray[np.float64], NDArray[np.int64]]
"""(X, y): features of shape (n, features) as float64, labels of shape (n,) as int64."""

_IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
"""IDX type code -> element type; multi-byte values are big-endian in the file."""

_GZIP_MAGIC = b"\x1f\x8b"
_DEFLATE_MAX_RATIO = 1032
"""Deflate never expands more than this: a gzip file of n bytes holds at most 1032·n bytes."""
_MAX_COUNTED = 2**20
"""Trailing bytes after gzipped IDX data are counted up to this many, then just called more."""


# ---- synthetic 2-D sets ---------------------------------------------------------------------
def moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> Dataset:
    """Two interleaving half circles, laid out as scikit-learn's ``make_moons``.

    Label 0, the outer moon: (cos t, sin t); label 1, the inner moon: (1 - cos t, 1 - sin t - 0.5);
    t evenly spaced over [0, π] (both ends included). As in scikit-learn, the outer moon gets
    n // 2 points and the inner one the rest, so an odd n gives the inner moon one more.
    Each coordinate then gets Gaussian noise of standard deviation ``noise``.
    """
    n, noise, rng = _count(n, "n", minimum=2), _noise(noise), _rng(seed)
    n_out, n_in = n // 2, n - n // 2
    t_out, t_in = np.linspace(0.0, np.pi, n_out), np.linspace(0.0, np.pi, n_in)
    outer = np.column_stack([np.cos(t_out), np.sin(t_out)])
    inner = np.column_stack([1.0 - np.cos(t_in), 1.0 - np.sin(t_in) - 0.5])
    return _noisy_and_shuffled(np.vstack([outer, inner]), _labels([n_out, n_in]), noise, rng)


def circles(n: int = 100, noise: float = 0.05, factor: float = 0.5, seed: int = 0) -> Dataset:
    """Two concentric circles: label 0 on the unit circle, label 1 on the circle of radius ``factor``.

    As scikit-learn's ``make_circles``: the outer circle gets n // 2 points and the inner one the
    rest, at angles evenly spaced over [0, 2π) (2π left out, so no point is repeated); then
    Gaussian noise of standard deviation ``noise`` on each coordinate.
    """
    n, noise, rng = _count(n, "n", minimum=2), _noise(noise), _rng(seed)
    factor = _real(factor, "factor")
    if not 0.0 < factor < 1.0:
        raise ValueError(f"factor: expected the inner radius as a number in (0, 1), got {factor!r}")
    n_out, n_in = n // 2, n - n // 2
    t_out = np.linspace(0.0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0.0, 2 * np.pi, n_in, endpoint=False)
    outer = np.column_stack([np.cos(t_out), np.sin(t_out)])
    inner = factor * np.column_stack([np.cos(t_in), np.sin(t_in)])
    return _noisy_and_shuffled(np.vstack([outer, inner]), _labels([n_out, n_in]), noise, rng)


def spiral(n: int = 300, classes: int = 3, noise: float = 0.2, seed: int = 0) -> Dataset:
    """The CS231n spiral: ``classes`` arms winding out from the origin, n points in all.

    Arm j (label j) has m points with radius r evenly spaced over [0, 1] and angle
    θ evenly spaced over [4j, 4(j+1)] radians plus Gaussian noise of standard deviation ``noise``
    (so the noise is on the angle, in radians, as in CS231n); a point is (r sin θ, r cos θ).
    m = n // classes, and the first n % classes arms get one point more.
    """
    n = _count(n, "n", minimum=2)
    classes = _count(classes, "classes", minimum=2)
    if n < classes:
        raise ValueError(f"n: expected at least one point per class (n >= classes = {classes}), got {n}")
    noise, rng = _noise(noise), _rng(seed)
    sizes = [n // classes + (j < n % classes) for j in range(classes)]
    r = np.concatenate([np.linspace(0.0, 1.0, m) for m in sizes])
    theta = np.concatenate([np.linspace(4.0 * j, 4.0 * (j + 1), m) for j, m in enumerate(sizes)])
    theta = theta + rng.normal(0.0, noise, size=n)
    with np.errstate(invalid="ignore"):  # sin(inf): said by _finite
        X = np.column_stack([r * np.sin(theta), r * np.cos(theta)])
    return _shuffled(_finite(X, noise), _labels(sizes), rng)


def xor(n: int = 200, noise: float = 0.1, seed: int = 0) -> Dataset:
    """Four clusters around the corners (±1, ±1): label 1 where the signs differ (x1·x2 < 0), else 0.

    Point i sits at corner i mod 4 of (1, 1), (-1, 1), (-1, -1), (1, -1), so the corners (and the
    two labels) are as balanced as n allows; then Gaussian noise of standard deviation ``noise``.
    The label is the corner's, so a large noise can carry a point across an axis.
    """
    n, noise, rng = _count(n, "n", minimum=2), _noise(noise), _rng(seed)
    corners = np.array([[1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]])
    corner = np.arange(n) % 4
    return _noisy_and_shuffled(corners[corner], (corner % 2).astype(np.int64), noise, rng)


# ---- real data --------------------------------------------------------------------------------
def digits() -> Dataset:
    """scikit-learn's 8×8 handwritten digits: X (1797, 64), pixels 0..16 as float64; y 0..9.

    Loaded with ``sklearn.datasets.load_digits``, which reads the copy shipped inside
    scikit-learn (no download). Without scikit-learn: an ImportError that says what to install.
    """
    try:
        # No stubs when installed, no module when not; mypy must pass either way.
        from sklearn.datasets import load_digits
    except ImportError as e:
        raise ImportError(
            "digits() needs scikit-learn, which ships the 8×8 digits: "
            "pip install 'autograd-core[digits]' (or: pip install scikit-learn)"
        ) from e
    X, y = load_digits(return_X_y=True)
    return np.ascontiguousarray(X, dtype=np.float64), np.ascontiguousarray(y, dtype=np.int64)


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """The array in an IDX file (the MNIST format), raw or gzip-compressed.

    Layout: two zero bytes; a type code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
    0x0D float32, 0x0E float64); the number of dimensions d; d sizes, each a big-endian uint32;
    then the elements in C order, big-endian. Gzip is recognised by its magic bytes (1f 8b),
    not by the file name. The result is a new array in native byte order.

    Raises ValueError, naming the file, on a bad magic, an unknown type code, zero dimensions,
    a file shorter than its header says (truncated) or longer (trailing bytes), broken gzip, or
    anything but a regular file (a directory, a FIFO, /dev/zero). The sizes in the header are
    checked before the data is read: against the file's size, or for gzip against the most a
    file of that size can hold (deflate's ratio of at most 1032); and no more than the header
    asks for is decompressed (beyond it, at most 1 MiB more, to count trailing bytes), so a gzip
    bomb is refused without being unpacked.
    """
    name = os.fspath(path)
    with open_regular(path) as f:
        size = os.fstat(f.fileno()).st_size
        gzipped = f.read(2) == _GZIP_MAGIC
        f.seek(0)
        if not gzipped:
            return _read_idx_stream(f, name, size, gzipped)
        try:
            with gzip.GzipFile(fileobj=f) as stream:
                return _read_idx_stream(cast(BinaryIO, stream), name, size, gzipped)
        except (EOFError, OSError, zlib.error) as e:
            raise ValueError(f"{name}: truncated or corrupt gzip file: {e}") from e


def _read_idx_stream(stream: BinaryIO, name: str, size: int, gzipped: bool) -> np.ndarray:
    """The IDX array in ``stream``, a file of ``size`` bytes (compressed, when ``gzipped``)."""
    after = " after gunzip" if gzipped else ""
    header, dtype, shape = _idx_header(stream, name, after)
    expected = header + math.prod(shape) * dtype.itemsize
    what = f"expected {expected} bytes ({header} of header, then {dtype.name} data of shape {shape}), found"
    if not gzipped and size != expected:
        problem = "truncated IDX data" if size < expected else f"{size - expected} trailing bytes after the IDX data"
        raise ValueError(f"{name}: {problem}: {what} {size}")
    if gzipped and expected > _DEFLATE_MAX_RATIO * size:
        most = _DEFLATE_MAX_RATIO * size
        raise ValueError(f"{name}: truncated IDX data: {what} at most {most}{after} (a gzip file of {size} bytes)")
    data = stream.read(expected - header)
    if header + len(data) < expected:
        raise ValueError(f"{name}: truncated IDX data: {what} {header + len(data)}{after}")
    if gzipped and (extra := _count_rest(stream)):
        count = f"{extra}" if extra <= _MAX_COUNTED else f"more than {_MAX_COUNTED}"
        total = f"{expected + extra}" if extra <= _MAX_COUNTED else f"more than {expected + _MAX_COUNTED}"
        raise ValueError(f"{name}: {count} trailing bytes after the IDX data: {what} {total}{after}")
    return np.frombuffer(data, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def _idx_header(stream: BinaryIO, name: str, after: str) -> tuple[int, np.dtype, tuple[int, ...]]:
    """The header's length, the element type and the shape, read from the start of ``stream``."""
    head = stream.read(4)
    if len(head) < 4:
        raise ValueError(f"{name}: truncated IDX header: expected at least 4 bytes, found {len(head)}{after}")
    if head[0] != 0 or head[1] != 0:
        raise ValueError(
            f"{name}: not an IDX file: bad magic: expected the first two bytes 00 00, found {head[:2].hex(' ')}"
        )
    code, ndim = head[2], head[3]
    if code not in _IDX_TYPES:
        known = ", ".join(f"0x{c:02X}" for c in _IDX_TYPES)
        raise ValueError(f"{name}: unknown IDX type code 0x{code:02X}: expected one of {known}")
    if ndim == 0:
        raise ValueError(f"{name}: IDX header gives zero dimensions: expected at least 1")
    header = 4 + 4 * ndim
    dims = stream.read(4 * ndim)
    if len(dims) < 4 * ndim:
        found = f"{4 + len(dims)}{after}"
        raise ValueError(f"{name}: truncated IDX header: expected {header} bytes for {ndim} dimensions, found {found}")
    return header, _IDX_TYPES[code], struct.unpack(f">{ndim}I", dims)


def mnist(
    images_path: str | os.PathLike[str],
    labels_path: str | os.PathLike[str] | None = None,
    normalize: bool = True,
    part: str = "training",
) -> Dataset:
    """MNIST from its IDX files (e.g. train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz), or
    from Nielsen's mnist.pkl.gz alone (``mnist("mnist.pkl.gz", part="test")``; see ``read_nielsen``).

    X: each image flattened row by row, shape (n, rows·cols), float64, divided by 255 (so in
    [0, 1]) when ``normalize``, else the raw 0..255. y: the labels as int64. The images must be
    a 3-D uint8 array (n, rows, cols) and the labels a 1-D uint8 array of the same n. Nielsen's
    file holds three parts, ``part`` picks one: "training" (50,000), "validation" (10,000) or
    "test" (10,000); its pixels are stored already in [0, 1] (as float32).
    """
    if labels_path is None:
        X, y = read_nielsen(images_path)[_part(part)]
        return (X if normalize else np.round(X * 255.0)), y
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.dtype != np.uint8 or images.ndim != 3:
        raise ValueError(
            f"{os.fspath(images_path)}: expected images as a 3-D uint8 array (n, rows, cols), "
            f"got {images.ndim}-D {images.dtype} of shape {images.shape}"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise ValueError(
            f"{os.fspath(labels_path)}: expected labels as a 1-D uint8 array (n,), "
            f"got {labels.ndim}-D {labels.dtype} of shape {labels.shape}"
        )
    if len(images) != len(labels):
        raise ValueError(
            f"expected as many labels as images, got {len(images)} images in {os.fspath(images_path)} "
            f"and {len(labels)} labels in {os.fspath(labels_path)}"
        )
    n, rows, cols = images.shape
    X = images.reshape(n, rows * cols).astype(np.float64)
    if normalize:
        X /= 255.0
    return X, labels.astype(np.int64)


NIELSEN_PARTS = ("training", "validation", "test")
"""The three parts of Nielsen's mnist.pkl.gz, in the order it stores them."""

MAX_NIELSEN_BYTES = 512 * 2**20
"""The most a Nielsen pickle may unpack to (his mnist.pkl.gz unpacks to 220 MB): a gzip bomb stops here."""


def read_nielsen(path: str | os.PathLike[str]) -> tuple[Dataset, Dataset, Dataset]:
    """The training, validation and test parts of Nielsen's mnist.pkl.gz (raw or gzipped), each (X, y):
    X (n, 784) float64 in [0, 1], y (n,) int64.

    The file is a pickle, and a pickle can run code: loading one means calling whatever functions it
    names. This reader names the danger and refuses it: its unpickler (``_ArraysOnly``) resolves
    exactly four names, numpy's array reconstructor, ``numpy.ndarray``, ``numpy.dtype`` (numeric types
    only) and ``_codecs.encode`` (to latin-1 only), each checked for the arguments it gets, and
    refuses every other name before anything is called. A file can thus build tuples, numbers,
    strings and numeric arrays, and nothing else; whatever else it asks for (``os.system``, any
    class or function) is a ValueError naming it. The result must then be three (images, labels)
    pairs of the right shapes and types. So this reads data, not code: not "pickle" in the unsafe
    sense. (Nielsen's file is a Python 2 pickle, read with ``encoding="latin1"``, as numpy advises.)
    """
    name = os.fspath(path)
    with open_regular(path) as f:
        gzipped = f.read(2) == _GZIP_MAGIC
        f.seek(0)
        try:
            raw = gzip.GzipFile(fileobj=f).read(MAX_NIELSEN_BYTES + 1) if gzipped else f.read(MAX_NIELSEN_BYTES + 1)
        except (EOFError, OSError, zlib.error) as e:
            raise ValueError(f"{name}: truncated or corrupt gzip file: {e}") from e
    if len(raw) > MAX_NIELSEN_BYTES:
        raise ValueError(f"{name}: unpacks to more than {MAX_NIELSEN_BYTES} bytes; Nielsen's mnist.pkl.gz has 220 MB")
    try:
        data = _ArraysOnly(io.BytesIO(raw), name).load()
    except (pickle.UnpicklingError, EOFError, TypeError, ValueError, IndexError, KeyError) as e:
        raise ValueError(f"{name}: not a readable Nielsen MNIST pickle: {e}") from None
    return _nielsen_parts(data, name)


class _ArraysOnly(pickle.Unpickler):
    """An unpickler that builds tuples, numbers, strings and numeric numpy arrays, and nothing else."""

    def __init__(self, file: BinaryIO, name: str):
        super().__init__(file, encoding="latin1")
        self.name = name

    def find_class(self, module: str, name: str) -> Callable[..., object]:
        if (module, name) in (("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct")):
            return _empty_array
        if (module, name) == ("numpy", "ndarray"):
            return np.ndarray
        if (module, name) == ("numpy", "dtype"):
            return _numeric_dtype
        if (module, name) == ("_codecs", "encode"):
            return _latin1
        raise pickle.UnpicklingError(
            f"it asks for {module}.{name}, which this reader refuses (it builds numeric arrays and tuples only)"
        )


def _empty_array(cls: object, shape: object, typecode: object) -> np.ndarray:
    """numpy's ``_reconstruct(ndarray, (0,), b'b')``: the empty array that the pickle then fills."""
    if cls is not np.ndarray or shape != (0,) or typecode not in (b"b", "b"):
        raise pickle.UnpicklingError(f"an array reconstructed as {cls!r:.40}, {shape!r:.40}, {typecode!r:.20}")
    return np.ndarray((0,), dtype="b")


def _numeric_dtype(spec: object, align: object = False, copy: object = False) -> np.dtype:
    if not (isinstance(spec, str) and len(spec) <= 4 and np.dtype(spec).kind in "biuf"):
        raise pickle.UnpicklingError(f"a dtype {spec!r:.40}; expected a numeric one")
    return np.dtype(spec, bool(align), bool(copy))


def _latin1(text: object, encoding: object = "utf-8") -> bytes:
    if not isinstance(text, str) or encoding != "latin1":
        raise pickle.UnpicklingError("_codecs.encode other than of a str to latin-1")
    return text.encode("latin1")


def _nielsen_parts(data: object, name: str) -> tuple[Dataset, Dataset, Dataset]:
    """The three (X, y) parts, checked: float images of 784 pixels in [0, 1], integer labels 0..9."""
    if not (isinstance(data, tuple) and len(data) == 3 and all(isinstance(p, tuple) and len(p) == 2 for p in data)):
        raise ValueError(f"{name}: expected three (images, labels) pairs, as in Nielsen's mnist.pkl.gz")
    parts = []
    for part, (images, labels) in zip(NIELSEN_PARTS, data):
        if not (
            isinstance(images, np.ndarray) and images.ndim == 2 and images.shape[1] == 784 and images.dtype.kind == "f"
        ):
            raise ValueError(f"{name}: the {part} images: expected a float array of shape (n, 784)")
        if not (isinstance(labels, np.ndarray) and labels.shape == (len(images),) and labels.dtype.kind in "iu"):
            raise ValueError(f"{name}: the {part} labels: expected {len(images)} integer labels")
        X = images.astype(np.float64)
        if not (np.all(np.isfinite(X)) and X.min(initial=0.0) >= 0.0 and X.max(initial=0.0) <= 1.0):
            raise ValueError(f"{name}: the {part} images: expected pixels in [0, 1]")
        if len(labels) and (labels.min() < 0 or labels.max() > 9):
            raise ValueError(f"{name}: the {part} labels: expected digits 0..9")
        parts.append((X, labels.astype(np.int64)))
    return parts[0], parts[1], parts[2]


def _part(part: str) -> int:
    if part not in NIELSEN_PARTS:
        raise ValueError(f"part: expected one of {', '.join(map(repr, NIELSEN_PARTS))}, got {part!r:.40}")
    return NIELSEN_PARTS.index(part)


DATASETS: dict[str, Callable[..., Dataset]] = {
    "moons": moons,
    "circles": circles,
    "spiral": spiral,
    "xor": xor,
    "digits": digits,
}
"""The datasets a name can pick (``backprop train --dataset moons``); each returns (X, y)."""


# ---- helpers ----------------------------------------------------------------------------------
def _labels(sizes: list[int]) -> NDArray[np.int64]:
    """sizes[0] zeros, then sizes[1] ones, and so on."""
    return np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)


def _noisy_and_shuffled(
    X: NDArray[np.float64], y: NDArray[np.int64], noise: float, rng: np.random.Generator
) -> Dataset:
    return _shuffled(_finite(X + rng.normal(0.0, noise, size=X.shape), noise), y, rng)


def _finite(X: NDArray[np.float64], noise: float) -> NDArray[np.float64]:
    """X, once sure that the noise kept every point in the float range."""
    if not np.isfinite(X).all():
        raise ValueError(f"noise: {noise!r} sends points out of the float range; expected a smaller standard deviation")
    return X


def _shuffled(X: NDArray[np.float64], y: NDArray[np.int64], rng: np.random.Generator) -> Dataset:
    order = rng.permutation(len(y))
    return X[order], y[order]


def _count_rest(stream: BinaryIO) -> int:
    """The bytes left in ``stream``, counted in chunks without keeping them, up to _MAX_COUNTED + 1."""
    count = 0
    while count <= _MAX_COUNTED and (chunk := stream.read(min(2**16, _MAX_COUNTED + 1 - count))):
        count += len(chunk)
    return count


def _count(x: object, name: str, minimum: int) -> int:
    if not isinstance(x, Integral) or isinstance(x, bool):
        raise TypeError(f"{name}: expected an int >= {minimum}, got {type(x).__name__}: {x!r}")
    if x < minimum:
        raise ValueError(f"{name}: expected an int >= {minimum}, got {x!r}")
    return int(x)


def _real(x: object, name: str) -> float:
    if not isinstance(x, Real) or isinstance(x, bool):
        raise TypeError(f"{name}: expected a real number, got {type(x).__name__}: {x!r}")
    f = float(x)
    if not math.isfinite(f):
        raise ValueError(f"{name}: expected a finite number, got {f!r}")
    return f


def _noise(x: object) -> float:
    f = _real(x, "noise")
    if f < 0.0:
        raise ValueError(f"noise: expected a standard deviation >= 0, got {f!r}")
    return f


def _rng(seed: object) -> np.random.Generator:
    return np.random.default_rng(_count(seed, "seed", minimum=0))
