"""Every in-place write: `x[i] = v`, `+=`, `add_`, `exp_`, `zero_`, `copy_` and the rest.

Without recording (no_grad, or nothing involved requires grad) NumPy writes the memory and the
write is noted for the version checks. While recording, the op runs out of place and the tensor
takes the result's values and its place in the graph ("rebasing"). A view's write goes to its
base the same way, and every live view of a rebased tensor re-derives its place from it, so a
view and its base always see each other's history, as in PyTorch.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any, Callable, Iterator

import numpy as np

from ..autograd.function import Function
from ..autograd.mode import is_grad_enabled
from ..autograd.tensor import Tensor
from ..autograd.versions import base_of, live_views, note_inplace_write
from .. import random
from .axes import array_of
from .arithmetic import Add, Div, Mul, Pow, Sub
from .elementwise import clip, masked_fill
from .indexing import GetItem, IndexAdd, normalize_index, describe_index, getitem, split_ints_first
from .shape import Permute, Reshape


class SetItem(Function):
    """Out-of-place `x[index] = v`, the recorded form of `__setitem__`."""

    @staticmethod
    def forward(ctx, x, v, index, repeats=False):
        ctx.index, ctx.repeats = index, repeats
        out = x.copy()
        out[index] = v
        return out

    formula = "d set(x, index, v)/dx = 1 outside index, 0 inside; d set(x, index, v)/dv = 1 at index"
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


def _view_chain(x: Tensor) -> Iterator[Tensor]:
    """`x`, then the base it is a view of, then that base's base, and so on."""
    while x is not None:
        yield x
        view_of = base_of(x)
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


def _recording(x: Tensor, value: Any) -> bool:
    """Whether a write of `value` into `x` must be recorded: gradients are on and the write touches
    a tensor that requires grad (`x` or a base it shares memory with) or writes one."""
    return is_grad_enabled() and (any(t.requires_grad for t in _view_chain(x))
                                  or (isinstance(value, Tensor) and value.requires_grad))


def _rebase(x: Tensor, result: Tensor) -> None:
    """Make `x` hold `result`'s values and take its place in the graph. A view writes its base
    instead (through a recorded op, so the base's graph knows), which re-derives the view."""
    view_of = base_of(x)
    if view_of is None:
        np.copyto(x._data, result._data, casting="unsafe")
        note_inplace_write(x._data)
        x.grad_fn = result.grad_fn
        x._requires_grad = result.requires_grad
        _refresh_views(x)
        return
    base, kind, arg = view_of
    if kind == "index":
        setitem(base, arg, result)
    elif kind == "reshape":
        _rebase(base, result.reshape(base.shape))
    else:
        _rebase(base, result.permute(tuple(int(a) for a in np.argsort(arg))))


def _refresh_views(base: Tensor) -> None:
    """Give every live view of `base` its new place in the graph: the same view of the new base."""
    for view in live_views(base):
        _, kind, arg = base_of(view)
        if kind == "index":
            derived = GetItem.apply(base, index=arg, repeats=False)
        elif kind == "reshape":
            derived = Reshape.apply(base, shape=view.shape)
        else:
            derived = Permute.apply(base, axes=arg)
        view.grad_fn = derived.grad_fn
        view._requires_grad = derived.requires_grad
        _refresh_views(view)


