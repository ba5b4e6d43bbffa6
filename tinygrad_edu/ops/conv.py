"""Convolution and pooling: im2col (unfold/fold), conv2d as one matrix product over the
columns, max and average pooling over strided windows (no Python loop over pixels)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from .axes import pair
from .linalg import MatMul


def _out_size(size: int, kernel: int, stride: int, dilation: int) -> int:
    return (size - dilation * (kernel - 1) - 1) // stride + 1


class Unfold(Function):
    """im2col: (N, C, H, W) -> (N, C*kh*kw, L), one column per sliding-window position.

    With `batch_columns` the columns of all images sit side by side, (C*kh*kw, N*L), so a
    convolution of the whole batch is one matrix product."""

    @staticmethod
    def forward(ctx, x, kernel_size, stride, dilation, batch_columns=False):
        (kh, kw), (sh, sw), (dh, dw) = kernel_size, stride, dilation
        n, c, h, w = x.shape
        oh, ow = _out_size(h, kh, sh, dh), _out_size(w, kw, sw, dw)
        ctx.in_size, ctx.kernel_size, ctx.stride, ctx.dilation = (h, w), kernel_size, stride, dilation
        ctx.batch_columns = batch_columns
        windows = sliding_window_view(x, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(2, 3))
        windows = windows[:, :, ::sh, ::sw, ::dh, ::dw]  # (N, C, OH, OW, kh, kw), a view
        if batch_columns:
            return windows.transpose(1, 4, 5, 0, 2, 3).reshape(c * kh * kw, n * oh * ow)
        return windows.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * kh * kw, oh * ow)

    formula = "d unfold(x)/dx = 1 for each window copy (the copies' gradients are summed: fold)"
    @staticmethod
    def backward(ctx, g):
        return Fold.apply(g, output_size=ctx.in_size, kernel_size=ctx.kernel_size, stride=ctx.stride,
                          dilation=ctx.dilation, batch_columns=ctx.batch_columns)


class Fold(Function):
    """col2im: (N, C*kh*kw, L) -> (N, C, H, W), summing overlapping windows (unfold's adjoint);
    `batch_columns` takes Unfold's (C*kh*kw, N*L) layout and returns a channel-major view."""

    @staticmethod
    def forward(ctx, cols, output_size, kernel_size, stride, dilation, batch_columns=False):
        (h, w), (kh, kw), (sh, sw), (dh, dw) = output_size, kernel_size, stride, dilation
        oh, ow = _out_size(h, kh, sh, dh), _out_size(w, kw, sw, dw)
        if batch_columns:
            ckk, length = cols.shape
            n = length // max(oh * ow, 1)
        else:
            n, ckk, length = cols.shape
            length *= n
        c = ckk // (kh * kw)
        if c * kh * kw != ckk or n * oh * ow != length:
            expected = f"(C*{kh * kw}, N*{oh * ow})" if batch_columns else f"(N, C*{kh * kw}, {oh * ow})"
            raise ValueError(
                f"fold: input of shape {cols.shape} does not match output size {output_size}, kernel "
                f"{kernel_size}, stride {stride}, dilation {dilation} (expected {expected})"
            )
        ctx.kernel_size, ctx.stride, ctx.dilation, ctx.batch_columns = kernel_size, stride, dilation, batch_columns
        if batch_columns:  # channel-major (C, N, H, W) memory, like the columns and the convolution's output
            blocks, target = cols.reshape(c, kh, kw, n, oh, ow), np.zeros((c, n, h, w), dtype=cols.dtype)
        else:
            blocks = cols.reshape(n, c, kh, kw, oh, ow).transpose(1, 2, 3, 0, 4, 5)
            target = np.zeros((n, c, h, w), dtype=cols.dtype).transpose(1, 0, 2, 3)
        for i in range(kh):  # loop over kernel offsets only; every pixel and image at once
            for j in range(kw):
                rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
                columns = slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)
                target[:, :, rows, columns] += blocks[:, i, j]
        return target.transpose(1, 0, 2, 3)

    formula = "d fold(c)/dc = 1 (each column entry is added to one pixel: unfold)"
    @staticmethod
    def backward(ctx, g):
        return Unfold.apply(g, kernel_size=ctx.kernel_size, stride=ctx.stride, dilation=ctx.dilation,
                            batch_columns=ctx.batch_columns)


def _check_4d(x: Tensor, op: str) -> None:
    if x.ndim != 4:
        raise ValueError(f"{op}: expects input of shape (N, C, H, W), got {x.shape}")


