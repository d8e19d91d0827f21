"""An MLP's layers read back from its graph, by the node labels (nn.labels): for the drawings.

``read_mlp(order, view)`` finds every layer's z, a, W and b nodes (and the x nodes) in a graph
that ``nn.MLP`` built (or that is named the same way), checks that they make a network, and
returns them as ``MLPNodes``; the neuron view and the matrix picture draw from that.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from autograd_core import Value
from nn import labels


@dataclass(frozen=True)
class LayerNodes:
    z: list[Value]  # z{l}[j], j = 0..n_l-1
    a: list[Value] | None  # a{l}[j]; None for a linear layer (z is its output)
    activation: str
    weights: list[list[Value]]  # W{l}[j,k]
    biases: list[Value | None]  # b{l}[j]
    inputs: list[float]  # a^{l-1}: d z{l}[0] / d W{l}[0,k] is exactly a^{l-1}_k


@dataclass(frozen=True)
class MLPNodes:
    inputs: dict[int, Value]  # the x[k] nodes, when the inputs were Values
    layers: list[LayerNodes]
    loss: Value | None  # the root, when it is not a layer's output itself


def read_mlp(order: list[Value], view: str) -> MLPNodes:
    """The layers of an MLP graph, read off the node labels (W1[j,k], b1[j], z1[j], a1[j], x[k])."""
    found: dict[str, dict[tuple[int, int], Value]] = {"z": {}, "a": {}, "x": {}}
    for node in order:
        name = labels.parse(node.label)
        if name is not None and name.kind in found:
            key = (name.layer, name.unit)
            if key in found[name.kind]:
                raise ValueError(_several_samples(view, node.label, order))
            found[name.kind][key] = node
    zs = found["z"]
    if not zs:
        raise ValueError(
            f"draw_mlp(view={view!r}) needs the graph of an MLP, with nodes labelled z1[0], a1[0], W1[0,0], "
            f"b1[0] (nn.labels); this graph has no node labelled z<l>[<j>]. Use draw(root) for any graph."
        )
    sizes = _layer_sizes(zs, view)
    layers = []
    for layer in range(1, len(sizes) + 1):
        z = [zs[(layer, j)] for j in range(sizes[layer - 1])]
        n_in = sizes[layer - 2] if layer > 1 else None
        layers.append(_read_layer(layer, z, found["a"], n_in, view))
    root = order[-1]
    outputs = layers[-1].a or layers[-1].z
    loss = None if root in outputs else root
    return MLPNodes({k[1]: v for k, v in found["x"].items()}, layers, loss)


def _layer_sizes(zs: dict[tuple[int, int], Value], view: str) -> list[int]:
    last = max(layer for layer, _ in zs)
    sizes = []
    for layer in range(1, last + 1):
        js = sorted(j for l_, j in zs if l_ == layer)
        if js != list(range(len(js))) or not js:
            have = ", ".join(labels.pre_activation(layer, j) for j in js) or "none"
            raise ValueError(
                f"draw_mlp(view={view!r}): the z nodes of layer {layer} must be numbered 0, 1, 2, ... without gaps "
                f"({labels.pre_activation(layer, 0)}, {labels.pre_activation(layer, 1)}, ...); this graph has {have}"
            )
        sizes.append(len(js))
    return sizes


def _read_layer(
    layer: int, z: list[Value], acts: dict[tuple[int, int], Value], n_in: int | None, view: str
) -> LayerNodes:
    weights, biases = [], []
    inputs: dict[int, float] = {}
    for j, node in enumerate(z):
        row: dict[int, Value] = {}
        bias = None
        for parent, local in zip(node.parents, node.local_grads):
            name = labels.parse(parent.label)
            if name is None or (name.layer, name.unit) != (layer, j):
                continue
            if name.kind == "W" and name.index is not None:
                row[name.index] = parent
                inputs.setdefault(name.index, local)
            elif name.kind == "b":
                bias = parent
        width = n_in if n_in is not None else len(row)
        if node.op != "dot" or sorted(row) != list(range(width)) or not row:
            raise ValueError(
                f"draw_mlp(view={view!r}): {node.label} must be a Value.dot node whose parents are "
                f"{labels.weight(layer, j, 0)} to {labels.weight(layer, j, width - 1)} (and {labels.bias(layer, j)}); "
                f"it is op {node.op or 'leaf'!r} with weights for k in {sorted(row)}"
            )
        weights.append([row[k] for k in range(width)])
        biases.append(bias)
    a = [acts.get((layer, j)) for j in range(len(z))]
    inputs_in_order = [inputs[k] for k in range(len(inputs))]
    if all(node is None for node in a):
        return LayerNodes(z, None, "linear", weights, biases, inputs_in_order)
    if any(node is None or node.parents != (zj,) for node, zj in zip(a, z)):
        raise ValueError(
            f"draw_mlp(view={view!r}): every a{layer}[j] must be computed from z{layer}[j] alone "
            f"(a{layer}[j] = f(z{layer}[j])), for every neuron j of layer {layer}"
        )
    ops = sorted({node.op for node in a if node is not None})
    return LayerNodes(z, [node for node in a if node is not None], "/".join(ops), weights, biases, inputs_in_order)


def _several_samples(view: str, label: str, order: list[Value]) -> str:
    count = sum(node.label == label for node in order)
    return (
        f"draw_mlp(view={view!r}) draws one sample, but this graph holds several: the label {label!r} is on "
        f"{count} nodes, and it is not the loss of a batch (one cost per sample, summed, as nn.mse and "
        f"nn.cross_entropy make) that sample= could split. Draw the graph of one sample: the model called "
        f"on one input, and its loss."
    )


def is_parameter(node: Value) -> bool:
    name = labels.parse(node.label)
    return name is not None and name.is_parameter


def grads_known(order: Iterable[Value]) -> bool:
    return any(node.grad for node in order)
