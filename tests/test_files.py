"""autograd_core.files.write_atomic: a failed save names its target, a killed save's temporary
file is removed by the next save once stale, and concurrent saves never corrupt each other."""

import errno
import os
import secrets
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from autograd_core.files import STALE_AFTER, write_atomic

ROOT = Path(__file__).resolve().parents[1]


def python(code: str, *args: object) -> subprocess.Popen:
    """A Python process running ``code`` with this checkout's packages importable."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], env=env)


def dead_pid() -> int:
    process = python("pass")
    process.wait()
    return process.pid


def temporary(target: Path, pid: int, age: float) -> Path:
    """A temporary file as a save to ``target`` by ``pid`` names it, last written ``age`` seconds ago."""
    path = target.parent / f".{target.name}.{pid}.{secrets.token_hex(4)}.tmp"
    path.write_bytes(b"half a model")
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def assert_names_target(error: OSError, target: Path) -> None:
    assert error.filename == str(target), error
    assert ".tmp" not in str(error), error


# ---- a failed save names its target -----------------------------------------------------------
def test_a_target_that_is_a_directory_is_named(tmp_path):
    target = tmp_path / "out.svg"
    target.mkdir()
    with pytest.raises(IsADirectoryError) as info:
        write_atomic(target, b"<svg/>")
    assert str(target) in str(info.value) and ".tmp" not in str(info.value)
    assert os.listdir(tmp_path) == ["out.svg"]


def test_a_directory_that_refuses_the_temporary_file_names_the_target(tmp_path, monkeypatch):
    real_open = os.open

    def refuse_creation(path, flags, mode=0o777):  # as the kernel does in a read-only directory
        if flags & os.O_CREAT:
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real_open(path, flags, mode)

    monkeypatch.setattr(os, "open", refuse_creation)
    target = tmp_path / "m.npz"
    with pytest.raises(PermissionError) as info:
        write_atomic(target, b"data")
    assert_names_target(info.value, target)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write into a read-only directory")
def test_a_read_only_directory_names_the_target(tmp_path):
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(PermissionError) as info:
            write_atomic(tmp_path / "m.npz", b"data")
    finally:
        tmp_path.chmod(0o755)
    assert_names_target(info.value, tmp_path / "m.npz")


def test_an_error_while_writing_names_the_target_and_leaves_nothing(tmp_path):
    def disk_full(f):
        raise OSError(errno.ENOSPC, "No space left on device")

    target = tmp_path / "m.npz"
    with pytest.raises(OSError) as info:
        write_atomic(target, disk_full)
    assert info.value.errno == errno.ENOSPC
    assert_names_target(info.value, target)
    assert os.listdir(tmp_path) == []


# ---- what a save replaces (issue 21) ----------------------------------------------------------
@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize("mode", [0o600, 0o640, 0o755])
def test_a_save_over_a_file_keeps_its_permissions(tmp_path, mode):
    """A save over a 0600 file left it 0644 (0666 less the umask): a private file made readable."""
    target = tmp_path / "m.json"
    target.write_bytes(b"old")
    target.chmod(mode)
    write_atomic(target, b"new")
    assert (target.read_bytes(), stat.S_IMODE(target.stat().st_mode)) == (b"new", mode)
    fresh = tmp_path / "fresh.json"
    write_atomic(fresh, b"new")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask


def test_a_save_over_a_symlink_writes_the_file_it_points_to(tmp_path):
    """A save over a symlink replaced the link with a file, and left the file it pointed to as it was."""
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / "model.npz"
    real.write_bytes(b"old")
    link = tmp_path / "link.npz"
    link.symlink_to(real)
    chained = tmp_path / "chained.npz"
    chained.symlink_to(link.name)  # relative, through another link
    write_atomic(link, b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"
    write_atomic(chained, b"newer")
    assert chained.is_symlink() and link.is_symlink() and real.read_bytes() == b"newer"
    dangling = tmp_path / "dangling.svg"
    dangling.symlink_to(tmp_path / "real" / "not-yet.svg")
    write_atomic(dangling, b"<svg/>")
    assert dangling.is_symlink() and (tmp_path / "real" / "not-yet.svg").read_bytes() == b"<svg/>"
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["model.npz", "not-yet.svg"]


@pytest.mark.parametrize("length", [249, 255])
def test_a_long_legal_name_is_not_refused_for_its_temporary_name(tmp_path, length):
    """A 249-character name failed ("File name too long"): the temporary name added 25 characters."""
    target = tmp_path / ("m" * (length - 5) + ".json")
    write_atomic(target, b"{}")
    assert os.listdir(tmp_path) == [target.name] and target.read_bytes() == b"{}"
    wide = tmp_path / ("é" * 125 + ".svg")  # 254 bytes of UTF-8
    write_atomic(wide, b"<svg/>")
    assert wide.read_bytes() == b"<svg/>"


# ---- temporary files left by killed saves -----------------------------------------------------
KILLED_SAVE = """
import os, signal, sys
from autograd_core.files import write_atomic
write_atomic(sys.argv[1], lambda f: (f.write(b"half"), f.flush(), os.kill(os.getpid(), signal.SIGKILL)))
"""


def test_a_killed_saves_temporary_file_is_removed_by_the_next_save(tmp_path):
    target = tmp_path / "m.npz"
    python(KILLED_SAVE, target).wait()
    (left,) = tmp_path.iterdir()
    assert left.name.startswith(".m.npz.") and left.name.endswith(".tmp")
    write_atomic(target, b"fresh")
    assert left.exists()  # just written: its writer might be on another machine sharing the directory
    then = time.time() - STALE_AFTER - 1
    os.utime(left, (then, then))
    write_atomic(target, b"fresh")
    assert os.listdir(tmp_path) == ["m.npz"]
    assert target.read_bytes() == b"fresh"


def test_only_stale_temporary_files_of_the_same_target_are_removed(tmp_path):
    target, old = tmp_path / "m.npz", STALE_AFTER + 60
    live = python("import time; time.sleep(60)")
    try:
        stale = temporary(target, dead_pid(), old)
        kept = [
            temporary(target, os.getpid(), old),  # this process: alive
            temporary(target, live.pid, old),  # another live process, still writing slowly
            temporary(target, dead_pid(), 0),  # fresh: maybe a writer on another machine
            temporary(tmp_path / "other.npz", dead_pid(), old),  # another target's
        ]
        write_atomic(target, b"new")
    finally:
        live.kill()
        live.wait()
    assert not stale.exists()
    assert all(path.exists() for path in kept)


# ---- concurrent saves -----------------------------------------------------------------------
def test_concurrent_saves_in_threads_never_corrupt_each_other(tmp_path):
    target = tmp_path / "m.json"
    payloads = [bytes([i]) * 100_000 for i in range(6)]
    write_atomic(target, payloads[0])
    seen: list[bytes] = []

    def save(payload: bytes) -> None:
        for _ in range(20):
            write_atomic(target, payload)
            seen.append(target.read_bytes())

    threads = [threading.Thread(target=save, args=(p,)) for p in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(content in payloads for content in seen)  # every read saw one whole file
    assert target.read_bytes() in payloads
    assert os.listdir(tmp_path) == ["m.json"]


SAVE_MANY = """
import sys
from autograd_core.files import write_atomic
for _ in range(30):
    write_atomic(sys.argv[1], bytes([int(sys.argv[2])]) * 100_000)
"""


def test_concurrent_saves_in_processes_never_corrupt_each_other(tmp_path):
    target = tmp_path / "m.npz"
    processes = [python(SAVE_MANY, target, i) for i in range(3)]
    assert [p.wait() for p in processes] == [0, 0, 0]
    assert target.read_bytes() in [bytes([i]) * 100_000 for i in range(3)]
    assert os.listdir(tmp_path) == ["m.npz"]
