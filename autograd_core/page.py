"""The step-through pages: one HTML template, one stylesheet and one script for the controls.

Both steppers (``Stepper`` here, node by node; ``nn.LayerStepper``, equation by equation) are a
``StepPage``: a self-contained HTML document built by ``build_page`` from files shipped in the
package (``autograd_core/assets``: page.html around stepper.html, stepper.css, controls.js) and each
page's own body, stylesheet and script (the node stepper's are graph.css and graph.js beside them; the layer
stepper's live in ``nn/assets``). The files are read with importlib.resources, so the pages
work from a wheel, a zip or a source tree alike.

The template has one kind of placeholder, ``{{name}}``; ``fill`` refuses a template whose
placeholders and values differ, so nothing is left unfilled or filled by accident.
"""

from __future__ import annotations

import functools
import html
import json
import os
import re
from importlib import resources
from pathlib import Path
from typing import Any

from autograd_core.dot import printable
from autograd_core.files import write_atomic

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


@functools.cache
def asset(package: str, name: str) -> str:
    """The text of ``name`` in the ``assets`` folder of ``package`` ("autograd_core" or "nn")."""
    return (resources.files(package) / "assets" / name).read_text(encoding="utf-8")


def fill(template: str, values: dict[str, str]) -> str:
    """``template`` with each ``{{name}}`` replaced by ``values[name]``, in one pass (a value is never
    read as a template). Raises KeyError when a placeholder has no value or a value no placeholder."""
    wanted = set(_PLACEHOLDER.findall(template))
    if wanted != set(values):
        raise KeyError(f"placeholders {sorted(wanted)} and values {sorted(values)} differ")
    return _PLACEHOLDER.sub(lambda m: values[m[1]], template)


def build_page(
    *,
    title: str,
    kind: str,
    count: int,
    body: str,
    data: object,
    hint: str,
    style: str,
    script: str,
    controls: str = "",
    bar: str = "",
    standalone: bool = True,
) -> str:
    """A step-through page: the shared template, stylesheet and controls script, with this page's
    ``kind`` (a class on the root), step ``count``, ``body`` (HTML), ``data`` (as inert JSON), ``hint``
    (HTML), own ``style`` and ``script``, extra ``controls`` in the bar and more of the ``bar`` below
    them. The page's script calls ``agControls(root, count, show)`` (assets/controls.js).

    ``standalone``: a whole HTML document (assets/page.html around the stepper), whose keys work
    anywhere on the page; else the stepper alone, to show inline in a notebook, whose keys work
    when it has the focus (every style rule is scoped to ``.ag-stepper``).
    """
    stepper = fill(
        asset("autograd_core", "stepper.html"),
        {
            "title": html.escape(printable(title)),
            "kind": kind,
            "standalone": "1" if standalone else "0",
            "count": str(count),
            "controls": controls,
            "bar": bar,
            "body": body,
            "hint": hint,
            "data": script_json(data),
            "style": asset("autograd_core", "stepper.css") + style,
            "script": asset("autograd_core", "controls.js") + script,
        },
    )
    if not standalone:
        return stepper
    return fill(asset("autograd_core", "page.html"), {"title": html.escape(printable(title)), "stepper": stepper})


def script_json(data: object) -> str:
    """JSON that is inert inside a <script> element: no "</script>", no "<!--", whatever it holds;
    a lone surrogate (a label may hold one) is written as its escape, the same string to JSON, so
    the page can be saved as UTF-8."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char in "<>&\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return _SURROGATE.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


_SURROGATE = re.compile("[\ud800-\udfff]")


class StepPage:
    """A self-contained HTML page that steps through something: saved whole, shown inline in Jupyter.

    The pages of ``Stepper`` (node by node) and ``nn.LayerStepper`` (equation by equation) share
    this and the DOM contract of docs/architecture.md. A subclass sets ``html`` and says what its
    first step looks like in ``still_svg``: Jupyter shows the page, and a notebook stores the still
    picture beside it for the viewers that show no HTML or iframes (GitHub's, VS Code's, nbconvert's
    without JavaScript).
    """

    html: str

    def still_svg(self) -> str:
        """The first step as a standalone SVG picture, computed in Python (no browser)."""
        raise NotImplementedError

    def _repr_html_(self) -> str:
        raise NotImplementedError

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **_: Any) -> dict[str, Any]:
        """In Jupyter: the page (``_repr_html_``), the still picture of its first step, and the repr."""
        return {"text/html": self._repr_html_(), "image/svg+xml": self.still_svg(), "text/plain": repr(self)}

    def to_html(self) -> str:
        """The page: a complete, self-contained HTML document."""
        return self.html

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to ``path`` (.html or .htm), whole or not at all. Returns the path."""
        target = Path(path)
        if target.suffix.lower() not in (".html", ".htm"):
            raise ValueError(f"{type(self).__name__}.save: expected a file name ending in .html, got {str(path)!r}")
        write_atomic(target, self.html.encode("utf-8"))
        return target

    def iframe(self, height: int) -> str:
        """The page in a sandboxed iframe ``height`` px tall (several on one notebook never clash)."""
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" sandbox="allow-scripts" '
            f'style="width: 100%; height: {height}px; border: 1px solid #e2e8f0"></iframe>'
        )
