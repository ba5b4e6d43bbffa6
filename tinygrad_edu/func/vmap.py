"""vmap: run a function written for one sample on a whole batch, once, vectorised.

Each argument's batch axis (`in_dims`) becomes a batch axis of a new vmap level; the function runs
once on BatchedTensors (batching.py says how each op treats them) and the level's batch axis of
each output is put at `out_dims`. Levels nest (`vmap(vmap(f))`) and compose with the autodiff
transforms (`vmap(grad(loss))` gives per-sample gradients). When the function uses an operation
without a batching rule, vmap warns (BatchingFallbackWarning, naming it) and runs the function
once per sample instead, as torch.func does. `chunk_size=k` runs k samples at a time (to bound
memory) and concatenates the outputs; `randomness` says what random draws inside the function
mean (randomness.py).
"""

from __future__ import annotations

import functools
import warnings
from typing import Any, Callable

import numpy as np

from ..autograd import Tensor
from ..random import generator
from . import batching  # noqa: F401  (gives BatchedTensor its methods)
from ..ops.shape import cat, stack
from .batched import (LEVELS, BatchedTensor, BatchingFallbackWarning, BatchingRuleError, add_batch_axis,
                      remove_batch_axis)
from .forward_ad import refuse_inside
from .pytree import tree_flatten, tree_unflatten
from .randomness import RANDOMNESS, draws_for_level, refusal, repeated_runs


def _broadcast_dims(dims: Any, tree: Any, what: str) -> list:
    """`dims` (an int, None, or a pytree matching a prefix of `tree`) as one entry per leaf of `tree`."""
    if dims is None or isinstance(dims, int):
        return [dims] * len(tree_flatten(tree)[0])
    if isinstance(dims, (tuple, list)) and isinstance(tree, (tuple, list)) and len(dims) == len(tree):
        return [d for sub_dims, sub in zip(dims, tree) for d in _broadcast_dims(sub_dims, sub, what)]
    if isinstance(dims, dict) and isinstance(tree, dict) and dims.keys() == tree.keys():
        return [d for key in tree for d in _broadcast_dims(dims[key], tree[key], what)]
    raise ValueError(f"vmap: {what}={dims!r} does not match the structure of the {what.split('_')[0]}puts "
                     f"({type(tree).__name__} of {len(tree) if hasattr(tree, '__len__') else 1})")


def _batch_size(leaves: list, dims: list) -> int:
    """The common size of the batched axes (checking that each exists)."""
    sizes = set()
    for leaf, d in zip(leaves, dims):
        if d is None:
            continue
        if not isinstance(leaf, Tensor):
            raise TypeError(f"vmap: in_dims asks to batch an argument of type {type(leaf).__name__}; only tensors "
                            "batch")
        if not -leaf.ndim <= d < leaf.ndim:
            raise ValueError(f"vmap: in_dim {d} is out of range for an argument of shape {tuple(leaf.shape)}")
        sizes.add(leaf.shape[d])
    if not sizes:
        raise ValueError("vmap: in_dims batches no argument; at least one tensor argument needs a batch axis")
    if len(sizes) > 1:
        raise ValueError(f"vmap: the batched arguments have different batch sizes {sorted(sizes)}")
    return sizes.pop()


def _check_chunk_size(chunk_size: Any) -> None:
    if chunk_size is None:
        return
    if not isinstance(chunk_size, (int, np.integer)) or isinstance(chunk_size, bool):
        raise TypeError(f"vmap: chunk_size must be None or a positive int, got {type(chunk_size).__name__}")
    if chunk_size <= 0:
        raise ValueError(f"vmap: chunk_size should be None or greater than 0 (got {chunk_size}); it is the number of "
                         "samples run at once")


