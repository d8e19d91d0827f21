"""nn: neural networks built from autograd_core Values.

    from nn import MLP, fit
    model = MLP(2, [16, 16, 1], activation="relu")
    history = fit(model, X, y, epochs=100)

Every neuron's pre-activation is one node named z{l}[j], its activation a{l}[j], its
parameters W{l}[j,k] and b{l}[j] (layers from 1): the names of the matrix view's entries.
"""

from nn.compare import Report, compare_gradients
from nn.io import load, save
from nn.losses import binary_cross_entropy, cross_entropy, hinge, l2, mse
from nn.matrix import Conventions, MatrixMLP
from nn.module import MLP, Layer, Module, Neuron, Trace
from nn.optim import SGD, Adam, Optimizer
from nn.train import History, accuracy, evaluate, fit, predict

__all__ = [
    "MLP",
    "SGD",
    "Adam",
    "Conventions",
    "History",
    "Layer",
    "MatrixMLP",
    "Module",
    "Neuron",
    "Optimizer",
    "Report",
    "Trace",
    "accuracy",
    "binary_cross_entropy",
    "compare_gradients",
    "cross_entropy",
    "evaluate",
    "fit",
    "hinge",
    "l2",
    "load",
    "mse",
    "predict",
    "save",
]
