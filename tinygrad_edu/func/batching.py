"""Batching rules: how each Tensor method runs on a BatchedTensor, once for the whole batch.

A rule receives the method's arguments as the function under vmap gave them (batched tensors
among them) and calls the ordinary method on the batch tensors: elementwise ops broadcast with
the batch axes first, reductions, shape ops and indexing shift their axis arguments past the
batch axes, matmul promotes vectors so that batch axes never meet matrix axes. `BATCHING_RULES`
maps every method with a rule to its kind; `attach()` makes them BatchedTensor's methods. Any
other Tensor method, and every functional form (`tg.exp(x)`, `F.linear`), reaches the engine's
ops with the batched tensor, and op_rules.py batches those. Code that reads a batched tensor's
array itself raises BatchingRuleError naming it (BatchedTensor._data); vmap then runs the
function once per sample (vmap.py).
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

import numpy as np

from ..autograd import Tensor
from ..methods import NUMPY_UFUNCS, TENSOR_METHODS
from ..ops.axes import array_of
from .batched import BatchedTensor, BatchingRuleError, physical, union_levels, wrap

ELEMENTWISE = (
    "__add__ __radd__ add __sub__ __rsub__ sub __mul__ __rmul__ mul __truediv__ __rtruediv__ div __pow__ "
    "__rpow__ pow __mod__ __rmod__ __neg__ neg __pos__ __abs__ abs exp log log1p sqrt rsqrt sin cos tanh "
    "sigmoid relu leaky_relu elu gelu softplus erf square reciprocal lerp clip clamp maximum minimum where "
    "masked_fill nan_to_num tril triu sinh cosh expm1 log2 log10 __eq__ __ne__ __lt__ __le__ __gt__ __ge__ eq "
    "ne lt le gt ge __and__ __or__ __xor__ __invert__ logical_and logical_or logical_xor logical_not "
    "__floordiv__ __rfloordiv__ sign floor ceil round isnan isinf isfinite isclose clone astype to cpu float double "
    "half int long bool"
).split()
# method: (axis parameters, what no axis means: "all" sample axes, "flatten" the sample first, or "default")
AXIS_METHODS = {
    **{name: (("axis", "dim"), "all") for name in ("sum", "mean", "amax", "amin", "prod", "logsumexp", "any", "all")},
    "var": (("dim", "axis"), "all"), "std": (("dim", "axis"), "all"), "norm": (("axis", "dim"), "all"),
    "max": (("axis", "dim"), "all"), "min": (("axis", "dim"), "all"), "flip": (("axis", "dims"), "all"),
    "argmax": (("axis", "dim"), "flatten"), "argmin": (("axis", "dim"), "flatten"),
    "cumsum": (("axis", "dim"), "flatten"), "repeat_interleave": (("dim", "axis"), "flatten"),
    **{name: (("axis", "dim"), "default") for name in ("softmax", "log_softmax", "sort", "topk", "unbind", "split",
                                                       "chunk", "narrow", "index_select")},
    "swapaxes": (("axis1", "axis2"), "default"), "flatten": (("start_dim", "end_dim"), "default"),
    "unsqueeze": (("axis",), "default"),
}


def _operand_ndim(x: Any) -> int:
    return x.ndim if isinstance(x, (Tensor, np.ndarray)) else 0


def elementwise(function: Callable) -> Callable:
    """Rule for broadcasting ops: every batched operand gets the batch axes of all of them first,
    then enough size-1 axes that its sample axes line up with the other operands'."""

    def batched(*args: Any, **kwargs: Any) -> Any:
        operands = [*args, *kwargs.values()]
        levels = union_levels(operands)
        ndim = max(map(_operand_ndim, operands))
        result = function(*(physical(a, levels, ndim) for a in args),
                          **{k: physical(v, levels, ndim) for k, v in kwargs.items()})
        return wrap(result, levels)

    return batched


def shift_axis(axis: Any, nb: int, ndim: int, op: str) -> Any:
    """A sample axis (or tuple of them) as an axis of the batch tensor, nb batch axes in front."""
    if isinstance(axis, (tuple, list)):
        return tuple(shift_axis(a, nb, ndim, op) for a in axis)
    if not -ndim <= axis < max(ndim, 1):
        raise IndexError(f"{op}: axis {axis} is out of range for a sample of {ndim} dimensions (under vmap)")
    return axis % max(ndim, 1) + nb


