"""The convolution and pooling fast paths: max pooling of channel-major inputs (a convolution's
output) with ties and leftover rows against a loop written from the definition, its gradient's
memory order, the no-grad forward, and conv2d's fused matrix product with and without bias against
PyTorch (skipped without torch), to first and second order."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg

pytestmark = pytest.mark.usefixtures("float64_default")


def channel_major(array: np.ndarray) -> np.ndarray:
    """`array` (N, C, H, W) as a view of (C, N, H, W) memory, like conv2d's output."""
    return np.ascontiguousarray(array.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)


def naive_max_pool(x: np.ndarray, upstream: np.ndarray, kernel: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Max over each non-overlapping window and the gradient sent to its first maximum (row-major
    order in the window), one window at a time."""
    (kh, kw), (n, c, h, w) = kernel, x.shape
    out = np.zeros((n, c, h // kh, w // kw))
    grad = np.zeros_like(x)
    for index in np.ndindex(*out.shape):
        b, ch, i, j = index
        window = x[b, ch, i * kh : (i + 1) * kh, j * kw : (j + 1) * kw]
        first = np.unravel_index(np.argmax(window), window.shape)  # argmax returns the first maximum
        out[index] = window[first]
        grad[b, ch, i * kh + first[0], j * kw + first[1]] = upstream[index]
    return out, grad


@pytest.mark.parametrize("kernel", [(2, 2), (2, 3), (3, 3)])
@pytest.mark.parametrize("shape", [(3, 4, 8, 6), (2, 3, 7, 5)])
def test_max_pool2d_of_a_channel_major_input_with_ties_matches_the_definition(kernel, shape):
    rng = np.random.default_rng(0)
    data = channel_major(np.maximum(rng.integers(-2, 3, shape), 0).astype(np.float64))  # many tied windows
    upstream = rng.standard_normal((shape[0], shape[1], shape[2] // kernel[0], shape[3] // kernel[1]))
    x = tg.tensor(data, requires_grad=True)
    out = tg.max_pool2d(x, kernel)
    (out * tg.tensor(upstream)).sum().backward()
    expected_out, expected_grad = naive_max_pool(data, upstream, kernel)
    np.testing.assert_array_equal(out.numpy(), expected_out)
    np.testing.assert_array_equal(x.grad.numpy(), expected_grad)


def test_max_pool2d_output_and_gradient_keep_the_channel_major_memory_order():
    leaf = tg.tensor(np.random.default_rng(1).standard_normal((3, 4, 6, 6)), requires_grad=True)  # (C, N, H, W)
    activation = leaf.permute(1, 0, 2, 3)  # a channel-major view, as conv2d returns
    out = tg.max_pool2d(activation, 2)
    assert out.detach().numpy().transpose(1, 0, 2, 3).flags.c_contiguous
    (grad,) = tg.grad(out.sum(), [activation])
    assert grad.detach().numpy().transpose(1, 0, 2, 3).flags.c_contiguous


def test_max_pool2d_without_grad_matches_the_recorded_forward():
    data = channel_major(np.random.default_rng(2).standard_normal((2, 3, 7, 6)))
    with tg.no_grad():
        plain = tg.max_pool2d(tg.tensor(data, requires_grad=True), 2)
    recorded = tg.max_pool2d(tg.tensor(data, requires_grad=True), 2)
    np.testing.assert_array_equal(plain.numpy(), recorded.numpy())


def test_max_pool2d_second_order_on_a_channel_major_input():
    data = channel_major(np.random.default_rng(3).standard_normal((2, 2, 5, 7)))
    tg.gradgradcheck(lambda x: tg.max_pool2d(x * 1.0, (2, 3)), [tg.tensor(data, requires_grad=True)])


@pytest.mark.parametrize("with_bias", [True, False])
def test_conv2d_matches_torch_with_and_without_bias(with_bias):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    data, weight, bias = rng.standard_normal((3, 2, 6, 5)), rng.standard_normal((4, 2, 3, 3)), rng.standard_normal(4)
    upstream = rng.standard_normal((3, 4, 6, 5))
    ours = [tg.tensor(a, requires_grad=True) for a in (data, weight, bias)]
    theirs = [torch.from_numpy(a.copy()).requires_grad_() for a in (data, weight, bias)]
    out = tg.conv2d(ours[0], ours[1], ours[2] if with_bias else None, padding=1)
    expected = torch.nn.functional.conv2d(theirs[0], theirs[1], theirs[2] if with_bias else None, padding=1)
    (out * tg.tensor(upstream)).sum().backward()
    (expected * torch.from_numpy(upstream)).sum().backward()
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    for mine, reference in zip(ours, theirs) if with_bias else zip(ours[:2], theirs[:2]):
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-10, atol=1e-12)
    if not with_bias:
        assert ours[2].grad is None


def test_conv2d_without_bias_second_order():
    rng = np.random.default_rng(5)
    inputs = [tg.tensor(rng.standard_normal(shape), requires_grad=True) for shape in ((1, 2, 4, 4), (2, 2, 3, 3))]
    tg.gradgradcheck(lambda x, w: tg.conv2d(x, w, stride=(1, 2), padding=1), inputs)
