"""nn.data: the synthetic sets, the digits, and the IDX (MNIST) reader."""

import builtins
import gzip
import pickle
import re
import struct
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nn.data import DATASETS, NIELSEN_PARTS, circles, digits, mnist, moons, read_idx, read_nielsen, spiral, xor

SYNTHETIC = [moons, circles, spiral, xor]


def counts(y: np.ndarray) -> list[int]:
    return np.bincount(y).tolist()


def by_rows(X: np.ndarray) -> np.ndarray:
    """X with its rows in lexicographic order, to compare point sets regardless of shuffling."""
    return X[np.lexsort(X.T[::-1])]


# ---- the synthetic sets: shapes, dtypes, labels ---------------------------------------------
@pytest.mark.parametrize("make, classes", [(moons, 2), (circles, 2), (spiral, 3), (xor, 2)])
def test_defaults_give_float64_points_and_int64_labels(make, classes):
    X, y = make()
    n = len(y)
    assert X.shape == (n, 2) and y.shape == (n,)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert X.flags.c_contiguous
    assert set(y.tolist()) == set(range(classes))
    assert np.isfinite(X).all()


@pytest.mark.parametrize("make, n", [(moons, 100), (circles, 100), (spiral, 300), (xor, 200)])
def test_default_sizes(make, n):
    assert len(make()[1]) == n


@pytest.mark.parametrize(
    "make, n, expected",
    [
        (moons, 100, [50, 50]),
        (moons, 101, [50, 51]),  # as make_moons: the outer moon gets n // 2, the inner the rest
        (moons, 2, [1, 1]),
        (circles, 101, [50, 51]),
        (circles, 2, [1, 1]),
        (xor, 200, [100, 100]),
        (xor, 7, [4, 3]),
        (xor, 2, [1, 1]),
    ],
)
def test_two_class_sets_are_balanced(make, n, expected):
    assert counts(make(n)[1]) == expected


@pytest.mark.parametrize(
    "n, classes, expected",
    [(300, 3, [100, 100, 100]), (10, 3, [4, 3, 3]), (11, 4, [3, 3, 3, 2]), (2, 2, [1, 1]), (5, 5, [1] * 5)],
)
def test_spiral_class_counts(n, classes, expected):
    assert counts(spiral(n, classes=classes)[1]) == expected


@given(n=st.integers(2, 400), seed=st.integers(0, 2**32), noise=st.floats(0.0, 2.0))
def test_any_size_seed_and_noise_give_the_promised_shapes(n, seed, noise):
    for make in (moons, circles, xor, lambda *args, **kw: spiral(*args, classes=2, **kw)):
        X, y = make(n, noise=noise, seed=seed)
        assert X.shape == (n, 2) and y.shape == (n,)
        assert X.dtype == np.float64 and y.dtype == np.int64
        assert max(counts(y)) - min(counts(y)) <= 1


# ---- determinism and shuffling ----------------------------------------------------------------
@pytest.mark.parametrize("make", SYNTHETIC)
def test_same_seed_same_arrays(make):
    (X1, y1), (X2, y2) = make(seed=7), make(seed=7)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)


@pytest.mark.parametrize("make", SYNTHETIC)
def test_different_seed_different_arrays(make):
    (X1, y1), (X2, y2) = make(seed=0), make(seed=1)
    assert not np.array_equal(X1, X2)
    assert not np.array_equal(y1, y2)  # the order is shuffled differently too


@pytest.mark.parametrize("make", SYNTHETIC)
def test_shuffled_so_that_small_batches_mix_classes(make):
    y = make()[1]
    assert not np.array_equal(y, np.sort(y))
    assert all(len(set(y[i : i + 16].tolist())) > 1 for i in range(0, len(y), 16))


@pytest.mark.parametrize("make", SYNTHETIC)
def test_noise_is_the_only_difference_between_noise_levels(make):
    """Same seed, noise 0 vs 0.1: same labels in the same order, points within a few σ."""
    (X0, y0), (X1, y1) = make(noise=0.0), make(noise=0.1)
    assert np.array_equal(y0, y1)
    assert 0 < np.abs(X1 - X0).max() < 6 * 0.1  # spiral: a turn by Δθ moves a point by at most r·|Δθ| ≤ |Δθ|


