"""Arithmetic with broadcasting: + - * / ** %, negation and abs.

Backward formulas return gradients of the broadcast shape; the engine reduces them to each
input's shape in one place (`autograd.unbroadcast`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from .axes import array_of
from .elementwise import where


class Add(Function):
    @staticmethod
    def forward(ctx, x, y):
        return np.add(x, y)

    formula = "d(x + y)/dx = 1; d(x + y)/dy = 1"
    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Function):
    @staticmethod
    def forward(ctx, x, y):
        return np.subtract(x, y)

    formula = "d(x - y)/dx = 1; d(x - y)/dy = -1"
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

    formula = "d(x * y)/dx = y; d(x * y)/dy = x"
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

    formula = "d(x / y)/dx = 1 / y; d(x / y)/dy = -x / y**2"
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

    formula = "d x**y/dx = y * x**(y - 1); d x**y/dy = x**y * log(x)"
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
                singular = (y._data == 0) & (array_of(x) == 0)
                if np.any(singular):
                    gx = where(singular, 0.0, gx)
        if need_y:  # at x = 0 with y >= 0 the limit is 0, not 0 * log(0)
            x_data = array_of(x)
            log_x = x.log() if isinstance(x, Tensor) else np.log(x)
            gy = g * out * log_x
            at_zero = (x_data == 0) & (array_of(y) >= 0)
            if np.any(at_zero):
                gy = where(at_zero, 0.0, gy)
        return gx, gy


class Remainder(Function):
    """x - y * floor(x / y), the sign following the divisor (Python's %, PyTorch's remainder)."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(np.floor_divide(x, y))
        return np.remainder(x, y)

    formula = "d(x % y)/dx = 1; d(x % y)/dy = -floor(x / y)"
    @staticmethod
    def backward(ctx, g):
        (quotient,) = ctx.saved_tensors
        return g, (-(g * quotient) if ctx.needs_input_grad[1] else None)


class Neg(Function):
    @staticmethod
    def forward(ctx, x):
        return np.negative(x)

    formula = "d(-x)/dx = -1"
    @staticmethod
    def backward(ctx, g):
        return -g


class Abs(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    formula = "d |x|/dx = sign(x)"
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * np.sign(x._data)


def add(x: Any, y: Any) -> Tensor:
    """x + y with broadcasting."""
    return Add.apply(x, y)


def radd(x: Any, y: Any) -> Tensor:
    """y + x (the reflected operator)."""
    return Add.apply(y, x)


def sub(x: Any, y: Any) -> Tensor:
    return Sub.apply(x, y)


def rsub(x: Any, y: Any) -> Tensor:
    return Sub.apply(y, x)


def mul(x: Any, y: Any) -> Tensor:
    return Mul.apply(x, y)


def rmul(x: Any, y: Any) -> Tensor:
    return Mul.apply(y, x)


def div(x: Any, y: Any) -> Tensor:
    """x / y (true division: integers give floats)."""
    return Div.apply(x, y)


def rdiv(x: Any, y: Any) -> Tensor:
    return Div.apply(y, x)


def pow(x: Any, y: Any) -> Tensor:  # noqa: A001 (PyTorch's name)
    """x ** y, differentiable in both."""
    return Pow.apply(x, y)


def rpow(x: Any, y: Any) -> Tensor:
    return Pow.apply(y, x)


def remainder(x: Any, y: Any) -> Tensor:
    """x % y, the sign following the divisor."""
    return Remainder.apply(x, y)


def rremainder(x: Any, y: Any) -> Tensor:
    return Remainder.apply(y, x)


def neg(x: Tensor) -> Tensor:
    return Neg.apply(x)


def positive(x: Tensor) -> Tensor:
    """+x: the tensor itself."""
    return x


def abs(x: Tensor) -> Tensor:  # noqa: A001 (PyTorch's name)
    return Abs.apply(x)
