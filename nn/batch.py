"""The samples of a batch loss: which nodes of its graph belong to which sample.

A loss over N samples (``nn.mse``, ``nn.cross_entropy``, ...) reduces N per-sample costs C_n:
its root is ``Value.sum(C_0, ..., C_{N-1})``, possibly times 1/N. This module finds the C_n from
that structure alone, and then the part of each sample:

- a node belongs to sample n when it is an ancestor of C_n and of no other cost (sample n's
  z, a and cost nodes);
- the other nodes are shared: the parameters (leaves every cost depends on) and the reduction.

The costs of different samples share leaves only (parameters, and inputs given as Values); a
sum whose terms share computed nodes (the squared errors of one sample's outputs) is not a batch.

The drawings and the stepper use it (``draw_mlp(loss, sample=n)``, ``MLPStepper(loss,
sample=n)``) to keep one sample's part, and to show each per-sample node with its sample:
``z1[0]@2`` is z1[0] of sample 2 (``labels.in_sample``). The engine knows nothing of samples;
it gets the part as ``keep=`` and the names as ``names=``.

    >>> from nn import MLP, mse
    >>> model = MLP(2, [3, 1], seed=0)
    >>> loss = mse([model([0.5, -1.0]), model([1.0, 2.0])], [[1.0], [0.0]])
    >>> batch = Batch.of(loss)
    >>> len(batch.costs), batch.names()(batch.costs[1])
    (2, 'C_1')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from autograd_core import Value, topological_order
from autograd_core.draw import node_names
from nn import labels


@dataclass(frozen=True)
class Batch:
    """The samples of a batch loss: ``costs`` C_0..C_{N-1}, and the sample each node belongs to."""

    root: Value
    order: tuple[Value, ...]
    costs: tuple[Value, ...]
    owner: dict[Value, int]  # the per-sample nodes; shared nodes are not in it

    @staticmethod
    def of(root: Value) -> Batch | None:
        """The samples of ``root``, or None when it is not a loss over two samples or more."""
        costs = per_sample_costs(root)
        if costs is None:
            return None
        counts: dict[Value, int] = {}
        owner: dict[Value, int] = {}
        for n, cost in enumerate(costs):
            for node in topological_order(cost):
                counts[node] = counts.get(node, 0) + 1
                owner[node] = n
        if any(count > 1 and node.parents for node, count in counts.items()):
            return None  # the costs share computed nodes: the terms of one sample's cost, not samples
        mine = {node: n for node, n in owner.items() if counts[node] == 1}
        return Batch(root, tuple(topological_order(root)), costs, mine)

    def __len__(self) -> int:
        return len(self.costs)

    def check(self, sample: int, where: str) -> None:
        if isinstance(sample, bool) or not isinstance(sample, int):
            raise TypeError(f"{where}: sample must be an int, got {type(sample).__name__}: {sample!r}")
        if not 0 <= sample < len(self.costs):
            raise ValueError(f"{where}: sample={sample} is out of range: this batch has samples 0..{len(self) - 1}")

    def part(self, sample: int) -> frozenset[Value]:
        """The nodes of sample ``sample`` and the shared ones (parameters, the reduction, the root)."""
        return frozenset(node for node in self.order if self.owner.get(node, sample) == sample)

    def names(self) -> Callable[[Value], str | None]:
        """The ``names=`` hook: each per-sample node with its sample, ``z1[0]@2``; C_n as the losses label
        it (``C_2``: it names its sample already), or ``cost@n`` when unlabelled."""
        default = node_names(self.order)
        costs = {cost: n for n, cost in enumerate(self.costs)}

        def name(node: Value) -> str | None:
            n = self.owner.get(node)
            if n is None:
                return None
            if node in costs and node.label in ("", labels.sample_cost(n)):
                return node.label or labels.in_sample("cost", n)
            return labels.in_sample(default[node], n)

        return name


def per_sample_costs(root: Value) -> tuple[Value, ...] | None:
    """C_0..C_{N-1} of a batch loss: the parents of the ``sum`` node that the root reduces
    (through single-parent nodes such as ``× 1/N``); None when there is no such sum of two or more."""
    node = root
    while len(node.parents) == 1:
        node = node.parents[0]
    if node.op != "sum" or len(set(node.parents)) < 2 or len(set(node.parents)) != len(node.parents):
        return None
    return node.parents
