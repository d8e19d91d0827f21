"""Pictures made of small coloured cells, for the drawings: the colour rules (signed numbers,
pixel intensities) and the table that draws a grid of colours, as a heatmap, a band or an image.

Signed numbers have one colour rule everywhere in this library (the drawings and the layer
stepper): red for positive, blue for negative, white at 0, the darker the larger |value| within
each matrix. ``SIGN_LEGEND`` says so, and every picture that uses the rule shows it. Pixel
intensities (an input that is a square image) are grey: ``GRAY_LEGEND``.

Graphviz's HTML-like labels cannot show an image made from data, so a picture is a table of
cells, each filled with its colour: an input of 784 = 28×28 pixels is a 28×28 table. The table
has a fixed size; only the first row's cells carry a width and the first column's a height (the
others take theirs from their column and row), and a white cell has no fill, so a cell costs 9
to 27 characters of DOT, and a white one nothing in the SVG (the table is white behind it).

    >>> image_side(784), image_side(30)
    (28, None)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from autograd_core.dot import MUTED, num_text
from nn.fold import parts

POSITIVE = (214, 96, 77)
"""The colour of the largest positive value (ColorBrewer's RdBu red); 0 is white."""

NEGATIVE = (67, 147, 195)
"""The colour of the largest negative value (ColorBrewer's RdBu blue)."""

WHITE = "#ffffff"

SIGN_LEGEND = "red > 0, blue < 0, white 0; the darker, the larger |value| (within each matrix)"
"""The colour rule of signed numbers, as every picture that uses it states it."""

GRAY_LEGEND = "pixels in grey: white at the image's smallest value, black at its largest"
"""The colour rule of an input drawn as an image (``gray_color``)."""

FILLER = "#e2e8f0"
"""The colour of the cells after the end of a band whose last row is short: no value is this grey."""

IMAGE_SIDE_FROM = 8
"""A vector of n = side² entries with side >= this (n >= 64: the 8×8 digits, MNIST's 28×28) is an image..."""

IMAGE_SIDE_UP_TO = 64
"""... while side <= this (n <= 4,096): a larger image would cost more cells than a drawing holds."""


def signed_color(v: float, largest: float) -> str:
    """The colour of ``v`` in a picture whose largest |value| is ``largest``: white at 0, the full
    POSITIVE or NEGATIVE colour at ±largest, in between by |v| / largest."""
    if largest == 0 or v == 0:
        return WHITE
    t = min(1.0, abs(v) / largest)
    rgb = POSITIVE if v > 0 else NEGATIVE
    return "#{:02x}{:02x}{:02x}".format(*(round(255 + (c - 255) * t) for c in rgb))


def gray_color(v: float, lo: float, hi: float) -> str:
    """The grey of a pixel ``v`` in an image whose values run from ``lo`` (white) to ``hi`` (black),
    as a handwritten digit is drawn: ink is dark. An image of one value is white."""
    if hi <= lo:
        return WHITE
    level = round(255 * (1 - min(1.0, max(0.0, (v - lo) / (hi - lo)))))
    return f"#{level:02x}{level:02x}{level:02x}"


def largest(values: Sequence[float]) -> float:
    """The largest |value|: the scale of ``signed_color`` for a picture of these values."""
    return max((abs(v) for v in values), default=0.0)


def image_side(n: int) -> int | None:
    """The side of the square image a vector of n entries is, or None: n = side², IMAGE_SIDE_FROM <= side
    <= IMAGE_SIDE_UP_TO."""
    side = math.isqrt(n)
    return side if side * side == n and IMAGE_SIDE_FROM <= side <= IMAGE_SIDE_UP_TO else None


def cell_size(side: int, width: float) -> int:
    """Points per cell for a picture ``side`` cells across that should be about ``width`` points wide."""
    return max(1, round(width / side))


def cell_table(colors: Sequence[Sequence[str]], size: int) -> str:
    """A grid of colours as a table of ``size``-point square cells (rows may be shorter than the
    first: the rest of such a row is FILLER)."""
    width = len(colors[0])
    rows = []
    for i, row in enumerate(colors):
        cells = []
        for k, color in enumerate(row):
            fill = f' bgcolor="{color}"' if color != WHITE else ""
            across = f' width="{size}"' if i == 0 else ""
            down = f' height="{size}"' if k == 0 else ""
            cells.append(f"<td{fill}{across}{down}></td>")
        if len(row) < width:
            cells.append(f'<td colspan="{width - len(row)}" bgcolor="{FILLER}"></td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    # A fixed size at the top of its cell: else a wider or taller cell would stretch it, or centre it.
    # White behind it: a cell without a fill would show the box's colour, not the colour of 0.
    size_of = f'valign="top" fixedsize="true" width="{width * size}" height="{len(colors) * size}"'
    table = f'border="0" cellborder="0" cellspacing="0" cellpadding="0" bgcolor="{WHITE}" {size_of}'
    return f"<table {table}>{''.join(rows)}</table>"


def image(colors: Sequence[str], side: int, size: int) -> str:
    """side² colours, row by row, as a side×side picture."""
    return cell_table([colors[r * side : (r + 1) * side] for r in range(side)], size)


def band(colors: Sequence[str], size: int, per_row: int) -> str:
    """One cell per unit, in order, ``per_row`` to a row: a whole layer at a glance."""
    return cell_table([colors[i : i + per_row] for i in range(0, len(colors), per_row)], size)


# ---- whole matrices as pictures: what the matrix view draws ----------------------------------


@dataclass(frozen=True)
class Picture:
    """A picture for an HTML-like label, and about how wide it comes out (points): for the layout."""

    html: str
    width: float


NUMBERS_UP_TO = 16
"""A matrix with at most this many rows and columns is drawn as a heatmap with its numbers."""

HEATMAP_CELLS = 16_384
"""Up to this many entries, and 1,024 rows and columns, a heatmap without numbers (beyond, the
matrix's shape and norm)."""

HEATMAP_SIDE = 448
"""Points: the longer side of a heatmap without numbers, at most: 7-point cells up to 64 rows or
columns, smaller cells beyond (a 100-unit vector is a column of 4-point cells)."""

ROW_IMAGES_UP_TO = 36
"""A weight matrix whose inputs are an image shows its rows as images, all of them up to this many
(a 6×6 grid, about 370 points wide); a matrix of more rows shows some of them (``nn.fold``)."""

IMAGES_PER_ROW = 6

ROW_IMAGE_WIDTH = 56
"""Points: one row of a weight matrix drawn as an image (2-point pixels at 28×28)."""

INPUT_WIDTH = 112
"""Points: one input drawn as an image (4-point pixels at 28×28); half that when there are several."""

SAMPLE_IMAGES_UP_TO = 10
"""An input batch that is images shows the first this many samples."""


def heatmap(m: list[list[float]]) -> Picture:
    """A matrix as a heatmap: each cell coloured by ``signed_color`` (relative to the largest |entry|
    of the matrix), with the number inside while it stays readable (up to NUMBERS_UP_TO rows and
    columns), without beyond, and as shape and norm when very large (HEATMAP_CELLS)."""
    rows, cols = len(m), len(m[0])
    if rows * cols > HEATMAP_CELLS or max(rows, cols) > 1024:
        norm = math.sqrt(math.fsum(v * v for row in m for v in row))
        return Picture(f"{rows}×{cols},  ‖·‖ = {num_text(norm)}", 130.0)
    scale = max(largest(row) for row in m)
    if rows > NUMBERS_UP_TO or cols > NUMBERS_UP_TO:
        size = min(7, cell_size(max(rows, cols), HEATMAP_SIDE))
        return Picture(cell_table([[signed_color(v, scale) for v in row] for row in m], size), max(40.0, cols * size))
    body = "".join("<tr>" + "".join(_number_cell(v, scale) for v in row) + "</tr>" for row in m)
    table = 'border="0" cellborder="1" cellspacing="0" cellpadding="3" color="#e2e8f0"'
    return Picture(f"<table {table}>{body}</table>", max(40.0, cols * 50.0))


def _number_cell(v: float, scale: float) -> str:
    dark = scale > 0 and abs(v) / scale >= 0.55
    text = f'<font color="white">{num_text(v)}</font>' if dark else num_text(v)
    return f'<td align="right" bgcolor="{signed_color(v, scale)}">{text}</td>'


def row_images(m: list[list[float]], shown: list[int], side: int) -> Picture:
    """The rows ``shown`` of a matrix whose columns are an image's pixels, each as a side×side image
    (every row in one colour scale: the matrix's largest |entry|), numbered, in a grid; a run of rows
    not shown is one "⋯ k more" item."""
    scale = max(largest(row) for row in m)
    size = cell_size(side, ROW_IMAGE_WIDTH)
    items = []
    for part in parts(shown, len(m)):
        if isinstance(part, tuple):
            first, last = part
            more = f"⋯ {last - first + 1} more<br/>({first}–{last})" if last > first else f"⋯ 1 more<br/>({first})"
            items.append(f'<td valign="middle"><font color="{MUTED}" point-size="8">{more}</font></td>')
        else:
            picture = image([signed_color(v, scale) for v in m[part]], side, size)
            number = f'<font point-size="8">{part}</font>'
            items.append(f"<td>{stack(number, picture)}</td>")
    return _grid(items, IMAGES_PER_ROW, side * size)


def input_images(x: list[list[float]], side: int) -> Picture:
    """The input a^0 (side² rows, a column per sample) as images in grey (``gray_color``, each image
    from its own smallest to its largest value, written under it); the first SAMPLE_IMAGES_UP_TO
    samples of a larger batch."""
    samples = len(x[0])
    size = cell_size(side, INPUT_WIDTH if samples == 1 else INPUT_WIDTH / 2)
    items = []
    for n in range(min(samples, SAMPLE_IMAGES_UP_TO)):
        column = [row[n] for row in x]
        lo, hi = min(column), max(column)
        name = [f"sample {n}"] if samples > 1 else []
        span = f'<font point-size="8" color="{MUTED}">{num_text(lo)} to {num_text(hi)}</font>'
        items.append(f"<td>{stack(*name, image([gray_color(v, lo, hi) for v in column], side, size), span)}</td>")
    if samples > SAMPLE_IMAGES_UP_TO:
        items.append(f'<td valign="middle"><font color="{MUTED}">⋯ {samples - SAMPLE_IMAGES_UP_TO} more</font></td>')
    return _grid(items, IMAGES_PER_ROW, side * size)


def stack(*items: str) -> str:
    """Texts and tables one above the other (a cell of an HTML-like label holds a text or one table)."""
    rows = "".join(f"<tr><td>{item}</td></tr>" for item in items)
    return f'<table border="0" cellborder="0" cellspacing="0" cellpadding="1">{rows}</table>'


def _grid(items: list[str], per_row: int, item_width: float) -> Picture:
    rows = ["<tr>" + "".join(items[i : i + per_row]) + "</tr>" for i in range(0, len(items), per_row)]
    table = f'<table border="0" cellborder="0" cellspacing="4" cellpadding="0">{"".join(rows)}</table>'
    return Picture(table, min(len(items), per_row) * (item_width + 4))
