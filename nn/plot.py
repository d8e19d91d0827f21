"""Pictures of training: the loss (and accuracy) curve, and the decision boundary of 2-D data.

Needs matplotlib, an optional extra: ``pip install 'autograd-core[plot]'``. Figures are made
with matplotlib's object API (no pyplot, no global backend change), so they save anywhere; they
display inline in Jupyter by themselves (``_repr_png_``), even in a kernel that never imported pyplot.
"""

from __future__ import annotations

import functools
import io
import os
from pathlib import Path
from typing import Any

import numpy as np

from autograd_core.files import write_atomic
from nn.matrix import MatrixMLP
from nn.module import MLP
from nn.train import History


@functools.cache
def figure_class() -> Any:
    """The Figure class of this module's plots (shows itself inline in Jupyter); ImportError saying
    what to install when matplotlib is missing."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(
            "plotting needs matplotlib: pip install 'autograd-core[plot]' (or: pip install matplotlib)"
        ) from None

    class PlotFigure(Figure):
        """A matplotlib Figure that shows itself in Jupyter: a Figure made with the object API has no
        pyplot manager, so IPython would print ``<Figure size ...>`` unless pyplot had been imported."""

        def _repr_png_(self) -> bytes:
            buffer = io.BytesIO()
            self.savefig(buffer, format="png", dpi=100)
            return buffer.getvalue()

    return PlotFigure


def training_figure(history: History, model: MLP | MatrixMLP | None = None, X: Any = None, y: Any = None) -> Any:
    """A matplotlib Figure: the loss per epoch (accuracy on a second axis), and, for a model with
    two inputs given its data, the decision boundary with the points on top."""
    Figure = figure_class()
    boundary = model is not None and X is not None and np.asarray(X).ndim == 2 and np.asarray(X).shape[1] == 2
    fig = Figure(figsize=(10 if boundary else 5.5, 4), layout="constrained")
    ax = fig.add_subplot(1, 2 if boundary else 1, 1)
    epochs = np.arange(1, len(history) + 1)
    ax.plot(epochs, history.loss, color="tab:blue", label="loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss", color="tab:blue")
    ax.set_title("training")
    if any(a is not None for a in history.accuracy):
        acc = ax.twinx()
        acc.plot(epochs, [np.nan if a is None else 100 * a for a in history.accuracy], color="tab:orange")
        acc.set_ylabel("training accuracy (%)", color="tab:orange")
        acc.set_ylim(0, 101)
    if boundary:
        decision_boundary(fig.add_subplot(1, 2, 2), model, np.asarray(X, dtype=np.float64), np.asarray(y))  # type: ignore[arg-type]
    return fig


def decision_boundary(ax: Any, model: MLP | MatrixMLP, X: np.ndarray, y: np.ndarray, resolution: int = 200) -> None:
    """Shade the plane by the class the model predicts; draw the points coloured by label."""
    mm = model if isinstance(model, MatrixMLP) else MatrixMLP.from_mlp(model)  # numpy: a grid is 40k samples
    pad = 0.25 * (X.max(axis=0) - X.min(axis=0)) + 1e-9
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    out = mm.forward(grid if mm.conventions.layout == "rows" else grid.T)
    out = out if mm.conventions.layout == "rows" else out.T
    labels = predicted_classes(out, mm.activations[-1])
    ax.contourf(gx, gy, labels.reshape(gx.shape), levels=np.arange(labels.max() + 2) - 0.5, cmap="coolwarm", alpha=0.3)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", edgecolors="k", linewidths=0.5, s=20)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_title("decision boundary")


def predicted_classes(outputs: np.ndarray, output_activation: str) -> np.ndarray:
    """argmax for several outputs; for one output, above 0.5 after a sigmoid, above 0 otherwise."""
    if outputs.shape[1] > 1:
        return outputs.argmax(axis=1)
    threshold = 0.5 if output_activation == "sigmoid" else 0.0
    return (outputs[:, 0] > threshold).astype(np.int64)


def save_figure(fig: Any, path: str | os.PathLike[str], dpi: int = 120) -> Path:
    """Write the figure (.png, .svg or .pdf, by the extension), atomically."""
    target = Path(path)
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg", "pdf"):
        raise ValueError(f"expected a file name ending in .png, .svg or .pdf, got {str(target)!r}")
    write_atomic(target, lambda f: fig.savefig(f, format=fmt, dpi=dpi))
    return target
