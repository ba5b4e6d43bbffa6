"""Einstein summation, `einsum("ij,jk->ik", a, b)`, with PyTorch's and NumPy's equation syntax
(implicit output, `...` for broadcast dimensions, repeated indices for diagonals).

The backward is einsum again: the gradient of one operand is the output gradient contracted with
all the other operands onto that operand's indices. Two details need care: an index that only that
operand has was summed away, so its gradient is broadcast back along it; an index repeated in one
operand (`"ii->i"`) reads a diagonal, so its gradient is written back onto the diagonal.
"""

from __future__ import annotations

import string
from typing import Any, Sequence

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from .reduce import sum as reduce_sum
from .shape import broadcast_to, reshape

_LETTERS = string.ascii_letters


class Einsum(Function):
    @staticmethod
    def forward(ctx, *operands, inputs, output):
        ctx.save_for_backward(*operands)
        ctx.inputs, ctx.output = inputs, output
        return np.einsum(_equation(inputs, output), *operands)

    @staticmethod
    def backward(ctx, g):
        operands = ctx.saved_tensors
        return tuple(_operand_grad(g, operands, i, ctx.inputs, ctx.output) if needed else None
                     for i, needed in enumerate(ctx.needs_input_grad))


def _equation(inputs: Sequence[str], output: str) -> str:
    return ",".join(inputs) + "->" + output


def _operand_grad(g: Tensor, operands: Sequence[Any], i: int, inputs: Sequence[str], output: str) -> Tensor:
    """d(sum(g * einsum(...)))/d(operand i), as a differentiable einsum of g and the others."""
    target = inputs[i]
    own = dict(zip(target, operands[i].shape))  # this operand's size of each of its indices
    seen_elsewhere = set(output).union(*(set(s) for j, s in enumerate(inputs) if j != i))
    unique = "".join(dict.fromkeys(target))
    kept = "".join(letter for letter in unique if letter in seen_elsewhere)
    others = [x for j, x in enumerate(operands) if j != i]
    grad = einsum_explicit([output] + [s for j, s in enumerate(inputs) if j != i], kept, g, *others)
    grad = reshape(grad, [grad.shape[kept.index(letter)] if letter in kept else 1 for letter in unique])
    # where this operand was broadcast (size 1 against n), its gradient sums over the copies
    summed = tuple(k for k, letter in enumerate(unique) if own[letter] == 1 and grad.shape[k] != 1)
    if summed:
        grad = reduce_sum(grad, axis=summed, keepdims=True)
    # indices only this operand had were summed away: the gradient is constant along them
    grad = broadcast_to(grad, [own[letter] for letter in unique])
    if unique != target:  # a repeated index read a diagonal: write the gradient onto that diagonal
        renamed, deltas, fresh = [], [], iter(c for c in _LETTERS if c not in target + output)
        for position, letter in enumerate(target):
            if letter in target[:position]:
                twin = next(fresh)
                renamed.append(twin)
                deltas.append((letter + twin, np.eye(own[letter])))
            else:
                renamed.append(letter)
        grad = einsum_explicit([unique] + [subs for subs, _ in deltas], "".join(renamed),
                               grad, *[eye for _, eye in deltas])
    return grad


def einsum_explicit(inputs: Sequence[str], output: str, *operands: Any) -> Tensor:
    """einsum with every index spelled out (no `...`, an explicit output): the recorded op."""
    return Einsum.apply(*operands, inputs=tuple(inputs), output=output)


def _parse(equation: str, shapes: Sequence[tuple]) -> tuple[list[str], str]:
    """Turn an equation into explicit subscripts: `...` becomes letters, a missing `->` the
    implicit output (indices seen once, in alphabetical order, after the broadcast ones)."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != len(shapes):
        raise ValueError(f"einsum: the equation {equation!r} names {len(inputs)} operands but "
                         f"{len(shapes)} were given")
    for subs in inputs + [rhs]:
        bad = set(subs.replace("...", "")) - set(_LETTERS)
        if bad or subs.count("...") > 1:
            raise ValueError(f"einsum: invalid subscripts {subs!r} in {equation!r}; use letters, at most one "
                             "'...' per operand")
    used = set(equation)
    spare = [c for c in _LETTERS if c not in used]
    ellipsis_ndim = max((len(shape) - len(s.replace("...", "")) for s, shape in zip(inputs, shapes) if "..." in s),
                        default=0)
    broadcast = "".join(spare[:ellipsis_ndim])
    explicit = []
    for subs, shape in zip(inputs, shapes):
        letters = subs.replace("...", "")
        if "..." in subs:
            subs = subs.replace("...", broadcast[ellipsis_ndim - (len(shape) - len(letters)):])
        if len(subs) != len(shape):
            raise ValueError(f"einsum: subscripts {subs!r} name {len(subs)} dimensions but the operand has "
                             f"shape {tuple(shape)}")
        explicit.append(subs)
    if arrow:
        output = rhs.replace("...", broadcast)
    else:
        counts = "".join(explicit)
        output = broadcast + "".join(sorted(c for c in set(counts) if counts.count(c) == 1 and c not in broadcast))
    return explicit, output


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation as `torch.einsum`: `einsum("bij,bjk->bik", a, b)`; the operands may also
    come as one list (`einsum("ij,jk", [a, b])`)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    shapes = [x.shape if isinstance(x, Tensor) else np.shape(x) for x in operands]
    inputs, output = _parse(equation, shapes)
    sizes: dict[str, int] = {}
    for subs, shape in zip(inputs, shapes):
        for letter, n in zip(subs, shape):
            if n != 1 and sizes.setdefault(letter, n) != n:
                raise ValueError(f"einsum: index {letter!r} in {equation!r} has size {sizes[letter]} in one "
                                 f"operand and {n} in another (shapes {[tuple(s) for s in shapes]})")
    return einsum_explicit(inputs, output, *operands)
