"""Hypothesis strategies and assertions for gradient-check test suites of your own ops and models.

    from hypothesis import given
    from tinygrad_edu import testing

    @given(testing.tensors(shape=(3, 4), low=0.1, high=2.0))
    def test_my_op(x):
        testing.assert_grads_close(my_op, [x], second_order=True)

Needs the `hypothesis` package (installed with the `dev` extra).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from .gradcheck import gradcheck, gradgradcheck
from .opinfo import GRID, MARGIN, OpInfo, Shapes, push_away
from .autograd.tensor import Tensor


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4) -> st.SearchStrategy:
    """Array shapes (small by default, so a full Jacobian stays cheap)."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def broadcastable_shapes(num_shapes: int = 2, min_dims: int = 0, max_dims: int = 3,
                         max_side: int = 4) -> st.SearchStrategy:
    """Tuples of `num_shapes` shapes that broadcast together (size-1 and missing axes included)."""
    return hnp.mutually_broadcastable_shapes(num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims,
                                             max_side=max_side).map(lambda bs: bs.input_shapes)


def floats(low: float = -2.0, high: float = 2.0, avoid: Sequence[float] = (), margin: float = MARGIN) -> st.SearchStrategy:
    """Finite floats in [low, high] kept `margin` away from each point of `avoid` (kinks, poles)."""
    base = st.floats(low, high, allow_nan=False, allow_infinity=False)
    if not avoid:
        return base
    return base.map(lambda v: float(push_away(np.array([v]), avoid, margin)[0]))


def distinct_floats(low: float = -2.0, high: float = 2.0, offset: float = 0.011) -> st.SearchStrategy:
    """Floats on a grid of spacing 0.05 (plus `offset`): drawn with unique=True they never tie."""
    return st.integers(int(np.ceil(low / GRID)), int(np.floor(high / GRID))).map(lambda k: k * GRID + offset)


def tensors(shape: Any = None, dtype: Any = np.float64, elements: st.SearchStrategy | None = None,
            low: float = -2.0, high: float = 2.0, avoid: Sequence[float] = (), distinct: bool = False,
            offset: float = 0.011, requires_grad: bool = True) -> st.SearchStrategy:
    """Tensors of a given shape (or a shape strategy; default: small drawn shapes) whose values stay
    in [low, high], away from `avoid`, and all different when `distinct` (no ties for max-like ops)."""
    shape = shapes() if shape is None else shape
    if elements is None:
        elements = distinct_floats(low, high, offset) if distinct else floats(low, high, avoid)
    arrays = hnp.arrays(np.dtype(dtype), shape, elements=elements, unique=distinct)
    return arrays.map(lambda a: Tensor(a, requires_grad=requires_grad))


@st.composite
def broadcastable_tensors(draw: Callable, num: int = 2, dtype: Any = np.float64, low: float = -2.0,
                          high: float = 2.0, avoid: Sequence[float] = (), max_dims: int = 3,
                          requires_grad: bool = True) -> tuple[Tensor, ...]:
    """`num` tensors whose shapes broadcast together (for checking binary ops and their
    gradient reduction), with values in [low, high] away from `avoid`."""
    shapes_drawn = draw(broadcastable_shapes(num, max_dims=max_dims))
    return tuple(draw(tensors(shape, dtype=dtype, low=low, high=high, avoid=avoid, requires_grad=requires_grad))
                 for shape in shapes_drawn)


@st.composite
def op_inputs(draw: Callable, info: OpInfo) -> tuple[list[Tensor], dict]:
    """Inputs and keyword arguments for one registry entry: fixed cases or drawn (broadcastable) shapes."""
    if info.cases:
        case_shapes, kwargs = draw(st.sampled_from(list(info.cases)))
    else:
        kwargs = draw(st.sampled_from(list(info.kwargs)))
        if info.arity == 1:
            case_shapes: Shapes = (draw(shapes(min_dims=info.min_dims)),)
        else:
            case_shapes = draw(broadcastable_shapes(info.arity, min_dims=info.min_dims))
    inputs = []
    for i, shape in enumerate(case_shapes):
        low, high = info.domain(i)
        inputs.append(draw(tensors(shape, low=low, high=high, avoid=info.avoid, distinct=info.distinct,
                                   offset=0.011 * (i + 1))))
    return inputs, kwargs


def assert_grads_close(fn: Callable[..., Any], inputs: Sequence[Any], atol: float = 1e-5, rtol: float = 1e-3,
                       eps: float = 1e-6, second_order: bool = False) -> None:
    """Assert that `fn`'s gradients (and, with `second_order`, its second derivatives) match central
    differences; failures raise `GradcheckError` (an AssertionError) with a table of the worst entries."""
    gradcheck(fn, list(inputs), eps=eps, atol=atol, rtol=rtol)
    if second_order:
        gradgradcheck(fn, list(inputs), eps=eps, atol=atol, rtol=rtol)
