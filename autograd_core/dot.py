"""The DOT-text toolkit of the drawings: colours, escaping, number format, HTML-like tables,
the Digraph they become, and saving or rendering it with Graphviz's ``dot``.

Shared by draw.py (the graph view) and stepper.py in the engine, and by nn's drawings of an MLP
(nn/views.py). graphviz is imported only when a drawing is made.
"""

from __future__ import annotations

import functools
import os
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograd_core.files import write_atomic

if TYPE_CHECKING:
    import graphviz  # type: ignore[import-untyped]

INSTALL_GRAPHVIZ = (
    "Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install graphviz; "
    "conda: conda install -c conda-forge graphviz"
)


FORMATS = {"svg": "svg", "png": "png", "pdf": "pdf", "dot": "dot", "gv": "dot"}


RANKDIRS = ("LR", "TB")


COLORS = {"input": "#dbeafe", "parameter": "#fde68a", "intermediate": "#f1f5f9", "output": "#bbf7d0"}


HIGHLIGHT = "#dc2626"


MUTED = "#6b7280"


FONT = "Helvetica"


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program is needed to render a drawing and is not installed."""


def save(graph: graphviz.Graph | graphviz.Digraph | graphviz.Source, path: str | os.PathLike[str]) -> Path:
    """Write a drawing to ``path``, in the format its extension names: .svg, .png, .pdf or .dot (.gv).

    The file is written whole or not at all (a temporary file in the same directory, then
    renamed). Rendering needs Graphviz's ``dot``; a .dot file does not. Returns the path.

        >>> from autograd_core import Value, draw, save
        >>> save(draw(Value(1.0, label="x")), "x.dot")  # doctest: +SKIP
        PosixPath('x.dot')
    """
    target = Path(path)
    extension = target.suffix.lower().lstrip(".")
    if extension not in FORMATS:
        raise ValueError(
            f"save: cannot tell the format from {str(path)!r}: expected a file name ending in "
            f".svg, .png, .pdf, .dot or .gv, got {('.' + extension) if extension else 'no extension'}"
        )
    if FORMATS[extension] == "dot":
        data = graph.source.encode("utf-8")
    else:
        with _dot_required():
            data = graph.pipe(format=FORMATS[extension])
    write_atomic(target, data)
    return target


def render_svg(graph: graphviz.Graph | graphviz.Digraph | graphviz.Source) -> str:
    """The drawing rendered to SVG text by Graphviz's ``dot`` (GraphvizNotFoundError without it)."""
    with _dot_required():
        svg: str = graph.pipe(format="svg", encoding="utf-8")
    return svg


def inline_svg(graph: graphviz.Graph | graphviz.Digraph | graphviz.Source) -> str:
    """The drawing as an <svg> element for an HTML page, scaled down to the width it is given."""
    svg = render_svg(graph)
    return svg[svg.index("<svg") :].replace("<svg", '<svg style="max-width:100%;height:auto"', 1)


def num_text(x: float) -> str:
    """A number as drawn: 4 significant digits, a short exponent (1.235e-5), no negative zero."""
    if x == 0:
        return "0"
    s = f"{x:.4g}"
    if "e" in s:
        mantissa, exponent = s.split("e")
        s = f"{mantissa}e{int(exponent)}"
    return s


def html_text(text: str) -> str:
    """Text made safe for an HTML-like DOT label: markup escaped, newlines kept, control characters shown."""
    shown = "".join(repr(c)[1:-1] if c != "\n" and unicodedata.category(c) in ("Cc", "Cs", "Cn") else c for c in text)
    escaped = shown.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return escaped.replace("\n", "<br/>")


def dot_quote(text: str) -> str:
    """A DOT double-quoted string, for the fixed text and numbers we write (never user labels)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dot_attrs(attrs: dict[str, str]) -> str:
    return "[" + " ".join(f"{k}={v}" for k, v in attrs.items()) + "]"


def table_rows(rows: list[str]) -> str:
    body = "".join(f"<tr><td>{row}</td></tr>" for row in rows)
    return f'<table border="0" cellborder="0" cellspacing="0" cellpadding="1">{body}</table>'


def table_grid(rows: list[list[str]]) -> str:
    body = "".join(
        "<tr>"
        + "".join(f'<td align="{"left" if i == 0 else "right"}">{cell}</td>' for i, cell in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return f'<table border="0" cellborder="0" cellspacing="0" cellpadding="2">{body}</table>'


def digraph(rankdir: str, lines: list[str]) -> graphviz.Digraph:
    head = [
        f'graph [rankdir={rankdir} fontname="{FONT}" fontsize=10 nodesep=0.2 ranksep=0.35]',
        f'node [fontname="{FONT}" fontsize=10]',
        f'edge [fontname="{FONT}" fontsize=9 color="#64748b" fontcolor="#334155" arrowsize=0.6]',
    ]
    return _drawing_class()(name="autograd", body=[f"\t{line}\n" for line in head + lines])


def check_choice(what: str, given: str, allowed: Sequence[str]) -> None:
    if given not in allowed:
        raise ValueError(f"draw: {what} must be one of {', '.join(map(repr, allowed))}, got {given!r}")


def check_size(count: int, max_nodes: int, what: str, advice: str, where: str = "draw") -> None:
    """Refuse a drawing of more than ``max_nodes`` boxes, with advice that fits the caller."""
    if count > max_nodes:
        raise ValueError(
            f"{where}: the drawing would have {count:,} {what}, more than max_nodes={max_nodes:,}; {advice}."
        )


@functools.cache
def _drawing_class() -> type[graphviz.Digraph]:
    try:
        import graphviz
    except ImportError:
        raise ImportError(
            "drawing needs the graphviz Python package: pip install graphviz (and Graphviz's dot: "
            + INSTALL_GRAPHVIZ
            + ")"
        ) from None

    class Drawing(graphviz.Digraph):
        """A graphviz.Digraph whose rendering says how to install Graphviz when ``dot`` is missing,
        and which Jupyter shows scaled to the width of the notebook (wide graphs are not clipped)."""

        def __repr__(self) -> str:
            edges = sum("->" in line for line in self.body)
            return f"<drawing: {edges} edges; .source is the DOT text, save(drawing, 'graph.svg') writes it>"

        def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **_: Any) -> dict[str, str]:
            return {"text/html": f'<div style="overflow-x:auto">{inline_svg(self)}</div>', "text/plain": repr(self)}

        def pipe(self, *args: Any, **kwargs: Any) -> Any:
            with _dot_required():
                return super().pipe(*args, **kwargs)

        def render(self, *args: Any, **kwargs: Any) -> Any:
            with _dot_required():
                return super().render(*args, **kwargs)

    return Drawing


@contextmanager
def _dot_required() -> Iterator[None]:
    import graphviz

    try:
        yield
    except graphviz.ExecutableNotFound:
        raise GraphvizNotFoundError(
            "rendering a drawing needs Graphviz's dot program, which was not found on PATH. Install it: "
            + INSTALL_GRAPHVIZ
            + ". The DOT text (drawing.source, or save(drawing, 'graph.dot')) works without it."
        ) from None
