"""autograd_core: a reverse-mode automatic differentiation engine over scalar nodes.

    from autograd_core import Value
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = (a * b + 1).tanh()
    out.backward()
    a.grad, b.grad   # d(out)/da, d(out)/db

Standard library only at import time.
"""

from autograd_core.check import GradcheckEntry, GradcheckReport, gradcheck, numerical_grad
from autograd_core.dot import GraphvizError, GraphvizNotFoundError, save_drawing
from autograd_core.draw import draw
from autograd_core.graph import BackwardStep, EdgeStep, Node, backward, backward_steps, topological_order, zero_grad
from autograd_core.micrograd import from_micrograd
from autograd_core.stepper import Stepper
from autograd_core.value import Value

__all__ = [
    "BackwardStep",
    "EdgeStep",
    "GradcheckEntry",
    "GradcheckReport",
    "GraphvizError",
    "GraphvizNotFoundError",
    "Node",
    "Stepper",
    "Value",
    "backward",
    "backward_steps",
    "draw",
    "from_micrograd",
    "gradcheck",
    "numerical_grad",
    "save_drawing",
    "topological_order",
    "zero_grad",
]


def __getattr__(name: str) -> str:
    """``__version__``, read from the installed metadata when first asked for (autograd_core.metadata)."""
    if name == "__version__":
        from autograd_core.metadata import version

        return version()
    raise AttributeError(f"module 'autograd_core' has no attribute {name!r}")