def unfold(x: Tensor, kernel_size: Any, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
           pad_value: float = 0.0, batch_columns: bool = False) -> Tensor:
    """Extract sliding local blocks: (N, C, H, W) -> (N, C*kh*kw, L), as torch's F.unfold
    (or (C*kh*kw, N*L) with `batch_columns`)."""
    _check_4d(x, "unfold")
    kernel, stride, dilation = pair(kernel_size, "kernel_size", "unfold"), pair(stride, "stride", "unfold"), \
        pair(dilation, "dilation", "unfold")
    ph, pw = pair(padding, "padding", "unfold")
    if min(kernel + stride + dilation) <= 0 or min(ph, pw) < 0:
        raise ValueError("unfold: kernel_size, stride and dilation must be positive and padding non-negative")
    if ph or pw:
        x = x.pad(((0, 0), (0, 0), (ph, ph), (pw, pw)), value=pad_value)
    h, w = x.shape[2:]
    if _out_size(h, kernel[0], stride[0], dilation[0]) <= 0 or _out_size(w, kernel[1], stride[1], dilation[1]) <= 0:
        raise ValueError(
            f"unfold: kernel {kernel} with dilation {dilation} does not fit in the padded input of size {(h, w)}"
        )
    return Unfold.apply(x, kernel_size=kernel, stride=stride, dilation=dilation, batch_columns=batch_columns)


def fold(cols: Tensor, output_size: Any, kernel_size: Any, stride: Any = 1, padding: Any = 0,
         dilation: Any = 1) -> Tensor:
    """Combine sliding blocks into an image, summing overlaps, as torch's F.fold."""
    h, w = pair(output_size, "output_size", "fold")
    ph, pw = pair(padding, "padding", "fold")
    out = Fold.apply(cols, output_size=(h + 2 * ph, w + 2 * pw), kernel_size=pair(kernel_size, "kernel_size", "fold"),
                     stride=pair(stride, "stride", "fold"), dilation=pair(dilation, "dilation", "fold"))
    return out[:, :, ph : ph + h, pw : pw + w] if ph or pw else out


class ConvProduct(Function):
    """weight (F, K) @ columns (K, L), plus bias (F,) on every column unless it is None, in one node:
    a convolution's matrix product with the bias added in place, not into a second (F, L) array."""

    @staticmethod
    def forward(ctx, weight, cols, bias):
        ctx.save_for_backward(weight, cols)
        out = np.matmul(weight, cols)
        if bias is not None:
            out += bias[:, None]
        return out

    formula = "d(w @ c + b)/dw = c (g @ c.T); d(w @ c + b)/dc = w (w.T @ g); d(w @ c + b)/db = 1 (sum g)"
    @staticmethod
    def backward(ctx, g):
        weight, cols = ctx.saved_tensors
        need_w, need_cols, need_b = ctx.needs_input_grad
        return (MatMul.apply(g, cols.T) if need_w else None, MatMul.apply(weight.T, g) if need_cols else None,
                g.sum(axis=1) if need_b else None)


