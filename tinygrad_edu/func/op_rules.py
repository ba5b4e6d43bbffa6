"""Batching rules of the engine's ops: how `Op.apply` runs when an input is a BatchedTensor.

Tensor methods batch by their own rules (batching.py) before they reach an op. Every other way
to an op meets the batched tensor inside `Function.apply`: functional forms (`tg.exp(x)`,
`tg.conv2d`, `F.linear`), nn layers, ops built from ops. `apply` hands such a call to
`run_transformed` (installed as `Function.apply_transformed`; a dual number goes to forward
mode's rules, forward_ad.py) and on to `run_batched`, which runs the op's rule here, once on the
whole batch, or, for an op without a rule, the op once per sample with a BatchingFallbackWarning.
Every rule works on the batch tensors (batch axes first), so the backward pass needs no rules.
"""

from __future__ import annotations

import inspect
import math
import string
import warnings
from typing import Any, Callable

import numpy as np

from ..autograd import Function, Tensor
from ..ops.arithmetic import Abs, Add, Div, Mul, Neg, Pow, Remainder, Sub
from ..ops.conv import ConvProduct, Fold, MaxPool2d, Unfold
from ..ops.einsum import Einsum
from ..ops.elementwise import (Clip, Cos, Elu, Erf, Exp, LeakyRelu, Log, Log1p, Maximum, Minimum, Relu, Sigmoid,
                               SigmoidBackward, Sin, Softplus, Sqrt, Tanh, TanhBackward, Where)
from ..ops.indexing import GetItem, IndexAdd
from ..ops.linalg import MatMul
from ..ops.nn import BinaryCrossEntropy, CrossEntropy, Linear, LogSoftmax, Softmax
from ..ops.reduce import CumSum, LogSumExp, Max, Mean, Min, Norm2, Prod, Sum
from ..ops.shape import Cast, Cat, Clone, Expand, Flip, Pad, Permute, Reshape, stack
from .batched import BatchedTensor, BatchingFallbackWarning, levels_of, physical, union_levels, wrap
from .batching import (batch_shape, elementwise, getitem, getitem_with_batched_index, level_sizes, matmul,
                       shift_axis)
from .forward_ad import DualTensor, run_dual


def with_full_batch(x: Any, levels: tuple[int, ...], batch: tuple[int, ...]) -> Tensor:
    """The batch tensor of `x` with every axis of `levels` at its full size (an unbatched tensor,
    or one batched at fewer levels, is broadcast: a view, no copy)."""
    value = physical(x, levels) if isinstance(x, BatchedTensor) else x.reshape(*(1,) * len(levels), *x.shape)
    return value if tuple(value.shape[:len(levels)]) == batch else value.expand(*batch, *x.shape)


