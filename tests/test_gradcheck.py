"""tg.gradcheck / gradgradcheck themselves: they pass on correct gradients, and fail with a readable
table when a backward formula is wrong, in full and in fast (directional) mode."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.gradcheck import GradcheckError


class OffByOnePercent(tg.Function):
    """x^2 with a backward that is 1% too large."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x * 2.02


def double(shape, seed=0):
    return tg.tensor(np.random.default_rng(seed).uniform(0.5, 2.0, shape), dtype=np.float64, requires_grad=True)


@pytest.mark.parametrize("fast_mode", [False, True])
def test_correct_gradients_pass(fast_mode):
    x, w = double((3, 4)), double((4, 2), seed=1)
    assert tg.gradcheck(lambda x, w: (x @ w).tanh() * x.sum(), [x, w], fast_mode=fast_mode)
    assert tg.gradgradcheck(lambda x, w: (x @ w).tanh(), [x, w], fast_mode=fast_mode)


def test_a_wrong_backward_gives_a_table_naming_input_and_element():
    x = double((2, 3))
    with pytest.raises(GradcheckError) as info:
        tg.gradcheck(OffByOnePercent.apply, [x])
    message = str(info.value)
    assert "analytic" in message and "numerical" in message and "element" in message
    assert "(0, 0)" in message and len(info.value.rows) == 6
    for row in info.value.rows:
        _, _, _, analytic, numerical, _ = row
        assert analytic == pytest.approx(numerical * 1.01, rel=1e-6)
    assert tg.gradcheck(OffByOnePercent.apply, [x], raise_exception=False) is False


def test_fast_mode_catches_a_wrong_backward():
    with pytest.raises(GradcheckError, match="directional derivatives"):
        tg.gradcheck(OffByOnePercent.apply, [double((5, 5))], fast_mode=True)


def test_float32_inputs_are_refused_with_advice():
    with pytest.raises(TypeError, match="float64"):
        tg.gradcheck(lambda x: x * 2, [tg.ones(3, requires_grad=True)])


def test_fast_mode_checks_a_large_model():
    tg.set_default_dtype(np.float64)
    try:
        tg.manual_seed(0)
        model = nn.Sequential(nn.Linear(300, 300), nn.Tanh(), nn.Linear(300, 30))
    finally:
        tg.set_default_dtype(np.float32)
    params = list(model.parameters())
    assert sum(p.size for p in params) > 90_000
    x = tg.tensor(np.random.default_rng(0).standard_normal((4, 300)))
    # the parameters are the checked inputs: perturbing them in place perturbs the model
    assert tg.gradcheck(lambda *weights: model(x).sum(), params, fast_mode=True)


def test_user_facing_strategies_write_a_gradient_suite_in_a_few_lines():
    from hypothesis import given, settings

    from tinygrad_edu import testing

    class Hypot(tg.Function):
        """sqrt(x^2 + y^2), a custom op with broadcasting inputs."""

        @staticmethod
        def forward(ctx, x, y):
            out = np.sqrt(x * x + y * y)
            ctx.save_for_backward(x, y, out)
            return out

        @staticmethod
        def backward(ctx, g):
            x, y, out = ctx.saved_tensors
            return g * x / out, g * y / out

    @settings(max_examples=15)
    @given(testing.broadcastable_tensors(2, low=0.5, high=2.0))
    def check(pair):
        testing.assert_grads_close(Hypot.apply, list(pair), second_order=True)

    check()
