"""dtype rules (PyTorch's: floats -> default float dtype, ints -> int64) and reproducible randomness."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg



# ----------------------------------------------------------------------------------------------
# creation


@pytest.mark.parametrize("data, dtype", [
    (1.5, np.float32),
    ([1.0, 2.0], np.float32),
    ([[1.0], [2.5]], np.float32),
    ([1, 2.5], np.float32),
    (3, np.int64),
    ([1, 2, 3], np.int64),
    (True, np.bool_),
    ([True, False], np.bool_),
])
def test_python_data_dtypes(data, dtype):
    assert tg.tensor(data).dtype == dtype


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int8, np.int32, np.int64, np.uint8,
                                   np.bool_])
def test_numpy_arrays_keep_dtype(dtype):
    arr = np.zeros(3, dtype=dtype)
    assert tg.tensor(arr).dtype == dtype
    assert tg.from_numpy(arr).dtype == dtype


def test_tensor_copies_numpy_data_and_from_numpy_shares_it():
    arr = np.zeros(3)
    copied, shared = tg.tensor(arr), tg.from_numpy(arr)
    arr[0] = 1.0
    assert copied.numpy()[0] == 0.0 and shared.numpy()[0] == 1.0


def test_explicit_dtype_overrides():
    assert tg.tensor([1, 2], dtype=np.float64).dtype == np.float64
    assert tg.tensor([1.7, 2.2], dtype=np.int64).tolist() == [1, 2]
    assert tg.zeros(2, dtype=np.int32).dtype == np.int32


@pytest.mark.parametrize("make, dtype", [
    (lambda: tg.zeros(2), np.float32),
    (lambda: tg.ones(2, 3), np.float32),
    (lambda: tg.rand(2), np.float32),
    (lambda: tg.randn(2), np.float32),
    (lambda: tg.normal(0.0, 1.0, (2,)), np.float32),
    (lambda: tg.uniform(0.0, 1.0, (2,)), np.float32),
    (lambda: tg.linspace(0, 1, 5), np.float32),
    (lambda: tg.eye(3), np.float32),
    (lambda: tg.arange(3), np.int64),
    (lambda: tg.arange(0, 1, 0.25), np.float32),
    (lambda: tg.randint(0, 5, (3,)), np.int64),
    (lambda: tg.full((2,), 3), np.int64),
    (lambda: tg.full((2,), 3.0), np.float32),
])
def test_creation_dtypes(make, dtype):
    assert make().dtype == dtype


def test_set_default_dtype_changes_new_tensors(float64_default):
    assert tg.get_default_dtype() == np.float64
    assert tg.tensor([1.0, 2.0]).dtype == np.float64
    assert tg.tensor(0.5).dtype == np.float64
    assert tg.zeros(2).dtype == np.float64
    assert tg.randn(3).dtype == np.float64
    assert tg.tensor([1, 2]).dtype == np.int64
    assert (tg.tensor([1, 2]) / tg.tensor([2, 2])).dtype == np.float64


def test_set_default_dtype_rejects_non_float():
    with pytest.raises(TypeError, match="set_default_dtype"):
        tg.set_default_dtype(np.int32)
    assert tg.get_default_dtype() == np.float32


# ----------------------------------------------------------------------------------------------
# promotion


def test_int_divided_by_int_is_float32():
    out = tg.tensor([1, 3]) / tg.tensor([2, 2])
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), [0.5, 1.5])


@pytest.mark.parametrize("op", [lambda t: t * 1.5, lambda t: t / 2, lambda t: t.mean(), lambda t: t.sqrt(),
                                lambda t: t.exp()])
def test_int_tensor_to_float_gives_default_float(op):
    assert op(tg.tensor([1, 4])).dtype == np.float32


def test_int_arithmetic_stays_int64():
    assert (tg.tensor([1, 2]) + 1).dtype == np.int64
    assert (tg.tensor([1, 2]) * tg.tensor([3, 4])).dtype == np.int64


@pytest.mark.parametrize("scalar", [np.float64(2.0), 2.0, 2, np.int64(2)])
@pytest.mark.parametrize("requires_grad", [False, True])
def test_float32_with_scalars_stays_float32(scalar, requires_grad):
    x = tg.tensor([1.0, 2.0], requires_grad=requires_grad)
    for out in (x * scalar, scalar * x, x + scalar, x - scalar, scalar / x, x ** scalar):
        assert out.dtype == np.float32


def test_float32_plus_int_tensor_is_float32():
    assert (tg.tensor([1.0]) + tg.tensor([2])).dtype == np.float32


def test_float32_with_float64_tensor_gives_float64():
    x = tg.tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    y = tg.tensor(np.ones(2, dtype=np.float64), requires_grad=True)
    out = x * y
    assert out.dtype == np.float64
    out.sum().backward()
    assert x.grad.dtype == np.float32 and y.grad.dtype == np.float64


def test_float32_mlp_forward_and_backward_stays_float32():
    tg.manual_seed(0)
    x = tg.randn(8, 5)
    labels = tg.randint(0, 3, (8,))
    w1 = (tg.randn(5, 16) * 0.3).requires_grad_()
    b1 = tg.zeros(16, requires_grad=True)
    w2 = (tg.randn(16, 3) * 0.3).requires_grad_()
    b2 = tg.zeros(3, requires_grad=True)
    hidden = (x @ w1 + b1).relu()
    hidden = hidden * 0.5 + hidden.tanh() * 0.5 + (hidden + 1e-3).log1p().sigmoid()
    logits = hidden @ w2 + b2
    log_probs = logits.log_softmax(axis=1)
    loss = -log_probs[np.arange(8), labels.numpy()].mean() + 1e-4 * (w1 ** 2).sum()
    for t in (hidden, logits, log_probs, loss):
        assert t.dtype == np.float32
    loss.backward()
    for p in (w1, b1, w2, b2):
        assert p.grad.dtype == np.float32
        assert p.grad.shape == p.shape


def test_float32_conv_pool_stays_float32():
    tg.manual_seed(1)
    x = tg.randn(2, 3, 6, 6)
    w = tg.randn(4, 3, 3, 3, requires_grad=True)
    b = tg.zeros(4, requires_grad=True)
    out = tg.max_pool2d(tg.conv2d(x, w, b, padding=1), 2)
    out = tg.avg_pool2d(out.gelu(), 3)
    assert out.dtype == np.float32
    (out * out).sum().backward()
    assert w.grad.dtype == np.float32 and b.grad.dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_gradient_takes_dtype_of_input(dtype):
    x = tg.tensor(np.array([0.5, 1.0], dtype=dtype), requires_grad=True)
    ((x * 3.0).exp() * np.float64(2.0)).sum().backward()
    assert x.grad.dtype == dtype


def test_astype_between_floats_is_differentiable():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x.double()
    assert y.dtype == np.float64
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


def test_cast_to_int_leaves_graph():
    x = tg.tensor([1.7, 2.2], requires_grad=True)
    y = x.long()
    assert y.dtype == np.int64 and not y.requires_grad
    assert y.tolist() == [1, 2]


def test_comparisons_give_bool_without_grad():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    for out in (x > 1.5, x == 1.0, x <= x, x != 2.0):
        assert out.dtype == np.bool_ and not out.requires_grad


@pytest.mark.parametrize("make", [lambda: tg.tensor([1, 2]), lambda: tg.tensor([True]), lambda: tg.arange(3),
                                  lambda: tg.randint(0, 3, (2,))])
def test_integer_and_bool_tensors_cannot_require_grad(make):
    t = make()
    with pytest.raises(RuntimeError, match="floating point"):
        t.requires_grad_()
    assert not t.requires_grad


# ----------------------------------------------------------------------------------------------
# reproducible randomness


def _draws() -> list[np.ndarray]:
    return [tg.rand(3).numpy().copy(), tg.randn(2, 2).numpy().copy(), tg.randint(0, 100, (5,)).numpy().copy(),
            tg.normal(1.0, 2.0, (3,)).numpy().copy(), tg.uniform(-1.0, 1.0, (3,)).numpy().copy(),
            tg.dropout(tg.ones(20), 0.5).numpy().copy()]


def test_manual_seed_reproduces_every_random_op():
    tg.manual_seed(123)
    first = _draws()
    tg.manual_seed(123)
    second = _draws()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_different_seeds_differ():
    tg.manual_seed(1)
    a = tg.randn(10).numpy().copy()
    tg.manual_seed(2)
    b = tg.randn(10).numpy().copy()
    assert not np.array_equal(a, b)


def test_randomness_independent_of_numpy_global_state():
    tg.manual_seed(7)
    np.random.seed(0)
    first = _draws()
    tg.manual_seed(7)
    np.random.seed(99)
    np.random.rand(1000)  # advance the global state
    second = _draws()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_library_randomness_leaves_numpy_global_state_alone():
    np.random.seed(5)
    expected = np.random.rand(3)
    np.random.seed(5)
    tg.manual_seed(0)
    _draws()
    np.testing.assert_array_equal(np.random.rand(3), expected)


def test_randint_range_and_errors():
    tg.manual_seed(3)
    values = tg.randint(2, 5, (1000,)).numpy()
    assert values.min() == 2 and values.max() == 4
    with pytest.raises(ValueError, match="randint"):
        tg.randint(5, 5, (2,))


def test_creation_functions_take_a_name_for_graphs():
    w = tg.randn(3, 2, requires_grad=True, name="w")
    assert w.name == "w" and w.requires_grad
    assert tg.zeros(2, name="b").name == "b" and tg.full((2,), 1.5, name="c").name == "c"
    assert tg.arange(3).name is None
