"""Repros of places where tinygrad_edu silently disagrees with PyTorch's autograd semantics.

Each test pins PyTorch's behaviour with values derived by hand (the derivation is in the test);
PyTorch's own numbers are quoted in comments for reference, but this module never imports torch.
What they check:

1. several outputs where one is computed from another: the gradients of all of them add up;
2. a base written in place after a view of it was taken: the view sees the write and its history;
3. a full integer index (`c[1]`, `c[i, j]`, `c[i][j]`) is a view, so writing into it writes the base;
4. a view of a tensor that needs no grad, written in place with one that does, makes the base need grad;
5. `backward(inputs=[y])` counts the gradient of a non-leaf `y` that retains its grad once;
6. no-op views (same-shape reshape/expand, identity permute, squeeze of nothing, `.T` of a vector)
   are new tensors and new graph nodes;
7. smaller semantics: ties of clamp with tensor bounds, cumsum of a 0-d tensor, dtype promotion
   with 0-d tensors, and PyTorch's placement of an int and an array index separated by `:`/`None`/`...`.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_edu as tg


def T(v):
    """A float64 leaf that requires grad."""
    return tg.tensor(np.array(v, dtype=np.float64), requires_grad=True)


def assert_close(actual, expected):
    """`actual` (a tensor or array) equals `expected` in shape and, to float64 rounding, in value."""
    assert actual is not None, "missing (None)"
    arr = actual.numpy() if isinstance(actual, tg.Tensor) else np.asarray(actual)
    expected = np.asarray(expected, dtype=np.float64)
    assert arr.shape == expected.shape, f"shape {arr.shape}, expected {expected.shape}"
    np.testing.assert_allclose(arr, expected, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------------------------
# 1. several outputs, one computed from another
#
# y = exp(3x), z = 2y + sin(x): dz/dx = 6 e^{3x} + cos(x) (through y and directly), dy/dx = 3 e^{3x};
# at x = 0.5 the sum is 9 e^{1.5} + cos(0.5) (torch: 41.2128).

GRAD_Z_PLUS_Y = 9 * math.exp(1.5) + math.cos(0.5)


def _chain():
    x = T(0.5)
    y = (x * 3.0).exp()
    z = y * 2.0 + x.sin()
    return x, y, z


@pytest.mark.parametrize("order", ["z_y", "y_z"])
def test_grad_of_outputs_where_one_is_computed_from_another(order):
    x, y, z = _chain()
    outputs = [z, y] if order == "z_y" else [y, z]
    (g,) = tg.grad(outputs, [x])
    assert_close(g, GRAD_Z_PLUS_Y)


@pytest.mark.parametrize("order", ["z_y", "y_z"])
def test_backward_of_outputs_where_one_is_computed_from_another(order):
    x, y, z = _chain()
    tg.autograd.backward([z, y] if order == "z_y" else [y, z])
    assert_close(x.grad, GRAD_Z_PLUS_Y)


def test_grad_outputs_weight_outputs_where_one_is_computed_from_another():
    # 2 dz/dx + 5 dy/dx = 2 (6 e^{1.5} + cos 0.5) + 15 e^{1.5}
    x, y, z = _chain()
    (g,) = tg.grad([z, y], [x], grad_outputs=[tg.tensor(np.array(2.0)), tg.tensor(np.array(5.0))])
    assert_close(g, 27 * math.exp(1.5) + 2 * math.cos(0.5))


# ----------------------------------------------------------------------------------------------
# 2. a base changed in place after a view of it was taken: the view sees the new values and
# their history (torch regenerates the view's grad_fn from the base's)


def test_view_sees_base_mul_():
    a = T([1.0, 2.0, 3.0])
    c = a * 1.0
    v = c[1:]
    c.mul_(3.0)
    assert_close(v, [6.0, 9.0])  # v = 3 a[1:]
    v.sum().backward()
    assert_close(a.grad, [0.0, 3.0, 3.0])  # torch: [0., 3., 3.]


def test_transpose_view_sees_base_mul_():
    a = T([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    c = a * 1.0
    v = c.T
    c.mul_(3.0)
    assert_close(v, 3 * np.array([[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]))
    w = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    (v * tg.tensor(w)).sum().backward()  # d/da[i, j] of sum_ji w[j, i] 3 a[i, j] = 3 w[j, i]
    assert_close(a.grad, 3 * w.T)


def test_reshape_view_sees_base_mul_():
    a = T([[1.0, 2.0], [3.0, 4.0]])
    c = a * 1.0
    v = c.reshape(4)
    c.mul_(3.0)
    assert_close(v, [3.0, 6.0, 9.0, 12.0])
    w = np.array([1.0, 2.0, 3.0, 4.0])
    (v * tg.tensor(w)).sum().backward()
    assert_close(a.grad, 3 * w.reshape(2, 2))


def test_view_sees_base_iadd():
    a = T([1.0, 2.0, 3.0])
    b = T([10.0, 20.0, 30.0])
    c = a * 1.0
    v = c[1:]
    c += b * b  # v = a[1:] + b[1:]^2
    assert_close(v, [402.0, 903.0])
    v.sum().backward()
    assert_close(a.grad, [0.0, 1.0, 1.0])
    assert_close(b.grad, [0.0, 40.0, 60.0])  # 2 b[1:]


def test_view_sees_base_exp_():
    a = T([1.0, 2.0, 3.0])
    c = a * 1.0
    v = c[1:]
    c.exp_()
    assert_close(v, np.exp([2.0, 3.0]))
    v.sum().backward()
    assert_close(a.grad, [0.0, math.exp(2.0), math.exp(3.0)])


def test_view_sees_base_setitem():
    a = T([1.0, 2.0, 3.0])
    c = a * 1.0
    v = c[:2]
    c[0] = 5.0  # v = [5, a[1]]: its first entry no longer depends on a
    assert_close(v, [5.0, 2.0])
    (v * tg.tensor(np.array([2.0, 3.0]))).sum().backward()
    assert_close(a.grad, [0.0, 3.0, 0.0])  # torch: [0., 3., 0.]


# ----------------------------------------------------------------------------------------------
# 3. a full integer index is a view


def test_int_index_is_a_view_1d():
    a = T([1.0, 2.0, 3.0])
    c = a * 1.0
    c[1].mul_(10.0)
    assert_close(c, [1.0, 20.0, 3.0])
    c.sum().backward()
    assert_close(a.grad, [1.0, 10.0, 1.0])  # torch: [1., 10., 1.]


@pytest.mark.parametrize("spelling", ["tuple", "chained"])
def test_int_index_is_a_view_2d(spelling):
    a = T([[1.0, 2.0], [3.0, 4.0]])
    c = a * 1.0
    element = c[0, 1] if spelling == "tuple" else c[0][1]
    element.mul_(10.0)
    other = c[1, 0] if spelling == "tuple" else c[1][0]
    other.mul_(7.0)
    assert_close(c, [[1.0, 20.0], [21.0, 4.0]])
    c.sum().backward()
    assert_close(a.grad, [[1.0, 10.0], [7.0, 1.0]])


# ----------------------------------------------------------------------------------------------
# 4. a view of a tensor that needs no grad, written in place with one that does


def test_view_of_buffer_written_with_grad_tensor():
    b = T([1.0, 2.0, 3.0, 4.0])
    buf = tg.zeros(2, 2, dtype=np.float64)
    buf.reshape(-1).add_(b)
    assert_close(buf, [[1.0, 2.0], [3.0, 4.0]])
    assert buf.requires_grad  # torch: buf.grad_fn is CopySlices
    (buf * 2.0).sum().backward()
    assert_close(b.grad, [2.0, 2.0, 2.0, 2.0])


def test_view_of_buffer_written_with_grad_tensor_and_direct_use():
    b = T([1.0, 2.0, 3.0, 4.0])
    buf = tg.zeros(2, 2, dtype=np.float64)
    buf.reshape(-1).add_(b)
    ((buf * 2.0).sum() + b.sum()).backward()
    assert_close(b.grad, [3.0, 3.0, 3.0, 3.0])  # torch: [3., 3., 3., 3.]


def test_slice_of_buffer_written_with_grad_tensor():
    b = T([1.0, 2.0])
    buf = tg.zeros(3, dtype=np.float64)
    buf[1:].mul_(0.0)  # no grad involved yet: a plain write
    buf[1:].add_(b * 3.0)
    assert_close(buf, [0.0, 3.0, 6.0])
    (buf * tg.tensor(np.array([1.0, 2.0, 5.0]))).sum().backward()
    assert_close(b.grad, [6.0, 15.0])


# ----------------------------------------------------------------------------------------------
# 5. backward(inputs=[y]) on a non-leaf that retains its grad


def test_backward_inputs_non_leaf_that_retains_grad_counts_once():
    x = T([1.0, 2.0])
    y = x * 1.0
    y.retain_grad()
    (y * 3.0).sum().backward(inputs=[y])
    assert_close(y.grad, [3.0, 3.0])  # not [6., 6.]
    assert x.grad is None  # torch: None (only the listed inputs accumulate)


def test_autograd_backward_inputs_non_leaf_that_retains_grad_counts_once():
    x = T([1.0, 2.0])
    y = x * 2.0
    y.retain_grad()
    tg.autograd.backward([(y * y).sum()], inputs=[y])
    assert_close(y.grad, [4.0, 8.0])  # 2 y = 4 x
    assert x.grad is None


# ----------------------------------------------------------------------------------------------
# 6. no-op views are new tensors and new graph nodes: d/dy (2 y + x) is 2, not 3


NO_OP_VIEWS = [
    pytest.param([1.0, 2.0], lambda x: x.reshape(2), id="reshape_same_shape"),
    pytest.param([1.0, 2.0], lambda x: x.view(2), id="view_same_shape"),
    pytest.param([1.0, 2.0], lambda x: x.reshape(-1), id="reshape_minus_one_same_shape"),
    pytest.param([1.0, 2.0], lambda x: x.permute(0), id="permute_identity_1d"),
    pytest.param([[1.0, 2.0], [3.0, 4.0]], lambda x: x.permute(0, 1), id="permute_identity_2d"),
    pytest.param([1.0, 2.0], lambda x: x.expand(2), id="expand_same_shape"),
    pytest.param([[1.0, 2.0], [3.0, 4.0]], lambda x: x.expand(-1, 2), id="expand_minus_one_same_shape"),
    pytest.param([1.0, 2.0], lambda x: x.squeeze(), id="squeeze_nothing"),
    pytest.param([1.0, 2.0], lambda x: x.T, id="T_1d"),
]


@pytest.mark.parametrize("value, make_view", NO_OP_VIEWS)
def test_no_op_view_is_a_new_node(value, make_view):
    x = T(value)
    y = make_view(x)
    assert y is not x
    assert_close(y, value)
    (g,) = tg.grad((y * 2 + x).sum(), [y])
    assert_close(g, np.full(np.shape(value), 2.0))
    (gx,) = tg.grad((y * 2 + x).sum(), [x])  # through the view and directly
    assert_close(gx, np.full(np.shape(value), 3.0))


# ----------------------------------------------------------------------------------------------
# 7. smaller semantics


def test_clamp_tensor_min_tie_gives_gradient_to_input():
    x = T([1.0, 2.0, 3.0])
    low = T([2.0, 2.0, 2.0])
    x.clip(low).sum().backward()  # clamp(x, min): at x == min the input gets it all
    assert_close(x.grad, [0.0, 1.0, 1.0])
    assert_close(low.grad, [1.0, 0.0, 0.0])


def test_clamp_tensor_max_tie_gives_gradient_to_input():
    x = T([1.0, 2.0, 3.0])
    high = T([2.0, 2.0, 2.0])
    x.clamp(max=high).sum().backward()
    assert_close(x.grad, [1.0, 1.0, 0.0])
    assert_close(high.grad, [0.0, 0.0, 1.0])


def test_clamp_tensor_both_bounds_ties_give_gradient_to_input():
    x = T([1.0, 2.0, 3.0])
    low = T([2.0, 2.0, 2.0])
    high = T([3.0, 3.0, 3.0])
    x.clamp(low, high).sum().backward()  # x=2 ties min, x=3 ties max: both go to x
    assert_close(x.grad, [0.0, 1.0, 1.0])
    assert_close(low.grad, [1.0, 0.0, 0.0])
    assert_close(high.grad, [0.0, 0.0, 0.0])


@pytest.mark.parametrize("call", [lambda s: s.cumsum(0), lambda s: s.cumsum(dim=0), lambda s: s.cumsum(-1)],
                         ids=["positional", "dim_keyword", "negative"])
def test_cumsum_of_0d_tensor_is_0d(call):
    s = T(2.0)
    out = call(s)
    assert out.shape == ()
    assert_close(out, 2.0)
    out.backward()
    assert_close(s.grad, 1.0)


def test_dimensioned_float32_wins_over_0d_float64():
    x = tg.tensor(np.array([1.0, 2.0], dtype=np.float32))
    s = tg.tensor(np.array(2.0, dtype=np.float64))
    for out in (x * s, s * x, x + s, x / s):
        assert out.dtype == np.float32
    assert_close(x * s, [2.0, 4.0])


def test_0d_float64_wins_over_dimensioned_int64():
    x = tg.tensor(np.array([1, 2], dtype=np.int64))
    s = tg.tensor(np.array(2.5, dtype=np.float64))
    out = x * s
    assert out.dtype == np.float64  # the 0-d operand is of a higher category (float over int)
    assert_close(out, [2.5, 5.0])


def test_two_0d_tensors_promote_normally():
    a = tg.tensor(np.array(1.5, dtype=np.float32))
    b = tg.tensor(np.array(2.0, dtype=np.float64))
    assert (a * b).dtype == np.float64
    assert (b * a).dtype == np.float64


def test_dimensioned_float32_times_0d_float64_gradients_keep_input_dtypes():
    x = tg.tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    s = T(2.0)
    out = x * s
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32 and s.grad.dtype == np.float64
    assert_close(x.grad, [2.0, 2.0])
    assert_close(s.grad, 3.0)  # sum of x


# for `a` of shape (2, 3, 4) holding 0..23, a[i, j, k] = 12 i + 4 j + k. PyTorch applies an int index
# as a select first, so an array separated from it by `:`, `None` or `...` keeps its place.
SEPARATED_INDEX_CASES = [
    # (index, PyTorch's shape, PyTorch's values as (i, j, k) index arrays of the same shape)
    pytest.param((0, slice(None), [1, 2]), (3, 2),
                 (np.zeros((3, 2), int), np.repeat(np.arange(3), 2).reshape(3, 2), np.tile([1, 2], (3, 1))),
                 id="int_slice_array"),
    pytest.param((0, Ellipsis, [1, 2]), (3, 2),
                 (np.zeros((3, 2), int), np.repeat(np.arange(3), 2).reshape(3, 2), np.tile([1, 2], (3, 1))),
                 id="int_ellipsis_array"),
    pytest.param((0, None, [1, 2]), (1, 2, 4),
                 (np.zeros((1, 2, 4), int), np.repeat([1, 2], 4).reshape(1, 2, 4), np.tile(np.arange(4), (1, 2, 1))),
                 id="int_none_array"),
    pytest.param((1, slice(None), [0, 3]), (3, 2),
                 (np.ones((3, 2), int), np.repeat(np.arange(3), 2).reshape(3, 2), np.tile([0, 3], (3, 1))),
                 id="int_slice_array_other_values"),
]


@pytest.mark.parametrize("index, shape, where", SEPARATED_INDEX_CASES)
def test_int_and_separated_array_index_follow_pytorch_placement(index, shape, where):
    a = T(np.arange(24.0).reshape(2, 3, 4))
    out = a[index]
    assert out.shape == shape
    i, j, k = where
    assert_close(out, 12 * i + 4 * j + k)
    w = np.arange(1.0, 1.0 + math.prod(shape)).reshape(shape)
    (out * tg.tensor(w)).sum().backward()
    expected = np.zeros((2, 3, 4))
    np.add.at(expected, (i, j, k), w)  # each picked entry receives the weight of its output position
    assert_close(a.grad, expected)


def test_int_and_separated_array_index_assignment_follows_pytorch_placement():
    a = T(np.arange(24.0).reshape(2, 3, 4))
    v = T([[100.0, 200.0], [300.0, 400.0], [500.0, 600.0]])  # v[j, n] goes to a2[0, j, [1, 2][n]]
    a2 = a * 1.0
    a2[0, :, [1, 2]] = v
    expected = np.arange(24.0).reshape(2, 3, 4)
    expected[0, :, 1:3] = v.numpy()
    assert_close(a2, expected)
    w = np.arange(24.0).reshape(2, 3, 4) + 1.0
    (a2 * tg.tensor(w)).sum().backward()
    overwritten = np.ones((2, 3, 4))
    overwritten[0, :, 1:3] = 0.0
    assert_close(a.grad, w * overwritten)
    assert_close(v.grad, w[0, :, 1:3])


def test_int_and_separated_array_index_assignment_of_ones():
    a2 = T(np.arange(24.0).reshape(2, 3, 4)) * 1.0
    a2[0, :, [1, 2]] = tg.ones(3, 2, dtype=np.float64)
    expected = np.arange(24.0).reshape(2, 3, 4)
    expected[0, :, 1:3] = 1.0
    assert_close(a2, expected)
