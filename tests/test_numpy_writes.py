"""Writes through `.numpy()` never corrupt a gradient silently: the array of a tensor that
requires grad is a read-only view, and so are the constants an op saved for backward."""

import numpy as np
import pytest

import tinygrad_edu as tg


def test_numpy_of_a_tensor_that_requires_grad_refuses_writes_and_the_gradient_stays_right():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    with pytest.raises(ValueError, match="read-only"):
        x.numpy()[0] = 100.0
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])  # d(x1^2 + x2^2)/dx = 2x at the forward point


def test_numpy_still_shares_memory_for_reading():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    view = x.numpy()
    with tg.no_grad():
        x.data[0] = 5.0  # an optimizer-style update through .data
    assert view[0] == 5.0


def test_np_asarray_follows_numpy():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match="read-only"):
        np.asarray(x)[0] = 3.0
    np.asarray(x.detach())[0] = 3.0  # detached: writable, shared, as documented
    assert x.data[0] == 3.0


def test_detach_numpy_is_writable_and_plain_tensors_stay_writable():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    x.detach().numpy()[1] = 7.0
    assert x.data[1] == 7.0
    t = tg.tensor([1.0, 2.0])
    t.numpy()[0] = 9.0
    assert t.data[0] == 9.0


def test_saved_constants_come_back_read_only():
    class Scale(tg.Function):
        @staticmethod
        def forward(ctx, x):
            factor = np.full(x.shape, 3.0)
            ctx.save_for_backward(factor)
            return x * factor

        @staticmethod
        def backward(ctx, g):
            (factor,) = ctx.saved_tensors
            with pytest.raises(ValueError, match="read-only"):
                factor.numpy()[0] = 0.0
            return g * factor

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    Scale.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
