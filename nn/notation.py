"""The symbols of each source, so a report can be read next to the text it checks.

``compare_gradients(..., notation="nielsen")`` prints each row as the source writes it: our δ^1
(the first hidden layer) is Nielsen's δ^2, UDL's ∂L_i/∂z_0, 3Blue1Brown's ∂C₀/∂z^(L-1) in a
3-layer chain. docs/conventions.md has the full table per source.

A notation maps (quantity, our layer l = 1..L) to the source's symbol, and an entry of W^l,
our (j, k) counted from 0 with j the unit of layer l and k the unit of layer l-1, to the
source's indices (some count from 1, some write the weight from unit k to unit j as w_{kj}).
Where a source names a layer's output after the next layer ({up}: UDL's x_l = f[z_(l-1)], the
book's h_(k+1) = a[f_k]), the entry says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

QUANTITIES = ("z", "a", "loss", "delta", "dW", "db")


@dataclass(frozen=True)
class Notation:
    name: str
    source: str
    layer: Callable[[int, int], str]  # (l, L) -> the source's name of our layer l
    symbols: dict[str, str]  # quantity -> symbol, with {l} for the layer's name
    entries: dict[str, str]  # quantity -> one entry, with {l}, {up} (layer l+1), {j}, {k}, {j1}, {k1} (from 1)

    def symbol(self, quantity: str, l: int | None, L: int) -> str:
        return self.symbols[quantity].format(l="" if l is None else self.layer(l, L))

    def entry(self, quantity: str, l: int | None, L: int, index: tuple[int, ...] | None) -> str:
        """The worst entry of a row, written as the source indexes it."""
        if index is None or l is None:
            return ""
        name, up = self.layer(l, L), self.layer(l + 1, L)
        j, k = index[0], index[1] if len(index) > 1 else 0
        text = self.entries[quantity].format(l=name, up=up, j=j, k=k, j1=j + 1, k1=k + 1)
        return text if quantity in ("dW", "db") else f"{text}, sample {k + 1}"


def _entries(z: str, a: str, delta: str, dW: str, db: str) -> dict[str, str]:
    return {"z": z, "a": a, "delta": delta, "dW": dW, "db": db}


def _primes(l: int, L: int) -> str:
    return "′" * (l - 1) if l <= 3 else f"⁽{l - 1}⁾"


def _from_output(l: int, L: int) -> str:
    return "(L)" if l == L else f"(L-{L - l})"


NOTATIONS: dict[str, Notation] = {
    n.name: n
    for n in (
        Notation(
            "ours",
            "this library: layers from 1 (W^1 maps the input), W^l_jk from unit k to unit j, indices from 0",
            lambda l, L: str(l),
            {"z": "z^{l}", "a": "a^{l}", "loss": "C", "delta": "δ^{l}", "dW": "∂C/∂W^{l}", "db": "∂C/∂b^{l}"},
            _entries("z{l}[{j}]", "a{l}[{j}]", "z{l}[{j}]", "W{l}[{j},{k}]", "b{l}[{j}]"),
        ),
        Notation(
            "nielsen",
            "Nielsen, ch. 2: the input is layer 1, so our layer l is his l+1; w^l_jk from unit k to unit j, "
            "counted from 1; a is the output, y the target, C = (1/n) Σ_x C_x",
            lambda l, L: str(l + 1),
            {"z": "z^{l}", "a": "a^{l}", "loss": "C", "delta": "δ^{l}", "dW": "∂C/∂w^{l}", "db": "∂C/∂b^{l}"},
            _entries("z^{l}_{j1}", "a^{l}_{j1}", "δ^{l}_{j1}", "w^{l}_{j1}{k1}", "b^{l}_{j1}"),
        ),
        Notation(
            "udl",
            "Understanding Deep Learning 7.4 as the seed article writes it: layers from 0 (z_0 = b_0 + W_0 x_i), "
            "so our layer l is its l-1; x_l = f[z_(l-1)]; loss L_i per sample, summed over the batch",
            lambda l, L: str(l - 1),
            {
                "z": "z_{l}",
                "a": "f[z_{l}]",
                "loss": "Σ_i L_i",
                "delta": "∂L_i/∂z_{l}",
                "dW": "∂L_i/∂W_{l}",
                "db": "∂L_i/∂b_{l}",
            },
            _entries("z_{l}[{j}]", "x_{up}[{j}]", "z_{l}[{j}]", "W_{l}[{j},{k}]", "b_{l}[{j}]"),
        ),
        Notation(
            "udl_book",
            "Understanding Deep Learning 7.4 and notebook 7.2 in the book's letters: f_k = β_k + Ω_k h_k, "
            "h_(k+1) = a[f_k], layers from 0; ℓ_i per sample",
            lambda l, L: str(l - 1),
            {
                "z": "f_{l}",
                "a": "a[f_{l}]",
                "loss": "Σ_i ℓ_i",
                "delta": "∂ℓ_i/∂f_{l}",
                "dW": "∂ℓ_i/∂Ω_{l}",
                "db": "∂ℓ_i/∂β_{l}",
            },
            _entries("f_{l}[{j}]", "h_{up}[{j}]", "f_{l}[{j}]", "Ω_{l}[{j},{k}]", "β_{l}[{j}]"),
        ),
        Notation(
            "chain",
            "the one-neuron-per-layer chain (3Blue1Brown's notation): layers counted back from the output L; "
            "C₀ = (a^(L) − y)² for one example, C the average over the examples",
            _from_output,
            {
                "z": "z^{l}",
                "a": "a^{l}",
                "loss": "C",
                "delta": "∂C/∂z^{l}",
                "dW": "∂C/∂w^{l}",
                "db": "∂C/∂b^{l}",
            },
            _entries("z^{l}_{j}", "a^{l}_{j}", "z^{l}_{j}", "w^{l}_{j}{k}", "b^{l}_{j}"),
        ),
        Notation(
            "primes",
            "the softmax/cross-entropy article: layers by primes (z, z′, z″), w_ij from input i to unit j, "
            "counted from 1; y is the softmax output, y′ the one-hot target; the batch loss is a sum",
            _primes,
            {
                "z": "z{l}",
                "a": "a{l}",
                "loss": "Σ C",
                "delta": "∂C/∂z{l}",
                "dW": "∂C/∂W{l}",
                "db": "∂C/∂b{l}",
            },
            _entries("z{l}_{j1}", "a{l}_{j1}", "z{l}_{j1}", "w{l}_{k1}{j1}", "b{l}_{j1}"),
        ),
        Notation(
            "micrograd",
            "micrograd: model.layers[i] from 0, neurons[j].w[k] and neurons[j].b, the pre-activation is act",
            lambda l, L: str(l - 1),
            {
                "z": "layers[{l}] act",
                "a": "layers[{l}] out",
                "loss": "total_loss",
                "delta": "layers[{l}] act.grad",
                "dW": "layers[{l}] w.grad",
                "db": "layers[{l}] b.grad",
            },
            _entries(
                "neurons[{j}] act", "neurons[{j}] out", "neurons[{j}] act", "neurons[{j}].w[{k}]", "neurons[{j}].b"
            ),
        ),
    )
}


def notation_named(name: str | None) -> Notation:
    if name is None:
        return NOTATIONS["ours"]
    if name not in NOTATIONS:
        raise ValueError(f"notation: expected one of {', '.join(NOTATIONS)}, got {name!r}")
    return NOTATIONS[name]
