"""Bad input gets a clear error (type, op name and shapes in the message), never a wrong answer."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg


def ones(*shape: int, requires_grad: bool = False) -> tg.Tensor:
    return tg.tensor(np.ones(shape), requires_grad=requires_grad)


def assert_mentions(err: pytest.ExceptionInfo, *fragments: str) -> None:
    """The message of `err` contains every fragment (op names, shapes)."""
    message = str(err.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} missing from {message!r}"


# ----------------------------------------------------------------------------------------------
# shape mismatches


@pytest.mark.parametrize("op, name", [
    (lambda a, b: a + b, "Add"),
    (lambda a, b: a - b, "Sub"),
    (lambda a, b: a * b, "Mul"),
    (lambda a, b: a / b, "Div"),
    (lambda a, b: a.maximum(b), "Maximum"),
])
@pytest.mark.parametrize("requires_grad", [False, True])
def test_broadcast_mismatch(op, name, requires_grad):
    a, b = ones(2, 3, requires_grad=requires_grad), ones(4)
    with pytest.raises(ValueError) as err:
        op(a, b)
    assert_mentions(err, name, "(2, 3)", "(4,)")


@pytest.mark.parametrize("x_shape, y_shape", [((2, 3), (2, 3)), ((3,), (4,)), ((5, 2, 3), (4,)), ((2, 3), (4, 5))])
def test_matmul_mismatch_names_both_shapes(x_shape, y_shape):
    with pytest.raises(ValueError) as err:
        ones(*x_shape, requires_grad=True) @ ones(*y_shape)
    assert_mentions(err, "matmul", str(x_shape), str(y_shape))


def test_matmul_batch_mismatch_names_both_shapes():
    with pytest.raises(ValueError) as err:
        ones(2, 2, 3) @ ones(3, 3, 4)
    assert_mentions(err, "MatMul", "(2, 2, 3)", "(3, 3, 4)")


def test_matmul_of_scalar():
    with pytest.raises(ValueError) as err:
        tg.tensor(2.0) @ ones(3)
    assert_mentions(err, "matmul", "()", "(3,)")


def test_cat_mismatch():
    with pytest.raises(ValueError) as err:
        tg.cat([ones(2, 3), ones(2, 4)], axis=0)
    assert_mentions(err, "cat", "(2, 3)", "(2, 4)")


def test_cat_different_ndim():
    with pytest.raises(ValueError) as err:
        tg.cat([ones(2, 3), ones(3)], axis=0)
    assert_mentions(err, "cat", "(2, 3)", "(3,)")


def test_stack_mismatch():
    with pytest.raises(ValueError) as err:
        tg.stack([ones(2, 3), ones(3, 2)])
    assert_mentions(err, "stack", "(2, 3)", "(3, 2)")


def test_reshape_incompatible_size():
    with pytest.raises(ValueError) as err:
        ones(2, 3).reshape(4, 2)
    assert_mentions(err, "reshape", "(2, 3)", "(4, 2)")
    with pytest.raises(ValueError) as err:
        ones(2, 3).reshape(4, -1)
    assert_mentions(err, "reshape", "(2, 3)")


def test_expand_incompatible():
    with pytest.raises(ValueError) as err:
        ones(2, 3).expand(3, 3)
    assert_mentions(err, "expand", "(2, 3)", "(3, 3)")


def test_where_mismatch():
    with pytest.raises(ValueError) as err:
        tg.where(np.array([True, False]), ones(2, 3), ones(2, 3))
    assert_mentions(err, "Where", "(2,)", "(2, 3)")


def test_conv2d_channel_mismatch():
    with pytest.raises(ValueError) as err:
        tg.conv2d(ones(1, 3, 5, 5), ones(2, 2, 3, 3))
    assert_mentions(err, "conv2d", "(1, 3, 5, 5)", "(2, 2, 3, 3)")


def test_conv2d_groups_mismatch():
    with pytest.raises(ValueError) as err:
        tg.conv2d(ones(1, 4, 5, 5), ones(3, 2, 3, 3), groups=2)
    assert_mentions(err, "conv2d", "groups=2", "(3, 2, 3, 3)")


def test_conv2d_kernel_larger_than_input():
    with pytest.raises(ValueError) as err:
        tg.conv2d(ones(1, 2, 2, 2), ones(3, 2, 3, 3))
    assert "(3, 3)" in str(err.value) and "(2, 2)" in str(err.value)


def test_pool_needs_4d_input():
    with pytest.raises(ValueError) as err:
        tg.max_pool2d(ones(2, 2), 2)
    assert_mentions(err, "max_pool2d", "(2, 2)")


@pytest.mark.parametrize("pool", ["max_pool2d", "avg_pool2d"])
def test_pool_kernel_larger_than_input_names_the_pool(pool):
    with pytest.raises(ValueError) as err:
        getattr(tg.nn.functional, pool)(ones(1, 1, 2, 2), 3)
    assert_mentions(err, pool, "(3, 3)", "(2, 2)")


@pytest.mark.parametrize("make, name", [
    (lambda: tg.linspace(0.0, 1.0, -3), "linspace"),
    (lambda: tg.eye(-2), "eye"),
    (lambda: tg.nn.Linear(-1, 3), "Linear"),
    (lambda: tg.nn.Embedding(-1, 2), "Embedding"),
])
def test_negative_sizes_are_refused_naming_the_maker(make, name):
    with pytest.raises(ValueError) as err:
        make()
    assert_mentions(err, name, "-")


def test_manual_seed_takes_any_int_and_refuses_other_types():
    first = tg.manual_seed(-1).random(3)
    np.testing.assert_array_equal(tg.manual_seed(2**64 - 1).random(3), first)  # negative seeds wrap, as in PyTorch
    with pytest.raises(TypeError, match="manual_seed"):
        tg.manual_seed(1.5)


def test_inplace_shape_mismatch():
    x = ones(4)
    with pytest.raises(ValueError) as err:
        x += ones(2, 4)
    assert_mentions(err, "add_", "(4,)", "(2, 4)")


# ----------------------------------------------------------------------------------------------
# axes


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "prod", "var", "std", "logsumexp", "softmax",
                                  "log_softmax", "argmax", "argmin"])
@pytest.mark.parametrize("axis", [2, -3])
def test_axis_out_of_range(name, axis):
    with pytest.raises(IndexError) as err:
        getattr(ones(2, 3), name)(axis=axis)
    assert_mentions(err, name if name != "std" else "var", f"axis {axis}", "2 dimensions")


def test_axis_tuple_out_of_range():
    with pytest.raises(IndexError) as err:
        ones(2, 3).sum(axis=(0, 5))
    assert_mentions(err, "sum", "axis 5")


def test_squeeze_and_permute_bad_axes():
    with pytest.raises(IndexError) as err:
        ones(2, 3).squeeze(3)
    assert_mentions(err, "squeeze", "axis 3")
    with pytest.raises(ValueError) as err:
        ones(2, 3).permute(0, 0)
    assert_mentions(err, "permute", "(2, 3)")


def test_split_sizes_must_sum_to_axis():
    with pytest.raises(ValueError) as err:
        ones(2, 3).split([1, 1], axis=1)
    assert_mentions(err, "split", "[1, 1]", "size 3")


# ----------------------------------------------------------------------------------------------
# backward misuse


def test_backward_on_non_scalar_without_gradient():
    with pytest.raises(RuntimeError) as err:
        (ones(2, 3, requires_grad=True) * 2).backward()
    assert_mentions(err, "backward", "(2, 3)", "gradient")


def test_backward_with_gradient_of_wrong_shape():
    with pytest.raises(RuntimeError) as err:
        (ones(2, 3, requires_grad=True) * 2).backward(gradient=np.ones(3))
    assert_mentions(err, "backward", "(3,)", "(2, 3)")


def test_backward_on_tensor_not_requiring_grad():
    with pytest.raises(RuntimeError) as err:
        ones(2, 3).sum().backward()
    assert_mentions(err, "backward", "does not require grad")


def test_backward_on_result_of_no_grad():
    x = ones(2, requires_grad=True)
    with tg.no_grad():
        y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_grad_of_input_not_requiring_grad():
    x, c = ones(2, requires_grad=True), ones(2)
    with pytest.raises(RuntimeError) as err:
        tg.grad((x * c).sum(), c)
    assert_mentions(err, "grad", "(2,)", "does not require grad")


# ----------------------------------------------------------------------------------------------
# requires_grad on integer tensors


@pytest.mark.parametrize("make", [
    lambda: tg.tensor([1, 2], requires_grad=True),
    lambda: tg.arange(3).requires_grad_(),
    lambda: tg.tensor([True, False], requires_grad=True),
    lambda: tg.zeros(2, dtype=np.int32, requires_grad=True),
])
def test_integer_and_bool_tensors_cannot_require_grad(make):
    with pytest.raises(RuntimeError) as err:
        make()
    assert_mentions(err, "requires_grad", "floating point")


def test_setting_requires_grad_attribute_on_int_tensor():
    t = tg.tensor([1, 2])
    with pytest.raises(RuntimeError, match="int64"):
        t.requires_grad = True
    assert not t.requires_grad


# ----------------------------------------------------------------------------------------------
# conversions and data


def test_item_on_non_scalar():
    with pytest.raises(ValueError) as err:
        ones(2, 3).item()
    assert_mentions(err, "item", "(2, 3)")


def test_bool_of_non_scalar():
    with pytest.raises(RuntimeError) as err:
        bool(ones(2))
    assert_mentions(err, "(2,)", "ambiguous")


@pytest.mark.parametrize("data", [
    np.array([object(), object()], dtype=object),
    ["a", "b"],
    np.array(["x"]),
    [1 + 2j],
])
def test_unsupported_dtypes_in_tensor(data):
    with pytest.raises(TypeError) as err:
        tg.tensor(data)
    assert_mentions(err, "tensor", "unsupported dtype")


def test_unsupported_dtype_argument():
    with pytest.raises(TypeError, match="unsupported dtype"):
        tg.tensor([1.0], dtype=str)


def test_ragged_list():
    with pytest.raises(ValueError) as err:
        tg.tensor([[1, 2], [3]])
    assert_mentions(err, "tensor")


def test_arithmetic_with_string_names_op():
    with pytest.raises(TypeError) as err:
        ones(2) + "x"
    assert_mentions(err, "Add", "(2,)")


# ----------------------------------------------------------------------------------------------
# indexing


@pytest.mark.parametrize("index", [5, -3, (0, 3), [0, 2], (slice(None), [0, 3])])
@pytest.mark.parametrize("requires_grad", [False, True])
def test_getitem_out_of_range(index, requires_grad):
    with pytest.raises(IndexError) as err:
        ones(2, 3, requires_grad=requires_grad)[index]
    assert_mentions(err, "getitem", "(2, 3)", "out of bounds")


def test_getitem_bool_mask_of_wrong_length():
    with pytest.raises(IndexError) as err:
        ones(2, 3)[np.array([True, False, True])]
    assert_mentions(err, "getitem", "(2, 3)")


def test_getitem_float_index_array():
    with pytest.raises(IndexError) as err:
        ones(3)[np.array([0.0, 1.0])]
    assert_mentions(err, "getitem", "float64")


@pytest.mark.parametrize("index", [7, -5, [1, 9], np.array([0, 4])])
def test_setitem_out_of_range(index):
    x = tg.tensor(np.arange(4.0))
    with pytest.raises(IndexError) as err:
        x[index] = 1.0
    assert_mentions(err, "setitem", "(4,)", "out of bounds")
    np.testing.assert_array_equal(x.numpy(), np.arange(4.0))


def test_setitem_out_of_range_while_recording():
    h = ones(2, 3, requires_grad=True) * 2
    node = h.grad_fn
    with pytest.raises(IndexError) as err:
        h[0, 9] = 1.0
    assert_mentions(err, "setitem", "(2, 3)")
    assert h.grad_fn is node
    np.testing.assert_array_equal(h.numpy(), np.full((2, 3), 2.0))


@pytest.mark.parametrize("index", [[[0, 3], [1, 1]], [[0, -1], [1, 1]]])
@pytest.mark.parametrize("requires_grad", [False, True])
def test_gather_index_out_of_range(index, requires_grad):
    with pytest.raises(IndexError) as err:
        ones(2, 3, requires_grad=requires_grad).gather(1, np.array(index))
    assert_mentions(err, "gather", "(2, 3)", "out of range")


def test_gather_index_with_wrong_ndim():
    with pytest.raises(ValueError) as err:
        ones(2, 3).gather(1, np.array([0, 1]))
    assert_mentions(err, "gather", "(2, 3)")


def test_gather_float_index():
    with pytest.raises(TypeError, match="gather"):
        ones(2, 3).gather(1, np.array([[0.0], [1.0]]))


@pytest.mark.parametrize("index", [[0, 2], [-1]])
def test_index_select_out_of_range(index):
    with pytest.raises(IndexError) as err:
        ones(2, 3).index_select(0, np.array(index))
    assert_mentions(err, "index_select", "(2, 3)", "out of range")


# ----------------------------------------------------------------------------------------------
# a failed operation loses nothing


def test_failed_inplace_leaves_tensor_unchanged():
    x = tg.tensor(np.arange(4.0))
    with pytest.raises(ValueError):
        x += ones(2, 4)
    np.testing.assert_array_equal(x.numpy(), np.arange(4.0))
    assert x._version == 0


def test_failed_inplace_on_nonleaf_keeps_graph():
    x = ones(2, 3, requires_grad=True)
    h = x * 2
    node = h.grad_fn
    for bad in (ones(4), ones(5, 2, 3)):
        with pytest.raises(ValueError):
            h += bad
        assert h.grad_fn is node
        np.testing.assert_array_equal(h.numpy(), np.full((2, 3), 2.0))
    h.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 2.0))


def test_failed_setitem_with_partly_valid_index_writes_nothing():
    x = tg.tensor(np.arange(4.0))
    with pytest.raises(IndexError):
        x[np.array([1, 9])] = np.array([5.0, 6.0])
    np.testing.assert_array_equal(x.numpy(), np.arange(4.0))


def test_failed_op_leaves_inputs_unchanged():
    a, b = ones(2, 3, requires_grad=True), ones(4)
    with pytest.raises(ValueError):
        a @ b
    with pytest.raises(ValueError):
        a + b
    np.testing.assert_array_equal(a.numpy(), np.ones((2, 3)))
    np.testing.assert_array_equal(b.numpy(), np.ones(4))
    assert a.grad is None and a.is_leaf


def test_refused_leaf_inplace_keeps_values():
    w = ones(3, requires_grad=True)
    with pytest.raises(RuntimeError) as err:
        w -= 0.1
    assert_mentions(err, "sub_", "leaf", "no_grad")
    np.testing.assert_array_equal(w.numpy(), np.ones(3))