def _levels_and_batch(operands: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
    levels = union_levels(operands)
    sizes = level_sizes(operands)
    return levels, tuple(sizes[level] for level in levels)


# ----------------------------------------------------------------------------------------------
# the rules: each gets the op and its arguments as `Op.apply` did


def elementwise_rule(op: type, *args: Any, **kwargs: Any) -> Any:
    """Broadcasting ops: batch axes first, sample axes lined up (as the operators' rule)."""
    return elementwise(op.apply)(*args, **kwargs)


def axis_rule(op: type) -> Callable:
    """Ops over an `axis` keyword (reductions, softmax, cumsum, flip): the axis is shifted past the
    batch axes; None, all of a sample's axes."""
    default = inspect.signature(op.forward).parameters["axis"].default

    def rule(_: type, x: BatchedTensor, axis: Any = default, **kwargs: Any) -> BatchedTensor:
        nb = len(x.levels)
        axis = tuple(range(nb, nb + x.ndim)) if axis is None else shift_axis(axis, nb, x.ndim, op.__name__)
        return wrap(op.apply(x.value, axis=axis, **kwargs), x.levels)

    return rule


def reshape_rule(op: type, x: BatchedTensor, shape: tuple) -> BatchedTensor:
    return BatchedTensor(op.apply(x.value, shape=batch_shape(x) + tuple(shape)), x.levels)


def permute_rule(op: type, x: BatchedTensor, axes: tuple) -> BatchedTensor:
    nb = len(x.levels)
    axes = (*range(nb), *shift_axis(tuple(axes), nb, x.ndim, "permute"))
    return BatchedTensor(op.apply(x.value, axes=axes), x.levels)


def expand_rule(op: type, x: BatchedTensor, shape: tuple) -> BatchedTensor:
    return BatchedTensor(op.apply(physical(x, x.levels, len(shape)), shape=batch_shape(x) + tuple(shape)), x.levels)


def pad_rule(op: type, x: BatchedTensor, pad_width: tuple, value: float = 0.0) -> BatchedTensor:
    return BatchedTensor(op.apply(x.value, pad_width=((0, 0),) * len(x.levels) + tuple(pad_width), value=value),
                         x.levels)


def cat_rule(op: type, *xs: Any, axis: int = 0) -> BatchedTensor:
    """Concatenation: every operand at the full batch, the axis shifted."""
    levels, batch = _levels_and_batch(xs)
    values = [with_full_batch(x, levels, batch) for x in xs]
    return BatchedTensor(op.apply(*values, axis=shift_axis(axis, len(levels), xs[0].ndim, "cat")), levels)


def getitem_rule(op: type, x: Any, index: Any, repeats: bool = False) -> BatchedTensor:
    """Indexing a batched tensor, or any tensor with a batched index (`weight[tokens]`)."""
    if isinstance(x, BatchedTensor):
        return getitem(x, index)
    return getitem_with_batched_index(x, index if isinstance(index, tuple) else (index,))


def index_add_rule(op: type, g: BatchedTensor, index: tuple, shape: tuple, repeats: bool = False) -> BatchedTensor:
    """Scattering into zeros of a sample's shape: the batch axes are taken whole."""
    lead = (slice(None),) * len(g.levels)
    return BatchedTensor(op.apply(g.value, index=lead + tuple(index), shape=batch_shape(g) + tuple(shape),
                                  repeats=repeats), g.levels)


def matmul_rule(op: type, x: Any, y: Any) -> Any:
    return matmul(x, y)


def linear_rule(op: type, x: Any, weight: Any, bias: Any = None) -> Any:
    """A batch of inputs through one layer is the layer on all of them (its leading axes are free);
    batched weights (per-sample gradients, ensembles) are a batched matrix product."""
    if not levels_of(weight) and not levels_of(bias):
        return wrap(op.apply(x.value, weight) if bias is None else op.apply(x.value, weight, bias), x.levels)
    out = x @ weight.transpose(-1, -2)
    return out if bias is None else out + bias


def _batch_last(value: Tensor, nb: int) -> Tensor:
    """(B..., K, L) -> (K, B... * L): the batch axes folded into the columns of a matrix."""
    k, length = value.shape[nb:]
    return value.permute(nb, *range(nb), nb + 1).reshape(k, math.prod(value.shape[:nb]) * length)


def _batch_first(value: Tensor, batch: tuple) -> Tensor:
    """(K, B... * L) -> (B..., K, L): `_batch_last` undone."""
    nb = len(batch)
    return value.reshape(value.shape[0], *batch, -1).permute(*range(1, nb + 1), 0, nb + 1)


def unfold_rule(op: type, x: BatchedTensor, batch_columns: bool = False, **kwargs: Any) -> BatchedTensor:
    """im2col of a batch of image batches: the vmapped axes join the images' axis N."""
    batch, sample = batch_shape(x), tuple(x.shape)
    cols = op.apply(x.value.reshape(-1, *sample[1:]), batch_columns=batch_columns, **kwargs)
    if batch_columns:  # (C*kh*kw, B*N*L) -> (B, C*kh*kw, N*L)
        return BatchedTensor(_batch_first(cols, batch), x.levels)
    return BatchedTensor(cols.reshape(*batch, sample[0], *cols.shape[1:]), x.levels)


def fold_rule(op: type, cols: BatchedTensor, batch_columns: bool = False, **kwargs: Any) -> BatchedTensor:
    batch, nb = batch_shape(cols), len(cols.levels)
    if batch_columns:
        images = op.apply(_batch_last(cols.value, nb), batch_columns=True, **kwargs)
    else:
        images = op.apply(cols.value.reshape(-1, *cols.shape[1:]), **kwargs)
    return BatchedTensor(images.reshape(*batch, -1, *images.shape[1:]), cols.levels)


def conv_product_rule(op: type, weight: Any, cols: Any, bias: Any) -> Any:
    """A convolution's matrix product: batched columns under one weight are one wider product;
    batched weights (per-sample gradients) a batched matrix product."""
    if not levels_of(weight) and not levels_of(bias):
        product = op.apply(weight, _batch_last(cols.value, len(cols.levels)), bias)
        return BatchedTensor(_batch_first(product, batch_shape(cols)), cols.levels)
    out = weight @ cols
    return out if bias is None else out + bias.unsqueeze(-1)


def max_pool_rule(op: type, x: BatchedTensor, kernel_size: tuple) -> BatchedTensor:
    pooled = op.apply(x.value.reshape(-1, *x.shape[1:]), kernel_size=kernel_size)
    return BatchedTensor(pooled.reshape(*batch_shape(x), -1, *pooled.shape[1:]), x.levels)


def cross_entropy_rule(op: type, logits: Any, target: Any, weight: Any = None, ignore_index: Any = -100,
                       reduction: str = "mean") -> Any:
    """Each sample's loss over its own rows: the batch's rows in one op without reduction, then
    reduced per sample (a weighted mean divides by each sample's own total weight). The class
    weights are an array (cross_entropy reads them), never batched."""
    target = target if isinstance(target, Tensor) else Tensor._make(np.asarray(target))
    levels, batch = _levels_and_batch((logits, target))
    rows = with_full_batch(logits, levels, batch)
    labels = with_full_batch(target, levels, batch)._data
    losses = op.apply(rows.reshape(-1, rows.shape[-1]), labels.reshape(-1), weight=weight,
                      ignore_index=ignore_index, reduction="none").reshape(*labels.shape)
    if reduction == "none":
        return BatchedTensor(losses, levels)
    total = losses.sum(axis=-1)
    if reduction == "sum":
        return BatchedTensor(total, levels)
    counted = np.ones(labels.shape) if ignore_index is None else (labels != ignore_index).astype(float)
    if weight is not None:
        counted = counted * weight[np.where(counted > 0, labels, 0)]
    return BatchedTensor(total / Tensor._make(counted.sum(axis=-1).astype(losses.dtype)), levels)


def einsum_rule(op: type, *operands: Any, inputs: tuple, output: str) -> BatchedTensor:
    """Einstein summation with a letter of its own for each vmap level, in front of the indices
    of every operand batched at that level and of the output."""
    levels = union_levels(operands)
    spare = [c for c in string.ascii_letters if c not in set("".join(inputs) + output)]
    letter = dict(zip(levels, spare))
    subscripts = tuple("".join(letter[level] for level in levels_of(x)) + s for x, s in zip(operands, inputs))
    values = [x.value if isinstance(x, BatchedTensor) else x for x in operands]
    return BatchedTensor(op.apply(*values, inputs=subscripts, output="".join(letter[l] for l in levels) + output),
                         levels)


def one_sample_at_a_time(op: type, args: tuple, kwargs: dict) -> Any:
    """The fallback for an op without a rule: the op on each sample, the results stacked (still
    one graph: each sample's slice is an op on the batch tensor)."""
    levels, batch = _levels_and_batch([*args, *kwargs.values()])
    count = math.prod(batch)
    warnings.warn(f"vmap: {op.__name__} has no batching rule; it runs once per sample ({count} calls)",
                  BatchingFallbackWarning, stacklevel=4)

    def samples(x: Any) -> Any:
        if not isinstance(x, BatchedTensor):
            return [x] * count
        return list(with_full_batch(x, levels, batch).reshape(count, *x.shape)) if count else []

    columns_args = [samples(a) for a in args]
    columns_kwargs = {k: samples(v) for k, v in kwargs.items()}
    results = [op.apply(*(c[i] for c in columns_args), **{k: c[i] for k, c in columns_kwargs.items()})
               for i in range(count)]
    if results and isinstance(results[0], tuple):  # a user Function with several outputs
        return tuple(_stacked([r[k] for r in results], batch, levels) for k in range(len(results[0])))
    return _stacked(results, batch, levels)


def _stacked(results: list, batch: tuple, levels: tuple[int, ...]) -> BatchedTensor:
    out = stack(results)
    return BatchedTensor(out.reshape(*batch, *out.shape[1:]), levels)


OP_RULES: dict[type, Callable] = {
    **{op: elementwise_rule for op in (Add, Sub, Mul, Div, Pow, Remainder, Neg, Abs, Exp, Log, Log1p, Sqrt, Sin, Cos,
                                       Tanh, TanhBackward, Sigmoid, SigmoidBackward, Relu, LeakyRelu, Elu, Erf,
                                       Softplus, Clip, Maximum, Minimum, Where, Clone, Cast, BinaryCrossEntropy)},
    **{op: axis_rule(op) for op in (Sum, Mean, Max, Min, Norm2, Prod, LogSumExp, CumSum, Softmax, LogSoftmax, Flip)},
    Reshape: reshape_rule, Permute: permute_rule, Expand: expand_rule, Pad: pad_rule, Cat: cat_rule,
    GetItem: getitem_rule, IndexAdd: index_add_rule, MatMul: matmul_rule, Linear: linear_rule, Unfold: unfold_rule,
    Fold: fold_rule, ConvProduct: conv_product_rule, MaxPool2d: max_pool_rule, CrossEntropy: cross_entropy_rule,
    Einsum: einsum_rule,
}


def run_batched(op: type, *args: Any, **kwargs: Any) -> Any:
    """`Op.apply` with a batched input: the op's rule, or the op once per sample."""
    rule = OP_RULES.get(op)
    return rule(op, *args, **kwargs) if rule is not None else one_sample_at_a_time(op, args, kwargs)


def run_transformed(op: type, *args: Any, **kwargs: Any) -> Any:
    """`Op.apply` with a transform's tensor among the inputs: a dual number's jvp rule, else batching."""
    for a in args:
        if type(a) is DualTensor:
            return run_dual(op, *args, **kwargs)
    for value in kwargs.values():
        if type(value) is DualTensor:
            return run_dual(op, *args, **kwargs)
    return run_batched(op, *args, **kwargs)


Function.apply_transformed = classmethod(run_transformed)
