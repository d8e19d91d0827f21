"""Training and evaluation: ``fit`` runs minibatch gradient descent with a progress bar.

    history = fit(model, X, y, loss="cross_entropy", optimizer="adam", lr=0.01, epochs=30)
    history.loss[-1], history.accuracy[-1]

The model is a Value-graph MLP (each batch builds a graph and runs backward; or, with
``engine="compiled"``, one sample's graph is compiled once and each batch replays it with numpy,
nn/compiled.py) or a MatrixMLP (each batch runs the four backprop equations); the loop, the
optimizers and the history are the same. A MatrixMLP brings its loss, reduction and L2 penalty in
its conventions.

The loss can be left to ``"auto"``: integer labels with several output units mean softmax
cross-entropy; one output unit and labels 0/1 mean binary cross-entropy on the logit; labels
-1/+1 mean the hinge loss; anything else means squared error.
"""

from __future__ import annotations

import importlib.util
import math
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from autograd_core import Value
from autograd_core.inputs import count, short
from nn.losses import LOSSES, l2_coefficient, l2_penalty
from nn.matrix import MatrixMLP
from nn.module import MLP
from nn.optim import SGD, Adam, Optimizer
from nn.schedules import Schedule

Model = MLP | MatrixMLP
ENGINES = ("nodes", "compiled")


@dataclass(repr=False)
class History:
    """Per epoch: the mean training loss over the epoch's batches, and the training accuracy
    of the predictions made during the epoch (None for regression).

    A run that ended early keeps the epochs it completed: ``diverged`` says why training stopped
    when the numbers left the float range (None when they did not), ``interrupted`` that Ctrl-C
    stopped it."""

    loss: list[float] = field(default_factory=list)
    accuracy: list[float | None] = field(default_factory=list)
    diverged: str | None = None
    interrupted: bool = False

    def __len__(self) -> int:
        return len(self.loss)

    def __repr__(self) -> str:
        """The first and last epoch at a glance: ``History(100 epochs: loss 0.659 → 0.00176,
        accuracy 65% → 100%)``; one value for one epoch, no accuracy for regression."""
        n = len(self)
        ended = "; diverged" if self.diverged else "; interrupted" if self.interrupted else ""
        if n == 0:
            return f"History(0 epochs{ended})"
        parts = [f"loss {_span(self.loss, '{:.3g}'.format)}"]
        if self.accuracy and self.accuracy[0] is not None:
            parts.append(f"accuracy {_span(self.accuracy, lambda a: f'{100 * a:.3g}%')}")
        return f"History({n} epoch{'s' if n > 1 else ''}: {', '.join(parts)}{ended})"


def _span(values: Sequence[Any], show: Callable[[Any], str]) -> str:
    """The first and the last value with an arrow between them; the one value of a single epoch."""
    return show(values[0]) if len(values) == 1 else f"{show(values[0])} → {show(values[-1])}"


