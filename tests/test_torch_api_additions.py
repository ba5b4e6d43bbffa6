"""PyTorch APIs that tutorial code calls: einsum, `out=`, adaptive average pooling, custom Functions
with several outputs, `torch.Size`, `.data` as a tensor and the warning on a non-leaf's `.grad`.

Expected values come from NumPy written out by hand (or mathematics); where PyTorch is installed
the same calls are also compared with it."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg

RNG = np.random.default_rng(7)


def leaf(shape):
    return tg.tensor(RNG.standard_normal(shape), requires_grad=True)


# -- einsum ----------------------------------------------------------------------------------------

EQUATIONS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("i,j->ij", [(2,), (3,)]), ("i->", [(4,)]), ("ij->ji", [(2, 3)]),
    ("...ij,...jk->...ik", [(5, 2, 3), (3, 4)]), ("ij,ij->ij", [(1, 3), (2, 3)]), ("iij->ij", [(3, 3, 2)]),
    ("ab,cd->", [(2, 3), (4, 5)]), ("i...->...", [(2, 3, 4)]), ("iji->j", [(3, 2, 3)]),
]


def _numpy_grad(equation, arrays, weights, i, h=1e-6):
    """Central differences of sum(weights * einsum(...)) with respect to operand i."""
    grad = np.zeros_like(arrays[i])
    for index in np.ndindex(arrays[i].shape):
        values = []
        for step in (h, -h):
            shifted = [a.copy() for a in arrays]
            shifted[i][index] += step
            values.append(np.sum(weights * np.einsum(equation, *shifted)))
        grad[index] = (values[0] - values[1]) / (2 * h)
    return grad


@pytest.mark.parametrize("equation, shapes", EQUATIONS, ids=[e for e, _ in EQUATIONS])
def test_einsum_values_and_gradients(equation, shapes):
    arrays = [RNG.standard_normal(s) for s in shapes]
    tensors = [tg.tensor(a, requires_grad=True) for a in arrays]
    out = tg.einsum(equation, *tensors)
    expected = np.einsum(equation, *arrays)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)
    weights = RNG.standard_normal(np.shape(expected))
    (out * tg.tensor(weights)).sum().backward()
    for i, t in enumerate(tensors):
        np.testing.assert_allclose(t.grad.numpy(), _numpy_grad(equation, arrays, weights, i), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("equation, shapes", EQUATIONS, ids=[e for e, _ in EQUATIONS])
def test_einsum_matches_torch_to_second_order(equation, shapes):
    torch = pytest.importorskip("torch")
    arrays = [RNG.standard_normal(s) for s in shapes]
    ours = [tg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    grads = tg.autograd.grad((tg.einsum(equation, *ours) ** 2).sum(), ours, create_graph=True)
    torch_grads = torch.autograd.grad((torch.einsum(equation, *theirs) ** 2).sum(), theirs, create_graph=True)
    for g, tgrad in zip(grads, torch_grads):
        np.testing.assert_allclose(g.numpy(), tgrad.detach().numpy(), rtol=1e-10, atol=1e-12)
    second = tg.autograd.grad(sum((g * g).sum() for g in grads), ours)
    torch_second = torch.autograd.grad(sum((g * g).sum() for g in torch_grads), theirs)
    for g, tgrad in zip(second, torch_second):
        np.testing.assert_allclose(g.numpy(), tgrad.numpy(), rtol=1e-10, atol=1e-12)


def test_einsum_takes_a_list_of_operands_and_names_bad_equations():
    a, b = tg.ones(2, 3), tg.ones(3, 4)
    np.testing.assert_array_equal(tg.einsum("ij,jk", [a, b]).numpy(), np.full((2, 4), 3.0))
    with pytest.raises(ValueError, match="index 'j'.*size 3.*and 4"):
        tg.einsum("ij,jk->ik", a, tg.ones(4, 4))
    with pytest.raises(ValueError, match="names 2 operands but 1"):
        tg.einsum("ij,jk", a)
    with pytest.raises(ValueError, match="name 2 dimensions"):
        tg.einsum("ij", tg.ones(2, 3, 4))


# -- out= ---------------------------------------------------------------------------------------------


def test_out_writes_into_the_given_tensor_as_in_the_blitz():
    x, y = tg.tensor(RNG.standard_normal((5, 3))), tg.tensor(RNG.standard_normal((5, 3)))
    result = tg.empty(5, 3, dtype=tg.float64)
    memory = result.numpy()
    assert tg.add(x, y, out=result) is result
    np.testing.assert_array_equal(result.numpy(), x.numpy() + y.numpy())
    assert result.numpy() is memory  # written in place
    z = tg.empty(0)
    tg.matmul(x, y.T, out=z)  # an empty out is resized without a warning
    np.testing.assert_allclose(z.numpy(), x.numpy() @ y.numpy().T)
    with pytest.warns(UserWarning, match="resized"):
        tg.mul(x, y, out=tg.empty(2, dtype=tg.float64))


def test_out_refuses_what_requires_grad_and_unsafe_casts():
    w = tg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        tg.mul(w, w, out=tg.empty(2))
    with tg.no_grad():
        tg.mul(w, w, out=tg.empty(2))  # outside the graph it is allowed, as in PyTorch
    with pytest.raises(RuntimeError, match="can't be cast"):
        tg.add(tg.ones(2), tg.ones(2), out=tg.zeros(2, dtype=tg.long))
    with pytest.raises(TypeError, match="argument 'out' must be Tensor"):
        tg.add(tg.ones(2), tg.ones(2), out=np.zeros(2))


# -- adaptive average pooling -----------------------------------------------------------------------


def _adaptive_reference(x: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """PyTorch's documented windows: start = floor(i * n / out), end = ceil((i + 1) * n / out)."""
    h, w = x.shape[-2:]
    result = np.empty(x.shape[:-2] + (out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            rows = slice(i * h // out_h, -(-(i + 1) * h // out_h))
            cols = slice(j * w // out_w, -(-(j + 1) * w // out_w))
            result[..., i, j] = x[..., rows, cols].mean(axis=(-2, -1))
    return result


@given(st.integers(1, 7), st.integers(1, 7), st.integers(1, 7), st.integers(1, 7))
def test_adaptive_avg_pool2d_uses_pytorchs_windows(h, w, out_h, out_w):
    x = RNG.standard_normal((2, 3, h, w))
    out = tg.nn.AdaptiveAvgPool2d((out_h, out_w))(tg.tensor(x))
    np.testing.assert_allclose(out.numpy(), _adaptive_reference(x, out_h, out_w), rtol=1e-12, atol=1e-12)


def test_adaptive_pooling_matches_torch():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((2, 3, 7, 5))
    ours, theirs = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    for size in [(3, 2), 1, (None, 2)]:
        tg.nn.AdaptiveAvgPool2d(size)(ours).pow(2).sum().backward()
        torch.nn.AdaptiveAvgPool2d(size)(theirs).pow(2).sum().backward()
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)
    seq = RNG.standard_normal((2, 3, 10))
    np.testing.assert_allclose(tg.nn.AdaptiveAvgPool1d(4)(tg.tensor(seq)).numpy(),
                               torch.nn.AdaptiveAvgPool1d(4)(torch.tensor(seq)).numpy(), rtol=1e-12)


def test_global_average_pool_is_the_channel_mean():
    x = RNG.standard_normal((2, 3, 4, 4))
    out = tg.nn.functional.adaptive_avg_pool2d(tg.tensor(x), 1)
    np.testing.assert_allclose(out.numpy(), x.mean(axis=(2, 3), keepdims=True), rtol=1e-12)
    with pytest.raises(ValueError, match="output_size must be positive"):
        tg.nn.AdaptiveAvgPool2d(0)(tg.tensor(x))


# -- custom Functions with several outputs ----------------------------------------------------------


class SinCos(tg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sin(), x.cos()

    @staticmethod
    def backward(ctx, grad_sin, grad_cos):
        (x,) = ctx.saved_tensors
        return grad_sin * x.cos() - grad_cos * x.sin()


class MaxWithIndex(tg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        values, indices = x.max(dim=1)
        ctx.save_for_backward(x, indices)
        ctx.mark_non_differentiable(indices)
        return values, indices

    @staticmethod
    def backward(ctx, grad_values, grad_indices):
        x, indices = ctx.saved_tensors
        grad = tg.zeros_like(x)
        grad[tg.arange(x.shape[0]), indices] = grad_values
        return grad


def test_a_function_with_two_outputs_gets_one_gradient_per_output():
    x = leaf((2, 3))
    s, c = SinCos.apply(x)
    assert s.shape == c.shape == (2, 3) and s.requires_grad
    (2 * s + 3 * c).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.cos(x.numpy()) - 3 * np.sin(x.numpy()), rtol=1e-12)
    x.grad = None
    s, _unused = SinCos.apply(x)
    s.sum().backward()  # the unused output's gradient arrives as zeros, as PyTorch materializes it
    np.testing.assert_allclose(x.grad.numpy(), np.cos(x.numpy()), rtol=1e-12)
    assert tg.gradcheck(lambda t: SinCos.apply(t)[0] * SinCos.apply(t)[1], (leaf((3,)),))


def test_an_integer_output_is_a_constant_and_its_gradient_zeros():
    x = tg.tensor([[0.5, 1.0, -2.0], [0.3, 0.1, 0.9]], requires_grad=True)
    values, indices = MaxWithIndex.apply(x)
    np.testing.assert_array_equal(indices.numpy(), [1, 2])
    assert not indices.requires_grad and indices.dtype == np.int64
    (values * values).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 2.0, 0], [0, 0, 1.8]])


# -- Size, .data and .grad ----------------------------------------------------------------------


def test_shape_is_a_size():
    x = tg.ones(2, 3, 4)
    assert isinstance(x.shape, tg.autograd.tensor.Size) and isinstance(x.shape, tuple)
    assert x.shape == (2, 3, 4) and x.shape.numel() == 24 and x.size() == (2, 3, 4) and x.size(1) == 3
    assert x.view(-1).shape == (24,)


def test_data_is_a_detached_tensor_sharing_memory():
    p = tg.tensor([3.0, 4.0], requires_grad=True)
    d = p.data
    assert isinstance(d, tg.Tensor) and not d.requires_grad and d.is_leaf
    assert d.norm().item() == 5.0
    d[0] = 0.0  # a write through .data is a write into p
    assert p.numpy()[0] == 0.0


def test_reading_grad_of_a_non_leaf_warns_as_pytorch():
    x = tg.ones(2, requires_grad=True)
    y = x * 2
    with pytest.warns(UserWarning, match="not a leaf Tensor"):
        assert y.grad is None
    y.retain_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert y.grad is None and x.grad is None  # retained, and a leaf: no warning
        y.sum().backward()
        np.testing.assert_array_equal(y.grad.numpy(), [1.0, 1.0])


def test_data_of_a_tensor_that_requires_grad_must_stay_float():
    p = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="must hold floats"):  # as PyTorch refuses
        p.data = tg.tensor([1, 2])
    np.testing.assert_array_equal(p.numpy(), [1.0, 2.0])  # nothing lost
