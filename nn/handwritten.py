"""Your own backprop, in the shapes people write it, for ``compare_gradients(backprop=...)``.

The batch form, which the library calls as it is:

    def backprop(weights, biases, X, Y):          # -> (dW, db) or (dW, db, deltas)

It gets copies of the parameters and the batch, laid out by the conventions:

- ``weights[l-1]`` is W^l: shape (n_l, n_{l-1}) for ``w_layout="out_in"``, (n_{l-1}, n_l) for "in_out";
- ``biases[l-1]`` is b^l, a vector of shape (n_l,) (``None`` for a network without biases);
- ``X`` is (n_in, N), one sample per column, for ``layout="columns"``; (N, n_in) for "rows";
- ``Y`` likewise (n_out, N) or (N, n_out); class labels of cross-entropy arrive one-hot;

and returns ∂C/∂W^l of W^l's shape, ∂C/∂b^l of shape (n_l,) or (n_l, 1), and, if it likes,
δ^l = ∂C/∂z^l, (n_l, N) or (N, n_l). C is the cost of the whole batch (divided by N for "mean").

Per-sample forms are adapted here: called once per sample (x, y as (n, 1) columns, W^l as (n_l,
n_{l-1})), their results are summed over the batch (divided by N for ``reduction="mean"``), plus
an L2 penalty's 2λW^l. Without biases they get zero bias columns, and their bias gradients are
ignored.

- ``nielsen(backprop)``: Nielsen's ``backprop(x, y) -> (nabla_b, nabla_w)``. Pass the bound method
  of an object with ``.weights`` and ``.biases`` lists (his ``Network``): the library sets those
  lists to the model's arrays (biases as columns) for each call and puts the old ones back after.
  Or pass ``factory=``, a function ``(weights, biases) -> backprop``. ``compare_gradients`` adapts
  such a bound method by itself.
- ``udl(backward_pass, forward=...)``: the UDL notebook's ``backward_pass(all_weights, all_biases,
  all_f, all_h, y) -> (all_dl_dweights, all_dl_dbiases)``, layer 0 first, after its
  ``forward(net_input, all_weights, all_biases) -> (net_output, all_f, all_h)``.

``cost=`` (both adapters, or ``compare_gradients(cost=...)`` for the batch form) is your cost:
central differences are then taken on it.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from autograd_core.inputs import short
from nn.matrix import columns, out_in
from nn.user_code import run

Arrays = list[np.ndarray]
BatchBackprop = Callable[..., Any]


class BackpropError(ValueError):
    """What your backprop returned cannot be compared at all (wrong structure or count)."""


@dataclass
class Result:
    """Your backprop's answer, as returned (before any shape checks), with the layout it used."""

    dW: list[Any]
    db: list[Any] | None
    deltas: list[Any] | None
    layout: str
    w_layout: str


