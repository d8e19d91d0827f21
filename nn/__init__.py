"""nn: neural networks built from autograd_core Values.

    from nn import MLP, fit
    model = MLP(2, [16, 16, 1], activation="relu")
    history = fit(model, X, y, epochs=100)

Every neuron's pre-activation is one node named z{l}[j], its activation a{l}[j], its
parameters W{l}[j,k] and b{l}[j] (layers from 1): the names of the matrix view's entries
(nn.labels writes and reads them). The drawings of an MLP live here too: ``draw_mlp`` (the
graph grouped into layers, the neuron view, the matrix view; ``sample=n`` for one sample of a
batch), ``draw_matrix``, ``side_by_side``, and ``MLPStepper`` (the node-by-node stepper of an MLP).
"""

from nn.compare import GradientComparison, compare_gradients
from nn.io import load, save
from nn.layer_stepper import LayerStep, LayerStepper
from nn.losses import binary_cross_entropy, cross_entropy, hinge, l2_penalty, mse
from nn.matrix import Conventions, MatrixMLP
from nn.matrix_picture import draw_matrix
from nn.module import MLP, Layer, Module, Neuron, Trace
from nn.optim import SGD, Adam, Optimizer
from nn.train import History, accuracy, evaluate, fit, predict
from nn.views import MLPStepper, draw_mlp, layer_group, side_by_side

__all__ = [
    "MLP",
    "SGD",
    "Adam",
    "Conventions",
    "GradientComparison",
    "History",
    "Layer",
    "LayerStep",
    "LayerStepper",
    "MLPStepper",
    "MatrixMLP",
    "Module",
    "Neuron",
    "Optimizer",
    "Trace",
    "accuracy",
    "binary_cross_entropy",
    "compare_gradients",
    "cross_entropy",
    "draw_matrix",
    "draw_mlp",
    "evaluate",
    "fit",
    "hinge",
    "l2_penalty",
    "layer_group",
    "load",
    "mse",
    "predict",
    "save",
    "side_by_side",
]


def __getattr__(name: str) -> str:
    """``__version__``: one distribution, so autograd_core's (read from the installed metadata)."""
    if name == "__version__":
        from autograd_core.metadata import version

        return version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
