"""autograd_core: a reverse-mode automatic differentiation engine over scalar nodes.

    from autograd_core import Value
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = (a * b + 1).tanh()
    out.backward()
    a.grad, b.grad   # d(out)/da, d(out)/db

Standard library only at import time.
"""

from autograd_core.check import GradcheckEntry, GradcheckReport, gradcheck, numerical_grad
from autograd_core.graph import topological_order, zero_grad
from autograd_core.value import Value

__all__ = [
    "GradcheckEntry",
    "GradcheckReport",
    "Value",
    "gradcheck",
    "numerical_grad",
    "topological_order",
    "zero_grad",
]

__version__ = "0.1.0"