class PerSample:
    """A per-sample backprop turned into the batch form (see the module docstring)."""

    form = "per-sample"
    returns = "(dW, db)"  # what the per-sample function returns, in its order

    def __init__(self, cost: Callable[[Any, Any], float] | None = None):
        self._cost = cost

    def sample(self, weights: Arrays, biases: Arrays, x: np.ndarray, y: np.ndarray) -> tuple[Any, Any]:
        """(dW, db) of one sample, lists layer 1 first."""
        raise NotImplementedError

    def output(self, weights: Arrays, biases: Arrays, x: np.ndarray) -> np.ndarray:
        raise TypeError(f"{self.form}: no forward function to evaluate the cost with")

    @property
    def has_cost(self) -> bool:
        return self._cost is not None

    def batch(self, weights: Arrays, biases: Arrays | None, X: np.ndarray, Y: np.ndarray, mean: bool) -> Result:
        """Σ (or the mean) over the columns of X and Y of the per-sample gradients."""
        bs = _bias_columns(weights, biases)
        N = X.shape[1]
        dW_sum: list[Any] | None = None
        db_sum: list[Any] | None = None
        for n in range(N):
            dW, db = self.sample([W.copy() for W in weights], [b.copy() for b in bs], X[:, n : n + 1], Y[:, n : n + 1])
            dW, db = (
                _layer_list(dW, len(weights), f"{self.form}: ∂C/∂W of sample {n}"),
                _layer_list(db, len(weights), f"{self.form}: ∂C/∂b of sample {n}"),
            )
            if _swapped(dW, db, weights):
                raise BackpropError(
                    f"{self.form}: the two lists came back in the wrong order: the one for the bias gradients has "
                    f"the weights' shapes, the other the biases'; return {self.returns}"
                )
            dW_sum = _add(dW_sum, dW, f"{self.form}: ∂C/∂W", n)
            if biases is not None:  # else what comes back for the biases is ignored
                db_sum = _add(db_sum, db, f"{self.form}: ∂C/∂b", n)
        assert dW_sum is not None
        scale = 1.0 / N if mean else 1.0
        return Result(
            [d * scale for d in dW_sum],
            None if db_sum is None else [_vector(d) * scale for d in db_sum],
            None,
            "columns",
            "out_in",
        )

    def cost(self, weights: Arrays, biases: Arrays | None, X: np.ndarray, Y: np.ndarray, mean: bool) -> float:
        """The batch cost: the per-sample cost of the network's output, summed or averaged."""
        assert self._cost is not None
        bs = _bias_columns(weights, biases)
        total = sum(
            _number(run(self._cost, self.output(weights, bs, X[:, n : n + 1]), Y[:, n : n + 1]), f"{self.form}: cost")
            for n in range(X.shape[1])
        )
        return total / X.shape[1] if mean else total


class nielsen(PerSample):
    """Nielsen's form, ``backprop(x, y) -> (nabla_b, nabla_w)``, x and y (n, 1) columns.

    ``backprop`` is a bound method of an object with ``.weights`` and ``.biases`` (or pass the
    object as ``network``); or give ``factory(weights, biases) -> backprop``. ``cost(a, y)`` is a
    per-sample cost of the output a, evaluated through the object's ``feedforward(x)``.
    """

    form = "nielsen"
    returns = "(nabla_b, nabla_w)"

    def __init__(
        self,
        backprop: Callable[[Any, Any], Any] | None = None,
        *,
        network: Any = None,
        factory: Callable[[Arrays, Arrays], Callable[[Any, Any], Any]] | None = None,
        cost: Callable[[Any, Any], float] | None = None,
    ):
        super().__init__(cost)
        if (backprop is None) == (factory is None):
            raise TypeError("nielsen: give backprop (a bound method, or with network=) or factory=, not both")
        self.network = network if network is not None else getattr(backprop, "__self__", None)
        if backprop is not None and not _holds_parameters(self.network):
            raise TypeError(
                "nielsen: backprop(x, y) must be the method of an object with .weights and .biases lists "
                "(like Nielsen's Network), or pass network=...; otherwise give factory=(weights, biases) -> backprop"
            )
        self.backprop = backprop
        self.factory = factory

    def sample(self, weights: Arrays, biases: Arrays, x: np.ndarray, y: np.ndarray) -> tuple[Any, Any]:
        if self.factory is not None:
            nabla = run(run(self.factory, weights, biases), x, y)
        else:
            assert self.backprop is not None
            with _parameters_set(self.network, weights, biases):
                nabla = run(self.backprop, x, y)
        nabla_b, nabla_w = _pair(nabla, "nielsen: backprop(x, y)", "(nabla_b, nabla_w)")
        return nabla_w, nabla_b

    def output(self, weights: Arrays, biases: Arrays, x: np.ndarray) -> np.ndarray:
        feedforward = getattr(self.network, "feedforward", None)
        if feedforward is None:
            raise TypeError("nielsen: cost= needs the network's feedforward(x)")
        with _parameters_set(self.network, weights, biases):
            return np.asarray(run(feedforward, x))


