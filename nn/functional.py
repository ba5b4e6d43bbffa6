"""Functional forms of the layers and losses (`import tinygrad_edu.nn.functional as F`).

Every formula lives here once; the Module classes in `layers` and `losses` hold parameters and
options and call these functions. Signatures and semantics follow `torch.nn.functional`.
"""

from __future__ import annotations

import warnings
from typing import Any, Sequence

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import Tensor

from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d, avg_pool2d, max_pool2d  # noqa: F401 (F.max_pool2d...)

_REDUCTIONS = ("mean", "sum", "none")


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else tg.tensor(x)


# ----------------------------------------------------------------------------------------------
# linear and convolution (pooling is in pooling.py)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b with `weight` of shape (out_features, in_features) (one fused engine op)."""
    return tg.linear(input, weight, bias)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation; `weight` has shape (out_channels, in_channels/groups, kh, kw)."""
    return tg.conv2d(input, weight, bias, stride, padding, dilation, groups)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    return input.flatten(start_dim, end_dim)


def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> Tensor:
    """im2col: (N, C, H, W) -> (N, C*kh*kw, L) (PyTorch's argument order)."""
    return tg.ops.unfold(input, kernel_size, stride, padding, dilation)


def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
         stride: Any = 1) -> Tensor:
    """col2im, the adjoint of `unfold`: overlapping blocks are summed."""
    return tg.ops.fold(input, output_size, kernel_size, stride, padding, dilation)


def _pad_index(size: int, before: int, after: int, mode: str) -> np.ndarray:
    positions = np.arange(-before, size + after)
    if mode == "replicate":
        return np.clip(positions, 0, size - 1)
    if mode == "circular":
        return positions % size
    period = 2 * (size - 1)  # reflect: mirror without repeating the edge
    folded = np.abs(positions) % period if period else np.zeros_like(positions)
    return np.where(folded >= size, period - folded, folded)


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last len(pad)//2 dimensions; `pad` lists (left, right) pairs starting from the LAST
    dimension, as PyTorch. Modes: constant, reflect, replicate, circular."""
    pad = [int(p) for p in pad]
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(f"pad: padding length must be even and at most 2 * ndim ({2 * input.ndim}), got {pad}")
    pairs = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        pairs[input.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    if mode == "constant":
        if any(b < 0 or a < 0 for b, a in pairs):
            slices = tuple(slice(-b if b < 0 else None, a if a < 0 else None) for b, a in pairs)
            input = input[slices]
            pairs = [(max(b, 0), max(a, 0)) for b, a in pairs]
        return input.pad(tuple(pairs), value=0.0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise ValueError(f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', got {mode!r}")
    for axis, (before, after) in enumerate(pairs):
        if before or after:
            size = input.shape[axis]
            if mode == "reflect" and (before >= size or after >= size):
                raise ValueError(f"pad: reflect padding ({before}, {after}) must be smaller than the dimension "
                                 f"size {size} (input shape {input.shape})")
            input = input.index_select(axis, _pad_index(size, before, after, mode))
    return input


# ----------------------------------------------------------------------------------------------
# activations


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    return input.relu()


def sigmoid(input: Tensor) -> Tensor:
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    return input.tanh()


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    return input.leaky_relu(negative_slope)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    return input.gelu(approximate)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return input.elu(alpha)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    return input.softplus(beta, threshold)


def _softmax_dim(ndim: int) -> int:
    """PyTorch's legacy choice when no dim is given."""
    warnings.warn("Implicit dimension choice for softmax has been deprecated; pass dim= explicitly",
                  UserWarning, stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None) -> Tensor:
    return input.softmax(_softmax_dim(input.ndim) if dim is None else dim)


