"""Indexing (basic, boolean and integer-array), gather, index_select and in-place updates."""

from __future__ import annotations

from typing import Any, Callable, Iterator

import numpy as np

from ..tensor import Function, Tensor, is_grad_enabled, mark_view, note_inplace_write
from .reduce import norm_axis


def _normalize_index(index: Any) -> tuple[Any, bool]:
    """Replace tensors and lists in an index by arrays; report whether integer arrays occur
    (then an element may be picked twice and the gradient must scatter-add)."""
    items = index if isinstance(index, tuple) else (index,)
    out, repeats = [], False
    for item in items:
        if isinstance(item, Tensor):
            item = item.data
        elif isinstance(item, list):
            item = np.asarray(item)
        if isinstance(item, np.ndarray):
            if item.dtype.kind in "iu":
                repeats = True
            elif item.dtype.kind != "b":
                raise IndexError(f"getitem: index arrays must be integer or bool, got {item.dtype}")
        out.append(item)
    return tuple(out), repeats


class GetItem(Function):
    @staticmethod
    def forward(ctx, x, index, repeats=False):
        ctx.in_shape, ctx.index, ctx.repeats = x.shape, index, repeats
        return x[index]

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

    @staticmethod
    def backward(ctx, g):
        return GetItem.apply(g, index=ctx.index, repeats=ctx.repeats)


class SetItem(Function):
    """Out-of-place `x[index] = v`, the recorded form of `__setitem__`."""

    @staticmethod
    def forward(ctx, x, v, index, repeats=False):
        ctx.index, ctx.repeats = index, repeats
        out = x.copy()
        out[index] = v
        return out

    @staticmethod
    def backward(ctx, g):
        need_x, need_v = ctx.needs_input_grad
        gx = gv = None
        if need_x:
            keep = np.ones(g.shape, dtype=g.dtype)
            keep[ctx.index] = 0
            gx = g * keep
        if need_v:
            gv = GetItem.apply(g, index=ctx.index, repeats=ctx.repeats)
        return gx, gv


def getitem(x: Tensor, index: Any) -> Tensor:
    index, repeats = _normalize_index(index)
    try:
        result = GetItem.apply(x, index=index, repeats=repeats)
    except IndexError as err:
        raise IndexError(f"getitem: index {_describe(index)} is invalid for a tensor of shape {x.shape}: "
                         f"{str(err).split(': ', 1)[-1]}") from None
    return mark_view(result, x, "index", index)  # basic indexing gives a view of x's memory


def _describe(index: tuple) -> str:
    parts = [f"array(shape={i.shape}, dtype={i.dtype})" if isinstance(i, np.ndarray) else repr(i) for i in index]
    return "[" + ", ".join(parts) + "]"


def _view_chain(x: Tensor) -> Iterator[Tensor]:
    """`x`, then the base it is a view of (see `mark_view`), then that base's base, and so on."""
    while x is not None:
        yield x
        view_of = getattr(x, "_view_of", None)
        x = None if view_of is None else view_of[0]


def check_inplace_allowed(x: Tensor, op: str) -> None:
    """Refuse to write in place, while gradients are recorded, into a leaf that requires grad (or a
    view of one): its gradient would no longer belong to its values."""
    *_, root = _view_chain(x)
    if is_grad_enabled() and root.grad_fn is None and root.requires_grad:
        what = "a leaf tensor" if root is x else f"a view (shape {x.shape}) of a leaf tensor"
        raise RuntimeError(
            f"{op}: {what} that requires grad (shape {root.shape}) cannot be modified in place while "
            "gradients are recorded; wrap the update in tg.no_grad() as optimizers do, or use an "
            "out-of-place operation"
        )


def _in_graph(x: Tensor) -> bool:
    """Whether writing into `x` changes a tensor that requires grad: `x` itself or, for a view, a
    base it shares memory with (for indexing views even when taken under no_grad)."""
    return any(t.requires_grad for t in _view_chain(x))


