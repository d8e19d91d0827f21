"""The DOT-text toolkit of the drawings: colours, escaping, number format, HTML-like tables,
the Digraph they become, and saving or rendering it with Graphviz's ``dot``.

Shared by draw.py (the graph view) and stepper.py in the engine, and by nn's drawings of an MLP
(nn/views.py). graphviz is imported only when a drawing is made.
"""

from __future__ import annotations

import functools
import html
import os
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograd_core.files import write_atomic
from autograd_core.inputs import short

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


DOT_TIME_LIMIT = 10.0
"""Seconds Graphviz's ``dot`` may take to lay out one drawing before it is stopped (GraphvizError).

The drawings refuse up front a graph whose layout would be costly (``check_layout_cost``); this
limit is the backstop for whatever slips through. Raise it (``autograd_core.dot.DOT_TIME_LIMIT =
60``) to wait longer for a large drawing."""

LAYOUT_BUDGET = 6000
"""The largest layout cost (``layout_cost``) a drawing may have: about 2 s of ``dot`` here."""


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program is needed to render a drawing and is not installed."""


class GraphvizError(RuntimeError):
    """Graphviz's ``dot`` failed on a drawing, or did not finish it within DOT_TIME_LIMIT seconds."""


def save_drawing(graph: graphviz.Graph | graphviz.Digraph | graphviz.Source, path: str | os.PathLike[str]) -> Path:
    """Write a drawing to ``path``, in the format its extension names: .svg, .png, .pdf or .dot (.gv).

    The file is written whole or not at all (a temporary file in the same directory, then
    renamed). Rendering needs Graphviz's ``dot``; a .dot file does not. Returns the path.

        >>> from autograd_core import Value, draw, save_drawing
        >>> save_drawing(draw(Value(1.0, label="x")), "x.dot")  # doctest: +SKIP
        PosixPath('x.dot')
    """
    target = Path(path)
    extension = target.suffix.lower().lstrip(".")
    if extension not in FORMATS:
        raise ValueError(
            f"save_drawing: cannot tell the format from {str(path)!r}: expected a file name ending in "
            f".svg, .png, .pdf, .dot or .gv, got {('.' + extension) if extension else 'no extension'}"
        )
    if FORMATS[extension] == "dot":
        data = graph.source.encode("utf-8")
    else:
        data = run_dot(graph.source, FORMATS[extension], drawing_name(graph))
    write_atomic(target, data)
    return target


def render_svg(graph: graphviz.Graph | graphviz.Digraph | graphviz.Source) -> str:
    """The drawing rendered to SVG text by Graphviz's ``dot`` (GraphvizNotFoundError without it)."""
    return run_dot(graph.source, "svg", drawing_name(graph)).decode("utf-8")


def run_dot(source: str, fmt: str, name: str) -> bytes:
    """Graphviz's ``dot -T<fmt>`` on the DOT text, within DOT_TIME_LIMIT seconds.

    Every drawing the library renders goes through here, so every failure is one of two errors
    that name the drawing: GraphvizNotFoundError (no ``dot``) or GraphvizError (``dot`` failed
    or ran out of time; the process is stopped).
    """
    import shutil  # here, not at the top: they pull in a dozen modules, and importing the engine stays light
    import subprocess

    program = shutil.which("dot")
    if program is None:
        raise GraphvizNotFoundError(
            "rendering a drawing needs Graphviz's dot program, which was not found on PATH. Install it: "
            + INSTALL_GRAPHVIZ
            + ". The DOT text (drawing.source, or save_drawing(drawing, 'graph.dot')) works without it."
        )
    try:
        done = subprocess.run(
            [program, f"-T{fmt}"], input=source.encode("utf-8"), capture_output=True, timeout=DOT_TIME_LIMIT
        )
    except subprocess.TimeoutExpired:
        raise GraphvizError(
            f"Graphviz's dot did not finish laying out {name} within {DOT_TIME_LIMIT:g} s and was stopped; "
            f"draw a smaller graph, or raise autograd_core.dot.DOT_TIME_LIMIT"
        ) from None
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
        excerpt = (said[0] if said else "no message")[:200]
        raise GraphvizError(f"Graphviz's dot failed on {name} (exit status {done.returncode}): {excerpt}")
    return done.stdout