def _no_batched_arguments(op: str, values: Any) -> None:
    if any(isinstance(v, BatchedTensor) for v in values):
        raise BatchingRuleError(f"vmap: {op} batches only its tensor itself, not a batched tensor as another "
                                  "argument (such as an index); compute it outside vmap or index with constants")


def along_axes(name: str, function: Callable, params: tuple[str, ...], when_none: str) -> Callable:
    """Rule for ops with axis arguments: the axes are shifted past the batch axes."""
    signature = inspect.signature(function)
    self_name = next(iter(signature.parameters))

    def batched(x: BatchedTensor, *args: Any, **kwargs: Any) -> Any:
        arguments = signature.bind(x, *args, **kwargs).arguments
        _no_batched_arguments(name, [v for k, v in arguments.items() if k != self_name])
        nb, ndim = len(x.levels), x.ndim + (name == "unsqueeze")
        value = x.value
        given = [p for p in params if arguments.get(p) is not None]
        if not given:
            if when_none == "all":
                arguments[params[0]] = tuple(range(nb, nb + x.ndim))
            elif when_none == "flatten":
                value = value.reshape(*value.shape[:nb], -1)
                arguments[params[0]] = nb
            else:
                default = signature.parameters[params[0]].default
                arguments[params[0]] = shift_axis(default, nb, ndim, name)
        for p in given:
            arguments[p] = shift_axis(arguments[p], nb, ndim, name)
        arguments[self_name] = value
        return wrap(function(**arguments), x.levels)

    return batched


def _sizes(args: tuple) -> tuple:
    return tuple(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else tuple(args)


def batch_shape(x: BatchedTensor) -> tuple:
    return tuple(x.value.shape[:len(x.levels)])


def reshape(x: BatchedTensor, *shape: Any) -> BatchedTensor:
    return BatchedTensor(x.value.reshape(*batch_shape(x), *_sizes(shape)), x.levels)


def permute(x: BatchedTensor, *axes: Any) -> BatchedTensor:
    nb = len(x.levels)
    return BatchedTensor(x.value.permute(*range(nb), *shift_axis(_sizes(axes), nb, x.ndim, "permute")), x.levels)


def transpose(x: BatchedTensor, *axes: Any) -> BatchedTensor:
    if len(axes) == 2 and all(isinstance(a, int) for a in axes):
        nb = len(x.levels)
        return BatchedTensor(x.value.swapaxes(shift_axis(axes[0], nb, x.ndim, "transpose"),
                                              shift_axis(axes[1], nb, x.ndim, "transpose")), x.levels)
    order = _sizes(axes) or tuple(reversed(range(x.ndim)))
    return permute(x, *order)


def t(x: BatchedTensor) -> BatchedTensor:
    return x if x.ndim < 2 else transpose(x, 0, 1)


def transpose_all(x: BatchedTensor) -> BatchedTensor:
    return permute(x, *reversed(range(x.ndim)))


def squeeze(x: BatchedTensor, axis: Any = None, *, dim: Any = None) -> BatchedTensor:
    axis = dim if dim is not None else axis
    if axis is None:
        axis = tuple(i for i, n in enumerate(x.shape) if n == 1)
        if not axis:
            return x
    return BatchedTensor(x.value.squeeze(shift_axis(axis, len(x.levels), x.ndim, "squeeze")), x.levels)


def expand(x: BatchedTensor, *shape: Any) -> BatchedTensor:
    shape = _sizes(shape)
    value = physical(x, x.levels, len(shape))
    return BatchedTensor(value.expand(*batch_shape(x), *shape), x.levels)


def broadcast_to(x: BatchedTensor, shape: Any) -> BatchedTensor:
    return expand(x, *shape)


def repeat(x: BatchedTensor, *sizes: Any, repeats: Any = None, axis: Any = None) -> BatchedTensor:
    if repeats is not None or axis is not None:  # NumPy's repeat: each element `repeats` times
        return x.repeat_interleave(repeats, axis)
    sizes = _sizes(sizes)
    return BatchedTensor(physical(x, x.levels, len(sizes)).repeat(*(1,) * len(x.levels), *sizes), x.levels)


def tile(x: BatchedTensor, reps: Any) -> BatchedTensor:
    reps = tuple(reps) if isinstance(reps, (tuple, list)) else (reps,)
    reps = (1,) * (x.ndim - len(reps)) + reps
    return BatchedTensor(physical(x, x.levels, len(reps)).tile((1,) * len(x.levels) + reps), x.levels)


def pad(x: BatchedTensor, pad_width: Any, value: float = 0.0) -> BatchedTensor:
    """NumPy's pad_width, (before, after) per sample axis (or one pair or int for all): the batch
    axes get (0, 0)."""
    pairs = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (x.ndim, 2))
    width = ((0, 0),) * len(x.levels) + tuple((int(a), int(b)) for a, b in pairs)
    return BatchedTensor(x.value.pad(width, value), x.levels)