def _rebase(x: Tensor, result: Tensor) -> None:
    """Make `x` hold `result`'s values and take its place in the graph (an in-place op). When `x` is
    a view (see `mark_view`), its base takes the values through a recorded op, so the base's graph
    knows of the change too (PyTorch rebases views' bases the same way)."""
    view_of = getattr(x, "_view_of", None)
    if view_of is None:
        np.copyto(x.data, result.data, casting="unsafe")
        note_inplace_write(x.data)
    else:  # writing the base writes the shared memory: `x` sees the new values
        base, kind, arg = view_of
        if kind == "index":
            setitem(base, arg, result)
        else:
            _rebase(base, result.reshape(arg) if kind == "reshape" else result.permute(arg))
    x.grad_fn = result.grad_fn
    x._requires_grad = result.requires_grad


def setitem(x: Tensor, index: Any, value: Any, op: str = "setitem") -> None:
    """`x[index] = value` in place; recorded (and `x` rebased in the graph) when gradients flow."""
    index, repeats = _normalize_index(index)
    recording = is_grad_enabled() and (_in_graph(x) or (isinstance(value, Tensor) and value.requires_grad))
    try:
        extra = np.ndim(value.data if isinstance(value, Tensor) else value) - np.ndim(np.empty(x.shape)[index])
        if extra > 0 and all(n == 1 for n in np.shape(value)[:extra]):
            # PyTorch accepts leading size-1 dims beyond the target's (h[1] = tensor([5.])); NumPy does not
            shape = np.shape(value)[extra:]
            value = value.reshape(shape) if isinstance(value, Tensor) else np.reshape(value, shape)
        if recording:
            check_inplace_allowed(x, op)
            previous = Tensor._make(x.data, x.requires_grad, x.grad_fn)
            _rebase(x, SetItem.apply(previous, value, index=index, repeats=repeats))
        else:
            x.data[index] = value.data if isinstance(value, Tensor) else value
            note_inplace_write(x.data)
    except (IndexError, ValueError) as err:
        raise type(err)(f"{op}: cannot assign a value of shape {np.shape(value)} to index "
                        f"{_describe(index)} of a tensor of shape {x.shape}: {err}") from None
    x._version += 1


def inplace(x: Tensor, other: Any, op: type, ufunc: np.ufunc, name: str) -> Tensor:
    """`x op= other`: NumPy in place when nothing is recorded, else the op recorded and `x` rebased."""
    if is_grad_enabled() and (_in_graph(x) or (isinstance(other, Tensor) and other.requires_grad)):
        return _inplace_recorded(x, lambda previous: op.apply(previous, other), name)
    try:
        ufunc(x.data, other.data if isinstance(other, Tensor) else other, out=x.data, casting="same_kind")
    except (TypeError, ValueError) as err:
        raise type(err)(f"{name}: cannot update a tensor of shape {x.shape} and dtype {x.dtype} in place "
                        f"with {np.shape(other.data if isinstance(other, Tensor) else other)}: {err}") from None
    note_inplace_write(x.data)
    x._version += 1
    return x


def inplace_map(x: Tensor, fn: Callable[[Tensor], Tensor], name: str) -> Tensor:
    """`x.exp_()` and the like: `fn(x)` written back into `x`, recorded (and `x` rebased) when the
    write changes a tensor that requires grad."""
    if is_grad_enabled() and _in_graph(x):
        return _inplace_recorded(x, fn, name)
    np.copyto(x.data, fn(Tensor._make(x.data)).data, casting="same_kind")
    note_inplace_write(x.data)
    x._version += 1
    return x


def _inplace_recorded(x: Tensor, fn: Callable[[Tensor], Tensor], name: str) -> Tensor:
    """An in-place op while recording: `fn` on a snapshot of `x`, then `x` takes the result's place."""
    check_inplace_allowed(x, name)
    result = fn(Tensor._make(x.data.copy(), x.requires_grad, x.grad_fn))
    if result.shape != x.shape:
        raise ValueError(f"{name}: result of shape {result.shape} does not fit in place into shape {x.shape}")
    _rebase(x, result)
    x._version += 1
    return x


def gather(x: Tensor, axis: int, index: Any) -> Tensor:
    """PyTorch's gather: out[i][j] = x[index[i][j]][j] for axis 0 (index has x's number of dims)."""
    idx = np.asarray(index.data if isinstance(index, Tensor) else index)
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
    idx = np.asarray(index.data if isinstance(index, Tensor) else index)
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
