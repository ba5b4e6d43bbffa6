"""Reductions over an axis (int, tuple or None) with `keepdims`, in NumPy's meaning."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Function, Tensor, get_default_dtype, is_grad_enabled
from .elementwise import where


def norm_axis(axis: Any, ndim: int, op: str) -> Any:
    """Validate and normalise an axis argument: None, an int or a tuple of distinct ints."""
    if axis is None:
        return None
    if type(axis) is int and 0 <= axis < ndim:
        return axis
    if isinstance(axis, (tuple, list)):
        axes = tuple(sorted(norm_axis(a, ndim, op) for a in axis))
        if len(set(axes)) != len(axes):
            raise ValueError(f"{op}: repeated axis in {tuple(axis)}")
        return axes
    if isinstance(axis, Tensor):
        axis = axis.item()
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise TypeError(f"{op}: axis must be an int, a tuple of ints or None, got {axis!r}")
    if not -max(ndim, 1) <= axis < max(ndim, 1):
        raise IndexError(f"{op}: axis {axis} is out of range for a tensor with {ndim} dimensions")
    return int(axis) % max(ndim, 1)


def _kept_shape(shape: tuple, axis: Any) -> tuple:
    """`shape` with the reduced axes kept as size 1."""
    if axis is None:
        return (1,) * len(shape)
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _count(shape: tuple, axis: Any) -> int:
    if axis is None:
        return int(np.prod(shape))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return int(np.prod([shape[a] for a in axes]))


def _expand_grad(g: Tensor, shape: tuple, axis: Any, keepdims: bool) -> Tensor:
    """Broadcast the gradient of a reduction back over the reduced axes."""
    if not keepdims:
        g = g.reshape(_kept_shape(shape, axis))
    return g.expand(shape)


class Sum(Function):
    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        ctx.in_shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        return x.sum(axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, g):
        return _expand_grad(g, ctx.in_shape, ctx.axis, ctx.keepdims)


class Mean(Function):
    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        ctx.in_shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        return x.mean(axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, g):
        return _expand_grad(g / _count(ctx.in_shape, ctx.axis), ctx.in_shape, ctx.axis, ctx.keepdims)


class Max(Function):
    """Largest value; tied maxima share the gradient equally (PyTorch's amax)."""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        out = x.max(axis=axis, keepdims=keepdims)
        ctx.axis, ctx.keepdims = axis, keepdims
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        return _extremum_grad(g, x, out, ctx.axis, ctx.keepdims)


class Min(Function):
    """Smallest value; tied minima share the gradient equally (PyTorch's amin)."""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        out = x.min(axis=axis, keepdims=keepdims)
        ctx.axis, ctx.keepdims = axis, keepdims
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        return _extremum_grad(g, x, out, ctx.axis, ctx.keepdims)


def _extremum_grad(g: Tensor, x: Tensor, out: Tensor, axis: Any, keepdims: bool) -> Tensor:
    hit = x.data == out.data.reshape(_kept_shape(x.shape, axis))
    share = hit / hit.sum(axis=axis, keepdims=True)
    return _expand_grad(g, x.shape, axis, keepdims) * share.astype(x.dtype)


class Norm2(Function):
    """Euclidean norm over `axis`; its gradient x / norm is taken as 0 where the norm is 0 (the
    subgradient PyTorch uses), not 0/0."""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        ctx.in_shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        out = np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        scale = g / where(out.data == 0, 1.0, out)
        return _expand_grad(scale, ctx.in_shape, ctx.axis, ctx.keepdims) * x


def norm(x: Tensor, p: Any = 2, axis: Any = None, keepdims: bool = False) -> Tensor:
    """The p-norm over `axis` (all elements when None): p = 2 (or "fro"), 1, inf, -inf or any p > 0."""
    axis = norm_axis(axis, x.ndim, "norm")
    if p in (2, "fro"):
        return Norm2.apply(x, axis=axis, keepdims=keepdims)
    if p == 1:
        return x.abs().sum(axis=axis, keepdims=keepdims)
    if p in (np.inf, -np.inf):
        magnitude = x.abs()
        return magnitude.max(axis, keepdims) if p > 0 else magnitude.min(axis, keepdims)
    if not isinstance(p, (int, float)) or isinstance(p, bool) or p <= 0:
        raise ValueError(f"norm: p must be 2, 'fro', 1, inf, -inf or a positive number, got {p!r}")
    return (x.abs() ** p).sum(axis=axis, keepdims=keepdims) ** (1.0 / p)


class CumSum(Function):
    """Running sum along `axis`; its gradient is the running sum of `g` taken from the other end."""

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        return np.cumsum(x, axis=axis)

    @staticmethod
    def backward(ctx, g):
        return g.flip(ctx.axis).cumsum(ctx.axis).flip(ctx.axis)


class Prod(Function):
    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        out = x.prod(axis=axis, keepdims=keepdims)
        ctx.axis, ctx.keepdims = axis, keepdims
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        g = _expand_grad(g, x.shape, ctx.axis, ctx.keepdims)
        if np.all(x.data != 0):
            return g * _expand_grad(out, x.shape, ctx.axis, ctx.keepdims) / x
        if is_grad_enabled():  # create_graph: the zero-safe product must itself be differentiable
            return g * _product_of_others_graph(x, ctx.axis)
        return g * _product_of_others(x.data, ctx.axis)


def _product_of_others_graph(x: Tensor, axis: Any) -> Tensor:
    """`_product_of_others` in Tensor ops (each group as an n x n matrix with ones on the diagonal),
    so that second derivatives of prod are right where inputs are zero."""
    axes = tuple(range(x.ndim)) if axis is None else (axis if isinstance(axis, tuple) else (axis,))
    order = [a for a in range(x.ndim) if a not in axes] + list(axes)
    moved = x.permute(tuple(order))
    n = _count(x.shape, axes)
    flat = moved.reshape(moved.shape[: x.ndim - len(axes)] + (n,))
    rows = flat.unsqueeze(-2).expand(flat.shape[:-1] + (n, n))
    others = where(np.eye(n, dtype=bool), 1.0, rows).prod(axis=-1)
    return others.reshape(moved.shape).permute(tuple(int(a) for a in np.argsort(order)))


def _product_of_others(x: np.ndarray, axis: Any) -> np.ndarray:
    """For each element, the product of the other elements of its reduction group (zero-safe)."""
    axes = tuple(range(x.ndim)) if axis is None else (axis if isinstance(axis, tuple) else (axis,))
    rest = [a for a in range(x.ndim) if a not in axes]
    moved = np.transpose(x, rest + list(axes))
    flat = moved.reshape(moved.shape[: len(rest)] + (-1,))
    ones = np.ones(flat.shape[:-1] + (1,), dtype=x.dtype)
    left = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    others = (left * right).reshape(moved.shape)
    return np.transpose(others, np.argsort(rest + list(axes)))


class LogSumExp(Function):
    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        peak = np.max(x, axis=axis, keepdims=True)
        peak = np.where(np.isfinite(peak), peak, 0)
        out = np.log(np.sum(np.exp(x - peak), axis=axis, keepdims=True)) + peak
        if not keepdims:
            out = out.reshape(np.sum(x, axis=axis).shape) if axis is not None else out.reshape(())
        ctx.axis, ctx.keepdims = axis, keepdims
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        kept = _kept_shape(x.shape, ctx.axis)
        return _expand_grad(g, x.shape, ctx.axis, ctx.keepdims) * (x - out.reshape(kept)).exp()


def mean(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Arithmetic mean (integer tensors are averaged in the default float dtype, like PyTorch)."""
    axis = norm_axis(axis, x.ndim, "mean")
    if x.dtype.kind != "f":
        x = x.astype(get_default_dtype())
    return Mean.apply(x, axis=axis, keepdims=keepdims)


def var(x: Tensor, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Tensor:
    """Variance with `ddof` (0 = population variance, NumPy's default; 1 = PyTorch's default)."""
    axis = norm_axis(axis, x.ndim, "var")
    n = _count(x.shape, axis)
    centred = x - Mean.apply(x, axis=axis, keepdims=True)
    return Sum.apply(centred * centred, axis=axis, keepdims=keepdims) / (n - ddof)
