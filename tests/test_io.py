"""Save and load: exact round trips, atomic writes, and refusal of malformed files."""

import json
import os

import numpy as np
import pytest

import nn
from nn.io import from_state_dict, state_dict


def params(model):
    return [p.data for p in model.parameters()]


@pytest.mark.parametrize("ext", ["npz", "json"])
@pytest.mark.parametrize(
    "kw", [dict(activation="relu"), dict(activation="sigmoid", output_activation="tanh", bias=False)]
)
def test_round_trip_is_exact(tmp_path, ext, kw):
    model = nn.MLP(3, [5, 4, 2], seed=11, **kw)
    for p in model.parameters():
        p.data = p.data * 1.000000000000001 + 1e-17  # digits a lossy format would drop
    path = nn.save(model, tmp_path / f"model.{ext}")
    back = nn.load(path)
    assert params(back) == params(model)
    assert (back.sizes, back.activations, back.bias) == (model.sizes, model.activations, model.bias)
    assert [n for n, _ in back.named_parameters()] == [n for n, _ in model.named_parameters()]


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path, monkeypatch):
    model = nn.MLP(2, [2])
    target = tmp_path / "m.npz"
    nn.save(model, target)
    before = target.read_bytes()

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(np, "savez", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        nn.save(nn.MLP(2, [3]), target)
    assert target.read_bytes() == before  # the old file is untouched
    assert os.listdir(tmp_path) == ["m.npz"]  # and the temporary file is gone


def test_unknown_extension(tmp_path):
    with pytest.raises(ValueError, match=r"ending in .npz or .json"):
        nn.save(nn.MLP(2, [2]), tmp_path / "m.pkl")
    with pytest.raises(ValueError, match=r"ending in .npz or .json"):
        nn.load(tmp_path / "m.pt")


def _state(**changes):
    state = state_dict(nn.MLP(2, [3, 1]))
    state = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in state.items()}
    state.update(changes)
    return {k: v for k, v in state.items() if v is not None}


@pytest.mark.parametrize(
    "changes, pattern",
    [
        (dict(format="keras"), "not an autograd-core model"),
        (dict(version=2), "unsupported version 2"),
        (dict(sizes=[2]), "'sizes' must be a list of at least two positive ints"),
        (dict(sizes=[2, 3, -1]), "'sizes'"),
        (dict(activations=["tanh"]), "'activations' must list 2"),
        (dict(activations=["tanh", "softmax"]), "'activations'"),
        (dict(bias="yes"), "'bias' must be true or false"),
        (dict(W2=None), r"expected arrays \['W1', 'W2', 'b1', 'b2'\], found \['W1', 'b1', 'b2'\]"),
        (dict(W3=[[1.0]]), "found"),
        (dict(W1=[[1.0, 2.0]]), r"W1: expected shape \(3, 2\), got \(1, 2\)"),
        (dict(b1=[0.0, 0.0, float("nan")]), "b1: values must be finite"),
        (dict(W2=[["a", "b", "c"]]), "W2: expected numbers"),
    ],
)
def test_malformed_state_is_refused(changes, pattern):
    with pytest.raises(ValueError, match=pattern):
        from_state_dict(_state(**changes))


def test_malformed_files_are_refused(tmp_path):
    bad_json = tmp_path / "a.json"
    bad_json.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        nn.load(bad_json)
    bad_json.write_text("[1, 2]")
    with pytest.raises(ValueError, match="JSON object"):
        nn.load(bad_json)
    not_zip = tmp_path / "b.npz"
    not_zip.write_bytes(b"garbage")
    with pytest.raises(ValueError, match=r"not a readable .npz"):
        nn.load(not_zip)
    no_header = tmp_path / "c.npz"
    np.savez(no_header, W1=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="no 'header' entry"):
        nn.load(no_header)
    pickled = tmp_path / "d.npz"
    header = {k: v for k, v in state_dict(nn.MLP(2, [1], bias=False)).items() if k != "W1"}
    np.savez(pickled, header=np.array(json.dumps(header)), W1=np.array([[object(), object()]]))
    with pytest.raises(ValueError, match=r"W1.npy: expected real numbers of shape \(1, 2\), got object"):
        nn.load(pickled)
    truncated = tmp_path / "e.npz"
    nn.save(nn.MLP(2, [3]), truncated)
    truncated.write_bytes(truncated.read_bytes()[:100])
    with pytest.raises(ValueError, match=r"not a readable .npz"):
        nn.load(truncated)


def test_the_parameter_limit_counts_weights_and_biases(tmp_path, monkeypatch):
    monkeypatch.setattr(nn.io, "MAX_PARAMETERS", 13)
    for ext in ["npz", "json"]:
        assert nn.load(nn.save(nn.MLP(2, [3, 1]), tmp_path / f"ok.{ext}")).sizes == [2, 3, 1]  # 6 + 3 + 3 + 1
        path = nn.save(nn.MLP(2, [4, 1]), tmp_path / f"big.{ext}")  # 8 + 4 + 4 + 1 = 17
        with pytest.raises(ValueError, match=r"at most MAX_PARAMETERS = 13 parameters, sizes \[2, 4, 1\] declare 17"):
            nn.load(path)


def test_save_refuses_a_json_that_load_would_refuse(tmp_path, monkeypatch):
    monkeypatch.setattr(nn.io, "MAX_JSON_BYTES", 500)
    with pytest.raises(
        ValueError, match=r"m.json: expected at most MAX_JSON_BYTES = 500 bytes of JSON, .*save it as .npz"
    ):
        nn.save(nn.MLP(2, [30]), tmp_path / "m.json")
    assert os.listdir(tmp_path) == []
    assert nn.load(nn.save(nn.MLP(2, [30]), tmp_path / "m.npz")).sizes == [2, 30]
