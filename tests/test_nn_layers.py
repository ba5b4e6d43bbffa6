"""Layers: a ModuleInfo-style table gradchecked in float64 with respect to inputs and parameters
(train and eval mode where they differ), BatchNorm statistics, Dropout, shapes and bad input."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn


pytestmark = pytest.mark.usefixtures("float64_default")  # every test here runs in float64


def sample(*shape: int, seed: int = 0) -> tg.Tensor:
    return tg.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


# (factory, input shape, modes, output shape)
MODULES = [
    (lambda: nn.Linear(3, 2), (4, 3), ("train",), (4, 2)),
    (lambda: nn.Linear(3, 2, bias=False), (2, 2, 3), ("train",), (2, 2, 2)),
    (lambda: nn.Conv2d(2, 3, 3, padding=1), (2, 2, 4, 4), ("train",), (2, 3, 4, 4)),
    (lambda: nn.Conv2d(4, 2, (2, 3), stride=2, dilation=(1, 2), groups=2), (1, 4, 5, 7), ("train",), (1, 2, 2, 2)),
    (lambda: nn.Conv2d(2, 2, 3, padding=1, padding_mode="reflect"), (1, 2, 4, 4), ("train",), (1, 2, 4, 4)),
    (lambda: nn.MaxPool2d(2), (2, 2, 4, 4), ("train",), (2, 2, 2, 2)),
    (lambda: nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), (1, 2, 6, 5), ("train",), (1, 2, 4, 3)),
    (lambda: nn.AvgPool2d(2), (2, 2, 4, 4), ("train",), (2, 2, 2, 2)),
    (lambda: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), (1, 2, 5, 5), ("train",), (1, 2, 3, 3)),
    (lambda: nn.Flatten(), (2, 3, 2, 2), ("train",), (2, 12)),
    (lambda: nn.BatchNorm1d(3), (5, 3), ("train", "eval"), (5, 3)),
    (lambda: nn.BatchNorm1d(2, momentum=None), (3, 2, 4), ("train", "eval"), (3, 2, 4)),
    (lambda: nn.BatchNorm2d(2), (3, 2, 2, 3), ("train", "eval"), (3, 2, 2, 3)),
    (lambda: nn.BatchNorm2d(2, affine=False, track_running_stats=False), (3, 2, 2, 2), ("train", "eval"),
     (3, 2, 2, 2)),
    (lambda: nn.LayerNorm(4), (3, 4), ("train",), (3, 4)),
    (lambda: nn.LayerNorm((2, 3)), (2, 2, 3), ("train",), (2, 2, 3)),
    (lambda: nn.Dropout(0.4), (4, 5), ("train", "eval"), (4, 5)),
    (lambda: nn.Identity(), (2, 3), ("train",), (2, 3)),
    (lambda: nn.ReLU(), (3, 4), ("train",), (3, 4)),
    (lambda: nn.Sigmoid(), (3, 4), ("train",), (3, 4)),
    (lambda: nn.Tanh(), (3, 4), ("train",), (3, 4)),
    (lambda: nn.LeakyReLU(0.1), (3, 4), ("train",), (3, 4)),
    (lambda: nn.GELU(), (3, 4), ("train",), (3, 4)),
    (lambda: nn.GELU("tanh"), (3, 4), ("train",), (3, 4)),
    (lambda: nn.ELU(), (3, 4), ("train",), (3, 4)),
    (lambda: nn.Softplus(beta=2.0), (3, 4), ("train",), (3, 4)),
    (lambda: nn.Softmax(dim=1), (3, 4), ("train",), (3, 4)),
    (lambda: nn.LogSoftmax(dim=-1), (3, 4), ("train",), (3, 4)),
    (lambda: nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)), (2, 3), ("train",), (2, 2)),
]


@pytest.mark.parametrize("factory, shape, modes, out_shape", MODULES,
                         ids=[repr(case[0]()).split("\n")[0] + str(case[1]) for case in MODULES])
def test_module_gradcheck(factory, shape, modes, out_shape):
    module = factory()
    for mode in modes:
        module.train(mode == "train")
        x = sample(*shape)
        params = list(module.parameters())
        assert all(p.dtype == np.float64 and p.requires_grad for p in params)

        def run(inp, *_params):
            tg.manual_seed(11)  # the same dropout mask on every evaluation
            return module(inp)

        assert run(x).shape == out_shape
        assert tg.gradcheck(run, [x, *params])


def test_dropout_eval_is_identity_and_train_scales():
    x = tg.ones(1000, 20)
    drop = nn.Dropout(0.25)
    out = drop(x).numpy()
    assert set(np.unique(out)) == {0.0, 1 / 0.75}
    assert abs((out == 0).mean() - 0.25) < 0.01
    drop.eval()
    assert np.array_equal(drop(x).numpy(), x.numpy())
    tg.manual_seed(3)
    first = nn.Dropout(0.5)(x).numpy()
    tg.manual_seed(3)
    assert np.array_equal(first, nn.Dropout(0.5)(x).numpy())


@pytest.mark.parametrize("kind, shape", [("BatchNorm1d", (64, 4)), ("BatchNorm1d", (16, 4, 5)),
                                         ("BatchNorm2d", (8, 4, 3, 5))])
def test_batchnorm_train_normalises_and_eval_uses_running_stats(kind, shape):
    layer = getattr(nn, kind)(4)
    rng = np.random.default_rng(1)
    axes = (0,) + tuple(range(2, len(shape)))
    running_mean, running_var = np.zeros(4), np.ones(4)
    for step in range(3):
        data = rng.normal(3.0, 2.5, shape) * np.arange(1, 5).reshape((1, 4) + (1,) * (len(shape) - 2))
        out = layer(tg.tensor(data)).numpy()
        np.testing.assert_allclose(out.mean(axis=axes), 0, atol=1e-10)
        np.testing.assert_allclose(out.var(axis=axes), 1, atol=1e-3)
        n = data.size // 4
        running_mean = 0.9 * running_mean + 0.1 * data.mean(axis=axes)
        running_var = 0.9 * running_var + 0.1 * data.var(axis=axes) * n / (n - 1)
    np.testing.assert_allclose(layer.running_mean.numpy(), running_mean)
    np.testing.assert_allclose(layer.running_var.numpy(), running_var)
    assert layer.num_batches_tracked.item() == 3
    layer.eval()
    with tg.no_grad():
        layer.weight.copy_(np.array([1.0, 2.0, 0.5, -1.0]))
        layer.bias.copy_(np.array([0.0, 1.0, -1.0, 2.0]))
    data = rng.normal(size=shape)
    view = (1, 4) + (1,) * (len(shape) - 2)
    expected = ((data - running_mean.reshape(view)) / np.sqrt(running_var.reshape(view) + 1e-5)
                * layer.weight.numpy().reshape(view) + layer.bias.numpy().reshape(view))
    np.testing.assert_allclose(layer(tg.tensor(data)).numpy(), expected)
    assert layer.num_batches_tracked.item() == 3


def test_batchnorm_momentum_none_is_cumulative_average():
    layer = nn.BatchNorm1d(2, momentum=None)
    batches = [np.random.default_rng(i).normal(i, 1, (5, 2)) for i in range(4)]
    for batch in batches:
        layer(tg.tensor(batch))
    np.testing.assert_allclose(layer.running_mean.numpy(), np.mean([b.mean(axis=0) for b in batches], axis=0))


def test_batchnorm_needs_more_than_one_value_per_channel_in_training():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(tg.ones(1, 3))
    layer = nn.BatchNorm1d(3).eval()
    assert layer(tg.ones(1, 3)).shape == (1, 3)


def test_layernorm_normalises_each_sample():
    data = np.random.default_rng(2).normal(5, 3, (4, 6))
    out = nn.LayerNorm(6)(tg.tensor(data)).numpy()
    np.testing.assert_allclose(out, (data - data.mean(1, keepdims=True)) / np.sqrt(data.var(1, keepdims=True) + 1e-5))


def test_embedding_lookup_gradient_and_padding():
    emb = nn.Embedding(5, 3, padding_idx=1)
    assert np.array_equal(emb.weight.numpy()[1], np.zeros(3))
    index = tg.tensor([[0, 1, 0], [4, 1, 2]])
    out = emb(index)
    np.testing.assert_array_equal(out.numpy(), emb.weight.numpy()[index.numpy()])
    out.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy()[:, 0], [2, 0, 1, 0, 1])
    with pytest.raises(IndexError, match="out of range for 5 embeddings"):
        emb(tg.tensor([5]))
    with pytest.raises(TypeError, match="integer indices"):
        emb(tg.tensor([0.0]))


def test_embedding_weight_is_standard_normal():
    weight = nn.Embedding(400, 100).weight.numpy()
    assert abs(weight.mean()) < 0.01 and abs(weight.std() - 1) < 0.01


@pytest.mark.parametrize("factory, bad_shape, message", [
    (lambda: nn.Linear(3, 4), (2, 5), r"Linear\(in_features=3, out_features=4, bias=True\) expects input with last "
                              r"dimension 3, got shape \(2, 5\)"),
    (lambda: nn.Conv2d(3, 8, 3), (2, 4, 8, 8), r"Conv2d\(3, 8, .*\) expects input of shape \(N, 3, H, W\)"),
    (lambda: nn.Conv2d(3, 8, 3), (3, 8), r"Conv2d.*got shape \(3, 8\)"),
    (lambda: nn.BatchNorm1d(3), (4, 5), r"BatchNorm1d\(3, .*\) expects input of shape \(N, 3\) or \(N, 3, L\), got shape"),
    (lambda: nn.BatchNorm1d(3), (4, 3, 2, 2), r"BatchNorm1d\(3"),
    (lambda: nn.BatchNorm2d(3), (4, 3), r"BatchNorm2d\(3, .*\(N, 3, H, W\)"),
    (lambda: nn.LayerNorm(4), (2, 5), r"LayerNorm\(\(4,\).*last dimensions are \(4,\), got shape \(2, 5\)"),
    (lambda: nn.MaxPool2d(2), (4, 4), r"MaxPool2d.*\(N, C, H, W\)"),
])
def test_bad_input_shape_names_layer_and_expected_shape(factory, bad_shape, message):
    layer = factory()
    with pytest.raises(ValueError, match=message):
        layer(tg.zeros(*bad_shape))


def test_parameter_layouts_equal_pytorch():
    assert nn.Linear(3, 4).weight.shape == (4, 3)
    conv = nn.Conv2d(6, 4, (3, 2), groups=2)
    assert conv.weight.shape == (4, 3, 3, 2) and conv.bias.shape == (4,)
    assert [k for k, _ in nn.BatchNorm2d(3).named_buffers()] == ["running_mean", "running_var", "num_batches_tracked"]
    assert nn.BatchNorm2d(3).num_batches_tracked.dtype == np.int64


def test_default_dtype_applies_to_new_parameters():
    tg.set_default_dtype(np.float32)
    assert all(p.dtype == np.float32 for p in nn.Linear(2, 2).parameters())
    tg.set_default_dtype(np.float64)
    layers = [nn.Linear(2, 2), nn.Conv2d(1, 1, 1), nn.BatchNorm1d(2), nn.LayerNorm(2), nn.Embedding(2, 2)]
    for layer in layers:
        assert all(t.dtype == np.float64 for t in layer.parameters())
    assert layers[2].running_mean.dtype == np.float64


def test_float32_layers_stay_float32():
    tg.set_default_dtype(np.float32)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(16, 3),
                          nn.LayerNorm(3))
    out = model(tg.randn(2, 1, 4, 6))
    assert out.dtype == np.float32
    out.sum().backward()
    assert all(p.grad.dtype == np.float32 for p in model.parameters())


def test_activation_modules_match_formulas():
    data = np.linspace(-3, 3, 13)
    x = tg.tensor(data)
    np.testing.assert_allclose(nn.ReLU()(x).numpy(), np.maximum(data, 0))
    np.testing.assert_allclose(nn.Sigmoid()(x).numpy(), 1 / (1 + np.exp(-data)))
    np.testing.assert_allclose(nn.Tanh()(x).numpy(), np.tanh(data))
    np.testing.assert_allclose(nn.LeakyReLU()(x).numpy(), np.where(data > 0, data, 0.01 * data))
    np.testing.assert_allclose(nn.ELU(0.5)(x).numpy(), np.where(data > 0, data, 0.5 * (np.exp(data) - 1)))
    np.testing.assert_allclose(nn.Softplus()(x).numpy(), np.log1p(np.exp(data)))
    np.testing.assert_allclose(nn.Softmax(dim=0)(x).numpy(), np.exp(data) / np.exp(data).sum())
    np.testing.assert_allclose(nn.LogSoftmax(dim=0)(x).numpy(), data - np.log(np.exp(data).sum()))
    erf = np.vectorize(__import__("math").erf)
    np.testing.assert_allclose(nn.GELU()(x).numpy(), data * 0.5 * (1 + erf(data / np.sqrt(2))))


def test_functional_linear_and_flatten():
    x, w, b = sample(2, 3), sample(4, 3, seed=1), sample(4, seed=2)
    np.testing.assert_allclose(F.linear(x, w, b).numpy(), x.numpy() @ w.numpy().T + b.numpy())
    assert F.flatten(tg.zeros(2, 3, 4), 1).shape == (2, 12)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_pad_modes_match_numpy(mode):
    data = np.arange(12.0).reshape(3, 4)
    numpy_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    out = F.pad(tg.tensor(data), (1, 2, 2, 1), mode=mode)
    np.testing.assert_array_equal(out.numpy(), np.pad(data, ((2, 1), (1, 2)), mode=numpy_mode))


def test_pad_reversed_pairs_convention():
    out = F.pad(tg.zeros(2, 3, 4), (1, 2))
    assert out.shape == (2, 3, 7)
    assert F.pad(tg.zeros(2, 3, 4), (1, 2, 3, 4)).shape == (2, 10, 7)
    with pytest.raises(ValueError, match="even"):
        F.pad(tg.zeros(2), (1,))


def test_one_hot():
    out = F.one_hot(tg.tensor([2, 0, 1]), 4)
    np.testing.assert_array_equal(out.numpy(), np.eye(4, dtype=np.int64)[[2, 0, 1]])
    with pytest.raises(ValueError, match="class values"):
        F.one_hot(tg.tensor([4]), 3)
