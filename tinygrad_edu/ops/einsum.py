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
    formula = "d einsum(..., x, ...)/dx = einsum of g with the other operands, onto x's indices"

    @staticmethod
    def forward(ctx, *operands, inputs, output):
        ctx.save_for_backward(*operands)
        ctx.inputs, ctx.output = inputs, output
        return np.einsum(_equation(inputs, output), *operands)

    @staticmethod
    def backward(ctx, g):
        operands = ctx.saved_tensors
        shapes = [x.shape for x in operands]
        return tuple(_run_plan(gradient_plan(ctx.inputs, ctx.output, shapes, i), g, operands, i) if needed else None
                     for i, needed in enumerate(ctx.needs_input_grad))


def _equation(inputs: Sequence[str], output: str) -> str:
    return ",".join(inputs) + "->" + output


def gradient_plan(inputs: Sequence[str], output: str, shapes: Sequence[tuple], i: int) -> list[tuple]:
    """The steps that turn the output gradient into operand i's gradient, as data, so the engine's
    backward and the NumPy rendering of `trace.code()` follow the same recipe:
    ("einsum", equation) with the gradient and the other operands, then ("reshape", shape),
    ("sum", axes), ("broadcast", shape) and ("diagonal", equation, eye sizes) where needed."""
    target = inputs[i]
    own = dict(zip(target, shapes[i]))  # this operand's size of each of its indices
    seen_elsewhere = set(output).union(*(set(s) for j, s in enumerate(inputs) if j != i))
    unique = "".join(dict.fromkeys(target))
    kept = "".join(letter for letter in unique if letter in seen_elsewhere)
    plan: list[tuple] = [("einsum", _equation([output] + [s for j, s in enumerate(inputs) if j != i], kept))]
    grad_shape = [_size_after_einsum(letter, output, inputs, shapes, i) if letter in kept else 1 for letter in unique]
    if len(kept) != len(unique):
        plan.append(("reshape", tuple(grad_shape)))
    # where this operand was broadcast (size 1 against n), its gradient sums over the copies
    summed = tuple(k for k, letter in enumerate(unique) if own[letter] == 1 and grad_shape[k] != 1)
    if summed:
        plan.append(("sum", summed))
    # indices only this operand had were summed away: the gradient is constant along them
    full = tuple(own[letter] for letter in unique)
    if any(own[letter] != 1 and grad_shape[k] == 1 for k, letter in enumerate(unique)):
        plan.append(("broadcast", full))
    if unique != target:  # a repeated index read a diagonal: write the gradient onto that diagonal
        renamed, deltas, fresh = [], [], iter(c for c in _LETTERS if c not in target + output)
        for position, letter in enumerate(target):
            if letter in target[:position]:
                twin = next(fresh)
                renamed.append(twin)
                deltas.append((letter + twin, own[letter]))
            else:
                renamed.append(letter)
        plan.append(("diagonal", _equation([unique] + [subs for subs, _ in deltas], "".join(renamed)),
                     tuple(n for _, n in deltas)))
    return plan


def _size_after_einsum(letter: str, output: str, inputs: Sequence[str], shapes: Sequence[tuple], i: int) -> int:
    """The size of `letter` in the first step's result: the output gradient's (broadcast over all
    operands) for an output index, else the largest among the other operands."""
    operands = range(len(inputs)) if letter in output else [j for j in range(len(inputs)) if j != i]
    return max((n for j in operands for subs_letter, n in zip(inputs[j], shapes[j]) if subs_letter == letter),
               default=1)


def _run_plan(plan: list[tuple], g: Tensor, operands: Sequence[Any], i: int) -> Tensor:
    """Carry out `gradient_plan` with differentiable tensor ops."""
    others = [x for j, x in enumerate(operands) if j != i]
    grad = g
    for step in plan:
        kind = step[0]
        if kind == "einsum":
            grad = _from_equation(step[1], grad, *others)
        elif kind == "reshape":
            grad = reshape(grad, step[1])
        elif kind == "sum":
            grad = reduce_sum(grad, axis=step[1], keepdims=True)
        elif kind == "broadcast":
            grad = broadcast_to(grad, step[1])
        else:
            grad = _from_equation(step[1], grad, *[np.eye(n) for n in step[2]])
    return grad


def _from_equation(equation: str, *operands: Any) -> Tensor:
    lhs, _, output = equation.partition("->")
    return einsum_explicit(lhs.split(","), output, *operands)


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
    if not isinstance(equation, str):
        raise TypeError(f"einsum: the equation must be a string such as 'ij,jk->ik', got {type(equation).__name__}")
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
