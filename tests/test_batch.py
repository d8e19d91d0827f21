"""The samples of a batch loss (nn.batch), and one sample drawn and stepped (draw_mlp(sample=),
MLPStepper): the engine gets the part through keep= and the names through names=."""

import re

import numpy as np
import pytest

import nn
from autograd_core import Stepper, Value, draw, topological_order
from nn.batch import Batch

from .conftest import mlp


def batch_loss(samples=3, loss=nn.mse):
    model = nn.MLP(2, [3, 2, 1], seed=0)
    X = np.random.default_rng(1).normal(size=(samples, 2)).tolist()
    out = loss([model(x) for x in X], [[1.0], [0.0], [1.0], [0.0]][:samples])
    out.backward()
    return model, out


def test_the_samples_of_a_batch_loss_are_found_from_its_structure():
    model, loss = batch_loss(3)
    batch = Batch.of(loss)
    assert batch is not None and len(batch) == 3
    params = set(model.parameters())
    for n in range(3):
        part = batch.part(n)
        assert params <= part and loss in part  # the shared parameters and the reduction
        zs = [node for node in part if node.label == "z1[0]"]
        assert len(zs) == 1 and batch.owner[zs[0]] == n
        assert not any(batch.owner.get(node) not in (None, n) for node in part)
    names = batch.names()
    z = next(node for node in batch.part(2) if node.label == "z2[1]")
    assert names(z) == "z2[1]@2" and names(batch.costs[1]) == "C_1"  # the loss names it after its sample
    assert names(next(iter(params))) is None  # shared: the default name


def test_one_sample_or_a_sum_of_one_samples_outputs_is_not_a_batch():
    _, one = batch_loss(1)
    assert Batch.of(one) is None
    assert Batch.of(mlp()) is None  # a sum over the outputs of one sample shares its hidden nodes
    assert Batch.of(Value(1.0) * 2) is None


def test_draw_mlp_of_one_sample_keeps_its_part_and_names_the_sample():
    _, loss = batch_loss(3)
    whole = draw_mlp_labels(nn.draw_mlp(loss).source)
    assert {"z1[0]@0", "z1[0]@1", "z1[0]@2", "W1[0,0]", "loss"} <= whole
    one = draw_mlp_labels(nn.draw_mlp(loss, sample=1).source)
    assert "z1[0]@1" in one and "z1[0]@0" not in one and "W1[0,0]" in one
    for view in ("neurons", "matrix"):
        assert "layer 1" in nn.draw_mlp(loss, view=view, sample=1).source
        with pytest.raises(ValueError, match=r"loss of a batch of 3 samples: pass sample=0 \(or any of 0\.\.2\)"):
            nn.draw_mlp(loss, view=view)
    with pytest.raises(ValueError, match=r"sample=3 is out of range: this batch has samples 0\.\.2"):
        nn.draw_mlp(loss, sample=3)
    with pytest.raises(ValueError, match="not the loss of a batch"):
        nn.draw_mlp(mlp(), sample=0)


def draw_mlp_labels(source):
    return set(re.findall(r"<b>([^<]+)</b>", source)) | set(re.findall(r'<font color="#6b7280">([^<]+)</font>', source))


def test_the_advice_for_a_graph_too_big_works_when_followed():
    _, loss = batch_loss(4)
    size = len(topological_order(loss))
    part = len(Batch.of(loss).part(0))
    limit = (size + part) // 2  # the whole graph is too big, one sample's part is not
    with pytest.raises(ValueError, match=r"sample=0 draws one sample's part") as refused:
        nn.draw_mlp(loss, max_nodes=limit)
    assert "view='neurons', sample=0" in str(refused.value)  # the neuron view of a batch needs a sample
    nn.draw_mlp(loss, sample=0, max_nodes=limit)
    for view in re.findall(r"view='(\w+)', sample=0", str(refused.value)):
        nn.draw_mlp(loss, view=view, sample=0, max_nodes=limit)
    with pytest.raises(ValueError, match=r"MLPStepper\(loss, sample=0\)") as refused:
        nn.MLPStepper(loss, max_nodes=limit)
    assert "LayerStepper" in str(refused.value)
    with pytest.raises(ValueError) as refused:  # not even one sample fits: no sample= advice
        nn.draw_mlp(loss, max_nodes=part - 1)
    assert "sample=0 draws one sample's part" not in str(refused.value)
    assert "view='matrix', sample=0" in str(refused.value)
    nn.draw_mlp(loss, view="matrix", sample=0, max_nodes=part - 1)
    with pytest.raises(ValueError, match="keep="):
        Stepper(loss, max_nodes=limit)  # the engine's own advice: generic


def test_mlp_stepper_of_one_sample_steps_its_part_with_sample_names(needs_dot):
    _, loss = batch_loss(3)
    batch = Batch.of(loss)
    stepper = nn.MLPStepper(loss, sample=2)
    part = batch.part(2)
    assert all(step.node in part for step in stepper.steps)
    assert len(stepper.steps) == sum(1 for node in part if node.parents)
    page = stepper.html
    assert "z1[0]@2" in page and "@1" not in page and "@0" not in page
    assert "the part of sample 2 of 3" in page
    assert "Only part of the graph is shown" in page
    whole = nn.MLPStepper(loss)
    assert "z1[0]@0" in whole.html and "z1[0]@2" in whole.html


def test_engine_hooks_keep_and_names(needs_dot):
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    c = a * b
    out = c + a
    source = draw(out, names=lambda node: "the product" if node is c else None, keep={out, c, a}).source
    assert "the product" in source and "<b>b</b>" not in source and "<b>a</b>" in source
    assert source.count(" -> ") == 3  # a -> c, c -> out, a -> out; not b -> c
    with pytest.raises(ValueError, match="must include the root"):
        draw(out, keep={a})
    with pytest.raises(ValueError, match="must be a node of the graph"):
        draw(out, keep={out, Value(1.0)})
    with pytest.raises(TypeError, match="names: expected a str or None"):
        draw(out, names=lambda node: 3)
    stepper = Stepper(out, keep={out, c}, names=lambda node: "P" if node is c else None)
    assert [s.node for s in stepper.steps] == [out, c]
    assert '"P.grad += ∂#2/∂P × #2.grad = "' in stepper.html  # out: the 2nd unlabelled node in reading order


def test_the_engine_suggests_a_larger_max_nodes_only_when_that_would_not_be_refused():
    a = Value(1.0, label="a")
    costly = a
    for _ in range(100):
        costly = costly + a  # one leaf feeding every node of a chain: a layout dot would take minutes on
    with pytest.raises(ValueError, match="keep=") as refused:
        Stepper(costly, max_nodes=50)
    assert "larger max_nodes" not in str(refused.value)
    with pytest.raises(ValueError, match="keep=") as refused:
        draw(costly, max_nodes=50)
    assert "larger max_nodes" not in str(refused.value)
    cheap = a
    for _ in range(100):
        cheap = cheap * 1.5
    with pytest.raises(ValueError, match="or pass a larger max_nodes"):
        draw(cheap, max_nodes=50)
    draw(cheap, max_nodes=200)
