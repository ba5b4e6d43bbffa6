"""The declared list of functions outside the graph: comparisons, logic, rounding, argmax and
friends. Their results are piecewise constant (gradient zero almost everywhere) or not floats,
so they return tensors that never require grad."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..autograd.tensor import Tensor
from .axes import norm_axis, pick_axis


def _constant(values: Any) -> Tensor:
    return Tensor._make(np.asarray(values))


def _operand(x: Any) -> Any:
    return x._data if isinstance(x, Tensor) else x


def _compare(ufunc: np.ufunc, name: str, x: Any, y: Any) -> Tensor:
    a, b = _operand(x), _operand(y)
    try:
        return _constant(ufunc(a, b))
    except ValueError as err:
        raise ValueError(f"{name}: shapes {np.shape(a)} and {np.shape(b)} do not broadcast: {err}") from None


def eq(x: Any, y: Any) -> Tensor:
    """x == y elementwise, a bool tensor."""
    return _compare(np.equal, "eq", x, y)


def ne(x: Any, y: Any) -> Tensor:
    return _compare(np.not_equal, "ne", x, y)


def lt(x: Any, y: Any) -> Tensor:
    return _compare(np.less, "lt", x, y)


def le(x: Any, y: Any) -> Tensor:
    return _compare(np.less_equal, "le", x, y)


def gt(x: Any, y: Any) -> Tensor:
    return _compare(np.greater, "gt", x, y)


def ge(x: Any, y: Any) -> Tensor:
    return _compare(np.greater_equal, "ge", x, y)


def logical_and(x: Any, y: Any) -> Tensor:
    return _compare(np.logical_and, "and", x, y)


def logical_or(x: Any, y: Any) -> Tensor:
    return _compare(np.logical_or, "or", x, y)


def logical_xor(x: Any, y: Any) -> Tensor:
    return _compare(np.logical_xor, "xor", x, y)


def logical_not(x: Tensor) -> Tensor:
    return _constant(np.logical_not(x._data))


def invert(x: Tensor) -> Tensor:
    """~x: logical not of a bool tensor, bitwise not of an integer one."""
    if x._data.dtype.kind not in "biu":
        raise TypeError(f"invert: ~ needs a bool or integer tensor, got {x.dtype}")
    return _constant(np.invert(x._data))


def floor_divide(x: Any, y: Any) -> Tensor:
    """x // y rounded towards minus infinity."""
    a, b = _operand(x), _operand(y)
    try:
        return _constant(np.floor_divide(a, b))
    except ValueError as err:
        raise ValueError(f"floor_divide: shapes {np.shape(a)} and {np.shape(b)} do not broadcast: {err}") from None


def rfloordiv(x: Any, y: Any) -> Tensor:
    """y // x (the reflected operator)."""
    return floor_divide(y, x)


def sign(x: Tensor) -> Tensor:
    return _constant(np.sign(x._data))


def floor(x: Tensor) -> Tensor:
    return _constant(np.floor(x._data))


def ceil(x: Tensor) -> Tensor:
    return _constant(np.ceil(x._data))


def round(x: Tensor) -> Tensor:  # noqa: A001 (PyTorch's name)
    """Round half to even, as NumPy and PyTorch do."""
    return _constant(np.round(x._data))


def isnan(x: Tensor) -> Tensor:
    return _constant(np.isnan(x._data))


def isinf(x: Tensor) -> Tensor:
    return _constant(np.isinf(x._data))


def isfinite(x: Tensor) -> Tensor:
    return _constant(np.isfinite(x._data))


def isclose(x: Any, y: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    """|x - y| <= atol + rtol * |y| elementwise (PyTorch's and NumPy's test), a bool tensor."""
    a, b = _operand(x), _operand(y)
    try:
        return _constant(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))
    except ValueError as err:
        raise ValueError(f"isclose: shapes {np.shape(a)} and {np.shape(b)} do not broadcast: {err}") from None


def allclose(x: Any, y: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """Whether every element is close (see isclose): a Python bool, as torch.allclose."""
    return bool(isclose(x, y, rtol, atol, equal_nan)._data.all())


def equal(x: Tensor, y: Tensor) -> bool:
    """Whether both tensors have the same shape and the same elements: a Python bool."""
    a, b = _operand(x), _operand(y)
    return np.shape(a) == np.shape(b) and bool(np.array_equal(a, b))


def argmax(x: Tensor, axis: int | None = None, keepdims: bool = False, *, dim: int | None = None,
           keepdim: bool | None = None) -> Tensor:
    """Index of the largest value along `axis` (of the flattened tensor when None)."""
    axis = norm_axis(pick_axis(axis, dim), x.ndim, "argmax")
    return _constant(np.argmax(x._data, axis=axis, keepdims=keepdims if keepdim is None else keepdim))


def argmin(x: Tensor, axis: int | None = None, keepdims: bool = False, *, dim: int | None = None,
           keepdim: bool | None = None) -> Tensor:
    axis = norm_axis(pick_axis(axis, dim), x.ndim, "argmin")
    return _constant(np.argmin(x._data, axis=axis, keepdims=keepdims if keepdim is None else keepdim))


def any(x: Tensor, axis: Any = None, keepdims: bool = False, *, dim: Any = None,  # noqa: A001 (PyTorch's name)
        keepdim: bool | None = None) -> Tensor:
    """Whether some element (along `axis`, PyTorch's `dim`) is nonzero."""
    axis = norm_axis(pick_axis(axis, dim), x.ndim, "any")
    return _constant(np.any(x._data, axis=axis, keepdims=keepdims if keepdim is None else keepdim))


def all(x: Tensor, axis: Any = None, keepdims: bool = False, *, dim: Any = None,  # noqa: A001 (PyTorch's name)
        keepdim: bool | None = None) -> Tensor:
    """Whether every element (along `axis`, PyTorch's `dim`) is nonzero."""
    axis = norm_axis(pick_axis(axis, dim), x.ndim, "all")
    return _constant(np.all(x._data, axis=axis, keepdims=keepdims if keepdim is None else keepdim))


class Histogram(NamedTuple):
    """What `histogram` returns: the counts (or densities) and the bin edges."""

    hist: Tensor
    bin_edges: Tensor


def histogram(x: Tensor, bins: Any = 100, *, range: Any = None, weight: Any = None,  # noqa: A002 (PyTorch's name)
              density: bool = False) -> Histogram:
    """Counts of x's values in `bins` equal-width bins (or between given edges), as torch.histogram:
    the distributions of activations and gradients that makemore plots."""
    if x.dtype.kind != "f":
        raise TypeError(f"histogram: needs a floating point tensor, got {x.dtype}; convert it first with .float()")
    hist, edges = np.histogram(x._data, bins=_operand(bins), range=range, weights=_operand(weight), density=density)
    return Histogram(_constant(hist.astype(x.dtype)), _constant(edges.astype(x.dtype)))


def nonzero(x: Tensor) -> Tensor:
    """Indices of the non-zero entries, one row per entry (n, ndim), as torch.nonzero."""
    return _constant(np.argwhere(x._data))


def format_tensor(x: Tensor, spec: str) -> str:
    """`format(x, ".3f")` / f"{x:.3f}": a one-element tensor formats as its number, as in PyTorch."""
    if not spec:
        return repr(x)
    if x._data.size != 1:
        raise TypeError(f"format: only a one-element tensor takes a format spec, this one has shape {x.shape}")
    return format(x._data.item(), spec)
