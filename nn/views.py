"""Drawings of an MLP: its graph grouped into neurons and layers, the neuron view, the matrix view.

    from nn import MLP, draw_mlp, side_by_side
    loss = ...                                   # a loss over the model's outputs, after backward()
    draw_mlp(loss)                               # every node, grouped into neurons inside layers
    draw_mlp(loss, view="neurons")               # one box per neuron: z, a and δ = z.grad
    draw_mlp(loss, view="matrix")                # W^l, b^l, z^l, a^l, δ^l, ∂C/∂W^l per layer
    side_by_side(draw_mlp(loss, view="neurons"), draw_mlp(loss, view="matrix"))
    draw_mlp(loss, sample=2)                     # a batch loss: sample 2's part, with the parameters
    MLPStepper(loss, sample=2)                   # step through backprop of that part (a Stepper)

The layers are read back from the node labels (``nn.labels``: W{l}[j,k], b{l}[j], z{l}[j],
a{l}[j], x[k]), so any graph built by ``nn.MLP`` (or named the same way) can be drawn. The
graph view is the engine's ``autograd_core.draw``, given the MLP's clusters and parameters
through its ``group=`` and ``parameters=`` hooks; the neuron and matrix views are drawn here.
``draw_matrix`` draws the matrix view from plain arrays.

In the graph of a batch loss (``nn.batch``) every node of sample n is shown as ``z1[0]@2`` (in the
drawing and in the stepper's text); ``sample=n`` keeps sample n's part of the graph (its nodes,
the shared parameters and the reduction), through the engine's ``keep=`` hook.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from autograd_core import Stepper, Value, draw, topological_order
from autograd_core.dot import (
    LAYOUT_BUDGET,
    RANKDIRS,
    check_choice,
    check_size,
    digraph,
    inline_svg,
    render_svg,
    svg_row,
)
from autograd_core.draw import DEFAULT_MAX_NODES, layout_cost
from autograd_core.inputs import short as _short
from nn import labels, layer_stepper
from nn.batch import Batch
from nn.matrix_picture import matrix_net_of, matrix_picture
from nn.mlp_graph import grads_known, is_parameter, read_mlp
from nn.neuron_view import neuron_view

if TYPE_CHECKING:
    import graphviz  # type: ignore[import-untyped]

VIEWS = ("graph", "neurons", "matrix")

MAX_UNITS = 1024
"""The widest layer (inputs included) that the neuron and matrix views draw unless ``max_units=``
says more. Big layers are summarised (an input that is a square image as that image, a wide layer
as a band and some of its units), but a band has a cell per unit, so the drawing still grows with
the widest layer; 1,024 holds MNIST's 784 inputs."""