def log_softmax(input: Tensor, dim: int | None = None) -> Tensor:
    return input.log_softmax(_softmax_dim(input.ndim) if dim is None else dim)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Inverted dropout: zero elements with probability p, scale the rest by 1/(1-p)."""
    return tg.dropout(input, p, training)


# ----------------------------------------------------------------------------------------------
# normalisation and embedding


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel (dim 1). Training: batch statistics (biased variance), and the
    running stats move by `momentum` towards the batch mean and UNBIASED variance. Eval: running stats."""
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C, ...), got {input.shape}")
    axes = (0,) + tuple(range(2, input.ndim))
    shape = (1, input.shape[1]) + (1,) * (input.ndim - 2)
    if training:
        count = input.size // input.shape[1]
        if count <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, got input "
                             f"of shape {input.shape}")
        mean = input.mean(axis=axes)
        var = input.var(axis=axes)
        if running_mean is not None and running_var is not None:
            with tg.no_grad():
                running_mean.copy_(running_mean * (1 - momentum) + mean.detach() * momentum)
                running_var.copy_(running_var * (1 - momentum) + var.detach() * (momentum * count / (count - 1)))
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var are needed when training=False")
        mean, var = running_mean, running_var
    out = (input - mean.reshape(shape)) / (var.reshape(shape) + eps).sqrt()
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def layer_norm(input: Tensor, normalized_shape: Sequence[int] | int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing `normalized_shape` dimensions of each sample (biased variance)."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
    k = len(normalized_shape)
    if tuple(input.shape[input.ndim - k:]) != normalized_shape or input.ndim < k:
        raise ValueError(f"layer_norm: expected input with trailing shape {normalized_shape}, got shape {input.shape}")
    axes = tuple(range(input.ndim - k, input.ndim))
    mean = input.mean(axis=axes, keepdims=True)
    var = input.var(axis=axes, keepdims=True)
    out = (input - mean) / (var + eps).sqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def embedding(input: Any, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """Rows of `weight` picked by integer indices; the row `padding_idx` receives no gradient."""
    index = input if isinstance(input, Tensor) else np.asarray(input)  # a tensor as it is: vmap may batch it
    if index.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {index.dtype}")
    num = weight.shape[0]
    values = tg.ops.element_values(index)
    if values.size and (values.min() < 0 or values.max() >= num):
        bad = values[(values < 0) | (values >= num)].flat[0]
        raise IndexError(f"embedding: index {bad} is out of range for {num} embeddings (valid: 0..{num - 1})")
    out = weight[index]
    if padding_idx is not None:
        padding_idx = padding_idx % num
        if (values == padding_idx).any():
            out = tg.where((index == padding_idx)[..., None], weight.detach()[index], out)
    return out


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding with a new last dimension of size `num_classes` (max + 1 if -1)."""
    index = _as_tensor(tensor)  # tensor ops from here on: under vmap a batched index batches
    if index.dtype.kind not in "iu":
        raise TypeError(f"one_hot: class values must be integers, got dtype {index.dtype}")
    values = tg.ops.element_values(index)
    if num_classes == -1:  # from the sample's own values (.numpy(): vmap then runs one sample at a time)
        labels = index.numpy()
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if values.size and (values.min() < 0 or values.max() >= num_classes):
        raise ValueError(f"one_hot: class values must be in [0, {num_classes}), got min {values.min()} "
                         f"max {values.max()}")
    return (index.unsqueeze(-1) == tg.arange(num_classes)).long()


# ----------------------------------------------------------------------------------------------
# losses


def _reduce(loss: Tensor, reduction: str, op: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{op}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _check_reduction(reduction: str, op: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _pairwise(input: Tensor, target: Any, op: str) -> tuple[Tensor, Tensor]:
    target = _as_tensor(target)
    if target.shape != input.shape:
        try:
            np.broadcast_shapes(input.shape, target.shape)
        except ValueError:
            raise ValueError(f"{op}: target shape {target.shape} does not match input shape {input.shape}") from None
        warnings.warn(f"{op}: using a target size {target.shape} that is different to the input size "
                      f"{input.shape}; this will likely lead to incorrect results due to broadcasting",
                      UserWarning, stacklevel=3)
    return input, target


def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error (input - target)^2."""
    _check_reduction(reduction, "mse_loss")
    input, target = _pairwise(input, target, "mse_loss")
    diff = input - target
    return _reduce(diff * diff, reduction, "mse_loss")


def l1_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean absolute error |input - target|."""
    _check_reduction(reduction, "l1_loss")
    input, target = _pairwise(input, target, "l1_loss")
    return _reduce((input - target).abs(), reduction, "l1_loss")


def huber_loss(input: Tensor, target: Any, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - delta/2)."""
    _check_reduction(reduction, "huber_loss")
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    input, target = _pairwise(input, target, "huber_loss")
    diff = input - target
    size = diff.abs()
    loss = tg.where(size < delta, diff * diff * 0.5, (size - 0.5 * delta) * delta)
    return _reduce(loss, reduction, "huber_loss")


def smooth_l1_loss(input: Tensor, target: Any, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - beta/2 (plain L1 when beta is 0)."""
    _check_reduction(reduction, "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    if beta == 0:
        return l1_loss(input, target, reduction)
    input, target = _pairwise(input, target, "smooth_l1_loss")
    diff = input - target
    size = diff.abs()
    loss = tg.where(size < beta, diff * diff * (0.5 / beta), size - 0.5 * beta)
    return _reduce(loss, reduction, "smooth_l1_loss")


def _class_layout(input: Tensor, op: str) -> int:
    """The class dimension: 0 for an unbatched (C,) input, else 1."""
    if input.ndim == 0:
        raise ValueError(f"{op}: input must have a class dimension, got a 0-d tensor")
    return 0 if input.ndim == 1 else 1


def _class_weight_view(weight: Tensor, input: Tensor, class_dim: int, op: str) -> Tensor:
    n_classes = input.shape[class_dim]
    if weight.shape != (n_classes,):
        raise ValueError(f"{op}: weight must have shape ({n_classes},) (one per class), got {weight.shape}")
    return weight.reshape((n_classes,) + (1,) * (input.ndim - class_dim - 1))


def nll_loss(input: Tensor, target: Any, weight: Tensor | None = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices given log-probabilities `input` (N, C, d1, ...).

    With `weight`, each sample counts w[target]; 'mean' divides by the sum of those weights over
    targets that are not `ignore_index` (PyTorch's weighted mean).
    """
    _check_reduction(reduction, "nll_loss")
    class_dim = _class_layout(input, "nll_loss")
    target = _as_tensor(target)
    if target.dtype.kind not in "iu":
        raise TypeError(f"nll_loss: target must hold integer class indices, got dtype {target.dtype}; "
                        "use cross_entropy with float targets for class probabilities")
    expected = input.shape[:class_dim] + input.shape[class_dim + 1:]
    if target.shape != expected:
        raise ValueError(f"nll_loss: target of shape {target.shape} does not fit input of shape {input.shape} "
                         f"(expected target shape {expected})")
    n_classes = input.shape[class_dim]
    labels = tg.ops.element_values(target)  # (under vmap: every sample's labels)
    bad = (labels != ignore_index) & ((labels < 0) | (labels >= n_classes))
    if bad.any():
        raise IndexError(f"nll_loss: target {labels[bad].flat[0]} is out of bounds for {n_classes} classes "
                         f"(valid: 0..{n_classes - 1} or ignore_index={ignore_index})")
    keep = target != ignore_index  # tensor ops from here on, so that a batched target batches
    safe = tg.where(keep, target, 0)
    picked = input.gather(class_dim, safe.unsqueeze(class_dim)).squeeze(class_dim)
    if weight is not None:
        weight = _as_tensor(weight)
        if weight.shape != (n_classes,):
            raise ValueError(f"nll_loss: weight must have shape ({n_classes},), got {weight.shape}")
        sample_weight = weight.detach()[safe] * keep
    else:
        sample_weight = keep.astype(input.dtype)
    loss = -picked * sample_weight
    if reduction == "mean":
        return loss.sum() / sample_weight.sum()
    return _reduce(loss, reduction, "nll_loss")


def binary_cross_entropy(input: Tensor, target: Any, weight: Tensor | None = None, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of probabilities `input` in [0, 1]; logs clamped at -100 like PyTorch."""
    _check_reduction(reduction, "binary_cross_entropy")
    target = _as_tensor(target)
    if target.shape != input.shape:
        raise ValueError(f"binary_cross_entropy: target shape {target.shape} must equal input shape {input.shape}")
    probabilities = tg.ops.element_values(input)
    if probabilities.size and (probabilities.min() < 0 or probabilities.max() > 1):
        raise ValueError("binary_cross_entropy: input values must be probabilities in [0, 1]; "
                         "apply sigmoid first or use binary_cross_entropy_with_logits")
    loss = tg.ops.binary_cross_entropy(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(input: Tensor, target: Any, weight: Tensor | None = None,
                                     reduction: str = "mean", pos_weight: Tensor | None = None) -> Tensor:
    """Sigmoid + binary cross-entropy in one stable formula:
    (1 - t) x + (1 + (pos_weight - 1) t) softplus(-x)."""
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    target = _as_tensor(target)
    if target.shape != input.shape:
        raise ValueError(f"binary_cross_entropy_with_logits: target shape {target.shape} must equal input "
                         f"shape {input.shape}")
    log_weight = 1 if pos_weight is None else (pos_weight - 1) * target + 1
    loss = (1 - target) * input + log_weight * (-input).softplus()
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")


def cross_entropy(input: Tensor, target: Any, weight: Tensor | None = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy from raw logits `input` (N, C, d1, ...) or (C,), computed through
    log_softmax (stable). `target` holds class indices (integers, shape (N, d1, ...)) or class
    probabilities (floats, same shape as input)."""
    _check_reduction(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    class_dim = _class_layout(input, "cross_entropy")
    target = _as_tensor(target)
    n_classes = input.shape[class_dim]
    weight = None if weight is None else _as_tensor(weight)
    if input.ndim == 2 and target.dtype.kind in "iu" and label_smoothing == 0:
        if weight is not None:
            _class_weight_view(weight, input, class_dim, "cross_entropy")  # validates the weight's shape
        return tg.ops.cross_entropy(input, target, None if weight is None else weight.detach(), ignore_index,
                                    reduction)
    log_prob = input.log_softmax(class_dim)
    if target.dtype.kind == "f":
        if target.shape != input.shape:
            raise ValueError(f"cross_entropy: class-probability target of shape {target.shape} must have the "
                             f"input's shape {input.shape} (or pass integer class indices)")
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / n_classes
        if weight is not None:
            log_prob = log_prob * _class_weight_view(weight, input, class_dim, "cross_entropy")
        loss = -(log_prob * target).sum(axis=class_dim)
        if reduction == "mean":
            return loss.sum() / (input.size // n_classes)
        return _reduce(loss, reduction, "cross_entropy")
    nll = nll_loss(log_prob, target, weight, ignore_index, reduction)
    if label_smoothing == 0:
        return nll
    keep = target.numpy() != ignore_index
    if weight is not None:
        log_prob = log_prob * _class_weight_view(weight, input, class_dim, "cross_entropy")
    smooth = -log_prob.sum(axis=class_dim) * keep
    if reduction == "mean":
        denominator = weight.detach().numpy()[target.numpy()[keep]].sum() if weight is not None else keep.sum()
        smooth = smooth.sum() / denominator
    else:
        smooth = _reduce(smooth, reduction, "cross_entropy")
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / n_classes)


def kl_div(input: Tensor, target: Any, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL(target || exp(input)) with `input` as log-probabilities; reduction also 'batchmean'."""
    target = _as_tensor(target)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = target * (tg.where(target.detach() > 0, target, 1.0).log() - input)  # 0 log 0 = 0
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction, "kl_div")
