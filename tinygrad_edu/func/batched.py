"""BatchedTensor: a tensor as a function under `vmap` sees it, one sample of a batch.

It holds the whole batch in one ordinary Tensor, `value`, whose leading axes are the batch axes of
the vmap levels in `levels` (ascending: the outermost vmap first), followed by the sample's own
axes. Its `shape` is the sample's (the logical shape). Operations on it run once on `value`, their
axis arguments shifted past the batch axes (the rules are in batching.py), so vmap vectorises
instead of looping. It subclasses Tensor so that `tensor + batched` reaches the batched operator.
"""

from __future__ import annotations

import math
import sys
import threading
from typing import Any

import numpy as np

from ..autograd import Size, Tensor
from ..autograd.function import TransformOperandError
from ..autograd.tensor import ElementCount


class _Levels(threading.local):
    """The vmap levels running in this thread, innermost last, as [(level, batch size)]."""

    def __init__(self) -> None:
        self.active: list[tuple[int, int]] = []
        self.counter = 0


LEVELS = _Levels()


def active_levels() -> list[tuple[int, int]]:
    """The (level, batch size) of every vmap this thread is inside, outermost first."""
    return list(LEVELS.active)


class BatchingRuleError(TransformOperandError):
    """An operation reached a batched tensor and has no batching rule. Raised by code that reads a
    batched tensor's array (a Function's call is caught on the way and batched by its rule); the
    message, naming the function the user called, is worked out only when it is shown."""

    def __init__(self, message: str | None = None, frame: Any = None, batch: Tensor | None = None) -> None:
        super().__init__(message)
        self.frame, self.batch = frame, batch

    def __str__(self) -> str:
        return self.args[0] if self.args[0] is not None else no_rule_message(_caller_outside_func(self.frame))


class BatchingFallbackWarning(UserWarning):
    """vmap met an operation without a batching rule and ran the function once per sample."""


class BatchedTensor(Tensor):
    """A batch of tensors seen as one: `value` has one leading axis per level of `levels`."""

    __slots__ = ("value", "levels")

    def __init__(self, value: Tensor, levels: tuple[int, ...]) -> None:
        self.value = value
        self.levels = levels

    @property
    def _data(self) -> np.ndarray:  # no one array: Function.apply batches the op, other readers fall back
        raise BatchingRuleError(frame=sys._getframe(1), batch=self.value)

    data = _data  # so does code that asks for `.data`

    @property
    def shape(self) -> Size:
        return Size(self.value.shape[len(self.levels):])

    @property
    def ndim(self) -> int:
        return self.value.ndim - len(self.levels)

    @property
    def dtype(self) -> np.dtype:
        return self.value.dtype

    @property
    def size(self) -> ElementCount:  # NumPy's count, or PyTorch's x.size() / x.size(dim), as Tensor's
        count = ElementCount(math.prod(self.shape))
        count.shape = self.shape
        return count

    def numel(self) -> int:
        return self.size

    def dim(self) -> int:
        return self.ndim

    @property
    def requires_grad(self) -> bool:
        return self.value.requires_grad

    @property
    def _requires_grad(self) -> bool:  # read by the engine next to `_data` (numpy(), __array__)
        return self.value._requires_grad

    @property
    def grad_fn(self) -> Any:
        return self.value.grad_fn

    @property
    def is_leaf(self) -> bool:
        return self.value.is_leaf

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d batched tensor")
        return self.shape[0]

    def __repr__(self) -> str:
        return f"BatchedTensor(levels={self.levels}, shape={self.shape}, value shape={self.value.shape})"

    def detach(self) -> BatchedTensor:
        return BatchedTensor(self.value.detach(), self.levels)


def no_rule_message(op: str) -> str:
    return (f"vmap: {op} has no batching rule: it reads a batched tensor's values (Tensor methods and the "
            "engine's ops batch, see tinygrad_edu.func.BATCHING_RULES and OP_RULES)")


def _caller_outside_func(frame: Any) -> str:
    """The name of the outermost tinygrad_edu function in the call chain of `frame` (the one the
    user's code called, `nll_loss` rather than `numpy`; a module's `linear` rather than its
    `__call__`), for the error of an op without a batching rule."""
    name = "this operation"
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if not module.startswith("tinygrad_edu"):
            break
        function = frame.f_code.co_name
        if not module.startswith("tinygrad_edu.func") and not function.startswith(("_", "<")) and function != "forward":
            name = function
        frame = frame.f_back
    return name


