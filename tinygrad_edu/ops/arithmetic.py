"""Arithmetic with broadcasting: + - * / ** @, negation and abs.

Backward formulas return gradients of the broadcast shape; the engine reduces them to each
input's shape in one place (`autograd.unbroadcast`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Function, Tensor
from .elementwise import where


class Add(Function):
    @staticmethod
    def forward(ctx, x, y):
        return np.add(x, y)

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Function):
    @staticmethod
    def forward(ctx, x, y):
        return np.subtract(x, y)

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.needs_input_grad[1] else None)


class Mul(Function):
    @staticmethod
    def forward(ctx, x, y):
        need = ctx.needs_input_grad
        if need:  # keep only what backward uses: x * 2.0 needs 2.0, not x
            ctx.save_for_backward(x if need[1] else None, y if need[0] else None)
        return np.multiply(x, y)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gx, gy = ctx.needs_input_grad
        return (g * y if gx else None), (g * x if gy else None)


class Div(Function):
    @staticmethod
    def forward(ctx, x, y):
        if ctx.needs_input_grad:
            ctx.save_for_backward(x if ctx.needs_input_grad[1] else None, y)
        return np.divide(x, y)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gx, gy = ctx.needs_input_grad
        return (g / y if gx else None), (-(g * x) / (y * y) if gy else None)


class Pow(Function):
    @staticmethod
    def forward(ctx, x, y):
        out = np.power(x, y)
        ctx.save_for_backward(x, y, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, y, out = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        gx = gy = None
        if need_x:  # d/dx x^0 is 0 everywhere, also at x = 0 where the formula gives 0 * inf
            if not isinstance(y, Tensor):
                gx = g * 0.0 if y == 0 else g * y * x ** (y - 1)
            else:
                gx = g * y * x ** (y - 1)
                singular = (y.data == 0) & (np.asarray(x.data if isinstance(x, Tensor) else x) == 0)
                if np.any(singular):
                    gx = where(singular, 0.0, gx)
        if need_y:  # at x = 0 with y >= 0 the limit is 0, not 0 * log(0)
            x_data = x.data if isinstance(x, Tensor) else np.asarray(x)
            log_x = x.log() if isinstance(x, Tensor) else np.log(x)
            gy = g * out * log_x
            at_zero = (x_data == 0) & (np.asarray(y.data if isinstance(y, Tensor) else y) >= 0)
            if np.any(at_zero):
                gy = where(at_zero, 0.0, gy)
        return gx, gy


class Remainder(Function):
    """x - y * floor(x / y), the sign following the divisor (Python's %, PyTorch's remainder)."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(np.floor_divide(x, y))
        return np.remainder(x, y)

    @staticmethod
    def backward(ctx, g):
        (quotient,) = ctx.saved_tensors
        return g, (-(g * quotient) if ctx.needs_input_grad[1] else None)


def floor_divide(x: Any, y: Any) -> Tensor:
    """x // y rounded towards minus infinity; piecewise constant, so outside the graph."""
    a = x.data if isinstance(x, Tensor) else x
    b = y.data if isinstance(y, Tensor) else y
    try:
        return Tensor._make(np.asarray(np.floor_divide(a, b)))
    except ValueError as err:
        raise ValueError(f"floor_divide: shapes {np.shape(a)} and {np.shape(b)} do not broadcast: {err}") from None


class Neg(Function):
    @staticmethod
    def forward(ctx, x):
        return np.negative(x)

    @staticmethod
    def backward(ctx, g):
        return -g


class Abs(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * np.sign(x.data)


class MatMul(Function):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return np.matmul(x, y)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        # 1-D operands are promoted to matrices as in np.matmul; the results are squeezed back.
        x2 = x.reshape(1, -1) if x.ndim == 1 else x
        y2 = y.reshape(-1, 1) if y.ndim == 1 else y
        if x.ndim == 1 and y.ndim == 1:
            g2 = g.reshape(1, 1)
        else:
            g2 = g.unsqueeze(-2) if x.ndim == 1 else g
            g2 = g2.unsqueeze(-1) if y.ndim == 1 else g2
        gx = gy = None
        if need_x:
            gx = g2 @ y2.swapaxes(-1, -2)
            if x.ndim == 1:
                gx = gx.squeeze(-2)
        if need_y:
            gy = x2.swapaxes(-1, -2) @ g2
            if y.ndim == 1:
                gy = gy.squeeze(-1)
        return gx, gy


def _shape_of(x: Any) -> tuple:
    return x.shape if isinstance(x, Tensor) else np.shape(x)


def matmul(x: Any, y: Any) -> Tensor:
    """Matrix product with NumPy's rules: 1-D vectors, 2-D matrices, broadcast batches."""
    xs, ys = _shape_of(x), _shape_of(y)
    if len(xs) == 0 or len(ys) == 0:
        raise ValueError(f"matmul: both operands need at least one dimension, got shapes {xs} and {ys}")
    if xs[-1] != ys[-2 if len(ys) > 1 else -1]:
        raise ValueError(
            f"matmul: shapes {xs} and {ys} do not match: the last dim of the first ({xs[-1]}) must equal "
            f"the {'second-to-last' if len(ys) > 1 else 'only'} dim of the second "
            f"({ys[-2 if len(ys) > 1 else -1]})"
        )
    return MatMul.apply(x, y)


def dot(x: Any, y: Any) -> Tensor:
    """Inner product of two 1-D tensors (matrix product for 2-D, as np.dot)."""
    if len(_shape_of(x)) > 2 or len(_shape_of(y)) > 2:
        raise ValueError(f"dot: expects 1-D or 2-D tensors, got shapes {_shape_of(x)} and {_shape_of(y)}; use matmul")
    return matmul(x, y)
