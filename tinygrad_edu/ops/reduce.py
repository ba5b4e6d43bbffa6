"""Reductions over an axis (int, tuple or None) with `keepdims` (PyTorch: `dim`, `keepdim`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.dtypes import get_default_dtype
from ..autograd.function import Function
from ..autograd.mode import is_grad_enabled
from ..autograd.tensor import Tensor
from .axes import norm_axis, pick_axis
from .elementwise import where


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

    formula = "d sum(x)/dx = 1 for every summed element"
    @staticmethod
    def backward(ctx, g):
        return _expand_grad(g, ctx.in_shape, ctx.axis, ctx.keepdims)


class Mean(Function):
    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        ctx.in_shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        return x.mean(axis=axis, keepdims=keepdims)

    formula = "d mean(x)/dx = 1 / n for each of the n averaged elements"
    @staticmethod
    def backward(ctx, g):
        return _expand_grad(g / _count(ctx.in_shape, ctx.axis), ctx.in_shape, ctx.axis, ctx.keepdims)


class Max(Function):
    """Largest value; tied maxima share the gradient equally (PyTorch's amax)."""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        return _keep_extremum(ctx, x, np.max(x, axis=axis, keepdims=keepdims), axis, keepdims)

    formula = "d max(x)/dx = 1 at the maximum (shared by ties), else 0"
    @staticmethod
    def backward(ctx, g):
        return _extremum_grad(ctx, g)


class Min(Function):
    """Smallest value; tied minima share the gradient equally (PyTorch's amin)."""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        return _keep_extremum(ctx, x, np.min(x, axis=axis, keepdims=keepdims), axis, keepdims)

    formula = "d min(x)/dx = 1 at the minimum (shared by ties), else 0"
    @staticmethod
    def backward(ctx, g):
        return _extremum_grad(ctx, g)


def _keep_extremum(ctx, x: np.ndarray, out: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
    """What max and min keep for backward: the input, the extremum, the axes."""
    ctx.axis, ctx.keepdims = axis, keepdims
    ctx.save_for_backward(x, out)
    return out


def _extremum_grad(ctx, g: Tensor) -> Tensor:
    """The gradient goes to the entries equal to the extremum, shared among ties."""
    x, out = ctx.saved_tensors
    hit = x._data == out._data.reshape(_kept_shape(x.shape, ctx.axis))
    share = hit / hit.sum(axis=ctx.axis, keepdims=True)
    return _expand_grad(g, x.shape, ctx.axis, ctx.keepdims) * share.astype(x.dtype)


class Norm2(Function):
    """Euclidean norm over `axis`; its gradient x / norm is taken as 0 where the norm is 0 (the
    subgradient PyTorch uses), not 0/0."""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        ctx.in_shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        out = np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims))
        ctx.save_for_backward(x, out)
        return out

    formula = "d ||x||/dx = x / ||x|| (0 where ||x|| = 0)"
    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        scale = g / where(out._data == 0, 1.0, out)
        return _expand_grad(scale, ctx.in_shape, ctx.axis, ctx.keepdims) * x


def norm(x: Tensor, p: Any = 2, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
         keepdim: bool | None = None) -> Tensor:
    """The p-norm over `axis` (all elements when None): p = 2 (or "fro"), 1, inf, -inf or any p > 0."""
    axis = norm_axis(pick_axis(axis, dim), x.ndim, "norm")
    keepdims = keepdims if keepdim is None else keepdim
    if p in (2, "fro"):
        return Norm2.apply(x, axis=axis, keepdims=keepdims)
    if p == 1:
        return x.abs().sum(axis=axis, keepdims=keepdims)
    if p in (np.inf, -np.inf):
        magnitude = x.abs()
        return amax(magnitude, axis, keepdims) if p > 0 else amin(magnitude, axis, keepdims)
    if not isinstance(p, (int, float)) or isinstance(p, bool) or p <= 0:
        raise ValueError(f"norm: p must be 2, 'fro', 1, inf, -inf or a positive number, got {p!r}")
    return (x.abs() ** p).sum(axis=axis, keepdims=keepdims) ** (1.0 / p)