def roll(x: BatchedTensor, shifts: Any, axis: Any = None, *, dims: Any = None) -> BatchedTensor:
    """np.roll over sample axes; with no axis the sample is rolled flattened and keeps its shape."""
    axis = dims if dims is not None else axis
    nb = len(x.levels)
    if axis is None:
        flat = x.value.reshape(*batch_shape(x), -1).roll(shifts, nb)
        return BatchedTensor(flat.reshape(*x.value.shape), x.levels)
    return BatchedTensor(x.value.roll(shifts, shift_axis(axis, nb, x.ndim, "roll")), x.levels)


def diag(x: BatchedTensor, diagonal: int = 0) -> BatchedTensor:
    """torch.diag per sample: a matrix's diagonal, or a vector as a diagonal matrix (diagonal 0)."""
    nb = len(x.levels)
    if x.ndim == 2:
        rows = np.arange(max(0, -diagonal), min(x.shape[0], x.shape[1] - diagonal))
        return BatchedTensor(x.value[(slice(None),) * nb + (rows, rows + diagonal)], x.levels)
    if x.ndim != 1 or diagonal:
        raise BatchingRuleError(f"vmap: diag batches matrices and vectors (diagonal 0), got a sample of shape "
                                f"{x.shape} with diagonal={diagonal}")
    return x.unsqueeze(-1) * Tensor._make(np.eye(x.shape[0], dtype=x.dtype))


def trace(x: BatchedTensor) -> BatchedTensor:
    if x.ndim != 2:
        raise ValueError(f"trace: expects a matrix, got a sample of shape {x.shape} (under vmap)")
    return diag(x).sum()


def _is_advanced(index: Any) -> bool:
    return isinstance(index, (list, np.ndarray, Tensor)) and not (np.ndim(index) == 0 and not isinstance(index, list))


def getitem(x: BatchedTensor, index: Any) -> BatchedTensor:
    """Indexing: slices for the batch axes in front; array indices must stand side by side (else
    PyTorch moves their result axes to the front, in front of the batch axes)."""
    index = index if isinstance(index, tuple) else (index,)
    if any(isinstance(item, BatchedTensor) for item in index):
        return getitem_with_batched_index(x, index)
    advanced = [i for i, item in enumerate(k for k in index if not isinstance(k, int)) if _is_advanced(item)]
    if advanced and advanced != list(range(advanced[0], advanced[-1] + 1)):
        raise BatchingRuleError("vmap: indexing with array indices separated by slices has no batching rule; "
                                "index in two steps")
    return wrap(x.value[(slice(None),) * len(x.levels) + index], x.levels)


def level_sizes(items: Any) -> dict[int, int]:
    """Each vmap level's batch size, read from the batched tensors among `items`."""
    return {level: n for item in items if isinstance(item, BatchedTensor)
            for level, n in zip(item.levels, item.value.shape)}


def getitem_with_batched_index(x: Any, index: tuple) -> BatchedTensor:
    """x[i] with a batched integer index (a per-sample label, `logits[y]`): every batch axis gets an
    arange index, so each sample picks with its own index. Array indices must come first."""
    count = next((k for k, item in enumerate(index) if not _is_advanced(item) and not isinstance(item, BatchedTensor)),
                 len(index))
    leading = index[:count]
    if any(isinstance(item, BatchedTensor) for item in index[count:]) or any(
            np.asarray(i.value._data if isinstance(i, BatchedTensor) else i).dtype == bool for i in leading):
        raise BatchingRuleError("vmap: indexing with a batched index has a batching rule only for integer indices at "
                                "the start (x[i], x[i, j]), not for boolean masks or indices after slices")
    levels = union_levels((x, *leading))
    width = max(np.ndim(i.value._data) - len(i.levels) if isinstance(i, BatchedTensor) else np.ndim(i) for i in leading)
    sizes = level_sizes((x, *leading))
    value = physical(x, levels)
    value = value.expand(*(sizes[level] for level in levels), *x.shape)
    aranges = tuple(np.arange(sizes[level]).reshape((-1,) + (1,) * (len(levels) - k - 1 + width))
                    for k, level in enumerate(levels))
    physical_index = tuple(physical(i, levels, width)._data if isinstance(i, BatchedTensor) else
                           array_of(i) for i in leading)
    return BatchedTensor(value[aranges + physical_index + index[count:]], levels)


