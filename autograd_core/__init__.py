"""autograd_core: a reverse-mode automatic differentiation engine over scalar nodes.

    from autograd_core import Value
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = (a * b + 1).tanh()
    out.backward()
    a.grad, b.grad   # d(out)/da, d(out)/db

Standard library only at import time: ``compile`` (a graph replayed over a batch with numpy,
autograd_core/program.py) and ``register_op`` are loaded when first asked for.
"""

from typing import TYPE_CHECKING, Any

from autograd_core.check import GradcheckEntry, GradcheckReport, gradcheck, numerical_grad
from autograd_core.dot import GraphvizError, GraphvizNotFoundError, save_drawing
from autograd_core.draw import draw
from autograd_core.graph import BackwardStep, EdgeStep, Node, backward, backward_steps, topological_order, zero_grad
from autograd_core.micrograd import from_micrograd
from autograd_core.stepper import Stepper
from autograd_core.value import Value

if TYPE_CHECKING:
    from autograd_core.kernels import register_op
    from autograd_core.program import Program, compile

__all__ = [
    "BackwardStep",
    "EdgeStep",
    "GradcheckEntry",
    "GradcheckReport",
    "GraphvizError",
    "GraphvizNotFoundError",
    "Node",
    "Program",
    "Stepper",
    "Value",
    "backward",
    "backward_steps",
    "compile",
    "draw",
    "from_micrograd",
    "gradcheck",
    "numerical_grad",
    "register_op",
    "save_drawing",
    "topological_order",
    "zero_grad",
]

_NUMPY = {
    "compile": "autograd_core.program",
    "Program": "autograd_core.program",
    "register_op": "autograd_core.kernels",
}
"""Names whose modules import numpy, loaded when first asked for."""


def __getattr__(name: str) -> Any:
    """``__version__``, read from the installed metadata when first asked for (autograd_core.metadata),
    and the compiler's names, whose modules import numpy."""
    if name == "__version__":
        from autograd_core.metadata import version

        return version()
    if name in _NUMPY:
        import importlib

        return getattr(importlib.import_module(_NUMPY[name]), name)
    raise AttributeError(f"module 'autograd_core' has no attribute {name!r}")