# ---- the geometry of each set -----------------------------------------------------------------
@pytest.mark.parametrize("n", [2, 3, 50, 101])
def test_moons_without_noise_lie_exactly_on_the_half_circles(n):
    X, y = moons(n, noise=0.0)
    outer, inner = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(outer[:, 0], outer[:, 1]), 1.0, rtol=0, atol=1e-15)
    assert (outer[:, 1] >= 0).all()
    np.testing.assert_allclose(np.hypot(inner[:, 0] - 1.0, inner[:, 1] - 0.5), 1.0, rtol=0, atol=1e-15)
    assert (inner[:, 1] <= 0.5).all()
    if n >= 4:  # t runs over [0, π], both ends included, once a moon has two points
        ends = {(1.0, 0.0), (-1.0, 0.0), (0.0, 0.5), (2.0, 0.5)}
        assert ends <= {(round(a, 12) + 0.0, round(b, 12) + 0.0) for a, b in X}


def test_moons_without_noise_are_sklearns_points():
    datasets = pytest.importorskip("sklearn.datasets")
    for n in (2, 3, 100, 101):
        X, y = moons(n, noise=0.0)
        Xs, ys = datasets.make_moons(n, noise=None, shuffle=False)
        for label in (0, 1):
            assert np.array_equal(by_rows(X[y == label]), by_rows(Xs[ys == label]))


@pytest.mark.parametrize("factor", [0.5, 0.1, 0.9])
def test_circles_without_noise_have_radii_one_and_factor(factor):
    X, y = circles(101, noise=0.0, factor=factor)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0, rtol=0, atol=1e-15)
    np.testing.assert_allclose(radius[y == 1], factor, rtol=0, atol=1e-15)
    assert len(np.unique(X.round(12), axis=0)) == 101  # no point repeated (2π is left out)


def test_circles_without_noise_are_sklearns_points():
    datasets = pytest.importorskip("sklearn.datasets")
    for n, factor in ((2, 0.5), (100, 0.5), (101, 0.3)):
        X, y = circles(n, noise=0.0, factor=factor)
        Xs, ys = datasets.make_circles(n, noise=None, factor=factor, shuffle=False)
        for label in (0, 1):
            np.testing.assert_allclose(by_rows(X[y == label]), by_rows(Xs[ys == label]), rtol=0, atol=1e-15)


def test_circles_with_noise_stay_near_their_radii():
    X, y = circles(1000, noise=0.05, factor=0.5)
    radius = np.hypot(X[:, 0], X[:, 1])
    assert abs(radius[y == 0].mean() - 1.0) < 0.01
    assert abs(radius[y == 1].mean() - 0.5) < 0.01


def test_xor_labels_follow_the_sign_rule_with_small_noise():
    X, y = xor(1000, noise=0.1)
    assert np.array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(np.int64))


def test_xor_without_noise_sits_on_the_corners_evenly():
    X = xor(200, noise=0.0)[0]
    corners, per_corner = np.unique(X, axis=0, return_counts=True)
    assert corners.tolist() == [[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]]
    assert per_corner.tolist() == [50, 50, 50, 50]


@pytest.mark.parametrize("noise", [0.0, 0.2, 1.0])
def test_spiral_noise_turns_points_but_keeps_their_radii(noise):
    """The CS231n spiral puts its noise on the angle: each arm's radii are linspace(0, 1, m)."""
    X, y = spiral(10, classes=3, noise=noise)
    for label, m in enumerate([4, 3, 3]):
        radius = np.sort(np.hypot(X[y == label, 0], X[y == label, 1]))
        np.testing.assert_allclose(radius, np.linspace(0.0, 1.0, m), rtol=0, atol=1e-15)


def test_spiral_without_noise_is_the_cs231n_spiral():
    X, y = spiral(300, classes=3, noise=0.0)
    for j in range(3):
        r, t = np.linspace(0.0, 1.0, 100), np.linspace(j * 4, (j + 1) * 4, 100)
        expected = np.c_[r * np.sin(t), r * np.cos(t)]
        assert np.array_equal(by_rows(X[y == j]), by_rows(expected))