def fit(
    model: Model,
    X: Any,
    y: Any,
    *,
    loss: str = "auto",
    optimizer: str | Optimizer = "sgd",
    lr: float | Schedule = 0.1,
    epochs: int = 100,
    batch_size: int | None = None,
    l2: float = 0.0,
    reduction: str = "mean",
    shuffle: bool = True,
    seed: int = 0,
    progress: bool = True,
    engine: str = "nodes",
) -> History:
    """Train ``model`` on rows of X (shape (N, n_in)) and targets y; returns the History.

    Each epoch visits the samples in a fresh order drawn from ``seed`` (so a seed fixes the whole
    run) in batches of ``batch_size`` (default: the whole set); each batch computes the loss and
    its gradient and takes one optimizer step. ``optimizer`` is "sgd", "adam" or an Optimizer you
    made; ``l2`` adds the penalty l2 * sum of squared parameters to every batch's loss.
    ``lr`` is a number or a schedule, a function of the step k = 0, 1, ... (one step per batch;
    see ``nn.schedules``: linear, cosine, step), which sets the optimizer's rate before each step.
    ``shuffle=False`` keeps the samples in their order.

    ``engine`` trains an MLP of Values node by node ("nodes": each batch builds its graph and runs
    backward()) or through the compiled program of one sample's graph ("compiled": each batch runs
    as arrays, the parameters stay in one array θ while training and go back into the Values at
    the end); both follow the same losses, up to the order of sums. "compiled" takes the
    optimizer by name ("sgd" or "adam"), since it makes it over θ.

    micrograd's demo loop is one call (100 full-batch steps, lr 1.0 - 0.9 k / 100):
    ``fit(model, X, y, loss="hinge", lr=schedules.linear(1.0, 0.1, 100), epochs=100, l2=1e-4, shuffle=False)``

    Training that diverges does not raise: it stops, puts back the parameters and the optimizer's
    state (momentum, Adam's moments) from before the step that sent them out of the float range
    (so ``predict`` and ``fit`` work again), warns (RuntimeWarning), and returns the History of
    the epochs completed, with ``diverged`` saying where the numbers overflowed (a node of the
    graph; a quantity and layer of the matrix view). Ctrl-C (KeyboardInterrupt) likewise ends the
    run with the History so far and ``interrupted`` set; a step it cut in half is undone.
    """
    Xa, Ya = _data(model, X, y)
    l2 = l2_coefficient(l2)
    rng = np.random.default_rng(count(seed, "seed"))
    loss_name = _loss_for(model, loss, Ya, reduction, l2)
    schedule, rate = (lr, _rate(lr, 0)) if callable(lr) else (None, lr)
    n = len(Xa)
    size = n if batch_size is None else _positive_int(batch_size, "batch_size")
    epochs = _positive_int(epochs, "epochs")
    runner = _runner(model, engine, optimizer, Xa, Ya, loss_name)
    opt = _optimizer(optimizer, runner.parameters, rate)
    history = History()
    bar = _progress_bar(epochs, progress)
    last = _LastStep(opt)
    k = 0
    try:
        for _ in bar:
            order = rng.permutation(n) if shuffle else np.arange(n)
            total, correct, counted = 0.0, 0, 0
            for start in range(0, n, size):
                idx = order[start : start + size]
                if schedule is not None:
                    opt.lr = _rate(schedule, k)
                k += 1
                opt.zero_grad()
                value, outputs = runner.step(idx, reduction, l2)
                last.step(opt)
                total += value * (len(idx) if reduction == "mean" else 1)
                hits = _hits(loss_name, outputs, Ya[idx])
                if hits is not None:
                    correct += hits
                    counted += len(idx)
            history.loss.append(total / n if reduction == "mean" else total)
            history.accuracy.append(correct / counted if counted else None)
            if progress:
                bar.set_postfix(loss=f"{history.loss[-1]:.4f}", acc=_percent(history.accuracy[-1]))
        last.check_finite()
    except (OverflowError, FloatingPointError) as e:
        last.undo()
        history.diverged = f"at epoch {min(len(history) + 1, epochs)}, step {k}: {e}"
        warnings.warn(
            f"fit: training diverged {history.diverged}; the parameters are back to the last ones whose loss "
            "was finite, and history.diverged says where; try a smaller lr",
            RuntimeWarning,
            stacklevel=2,
        )
    except KeyboardInterrupt:
        last.undo_if_cut()
        history.interrupted = True
        warnings.warn(
            f"fit: interrupted in epoch {len(history) + 1}; the History holds the epochs before it", stacklevel=2
        )
    finally:
        if progress:
            bar.close()
        runner.finish()
    return history


