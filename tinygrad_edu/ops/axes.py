"""Argument spellings shared by every op: axes (NumPy's `axis` or PyTorch's `dim`), shapes given
as one tuple or as several ints, and the (height, width) pairs of convolutions and pooling."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import TransformOperandError


def shape_of(x: Any) -> tuple:
    """The shape of a tensor (read from its array: a plain tuple, the cheapest way in an op's
    argument checks) or of anything NumPy can make an array of."""
    try:
        data = getattr(x, "_data", None)
    except TransformOperandError:  # a transform's tensor: its logical shape (one sample's, a dual's primal's)
        return tuple(x.shape)
    return data.shape if data is not None else np.shape(x)


def array_of(x: Any) -> np.ndarray:
    """The array behind an operand: a tensor's own array, or anything else as NumPy makes it one
    (index arrays, masks, targets and weights that ops take as tensors or as plain data)."""
    return np.asarray(getattr(x, "_data", x))


def element_values(x: Any) -> np.ndarray:
    """Every element of `x` as an array, for checks that look at each element alone (is every
    class index in range?): vmap's batched tensor gives the elements of all its samples."""
    try:
        return array_of(x)
    except TransformOperandError as transformed:
        if transformed.batch is None:  # a dual number's values: forward mode runs its fallback instead
            raise
        return transformed.batch._data


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
    if hasattr(axis, "item") and np.ndim(axis) == 0:  # a 0-d tensor or array
        axis = axis.item()
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise TypeError(f"{op}: axis must be an int, a tuple of ints or None, got {axis!r}")
    if not -max(ndim, 1) <= axis < max(ndim, 1):
        raise IndexError(f"{op}: axis {axis} is out of range for a tensor with {ndim} dimensions")
    return int(axis) % max(ndim, 1)


def pick_axis(axis: Any, dim: Any) -> Any:
    """Accept NumPy's `axis` and PyTorch's `dim` spelling (not both)."""
    if dim is not None:
        if axis is not None:
            raise TypeError("pass either axis= or dim=, not both")
        return tuple(dim) if isinstance(dim, list) else dim
    return tuple(axis) if isinstance(axis, list) else axis


def shape_arg(shape: tuple) -> tuple:
    """`f(2, 3)` and `f((2, 3))` alike: the shape as one tuple."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return shape


def pair(value: Any, name: str = "size", op: str = "pair") -> tuple[int, int]:
    """An int or a pair of ints as (height, width), e.g. a kernel size or a stride."""
    both = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(both) != 2 or not all(isinstance(v, (int, np.integer)) for v in both):
        raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    return int(both[0]), int(both[1])