class CumSum(Function):
    """Running sum along `axis`; its gradient is the running sum of `g` taken from the other end."""

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        return np.cumsum(x, axis=axis)

    formula = "d cumsum(x)[i]/dx[j] = 1 if j <= i else 0"
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

    formula = "d prod(x)/dx[i] = product of the other elements"
    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        g = _expand_grad(g, x.shape, ctx.axis, ctx.keepdims)
        if np.all(x._data != 0):
            return g * _expand_grad(out, x.shape, ctx.axis, ctx.keepdims) / x
        if is_grad_enabled():  # create_graph: the zero-safe product must itself be differentiable
            return g * _product_of_others_graph(x, ctx.axis)
        return g * _product_of_others(x._data, ctx.axis)


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

    formula = "d logsumexp(x)/dx = exp(x - logsumexp(x)) = softmax(x)"
    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        kept = _kept_shape(x.shape, ctx.axis)
        return _expand_grad(g, x.shape, ctx.axis, ctx.keepdims) * (x - out.reshape(kept)).exp()


def _reduction(op: type, x: Tensor, axis: Any, keepdims: bool, dim: Any, keepdim: bool | None, name: str) -> Tensor:
    """Apply a reduction op with either spelling of its arguments."""
    axis = norm_axis(pick_axis(axis, dim), x.ndim, name)
    return op.apply(x, axis=axis, keepdims=keepdims if keepdim is None else keepdim)


def sum(x: Tensor, axis: Any = None, keepdims: bool = False, *, dim: Any = None,  # noqa: A001
        keepdim: bool | None = None) -> Tensor:
    """Sum over `axis` (all elements when None)."""
    return _reduction(Sum, x, axis, keepdims, dim, keepdim, "sum")


def mean(x: Tensor, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
         keepdim: bool | None = None) -> Tensor:
    """Arithmetic mean (integer tensors are averaged in the default float dtype, like PyTorch)."""
    if x.dtype.kind != "f":
        x = x.astype(get_default_dtype())
    return _reduction(Mean, x, axis, keepdims, dim, keepdim, "mean")


def amax(x: Tensor, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
         keepdim: bool | None = None) -> Tensor:
    """Largest value over `axis` (all elements when None), values only; tied maxima share the
    gradient. `x.max(axis=...)` is this (NumPy's meaning); `x.max(dim)` also gives indices."""
    return _reduction(Max, x, axis, keepdims, dim, keepdim, "max")


def amin(x: Tensor, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
         keepdim: bool | None = None) -> Tensor:
    """Smallest value over `axis`, values only; tied minima share the gradient."""
    return _reduction(Min, x, axis, keepdims, dim, keepdim, "min")


def prod(x: Tensor, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
         keepdim: bool | None = None) -> Tensor:
    """Product over `axis`, with exact gradients where entries are zero."""
    return _reduction(Prod, x, axis, keepdims, dim, keepdim, "prod")


def logsumexp(x: Tensor, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
              keepdim: bool | None = None) -> Tensor:
    """log(sum(exp(x))) over `axis`, computed without overflow."""
    return _reduction(LogSumExp, x, axis, keepdims, dim, keepdim, "logsumexp")


def var(x: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *, axis: Any = None,
        ddof: int | None = None, correction: int | None = None, keepdims: bool | None = None) -> Tensor:
    """Variance over `dim` (all elements when None), dividing by n - correction. As in PyTorch the
    default divides by n - 1 (`unbiased=False` or `correction=0` by n); with NumPy's `axis=` it
    divides by n unless `ddof=` says otherwise."""
    if correction is None:
        correction = ddof if ddof is not None else (int(unbiased) if unbiased is not None else
                                                    0 if axis is not None else 1)
    axis = norm_axis(pick_axis(axis, dim), x.ndim, "var")
    n = _count(x.shape, axis)
    centred = x - Mean.apply(x, axis=axis, keepdims=True)
    kept = bool(keepdim if keepdims is None else keepdims)
    return Sum.apply(centred * centred, axis=axis, keepdims=kept) / (n - correction)


def std(x: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *, axis: Any = None,
        ddof: int | None = None, correction: int | None = None, keepdims: bool | None = None) -> Tensor:
    """Standard deviation: the square root of `var` (the same defaults)."""
    return var(x, dim, unbiased, keepdim, axis=axis, ddof=ddof, correction=correction, keepdims=keepdims).sqrt()


def cumsum(x: Tensor, axis: int | None = None, *, dim: int | None = None) -> Tensor:
    """Running sum along `axis` (PyTorch's `dim`; None flattens first, as NumPy). A 0-d tensor
    stays 0-d, as in PyTorch."""
    axis = pick_axis(axis, dim)
    if x.ndim == 0:
        return CumSum.apply(x.reshape(1), axis=0).reshape(())
    if axis is None:
        return CumSum.apply(x.reshape(-1), axis=0)
    return CumSum.apply(x, axis=norm_axis(axis, x.ndim, "cumsum"))