class _LastStep:
    """Takes optimizer steps, keeping the parameters and the optimizer's state from before the last
    one, to put back when the numbers diverge (a step that left them not finite, or one after which
    the forward pass overflowed) or when Ctrl-C cuts a step in half."""

    def __init__(self, opt: Optimizer):
        self.opt = opt
        self.params = opt.params
        self.before = [np.array(p.data) if isinstance(p.data, np.ndarray) else p.data for p in self.params]
        self.opt_before = opt.state_dict()
        self.stepping = False

    def step(self, opt: Optimizer) -> None:
        for i, p in enumerate(self.params):
            if isinstance(p.data, np.ndarray):
                np.copyto(self.before[i], p.data)
            else:
                self.before[i] = p.data
        self.opt_before = opt.state_dict()
        self.stepping = True
        with np.errstate(over="ignore", invalid="ignore"):  # the next forward pass, or check_finite, says so
            opt.step()
        self.stepping = False

    def check_finite(self) -> None:
        """After the last step (any other is checked by the forward pass that follows it)."""
        for p in self.params:
            if not (np.isfinite(p.data).all() if isinstance(p.data, np.ndarray) else math.isfinite(p.data)):
                name = getattr(p, "name", None) or getattr(p, "label", None) or "a parameter"
                raise OverflowError(f"the last optimizer step made {name} not finite")

    def undo(self) -> None:
        for p, before in zip(self.params, self.before):
            if isinstance(p.data, np.ndarray):
                np.copyto(p.data, before)  # in place: the model holds these arrays
            else:
                p.data = before
        self.opt.load_state_dict(self.opt_before | {"lr": self.opt.lr})  # lr is the schedule's, not the step's

    def undo_if_cut(self) -> None:
        if self.stepping:
            self.undo()


def _progress_bar(epochs: int, progress: bool) -> Any:
    """A tqdm bar over the epochs (see ``_bar_class``), or a plain range without one."""
    if not progress:
        return range(epochs)
    return _bar_class()(range(epochs), desc="train", unit="epoch", leave=False)


def _bar_class() -> type:
    """tqdm's widget bar in a Jupyter kernel that has ipywidgets, its text bar everywhere else.

    Chosen here rather than by tqdm.auto, which picks the widget in any kernel and, without
    ipywidgets, warns "IProgress not found" before falling back to the text bar. Imported here,
    not at the top, so that importing nn never imports tqdm or ipywidgets.
    """
    if _in_jupyter_kernel() and _has_ipywidgets():
        from tqdm.notebook import tqdm as notebook_bar

        return notebook_bar
    from tqdm.std import tqdm as text_bar

    return text_bar


def _in_jupyter_kernel() -> bool:
    """Whether this runs in a Jupyter kernel (which can show widgets), as tqdm.auto tells it."""
    return "ipykernel.zmqshell" in sys.modules


def _has_ipywidgets() -> bool:
    return importlib.util.find_spec("ipywidgets") is not None


class _Runner(Protocol):
    """How one engine computes a batch's loss and gradients: ``step(idx, reduction, l2)`` returns
    the batch loss and its outputs (an (N, n_out) array) and leaves the grads on ``parameters``,
    which the optimizer updates; ``finish`` runs once at the end, however the run ended."""

    parameters: list[Any]

    def step(self, idx: np.ndarray, reduction: str, l2: float) -> tuple[float, np.ndarray]: ...

    def finish(self) -> None: ...


class _Graph:
    """Node by node: each batch builds its graph of Values and runs backward()."""

    def __init__(self, model: MLP, X: np.ndarray, Y: np.ndarray, loss: str):
        self.model, self.rows, self.Y, self.loss = model, X.tolist(), Y, loss
        self.parameters: list[Any] = model.parameters()

    def step(self, idx: np.ndarray, reduction: str, l2: float) -> tuple[float, np.ndarray]:
        outputs = [self.model(self.rows[i]) for i in idx]
        batch_loss = LOSSES[self.loss](outputs, self.Y[idx], reduction=reduction)
        if l2:
            batch_loss = batch_loss + l2_penalty(self.parameters, l2)
        batch_loss.backward()
        return batch_loss.data, _values(outputs)

    def finish(self) -> None:
        pass


class _Matrix:
    """The four equations on the batch; the grads land on the MatrixMLP's parameters. Its loss,
    reduction and penalty are its conventions (``_loss_for`` checked they agree with fit's)."""

    def __init__(self, model: MatrixMLP, X: np.ndarray, Y: np.ndarray):
        self.model, self.X, self.Y = model, X, Y
        self.parameters: list[Any] = model.parameters()

    def step(self, idx: np.ndarray, reduction: str, l2: float) -> tuple[float, np.ndarray]:
        outputs = _matrix_forward(self.model, self.X[idx])
        grads = self.model.backward(_matrix_targets(self.model, self.Y[idx]))
        return grads.loss, outputs

    def finish(self) -> None:
        pass


