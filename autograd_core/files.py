"""Writing files whole or not at all, for every file the library writes (drawings, the stepper
page, saved models, figures)."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

STALE_AFTER = 60.0
"""Seconds a temporary file must lie untouched, its writer gone, before a save removes it."""


def write_atomic(path: str | os.PathLike[str], data: bytes | Callable[[BinaryIO], object]) -> Path:
    """Write ``data`` (bytes, or a function that writes into a binary file) to ``path``.

    It goes into a temporary file beside the target, ``.{name}.{pid}.{hex}.tmp``, is flushed to
    disk, and then replaces the target in one step (os.replace): a crash never leaves a
    half-written file, and a failed write leaves the old file as it was. The file gets the usual
    permissions (0o666 less the umask). An OSError names the target, never the temporary file.
    Temporary files that a killed save left beside the same target are removed first, once stale
    (see ``remove_stale_temporaries``); concurrent saves each write their own temporary file, and
    the last to finish wins whole.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(f"cannot write {str(path)!r}: the directory {str(directory)!r} does not exist")
    if path.is_dir():
        raise IsADirectoryError(f"cannot write {str(path)!r}: it is a directory")
    remove_stale_temporaries(path)
    temporary = directory / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as e:
        raise _naming(e, path) from e
    try:
        with os.fdopen(fd, "wb") as f:
            if isinstance(data, bytes):
                f.write(data)
            else:
                data(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException as e:
        temporary.unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise _naming(e, path) from e
        raise
    return path


def remove_stale_temporaries(path: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary files that killed saves to ``path`` left beside it; return them.

    A temporary file ``.{name}.{pid}.{hex}.tmp`` is stale when its writer's pid is not a live
    process on this machine and the file has not been modified for ``STALE_AFTER`` seconds.
    A live writer's file is never touched, whether it is in this process or another; the delay
    spares a writer on another machine that shares the directory. Errors are ignored: cleaning
    up never makes a save fail.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    pattern = re.compile(rf"\.{re.escape(path.name)}\.(\d+)\.[0-9a-f]+\.tmp")
    removed = []
    with contextlib.suppress(OSError), os.scandir(directory) as entries:
        for entry in entries:
            match = pattern.fullmatch(entry.name)
            with contextlib.suppress(OSError):  # e.g. another save removed it first
                if match and _stale(entry, int(match[1])):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


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
