"""Running the learner's code: what it raises said in one line, and a time limit.

    from nn.user_code import run, time_limit
    with time_limit(10):
        dW, db = run(backprop, weights, biases, X, Y)

``run`` is the one door through which the library calls code the user wrote (``nn.handwritten``
for ``compare_gradients(backprop=...)``, and the import of their file): whatever that code raises
comes back as a ``UserCodeError`` that says what and at which line of their file (the original
exception is its ``__cause__``, so their traceback stays readable), ``sys.exit()`` included;
only KeyboardInterrupt passes as it is. Inside ``time_limit(seconds)`` each call is stopped after
``seconds`` with a ``UserCodeTimeout``.
"""

from __future__ import annotations

import os
import signal
import sysconfig
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import numpy as np

from autograd_core.inputs import short


class UserCodeError(Exception):
    """Your code raised, or called sys.exit(): the message says what, and where in your file."""


class UserCodeTimeout(UserCodeError, TimeoutError):
    """A call into your code did not return within the time limit (see ``time_limit``)."""


_limit: ContextVar[float | None] = ContextVar("time_limit", default=None)


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Within the block, each call into your code (``run``) is stopped after ``seconds``.

    The watchdog is SIGALRM, raised in the main thread: your code keeps running in this process
    (its prints and tracebacks stay yours) and is stopped at its next Python line, even inside a
    ``try/except Exception``. A single numpy call is not cut short: the stop comes when it returns.
    It needs a POSIX system and the main thread, and SIGALRM unused by anyone else; ``None`` sets
    no limit of its own (a limit set around it stays).
    """
    if seconds is None:  # no limit of its own: one set outside stays
        yield
        return
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 < seconds < 1e9:
        raise ValueError(f"timeout: expected a number of seconds > 0 (or None), got {short(seconds)}")
    if not can_time_out():
        raise RuntimeError(
            "timeout: needs SIGALRM (a POSIX system) in the main thread, unused by anything else; "
            "call from the main thread or pass timeout=None"
        )
    token = _limit.set(float(seconds))
    try:
        yield
    finally:
        _limit.reset(token)


def can_time_out() -> bool:
    """Whether ``time_limit`` can stop your code here."""
    return (
        hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.SIG_IGN, None)
        and signal.getitimer(signal.ITIMER_REAL)[0] == 0.0
    )


class _Expired(BaseException):
    """The time limit, raised inside your code (a BaseException, so that ``except Exception`` there
    does not swallow it)."""


def run(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)``, where ``fn`` is your code: what it raises comes back as a UserCodeError saying
    what and where (KeyboardInterrupt passes as it is), and it is stopped at the time limit."""
    seconds = _limit.get()
    try:
        if seconds is None:
            return fn(*args)
        with _alarm(seconds):
            return fn(*args)
    except KeyboardInterrupt:
        raise
    except _Expired as e:
        raise UserCodeTimeout(f"your code did not return within {seconds:g} s{where(e)}") from e
    except SystemExit as e:
        raise UserCodeError(f"your code exited (sys.exit({short(e.code, 40)})){where(e)}") from e
    except BaseException as e:
        said = str(e) if len(str(e)) <= 200 else str(e)[:197] + "..."
        raise UserCodeError(f"your code raised {type(e).__name__}: {said}{where(e)}") from e


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    def expire(signum: int, frame: Any) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0.05)  # and again soon, should a bare ``except:`` swallow this one
        raise _Expired("stopped at the time limit")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0.0)
        signal.signal(signal.SIGALRM, previous)


def where(e: BaseException) -> str:
    """ " at FILE:LINE": the innermost line of your code in the traceback of ``e`` (lines of this
    library, numpy and the standard library left out), or "" when there is none."""
    for frame in reversed(traceback.extract_tb(e.__traceback__)):
        if not frame.filename.startswith(_LIBRARIES) and not frame.filename.startswith("<"):
            return f" at {frame.filename}:{frame.lineno}"
    return ""


def _folders(*paths: Path) -> tuple[str, ...]:
    """Each folder as a prefix of file names, as given and with links resolved."""
    return tuple({os.path.join(str(p), "") for path in paths for p in (path, path.resolve())})


_HERE = Path(__file__).parent
_LIBRARIES = _folders(
    _HERE,
    _HERE.parent / "autograd_core",
    Path(np.__file__).parent,
    *(Path(sysconfig.get_paths()[k]) for k in ("stdlib", "platstdlib", "purelib", "platlib")),
)
