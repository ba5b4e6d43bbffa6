"""Module mechanics: registration, traversal, train/eval, zero_grad, state_dict round trips and
load_state_dict errors, containers, apply, requires_grad_, repr."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.act = nn.ReLU()
        self.norm = nn.BatchNorm1d(4)
        self.fc2 = nn.Linear(4, 2, bias=False)
        self.scale = nn.Parameter(tg.ones(1))
        self.register_buffer("steps", tg.zeros(1))
        self.register_buffer("cache", tg.zeros(2), persistent=False)

    def forward(self, x):
        return self.fc2(self.norm(self.act(self.fc1(x)))) * self.scale


EXPECTED_KEYS = ["scale", "steps", "fc1.weight", "fc1.bias", "norm.weight", "norm.bias", "norm.running_mean",
                 "norm.running_var", "norm.num_batches_tracked", "fc2.weight"]


def test_registration_and_traversal_order():
    block = Block()
    assert [n for n, _ in block.named_parameters()] == ["scale", "fc1.weight", "fc1.bias", "norm.weight",
                                                        "norm.bias", "fc2.weight"]
    assert [n for n, _ in block.named_buffers()] == ["steps", "cache", "norm.running_mean", "norm.running_var",
                                                     "norm.num_batches_tracked"]
    assert [n for n, _ in block.named_children()] == ["fc1", "act", "norm", "fc2"]
    assert [n for n, _ in block.named_modules()] == ["", "fc1", "act", "norm", "fc2"]
    assert list(block.children())[0] is block.fc1
    assert len(list(block.modules())) == 5
    assert list(block.state_dict()) == EXPECTED_KEYS
    assert block.fc2.bias is None
    assert len(list(block.parameters(recurse=False))) == 1


def test_shared_parameters_and_modules_are_listed_once():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(model.parameters())) == 2
    assert len(list(model.modules())) == 3


def test_reassigning_and_deleting_attributes():
    block = Block()
    block.fc1 = nn.Linear(3, 4, bias=False)
    assert "fc1.bias" not in block.state_dict()
    block.scale = None
    assert "scale" not in block.state_dict()
    with pytest.raises(TypeError, match="nn.Parameter"):
        block.fc2.weight = tg.ones(2, 4)
    del block.act
    assert "act" not in dict(block.named_children())
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        block.missing


def test_assigning_before_super_init_is_explained():
    class Broken(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="super\\(\\).__init__\\(\\)"):
        Broken()


def test_train_eval_propagate():
    block = Block()
    assert block.training and block.norm.training
    assert block.eval() is block
    assert not any(m.training for m in block.modules())
    block.train()
    assert all(m.training for m in block.modules())


def test_zero_grad_and_requires_grad():
    block = Block()
    block(tg.randn(5, 3)).sum().backward()
    assert all(p.grad is not None for p in block.parameters())
    block.zero_grad(set_to_none=False)
    assert all(np.array_equal(p.grad.numpy(), np.zeros(p.shape)) for p in block.parameters())
    block.zero_grad()
    assert all(p.grad is None for p in block.parameters())
    block.requires_grad_(False)
    assert not any(p.requires_grad for p in block.parameters())


def test_state_dict_round_trip_copies_values():
    source, target = Block(), Block()
    source(tg.randn(6, 3))  # moves running statistics
    missing_unexpected = target.load_state_dict(source.state_dict())
    assert missing_unexpected.missing_keys == [] and missing_unexpected.unexpected_keys == []
    for (key, a), (_, b) in zip(source.state_dict().items(), target.state_dict().items()):
        assert np.array_equal(a.numpy(), b.numpy()), key
        assert a.dtype == b.dtype
    assert target.fc1.weight is not source.fc1.weight
    source.eval()
    target.eval()
    x = tg.randn(4, 3)
    assert np.array_equal(source(x).numpy(), target(x).numpy())


def test_state_dict_values_are_detached_and_share_memory():
    layer = nn.Linear(2, 2)
    state = layer.state_dict()
    assert not state["weight"].requires_grad
    assert np.shares_memory(state["weight"].numpy(), layer.weight.numpy())


def test_load_state_dict_lists_missing_unexpected_and_mismatched():
    block = Block()
    state = block.state_dict()
    state.pop("fc1.bias")
    state["extra.weight"] = tg.ones(1)
    state["fc2.weight"] = tg.ones(3, 5)
    before = block.fc1.weight.numpy().copy()
    with pytest.raises(RuntimeError) as info:
        block.load_state_dict(state)
    message = str(info.value)
    assert "Error(s) in loading state_dict for Block" in message
    assert 'Missing key(s) in state_dict: "fc1.bias"' in message
    assert 'Unexpected key(s) in state_dict: "extra.weight"' in message
    assert "size mismatch for fc2.weight: copying a param with shape (3, 5)" in message
    assert "(2, 4)" in message
    assert np.array_equal(block.fc1.weight.numpy(), before)


def test_load_state_dict_non_strict_returns_keys():
    block = Block()
    state = block.state_dict()
    state.pop("fc1.bias")
    state["extra"] = tg.ones(1)
    result = block.load_state_dict(state, strict=False)
    assert result.missing_keys == ["fc1.bias"] and result.unexpected_keys == ["extra"]
    state["fc1.weight"] = np.zeros((1, 1))
    with pytest.raises(RuntimeError, match="size mismatch for fc1.weight"):
        block.load_state_dict(state, strict=False)


def test_load_state_dict_accepts_arrays_and_keeps_dtype():
    layer = nn.Linear(2, 3)
    layer.load_state_dict({"weight": np.arange(6.0).reshape(3, 2), "bias": [1.0, 2.0, 3.0]})
    assert layer.weight.dtype == np.float32
    np.testing.assert_array_equal(layer.weight.numpy(), np.arange(6.0).reshape(3, 2))


def test_sequential_indexing_len_iteration_append():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    assert len(model) == 2 and isinstance(model[0], nn.Linear) and isinstance(model[-1], nn.ReLU)
    model.append(nn.Linear(3, 1))
    assert len(model) == 3 and [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear"]
    head = model[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[0] is model[0]
    assert model(tg.randn(4, 2)).shape == (4, 1)
    del model[1]
    assert list(model.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    with pytest.raises(IndexError, match="out of range"):
        model[5]
    named = nn.Sequential(OrderedDict([("enc", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert list(named.state_dict()) == ["enc.weight", "enc.bias"] and named.enc is named[0]


def test_module_list_and_dict():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3 and len(list(layers.parameters())) == 6
    layers.append(nn.Linear(2, 1))
    assert list(layers.state_dict())[-1] == "3.bias"
    assert not isinstance(layers, nn.Sequential)
    heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Linear(2, 3)})
    assert set(heads) == {"a", "b"} and "a" in heads and heads["b"].out_features == 3
    assert list(heads.state_dict()) == ["a.weight", "a.bias", "b.weight", "b.bias"]
    with pytest.raises(KeyError, match="no module 'c'"):
        heads["c"]


def test_apply_visits_every_module_children_first():
    visited = []
    Block().apply(lambda m: visited.append(type(m).__name__))
    assert visited == ["Linear", "ReLU", "BatchNorm1d", "Linear", "Block"]

    def init_weights(m):
        if isinstance(m, nn.Linear):
            nn.init.zeros_(m.weight)

    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2)).apply(init_weights)
    assert all(not m.weight.numpy().any() for m in model)


def test_parameter_is_a_leaf_tensor_that_requires_grad():
    p = nn.Parameter(tg.ones(2, 2))
    assert isinstance(p, tg.Tensor) and p.requires_grad and p.is_leaf
    assert nn.Parameter([1.0, 2.0]).dtype == tg.get_default_dtype()
    assert not nn.Parameter(tg.ones(1), requires_grad=False).requires_grad
    assert repr(p).startswith("Parameter containing:\ntensor(")
    with pytest.raises(RuntimeError, match="only floating point"):
        nn.Parameter(tg.tensor([1, 2]))


def test_repr_nested_with_parameter_counts():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Linear(3, 1)))
    assert repr(model) == (
        "Sequential(  # 13 parameters\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(  # 4 parameters\n"
        "    (0): Linear(in_features=3, out_features=1, bias=True)\n"
        "  )\n"
        ")"
    )
    assert repr(nn.Linear(3, 4)) == "Linear(in_features=3, out_features=4, bias=True)"


def test_forward_missing_is_explained():
    with pytest.raises(NotImplementedError, match="define forward"):
        nn.Module()(1)


def test_nn_uses_only_the_public_engine_api():
    import pathlib
    import re

    root = pathlib.Path(nn.__file__).parent
    for path in root.glob("*.py"):
        source = path.read_text()
        assert not re.search(r"tinygrad_edu\.(tensor|autograd|ops)\b|from \.\.|_make\(", source), path.name


def test_to_converts_float_parameters_and_buffers():
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)).double()
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert model[1].running_var.dtype == np.float64 and model[1].num_batches_tracked.dtype == np.int64
    assert model(tg.randn(3, 2, dtype=np.float64)).dtype == np.float64
    assert model.to("cpu") is model and model.float()[0].weight.dtype == np.float32
