"""Checking what a user passes in: a real number, or a piece of text.

Every public function of the engine that takes a number or a label checks it here, so the
errors read the same everywhere: what was expected, and what was given.
"""

from __future__ import annotations

import math
from numbers import Integral, Real


def real(x: object, where: str) -> float:
    """x as a finite float, or the error that says what was expected and what was given."""
    if type(x) is float or type(x) is int or (isinstance(x, Real) and not isinstance(x, bool)):
        try:
            f = float(x)
        except OverflowError:  # an int (or Fraction, ...) beyond the float range
            raise ValueError(f"{where}: expected a finite number, got {too_large(x)}") from None
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


def too_large(x: object) -> str:
    """What an error calls a number beyond the float range: "an int of 401 digits", never all of them."""
    return f"{_int_text(x) if isinstance(x, int) else short(x)} (too large for a float)"


def short(x: object, limit: int = 60) -> str:
    """repr(x), cut to at most ``limit`` characters: error messages quote a bounded excerpt."""
    if isinstance(x, int) and x.bit_length() > 4 * limit:  # more than `limit` digits; str() refuses 4,300
        return _int_text(x)
    r = repr(x)
    return r if len(r) <= limit else r[: limit - 3] + "..."


def _int_text(x: int) -> str:
    bits = x.bit_length()  # (14,000 bits are 4,215 digits, within what str() allows)
    digits = f"{len(str(abs(x))):,}" if bits < 14_000 else f"about {int(bits * math.log10(2)) + 1:,}"
    return f"an int of {digits} digits"


def count(x: object, where: str, minimum: int = 0) -> int:
    """x as an int >= ``minimum`` (a seed, a number of entries), or the error that says so.

    bool is refused (``True`` is no count); numpy integers are accepted.
    """
    if isinstance(x, bool) or not isinstance(x, Integral):
        raise TypeError(f"{where}: expected an int >= {minimum}, got {type(x).__name__}: {short(x)}")
    if x < minimum:
        raise ValueError(f"{where}: expected an int >= {minimum}, got {short(x)}")
    return int(x)
