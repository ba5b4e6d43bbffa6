"""tg.scalar: Value's gradients against hand-derived derivatives and central differences, and
tg.scalarize's scalar gradients against the tensor engine's."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu.scalar import Value


def test_value_gradients_equal_hand_derived_derivatives():
    a, b = Value(2.0), Value(-3.0)
    c = a * b + a.tanh() / b - a**2 + (a - b).exp().log() + b.relu() + a.relu()
    c.backward()
    assert c.data == pytest.approx(-6 + math.tanh(2) / -3 - 4 + 5 + 0 + 2)
    assert a.grad == pytest.approx(-3 + (1 - math.tanh(2) ** 2) / -3 - 4 + 1 + 1)
    assert b.grad == pytest.approx(2 - math.tanh(2) / 9 - 1)


def test_the_micrograd_neuron():
    """Karpathy's neuron (x1=2, x2=0, w1=-3, w2=1, b=6.88...): o = 0.7071, published gradients."""
    x1, x2, w1, w2, b = Value(2.0), Value(0.0), Value(-3.0), Value(1.0), Value(6.8813735870195432)
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.backward()
    assert o.data == pytest.approx(0.7071, abs=1e-4)
    assert (x1.grad, w1.grad, x2.grad, w2.grad) == pytest.approx((-1.5, 1.0, 0.5, 0.0), abs=1e-6)


def test_a_value_used_twice_adds_up_and_a_second_backward_starts_afresh():
    a = Value(3.0)
    b = a + a  # micrograd issue #53: the gradient of a is 2, not 1
    b.backward()
    b.backward()
    assert a.grad == 2.0


def _expression(x: Value, y: Value) -> Value:
    return x * y - x / (y * y + 1) + (x**3) * 0.1 + (2 ** y) - y.exp().tanh() + (x * x + 1).log() + abs(x)


@given(st.floats(-2, 2).filter(lambda v: abs(v) > 0.05), st.floats(-2, 2))
def test_value_gradients_equal_central_differences(x, y):
    a, b = Value(x), Value(y)
    out = _expression(a, b)
    out.backward()
    h = 1e-6
    for v, grad_v in ((a, a.grad), (b, b.grad)):
        up, down = (Value(x + h), Value(y)) if v is a else (Value(x), Value(y + h)), \
            (Value(x - h), Value(y)) if v is a else (Value(x), Value(y - h))
        numerical = (_expression(*up).data - _expression(*down).data) / (2 * h)
        assert grad_v == pytest.approx(numerical, rel=1e-4, abs=1e-6)


def test_scalarize_a_small_mlp_matches_the_tensor_engine():
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal((3, 2)))
    w1, b1 = tg.tensor(rng.standard_normal((4, 2))), tg.tensor(rng.standard_normal(4))
    w2 = tg.tensor(rng.standard_normal((1, 4)))

    def mlp(x, w1, b1, w2):
        return ((x @ w1.T + b1).tanh() @ w2.T - 0.5).relu().mean() + (w1 ** 2).sum() * 0.01

    scalar = tg.scalarize(mlp, x, w1, b1, w2)
    assert [g.shape for g in scalar.grads] == [(3, 2), (4, 2), (4,), (1, 4)]
    tensors = [tg.tensor(t.numpy().astype(np.float64), requires_grad=True) for t in (x, w1, b1, w2)]
    expected = tg.grad(mlp(*tensors), tensors)
    for got, want in zip(scalar.grads, expected):
        np.testing.assert_allclose(got, want.data, rtol=1e-9, atol=1e-12)
    assert scalar.check()
    assert len(scalar) > 3 * 4 * 2  # at least one multiplication per weight and sample
    assert "data" in scalar.draw().source


def test_scalarize_with_broadcasting_sigmoid_and_indexing():
    x = tg.tensor([[0.5, -1.0, 2.0], [1.5, 0.2, -0.3]])
    y = tg.tensor([0.3, -0.7, 1.1])
    scalar = tg.explain(lambda x, y: (x * y).sigmoid()[:, 1:].sum(axis=0) / (y.exp() + 1.0)[0], [x, y], scalar=True)
    assert scalar.check()


def test_scalarize_names_what_it_cannot_do():
    with pytest.raises(TypeError, match="scalarize: .* the scalar view does not have"):
        tg.scalarize(lambda x: x.softmax(0), tg.tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match="explain\\(scalar=True\\): pass the function"):
        tg.explain(tg.tensor([1.0], requires_grad=True) * 2, scalar=True)


def test_value_draw_shows_data_and_grad():
    a = Value(2.0, label="a")
    out = (a * a).tanh()
    out.backward()
    source = out.draw().source
    assert "a | data 2.0000 | grad" in source and "tanh" in source
