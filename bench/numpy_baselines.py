"""The NumPy limit: every workload written by hand in NumPy, backward passes derived manually.

These are what an autograd engine on NumPy is measured against: the same computation in the same
dtype, with no graph, no Tensor objects and no per-op bookkeeping.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

Params = list[np.ndarray]


def _softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of integer `labels` under softmax(`logits`) and its gradient wrt the logits."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    rows = np.arange(len(labels))
    loss = np.log(total[:, 0]).mean() - shifted[rows, labels].mean()
    dlogits = exp / total
    dlogits[rows, labels] -= 1
    dlogits /= len(labels)
    return float(loss), dlogits


def mlp_step(params: Params, x: np.ndarray, labels: np.ndarray, lr: float) -> float:
    """One SGD step of Linear-ReLU-...-Linear with softmax cross-entropy; `params` = [W1, b1, W2, b2, ...]
    in PyTorch layout (out, in), updated in place. Returns the loss before the update."""
    weights, biases = params[0::2], params[1::2]
    activations = [x]
    for i, (w, b) in enumerate(zip(weights, biases)):
        z = activations[-1] @ w.T
        z += b
        if i < len(weights) - 1:
            np.maximum(z, 0, out=z)
        activations.append(z)
    loss, grad = _softmax_cross_entropy(activations[-1], labels)
    for i in range(len(weights) - 1, -1, -1):
        w = weights[i]
        a = activations[i]
        grad_w = grad.T @ a
        grad_b = grad.sum(axis=0)
        if i > 0:
            grad = grad @ w
            grad *= a > 0
        w -= lr * grad_w
        biases[i] -= lr * grad_b
    return loss


# The CNN keeps activations channel-major, (C, N, H, W), so that each convolution is one matrix
# product (F, C*9) @ (C*9, N*H*W) whose result is already the next layer's input layout.


def _conv_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """3x3 stride-1 pad-1 convolution of a (C, N, H, W) input by im2col (sliding_window_view) and one
    matmul. Returns the output (F, N, H, W) and the column matrix (C*9, N*H*W) that backward needs."""
    c, n, h, wd = x.shape
    f, _, kh, kw = w.shape
    padded = np.zeros((c, n, h + kh - 1, wd + kw - 1), dtype=x.dtype)
    padded[:, :, 1:-1, 1:-1] = x
    windows = sliding_window_view(padded, (kh, kw), axis=(2, 3))  # (C, N, H, W, kh, kw)
    cols = windows.transpose(0, 4, 5, 1, 2, 3).reshape(c * kh * kw, n * h * wd)
    out = w.reshape(f, -1) @ cols
    out += b[:, None]
    return out.reshape(f, n, h, wd), cols


def _conv_backward(grad_out: np.ndarray, cols: np.ndarray, w: np.ndarray,
                   need_input_grad: bool) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Gradients of `_conv_forward` wrt input (col2im: nine shifted adds), weight and bias."""
    f, n, h, wd = grad_out.shape
    _, c, kh, kw = w.shape
    grad_mat = grad_out.reshape(f, -1)
    grad_w = (grad_mat @ cols.T).reshape(w.shape)
    grad_b = grad_mat.sum(axis=1)
    if not need_input_grad:
        return None, grad_w, grad_b
    grad_cols = (w.reshape(f, -1).T @ grad_mat).reshape(c, kh, kw, n, h, wd)
    grad_padded = np.zeros((c, n, h + kh - 1, wd + kw - 1), dtype=grad_out.dtype)
    for i in range(kh):
        for j in range(kw):
            grad_padded[:, :, i : i + h, j : j + wd] += grad_cols[:, i, j]
    return grad_padded[:, :, 1:-1, 1:-1], grad_w, grad_b


def _relu_maxpool2_forward(x: np.ndarray) -> np.ndarray:
    """relu(maxpool 2x2 stride 2 (x)), equal to maxpool(relu(x)) since ReLU is monotone."""
    top = np.maximum(x[:, :, 0::2, 0::2], x[:, :, 0::2, 1::2])
    bottom = np.maximum(x[:, :, 1::2, 0::2], x[:, :, 1::2, 1::2])
    out = np.maximum(top, bottom)
    return np.maximum(out, 0, out=out)