def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation as im2col + one matrix product: x (N, C, H, W), weight (F, C/groups, kh, kw)."""
    image, given_padding = x, padding
    unbatched = x.ndim == 3
    if unbatched:
        x = x.unsqueeze(0)
    _check_4d(x, "conv2d")
    if weight.ndim != 4:
        raise ValueError(f"conv2d: weight must have shape (out_channels, in_channels/groups, kh, kw), got {weight.shape}")
    n, c = x.shape[:2]
    f, cg, kh, kw = weight.shape
    if groups < 1 or c != cg * groups or f % groups:
        raise ValueError(
            f"conv2d: input with {c} channels (shape {x.shape}) does not fit weight {weight.shape} with "
            f"groups={groups}; expected in_channels = {cg} * {groups} and out_channels divisible by groups"
        )
    dilation2 = pair(dilation, "dilation", "conv2d")
    if isinstance(padding, str):
        if padding == "valid":
            padding = 0
        elif padding == "same":
            padding = _same_padding(x, (kh, kw), dilation2, stride)
        else:
            raise ValueError(f"conv2d: padding must be an int, a pair, 'same' or 'valid', got {padding!r}")
    stride2 = pair(stride, "stride", "conv2d")
    if isinstance(padding, tuple) and len(padding) == 4:
        x = x.pad(((0, 0), (0, 0), padding[:2], padding[2:]))
        padding = 0
    if bias is not None and bias.shape != (f,):
        raise ValueError(f"conv2d: bias must have shape ({f},), got {bias.shape}")
    cols = unfold(x, (kh, kw), stride2, padding, dilation2, batch_columns=True)  # (C*kh*kw, N*L)
    if groups == 1:  # the whole batch in one matrix product
        columns = cols
        product = out = ConvProduct.apply(weight.reshape(f, c * kh * kw), cols, bias)
    else:
        columns = cols.reshape(groups, cg * kh * kw, cols.shape[1])
        product = weight.reshape(groups, f // groups, cg * kh * kw) @ columns
        out = product.reshape(f, cols.shape[1])
        if bias is not None:
            out = out + bias.reshape(f, 1)
    if product.grad_fn is not None and columns.grad_fn is None:  # x needs no grad: its unfold was not recorded,
        unfold_arguments = {"kernel_size": (kh, kw), "stride": stride2, "padding": given_padding, "dilation": dilation2}
        product.grad_fn._im2col_of = (image, columns, unfold_arguments)  # so drawings can show the image and unfold
    ph, pw = pair(padding, "padding", "conv2d")
    h, w = x.shape[2] + 2 * ph, x.shape[3] + 2 * pw
    oh, ow = _out_size(h, kh, stride2[0], dilation2[0]), _out_size(w, kw, stride2[1], dilation2[1])
    # (N, F, OH, OW) as a view of channel-major memory: elementwise ops that follow keep that memory
    # order, so the gradient comes back channel-major and the matrix products need no copies
    out = out.reshape(f, n, oh, ow).permute(1, 0, 2, 3)
    return out[0] if unbatched else out


def _same_padding(x: Tensor, kernel: tuple, dilation: tuple, stride: Any) -> tuple:
    if pair(stride, "stride", "conv2d") != (1, 1):
        raise ValueError("conv2d: padding='same' needs stride 1")
    total = [d * (k - 1) for k, d in zip(kernel, dilation)]
    return (total[0] // 2, total[0] - total[0] // 2, total[1] // 2, total[1] - total[1] // 2)


def _pool_windows(x: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any, pad_value: float,
                  op: str) -> tuple[Tensor, tuple]:
    unbatched = x.ndim == 3
    if unbatched:
        x = x.unsqueeze(0)
    _check_4d(x, op)
    kernel = pair(kernel_size, "kernel_size", op)
    stride = kernel if stride is None else pair(stride, "stride", op)
    ph, pw = pair(padding, "padding", op)
    if ph > kernel[0] // 2 or pw > kernel[1] // 2:
        raise ValueError(f"{op}: padding {padding} must be at most half the kernel size {kernel}")
    dil = pair(dilation, "dilation", op)
    n, c, h, w = x.shape
    if h + 2 * ph < dil[0] * (kernel[0] - 1) + 1 or w + 2 * pw < dil[1] * (kernel[1] - 1) + 1:
        raise ValueError(f"{op}: kernel {kernel} (dilation {dil}) does not fit in the input of size {(h, w)} "
                         f"padded by {(ph, pw)}; use a smaller kernel or a larger input")
    cols = unfold(x, kernel, stride, (ph, pw), dil, pad_value)
    oh = _out_size(h + 2 * ph, kernel[0], stride[0], dil[0])
    ow = _out_size(w + 2 * pw, kernel[1], stride[1], dil[1])
    windows = cols.reshape(n, c, kernel[0] * kernel[1], oh * ow)
    return windows, ((c, oh, ow) if unbatched else (n, c, oh, ow))


def _window_offsets(shape: tuple, kernel_size: tuple) -> list[tuple[slice, slice]]:
    """(rows, columns) slices of an (N, C, H, W) array, one pair per offset (i, j) of a kh x kw window,
    each picking that offset of every non-overlapping window; in window order (row-major)."""
    (kh, kw), (h, w) = kernel_size, shape[2:]
    oh, ow = h // kh, w // kw
    return [(slice(i, oh * kh, kh), slice(j, ow * kw, kw)) for i in range(kh) for j in range(kw)]


def _axis_order(x: np.ndarray) -> list[int]:
    """x's axes from outermost to innermost in memory (a channel-major NCHW view: [1, 0, 2, 3])."""
    return sorted(range(x.ndim), key=lambda axis: -abs(x.strides[axis]))


def _empty_in_layout(like: np.ndarray, shape: tuple, dtype: Any) -> np.ndarray:
    """An uninitialised array of `shape` whose last `like.ndim` axes lie in memory in the order of
    `like`'s axes (extra leading axes outermost): a channel-major view gives channel-major arrays."""
    lead = len(shape) - like.ndim
    axes = list(range(lead)) + [lead + axis for axis in _axis_order(like)]
    return np.empty([shape[axis] for axis in axes], dtype).transpose(np.argsort(axes))


def _copy_in_layout(x: np.ndarray, like: np.ndarray) -> np.ndarray:
    """A copy of `x` laid out in memory in the order of `like`'s axes."""
    out = _empty_in_layout(like, x.shape, x.dtype)
    out[...] = x
    return out


