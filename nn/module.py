"""Module, Neuron, Layer, MLP: networks built from autograd_core Values.

The graph of an MLP is laid out the way the backprop equations are written. For layer l
(counted from 1) and unit j:

    z{l}[j] = sum_k W{l}[j,k] * a{l-1}[k] + b{l}[j]     ONE node (Value.dot), not 2n binary nodes
    a{l}[j] = f_l(z{l}[j])                              (no a node for a linear layer: a = z)

with a0 = x, the input. Nodes carry these names as labels (written by nn.labels, the one home
of the format), so the grads of layer l's z nodes are exactly the δ^l of the matrix view, and
the grads of W{l}[j,k] are the entries of ∂C/∂W^l.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from operator import mul
from typing import Any

import numpy as np

from autograd_core import Value
from autograd_core.inputs import count, short
from autograd_core.value import DotTerms, make_node, unpack
from nn import labels
from nn.activations import activation_named

Number = int | float
_ONE = (1.0,)
INITS = ("auto", "uniform", "xavier", "he")


class Module:
    """Something with parameters: ``parameters()``, ``named_parameters()``, ``zero_grad()``."""

    def named_parameters(self) -> list[tuple[str, Value]]:
        """(label, parameter) pairs, in the order of ``parameters()``."""
        return [(p.label, p) for p in self.parameters()]

    def parameters(self) -> list[Value]:
        return []

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0 (call between training steps: leaves accumulate)."""
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    """One unit: z = w · x + b as one node, then a = f(z).

    Its weights are labelled W{l}[j,k], its bias b{l}[j], its nodes z{l}[j] and a{l}[j]; ``w``
    and ``b`` are Value leaves (a Layer reads their data without checking them).
    ``forward`` makes the unit's nodes through ``Value.dot``; a Layer makes the same nodes for
    all its neurons at once, faster (``Layer.forward``).
    """

    def __init__(self, weights: Sequence[Number], bias: Number | None, activation: str, layer: int, index: int):
        self.w = [Value(w, labels.weight(layer, index, k)) for k, w in enumerate(weights)]
        self.b = None if bias is None else Value(bias, labels.bias(layer, index))
        self.activation = activation_named(activation).name
        self._f = activation_named(activation).scalar
        self._z_label = labels.pre_activation(layer, index)
        self._a_label = labels.activation(layer, index)

    def __call__(self, x: Sequence[Value | Number]) -> Value:
        return self.forward(x)[1]

    def forward(self, x: Sequence[Value | Number]) -> tuple[Value, Value]:
        """(z, a) for input x; a is z itself for a linear neuron."""
        z = Value.dot(self.w, x, self.b, self._z_label)
        if self._f is None:
            return z, z
        a = self._f(z)
        a.label = self._a_label
        return z, a

    def parameters(self) -> list[Value]:
        return [*self.w, self.b] if self.b is not None else list(self.w)

    def __repr__(self) -> str:
        return f"Neuron({self.activation}, {len(self.w)} inputs{'' if self.b is not None else ', no bias'})"


class Layer(Module):
    """n_out neurons that all see the same input."""

    def __init__(self, neurons: list[Neuron]):
        self.neurons = neurons
        self._dot_terms: dict[tuple[int, int], tuple[DotTerms, DotTerms]] = {}

    def __call__(self, x: Sequence[Value | Number]) -> list[Value]:
        return self.forward(x)[1]

    def _terms(self, n_in: int, n_nodes: int) -> tuple[DotTerms, DotTerms]:
        """The DotTerms of the layer's dot nodes, without and with a bias (made once per input shape)."""
        key = (n_in, n_nodes)
        if key not in self._dot_terms:
            self._dot_terms[key] = (DotTerms(n_in, n_in, n_nodes, 0), DotTerms(n_in, n_in, n_nodes, 1))
        return self._dot_terms[key]

    def forward(self, x: Sequence[Value | Number]) -> tuple[list[Value], list[Value]]:
        """(z nodes, a nodes) of the layer: z[j] = W[j] · x + b[j] as one node, a[j] = f(z[j]).

        The same nodes, bit for bit, as calling each neuron (``Neuron.forward``, through
        ``Value.dot``): the same value, parents (the neuron's weights, the Values among x, its
        bias) and local derivatives (x[k] for W[j,k], W[j,k] for x[k], 1 for b[j]), labels and
        ops. But x is unpacked once for the whole layer, not once per neuron, and a neuron's
        weights are Values by construction, so they need no check (tests/test_fast_path.py
        holds the two paths equal).
        """
        xd, x_nodes, x_all = unpack(x, "Value.dot(inputs)")
        n_in = len(xd)
        x_local = tuple(xd)  # d z[j] / d W[j,k] = x[k], the same for every neuron
        x_local_b = (*x_local, 1.0)  # and d z[j] / d b[j] = 1: for an input of numbers, all of them
        is_node = None if x_all or not x_nodes else [isinstance(v, Value) for v in x]
        zs, acts = [], []
        ones: tuple[float, ...]
        terms, terms_b = self._terms(n_in, len(x_nodes))  # shared by the layer's nodes
        for neuron in self.neurons:
            w, b = neuron.w, neuron.b
            wd = [v.data for v in w]
            if len(wd) != n_in:
                raise ValueError(f"Value.dot: weights and inputs must have the same length, got {len(wd)} and {n_in}")
            d = sum(map(mul, wd, xd))
            if b is None:
                parents, ones = (*w, *x_nodes), ()
            else:
                parents, ones = (*w, *x_nodes, b), _ONE  # d z[j] / d b[j] = 1
                d += b.data
            if x_all:  # d z[j] / d x[k] = W[j,k]
                local = (*x_local, *wd, *ones)
            elif is_node is None:  # the neurons share one tuple
                local = x_local_b if ones else x_local
            else:
                local = (*x_local, *itertools.compress(wd, is_node), *ones)
            z = make_node(d, parents, local, "dot", None, neuron._z_label)
            z.terms = terms if b is None else terms_b
            zs.append(z)
            if neuron._f is None:
                acts.append(z)
            else:
                a = neuron._f(z)
                a.label = neuron._a_label
                acts.append(a)
        return zs, acts

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer({len(self.neurons)} × {self.neurons[0]!r})"