def draw_mlp(
    root: Value,
    *,
    view: str = "graph",
    rankdir: str | None = None,
    show_local_grads: bool = True,
    highlight: Iterable[Value | tuple[Value, Value]] = (),
    sample: int | None = None,
    max_nodes: int = DEFAULT_MAX_NODES,
    max_units: int = MAX_UNITS,
) -> graphviz.Digraph:
    """A drawing of the graph of an MLP (or of a loss over its outputs), as a ``graphviz.Digraph``.

    Args:
        view: "graph" (every node, grouped into neurons inside layers, parameters coloured),
            "neurons" (one box per neuron with z, a and δ = z.grad; one sample) or "matrix"
            (the layers as matrices, z^l = W^l a^{l-1} + b^l with δ^l and ∂C/∂W^l; one sample).
            Both of these summarise big layers: an input that is a square image (784 = 28×28) is
            drawn as the image, and the weight rows of the units it feeds as images too; a layer
            of more than 16 units (36 rows of images in the matrix view) shows a band of all its
            units and some of them: the first 3, the last 2 and the 5 of largest |δ|.
        rankdir: "LR" (inputs on the left) or "TB" (inputs on top); None: "LR", except in the
            matrix view, which goes top to bottom when its row of layers would be wider than a screen.
        show_local_grads: the local derivative on every edge (in the neuron view, the weights).
        highlight: nodes and (parent, child) edges to draw in red (graph view).
        sample: for the loss of a batch, draw only sample n's part (its nodes, the parameters and
            the loss); the neuron and matrix views of a batch need it. None: the whole graph,
            each per-sample node named with its sample (``z1[0]@2``).
        max_nodes: refuse (ValueError) to draw more boxes than this.
        max_units: the neuron and matrix views refuse (ValueError) a layer wider than this.

    Every refusal says what to draw instead, and the calls it names have been tried on this graph.

    Example::

        >>> from nn import MLP, mse, draw_mlp
        >>> model = MLP(2, [3, 1], seed=0)
        >>> loss = mse([model([0.5, -1.0])], [[1.0]]); loss.backward()
        >>> "layer 2" in draw_mlp(loss).source, "δ" in draw_mlp(loss, view="neurons").source
        (True, True)
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_mlp: expected a Value as the root, got {type(root).__name__}: {_short(root)}")
    check_choice("view", view, VIEWS)
    if rankdir is not None:
        check_choice("rankdir", rankdir, RANKDIRS)
    graph = _Graph(root, topological_order(root), Batch.of(root))
    return _draw(graph, view, rankdir, show_local_grads, highlight, sample, max_nodes, max_units)


@dataclass(frozen=True)
class _Graph:
    root: Value
    order: list[Value]
    batch: Batch | None


def _draw(
    graph: _Graph,
    view: str,
    rankdir: str | None,
    show_local_grads: bool,
    highlight: Iterable[Value | tuple[Value, Value]],
    sample: int | None,
    max_nodes: int,
    max_units: int,
) -> graphviz.Digraph:
    batch = graph.batch
    keep = _sample_part(batch, sample, "draw_mlp")
    order = graph.order if keep is None else [node for node in graph.order if node in keep]
    if view == "graph":
        if len(order) > max_nodes:
            advice = _draw_advice(graph, sample, max_nodes, show_local_grads)
            check_size(len(order), max_nodes, "nodes", advice, "draw_mlp")
        return draw(
            graph.root,
            rankdir=rankdir or "LR",
            show_local_grads=show_local_grads,
            highlight=highlight,
            parameters=[node for node in order if not node.parents and is_parameter(node)],
            group=layer_group,
            names=None if batch is None else batch.names(),
            keep=keep,
            max_nodes=max_nodes,
        )
    if batch is not None and sample is None:
        raise ValueError(
            f"draw_mlp(view={view!r}) draws one sample, and this graph is the loss of a batch of {len(batch)} "
            f"samples: pass sample=0 (or any of 0..{len(batch) - 1})"
        )
    mlp = read_mlp(order, view)
    widths = [len(mlp.layers[0].inputs)] + [len(layer.z) for layer in mlp.layers]
    if max(widths) > max_units:
        layer = widths.index(max(widths))
        raise ValueError(
            f"draw_mlp(view={view!r}): {'the input' if layer == 0 else f'layer {layer}'} has {max(widths):,} "
            f"units, more than max_units={max_units:,}; pass max_units={max(widths)} to draw it all the same "
            f"(big layers are summarised, but the drawing still grows with them)"
        )
    part = None if sample is None or batch is None else (sample, len(batch))
    if view == "neurons":
        way = rankdir or "LR"
        lines, boxes = neuron_view(mlp, show_local_grads, grads_known(order), way, len(batch or (1,)))
        check_size(boxes, max_nodes, "boxes", "view='matrix' draws one box per layer", "draw_mlp")
        return digraph(way, lines, f"neuron view of {graph.root.label or 'the loss'}")
    name = f"matrix view of {graph.root.label or 'the loss'}"
    return digraph(*matrix_picture(matrix_net_of(mlp, grads_known(order), part), rankdir), name)


def _draws(graph: _Graph, view: str, sample: int | None, max_nodes: int) -> bool:
    """Whether ``draw_mlp(root, view=view, sample=sample, max_nodes=max_nodes)`` draws this graph: tried,
    so that advice never names a call that is refused in turn."""
    try:
        _draw(graph, view, None, True, (), sample, max_nodes, MAX_UNITS)
    except ValueError:
        return False
    return True


class MLPStepper(Stepper):
    """Step through backprop of an MLP's graph node by node: the engine's ``Stepper``, with the
    MLP's parameters coloured, its nodes grouped into neurons inside layers, and, for the loss
    of a batch, every per-sample node named with its sample (``z1[0]@2``, in the drawing and in
    each step's text).

    Args:
        sample: for the loss of a batch, step through sample n's part only (its nodes, the shared
            parameters and the loss). The pass is still the whole backward pass: the parameters
            also collect the other samples' contributions, in steps not shown.
        rankdir, show_local_grads, max_nodes, title: as for ``Stepper``.

    For a large batch, ``nn.LayerStepper`` steps through the same backprop equation by equation.

    Example::

        >>> from nn import MLP, MLPStepper, mse
        >>> model = MLP(2, [3, 1], seed=0)
        >>> loss = mse([model([0.5, -1.0]), model([1.0, 2.0])], [[1.0], [0.0]])
        >>> "z1[0]@1" in MLPStepper(loss, sample=1).html  # doctest: +SKIP
        True
    """

    def __init__(
        self,
        root: Value,
        *,
        sample: int | None = None,
        rankdir: str = "LR",
        show_local_grads: bool = True,
        max_nodes: int = DEFAULT_MAX_NODES,
        title: str = "",
    ) -> None:
        if not isinstance(root, Value):
            raise TypeError(f"MLPStepper: expected a Value as the root, got {type(root).__name__}: {_short(root)}")
        order = topological_order(root)
        batch = Batch.of(root)
        keep = _sample_part(batch, sample, "MLPStepper")
        shown = order if keep is None else [node for node in order if node in keep]
        if len(shown) > max_nodes:
            advice = _step_advice(_Graph(root, order, batch), sample, max_nodes, shown, show_local_grads)
            check_size(len(shown), max_nodes, "nodes", advice, "MLPStepper")
        if not title and sample is not None:
            title = f"Backward pass of {root.label or 'the loss'}: the part of sample {sample} of {len(batch or ())}"
        super().__init__(
            root,
            rankdir=rankdir,
            show_local_grads=show_local_grads,
            parameters=[node for node in order if not node.parents and is_parameter(node)],
            group=layer_group,
            names=None if batch is None else batch.names(),
            keep=keep,
            max_nodes=max_nodes,
            title=title,
        )


def _sample_part(batch: Batch | None, sample: int | None, where: str) -> frozenset[Value] | None:
    if sample is None:
        return None
    if batch is None:
        raise ValueError(
            f"{where}(sample={sample!r}): this graph is not the loss of a batch (a sum of two or more "
            f"per-sample costs, as nn.mse or nn.cross_entropy make over several samples); leave out sample="
        )
    batch.check(sample, where)
    return batch.part(sample)


def _one_sample(batch: Batch | None, sample: int | None, max_nodes: int, show_local_grads: bool) -> int | None:
    """The size of sample 0's part, when the whole graph of a batch is shown and that part could be
    drawn instead (few enough nodes, and a layout that would not be refused); None otherwise."""
    if batch is None or sample is not None:
        return None
    part = batch.part(0)
    ordered = [node for node in batch.order if node in part]
    if len(ordered) > max_nodes or layout_cost(ordered, show_local_grads) > LAYOUT_BUDGET:
        return None
    return len(ordered)


def _draw_advice(graph: _Graph, sample: int | None, max_nodes: int, show_local_grads: bool) -> str:
    """What to draw when the graph view is too big: the other views of this graph that work (tried),
    one sample's part, or a part of the graph."""
    works = []
    size = _one_sample(graph.batch, sample, max_nodes, show_local_grads)
    if size is not None:
        works.append(f"sample=0 draws one sample's part ({size:,} nodes)")
    works += _other_views(graph, sample, max_nodes, "")
    return "; ".join(works) or "autograd_core.draw(root, keep=...) draws a part of it (a set of its nodes)"