class MaxPool2d(Function):
    """Max over non-overlapping kh x kw windows (stride = kernel, rows and columns that do not fill
    a window are dropped); the gradient goes to the first maximum of each window, as in PyTorch.

    The output keeps the input's memory order (a convolution's output is channel-major), and so
    does the gradient (see MaxPool2dBackward), so the next matrix product needs no copy."""

    @staticmethod
    def forward(ctx, x, kernel_size):
        offsets = _window_offsets(x.shape, kernel_size)
        out = x[:, :, offsets[0][0], offsets[0][1]].copy(order="K")
        for rows, columns in offsets[1:]:  # a loop over the window's kh*kw offsets, each over all windows
            np.maximum(out, x[:, :, rows, columns], out=out)
        if not ctx.needs_input_grad:  # nothing recorded: no mask needed
            return out
        # mask[k]: where offset k holds its window's first maximum; laid out like `out`, so every
        # loop here and in backward runs over arrays in one memory order
        mask = _empty_in_layout(out, (len(offsets),) + out.shape, bool)
        for k, (rows, columns) in enumerate(offsets):  # in window order, so a tie goes to the first maximum
            np.equal(x[:, :, rows, columns], out, out=mask[k])
            if k == 0:
                taken = mask[0].copy()
            else:
                np.greater(mask[k], taken, out=mask[k])  # a maximum, and none before it in the window
                taken |= mask[k]
        ctx.in_shape, ctx.kernel_size = x.shape, kernel_size
        ctx.save_for_backward(mask)
        return out

    formula = "d max_pool(x)/dx = 1 at each window's first maximum, else 0"
    @staticmethod
    def backward(ctx, g):
        (mask,) = ctx.saved_tensors
        return MaxPool2dBackward.apply(g, mask=mask._data, in_shape=ctx.in_shape, kernel_size=ctx.kernel_size)


class MaxPool2dBackward(Function):
    """MaxPool2d's gradient as one op: each window's gradient g (N, C, OH, OW) goes to the offset
    that `mask` (kh*kw, N, C, OH, OW) marks, zero elsewhere, written in the mask's memory order.
    Linear in g, so its own backward picks the same positions."""

    @staticmethod
    def forward(ctx, g, mask, in_shape, kernel_size):
        # g in the mask's memory order and without gaps: the products below are several times
        # slower over mixed or gapped layouts than this copy
        if not g.transpose(_axis_order(mask[0])).flags.c_contiguous:
            g = _copy_in_layout(g, mask[0])
        out = _empty_in_layout(mask[0], in_shape, g.dtype)
        (kh, kw), (h, w) = kernel_size, in_shape[2:]
        out[:, :, h - h % kh :] = 0  # rows and columns that fill no window get no gradient
        out[:, :, :, w - w % kw :] = 0
        for k, (rows, columns) in enumerate(_window_offsets(in_shape, kernel_size)):
            np.multiply(g, mask[k], out=out[:, :, rows, columns])
        ctx.kernel_size = kernel_size
        ctx.save_for_backward(mask)
        return out

    formula = "d scatter(g)/dg = 1 at each window's first maximum, else 0"
    @staticmethod
    def backward(ctx, gg):
        (mask,) = ctx.saved_tensors
        (kh, kw), (_, n, c, oh, ow) = ctx.kernel_size, mask.shape
        if gg.shape[2:] != (oh * kh, ow * kw):
            gg = gg[:, :, : oh * kh, : ow * kw]
        windows = gg.reshape(n, c, oh, kh, ow, kw).permute(3, 5, 0, 1, 2, 4).reshape(kh * kw, n, c, oh, ow)
        return (windows * mask).sum(axis=0)


def max_pool2d(x: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1) -> Tensor:
    """Max over each window; the gradient goes to the first maximum of the window, as in PyTorch."""
    kernel = pair(kernel_size, "kernel_size", "max_pool2d")
    if x.ndim == 4 and stride in (None, kernel_size, kernel) and padding in (0, (0, 0)) and dilation in (1, (1, 1)) \
            and min(kernel) > 0 and x.shape[2] >= kernel[0] and x.shape[3] >= kernel[1]:
        return MaxPool2d.apply(x, kernel_size=kernel)
    windows, out_shape = _pool_windows(x, kernel_size, stride, padding, dilation, -np.inf, "max_pool2d")
    return windows.gather(2, windows.argmax(2, keepdims=True)).reshape(out_shape)  # each window's first maximum


def avg_pool2d(x: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """Mean over each window (zero padding counts, as PyTorch's default count_include_pad=True)."""
    windows, out_shape = _pool_windows(x, kernel_size, stride, padding, 1, 0.0, "avg_pool2d")
    return windows.mean(axis=2).reshape(out_shape)