def drawing_name(graph: Any) -> str:
    """What an error calls a drawing: "the drawing 'graph of out'", from the name it was made with."""
    name = getattr(graph, "name", None)
    return f"the drawing {name!r}" if name else "the drawing"


def inline_svg(graph: graphviz.Graph | graphviz.Digraph | graphviz.Source, svg: str | None = None) -> str:
    """The drawing (rendered, or ``svg`` as rendered) as an <svg> element for an HTML page, scaled
    down to the width it is given."""
    svg = render_svg(graph) if svg is None else svg
    return svg[svg.index("<svg") :].replace("<svg", '<svg style="max-width:100%;height:auto"', 1)


# ---- whole SVG pictures: what a notebook stores as image/svg+xml, for viewers that show no HTML ----

_ROOT_SIZE = re.compile(r'<svg\b([^>]*?)\swidth="([\d.]+)(?:pt|px)?"\s+height="([\d.]+)(?:pt|px)?"')


def svg_size(svg: str) -> tuple[float, float]:
    """The width and height of an SVG picture, in its own units (Graphviz's are points)."""
    m = _ROOT_SIZE.search(svg)
    if m is None:
        raise ValueError("svg_size: expected an <svg> with a width and a height")
    return float(m[2]), float(m[3])


def svg_placed(svg: str, x: float, y: float) -> str:
    """An SVG picture as an element of a larger one, its top left corner at (x, y)."""
    width, height = svg_size(svg)
    inner = svg[svg.index("<svg") :]
    return _ROOT_SIZE.sub(lambda m: f'<svg{m[1]} x="{x:g}" y="{y:g}" width="{width:g}" height="{height:g}"', inner, 1)


def svg_picture(width: float, height: float, body: str) -> str:
    """A standalone SVG document of that size around ``body`` (white, so it reads on a dark theme too)."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:g}pt" height="{height:g}pt" '
        f'viewBox="0 0 {width:g} {height:g}"><rect width="100%" height="100%" fill="#ffffff"/>{body}</svg>'
    )


def svg_row(svgs: Sequence[str], gap: float = 12.0) -> str:
    """Several SVG pictures side by side, tops aligned, as one picture."""
    sizes = [svg_size(svg) for svg in svgs]
    xs = [sum(w for w, _ in sizes[:i]) + gap * i for i in range(len(svgs))]
    body = "".join(svg_placed(svg, x, 0.0) for svg, x in zip(svgs, xs))
    return svg_picture(xs[-1] + sizes[-1][0] if svgs else 0.0, max((h for _, h in sizes), default=0.0), body)


def svg_captioned(svg: str, caption: str) -> str:
    """An SVG picture under a line of text (escaped here), as one picture."""
    width, height = svg_size(svg)
    text = (
        f'<text x="4" y="14" font-family="Helvetica, Arial, sans-serif" font-size="11" fill="#0f172a">'
        f"{html.escape(caption)}</text>"
    )
    return svg_picture(max(width, 6.0 * len(caption)), height + 20, text + svg_placed(svg, 0.0, 20.0))


def num_text(x: float) -> str:
    """A number as drawn: 4 significant digits, a short exponent (1.235e-5), no negative zero."""
    if x == 0:
        return "0"
    s = f"{x:.4g}"
    if "e" in s:
        mantissa, exponent = s.split("e")
        s = f"{mantissa}e{int(exponent)}"
    return s


MAX_TEXT = 80
"""The most characters of a user's text (a label, a name, a title) a drawing shows: a longer one is
cut, ending in "…". Graphviz refuses a label of 16 KB or more, and a box a page wide helps no one."""


def cut(text: str, limit: int = MAX_TEXT) -> str:
    """``text``, cut to at most ``limit`` characters, the last of them "…" when it was longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def printable(text: str) -> str:
    """``text`` with each control character (but the newline), lone surrogate and unassigned code point
    shown as its escape (``\\x00``, ``\\ud800``): Graphviz's lexer stops at a NUL, and a lone surrogate
    cannot be written as UTF-8, so a drawing or page holding one could not be rendered or saved."""
    return "".join(repr(c)[1:-1] if c != "\n" and unicodedata.category(c) in ("Cc", "Cs", "Cn") else c for c in text)


