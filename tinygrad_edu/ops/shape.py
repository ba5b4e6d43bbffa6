"""Shape operations: reshape, permute, expand, pad, flip, concatenate, dtype casts and what is built
on them. Reshapes and permutations are views: they share memory with their input (see
`versions.mark_view`)."""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from ..autograd.function import Function
from ..autograd.mode import is_grad_enabled
from ..autograd.tensor import Tensor
from ..autograd.versions import mark_view
from ..device import check_device, is_device
from .axes import array_of, norm_axis, pick_axis, shape_arg, shape_of
from .indexing import getitem, index_select


class Reshape(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return np.reshape(x, shape)

    formula = "d reshape(x)/dx = 1 (the gradient is reshaped back)"
    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape)


class Permute(Function):
    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return np.transpose(x, axes)

    formula = "d permute(x)/dx = 1 (the gradient is permuted back)"
    @staticmethod
    def backward(ctx, g):
        return g.permute(tuple(np.argsort(ctx.axes)))


class Expand(Function):
    """Broadcast to a larger shape; the engine's unbroadcast sums the gradient back."""

    @staticmethod
    def forward(ctx, x, shape):
        return np.broadcast_to(x, shape)

    formula = "d expand(x)/dx = 1 for every copy (the copies' gradients are summed)"
    @staticmethod
    def backward(ctx, g):
        return g


class Pad(Function):
    @staticmethod
    def forward(ctx, x, pad_width, value=0.0):
        ctx.crop = tuple(slice(before, before + n) for (before, _), n in zip(pad_width, x.shape))
        return np.pad(x, pad_width, constant_values=value)

    formula = "d pad(x)/dx = 1 (the padding's gradient is dropped)"
    @staticmethod
    def backward(ctx, g):
        return g[ctx.crop]


class Flip(Function):
    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        return np.flip(x, axis)

    formula = "d flip(x)/dx = 1 (the gradient is flipped back)"
    @staticmethod
    def backward(ctx, g):
        return g.flip(ctx.axis)


class Cat(Function):
    @staticmethod
    def forward(ctx, *xs, axis=0):
        ctx.axis = axis
        ctx.sizes = [x.shape[axis] for x in xs]
        return np.concatenate(xs, axis=axis)

    formula = "d cat(x_1, x_2, ...)/dx_k = 1 on the slice x_k occupies"
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

    formula = "d clone(x)/dx = 1"
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

    formula = "d cast(x)/dx = 1 (the gradient is cast back)"
    @staticmethod
    def backward(ctx, g):
        return g.astype(ctx.in_dtype)


def astype(x: Tensor, dtype: Any) -> Tensor:
    """Convert `x` to `dtype`; only float-to-float conversions are part of the graph."""
    dtype = np.dtype(dtype)
    if dtype == x.dtype:
        return x
    if dtype.kind == "f" and x.dtype.kind == "f":
        return Cast.apply(x, dtype=dtype)
    if dtype.kind not in "fiub":
        raise TypeError(f"astype: unsupported dtype {dtype}")
    return Tensor._make(x._data.astype(dtype))