def _matrix_targets(model: MatrixMLP, Y: np.ndarray) -> np.ndarray:
    """Targets in the model's layout: labels (N,) stay labels for cross-entropy, else (N, 1) for
    one output unit; rows are transposed into columns when the model holds samples in columns."""
    if Y.ndim == 1 and model.conventions.loss == "cross_entropy":
        return Y
    if Y.ndim == 1:
        Y = Y.reshape(-1, 1)
    return model.conventions.columns(Y.T)


def _matrix_forward(model: MatrixMLP, X: np.ndarray) -> np.ndarray:
    """The outputs for rows of X, as rows, whatever the model's layout."""
    c = model.conventions
    return np.asarray(c.columns(model.forward(c.columns(X.T))).T)


def predict(model: Model, X: Any) -> np.ndarray:
    """The model's outputs for every row of X, as an array of shape (N, n_out)."""
    Xa, _ = _data(model, X, None)
    if isinstance(model, MatrixMLP):
        return _matrix_forward(model, Xa)
    return np.array([[v.data for v in model(row)] for row in Xa.tolist()], dtype=np.float64)


def evaluate(model: Model, X: Any, y: Any, loss: str = "auto", reduction: str = "mean") -> tuple[float, float | None]:
    """(loss, accuracy) of the model on (X, y); accuracy is None for regression."""
    Xa, Ya = _data(model, X, y)
    name = _loss_for(model, loss, Ya, reduction, 0.0)
    if isinstance(model, MatrixMLP):
        outputs = _matrix_forward(model, Xa)
        value = model.loss(_matrix_targets(model, Ya))
    else:
        graph = [model(row) for row in Xa.tolist()]
        value = LOSSES[name](graph, Ya, reduction=reduction).data
        outputs = _values(graph)
    hits = _hits(name, outputs, Ya)
    return value, None if hits is None else hits / len(Xa)


def accuracy(model: Model, X: Any, y: Any, loss: str = "auto") -> float | None:
    """The fraction of rows classified correctly (None for regression)."""
    return evaluate(model, X, y, loss)[1]


def _loss_for(model: Model, loss: str, Y: np.ndarray, reduction: str, l2: float) -> str:
    """The loss to train with; a MatrixMLP's conventions must agree with the arguments."""
    if not isinstance(model, MatrixMLP):
        return resolve_loss(loss, Y, model.sizes[-1])
    c = model.conventions
    if loss not in ("auto", c.loss) or reduction != c.reduction or l2 not in (0.0, c.l2):
        raise ValueError(
            f"this MatrixMLP trains with its conventions (loss={c.loss!r}, reduction={c.reduction!r}, l2={c.l2}); "
            f"got loss={short(loss)}, reduction={short(reduction)}, l2={l2}: set them on the model"
        )
    return c.loss


def resolve_loss(loss: str, Y: np.ndarray, n_out: int) -> str:
    """The loss "auto" stands for, given the targets and the number of output units."""
    if loss != "auto":
        if loss not in LOSSES:
            raise ValueError(f"loss: expected 'auto' or one of {', '.join(LOSSES)}, got {short(loss)}")
        return loss
    labels = set(np.unique(Y).tolist()) if Y.ndim == 1 or Y.shape[1] == 1 else None
    integral = labels is not None and all(float(v).is_integer() for v in labels)
    if n_out > 1 and Y.ndim == 1 and integral:
        return "cross_entropy"
    if n_out == 1 and labels is not None and labels <= {0.0, 1.0}:
        return "binary_cross_entropy"
    if n_out == 1 and labels is not None and labels <= {-1.0, 1.0}:
        return "hinge"
    return "mse"