def setitem(x: Tensor, index: Any, value: Any, op: str = "setitem") -> None:
    """`x[index] = value` in place; recorded (and `x` rebased in the graph) when gradients flow."""
    index, repeats = normalize_index(index)
    parts = split_ints_first(index)
    if parts is not None:  # PyTorch's placement of int and array indices: write into the int view
        setitem(getitem(x, parts[0]), parts[1], value, op)
        x._version += 1
        return
    try:
        extra = np.ndim(value._data if isinstance(value, Tensor) else value) - np.ndim(np.empty(x.shape)[index])
        if extra > 0 and all(n == 1 for n in np.shape(value)[:extra]):
            # PyTorch accepts leading size-1 dims beyond the target's (h[1] = tensor([5.])); NumPy does not
            shape = np.shape(value)[extra:]
            value = value.reshape(shape) if isinstance(value, Tensor) else np.reshape(value, shape)
        if _recording(x, value):
            check_inplace_allowed(x, op)
            previous = Tensor._make(x._data, x.requires_grad, x.grad_fn)
            _rebase(x, SetItem.apply(previous, value, index=index, repeats=repeats))
        else:
            x._data[index] = value._data if isinstance(value, Tensor) else value
            note_inplace_write(x._data)
    except (IndexError, ValueError) as err:
        raise type(err)(f"{op}: cannot assign a value of shape {np.shape(value)} to index "
                        f"{describe_index(index)} of a tensor of shape {x.shape}: {err}") from None
    x._version += 1


def _binary_inplace(x: Tensor, other: Any, op: type, ufunc: np.ufunc, name: str) -> Tensor:
    """`x op= other`: NumPy in place when nothing is recorded, else the op recorded and `x` rebased."""
    if _recording(x, other):
        return _recorded(x, lambda previous: op.apply(previous, other), name)
    try:
        ufunc(x._data, other._data if isinstance(other, Tensor) else other, out=x._data, casting="same_kind")
    except (TypeError, ValueError) as err:
        raise type(err)(f"{name}: cannot update a tensor of shape {x.shape} and dtype {x.dtype} in place "
                        f"with {np.shape(other._data if isinstance(other, Tensor) else other)}: {err}") from None
    note_inplace_write(x._data)
    x._version += 1
    return x


def _map_inplace(x: Tensor, fn: Callable[[Tensor], Tensor], name: str) -> Tensor:
    """`x.exp_()` and the like: `fn(x)` written back into `x`, recorded (and `x` rebased) when the
    write changes a tensor that requires grad."""
    if _recording(x, None):
        return _recorded(x, fn, name)
    np.copyto(x._data, fn(Tensor._make(x._data))._data, casting="same_kind")
    note_inplace_write(x._data)
    x._version += 1
    return x


def _recorded(x: Tensor, fn: Callable[[Tensor], Tensor], name: str) -> Tensor:
    """An in-place op while recording: `fn` on a snapshot of `x`, then `x` takes the result's place."""
    check_inplace_allowed(x, name)
    result = fn(Tensor._make(x._data.copy(), x.requires_grad, x.grad_fn))
    if result.shape != x.shape:
        raise ValueError(f"{name}: result of shape {result.shape} does not fit in place into shape {x.shape}")
    _rebase(x, result)
    x._version += 1
    return x


def add_(x: Tensor, other: Any, alpha: float = 1.0) -> Tensor:
    """x += alpha * other, in place."""
    return _binary_inplace(x, other if alpha == 1.0 else other * alpha, Add, np.add, "add_")


def sub_(x: Tensor, other: Any, alpha: float = 1.0) -> Tensor:
    return _binary_inplace(x, other if alpha == 1.0 else other * alpha, Sub, np.subtract, "sub_")


def mul_(x: Tensor, other: Any) -> Tensor:
    return _binary_inplace(x, other, Mul, np.multiply, "mul_")


def div_(x: Tensor, other: Any) -> Tensor:
    return _binary_inplace(x, other, Div, np.divide, "div_")


def pow_(x: Tensor, exponent: Any) -> Tensor:
    return _binary_inplace(x, exponent, Pow, np.power, "pow_")