def reshape(x: Tensor, *shape: Any) -> Tensor:
    """The same values in a new shape (-1: inferred); a view when the memory allows, as PyTorch's."""
    shape = tuple(int(n) for n in shape_arg(shape))
    known = math.prod(n for n in shape if n != -1)
    if shape.count(-1) > 1 or (-1 not in shape and known != x.size) or (
        -1 in shape and (known == 0 or x.size % known)
    ):
        raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) into {shape}")
    out = Reshape.apply(x, shape=shape)
    return mark_view(out, x, "reshape", None) if is_grad_enabled() else out


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Axes start_dim..end_dim merged into one."""
    if x.ndim == 0:
        return reshape(x, (1,))
    start, end = norm_axis(start_dim, x.ndim, "flatten"), norm_axis(end_dim, x.ndim, "flatten")
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    shape = x.shape[:start] + (math.prod(x.shape[start : end + 1]),) + x.shape[end + 1 :]
    return reshape(x, shape)


def permute(x: Tensor, *axes: Any) -> Tensor:
    """The axes in a new order (a view)."""
    axes = tuple(norm_axis(a, x.ndim, "permute") for a in shape_arg(axes))
    if sorted(axes) != list(range(x.ndim)):
        raise ValueError(f"permute: {axes} is not a permutation of the {x.ndim} axes of shape {x.shape}")
    out = Permute.apply(x, axes=axes)
    return mark_view(out, x, "permute", axes) if is_grad_enabled() else out


def transpose_all(x: Tensor) -> Tensor:
    """`x.T`: the axes reversed (the transpose of a matrix)."""
    return permute(x, tuple(reversed(range(x.ndim))))


def t(x: Tensor) -> Tensor:
    """The transpose of a matrix; vectors and scalars come back as they are (torch.Tensor.t)."""
    if x.ndim > 2:
        raise ValueError(f"t: expects a tensor with at most 2 dimensions, got shape {x.shape}; "
                         "use transpose(a, b) or permute(...)")
    return transpose_all(x)


def swapaxes(x: Tensor, axis1: int, axis2: int) -> Tensor:
    """Two axes exchanged."""
    order = list(range(x.ndim))
    a, b = norm_axis(axis1, x.ndim, "swapaxes"), norm_axis(axis2, x.ndim, "swapaxes")
    order[a], order[b] = order[b], order[a]
    return permute(x, tuple(order))


def transpose(x: Tensor, *axes: Any) -> Tensor:
    """No arguments: reverse the axes. Two ints: swap those two axes (PyTorch's meaning).
    One tuple holding a full permutation: NumPy's meaning."""
    if not axes:
        return transpose_all(x)
    if len(axes) == 2:
        return swapaxes(x, axes[0], axes[1])
    return permute(x, shape_arg(axes))


def squeeze(x: Tensor, axis: Any = None, *, dim: Any = None) -> Tensor:
    """Drop axes of size 1 (all of them, or the given ones; others are left alone as in PyTorch)."""
    axis = pick_axis(axis, dim)
    if axis is None:
        axes = tuple(i for i, n in enumerate(x.shape) if n == 1)
    else:
        axes = norm_axis(axis, x.ndim, "squeeze")
        axes = axes if isinstance(axes, tuple) else (axes,)
    shape = tuple(n for i, n in enumerate(x.shape) if not (i in axes and n == 1))
    return reshape(x, shape)


def unsqueeze(x: Tensor, axis: int) -> Tensor:
    """A new axis of size 1 at position `axis`."""
    axis = norm_axis(axis, x.ndim + 1, "unsqueeze")
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


def broadcast_to(x: Tensor, shape: Sequence[int]) -> Tensor:
    """The tensor repeated along size-1 and new leading axes (no copy); gradients are summed back."""
    shape = tuple(shape)
    try:
        np.broadcast_shapes(x.shape, shape)
        if len(shape) < x.ndim or np.broadcast_shapes(x.shape, shape) != tuple(shape):
            raise ValueError
    except ValueError:
        raise ValueError(f"expand: cannot broadcast a tensor of shape {x.shape} to {tuple(shape)}") from None
    return Expand.apply(x, shape=tuple(shape))


def expand(x: Tensor, *shape: Any) -> Tensor:
    """PyTorch's expand: like broadcast_to, and -1 keeps a dimension's size."""
    shape = shape_arg(shape)
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


def flip(x: Tensor, axis: Any = None, *, dims: Any = None) -> Tensor:
    """Entries in reverse order along `axis` (all axes when None)."""
    axis = norm_axis(pick_axis(axis, dims), x.ndim, "flip")
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
    ndim = len(shape_of(first))
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


def split(x: Tensor, split_size_or_sections: Any, axis: int = 0, *, dim: int | None = None) -> tuple:
    """PyTorch's split: an int gives pieces of that size (the last may be smaller), a list gives sizes."""
    axis = norm_axis(axis if dim is None else dim, x.ndim, "split")
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
        pieces.append(getitem(x, lead + (slice(start, start + size),)))
        start += size
    return tuple(pieces)


def chunk(x: Tensor, chunks: int, axis: int = 0, *, dim: int | None = None) -> tuple:
    """PyTorch's chunk: at most `chunks` pieces of equal size (the last may be smaller)."""
    if chunks <= 0:
        raise ValueError(f"chunk: number of chunks must be positive, got {chunks}")
    axis = norm_axis(axis if dim is None else dim, x.ndim, "chunk")
    return split(x, max(1, math.ceil(x.shape[axis] / chunks)), axis)


def repeat_interleave(x: Tensor, repeats: Any, dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """Repeat each element (np.repeat, torch.repeat_interleave), flattening first when no axis is given."""
    axis = pick_axis(axis, dim)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = norm_axis(axis, x.ndim, "repeat_interleave")
    counts = array_of(repeats)
    if (counts < 0).any():
        raise ValueError(f"repeat_interleave: repeats must be non-negative, got {repeats!r}")
    try:
        index = np.repeat(np.arange(x.shape[axis]), counts)
    except ValueError as err:
        raise ValueError(f"repeat_interleave: {err} (axis {axis} has size {x.shape[axis]})") from None
    return index_select(x, axis, index)


def repeat(x: Tensor, *sizes: Any, repeats: Any = None, axis: int | None = None) -> Tensor:
    """PyTorch's repeat: the whole tensor repeated `sizes[i]` times along each axis (`x.repeat(2, 1)`
    stacks two copies of the rows). NumPy's element repeat, `x.repeat(repeats=..., axis=...)`
    with those keywords, is `repeat_interleave`."""
    if repeats is not None or axis is not None:
        return repeat_interleave(x, sizes[0] if repeats is None and sizes else repeats, axis=axis)
    sizes = shape_arg(sizes)
    if len(sizes) < x.ndim:
        raise ValueError(f"repeat: {len(sizes)} repeat counts for a tensor with {x.ndim} dimensions (shape "
                         f"{x.shape}); give one per dimension, as PyTorch, or use repeat_interleave for NumPy's repeat")
    return tile(x, sizes)


def tile(x: Tensor, reps: Any) -> Tensor:
    """Repeat the whole tensor along each axis, as np.tile."""
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


def view_as(x: Tensor, other: Tensor) -> Tensor:
    """x reshaped to other's shape (`reshape_as` is the same)."""
    return reshape(x, other.shape)


def expand_as(x: Tensor, other: Tensor) -> Tensor:
    return expand(x, *other.shape)


def type_as(x: Tensor, other: Tensor) -> Tensor:
    """x converted to other's dtype."""
    return astype(x, other.dtype)


def as_float32(x: Tensor) -> Tensor:
    """`x.float()`."""
    return astype(x, np.float32)


def as_float64(x: Tensor) -> Tensor:
    """`x.double()`."""
    return astype(x, np.float64)


def as_float16(x: Tensor) -> Tensor:
    """`x.half()`."""
    return astype(x, np.float16)


def as_int32(x: Tensor) -> Tensor:
    """`x.int()`."""
    return astype(x, np.int32)


def as_int64(x: Tensor) -> Tensor:
    """`x.long()`."""
    return astype(x, np.int64)


def as_bool(x: Tensor) -> Tensor:
    """`x.bool()`."""
    return astype(x, np.bool_)


def clone(x: Tensor) -> Tensor:
    """A copy that stays connected to the graph."""
    return Clone.apply(x)


def to(x: Tensor, *args: Any, dtype: Any = None, device: Any = None, copy: bool = False,
       non_blocking: bool = False) -> Tensor:
    """PyTorch's `x.to(...)`: a dtype, a device (only the CPU exists), both, or another tensor
    (whose dtype is taken). Float-to-float conversions stay differentiable."""
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype
        elif is_device(arg):
            device = arg
        else:
            dtype = arg
    check_device(device, "to")
    out = x if dtype is None else astype(x, dtype)
    return clone(out) if copy and out is x else out


def cpu(x: Tensor) -> Tensor:
    """`x.cpu()`: the tensor itself (it is on the CPU already)."""
    return x


def cuda(x: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """`x.cuda()`: refused with what to do instead (this engine has no GPU)."""
    raise RuntimeError("cuda: tinygrad_edu computes on the CPU with NumPy; drop .cuda() (or use "
                       ".to(device) with device = 'cuda' if tg.cuda.is_available() else 'cpu')")


def meshgrid(*tensors: Any, indexing: str = "ij") -> tuple:
    """Coordinate grids of 1-D tensors, as torch.meshgrid ("ij": the first tensor varies along the
    first axis; "xy": along the second, as NumPy's default). Differentiable (reshape and expand)."""
    tensors = tuple(tensors[0]) if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    for t in tensors:
        if t.ndim > 1:
            raise ValueError(f"meshgrid: expects 0-d or 1-d tensors, got shape {t.shape}")
    sizes = [t._data.size for t in tensors]
    order = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) > 1:
        order[0], order[1] = 1, 0
    shape = tuple(sizes[i] for i in order)
    grids = []
    for i, t in enumerate(tensors):
        axis = order.index(i)
        grids.append(expand(reshape(t, tuple(-1 if a == axis else 1 for a in range(len(shape)))), shape))
    return tuple(grids)


_TYPE_NAMES = {"float32": "torch.FloatTensor", "float64": "torch.DoubleTensor", "float16": "torch.HalfTensor",
               "int64": "torch.LongTensor", "int32": "torch.IntTensor", "int16": "torch.ShortTensor",
               "int8": "torch.CharTensor", "uint8": "torch.ByteTensor", "bool": "torch.BoolTensor"}


def convert_type(x: Tensor, dtype: Any = None) -> Any:
    """PyTorch's `x.type()`: the type's name (`"torch.FloatTensor"`); `x.type(dtype)` converts."""
    if dtype is None:
        return _TYPE_NAMES.get(str(x.dtype), f"torch.{x.dtype}Tensor")
    if isinstance(dtype, str):
        names = {name: dt for dt, name in _TYPE_NAMES.items()}
        if dtype not in names:
            raise TypeError(f"type: unknown tensor type {dtype!r}; use one of {', '.join(names)} or a dtype")
        dtype = names[dtype]
    return astype(x, dtype)