def levels_of(x: Any) -> tuple[int, ...]:
    return x.levels if isinstance(x, BatchedTensor) else ()


def physical(x: Any, levels: tuple[int, ...], logical_ndim: int | None = None) -> Any:
    """`x` as an ordinary operand for an op over the batch axes of `levels`: a batched tensor gets a
    size-1 axis for each level it lacks and, to reach `logical_ndim` sample axes, size-1 axes after
    the batch axes (broadcasting then lines samples up); anything else is returned as it is, since
    NumPy's right-aligned broadcasting already puts it against the sample axes."""
    if not isinstance(x, BatchedTensor):
        return x
    value = x.value
    missing = logical_ndim - x.ndim if logical_ndim is not None and logical_ndim > x.ndim else 0
    if x.levels == levels and not missing:
        return value
    own = value.shape[:len(x.levels)]
    batch = tuple(own[x.levels.index(level)] if level in x.levels else 1 for level in levels)
    order = [x.levels.index(level) for level in levels if level in x.levels]
    if order != sorted(order):
        raise RuntimeError(f"vmap: batch levels {x.levels} are out of order for {levels}")
    return value.reshape(batch + (1,) * missing + tuple(x.shape))


def union_levels(args: Any) -> tuple[int, ...]:
    """The levels of all batched tensors among `args`, ascending."""
    return tuple(sorted({level for a in args for level in levels_of(a)}))


def wrap(result: Any, levels: tuple[int, ...]) -> Any:
    """A result computed on the batch: tensors become batched tensors, tuples are wrapped elementwise."""
    if not levels:
        return result
    if isinstance(result, Tensor):
        return BatchedTensor(result, levels)
    if isinstance(result, tuple):
        items = [wrap(r, levels) for r in result]
        return type(result)(*items) if hasattr(result, "_fields") else tuple(items)
    return result


def add_batch_axis(x: Any, level: int, size: int, axis: int | None) -> Any:
    """The argument `x` of a vmapped function as the function sees it: its axis `axis` (None: not
    batched, it is returned unchanged) becomes the batch axis of `level`."""
    if axis is None:
        return x
    if not isinstance(x, Tensor):
        raise TypeError(f"vmap: in_dims asks to batch an argument of type {type(x).__name__}; only tensors batch")
    levels = levels_of(x)
    ndim = x.ndim
    if not -ndim <= axis < ndim:
        raise ValueError(f"vmap: in_dim {axis} is out of range for an argument of shape {tuple(x.shape)}")
    axis = axis % ndim
    if x.shape[axis] != size:
        raise ValueError(f"vmap: the arguments disagree on the batch size: {size} and {x.shape[axis]} "
                         f"(axis {axis} of an argument of shape {tuple(x.shape)})")
    value = x.value if isinstance(x, BatchedTensor) else x
    nb = len(levels)
    position = sum(1 for other in levels if other < level)
    moved = _move_axis(value, nb + axis, position)
    return BatchedTensor(moved, levels[:position] + (level,) + levels[position:])


def _move_axis(value: Tensor, source: int, destination: int) -> Tensor:
    if source == destination:
        return value
    axes = [i for i in range(value.ndim) if i != source]
    axes.insert(destination, source)
    return value.permute(*axes)


def remove_batch_axis(x: Any, level: int, size: int, out_dim: int | None) -> Any:
    """An output of the vmapped function back outside: the batch axis of `level` becomes its axis
    `out_dim` (an output that does not depend on the batch is repeated `size` times there)."""
    if out_dim is None:
        if level in levels_of(x):
            raise ValueError("vmap: out_dims None for an output that depends on the batch; give the axis to put it at")
        return x
    if not isinstance(x, Tensor):
        raise TypeError(f"vmap: the function returned a {type(x).__name__}; vmap needs tensors (or pytrees of them)")
    levels = levels_of(x)
    value = x.value if isinstance(x, BatchedTensor) else x
    logical = x.shape
    if level not in levels:
        position = sum(1 for other in levels if other < level)
        value = value.unsqueeze(position).expand(*value.shape[:position], size, *value.shape[position:])
        levels = levels[:position] + (level,) + levels[position:]
    ndim = len(logical) + 1
    if not -ndim <= out_dim < ndim:
        raise ValueError(f"vmap: out_dim {out_dim} is out of range for an output of shape {tuple(logical)}")
    position = levels.index(level)
    rest = levels[:position] + levels[position + 1:]
    moved = _move_axis(value, position, len(rest) + out_dim % ndim)
    return BatchedTensor(moved, rest) if rest else moved