def _hits(loss: str, outputs: np.ndarray, Y: np.ndarray) -> int | None:
    """How many predictions are right, by the decision rule that goes with the loss."""
    if loss == "cross_entropy" or (loss == "mse" and Y.ndim == 2 and Y.shape[1] > 1 and _one_hot(Y)):
        labels = Y if Y.ndim == 1 else Y.argmax(axis=1)
        return int(np.sum(outputs.argmax(axis=1) == labels))
    y = Y.reshape(-1)
    if loss == "binary_cross_entropy":
        return int(np.sum((outputs[:, 0] > 0) == (y > 0.5)))
    if loss == "hinge":
        return int(np.sum((outputs[:, 0] > 0) == (y > 0)))
    if loss == "mse" and outputs.shape[1] == 1 and set(np.unique(y).tolist()) <= {0.0, 1.0}:
        return int(np.sum((outputs[:, 0] > 0.5) == (y > 0.5)))
    return None


def _one_hot(Y: np.ndarray) -> bool:
    return bool(np.all((Y == 0) | (Y == 1)) and np.all(Y.sum(axis=1) == 1))


def _values(outputs: Sequence[Sequence[Value]]) -> np.ndarray:
    return np.array([[v.data for v in out] for out in outputs], dtype=np.float64)


def _data(model: Model, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    Xa = np.asarray(X, dtype=np.float64)
    if Xa.ndim != 2 or Xa.shape[1] != model.sizes[0]:
        raise ValueError(f"X: expected shape (N, {model.sizes[0]}), one sample per row, got {Xa.shape}")
    if len(Xa) == 0 or not np.all(np.isfinite(Xa)):
        raise ValueError("X: expected at least one row, all values finite")
    if y is None:
        return Xa, np.empty(0)
    Ya = np.asarray(y)
    if Ya.shape[0] != len(Xa) or Ya.ndim > 2:
        raise ValueError(f"y: expected {len(Xa)} targets (shape ({len(Xa)},) or ({len(Xa)}, k)), got shape {Ya.shape}")
    return Xa, Ya


def _rate(schedule: Schedule, k: int) -> float:
    rate = schedule(k)
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not math.isfinite(rate) or rate < 0:
        raise ValueError(f"lr: the schedule gave {rate!r} at step {k}; expected a finite number >= 0")
    return float(rate)


def _runner(model: Model, engine: str, optimizer: str | Optimizer, X: np.ndarray, Y: np.ndarray, loss: str) -> _Runner:
    """The engine that computes each batch: a MatrixMLP's equations, an MLP's graph node by node, or
    the compiled program of one sample's graph (engine "compiled", nn/compiled.py)."""
    if engine not in ENGINES:
        raise ValueError(f"engine: expected one of {', '.join(map(repr, ENGINES))}, got {short(engine)}")
    if engine == "nodes":
        return _Matrix(model, X, Y) if isinstance(model, MatrixMLP) else _Graph(model, X, Y, loss)
    if isinstance(model, MatrixMLP):
        raise ValueError("engine='compiled' compiles the graph of an MLP of Values; a MatrixMLP is arrays already")
    if isinstance(optimizer, Optimizer):
        raise ValueError(
            "engine='compiled' keeps the parameters in one array while it trains and makes its optimizer over it: "
            f"pass optimizer='sgd' or 'adam', not an {type(optimizer).__name__} over the Values"
        )
    from nn.compiled import CompiledMLP

    return CompiledMLP(model, loss, X, Y)


def _optimizer(optimizer: str | Optimizer, parameters: list[Any], lr: float) -> Optimizer:
    if isinstance(optimizer, Optimizer):
        return optimizer
    if optimizer == "sgd":
        return SGD(parameters, lr=lr)
    if optimizer == "adam":
        return Adam(parameters, lr=lr)
    raise ValueError(f"optimizer: expected 'sgd', 'adam' or an Optimizer, got {short(optimizer)}")


def _positive_int(x: Any, name: str) -> int:
    if isinstance(x, bool) or not isinstance(x, int | np.integer) or x < 1:
        raise ValueError(f"{name}: expected a positive int, got {short(x)}")
    return int(x)


def _percent(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"