class udl(PerSample):
    """The UDL notebook's form: lists of per-layer arrays, layer 0 (our layer 1) first.

    ``backward_pass(all_weights, all_biases, all_f, all_h, y) -> (all_dl_dweights, all_dl_dbiases)``
    after ``forward(net_input, all_weights, all_biases) -> (net_output, all_f, all_h)``; without
    ``forward``, ``backward_pass(all_weights, all_biases, x, y)``. Biases are (n, 1) columns.
    ``cost(net_output, y)`` is the per-sample loss (with ``forward``).
    """

    form = "udl"
    returns = "(all_dl_dweights, all_dl_dbiases)"

    def __init__(
        self,
        backward_pass: Callable[..., Any],
        forward: Callable[..., Any] | None = None,
        *,
        cost: Callable[[Any, Any], float] | None = None,
    ):
        super().__init__(cost)
        if cost is not None and forward is None:
            raise TypeError("udl: cost= needs forward=")
        self.backward_pass = backward_pass
        self.forward = forward

    def sample(self, weights: Arrays, biases: Arrays, x: np.ndarray, y: np.ndarray) -> tuple[Any, Any]:
        if self.forward is None:
            out = run(self.backward_pass, weights, biases, x, y)
        else:
            _, all_f, all_h = _triple(run(self.forward, x, weights, biases))
            out = run(self.backward_pass, weights, biases, all_f, all_h, y)
        return _pair(out, "udl: backward_pass", "(all_dl_dweights, all_dl_dbiases)")

    def output(self, weights: Arrays, biases: Arrays, x: np.ndarray) -> np.ndarray:
        assert self.forward is not None
        return np.asarray(_triple(run(self.forward, x, weights, biases))[0])


def adapt(backprop: Any) -> BatchBackprop | PerSample:
    """The callable as the library will call it: a bound method of a Nielsen-style network object
    is adapted with ``nielsen``; anything else callable is taken to be in the batch form."""
    if isinstance(backprop, PerSample):
        return backprop
    if not callable(backprop):
        raise TypeError(f"backprop: expected a function, got {type(backprop).__name__}")
    if inspect.ismethod(backprop) and _holds_parameters(backprop.__self__):
        return nielsen(backprop)
    return backprop


def call(
    backprop: BatchBackprop | PerSample,
    weights: Arrays,
    biases: Arrays | None,
    X: np.ndarray,
    Y: np.ndarray,
    layout: str,
    w_layout: str,
    mean: bool,
    l2: float = 0.0,
    l2_on: str = "weights",
) -> Result:
    """Call the user's backprop with copies of the parameters (canonical: W (out, in), X and Y in
    columns) in the layout it expects, and check the structure of what comes back. A per-sample
    form gets the L2 penalty's gradient (2 l2 W, and 2 l2 b for l2_on="all") added to its sum."""
    if isinstance(backprop, PerSample):
        result = backprop.batch(weights, biases, X, Y, mean)
        if l2:
            result.dW = [d + 2.0 * l2 * W if np.shape(d) == W.shape else d for d, W in zip(result.dW, weights)]
            if l2_on == "all" and result.db is not None and biases is not None:
                result.db = [d + 2.0 * l2 * b if np.shape(d) == b.shape else d for d, b in zip(result.db, biases)]
        return result
    Ws, bs, Xl, Yl = _in_layout(weights, biases, X, Y, layout, w_layout)
    out = run(backprop, Ws, bs, Xl, Yl)
    if not isinstance(out, tuple | list) or len(out) not in (2, 3):
        got = f"a {type(out).__name__}" + (f" of length {len(out)}" if isinstance(out, tuple | list) else "")
        raise BackpropError(f"backprop returned {got}; expected (dW, db) or (dW, db, deltas), lists with W1's first")
    L = len(weights)
    dW = _layer_list(out[0], L, "dW")
    db = None if _empty(out[1]) else _layer_list(out[1], L, "db")
    deltas = None if len(out) < 3 or _empty(out[2]) else _layer_list(out[2], L, "deltas")
    if biases is None and db is not None:
        raise BackpropError("db: this network has no biases; return None (or []) for db")
    if biases is not None and db is None:
        raise BackpropError(f"db: expected {L} bias gradients (b1 first), got {short(out[1])}")
    _check_order(dW, db, weights)
    return Result(dW, db, deltas, layout, w_layout)


