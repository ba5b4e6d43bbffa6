"""The one reverse-mode step every transform is built on: fresh inputs, then a vector-Jacobian
product through the engine's `grad`, batched tensors included.

A transform differentiates with respect to *fresh* copies of its inputs, so nested transforms do
not confuse their variables (the inner one's copy is connected to the outer one's). Inside vmap a
fresh input gets a batch axis for every vmap level it lacks (a broadcast view, no copy): the
gradient of a batched output is then the per-sample gradient, not its sum over the batch.
"""

from __future__ import annotations

import threading
from typing import Any, Sequence

import numpy as np

from ..autograd import Tensor, enable_grad, grad, saved_as_constants
from .batched import BatchedTensor, active_levels, levels_of, physical
from .forward_ad import refuse_inside


class _Depth(threading.local):
    value = 0


DEPTH = _Depth()  # how many autodiff transforms are running in this thread (nested ones need graphs)


class transform_level:
    """Context of one autodiff transform: counts the nesting and turns grad mode on (and
    saved-as-constants mode off: a transform run inside a backward formula records exactly)."""

    def __enter__(self) -> None:
        refuse_inside("a transform")
        DEPTH.value += 1
        self._modes = (enable_grad(), saved_as_constants(False))
        for mode in self._modes:
            mode.__enter__()

    def __exit__(self, *exc: Any) -> None:
        for mode in reversed(self._modes):
            mode.__exit__(*exc)
        DEPTH.value -= 1


def needs_graph(inputs: Sequence[Any]) -> bool:
    """Whether the derivatives must themselves be differentiable: inside another transform, or when
    the caller's own tensors require grad (the result then stays connected to them)."""
    return DEPTH.value > 1 or any(isinstance(x, Tensor) and x.requires_grad for x in inputs)


def fresh(x: Any) -> Any:
    """A new variable with `x`'s value: batched at every active vmap level, connected to `x`'s graph
    when `x` requires grad, else a new leaf."""
    if not isinstance(x, Tensor):
        raise TypeError(f"func: can only differentiate with respect to tensors, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise TypeError(f"func: cannot differentiate with respect to a tensor of dtype {x.dtype}; use floats")
    levels = levels_of(x)
    value = x.value if isinstance(x, BatchedTensor) else x
    for level, size in active_levels():
        if level not in levels:
            position = sum(1 for other in levels if other < level)
            value = value.unsqueeze(position)
            value = value.expand(*value.shape[:position], size, *value.shape[position + 1:])
            levels = levels[:position] + (level,) + levels[position:]
    # a new array object even without grad: the engine matches saved arrays to inputs by identity, so
    # two variables on one array (f(x, x)) would be confused in second derivatives
    value = value.clone() if value.requires_grad else Tensor._make(value._data.view(), True)
    return BatchedTensor(value, levels) if levels else value


def vjp_leaves(outputs: list, cotangents: list, inputs: list, create_graph: bool) -> list:
    """sum_i <cotangent_i, d output_i / d input> for every input (zeros where an input is unused),
    through one backward pass on the batch tensors. Keeps the graph (vjp functions are reusable)."""
    roots, root_grads = [], []
    input_levels = {level for x in inputs for level in levels_of(x)}
    for out, cot in zip(outputs, cotangents):
        if not isinstance(out, Tensor):
            raise TypeError(f"func: the function returned a {type(out).__name__} where a tensor was expected")
        cot = cot if isinstance(cot, Tensor) else Tensor(np.asarray(cot, dtype=out.dtype))
        if tuple(cot.shape) != tuple(out.shape):
            raise ValueError(f"func: cotangent of shape {tuple(cot.shape)} for an output of shape {tuple(out.shape)}")
        extra = set(levels_of(cot)) - input_levels
        if extra:
            raise NotImplementedError("func: a cotangent batched by a vmap outside the vjp is not supported; call "
                                      "vjp inside the vmapped function (jacrev does so)")
        if not out.requires_grad:
            continue
        levels = tuple(sorted(set(levels_of(out)) | set(levels_of(cot))))
        out_value, cot_value = physical(out, levels), physical(cot, levels)
        if out_value._data.shape != cot_value._data.shape:  # batched at different levels: broadcast both
            shape = np.broadcast_shapes(out_value.shape, cot_value.shape)
            if out_value.shape != shape:
                out_value = out_value.expand(*shape)
            cot_value = (Tensor._make(np.broadcast_to(cot_value._data, shape)) if not cot_value.requires_grad
                         else cot_value.expand(*shape))
        roots.append(out_value)
        root_grads.append(cot_value)
    values = [x.value if isinstance(x, BatchedTensor) else x for x in inputs]
    found = grad(roots, values, root_grads, retain_graph=True, create_graph=create_graph,
                 allow_unused=True) if roots else (None,) * len(values)
    result = []
    for x, value, g in zip(inputs, values, found):
        if g is None:
            g = Tensor._make(np.zeros(value.shape, dtype=value.dtype))
        result.append(BatchedTensor(g, x.levels) if isinstance(x, BatchedTensor) else g)
    return result


def is_scalar(x: Any) -> bool:
    return isinstance(x, Tensor) and tuple(x.shape) == ()