@dataclass(frozen=True)
class Trace:
    """Every layer's nodes from one forward pass: z[l-1] and a[l-1] are layer l's z and a nodes
    (for a linear layer, a[l-1] is z[l-1])."""

    inputs: list[Value | float]
    z: list[list[Value]]
    a: list[list[Value]]

    @property
    def outputs(self) -> list[Value]:
        return self.a[-1]


class MLP(Module):
    """A multilayer perceptron of Value nodes.

    ``MLP(2, [16, 16, 1], activation="relu")`` has two hidden layers of 16 ReLU units and one
    linear output (``output_activation`` sets the last layer's f). Weights are drawn from a
    seeded numpy generator, so the same arguments always give the same network:

    - ``init="uniform"``: U(-1, 1), as micrograd;
    - ``init="xavier"``: Glorot uniform, U(-r, r) with r = sqrt(6 / (n_in + n_out));
    - ``init="he"``: He normal, N(0, 2 / n_in);
    - ``init="auto"`` (default): He for ReLU layers, Xavier otherwise.

    Biases start at 0. ``parameters()`` lists them layer by layer, neuron by neuron, each
    neuron's weights in input order, then its bias: W1[0,0], W1[0,1], ..., b1[0], W1[1,0], ...
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "tanh",
        output_activation: str = "linear",
        bias: bool = True,
        init: str = "auto",
        seed: int = 0,
    ):
        sizes = _check_sizes(nin, nouts)
        self.activation = activation_named(activation).name
        self.output_activation = activation_named(output_activation).name
        if init not in INITS:
            raise ValueError(f"init: expected one of {', '.join(INITS)}, got {short(init)}")
        self.bias = bool(bias)
        self.init = init
        self.seed = seed
        rng = np.random.default_rng(count(seed, "seed"))
        self.layers = []
        for l, (n_in, n_out) in enumerate(itertools.pairwise(sizes), start=1):
            f = self.output_activation if l == len(sizes) - 1 else self.activation
            W = _init_weights(rng, init, f, n_in, n_out)
            neurons = [Neuron(W[j].tolist(), 0.0 if bias else None, f, l, j) for j in range(n_out)]
            self.layers.append(Layer(neurons))

    @property
    def sizes(self) -> list[int]:
        """[n_in, n_1, ..., n_L]."""
        return [len(self.layers[0].neurons[0].w)] + [len(layer.neurons) for layer in self.layers]

    @property
    def activations(self) -> list[str]:
        """f_l for l = 1..L."""
        return [layer.neurons[0].activation for layer in self.layers]

    def __call__(self, x: Sequence[Value | Number]) -> list[Value]:
        """The output units for one input x (numbers, or Values to get gradients for x too)."""
        self._check_input(x)
        for layer in self.layers:
            x = layer(x)
        return list(x)  # type: ignore[arg-type]

    def forward(self, x: Sequence[Value | Number]) -> Trace:
        """Like calling the model, but keeps every layer's z and a nodes."""
        self._check_input(x)
        zs, acts = [], []
        a: Sequence[Value | Number] = x
        for layer in self.layers:
            z, a = layer.forward(a)
            zs.append(z)
            acts.append(a)
        return Trace(list(x), zs, acts)

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def weights(self) -> list[Value]:
        """The W entries only (what an L2 penalty 'on weights only' decays)."""
        return [w for layer in self.layers for n in layer.neurons for w in n.w]

    def biases(self) -> list[Value]:
        """The b entries only (none for a network without biases)."""
        return [n.b for layer in self.layers for n in layer.neurons if n.b is not None]

    def matrices(self, grad: bool = False) -> tuple[list[np.ndarray], list[np.ndarray] | None]:
        """W^l of shape (n_l, n_{l-1}) and b^l of shape (n_l,) for every layer, as float64 arrays:
        the parameters' data, or with ``grad=True`` their grads (∂C/∂W^l and ∂C/∂b^l). The
        biases are None for a network without them. Indexed from 0: ``W[0]`` is W^1."""
        get = operator.attrgetter("grad" if grad else "data")
        Ws = [np.array([[get(w) for w in n.w] for n in layer.neurons], dtype=np.float64) for layer in self.layers]
        if not self.bias:
            return Ws, None
        return Ws, [np.array([get(n.b) for n in layer.neurons], dtype=np.float64) for layer in self.layers]

    def set_matrices(self, weights: Sequence[Any], biases: Sequence[Any] | None = None) -> None:
        """Set the parameters from arrays: W^l of shape (n_l, n_{l-1}) (W^l[j, k] goes to W{l}[j,k]),
        and b^l of shape (n_l,), or one number for a bias shared by the layer's units (as in
        Mazur's worked example: ``set_matrices([W1, W2], [0.35, 0.60])``). ``matrices()`` reads
        them back."""
        if len(weights) != len(self.layers) or (biases is None) == self.bias:
            want = f"{len(self.layers)} weight matrices" + (" and as many bias vectors" if self.bias else ", no biases")
            raise ValueError(f"set_matrices: this {self!r} needs {want}")
        for l, layer in enumerate(self.layers):
            W = checked_array(weights[l], (len(layer.neurons), len(layer.neurons[0].w)), f"weights[{l}]")
            n = len(layer.neurons)
            b = None if biases is None else checked_array(_layer_bias(biases[l], n), (n,), f"biases[{l}]")
            for j, neuron in enumerate(layer.neurons):
                for w, value in zip(neuron.w, W[j].tolist()):
                    w.data = value
                if b is not None and neuron.b is not None:
                    neuron.b.data = float(b[j])

    def _check_input(self, x: Sequence[Value | Number]) -> None:
        if isinstance(x, Value) or not hasattr(x, "__len__"):
            raise TypeError(f"MLP expects a sequence of {self.sizes[0]} numbers or Values, got {type(x).__name__}")
        if len(x) != len(self.layers[0].neurons[0].w):  # sizes[0], without building the list of sizes
            raise ValueError(f"MLP expects an input of length {self.sizes[0]}, got length {len(x)}")

    def __repr__(self) -> str:
        layers = "".join(f" → {n} {f}" for n, f in zip(self.sizes[1:], self.activations))
        return f"MLP({self.sizes[0]}{layers}{'' if self.bias else ', no bias'})"