def _other_views(graph: _Graph, sample: int | None, max_nodes: int, call: str) -> list[str]:
    """The neuron and matrix views of this graph that draw it (tried), as advice: "view='neurons',
    sample=0 draws ..." (``call`` = "nn.draw_mlp(loss, " writes them as whole calls)."""
    if graph.batch is not None and sample is None:
        sample = 0
    at = "" if sample is None else f", sample={sample}"
    views = {"neurons": "one box per neuron, big layers summarised", "matrix": "one box per layer, as matrices"}
    return [
        f"{call}view={view!r}{at}{')' if call else ''} draws {what}"
        for view, what in views.items()
        if _draws(graph, view, sample, max_nodes)
    ]


def _step_advice(graph: _Graph, sample: int | None, max_nodes: int, shown: list[Value], show_local_grads: bool) -> str:
    """What to do when the stepper's graph is too big: advice that works for this graph."""
    works = []
    size = _one_sample(graph.batch, sample, max_nodes, show_local_grads)
    if size is not None:
        works.append(f"MLPStepper(loss, sample=0) steps through one sample's part ({size:,} nodes)")
    if _fits_layer_stepper(graph, sample):
        works.append(
            "nn.LayerStepper(model, X, Y) steps through the same backprop layer by layer, equation by equation"
        )
    else:
        works += _other_views(graph, sample, max_nodes, "nn.draw_mlp(loss, ")
    if layout_cost(shown, show_local_grads) <= LAYOUT_BUDGET:
        works.append("pass a larger max_nodes (the page gets slow to build and large)")
    return (
        "; or ".join(works) or "autograd_core.Stepper(loss, keep=...) steps through a part of it (a set of its nodes)"
    )


