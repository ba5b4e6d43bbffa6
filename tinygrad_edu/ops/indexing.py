"""Indexing (basic, boolean and integer-array) with PyTorch's rules, and what is built on it:
gather, index_select, masked_select, sort, topk, unbind, narrow, roll."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..autograd.function import Function, TransformOperandError
from ..autograd.tensor import Tensor
from ..autograd.versions import mark_view
from .axes import array_of, norm_axis, pick_axis
from .elementwise import maximum, minimum
from .reduce import amax, amin


def normalize_index(index: Any) -> tuple[tuple, bool]:
    """The index as a tuple of ints, slices, None, Ellipsis and arrays (tensors, lists and 0-d
    integer arrays converted); also whether integer arrays occur (then an element may be picked
    twice and the gradient must scatter-add). A basic index gets a trailing Ellipsis, so that even
    a full integer index gives a 0-d view of the memory (as in PyTorch), not a copied scalar."""
    items = index if isinstance(index, tuple) else (index,)
    out, repeats, arrays = [], False, False
    for item in items:
        if isinstance(item, Tensor):
            item = item._data
        elif isinstance(item, list):
            item = np.asarray(item)
        if isinstance(item, np.ndarray):
            if item.dtype.kind in "iu":
                if item.ndim == 0:  # a 0-d integer tensor indexes like an int
                    item = int(item)
                else:
                    repeats = arrays = True
            elif item.dtype.kind == "b":
                arrays = True
            else:
                raise IndexError(f"getitem: index arrays must be integer or bool, got {item.dtype}")
        out.append(item)
    if not arrays and not any(item is Ellipsis for item in out):
        out.append(Ellipsis)
    return tuple(out), repeats


def _is_int(item: Any) -> bool:
    return isinstance(item, (int, np.integer)) and not isinstance(item, bool)


def split_ints_first(index: tuple) -> tuple[tuple, tuple] | None:
    """PyTorch applies integer indices before array indices (NumPy treats both as advanced, which
    moves the array dims elsewhere when a slice, None or ... separates them). For an index with
    both, the basic part (ints, slices, None, ...) and the array part to apply after it."""
    if not any(_is_int(i) for i in index) or not any(isinstance(i, np.ndarray) for i in index):
        return None
    first, then = [], []
    for item in index:
        if isinstance(item, np.ndarray):
            dims = item.ndim if item.dtype.kind == "b" else 1
            first += [slice(None)] * dims
            then.append(item)
        elif _is_int(item):
            first.append(item)
        else:
            first.append(item)
            then.append(Ellipsis if item is Ellipsis else slice(None))
    return tuple(first), tuple(then)


class GetItem(Function):
    @staticmethod
    def forward(ctx, x, index, repeats=False):
        ctx.in_shape, ctx.index, ctx.repeats = x.shape, index, repeats
        return x[index]

    formula = "d x[index]/dx = 1 at the selected positions (repeated ones add up)"
    @staticmethod
    def backward(ctx, g):
        return IndexAdd.apply(g, index=ctx.index, shape=ctx.in_shape, repeats=ctx.repeats)


class IndexAdd(Function):
    """Scatter `g` into zeros of `shape` at `index`, adding where an index repeats (getitem's backward)."""

    @staticmethod
    def forward(ctx, g, index, shape, repeats=False):
        ctx.index, ctx.repeats = index, repeats
        out = np.zeros(shape, dtype=g.dtype)
        if repeats:
            np.add.at(out, index, g)
        else:
            out[index] = g
        return out

    formula = "d scatter_add(g, index)/dg = 1 at index"
    @staticmethod
    def backward(ctx, g):
        return GetItem.apply(g, index=ctx.index, repeats=ctx.repeats)


def getitem(x: Tensor, index: Any) -> Tensor:
    """`x[index]` with PyTorch's rules; basic indexing gives a view that shares `x`'s memory."""
    try:
        index, repeats = normalize_index(index)
    except TransformOperandError:  # an index batched by vmap (a per-sample label): picked per sample
        return GetItem.apply_transformed(x, index=index)
    parts = split_ints_first(index)
    if parts is not None:
        return getitem(getitem(x, parts[0]), parts[1])
    try:
        result = GetItem.apply(x, index=index, repeats=repeats)
    except IndexError as err:
        raise IndexError(f"getitem: index {describe_index(index)} is invalid for a tensor of shape {x.shape}: "
                         f"{str(err).split(': ', 1)[-1]}") from None
    return mark_view(result, x, "index", index)


def describe_index(index: tuple) -> str:
    """An index as shown in error messages."""
    parts = [f"array(shape={i.shape}, dtype={i.dtype})" if isinstance(i, np.ndarray) else repr(i) for i in index]
    return "[" + ", ".join(parts) + "]"


def gather(x: Tensor, axis: int, index: Any) -> Tensor:
    """PyTorch's gather: out[i][j] = x[index[i][j]][j] for axis 0 (index has x's number of dims)."""
    idx = array_of(index)
    axis = norm_axis(axis, x.ndim, "gather")
    if idx.dtype.kind not in "iu":
        raise TypeError(f"gather: index must be an integer tensor, got {idx.dtype}")
    if idx.ndim != x.ndim:
        raise ValueError(f"gather: index has {idx.ndim} dims but the input has {x.ndim} (shape {x.shape})")
    for d, (n_idx, n_x) in enumerate(zip(idx.shape, x.shape)):
        if d != axis and n_idx > n_x:
            raise ValueError(f"gather: index shape {idx.shape} is larger than input shape {x.shape} in dim {d}")
    _check_range(idx, x, axis, "gather")
    grids = list(np.ogrid[tuple(slice(n) for n in idx.shape)])
    grids[axis] = idx
    return getitem(x, tuple(grids))


def index_select(x: Tensor, axis: int, index: Any) -> Tensor:
    """Select entries of `axis` by a 1-D integer index (repeats allowed)."""
    idx = array_of(index)
    axis = norm_axis(axis, x.ndim, "index_select")
    if idx.ndim != 1 or idx.dtype.kind not in "iu":
        raise ValueError(f"index_select: index must be a 1-D integer tensor, got shape {idx.shape} {idx.dtype}")
    _check_range(idx, x, axis, "index_select")
    return getitem(x, (slice(None),) * axis + (idx,))


def _check_range(idx: np.ndarray, x: Tensor, axis: int, op: str) -> None:
    """gather/index_select take indices in [0, size) as PyTorch does (negative ones do not wrap)."""
    size = x.shape[axis]
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise IndexError(f"{op}: index {bad} is out of range for axis {axis} of size {size} (input shape {x.shape}); "
                         f"indices must be in [0, {size})")


def masked_select(x: Tensor, mask: Any) -> Tensor:
    """The entries where `mask` (broadcast to x's shape) is true, as a vector."""
    mask = np.broadcast_to(array_of(mask), x.shape)
    return getitem(x, mask)


class ValuesIndices(NamedTuple):
    """What `sort` and `topk` return, as PyTorch does: the values and their indices."""

    values: Tensor
    indices: Tensor


def max(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None,  # noqa: A001 (PyTorch's name)
        keepdims: bool | None = None) -> Any:
    """PyTorch's max: `x.max()` the largest value; `x.max(dim)` the largest values along `dim` and
    their indices (`.values`, `.indices`; the gradient goes to the index returned); `x.max(other)`
    the elementwise maximum. With NumPy's `axis=`, the values only (ties share the gradient)."""
    if isinstance(dim, Tensor):
        return maximum(x, dim)
    if dim is None:
        return amax(x, axis, bool(keepdim if keepdims is None else keepdims))
    return _extremum_and_index(x, dim, keepdim, np.argmax, "max")


def min(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None,  # noqa: A001 (PyTorch's name)
        keepdims: bool | None = None) -> Any:
    """PyTorch's min, as `max`: the smallest value, values and indices along `dim`, or the
    elementwise minimum; NumPy's `axis=` gives the values only."""
    if isinstance(dim, Tensor):
        return minimum(x, dim)
    if dim is None:
        return amin(x, axis, bool(keepdim if keepdims is None else keepdims))
    return _extremum_and_index(x, dim, keepdim, np.argmin, "min")


def _extremum_and_index(x: Tensor, dim: int, keepdim: bool, arg: Any, op: str) -> ValuesIndices:
    """The values at `arg`'s index along `dim` (picked by a gather, so the gradient goes to that
    one index, as in PyTorch) and the indices."""
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op}: dim must be an int (or pass axis= for NumPy's reduction), got {dim!r}")
    axis = norm_axis(dim, x.ndim, op)
    if x.ndim == 0:
        return ValuesIndices(getitem(x, ()), Tensor._make(np.zeros((), dtype=np.int64)))
    index = arg(x.detach()._data, axis=axis, keepdims=True)  # from the values alone (a dual number's too)
    values = gather(x, axis, index)
    if not keepdim:
        values, index = values.squeeze(axis), index.squeeze(axis)
    return ValuesIndices(values, Tensor._make(index.astype(np.int64)))


def sort(x: Tensor, axis: int = -1, descending: bool = False, *, dim: int | None = None) -> ValuesIndices:
    """Values sorted along `axis` (differentiable, through a gather) and their indices; equal
    values keep their order (a stable sort)."""
    axis = norm_axis(axis if dim is None else dim, x.ndim, "sort")
    values = x.detach()._data  # the order depends on the values alone (a dual number's too)
    order = np.argsort(-values if descending else values, axis=axis, kind="stable")
    return ValuesIndices(gather(x, axis, order), Tensor._make(order))


def topk(x: Tensor, k: int, axis: int = -1, largest: bool = True, sorted: bool = True, *,  # noqa: A002
         dim: int | None = None) -> ValuesIndices:
    """The `k` largest (or smallest) values along `axis`, in order, and their indices."""
    axis = norm_axis(axis if dim is None else dim, x.ndim, "topk")
    size = x.shape[axis] if x.ndim else 1
    if not isinstance(k, (int, np.integer)) or not 0 <= k <= size:
        raise ValueError(f"topk: k must be an int in [0, {size}] for axis {axis} of shape {x.shape}, got {k!r}")
    values, indices = sort(x, axis, descending=largest)
    keep = (slice(None),) * axis + (slice(0, int(k)),)
    return ValuesIndices(getitem(values, keep), Tensor._make(indices._data[keep]))


def unbind(x: Tensor, axis: int = 0, *, dim: int | None = None) -> tuple:
    """The slices along `axis`, that axis removed: `x.unbind(0)` is `(x[0], x[1], ...)`."""
    axis = norm_axis(axis if dim is None else dim, x.ndim, "unbind")
    return tuple(getitem(x, (slice(None),) * axis + (i,)) for i in range(x.shape[axis]))


def narrow(x: Tensor, axis: int, start: int, length: int) -> Tensor:
    """`length` entries of `axis` from `start` (a view, as PyTorch's narrow)."""
    axis = norm_axis(axis, x.ndim, "narrow")
    if not 0 <= start <= start + length <= x.shape[axis]:
        raise IndexError(f"narrow: start {start} and length {length} do not fit axis {axis} of shape {x.shape}")
    return getitem(x, (slice(None),) * axis + (slice(start, start + length),))


def roll(x: Tensor, shifts: Any, axis: Any = None, *, dims: Any = None) -> Tensor:
    """Entries shifted cyclically along `axis` (the flattened tensor when None), as np.roll."""
    axis = pick_axis(axis, dims)
    if axis is None:
        return roll(x.reshape(-1), shifts, 0).reshape(x.shape)
    if isinstance(shifts, tuple):
        axes = axis
    else:
        shifts, axes = (shifts,), ((axis,) if isinstance(axis, int) else axis)
    if len(shifts) != len(axes):
        raise ValueError(f"roll: {len(shifts)} shifts for {len(axes)} axes")
    out = x
    for shift, a in zip(shifts, axes):
        a = norm_axis(a, x.ndim, "roll")
        out = getitem(out, (slice(None),) * a + (np.roll(np.arange(x.shape[a]), shift),))
    return out


def iterate(x: Tensor) -> Any:
    """`for row in x`: the views x[0], x[1], ..."""
    if x.ndim == 0:
        raise TypeError("iteration over a 0-d tensor")
    return (getitem(x, i) for i in range(len(x._data)))
