"""autograd_core: a reverse-mode automatic differentiation engine over scalar nodes.

    from autograd_core import Value
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = (a * b + 1).tanh()
    out.backward()
    a.grad, b.grad   # d(out)/da, d(out)/db

Standard library only at import time.
"""

from autograd_core.check import GradcheckEntry, GradcheckReport, gradcheck, numerical_grad
from autograd_core.dot import GraphvizNotFoundError, save, side_by_side
from autograd_core.draw import draw
from autograd_core.graph import BackwardStep, EdgeStep, backward_steps, topological_order, zero_grad
from autograd_core.mlp_views import draw_matrix
from autograd_core.stepper import Stepper
from autograd_core.value import Value

__all__ = [
    "BackwardStep",
    "EdgeStep",
    "GradcheckEntry",
    "GradcheckReport",
    "GraphvizNotFoundError",
    "Stepper",
    "Value",
    "backward_steps",
    "draw",
    "draw_matrix",
    "gradcheck",
    "numerical_grad",
    "save",
    "side_by_side",
    "topological_order",
    "zero_grad",
]

__version__ = "0.1.0"