def cost_of(
    cost: Callable[..., float],
    weights: Arrays,
    biases: Arrays | None,
    X: np.ndarray,
    Y: np.ndarray,
    layout: str,
    w_layout: str,
) -> float:
    """The user's batch cost at these parameters (canonical in, the user's layout out)."""
    return _number(run(cost, *_in_layout(weights, biases, X, Y, layout, w_layout)), "cost")


def _in_layout(
    weights: Arrays, biases: Arrays | None, X: np.ndarray, Y: np.ndarray, layout: str, w_layout: str
) -> tuple[list[np.ndarray], list[np.ndarray] | None, np.ndarray, np.ndarray]:
    """Copies of the parameters and the batch (canonical: columns, (n_out, n_in)) in the user's
    layouts, so that what their code does to its arguments never reaches ours."""
    Ws = [out_in(W, w_layout).copy() for W in weights]
    bs = None if biases is None else [b.copy() for b in biases]
    return Ws, bs, columns(X, layout).copy(), columns(Y, layout).copy()


def load_function(spec: str) -> Callable[..., Any]:
    """``FILE.py:NAME`` (or ``FILE.py:obj.method``): import FILE from its path and return NAME.

    This runs the file: it is your code, run at your request (through ``run``: what it raises on
    import comes back as a UserCodeError). As ``python FILE.py`` does, the file's folder goes on
    ``sys.path`` first, so that it can import its neighbours (``import network``).
    """
    path_text, sep, name = spec.rpartition(":")
    if not sep or not path_text or not name:
        raise ValueError(f"expected FILE.py:FUNCTION, got {short(spec)}")
    path = Path(path_text)
    if path.suffix != ".py":
        raise ValueError(f"expected a .py file before the colon, got {short(path_text)}")
    if not path.is_file():
        raise ValueError(f"no such file: {short(path_text)}")
    module_name = f"_backprop_user_{abs(hash(str(path.resolve())))}"
    module_spec = importlib.util.spec_from_file_location(module_name, path)
    if module_spec is None or module_spec.loader is None:
        raise ValueError(f"cannot import {short(path_text)}")
    module = importlib.util.module_from_spec(module_spec)
    folder = str(path.resolve().parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    sys.modules[module_name] = module
    try:
        run(module_spec.loader.exec_module, module)
    except BaseException:
        del sys.modules[module_name]
        raise
    obj: Any = module
    for part in name.split("."):
        if not hasattr(obj, part):
            raise ValueError(f"{short(path_text)} has no {short(name)}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise ValueError(f"{path_text}:{name} is a {type(obj).__name__}, not a function")
    return obj


# ---- helpers ------------------------------------------------------------------------------------
def _holds_parameters(obj: Any) -> bool:
    return (
        obj is not None
        and isinstance(getattr(obj, "weights", None), list)
        and isinstance(getattr(obj, "biases", None), list)
    )


class _parameters_set:
    """Give a Network object these weights and biases for the duration, then put its own back."""

    def __init__(self, network: Any, weights: Arrays, biases: Arrays):
        self.network, self.weights, self.biases = network, weights, biases

    def __enter__(self) -> None:
        net = self.network
        if len(net.weights) != len(self.weights) or any(
            np.shape(mine) != W.shape for mine, W in zip(net.weights, self.weights)
        ):
            theirs = [np.shape(W) for W in net.weights]
            ours = [W.shape for W in self.weights]
            raise BackpropError(f"nielsen: the network object's weights have shapes {theirs}; the model's are {ours}")
        self.saved = (net.weights, net.biases)
        net.weights, net.biases = self.weights, self.biases

    def __exit__(self, *exc: object) -> None:
        self.network.weights, self.network.biases = self.saved


def _bias_columns(weights: Arrays, biases: Arrays | None) -> Arrays:
    if biases is None:
        return [np.zeros((W.shape[0], 1)) for W in weights]
    return [b.reshape(-1, 1).copy() for b in biases]


def _vector(d: Any) -> np.ndarray:
    """A bias gradient as returned, with an (n, 1) column made a vector (n,)."""
    d = np.asarray(d)
    return d.reshape(-1) if d.ndim == 2 and d.shape[1] == 1 else d


def _empty(x: Any) -> bool:
    return x is None or (isinstance(x, list | tuple) and len(x) == 0)


def _layer_list(x: Any, L: int, name: str) -> list[Any]:
    if isinstance(x, np.ndarray) and x.dtype != object:
        raise BackpropError(
            f"{name}: expected a list of {L} arrays (one per layer, layer 1 first), got one array of shape {x.shape}"
        )
    if not isinstance(x, list | tuple | np.ndarray):
        raise BackpropError(
            f"{name}: expected a list of {L} arrays (one per layer, layer 1 first), got {type(x).__name__}"
        )
    if len(x) != L:
        raise BackpropError(f"{name}: expected {L} arrays, one per layer (layer 1 first), got {len(x)}")
    return list(x)


def _pair(out: Any, who: str, expected: str) -> tuple[Any, Any]:
    if not isinstance(out, tuple | list) or len(out) != 2:
        raise BackpropError(f"{who} returned {type(out).__name__}; expected {expected}")
    return out[0], out[1]


def _numbers(x: Any, what: str) -> np.ndarray:
    """x as a float64 array; complex numbers stay complex, for the comparison to note (float64
    would drop their imaginary part without a word)."""
    try:
        arr = np.asarray(x)
        return arr if np.iscomplexobj(arr) else arr.astype(np.float64)
    except OverflowError:
        raise BackpropError(f"{what}: numbers too large for a float") from None
    except (TypeError, ValueError):
        raise BackpropError(f"{what}: expected an array of numbers, got {short(x)}") from None


def _number(x: Any, who: str) -> float:
    """What a cost returned, as a float."""
    try:
        return float(x)
    except (TypeError, ValueError, OverflowError):
        raise BackpropError(f"{who} returned {short(x)}; expected a number") from None


def _triple(out: Any) -> tuple[Any, Any, Any]:
    if not isinstance(out, tuple | list) or len(out) != 3:
        raise BackpropError(f"udl: forward returned {type(out).__name__}; expected (net_output, all_f, all_h)")
    return out[0], out[1], out[2]


def _add(total: list[np.ndarray] | None, more: list[Any], name: str, n: int) -> list[np.ndarray]:
    """The running sum of the per-sample gradients, with sample n's added (or started)."""
    more = [_numbers(d, f"{name}[{l}] of sample {n}") for l, d in enumerate(more)]
    if total is None:
        return more
    out = []
    for l, (s, d) in enumerate(zip(total, more)):
        if s.shape != d.shape:
            raise BackpropError(f"{name}[{l}]: sample {n} returned shape {d.shape}, the samples before {s.shape}")
        out.append(s + d)
    return out


def _check_order(dW: list[Any], db: list[Any] | None, weights: Arrays) -> None:
    """(db, dW) returned in Nielsen's order is a common slip: say so instead of comparing."""
    if db is not None and _swapped(dW, db, weights):
        raise BackpropError(
            "backprop returned (db, dW): the first list has the biases' shapes; return (dW, db). "
            "(Nielsen's backprop(x, y) returns (nabla_b, nabla_w): pass it as backprop=nn.handwritten.nielsen(...).)"
        )


def _swapped(dW: list[Any], db: list[Any], weights: Arrays) -> bool:
    """Whether the list meant for ∂C/∂W holds the biases' shapes and the other the weights'
    (undecidable, so False, when every W^l has one column)."""
    shapes_W = {W.shape for W in weights} | {W.T.shape for W in weights}
    looks_like_b = all(
        np.ndim(d) in (1, 2) and np.shape(d)[0] == W.shape[0] and np.size(d) == W.shape[0] for d, W in zip(dW, weights)
    )
    looks_like_W = all(np.shape(d) in shapes_W for d in db)
    return looks_like_b and looks_like_W and not all(W.shape[1] == 1 for W in weights)
