"""Pooling: max and average over fixed windows, and adaptive average pooling, which picks the
windows so that the output has a requested size (`AdaptiveAvgPool2d((1, 1))` is the global average
of each channel). The functional forms come first, then the Module classes that hold the options;
`tinygrad_edu.nn.functional` re-exports the functions."""

from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import Tensor

from .module import Module


def _ceil_extra(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """Extra padding on the far side so that ceil_mode's last window exists (it must start
    inside the input or the left padding, as in PyTorch)."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = -(-span // stride) + 1
    if (out - 1) * stride >= size + padding:
        out -= 1
    return max(0, (out - 1) * stride + dilation * (kernel - 1) + 1 - (size + 2 * padding))


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False, return_indices: bool = False) -> Tensor:
    """Maximum over each window (padding counts as -inf); `ceil_mode` keeps partial last windows."""
    if return_indices:
        raise NotImplementedError("max_pool2d: return_indices=True is not supported")
    stride = kernel_size if stride is None or stride == [] else stride
    if ceil_mode:
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = (tg.ops.pair(v) for v in (kernel_size, stride, padding, dilation))
        h, w = input.shape[-2:]
        extra_h, extra_w = _ceil_extra(h, kh, sh, ph, dh), _ceil_extra(w, kw, sw, pw, dw)
        if extra_h or extra_w:
            lead = ((0, 0),) * (input.ndim - 2)
            input = input.pad(lead + ((ph, ph + extra_h), (pw, pw + extra_w)), value=-np.inf)
            padding = 0
    return tg.max_pool2d(input, kernel_size, stride, padding, dilation)


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """Mean over each window; zero padding counts unless `count_include_pad=False`."""
    if ceil_mode:
        raise NotImplementedError("avg_pool2d: ceil_mode=True is not supported")
    stride = kernel_size if stride is None or stride == [] else stride
    out = tg.avg_pool2d(input, kernel_size, stride, padding)
    kh, kw = tg.ops.pair(kernel_size)
    if divisor_override is not None:
        return out * (kh * kw / divisor_override)
    if not count_include_pad and any(tg.ops.pair(padding)):
        counts = tg.avg_pool2d(tg.ones(*input.shape[-2:], dtype=input.dtype).reshape(1, 1, *input.shape[-2:]),
                               kernel_size, stride, padding)
        return out / counts.reshape(counts.shape[-2:])
    return out


def _averaging_matrix(size: int, output_size: int, dtype: Any) -> np.ndarray:
    """The (output_size, size) matrix whose row i averages input positions floor(i*size/out) up to
    ceil((i+1)*size/out), PyTorch's adaptive windows (they overlap when size is not a multiple)."""
    weights = np.zeros((output_size, size), dtype=dtype)
    for i in range(output_size):
        start, stop = (i * size) // output_size, -(-((i + 1) * size) // output_size)
        weights[i, start:stop] = 1.0 / (stop - start)
    return weights


def _output_sizes(op: str, output_size: Any, input_sizes: tuple, n: int) -> tuple:
    sizes = (output_size,) * n if isinstance(output_size, (int, np.integer)) or output_size is None else tuple(output_size)
    if len(sizes) != n:
        raise ValueError(f"{op}: output_size must be an int or {n} ints, got {output_size!r}")
    sizes = tuple(size if out is None else int(out) for out, size in zip(sizes, input_sizes))  # None: keep
    if any(out <= 0 for out in sizes):
        raise ValueError(f"{op}: output_size must be positive, got {output_size!r}")
    return sizes


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    """(N, C, L) or (C, L) -> (..., output_size): the mean over adaptive windows of the last dim."""
    if input.ndim not in (2, 3):
        raise ValueError(f"adaptive_avg_pool1d: expected input of shape (N, C, L) or (C, L), got {tuple(input.shape)}")
    (length,) = _output_sizes("adaptive_avg_pool1d", output_size, input.shape[-1:], 1)
    return input @ tg.tensor(_averaging_matrix(input.shape[-1], length, input.dtype).T)


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """(N, C, H, W) or (C, H, W) -> (..., oh, ow): the mean over adaptive windows, computed as
    A_h @ x @ A_w^T with the averaging matrices of the two dimensions."""
    if input.ndim not in (3, 4):
        raise ValueError(f"adaptive_avg_pool2d: expected input of shape (N, C, H, W) or (C, H, W), got "
                         f"{tuple(input.shape)}")
    height, width = _output_sizes("adaptive_avg_pool2d", output_size, input.shape[-2:], 2)
    rows = tg.tensor(_averaging_matrix(input.shape[-2], height, input.dtype))
    cols = tg.tensor(_averaging_matrix(input.shape[-1], width, input.dtype).T)
    return rows @ input @ cols


def _check_image(layer: Module, input: Tensor) -> None:
    if input.ndim not in (3, 4):
        raise ValueError(f"{layer!r} expects input of shape (N, C, H, W) or (C, H, W), got shape {tuple(input.shape)}")


class MaxPool2d(Module):
    """Max over kh x kw windows (stride defaults to the kernel size)."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        if return_indices:
            raise NotImplementedError("MaxPool2d: return_indices=True is not supported")
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input: Tensor) -> Tensor:
        _check_image(self, input)
        return max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """Mean over kh x kw windows (stride defaults to the kernel size)."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: int | None = None) -> None:
        super().__init__()
        if ceil_mode:
            raise NotImplementedError("AvgPool2d: ceil_mode=True is not supported")
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:
        _check_image(self, input)
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool1d(Module):
    """Average over windows chosen so that the last dimension becomes `output_size`."""

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return adaptive_avg_pool1d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(Module):
    """Average over windows chosen so that the output is `output_size` (an int, a pair, None keeps
    a dimension); `AdaptiveAvgPool2d(1)` is global average pooling."""

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
