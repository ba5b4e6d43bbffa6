"""nn.init: gains, fan computation, and the statistics of each initialiser on large tensors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import init


@pytest.mark.parametrize("name, param, gain", [
    ("linear", None, 1.0), ("conv2d", None, 1.0), ("sigmoid", None, 1.0), ("tanh", None, 5 / 3),
    ("relu", None, math.sqrt(2)), ("leaky_relu", None, math.sqrt(2 / (1 + 0.01**2))),
    ("leaky_relu", 0.2, math.sqrt(2 / 1.04)), ("leaky_relu", math.sqrt(5), math.sqrt(1 / 3)), ("selu", None, 0.75),
])
def test_calculate_gain(name, param, gain):
    assert init.calculate_gain(name, param) == pytest.approx(gain)


def test_calculate_gain_rejects_unknown():
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")


def test_fan_in_and_fan_out():
    assert init.calculate_fan_in_and_fan_out(tg.zeros(4, 3)) == (3, 4)
    assert init._calculate_fan_in_and_fan_out(tg.zeros(8, 2, 3, 5)) == (30, 120)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.calculate_fan_in_and_fan_out(tg.zeros(3))


FAN_IN, FAN_OUT = 300, 200


@pytest.mark.parametrize("fn, kind, spread", [
    (lambda t: init.kaiming_normal_(t, nonlinearity="relu"), "normal", math.sqrt(2 / FAN_IN)),
    (lambda t: init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"), "normal", math.sqrt(2 / FAN_OUT)),
    (lambda t: init.kaiming_uniform_(t, nonlinearity="relu"), "uniform", math.sqrt(6 / FAN_IN)),
    (lambda t: init.kaiming_uniform_(t, a=math.sqrt(5)), "uniform", 1 / math.sqrt(FAN_IN)),
    (lambda t: init.xavier_normal_(t), "normal", math.sqrt(2 / (FAN_IN + FAN_OUT))),
    (lambda t: init.xavier_uniform_(t, gain=2.0), "uniform", 2 * math.sqrt(6 / (FAN_IN + FAN_OUT))),
    (lambda t: init.normal_(t, 0.0, 0.3), "normal", 0.3),
    (lambda t: init.uniform_(t, -0.5, 0.5), "uniform", 0.5),
], ids=["kaiming_normal", "kaiming_normal_fan_out", "kaiming_uniform", "kaiming_uniform_a", "xavier_normal",
        "xavier_uniform", "normal", "uniform"])
def test_initialiser_statistics(fn, kind, spread):
    tg.manual_seed(0)
    weight = nn.Parameter(tg.zeros(FAN_OUT, FAN_IN))
    assert fn(weight) is weight
    values = weight.numpy()
    assert weight.requires_grad and weight.is_leaf and weight.dtype == np.float32
    assert abs(values.mean()) < 0.01 * spread * 10
    if kind == "normal":
        assert values.std() == pytest.approx(spread, rel=0.01)
    else:
        assert np.abs(values).max() <= spread * (1 + 1e-6)
        assert values.std() == pytest.approx(spread / math.sqrt(3), rel=0.01)


def test_kaiming_normal_on_conv_weight_uses_receptive_field():
    tg.manual_seed(1)
    weight = init.kaiming_normal_(tg.zeros(64, 16, 5, 5), nonlinearity="relu")
    assert weight.numpy().std() == pytest.approx(math.sqrt(2 / (16 * 25)), rel=0.02)


def test_constant_fills_and_seeded_reproducibility():
    t = tg.zeros(3, 2, requires_grad=True)
    assert np.array_equal(init.constant_(t, 0.7).numpy(), np.full((3, 2), 0.7, dtype=np.float32))
    assert np.array_equal(init.ones_(t).numpy(), np.ones((3, 2)))
    assert np.array_equal(init.zeros_(t).numpy(), np.zeros((3, 2)))
    assert t.grad_fn is None
    tg.manual_seed(5)
    first = nn.Linear(4, 3).weight.numpy().copy()
    tg.manual_seed(5)
    assert np.array_equal(first, nn.Linear(4, 3).weight.numpy())


def test_trunc_normal_orthogonal_eye():
    tg.manual_seed(2)
    t = init.trunc_normal_(tg.zeros(100, 100), std=1.0, a=-1.0, b=1.5)
    assert t.numpy().min() >= -1.0 and t.numpy().max() <= 1.5
    q = init.orthogonal_(tg.zeros(3, 5, dtype=np.float64)).numpy()
    np.testing.assert_allclose(q @ q.T, np.eye(3), atol=1e-12)
    assert np.array_equal(init.eye_(tg.zeros(2, 3)).numpy(), np.eye(2, 3))
