"""Checking what a user passes in: a real number, or a piece of text.

Every public function of the engine that takes a number or a label checks it here, so the
errors read the same everywhere: what was expected, and what was given.
"""

from __future__ import annotations

from numbers import Integral, Real


def real(x: object, where: str) -> float:
    """x as a finite float, or the error that says what was expected and what was given."""
    if type(x) is float or type(x) is int or (isinstance(x, Real) and not isinstance(x, bool)):
        f = float(x)
        if f - f:
            raise ValueError(f"{where}: expected a finite number, got {f!r}")
        return f
    hint = " (use .item() to take the number out of a numpy array)" if type(x).__name__ == "ndarray" else ""
    if hasattr(x, "parents") and hasattr(x, "local_grads"):
        hint = " (a Value is already a node; use it directly, or its .data)"
    raise TypeError(
        f"{where}: expected a real number (int, float or numpy real scalar), "
        f"got {type(x).__module__}.{type(x).__qualname__}: {short(x)}{hint}"
    )


def text(s: object, what: str) -> str:
    """s, checked to be a str."""
    if not isinstance(s, str):
        raise TypeError(f"{what}: expected a str, got {type(s).__name__}: {short(s)}")
    return s


def short(x: object, limit: int = 60) -> str:
    """repr(x), cut to at most ``limit`` characters: error messages quote a bounded excerpt."""
    r = repr(x)
    return r if len(r) <= limit else r[: limit - 3] + "..."


def count(x: object, where: str, minimum: int = 0) -> int:
    """x as an int >= ``minimum`` (a seed, a number of entries), or the error that says so.

    bool is refused (``True`` is no count); numpy integers are accepted.
    """
    if isinstance(x, bool) or not isinstance(x, Integral):
        raise TypeError(f"{where}: expected an int >= {minimum}, got {type(x).__name__}: {short(x)}")
    if x < minimum:
        raise ValueError(f"{where}: expected an int >= {minimum}, got {short(x)}")
    return int(x)