def vmap(func: Callable, in_dims: Any = 0, out_dims: Any = 0, randomness: str = "error",
         *, chunk_size: int | None = None) -> Callable:
    """torch.func.vmap: `func` mapped over axis `in_dims` of its arguments, run once on the batch
    (`chunk_size` samples at a time when given: the same result in less memory).

    Random draws inside `func`: `randomness="error"` refuses them, `"different"` gives each sample
    draws of its own, `"same"` draws once for the whole batch.
    """
    if randomness not in RANDOMNESS:
        raise ValueError(f"vmap: randomness={randomness!r} is not supported; choose one of {RANDOMNESS}")
    _check_chunk_size(chunk_size)

    @functools.wraps(func)
    def batched_func(*args: Any, **kwargs: Any) -> Any:
        if isinstance(in_dims, (tuple, list)) and len(in_dims) != len(args):
            raise ValueError(f"vmap: in_dims has {len(in_dims)} entries but the function got {len(args)} "
                             "positional arguments")
        leaves, spec = tree_flatten(args)
        dims = _broadcast_dims(tuple(in_dims) if isinstance(in_dims, list) else in_dims, args, "in_dims")
        size = _batch_size(leaves, dims)
        if chunk_size is None or chunk_size >= size:
            return _run(func, leaves, spec, dims, size, kwargs, out_dims, randomness)
        outputs = []
        with repeated_runs(randomness) as rewind:
            for start in range(0, size, chunk_size):
                rewind()
                stop = min(start + chunk_size, size)
                chunk = [x if d is None else x[(slice(None),) * (d % x.ndim) + (slice(start, stop),)]
                         for x, d in zip(leaves, dims)]
                outputs.append(_run(func, chunk, spec, dims, stop - start, kwargs, out_dims, randomness))
        return _concatenate(outputs, out_dims)

    return batched_func


def _run(func: Callable, leaves: list, spec: Any, dims: list, size: int, kwargs: dict, out_dims: Any,
         randomness: str) -> Any:
    """One vmap level: `func` once on the arguments batched at a new level, the outputs unbatched."""
    refuse_inside("vmap")
    LEVELS.counter += 1
    level = LEVELS.counter
    batched_args = tree_unflatten([add_batch_axis(x, level, size, d) for x, d in zip(leaves, dims)], spec)
    state_before = generator().bit_generator.state if randomness == "error" else None
    LEVELS.active.append((level, size))
    missing_rule = None
    try:
        with draws_for_level(level, size, randomness):
            outputs = func(*batched_args, **kwargs)
    except BatchingRuleError as err:
        missing_rule = err
    finally:
        LEVELS.active.pop()
    if missing_rule is not None:
        outputs = _one_sample_at_a_time(func, leaves, spec, dims, size, kwargs, out_dims, randomness, missing_rule)
    if state_before is not None and generator().bit_generator.state != state_before:
        raise refusal("the function")  # a draw from the default generator that bypassed random.draw
    if missing_rule is not None:
        return outputs
    out_leaves, out_spec = tree_flatten(outputs)
    out_dims_leaves = _broadcast_dims(out_dims, outputs, "out_dims")
    return tree_unflatten([remove_batch_axis(x, level, size, d) for x, d in zip(out_leaves, out_dims_leaves)],
                          out_spec)


def _concatenate(chunks: list, out_dims: Any) -> Any:
    """The outputs of the chunks joined along their out_dims (an output at out_dims None does not
    depend on the batch: the first chunk's)."""
    out_spec = tree_flatten(chunks[0])[1]
    per_chunk = [tree_flatten(outputs)[0] for outputs in chunks]
    joined = []
    for k, d in enumerate(_broadcast_dims(out_dims, chunks[0], "out_dims")):
        pieces = [leaves[k] for leaves in per_chunk]
        joined.append(pieces[0] if d is None else cat(pieces, axis=d % pieces[0].ndim))  # batches by its rule
    return tree_unflatten(joined, out_spec)


def _one_sample_at_a_time(func: Callable, leaves: list, spec: Any, dims: list, size: int, kwargs: dict,
                          out_dims: Any, randomness: str, missing_rule: BatchingRuleError) -> Any:
    """The slow path: `func` on each sample in turn, the outputs stacked at `out_dims` (each call
    draws its own random numbers: under "same" they are rewound to draw alike). Under an outer
    vmap the per-sample outputs are still batched and cannot be stacked here: the error goes up,
    and the outer vmap loops instead."""
    warnings.warn(f"{missing_rule}. vmap runs the function once per sample instead ({size} calls)",
                  BatchingFallbackWarning, stacklevel=4)
    results, out_spec = [], None
    with repeated_runs(randomness) as rewind:
        for i in range(size):
            rewind()
            sample = [x if d is None else x[(slice(None),) * (d % x.ndim) + (i,)] for x, d in zip(leaves, dims)]
            out_leaves, out_spec = tree_flatten(func(*tree_unflatten(sample, spec), **kwargs))
            results.append(out_leaves)
    example = tree_unflatten(results[0], out_spec)
    stacked = []
    for k, d in enumerate(_broadcast_dims(out_dims, example, "out_dims")):
        column = [r[k] for r in results]
        if d is None:
            stacked.append(column[0])
        elif any(isinstance(c, BatchedTensor) for c in column):
            raise missing_rule
        else:
            stacked.append(stack(column, axis=d % (column[0].ndim + 1)))
    return tree_unflatten(stacked, out_spec)