def clamp_(x: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002 (PyTorch's names)
    return _map_inplace(x, lambda t: clip(t, min, max), "clamp_")


def exp_(x: Tensor) -> Tensor:
    return _map_inplace(x, lambda t: t.exp(), "exp_")


def log_(x: Tensor) -> Tensor:
    return _map_inplace(x, lambda t: t.log(), "log_")


def sqrt_(x: Tensor) -> Tensor:
    return _map_inplace(x, lambda t: t.sqrt(), "sqrt_")


def abs_(x: Tensor) -> Tensor:
    return _map_inplace(x, lambda t: t.abs(), "abs_")


def neg_(x: Tensor) -> Tensor:
    return _map_inplace(x, lambda t: -t, "neg_")


def relu_(x: Tensor) -> Tensor:
    return _map_inplace(x, lambda t: t.relu(), "relu_")


def sigmoid_(x: Tensor) -> Tensor:
    return _map_inplace(x, lambda t: t.sigmoid(), "sigmoid_")


def tanh_(x: Tensor) -> Tensor:
    return _map_inplace(x, lambda t: t.tanh(), "tanh_")


def masked_fill_(x: Tensor, mask: Any, value: Any) -> Tensor:
    """Entries where `mask` (broadcast to x) is True set to `value`, in place."""
    return _map_inplace(x, lambda t: masked_fill(t, mask, value), "masked_fill_")


def normal_(x: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Tensor:
    """x refilled with normal samples, in place (`w.normal_(0, 0.01)`, d2l's initialisation)."""
    return copy_(x, random.draw(generator, lambda rng, batch: rng.normal(mean, std, batch + tuple(x.shape)), "normal_"))


def uniform_(x: Tensor, low: float = 0.0, high: float = 1.0, *, generator: Any = None) -> Tensor:
    """x refilled with uniform samples in [low, high), in place (PyTorch's `from`/`to`)."""
    return copy_(x, random.draw(generator, lambda rng, batch: rng.uniform(low, high, batch + tuple(x.shape)),
                                "uniform_"))


def fill_(x: Tensor, value: Any) -> Tensor:
    """Every entry set to `value`, in place."""
    setitem(x, Ellipsis, value, "fill_")
    return x


def zero_(x: Tensor) -> Tensor:
    return fill_(x, 0)


def copy_(x: Tensor, src: Any) -> Tensor:
    """Overwrite x's values with `src` (broadcast), in place."""
    setitem(x, Ellipsis, src, "copy_")
    return x


def _scatter_positions(x: Tensor, dim: int, index: Any, op: str) -> tuple:
    """The index tuple that `scatter` writes: `index` replaces the coordinate along `dim`."""
    idx = array_of(index)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: the index must be an integer tensor (int64), got {idx.dtype}")
    if idx.ndim == 0 and x.ndim == 1:  # PyTorch treats a 0-d index of a vector as one position
        idx = idx.reshape(1)
    if idx.ndim != x.ndim:
        raise RuntimeError(f"{op}: the index must have as many dimensions as the tensor ({x.ndim}), it has "
                           f"{idx.ndim} (shape {idx.shape})")
    axis = dim + x.ndim if -x.ndim <= dim < 0 else dim
    if not 0 <= axis < x.ndim:
        raise IndexError(f"{op}: dimension {dim} is out of range for a tensor with {x.ndim} dimensions")
    outside = idx[(idx < 0) | (idx >= x.shape[axis])]
    if outside.size:
        raise RuntimeError(f"{op}: index {outside.flat[0]} is out of bounds for dimension {dim} with size "
                           f"{x.shape[axis]}")
    positions = list(np.indices(idx.shape, sparse=True))
    positions[axis] = idx
    return tuple(positions)


def scatter_(x: Tensor, dim: int, index: Any, src: Any = None, *, value: Any = None) -> Tensor:
    """x[..., index[i, j], ...] = src[i, j] along `dim`, in place (src a tensor or a number, or
    `value=`): e.g. a one-hot row is `zeros(10).scatter_(0, tensor(label), value=1)`."""
    positions = _scatter_positions(x, dim, index, "scatter_")
    index_shape = np.broadcast(*positions).shape
    if src is None:
        if value is None:
            raise TypeError("scatter_: give the values to write, as src (a tensor or a number) or value=")
        src = value
    elif isinstance(src, Tensor):
        if src.ndim != x.ndim:
            raise RuntimeError(f"scatter_: src must have as many dimensions as the tensor ({x.ndim}), it has {src.ndim}")
        src = getitem(src, tuple(slice(0, n) for n in index_shape))
    setitem(x, positions, src, "scatter_")
    return x


def scatter(x: Tensor, dim: int, index: Any, src: Any = None, *, value: Any = None) -> Tensor:
    """The out-of-place scatter_: a copy of x with the values written (differentiable in x and src)."""
    return scatter_(x.clone(), dim, index, src, value=value)


def index_add_(x: Tensor, dim: int, index: Any, source: Tensor, *, alpha: float = 1) -> Tensor:
    """x[..., index[i], ...] += alpha * source[..., i, ...] along `dim`, in place, adding where an
    index repeats (an embedding table's gradient: `dC.index_add_(0, X.view(-1), demb)`)."""
    idx = array_of(index)
    if idx.dtype.kind not in "iu" or idx.ndim > 1:
        raise RuntimeError(f"index_add_: the index must be a 1-D integer tensor, got {idx.dtype} of shape {idx.shape}")
    axis = dim + x.ndim if -x.ndim <= dim < 0 else dim
    if not 0 <= axis < x.ndim:
        raise IndexError(f"index_add_: dimension {dim} is out of range for a tensor with {x.ndim} dimensions")
    source = source if isinstance(source, Tensor) else Tensor(source)
    expected = x.shape[:axis] + (idx.size,) + x.shape[axis + 1:]
    if source.shape != expected:
        raise RuntimeError(f"index_add_: source of shape {source.shape} does not fit: adding {idx.size} slices along "
                           f"dimension {dim} of a tensor of shape {x.shape} needs shape {expected}")
    if idx.size and (idx.min() < -x.shape[axis] or idx.max() >= x.shape[axis]):
        raise IndexError(f"index_add_: an index is out of range for dimension {dim} of size {x.shape[axis]}")
    positions = (slice(None),) * axis + (idx.reshape(-1),)
    return add_(x, IndexAdd.apply(source * alpha if alpha != 1 else source, index=positions, shape=x.shape,
                                  repeats=True))


def index_add(x: Tensor, dim: int, index: Any, source: Tensor, *, alpha: float = 1) -> Tensor:
    """The out-of-place index_add_ (differentiable in x and source)."""
    return index_add_(x.clone(), dim, index, source, alpha=alpha)


def write_out(out: Any, result: Tensor, op: str) -> Tensor:
    """PyTorch's `out=`: store `result` into `out` (resized when its shape differs) and return
    `out`. Such writes are outside the graph, so they refuse tensors that require grad, as PyTorch."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{op}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if result.requires_grad or (out.requires_grad and is_grad_enabled()):
        raise RuntimeError(f"{op}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad; compute without out= or under tg.no_grad()")
    if not np.can_cast(result.dtype, out.dtype, casting="same_kind"):
        raise RuntimeError(f"{op}(): result type {result.dtype} can't be cast to the desired output type {out.dtype}")
    if out.shape != result.shape:
        if out.numel():
            warnings.warn(f"{op}(): an output with one or more elements was resized since it had shape "
                          f"{list(out.shape)}, which does not match the required output shape {list(result.shape)}",
                          UserWarning, stacklevel=3)
        out._data = result._data.astype(out.dtype, copy=True)
    else:
        np.copyto(out._data, result._data, casting="same_kind")
    note_inplace_write(out._data)
    return out


def accepts_out(fn: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """`fn` with PyTorch's keyword `out=`: the result is written into that tensor (see write_out)."""
    @functools.wraps(fn)
    def _with_out(*args: Any, out: Tensor | None = None, **kwargs: Any) -> Tensor:  # "_": a wrapper, not the op
        result = fn(*args, **kwargs)
        return result if out is None else write_out(out, result, fn.__name__)
    return _with_out
