"""The PyTorch bridge: exact round trips, and a clear error without PyTorch."""

import builtins

import numpy as np
import pytest

from nn import MLP, cross_entropy
from nn.bridge import from_torch, to_torch

torch = pytest.importorskip("torch", reason="PyTorch is not installed (the bridge is optional)")


@pytest.mark.parametrize(
    "kw",
    [
        dict(activation="tanh"),
        dict(activation="relu", output_activation="sigmoid"),
        dict(activation="sigmoid", bias=False),
    ],
)
def test_round_trip_is_exact(kw):
    model = MLP(3, [5, 4, 2], seed=8, **kw)
    seq = to_torch(model)
    assert all(p.dtype == torch.float64 for p in seq.parameters())
    back = from_torch(seq)
    assert [p.data for p in back.parameters()] == [p.data for p in model.parameters()]
    assert (back.sizes, back.activations, back.bias) == (model.sizes, model.activations, model.bias)


def test_same_outputs_and_gradients_as_the_scalar_graph():
    model = MLP(4, [6, 3], activation="tanh", seed=9)
    rng = np.random.default_rng(9)
    X, labels = rng.normal(size=(5, 4)), np.array([0, 2, 1, 1, 0])
    seq = to_torch(model)
    out = seq(torch.tensor(X))
    ours = [model(x) for x in X.tolist()]
    np.testing.assert_allclose(out.detach().numpy(), [[v.data for v in o] for o in ours], rtol=1e-14)
    loss = torch.nn.functional.cross_entropy(out, torch.tensor(labels))
    loss.backward()
    C = cross_entropy(ours, labels)
    C.backward()
    W1 = np.array([[w.grad for w in n.w] for n in model.layers[0].neurons])
    np.testing.assert_allclose(seq[0].weight.grad.numpy(), W1, rtol=1e-12, atol=1e-15)


def test_from_torch_refuses_what_it_cannot_represent():
    nn_ = torch.nn
    with pytest.raises(TypeError, match=r"expects a torch\.nn\.Sequential"):
        from_torch(nn_.Linear(2, 3))
    with pytest.raises(ValueError, match=r"module 1 \(Softmax\) is not a Linear"):
        from_torch(nn_.Sequential(nn_.Linear(2, 3), nn_.Softmax(dim=1)))
    with pytest.raises(ValueError, match="share one activation"):
        from_torch(nn_.Sequential(nn_.Linear(2, 3), nn_.Tanh(), nn_.Linear(3, 3), nn_.ReLU(), nn_.Linear(3, 1)))
    with pytest.raises(ValueError, match="every Linear has a bias or none"):
        from_torch(nn_.Sequential(nn_.Linear(2, 3), nn_.Tanh(), nn_.Linear(3, 1, bias=False)))
    with pytest.raises(ValueError, match=r"Linear\(4, ...\) cannot follow Linear\(..., 3\)"):
        from_torch(nn_.Sequential(nn_.Linear(2, 3), nn_.Linear(4, 1)))
    with pytest.raises(ValueError, match="no Linear layer"):
        from_torch(nn_.Sequential())
    with pytest.raises(ValueError, match=r"module 0 \(Tanh\) is not a Linear"):
        from_torch(nn_.Sequential(nn_.Tanh()))
    assert from_torch(nn_.Sequential(nn_.Linear(2, 3), nn_.Identity(), nn_.Linear(3, 1))).activations == [
        "linear",
        "linear",
    ]


def test_clear_error_without_torch(monkeypatch):
    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch":
            raise ImportError("no torch")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    with pytest.raises(ImportError, match="PyTorch is not installed; the bridge needs it"):
        to_torch(MLP(2, [2]))