def gather(x: Any, axis: int, index: Any) -> BatchedTensor:
    """PyTorch's gather with the batch axes in front of both the tensor and the index (either may
    be batched: `log_probs.gather(0, label)` per sample)."""
    levels = union_levels((x, index))
    sizes = level_sizes((x, index))
    batch = tuple(sizes[level] for level in levels)
    value = physical(x, levels)
    value = value.expand(*batch, *x.shape)
    if isinstance(index, BatchedTensor):
        idx = physical(index, levels)._data
    else:
        idx = array_of(index)
        idx = idx.reshape((1,) * len(levels) + idx.shape)
    idx = np.broadcast_to(idx, batch + tuple(index.shape))
    return BatchedTensor(value.gather(shift_axis(axis, len(levels), x.ndim, "gather"), idx), levels)


def iterate(x: BatchedTensor) -> Any:
    return iter([getitem(x, i) for i in range(len(x))])


def matmul(x: Any, y: Any) -> Any:
    """x @ y: vectors become matrices first (and the extra axis is dropped after), so np.matmul's
    broadcasting over leading axes lines batch axes up with batch axes."""
    x_vector, y_vector = x.ndim == 1, y.ndim == 1
    levels = union_levels((x, y))
    x = x.reshape(1, -1) if x_vector else x
    y = y.reshape(-1, 1) if y_vector else y
    ndim = max(x.ndim, y.ndim)
    out = physical(x, levels, ndim) @ physical(y, levels, ndim)
    if x_vector and y_vector:
        out = out.reshape(*out.shape[:-2])
    elif x_vector or y_vector:
        out = out.squeeze(-2 if x_vector else -1)
    return wrap(out, levels)


def rmatmul(x: Any, y: Any) -> Any:
    return matmul(y, x)


def outer(x: Any, y: Any) -> Any:
    return x.reshape(-1, 1) * y.reshape(1, -1)


def detach(x: BatchedTensor) -> BatchedTensor:
    return BatchedTensor(x.value.detach(), x.levels)


def array_ufunc(x: BatchedTensor, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
    """NumPy ufuncs with a batched operand: the binary ones of NUMPY_UFUNCS batch like the operators."""
    if method == "__call__" and not kwargs and len(inputs) == 2 and ufunc in NUMPY_UFUNCS:
        return elementwise(NUMPY_UFUNCS[ufunc])(*inputs)
    raise BatchingRuleError(f"vmap: numpy.{ufunc.__name__} has no batching rule for a batched tensor")


SHAPE_RULES = {
    "reshape": reshape, "view": reshape, "permute": permute, "transpose": transpose, "t": t, "squeeze": squeeze,
    "expand": expand, "broadcast_to": broadcast_to, "repeat": repeat, "tile": tile,
    "__getitem__": getitem, "__iter__": iterate,
    "gather": gather, "__matmul__": matmul, "__rmatmul__": rmatmul, "matmul": matmul, "mm": matmul, "mv": matmul,
    "dot": matmul,
    "outer": outer, "detach": detach, "__array_ufunc__": array_ufunc, "pad": pad, "roll": roll, "diag": diag,
    "trace": trace,
}


def _kind(name: str) -> str:
    if name in ELEMENTWISE:
        return "elementwise (broadcast, batch axes first)"
    if name in AXIS_METHODS:
        return "axis arguments shifted past the batch axes"
    return "own rule (" + SHAPE_RULES[name].__name__ + ")"


BATCHING_RULES: dict[str, str] = {name: _kind(name) for name in (*ELEMENTWISE, *AXIS_METHODS, *SHAPE_RULES)}


def attach() -> None:
    """Give BatchedTensor a method for every rule (other Tensor methods stay and raise when used)."""
    for name in ELEMENTWISE:
        setattr(BatchedTensor, name, elementwise(TENSOR_METHODS[name]))
    for name, (params, when_none) in AXIS_METHODS.items():
        setattr(BatchedTensor, name, along_axes(name, TENSOR_METHODS[name], params, when_none))
    for name, rule in SHAPE_RULES.items():
        setattr(BatchedTensor, name, rule)
    BatchedTensor.T = property(transpose_all)
    BatchedTensor.__hash__ = object.__hash__


attach()