def _relu_maxpool2_backward(grad_out: np.ndarray, x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Route each window's gradient to its maximum where that maximum is positive (ties between
    positive maxima have probability zero; non-positive windows get no gradient through ReLU)."""
    grad = grad_out * (out > 0)
    grad_x = np.empty_like(x)
    for i in (0, 1):
        for j in (0, 1):
            np.multiply(grad, x[:, :, i::2, j::2] == out, out=grad_x[:, :, i::2, j::2])
    return grad_x


def cnn_step(params: Params, x: np.ndarray, labels: np.ndarray, lr: float) -> float:
    """One SGD step of conv-ReLU-pool-conv-ReLU-pool-linear with softmax cross-entropy on `x`
    (N, 1, 28, 28); `params` = [conv1.w, conv1.b, conv2.w, conv2.b, fc.w, fc.b], updated in place."""
    w1, b1, w2, b2, w3, b3 = params
    z1, cols1 = _conv_forward(x.transpose(1, 0, 2, 3), w1, b1)
    p1 = _relu_maxpool2_forward(z1)
    z2, cols2 = _conv_forward(p1, w2, b2)
    p2 = _relu_maxpool2_forward(z2)
    flat = p2.transpose(1, 0, 2, 3).reshape(len(x), -1)
    logits = flat @ w3.T
    logits += b3
    loss, grad = _softmax_cross_entropy(logits, labels)
    grad_w3 = grad.T @ flat
    grad_b3 = grad.sum(axis=0)
    grad_p2 = (grad @ w3).reshape(len(x), *p2.shape[:1], *p2.shape[2:]).transpose(1, 0, 2, 3)
    grad_z2 = _relu_maxpool2_backward(grad_p2, z2, p2)
    grad_p1, grad_w2, grad_b2 = _conv_backward(grad_z2, cols2, w2, need_input_grad=True)
    grad_z1 = _relu_maxpool2_backward(grad_p1, z1, p1)
    _, grad_w1, grad_b1 = _conv_backward(grad_z1, cols1, w1, need_input_grad=False)
    for p, g in zip(params, (grad_w1, grad_b1, grad_w2, grad_b2, grad_w3, grad_b3)):
        p -= lr * g
    return loss


CHAIN_MUL_1, CHAIN_ADD, CHAIN_MUL_2 = 1.0001, 0.001, 0.999


def chain_forward(y: Any, n_ops: int, tanh: Callable[[Any], Any]) -> Any:
    """The chain's forward for an autograd engine (its tensors and its `tanh`); the engine records it."""
    for i in range(n_ops):
        kind = i % 4
        if kind == 0:
            y = y * CHAIN_MUL_1
        elif kind == 1:
            y = y + CHAIN_ADD
        elif kind == 2:
            y = tanh(y)
        else:
            y = y * CHAIN_MUL_2
    return y


def chain(x: np.ndarray, n_ops: int) -> tuple[float, float]:
    """The elementwise chain (x*1.0001, x+0.001, tanh, x*0.999, repeated) then sum, with the backward
    by hand. Returns (sum, sum of the gradient wrt x)."""
    tanh_outputs = []
    y = x
    for i in range(n_ops):
        kind = i % 4
        if kind == 0:
            y = y * CHAIN_MUL_1
        elif kind == 1:
            y = y + CHAIN_ADD
        elif kind == 2:
            y = np.tanh(y)
            tanh_outputs.append(y)
        else:
            y = y * CHAIN_MUL_2
    total = float(y.sum())
    grad = np.ones_like(x)
    for i in range(n_ops - 1, -1, -1):
        kind = i % 4
        if kind == 0:
            grad = grad * CHAIN_MUL_1
        elif kind == 2:
            t = tanh_outputs.pop()
            grad = grad * (1 - t * t)
        elif kind == 3:
            grad = grad * CHAIN_MUL_2
    return total, float(grad.sum())


def small_mlp_loss(params: Params, x: np.ndarray, labels: np.ndarray) -> float:
    """Loss of the gradcheck model: Linear-tanh-Linear with softmax cross-entropy."""
    w1, b1, w2, b2 = params
    logits = np.tanh(x @ w1.T + b1) @ w2.T + b2
    return _softmax_cross_entropy(logits, labels)[0]


def small_mlp_grads(params: Params, x: np.ndarray, labels: np.ndarray) -> Params:
    """Hand-derived gradients of `small_mlp_loss` wrt [W1, b1, W2, b2]."""
    w1, b1, w2, b2 = params
    hidden = np.tanh(x @ w1.T + b1)
    _, grad = _softmax_cross_entropy(hidden @ w2.T + b2, labels)
    grad_hidden = (grad @ w2) * (1 - hidden * hidden)
    return [grad_hidden.T @ x, grad_hidden.sum(axis=0), grad.T @ hidden, grad.sum(axis=0)]


def gradcheck(loss: Callable[[], float], params: Params, analytic: Params, eps: float, atol: float,
              rtol: float) -> bool:
    """Central differences of the scalar `loss()` wrt every element of `params` (perturbed in place)
    compared with the `analytic` gradients, with gradcheck's `atol + rtol*|numerical|` rule."""
    for p, g in zip(params, analytic):
        flat = p.reshape(-1)
        numerical = np.empty(flat.size)
        for k in range(flat.size):
            original = flat[k]
            flat[k] = original + eps
            plus = loss()
            flat[k] = original - eps
            minus = loss()
            flat[k] = original
            numerical[k] = (plus - minus) / (2 * eps)
        if np.any(np.abs(g.reshape(-1) - numerical) > atol + rtol * np.abs(numerical)):
            return False
    return True
