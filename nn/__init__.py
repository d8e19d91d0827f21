"""nn: neural networks built from autograd_core Values (work in progress; see the README)."""
