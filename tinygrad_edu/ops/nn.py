"""Neural-network kernels: stable softmax/log_softmax, dropout, the fused Linear and the losses
whose gradients are simplest in closed form (cross-entropy, binary cross-entropy)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import random
from ..autograd.function import Function
from ..autograd.mode import is_grad_enabled
from ..autograd.tensor import Tensor
from .axes import array_of, norm_axis, shape_of
from .linalg import MatMul
from .reduce import Sum
from .shape import Permute


def _shifted(x: np.ndarray, axis: int) -> np.ndarray:
    """x minus its maximum along `axis`: softmax's value unchanged, exp can no longer overflow."""
    return x - x.max(axis=axis, keepdims=True)


class Softmax(Function):
    @staticmethod
    def forward(ctx, x, axis=-1):
        out = np.exp(_shifted(x, axis))
        out /= out.sum(axis=axis, keepdims=True)
        ctx.axis = axis
        ctx.save_for_backward(out)
        return out

    formula = "d softmax(x)_i/dx_j = s_i * (delta_ij - s_j)"
    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return out * (g - (g * out).sum(axis=ctx.axis, keepdims=True))


class LogSoftmax(Function):
    @staticmethod
    def forward(ctx, x, axis=-1):
        shifted = _shifted(x, axis)
        out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        ctx.axis = axis
        ctx.save_for_backward(out)
        return out

    formula = "d log_softmax(x)_i/dx_j = delta_ij - softmax(x)_j"
    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g - out.exp() * g.sum(axis=ctx.axis, keepdims=True)


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Inverted dropout: zero each element with probability p and scale the rest by 1/(1-p)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability must be between 0 and 1, got {p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    scale = 1.0 / (1.0 - p)
    mask = random.draw(None, lambda rng, batch: ((rng.random(batch + tuple(x.shape)) >= p) * scale).astype(x.dtype),
                       "dropout")  # an array; under vmap possibly a batched tensor: one mask per sample
    return x * mask


def softmax(x: Tensor, axis: int = -1, *, dim: int | None = None) -> Tensor:
    """exp(x) / sum(exp(x)) along `axis`, computed without overflow."""
    return Softmax.apply(x, axis=norm_axis(axis if dim is None else dim, x.ndim, "softmax"))


def log_softmax(x: Tensor, axis: int = -1, *, dim: int | None = None) -> Tensor:
    """log(softmax(x)) along `axis`, computed stably in one step."""
    return LogSoftmax.apply(x, axis=norm_axis(axis if dim is None else dim, x.ndim, "log_softmax"))


class Linear(Function):
    """x @ weight.T + bias in one node (weight is (out_features, in_features), as in PyTorch)."""

    @staticmethod
    def forward(ctx, x, weight, bias=None):
        ctx.save_for_backward(x, weight)
        out = np.matmul(x, weight.T)
        if bias is not None:
            out += bias
        return out

    formula = "d(x @ w.T + b)/dx = w (g @ w); d(x @ w.T + b)/dw = x (g.T @ x); d(x @ w.T + b)/db = 1 (sum g)"
    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        needs = ctx.needs_input_grad
        gx = MatMul.apply(g, weight) if needs[0] else None
        gw = gb = None
        if needs[1]:
            g2, x2 = (g, x) if g.ndim == 2 else (g.reshape(-1, g.shape[-1]), x.reshape(-1, x.shape[-1]))
            gw = MatMul.apply(Permute.apply(g2, axes=(1, 0)), x2)  # a fresh (out, in) array: .grad without a copy
        if len(needs) == 3 and needs[2]:
            gb = Sum.apply(g, axis=0 if g.ndim == 2 else tuple(range(g.ndim - 1))) if g.ndim > 1 else g
        return (gx, gw) if len(needs) == 2 else (gx, gw, gb)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """Affine map y = x W^T + b over the last axis of `x`."""
    x_shape, w_shape = shape_of(x), shape_of(weight)
    if len(w_shape) != 2 or not x_shape or x_shape[-1] != w_shape[1]:
        raise ValueError(
            f"linear: input of shape {x_shape} does not fit weight of shape {w_shape}; the input's last "
            f"dimension must equal in_features = {w_shape[1] if len(w_shape) == 2 else '?'}"
        )
    if bias is None:
        return Linear.apply(x, weight)
    if bias.shape != (w_shape[0],):
        raise ValueError(f"linear: bias must have shape ({w_shape[0]},), got {bias.shape}")
    return Linear.apply(x, weight, bias)


def _checked_targets(target: np.ndarray, n_classes: int, ignore_index: int) -> int | None:
    """Raise for a target outside the classes (only `ignore_index` may be); `ignore_index`, or None
    when no target equals it (then nothing needs masking)."""
    if not target.size:
        return ignore_index
    low, high = target.min(), target.max()
    if low < 0 or high >= n_classes:
        bad = (target != ignore_index) & ((target < 0) | (target >= n_classes))
        if bad.any():
            raise IndexError(f"cross_entropy: target {target[bad].flat[0]} is out of bounds for {n_classes} "
                             f"classes (valid: 0..{n_classes - 1} or ignore_index={ignore_index})")
    return ignore_index if low <= ignore_index <= high else None


class CrossEntropy(Function):
    """Softmax cross-entropy of logits (N, C) against class indices (N,), fused and stable: the
    backward is softmax minus one-hot, with class weights and ignored targets. Forward checks the
    targets: they may come batched under vmap, where no caller sees their values."""

    @staticmethod
    def forward(ctx, logits, target, weight=None, ignore_index=-100, reduction="mean"):
        ignore_index = _checked_targets(target, logits.shape[1], ignore_index)
        n = logits.shape[0]
        rows = np.arange(n)
        scale = None  # each sample's weight; None: every sample counts once
        if ignore_index is not None:
            keep = target != ignore_index
            target = np.where(keep, target, 0)
            scale = np.where(keep, 1 if weight is None else weight[target], 0).astype(logits.dtype)
        elif weight is not None:
            scale = weight[target].astype(logits.dtype)
        shifted = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        losses = np.log(total[:, 0]) - shifted[rows, target]
        if scale is not None:
            losses *= scale
        if reduction == "mean":
            denominator = n if scale is None else scale.sum()
            out = losses.sum() / denominator
            factor = 1 / denominator if scale is None else (scale / denominator)[:, None]
        else:
            out = losses.sum() if reduction == "sum" else losses
            factor = None if scale is None else scale[:, None]
        if ctx.needs_input_grad:  # recorded: keep the gradient for g = 1, (softmax - one-hot) * factor
            grad = np.divide(exp, total, out=exp)
            grad[rows, target] -= 1
            if factor is not None:
                grad *= factor
            ctx.reduction, ctx._rows, ctx._target, ctx._factor = reduction, rows, target, factor
            ctx.save_for_backward(logits, grad)
        return np.asarray(out, dtype=logits.dtype)

    formula = "d cross_entropy(z, t)/dz = softmax(z) - one_hot(t) (scaled by weight and 1/n)"
    @staticmethod
    def backward(ctx, g):
        logits, grad = ctx.saved_tensors
        if is_grad_enabled():  # recorded backward: softmax as a graph op, so it can be differentiated again
            one_hot = np.zeros(grad.shape, dtype=grad.dtype)
            one_hot[ctx._rows, ctx._target] = 1.0
            grad = logits.softmax(axis=1) - one_hot
            if ctx._factor is not None:
                grad = grad * ctx._factor
        grad = grad * (g.reshape(-1, 1) if ctx.reduction == "none" else g)
        return (grad,) + (None,) * (len(ctx.needs_input_grad) - 1)


def cross_entropy(logits: Tensor, target: Any, weight: Any = None, ignore_index: int = -100,
                  reduction: str = "mean") -> Tensor:
    """Fused softmax cross-entropy for logits (N, C) and integer class indices (N,)."""
    target = target if isinstance(target, Tensor) else np.asarray(target)  # a tensor goes to the op as it is
    logits_shape = shape_of(logits)
    if len(logits_shape) != 2 or shape_of(target) != logits_shape[:1] or target.dtype.kind not in "iu":
        raise ValueError(
            f"cross_entropy: expects logits (N, C) and integer targets (N,), got logits {logits.shape} and "
            f"targets {tuple(target.shape)} {target.dtype} (expected target shape {logits.shape[:1]})"
        )
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"cross_entropy: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    weight_array = None if weight is None else array_of(weight)
    return CrossEntropy.apply(logits, target, weight=weight_array, ignore_index=ignore_index, reduction=reduction)


class BinaryCrossEntropy(Function):
    """-(t log x + (1 - t) log(1 - x)) with each log clamped at -100 and PyTorch's gradient
    (x - t) / max(x (1 - x), 1e-12), finite even for saturated probabilities."""

    @staticmethod
    def forward(ctx, x, t):
        ctx.save_for_backward(x, t)
        with np.errstate(divide="ignore"):
            return -(t * np.maximum(np.log(x), -100.0) + (1 - t) * np.maximum(np.log1p(-x), -100.0))

    formula = "d bce(x, t)/dx = (x - t) / (x * (1 - x)); d bce(x, t)/dt = log(1 - x) - log(x)"
    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        grad_x = g * (x - t) / (x * (1 - x)).clip(1e-12, None) if ctx.needs_input_grad[0] else None
        grad_t = None
        if ctx.needs_input_grad[1]:
            grad_t = g * ((1 - x).log().clip(-100.0, None) - x.log().clip(-100.0, None))
        return grad_x, grad_t


def binary_cross_entropy(x: Tensor, target: Tensor) -> Tensor:
    """Elementwise binary cross-entropy of probabilities `x` against `target` (no reduction)."""
    return BinaryCrossEntropy.apply(x, target.astype(x.dtype) if target.dtype != x.dtype else target)
