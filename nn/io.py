"""Save and load an MLP as .npz or .json: never pickle.

Both formats hold the architecture (sizes, activations, bias) and, for each layer l, the
weights W^l of shape (n_l, n_{l-1}) and the biases b^l of shape (n_l,). A save writes a
temporary file next to the target and renames it over the target, so a crash never leaves a
half-written model; a load checks every field and shape and refuses anything else with a
message that says what was expected. Round trips are exact (JSON floats are written with
Python's shortest round-tripping repr).
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any, cast

import numpy as np

from autograd_core.files import write_atomic
from nn import labels
from nn.activations import ACTIVATIONS
from nn.module import MLP, _array

FORMAT = "autograd-core.mlp"
VERSION = 1


def state_dict(model: MLP) -> dict[str, Any]:
    """The model as plain data: architecture plus W1, b1, W2, ... as float64 arrays."""
    state: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "sizes": model.sizes,
        "activations": model.activations,
        "bias": model.bias,
    }
    Ws, bs = model.matrices()
    for l, W in enumerate(Ws, start=1):
        state[labels.weight_matrix(l)] = W
        if bs is not None:
            state[labels.bias_vector(l)] = bs[l - 1]
    return state


def from_state_dict(state: dict[str, Any], source: str = "state") -> MLP:
    """An MLP rebuilt from ``state_dict`` data, after checking every field."""
    if state.get("format") != FORMAT:
        found = state.get("format")
        raise ValueError(f"{source}: not an autograd-core model (format field {found!r}, expected {FORMAT!r})")
    if state.get("version") != VERSION:
        raise ValueError(f"{source}: unsupported version {state.get('version')!r} (this library reads {VERSION})")
    sizes, acts, bias = state.get("sizes"), state.get("activations"), state.get("bias")
    if not isinstance(sizes, list) or len(sizes) < 2 or not all(type(n) is int and n > 0 for n in sizes):
        raise ValueError(f"{source}: 'sizes' must be a list of at least two positive ints, got {sizes!r}")
    if not isinstance(acts, list) or len(acts) != len(sizes) - 1 or not all(a in ACTIVATIONS for a in acts):
        names = ", ".join(ACTIVATIONS)
        raise ValueError(f"{source}: 'activations' must list {len(sizes) - 1} of {names}, got {acts!r}")
    if acts[:-1] and len(set(acts[:-1])) != 1:
        raise ValueError(f"{source}: hidden layers must share one activation, got {acts[:-1]!r}")
    if not isinstance(bias, bool):
        raise ValueError(f"{source}: 'bias' must be true or false, got {bias!r}")
    layers = range(1, len(sizes))
    expected = {labels.weight_matrix(l) for l in layers} | ({labels.bias_vector(l) for l in layers} if bias else set())
    arrays = {k for k in state if labels.parse_matrix_name(k) is not None}
    if arrays != expected:
        raise ValueError(f"{source}: expected arrays {sorted(expected)}, found {sorted(arrays)}")
    hidden = acts[0] if len(acts) > 1 else "linear"
    model = MLP(sizes[0], sizes[1:], activation=hidden, output_activation=acts[-1], bias=bias)
    W, b = labels.weight_matrix, labels.bias_vector
    Ws = [_array(state[W(l)], (sizes[l], sizes[l - 1]), f"{source}: {W(l)}") for l in layers]
    bs = [_array(state[b(l)], (sizes[l],), f"{source}: {b(l)}") for l in layers] if bias else None
    model.set_matrices(Ws, bs)
    return model


def save(model: MLP, path: str | os.PathLike[str]) -> Path:
    """Write the model to ``path`` (.npz or .json, by the extension), atomically."""
    target = Path(path)
    suffix = target.suffix.lower()
    state = state_dict(model)
    if suffix == ".json":
        data = {k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in state.items()}
        write_atomic(target, lambda f: f.write(json.dumps(data, indent=1).encode()))
    elif suffix == ".npz":
        arrays = {k: v for k, v in state.items() if isinstance(v, np.ndarray)}
        header = {k: v for k, v in state.items() if not isinstance(v, np.ndarray)}
        entries = {"header": np.array(json.dumps(header)), **arrays}
        write_atomic(target, lambda f: np.savez(f, **cast(dict[str, Any], entries)))
    else:
        raise ValueError(f"save: expected a path ending in .npz or .json, got {str(target)!r}")
    return target


def load(path: str | os.PathLike[str]) -> MLP:
    """Read a model written by ``save``; refuses malformed files with a clear message."""
    source = Path(path)
    suffix = source.suffix.lower()
    if suffix == ".json":
        try:
            state = json.loads(source.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"{source}: not valid JSON ({e})") from None
        if not isinstance(state, dict):
            raise ValueError(f"{source}: expected a JSON object at the top level")
    elif suffix == ".npz":
        state = _read_npz(source)
    else:
        raise ValueError(f"load: expected a path ending in .npz or .json, got {str(source)!r}")
    return from_state_dict(state, str(source))


def _read_npz(source: Path) -> dict[str, Any]:
    if not zipfile.is_zipfile(source):  # np.load would try it as a pickle otherwise
        raise ValueError(f"{source}: not a readable .npz file (not a zip archive)")
    try:
        with np.load(source, allow_pickle=False) as npz:
            if "header" not in npz.files:
                raise ValueError(f"{source}: no 'header' entry; not an autograd-core model")
            header = json.loads(str(npz["header"][()]))
            if not isinstance(header, dict):
                raise ValueError(f"{source}: the header is not a JSON object")
            arrays = {k: npz[k] for k in npz.files if k != "header"}
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise ValueError(f"{source}: not a readable .npz file ({e})") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{source}: the header is not valid JSON ({e})") from None
    except ValueError as e:
        if str(e).startswith(str(source)):
            raise
        raise ValueError(f"{source}: could not read the arrays ({e})") from None
    return {**header, **arrays}
