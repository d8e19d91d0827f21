"""The library's files: every file it writes is written whole or not at all (drawings, the
stepper page, saved models, figures), and every file it reads is first checked to be a regular
file, of bounded size where the reader asks (saved models, IDX data)."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

STALE_AFTER = 60.0
"""Seconds a temporary file must lie untouched, its writer gone, before a save removes it."""


def write_atomic(path: str | os.PathLike[str], data: bytes | Callable[[BinaryIO], object]) -> Path:
    """Write ``data`` (bytes, or a function that writes into a binary file) to ``path``.

    It goes into a temporary file beside the target, ``.{name}.{pid}.{hex}.tmp`` (the name cut to
    ``TEMPORARY_NAME_BYTES``, so a legal name of 255 bytes still leaves room), is flushed to disk,
    and then replaces the target in one step (os.replace): a crash never leaves a half-written
    file, and a failed write leaves the old file as it was. A new file gets the usual permissions
    (0o666 less the umask); a file replaced keeps its permission bits (not its owner: only root
    could give it back). A symlink is written through: the file it points to is replaced (or
    made, if the link dangles), and the link stays a link. An OSError names the target, never the
    temporary file. Temporary files that a killed save left beside the same target are removed
    first, once stale (see ``_remove_stale_temporaries``); concurrent saves each write their own
    temporary file, and the last to finish wins whole.
    """
    path = Path(path)
    target = Path(os.path.realpath(path)) if os.path.islink(path) else path
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(f"cannot write {str(path)!r}: the directory {str(directory)!r} does not exist")
    if target.is_dir():
        raise IsADirectoryError(f"cannot write {str(path)!r}: it is a directory")
    try:
        mode: int | None = stat.S_IMODE(os.stat(target).st_mode) & 0o777
    except OSError:  # no such file yet
        mode = None
    _remove_stale_temporaries(directory, target.name)
    temporary = directory / f".{_cut(target.name)}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as e:
        raise _naming(e, path) from e
    try:
        if mode is not None:
            os.chmod(temporary, mode)  # before a byte is written: a private file is never readable
        with os.fdopen(fd, "wb") as f:
            if isinstance(data, bytes):
                f.write(data)
            else:
                data(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, target)
    except BaseException as e:
        temporary.unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise _naming(e, path) from e
        raise
    return path


TEMPORARY_NAME_BYTES = 120
"""The most bytes of the target's name a temporary file's name repeats: with its 25 or so more
(``.``, pid, random hex, ``.tmp``) it stays under the 255-byte limit of common file systems."""


def _cut(name: str) -> str:
    """``name``, cut to at most TEMPORARY_NAME_BYTES bytes (as the file system stores it), whole characters."""
    while len(os.fsencode(name)) > TEMPORARY_NAME_BYTES:
        name = name[: -1 - (len(os.fsencode(name)) - TEMPORARY_NAME_BYTES) // 4]
    return name


def _remove_stale_temporaries(directory: Path, name: str) -> None:
    """Remove the temporary files that killed saves to ``name`` left in ``directory``.

    A temporary file ``.{name}.{pid}.{hex}.tmp`` is stale when its writer's pid is not a live
    process on this machine and the file has not been modified for ``STALE_AFTER`` seconds.
    A live writer's file is never touched, whether it is in this process or another; the delay
    spares a writer on another machine that shares the directory. Errors are ignored: cleaning
    up never makes a save fail. (Names longer than TEMPORARY_NAME_BYTES that begin alike share the
    pattern: a stale temporary file is garbage whichever of them it was for.)
    """
    pattern = re.compile(rf"\.{re.escape(_cut(name))}\.(\d+)\.[0-9a-f]+\.tmp")
    with contextlib.suppress(OSError), os.scandir(directory) as entries:
        for entry in entries:
            match = pattern.fullmatch(entry.name)
            with contextlib.suppress(OSError):  # e.g. another save removed it first
                if match and _stale(entry, int(match[1])):
                    os.unlink(entry.path)


def open_regular(path: str | os.PathLike[str], max_bytes: int | None = None) -> BinaryIO:
    """Open ``path`` for reading in binary mode, if it is a regular file of at most ``max_bytes``.

    Anything else is refused with a ValueError that names the file and says what it is: a
    directory, a FIFO (a read would wait for a writer forever), a device such as /dev/zero (a
    read never ends), a socket; symlinks are followed, so a link to /dev/zero is refused too.
    The path is checked before it is opened, and the open file again (opened with O_NONBLOCK,
    so that a FIFO put in its place cannot block). A missing or unreadable file raises the usual
    OSError, which names it.
    """
    name = os.fspath(path)
    _check_regular(name, os.stat(name), max_bytes)
    fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        _check_regular(name, os.fstat(fd), max_bytes)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def _check_regular(name: str, st: os.stat_result, max_bytes: int | None) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise ValueError(f"{name}: expected a regular file, got {_kind(st.st_mode)}")
    if max_bytes is not None and st.st_size > max_bytes:
        raise ValueError(f"{name}: too large: expected at most {max_bytes} bytes, the file has {st.st_size}")


def _kind(mode: int) -> str:
    kinds = [
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ]
    return next((kind for test, kind in kinds if test(mode)), f"a file of mode {stat.filemode(mode)}")


def _stale(entry: os.DirEntry[str], pid: int) -> bool:
    untouched = time.time() - entry.stat(follow_symlinks=False).st_mtime
    return untouched > STALE_AFTER and not _alive(pid)


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a live process here; unknown (so alive) where os.kill cannot just ask
    (on Windows, signal 0 is CTRL_C_EVENT)."""
    if os.name != "posix":
        return True
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def _naming(error: OSError, path: Path) -> OSError:
    """The same error, naming the target instead of the temporary file (or no file at all)."""
    if error.errno is None:
        return error
    return OSError(error.errno, error.strerror, str(path))  # OSError picks the subclass from errno