def html_text(text: str) -> str:
    """Text made safe for an HTML-like DOT label: cut to MAX_TEXT characters, markup escaped, newlines
    kept, control characters shown (``printable``)."""
    shown = printable(cut(text))
    escaped = shown.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    if escaped.startswith("]"):  # dot's lexer fails on a text made only of "]" (as in a label "]")
        escaped = "&#93;" + escaped[1:]
    return escaped.replace("\n", "<br/>")


def dot_quote(text: str) -> str:
    """A DOT double-quoted string, for the fixed text and numbers we write; a user's text (a group's
    title) goes through ``printable(cut(text))`` first."""
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


def digraph(rankdir: str, lines: list[str], name: str = "autograd", cost: int = 0) -> graphviz.Digraph:
    """The Digraph of a drawing: ``name`` says what it shows (errors quote it); ``cost`` is its
    layout cost, and a costly layout gets Graphviz's network-simplex limit (far faster, slightly
    less tidy)."""
    limit = " nslimit=1 nslimit1=1" if cost > LAYOUT_BUDGET // 10 else ""
    head = [
        f'graph [rankdir={rankdir} fontname="{FONT}" fontsize=10 nodesep=0.2 ranksep=0.35{limit}]',
        f'node [fontname="{FONT}" fontsize=10]',
        f'edge [fontname="{FONT}" fontsize=9 color="#64748b" fontcolor="#334155" arrowsize=0.6]',
    ]
    title = re.sub(r"[^\w .,:;()\[\]#+*/=-]", "?", name)[:80]  # a user's label goes into the name: keep it inert
    return _drawing_class()(name=title, body=[f"\t{line}\n" for line in head + lines])


def check_choice(what: str, given: str, allowed: Sequence[str]) -> None:
    if given not in allowed:
        raise ValueError(f"draw: {what} must be one of {', '.join(map(repr, allowed))}, got {short(given)}")


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
            what = "" if self.name in (None, "autograd") else f" {self.name},"
            return (
                f"<drawing:{what} {edges} edges; .source is the DOT text, save_drawing(drawing, 'graph.svg') writes it>"
            )

        def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **_: Any) -> dict[str, Any]:
            """In Jupyter: the picture in the format ``graphviz.set_jupyter_format`` chose (SVG by default:
            HTML that scales it to the notebook's width, and the SVG itself for viewers that show no HTML,
            such as GitHub's and VS Code's); without ``dot``, the DOT text and how to install it."""
            mimetype = self._jupyter_mimetype
            try:
                if mimetype == "image/svg+xml":
                    svg = render_svg(self)
                    bundle: dict[str, Any] = {
                        "text/html": f'<div style="overflow-x:auto">{inline_svg(self, svg)}</div>',
                        "image/svg+xml": svg[svg.index("<svg") :],
                    }
                else:
                    bundle = {mimetype: run_dot(self.source, mimetype.split("/")[1], drawing_name(self))}
            except (GraphvizNotFoundError, GraphvizError) as e:
                text = f"{e}\n\n{self.source}"
                bundle = {"text/html": f'<pre style="white-space:pre-wrap">{html.escape(text)}</pre>'}
                return {"text/plain": text, **bundle}
            bundle["text/plain"] = repr(self)
            if include is not None:
                bundle = {k: v for k, v in bundle.items() if k in set(include) or k == "text/plain"}
            return {k: v for k, v in bundle.items() if k not in set(exclude or ())}

        def pipe(self, format: str | None = None, *args: Any, encoding: str | None = None, **kwargs: Any) -> Any:
            """The rendered drawing (bytes, or text with ``encoding``), through ``run_dot``'s time limit."""
            data = run_dot(self.source, format or self.format, drawing_name(self))
            return data.decode(encoding) if encoding else data

        def render(self, *args: Any, **kwargs: Any) -> Any:
            raise NotImplementedError(
                "use autograd_core.save_drawing(drawing, 'graph.svg'): it renders within a time limit"
            )

    return Drawing
