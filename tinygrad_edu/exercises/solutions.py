"""Reference solutions of the exercises: each passes its checker. Try your own before reading them."""

from __future__ import annotations

from typing import Any

import numpy as np


def sigmoid_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """1 / (1 + e^-x), keeping the output: the derivative is out * (1 - out)."""
    out = 1.0 / (1.0 + np.exp(-x))
    return out, out


def sigmoid_backward(grad_out: np.ndarray, out: np.ndarray) -> np.ndarray:
    return grad_out * out * (1.0 - out)


def softmax_cross_entropy_forward(logits: np.ndarray, labels: np.ndarray) -> tuple[float, tuple]:
    """Mean of -log softmax; the row maximum is subtracted first so exp never overflows."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(len(labels))
    return float(-log_probs[rows, labels].mean()), (np.exp(log_probs), labels)


def softmax_cross_entropy_backward(grad_loss: np.ndarray, cache: tuple) -> np.ndarray:
    """d loss / d logits = (softmax - one_hot(labels)) / N."""
    probs, labels = cache
    grad = probs.copy()
    grad[np.arange(len(labels)), labels] -= 1.0
    return grad_loss * grad / len(labels)


def linear_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> tuple[np.ndarray, tuple]:
    return x @ weight.T + bias, (x, weight)


def linear_backward(grad_out: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The bias was added to every row, so its gradient sums over the batch."""
    x, weight = cache
    return grad_out @ weight, grad_out.T @ x, grad_out.sum(axis=0)


def _windows(x: np.ndarray, k: int) -> np.ndarray:
    """(N, C, H, W) -> (N, C, H/k, k, W/k, k): axes 3 and 5 run inside a window."""
    n, c, height, width = x.shape
    return x.reshape(n, c, height // k, k, width // k, k)


def max_pool_forward(x: np.ndarray, kernel_size: int) -> tuple[np.ndarray, tuple]:
    windows = _windows(x, kernel_size)
    out = windows.max(axis=(3, 5))
    is_max = windows == out[:, :, :, None, :, None]
    return out, (is_max, x.shape)


def max_pool_backward(grad_out: np.ndarray, cache: tuple) -> np.ndarray:
    """Each window's gradient goes to its maximum, the other elements get zero."""
    is_max, shape = cache
    return (is_max * grad_out[:, :, :, None, :, None]).reshape(shape)


def _patch_views(padded: np.ndarray, kh: int, kw: int, stride: int, out_h: int, out_w: int):
    """For each kernel offset (i, j): the strided slice of the padded input it touches."""
    for i in range(kh):
        for j in range(kw):
            yield i, j, (slice(None), slice(None), slice(i, i + stride * out_h, stride),
                         slice(j, j + stride * out_w, stride))


def conv_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, stride: int = 1,
                 padding: int = 0) -> tuple[np.ndarray, tuple]:
    """im2col: columns[n, (c, i, j), (y, x)] = padded[n, c, y*stride + i, x*stride + j]; one loop
    over the kh * kw kernel offsets (never over pixels), then one matrix product."""
    n, c, height, width = x.shape
    f, _, kh, kw = weight.shape
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    out_h, out_w = (height + 2 * padding - kh) // stride + 1, (width + 2 * padding - kw) // stride + 1
    columns = np.empty((n, c, kh, kw, out_h, out_w))
    for i, j, where in _patch_views(padded, kh, kw, stride, out_h, out_w):
        columns[:, :, i, j] = padded[where]
    columns = columns.reshape(n, c * kh * kw, out_h * out_w)
    out = weight.reshape(f, -1) @ columns + bias[:, None]
    return out.reshape(n, f, out_h, out_w), (columns, weight, padded.shape, stride, padding)


def conv_backward(grad_out: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The matrix product's gradients, then col2im: each column's gradient is added back to the
    pixels it was copied from (overlapping windows add up)."""
    columns, weight, padded_shape, stride, padding = cache
    n, f, out_h, out_w = grad_out.shape
    _, c, kh, kw = weight.shape
    grad_flat = grad_out.reshape(n, f, out_h * out_w)
    grad_weight = np.einsum("nfl,nkl->fk", grad_flat, columns).reshape(weight.shape)
    grad_columns = (weight.reshape(f, -1).T @ grad_flat).reshape(n, c, kh, kw, out_h, out_w)
    grad_padded = np.zeros(padded_shape)
    for i, j, where in _patch_views(grad_padded, kh, kw, stride, out_h, out_w):
        grad_padded[where] += grad_columns[:, :, i, j]
    height, width = padded_shape[2] - 2 * padding, padded_shape[3] - 2 * padding
    grad_x = grad_padded[:, :, padding:padding + height, padding:padding + width]
    return grad_x, grad_weight, grad_flat.sum(axis=(0, 2))


def momentum_step(param: np.ndarray, grad: np.ndarray, state: dict[str, Any], lr: float,
                  momentum: float) -> np.ndarray:
    """PyTorch's convention: v = momentum * v + grad, then param -= lr * v."""
    state["velocity"] = momentum * state.get("velocity", 0.0) + grad
    return param - lr * state["velocity"]


def adam_step(param: np.ndarray, grad: np.ndarray, state: dict[str, Any], lr: float,
              betas: tuple[float, float], eps: float) -> np.ndarray:
    """Running means of the gradient and its square, corrected for starting at zero."""
    beta1, beta2 = betas
    state["t"] = t = state.get("t", 0) + 1
    state["m"] = beta1 * state.get("m", 0.0) + (1 - beta1) * grad
    state["v"] = beta2 * state.get("v", 0.0) + (1 - beta2) * grad * grad
    m_hat, v_hat = state["m"] / (1 - beta1**t), state["v"] / (1 - beta2**t)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps)
