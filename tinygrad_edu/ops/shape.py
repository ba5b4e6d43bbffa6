"""Shape operations: reshape, permute, expand, pad, flip, concatenate and what is built on them."""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from ..tensor import Function, Tensor, is_grad_enabled, mark_view
from .reduce import norm_axis


class Reshape(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return np.reshape(x, shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape)


class Permute(Function):
    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return np.transpose(x, axes)

    @staticmethod
    def backward(ctx, g):
        return g.permute(tuple(np.argsort(ctx.axes)))


class Expand(Function):
    """Broadcast to a larger shape; the engine's unbroadcast sums the gradient back."""

    @staticmethod
    def forward(ctx, x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return g


class Pad(Function):
    @staticmethod
    def forward(ctx, x, pad_width, value=0.0):
        ctx.crop = tuple(slice(before, before + n) for (before, _), n in zip(pad_width, x.shape))
        return np.pad(x, pad_width, constant_values=value)

    @staticmethod
    def backward(ctx, g):
        return g[ctx.crop]


class Flip(Function):
    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        return np.flip(x, axis)

    @staticmethod
    def backward(ctx, g):
        return g.flip(ctx.axis)


class Cat(Function):
    @staticmethod
    def forward(ctx, *xs, axis=0):
        ctx.axis = axis
        ctx.sizes = [x.shape[axis] for x in xs]
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def backward(ctx, g):
        grads, start = [], 0
        lead = (slice(None),) * ctx.axis
        for size, needed in zip(ctx.sizes, ctx.needs_input_grad):
            grads.append(g[lead + (slice(start, start + size),)] if needed else None)
            start += size
        return tuple(grads)


class Clone(Function):
    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g


class Cast(Function):
    """Float-to-float dtype conversion; the gradient is converted back."""

    exact_dtype = True

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.in_dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g.astype(ctx.in_dtype)


def cast(x: Tensor, dtype: np.dtype) -> Tensor:
    """Convert `x` to `dtype`; only float-to-float conversions are part of the graph."""
    if dtype == x.dtype:
        return x
    if dtype.kind == "f" and x.dtype.kind == "f":
        return Cast.apply(x, dtype=dtype)
    if dtype.kind not in "fiub":
        raise TypeError(f"astype: unsupported dtype {dtype}")
    return Tensor._make(x.data.astype(dtype))


def reshape(x: Tensor, shape: Sequence[int]) -> Tensor:
    shape = tuple(int(n) for n in shape)
    if shape == x.shape:
        return x
    known = math.prod(n for n in shape if n != -1)
    if shape.count(-1) > 1 or (-1 not in shape and known != x.size) or (
        -1 in shape and (known == 0 or x.size % known)
    ):
        raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) into {shape}")
    out = Reshape.apply(x, shape=shape)
    return mark_view(out, x, "reshape", x.shape) if x.requires_grad and is_grad_enabled() else out


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    if x.ndim == 0:
        return reshape(x, (1,))
    start, end = norm_axis(start_dim, x.ndim, "flatten"), norm_axis(end_dim, x.ndim, "flatten")
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    shape = x.shape[:start] + (math.prod(x.shape[start : end + 1]),) + x.shape[end + 1 :]
    return reshape(x, shape)


def permute(x: Tensor, axes: Sequence[int]) -> Tensor:
    axes = tuple(norm_axis(a, x.ndim, "permute") for a in axes)
    if sorted(axes) != list(range(x.ndim)):
        raise ValueError(f"permute: {axes} is not a permutation of the {x.ndim} axes of shape {x.shape}")
    if axes == tuple(range(x.ndim)):
        return x
    out = Permute.apply(x, axes=axes)
    return mark_view(out, x, "permute", tuple(np.argsort(axes))) if x.requires_grad and is_grad_enabled() else out


def squeeze(x: Tensor, axis: Any = None) -> Tensor:
    """Drop axes of size 1 (all of them, or the given ones; others are left alone as in PyTorch)."""
    if axis is None:
        axes = tuple(i for i, n in enumerate(x.shape) if n == 1)
    else:
        axes = norm_axis(axis, x.ndim, "squeeze")
        axes = axes if isinstance(axes, tuple) else (axes,)
    shape = tuple(n for i, n in enumerate(x.shape) if not (i in axes and n == 1))
    return reshape(x, shape)


def unsqueeze(x: Tensor, axis: int) -> Tensor:
    axis = norm_axis(axis, x.ndim + 1, "unsqueeze")
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


def broadcast_to(x: Tensor, shape: tuple) -> Tensor:
    if shape == x.shape:
        return x
    try:
        np.broadcast_shapes(x.shape, shape)
        if len(shape) < x.ndim or np.broadcast_shapes(x.shape, shape) != tuple(shape):
            raise ValueError
    except ValueError:
        raise ValueError(f"expand: cannot broadcast a tensor of shape {x.shape} to {tuple(shape)}") from None
    return Expand.apply(x, shape=tuple(shape))


def expand(x: Tensor, shape: tuple) -> Tensor:
    """PyTorch's expand: like broadcast_to, and -1 keeps a dimension's size."""
    offset = len(shape) - x.ndim
    shape = tuple(x.shape[i - offset] if n == -1 and i >= offset else n for i, n in enumerate(shape))
    return broadcast_to(x, shape)


def _pad_pairs(pad_width: Any, ndim: int) -> tuple:
    arr = np.asarray(pad_width, dtype=np.int64)
    if arr.ndim == 0:
        arr = np.full((ndim, 2), int(arr))
    elif arr.shape == (2,):
        arr = np.tile(arr, (ndim, 1))
    elif arr.shape == (1, 2):
        arr = np.tile(arr[0], (ndim, 1))
    if arr.shape != (ndim, 2):
        raise ValueError(f"pad: pad_width must give (before, after) for each of the {ndim} axes, got {pad_width!r}")
    if (arr < 0).any():
        raise ValueError(f"pad: negative padding {pad_width!r}; slice the tensor instead")
    return tuple((int(a), int(b)) for a, b in arr)


def pad(x: Tensor, pad_width: Any, value: float = 0.0) -> Tensor:
    """Constant padding with NumPy's `pad_width` convention ((before, after) per axis)."""
    return Pad.apply(x, pad_width=_pad_pairs(pad_width, x.ndim), value=value)


def flip(x: Tensor, axis: Any = None) -> Tensor:
    axis = norm_axis(axis, x.ndim, "flip")
    if axis is None:
        axis = tuple(range(x.ndim))
    return Flip.apply(x, axis=axis)


def cat(tensors: Sequence[Any], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join tensors along an existing axis."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: expects a non-empty sequence of tensors")
    axis = dim if dim is not None else axis
    first = tensors[0]
    ndim = np.ndim(first.data if isinstance(first, Tensor) else first)
    axis = norm_axis(axis, ndim, "cat")
    shapes = [t.shape if isinstance(t, Tensor) else np.shape(t) for t in tensors]
    for shape in shapes:
        if len(shape) != ndim or any(a != b for i, (a, b) in enumerate(zip(shape, shapes[0])) if i != axis):
            raise ValueError(
                f"cat: shapes {shapes[0]} and {shape} differ outside axis {axis}; all other sizes must match"
            )
    return Cat.apply(*tensors, axis=axis)


concatenate = cat


def stack(tensors: Sequence[Any], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join same-shaped tensors along a new axis."""
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: expects a non-empty sequence of tensors")
    for t in tensors:
        if t.shape != tensors[0].shape:
            raise ValueError(f"stack: all tensors must have the same shape, got {tensors[0].shape} and {t.shape}")
    axis = norm_axis(dim if dim is not None else axis, tensors[0].ndim + 1, "stack")
    return cat([unsqueeze(t, axis) for t in tensors], axis=axis)


def split(x: Tensor, split_size_or_sections: Any, axis: int = 0) -> tuple:
    """PyTorch's split: an int gives pieces of that size (the last may be smaller), a list gives sizes."""
    axis = norm_axis(axis, x.ndim, "split")
    n = x.shape[axis]
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size <= 0:
            raise ValueError(f"split: split size must be positive, got {size}")
        sizes = [min(size, n - start) for start in range(0, n, size)] or [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n:
            raise ValueError(f"split: sizes {sizes} sum to {sum(sizes)}, but axis {axis} has size {n}")
    lead = (slice(None),) * axis
    pieces, start = [], 0
    for size in sizes:
        pieces.append(x[lead + (slice(start, start + size),)])
        start += size
    return tuple(pieces)


def chunk(x: Tensor, chunks: int, axis: int = 0) -> tuple:
    """PyTorch's chunk: at most `chunks` pieces of equal size (the last may be smaller)."""
    if chunks <= 0:
        raise ValueError(f"chunk: number of chunks must be positive, got {chunks}")
    axis = norm_axis(axis, x.ndim, "chunk")
    return split(x, max(1, math.ceil(x.shape[axis] / chunks)), axis)


def repeat(x: Tensor, repeats: Any, axis: int | None = None) -> Tensor:
    """Repeat each element, as np.repeat (flattening first when axis is None)."""
    from .indexing import index_select

    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = norm_axis(axis, x.ndim, "repeat")
    counts = np.asarray(repeats.data if isinstance(repeats, Tensor) else repeats)
    if (counts < 0).any():
        raise ValueError(f"repeat: repeats must be non-negative, got {repeats!r}")
    try:
        index = np.repeat(np.arange(x.shape[axis]), counts)
    except ValueError as err:
        raise ValueError(f"repeat: {err} (axis {axis} has size {x.shape[axis]})") from None
    return index_select(x, axis, index)


def tile(x: Tensor, reps: Any) -> Tensor:
    """Repeat the whole tensor along each axis, as np.tile."""
    from .indexing import index_select

    reps = (int(reps),) if isinstance(reps, (int, np.integer)) else tuple(int(r) for r in reps)
    if any(r < 0 for r in reps):
        raise ValueError(f"tile: reps must be non-negative, got {reps}")
    if len(reps) > x.ndim:
        x = reshape(x, (1,) * (len(reps) - x.ndim) + x.shape)
    reps = (1,) * (x.ndim - len(reps)) + reps
    for axis, r in enumerate(reps):
        if r != 1:
            x = index_select(x, axis, np.tile(np.arange(x.shape[axis]), r))
    return x