# ---- argument checks ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: moons(1), ValueError, ["n", ">= 2", "1"]),
        (lambda: moons(0), ValueError, ["n", ">= 2", "0"]),
        (lambda: moons(-5), ValueError, ["n", ">= 2", "-5"]),
        (lambda: moons(10.0), TypeError, ["n", "int", "float", "10.0"]),
        (lambda: moons(True), TypeError, ["n", "int", "bool"]),
        (lambda: moons("10"), TypeError, ["n", "int", "str"]),
        (lambda: circles(None), TypeError, ["n", "int", "NoneType"]),
        (lambda: xor(1), ValueError, ["n", ">= 2", "1"]),
        (lambda: spiral(1), ValueError, ["n", ">= 2"]),
        (lambda: moons(noise=-0.1), ValueError, ["noise", ">= 0", "-0.1"]),
        (lambda: xor(noise=float("nan")), ValueError, ["noise", "finite", "nan"]),
        (lambda: circles(noise=float("inf")), ValueError, ["noise", "finite", "inf"]),
        (lambda: spiral(noise="0.2"), TypeError, ["noise", "real number", "str"]),
        (lambda: circles(factor=0.0), ValueError, ["factor", "(0, 1)", "0.0"]),
        (lambda: circles(factor=1.0), ValueError, ["factor", "(0, 1)", "1.0"]),
        (lambda: circles(factor=1.5), ValueError, ["factor", "(0, 1)", "1.5"]),
        (lambda: circles(factor=-0.5), ValueError, ["factor", "(0, 1)", "-0.5"]),
        (lambda: circles(factor=None), TypeError, ["factor", "real number", "NoneType"]),
        (lambda: spiral(classes=1), ValueError, ["classes", ">= 2", "1"]),
        (lambda: spiral(classes=2.0), TypeError, ["classes", "int", "float"]),
        (lambda: spiral(4, classes=5), ValueError, ["n", "classes = 5", "4"]),
        (lambda: moons(seed=-1), ValueError, ["seed", ">= 0", "-1"]),
        (lambda: xor(seed=1.5), TypeError, ["seed", "int", "float"]),
        (lambda: spiral(seed=None), TypeError, ["seed", "int", "NoneType"]),
    ],
)
def test_bad_arguments_say_what_was_expected_and_what_was_given(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert all(w in str(info.value) for w in words), str(info.value)


def test_numpy_integers_and_reals_are_accepted():
    X = moons(np.int64(10), noise=np.float32(0.0), seed=np.uint8(3))[0]
    assert X.shape == (10, 2)
    assert np.array_equal(X, moons(10, noise=0.0, seed=3)[0])
    assert circles(10, factor=np.float64(0.25))[0].shape == (10, 2)


# ---- the table for the CLI --------------------------------------------------------------------
def test_datasets_table_names_each_loader():
    expected = {"moons": moons, "circles": circles, "spiral": spiral, "xor": xor, "digits": digits}
    assert expected == DATASETS


@pytest.mark.parametrize("name", ["moons", "circles", "spiral", "xor"])
def test_datasets_table_loaders_run_with_defaults(name):
    X, y = DATASETS[name]()
    assert X.ndim == 2 and y.shape == (len(X),)


# ---- digits --------------------------------------------------------------------------------
def test_digits_when_sklearn_is_installed():
    pytest.importorskip("sklearn.datasets", reason="scikit-learn is not installed (the 'digits' extra)")
    X, y = digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert X.flags.c_contiguous
    assert X.min() == 0.0 and X.max() == 16.0 and np.array_equal(X, X.round())
    assert sorted(set(y.tolist())) == list(range(10))


def _hide_sklearn_from_sys_modules(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)


def _hide_sklearn_from_import(monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "sklearn" or name.startswith("sklearn."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)


@pytest.mark.parametrize("hide", [_hide_sklearn_from_sys_modules, _hide_sklearn_from_import])
def test_digits_without_sklearn_says_what_to_install(monkeypatch, hide):
    hide(monkeypatch)
    with pytest.raises(ImportError) as info:
        digits()
    message = str(info.value)
    assert "pip install 'autograd-core[digits]'" in message
    assert "pip install scikit-learn" in message
    assert isinstance(info.value.__cause__, ImportError)


# ---- IDX files -------------------------------------------------------------------------------
IDX_CODES = {
    np.dtype(np.uint8): 0x08,
    np.dtype(np.int8): 0x09,
    np.dtype(np.int16): 0x0B,
    np.dtype(np.int32): 0x0C,
    np.dtype(np.float32): 0x0D,
    np.dtype(np.float64): 0x0E,
}


def idx_bytes(a: np.ndarray) -> bytes:
    """The IDX encoding of a, written out by hand: magic, type code, dims, big-endian data."""
    header = bytes([0, 0, IDX_CODES[a.dtype], a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape)
    return header + a.astype(a.dtype.newbyteorder(">")).tobytes()


def write(path, content: bytes, gz: bool = False):
    path.write_bytes(gzip.compress(content) if gz else content)
    return path


SAMPLES = {
    "ubyte images": np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4) * 10,
    "ubyte labels": np.array([7, 0, 255], dtype=np.uint8),
    "int32": np.array([[-(2**31), -1, 0], [1, 2**16 + 3, 2**31 - 1]], dtype=np.int32),
    "float64": np.array([-0.0, 1.5, -2.25e-300, np.inf, 1e300], dtype=np.float64),
    "int8": np.array([-128, -1, 127], dtype=np.int8),
    "int16": np.array([[-32768], [258]], dtype=np.int16),
    "float32": np.array([3.5, -1e-30], dtype=np.float32),
}


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gzip"])
@pytest.mark.parametrize("name", list(SAMPLES))
def test_idx_round_trip_is_exact(tmp_path, name, gz):
    a = SAMPLES[name]
    got = read_idx(write(tmp_path / "a.idx", idx_bytes(a), gz))
    assert got.dtype == a.dtype and got.dtype.isnative
    assert got.shape == a.shape
    assert got.tobytes() == a.tobytes()
    got[...] = 0  # a writable array of its own, not a view of the file's bytes


def test_idx_known_bytes_decode_big_endian(tmp_path):
    content = bytes.fromhex("0000 0C 01 00000002 00000102 FFFFFFFE")
    assert read_idx(write(tmp_path / "x", content)).tolist() == [258, -2]


def test_idx_gzip_is_detected_by_magic_not_by_name(tmp_path):
    a = SAMPLES["int32"]
    assert np.array_equal(read_idx(write(tmp_path / "plain.gz", idx_bytes(a))), a)
    assert np.array_equal(read_idx(write(tmp_path / "packed.idx", idx_bytes(a), gz=True)), a)
    assert np.array_equal(read_idx(str(tmp_path / "packed.idx")), a)  # str paths as well as Path


def test_idx_empty_dimension_gives_an_empty_array(tmp_path):
    a = np.zeros((0, 28, 28), dtype=np.uint8)
    assert read_idx(write(tmp_path / "e", idx_bytes(a))).shape == (0, 28, 28)


@given(
    a=hnp.arrays(
        dtype=st.sampled_from(list(IDX_CODES)),
        shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5),
    ),
    gz=st.booleans(),
)
def test_idx_round_trip_any_shape_and_type(tmp_path_factory, a, gz):
    path = write(tmp_path_factory.mktemp("idx") / "a", idx_bytes(a), gz)
    got = read_idx(path)
    assert got.dtype == a.dtype and got.shape == a.shape
    assert got.tobytes() == a.tobytes()  # bit for bit: nan payloads and -0.0 included


GOOD = idx_bytes(np.arange(6, dtype=np.int32).reshape(2, 3))  # 4 + 8 header bytes, then 24 data bytes


@pytest.mark.parametrize(
    "content, words",
    [
        (b"\x01\x00" + GOOD[2:], ["not an IDX file", "bad magic", "00 00", "01 00"]),
        (b"\x00\x08" + GOOD[2:], ["bad magic", "00 08"]),
        (b"\x1f\x00" + GOOD[2:], ["bad magic", "1f 00"]),
        (GOOD[:2] + b"\x0a" + GOOD[3:], ["unknown IDX type code 0x0A", "0x08", "0x0E"]),
        (GOOD[:2] + b"\x00" + GOOD[3:], ["unknown IDX type code 0x00"]),
        (b"\x00\x00\x08\x00", ["zero dimensions"]),
        (b"", ["truncated IDX header", "at least 4 bytes", "found 0"]),
        (GOOD[:3], ["truncated IDX header", "at least 4 bytes", "found 3"]),
        (GOOD[:10], ["truncated IDX header", "expected 12 bytes for 2 dimensions", "found 10"]),
        (GOOD[:-1], ["truncated IDX data", "expected 36 bytes", "int32", "(2, 3)", "found 35"]),
        (GOOD[:12], ["truncated IDX data", "expected 36 bytes", "found 12"]),
        (GOOD + b"\x00", ["1 trailing bytes", "expected 36 bytes", "found 37"]),
        (GOOD + GOOD, ["36 trailing bytes", "found 72"]),
    ],
    ids=[
        "magic 01 00",
        "magic 00 08",
        "magic 1f 00",
        "type 0x0A",
        "type 0x00",
        "zero dims",
        "empty",
        "3 bytes",
        "header cut",
        "data short by 1",
        "no data",
        "1 trailing",
        "twice",
    ],
)
@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gzip"])
def test_idx_bad_files_are_refused_naming_the_file_and_the_problem(tmp_path, content, words, gz):
    path = write(tmp_path / "bad-file.idx", content, gz)
    with pytest.raises(ValueError) as info:
        read_idx(path)
    message = str(info.value)
    assert message.startswith(str(path) + ": ")
    assert all(w in message for w in words), message
    if gz and ("truncated" in message or "trailing" in message):
        assert re.search(r"found \d+ after gunzip", message)  # sizes are of the uncompressed bytes


@pytest.mark.parametrize("cut", [1, 8, 20])
def test_idx_truncated_gzip_stream_is_refused(tmp_path, cut):
    packed = gzip.compress(GOOD)
    path = tmp_path / "cut.gz"
    path.write_bytes(packed[:-cut])
    with pytest.raises(ValueError, match="truncated or corrupt gzip") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_idx_corrupt_gzip_is_refused(tmp_path):
    packed = bytearray(gzip.compress(GOOD))
    packed[12] ^= 0xFF
    path = tmp_path / "corrupt.gz"
    path.write_bytes(bytes(packed))
    with pytest.raises(ValueError, match="truncated or corrupt gzip"):
        read_idx(path)


def test_idx_missing_file_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nope")


# ---- mnist ---------------------------------------------------------------------------------
@pytest.fixture
def mnist_files(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 3, 4), dtype=np.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255
    labels = np.array([3, 0, 9, 9, 1], dtype=np.uint8)
    images_path = write(tmp_path / "images-idx3-ubyte.gz", idx_bytes(images), gz=True)
    labels_path = write(tmp_path / "labels-idx1-ubyte", idx_bytes(labels))
    return images_path, labels_path, images, labels


def test_mnist_flattens_and_normalizes(mnist_files):
    images_path, labels_path, images, labels = mnist_files
    X, y = mnist(images_path, labels_path)
    assert X.shape == (5, 12) and X.dtype == np.float64
    assert y.shape == (5,) and y.dtype == np.int64
    np.testing.assert_array_equal(X, images.reshape(5, 12) / 255.0)
    assert X.min() == 0.0 and X.max() == 1.0
    assert y.tolist() == labels.tolist()
    assert np.array_equal(X[2].reshape(3, 4) * 255.0, images[2])  # row by row, as the image is stored


def test_mnist_without_normalizing_keeps_0_to_255(mnist_files):
    images_path, labels_path, images, _ = mnist_files
    X, _ = mnist(images_path, labels_path, normalize=False)
    assert X.dtype == np.float64
    assert np.array_equal(X, images.reshape(5, 12).astype(np.float64))


def test_mnist_mismatched_counts(tmp_path, mnist_files):
    images_path, _, _, _ = mnist_files
    labels_path = write(tmp_path / "four-labels", idx_bytes(np.array([1, 2, 3, 4], dtype=np.uint8)))
    with pytest.raises(ValueError) as info:
        mnist(images_path, labels_path)
    message = str(info.value)
    assert "5 images" in message and "4 labels" in message
    assert str(images_path) in message and str(labels_path) in message


@pytest.mark.parametrize(
    "images, labels, words",
    [
        (np.zeros((5, 12), np.uint8), np.zeros(5, np.uint8), ["images", "3-D uint8", "2-D uint8", "(5, 12)"]),
        (np.zeros((5, 3, 4), np.int32), np.zeros(5, np.uint8), ["images", "3-D uint8", "3-D int32"]),
        (np.zeros((5, 3, 4), np.uint8), np.zeros((5, 1), np.uint8), ["labels", "1-D uint8", "2-D uint8", "(5, 1)"]),
        (np.zeros((5, 3, 4), np.uint8), np.zeros(5, np.float64), ["labels", "1-D uint8", "1-D float64"]),
    ],
)
def test_mnist_wrong_kinds_of_array(tmp_path, images, labels, words):
    images_path = write(tmp_path / "images", idx_bytes(images))
    labels_path = write(tmp_path / "labels", idx_bytes(labels))
    with pytest.raises(ValueError) as info:
        mnist(images_path, labels_path)
    message = str(info.value)
    assert all(w in message for w in words), message
    assert str(images_path if words[0] == "images" else labels_path) in message


def test_mnist_bad_file_is_read_idx_error(tmp_path, mnist_files):
    _, labels_path, _, _ = mnist_files
    bad = write(tmp_path / "bad", b"\x08\x03\x00\x00")
    with pytest.raises(ValueError, match="bad magic"):
        mnist(bad, labels_path)


# ---- Nielsen's mnist.pkl.gz ------------------------------------------------------------------------
def nielsen_pickle(tmp_path, parts=None, python2_names=False):
    """A file in the layout of Nielsen's mnist.pkl.gz: three (float32 images (n, 784), int64 labels)."""
    rng = np.random.default_rng(0)
    if parts is None:
        parts = tuple(
            (rng.uniform(0, 1, (n, 784)).astype(np.float32), rng.integers(0, 10, n).astype(np.int64)) for n in (5, 3, 2)
        )
    data = pickle.dumps(parts, protocol=2)
    if python2_names:  # as older numpy (and Nielsen's file) name the reconstructor
        data = data.replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
    return write(tmp_path / "mnist.pkl.gz", data, gz=True), parts


@pytest.mark.parametrize("python2_names", [False, True])
def test_mnist_reads_nielsens_pickle_part_by_part(tmp_path, python2_names):
    path, parts = nielsen_pickle(tmp_path, python2_names=python2_names)
    for part, (images, labels) in zip(NIELSEN_PARTS, parts):
        X, y = mnist(path, part=part)
        assert X.dtype == np.float64 and y.dtype == np.int64
        np.testing.assert_array_equal(X, images.astype(np.float64))
        np.testing.assert_array_equal(y, labels)
    X, _ = mnist(path, normalize=False)
    np.testing.assert_array_equal(X, np.round(parts[0][0].astype(np.float64) * 255.0))
    with pytest.raises(ValueError, match="part: expected one of 'training', 'validation', 'test'"):
        mnist(path, part="train")


def test_nielsens_pickle_runs_no_code_it_names(tmp_path):
    marker = tmp_path / "ran"
    evil = f"cos\nsystem\n(S'touch {marker}'\ntR.".encode()  # os.system("touch ...") when unpickled
    path = write(tmp_path / "evil.pkl.gz", evil, gz=True)
    with pytest.raises(ValueError, match=r"asks for os\.system, which this reader refuses"):
        read_nielsen(path)
    assert not marker.exists()
    for array in (np.array([1.5] * 784, dtype=object), np.array(["abc"] * 784)):  # objects, text
        data = pickle.dumps(((array.reshape(1, 784), np.zeros(1)),) * 3, protocol=2)
        with pytest.raises(ValueError, match=r"a dtype '(O8|U3)'; expected a numeric one"):
            read_nielsen(write(tmp_path / "not-numbers.pkl", data))


@pytest.mark.parametrize(
    "parts, words",
    [
        ((np.zeros((2, 784)), np.zeros(2)), "expected three (images, labels) pairs"),
        (
            ((np.zeros((2, 10)), np.zeros(2, np.int64)),) * 3,
            "the training images: expected a float array of shape (n, 784)",
        ),
        (((np.zeros((2, 784)), np.zeros(3, np.int64)),) * 3, "the training labels: expected 2 integer labels"),
        (((np.full((2, 784), 2.0), np.zeros(2, np.int64)),) * 3, "expected pixels in [0, 1]"),
        (((np.zeros((2, 784)), np.array([0, 10])),) * 3, "expected digits 0..9"),
    ],
)
def test_nielsens_pickle_of_the_wrong_shape_is_refused(tmp_path, parts, words):
    path, _ = nielsen_pickle(tmp_path, parts=parts)
    with pytest.raises(ValueError) as info:
        read_nielsen(path)
    assert words in str(info.value) and str(path) in str(info.value)