def _layer_bias(value: Any, n: int) -> Any:
    """A layer's biases: one number, shared by its n units, becomes n of them."""
    return [value] * n if np.ndim(value) == 0 and not isinstance(value, (str, bool)) else value


def checked_array(value: Any, shape: tuple[int, ...], name: str) -> np.ndarray:
    """``value`` as a float64 array of exactly ``shape``, all finite; else ValueError naming ``name``."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except OverflowError:  # an int beyond the float range, as JSON may hold
        raise ValueError(f"{name}: values must be finite (a number too large for a float)") from None
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected numbers of shape {shape}") from None
    if arr.shape != shape:
        raise ValueError(f"{name}: expected shape {shape}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: values must be finite")
    return arr


def _check_sizes(nin: int, nouts: Sequence[int]) -> list[int]:
    sizes = [nin, *nouts] if isinstance(nouts, Sequence) and not isinstance(nouts, str) else None
    if not sizes or len(sizes) < 2 or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in sizes):
        raise ValueError(
            "MLP(nin, nouts) expects a positive int and a non-empty list of positive ints, "
            f"got {short(nin)}, {short(nouts)}"
        )
    return sizes


def _init_weights(rng: np.random.Generator, init: str, activation: str, n_in: int, n_out: int) -> np.ndarray:
    if init == "auto":
        init = "he" if activation == "relu" else "xavier"
    if init == "uniform":
        return rng.uniform(-1.0, 1.0, (n_out, n_in))
    if init == "xavier":
        r = math.sqrt(6.0 / (n_in + n_out))
        return rng.uniform(-r, r, (n_out, n_in))
    return rng.normal(0.0, math.sqrt(2.0 / n_in), (n_out, n_in))