def _fits_layer_stepper(graph: _Graph, sample: int | None) -> bool:
    """Whether the MLP of this graph is within nn.LayerStepper's sizes (read from one sample's part)."""
    batch = graph.batch
    keep = None if batch is None else batch.part(sample or 0)
    try:
        mlp = read_mlp([node for node in graph.order if keep is None or node in keep], "neurons")
    except ValueError:
        return False
    widest = max(len(mlp.layers[0].inputs), *(len(layer.z) for layer in mlp.layers))
    return widest <= layer_stepper.MAX_UNITS and len(batch or (1,)) <= layer_stepper.MAX_SAMPLES


def layer_group(node: Value) -> tuple[str, ...] | None:
    """The clusters of an MLP node, for ``draw(..., group=layer_group)``: ("layer l", "neuron j")
    for W, b, z and a nodes, ("inputs",) for x[k], None for anything else (the loss)."""
    name = labels.parse(node.label)
    if name is None:
        return None
    if name.kind == "x":
        return ("inputs",)
    return (f"layer {name.layer}", f"neuron {name.unit}")


class SideBySide:
    """Drawings in one row, each scaled to its share of the width: shows inline in Jupyter."""

    def __init__(self, drawings: Sequence[graphviz.Digraph]) -> None:
        self.drawings = list(drawings)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **_: Any) -> dict[str, Any]:
        """HTML that scales each to its share of the width, and one SVG of the row for viewers that
        show no HTML (GitHub's, VS Code's)."""
        svgs = [render_svg(d) for d in self.drawings]
        cells = "".join(
            f'<div style="flex:0 1 auto;min-width:0">{inline_svg(d, svg)}</div>' for d, svg in zip(self.drawings, svgs)
        )
        return {
            "text/html": f'<div style="display:flex;gap:16px;align-items:flex-start">{cells}</div>',
            "image/svg+xml": svg_row(svgs),
            "text/plain": repr(self),
        }

    def __repr__(self) -> str:
        names = ", ".join(d.name for d in self.drawings if d.name not in (None, "autograd"))
        return f"<{len(self.drawings)} drawings side by side{': ' + names if names else ''}>"


def side_by_side(*drawings: graphviz.Digraph) -> SideBySide:
    """Show several drawings in one row in Jupyter: ``side_by_side(draw_mlp(C, view="neurons"),
    draw_mlp(C, view="matrix"))``, the scalar and the matrix view of the same MLP together."""
    return SideBySide(drawings)
