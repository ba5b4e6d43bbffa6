"""Elementwise functions, activations, clip, maximum/minimum and where."""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from ..tensor import Function, Tensor

_erf_per_element = np.frompyfunc(math.erf, 1, 1)


@functools.cache
def _vectorised_erf() -> Any:
    """SciPy's erf when SciPy is installed (about 7x faster than math.erf per element), else None."""
    try:
        from scipy.special import erf
    except ImportError:
        return None
    return erf


def _erf(x: np.ndarray) -> np.ndarray:
    """erf elementwise, accurate to a few units in the last place either way."""
    erf = _vectorised_erf()
    return np.asarray(_erf_per_element(x) if erf is None else erf(x), dtype=x.dtype)


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        out = np.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out


class Log(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / x


class Log1p(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log1p(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (x + 1)


class Sqrt(Function):
    @staticmethod
    def forward(ctx, x):
        out = np.sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g / (out * 2)


class Sin(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x.cos()


class Cos(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return -(g * x.sin())


class Tanh(Function):
    @staticmethod
    def forward(ctx, x):
        out = np.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return TanhBackward.apply(g, out)


class TanhBackward(Function):
    """g * (1 - tanh^2) in one op (one Python dispatch per backward), itself differentiable."""

    @staticmethod
    def forward(ctx, g, out):
        ctx.save_for_backward(g, out)
        return g - g * out * out  # g * (1 - out^2) without a Python-scalar operand (slow on small arrays)

    @staticmethod
    def backward(ctx, gg):
        g, out = ctx.saved_tensors
        need_g, need_out = ctx.needs_input_grad
        return (gg * (1 - out * out) if need_g else None), (gg * g * out * -2.0 if need_out else None)


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, x):
        # e^-|x| never overflows, and for x < 0 the form e^x / (1 + e^x) keeps tiny values exact
        # (1 - tanh-based formulas round sigmoid(-20) to 0 in float32)
        small = np.exp(-np.abs(x))
        out = np.where(x >= 0, 1.0, small) / (1.0 + small)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return SigmoidBackward.apply(g, out)


class SigmoidBackward(Function):
    """g * s * (1 - s) in one op, itself differentiable."""

    @staticmethod
    def forward(ctx, g, out):
        ctx.save_for_backward(g, out)
        return g * (out - out * out)  # g * s * (1 - s) without a Python-scalar operand

    @staticmethod
    def backward(ctx, gg):
        g, out = ctx.saved_tensors
        need_g, need_out = ctx.needs_input_grad
        return (gg * out * (1 - out) if need_g else None), (gg * g * (1 - out * 2.0) if need_out else None)


class Relu(Function):
    @staticmethod
    def forward(ctx, x):
        mask = x > 0
        ctx.save_for_backward(mask)
        return np.maximum(x, 0)

    @staticmethod
    def backward(ctx, g):
        (mask,) = ctx.saved_tensors
        return g * mask


class LeakyRelu(Function):
    @staticmethod
    def forward(ctx, x, negative_slope=0.01):
        slope = np.where(x > 0, 1, negative_slope).astype(x.dtype)
        ctx.save_for_backward(slope)
        return x * slope

    @staticmethod
    def backward(ctx, g):
        (slope,) = ctx.saved_tensors
        return g * slope


class Elu(Function):
    @staticmethod
    def forward(ctx, x, alpha=1.0):
        out = np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))
        ctx.alpha = alpha
        ctx.save_for_backward(x > 0, out)
        return out

    @staticmethod
    def backward(ctx, g):
        positive, out = ctx.saved_tensors
        return where(positive, g, g * (out + ctx.alpha))


class Erf(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _erf(np.asarray(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (2 / math.sqrt(math.pi)) * (-(x * x)).exp()


class Softplus(Function):
    @staticmethod
    def forward(ctx, x, beta=1.0, threshold=20.0):
        scaled = x * beta
        linear = scaled > threshold
        ctx.beta = beta
        ctx.save_for_backward(x, linear)
        return np.where(linear, x, np.logaddexp(0, scaled) / beta).astype(x.dtype)

    @staticmethod
    def backward(ctx, g):
        x, linear = ctx.saved_tensors
        return where(linear, g, g * (x * ctx.beta).sigmoid())


class Clip(Function):
    @staticmethod
    def forward(ctx, x, low=None, high=None):
        inside = np.ones(x.shape, dtype=bool)
        if low is not None:
            inside &= x >= low
        if high is not None:
            inside &= x <= high
        ctx.save_for_backward(inside)
        return np.clip(x, low, high)

    @staticmethod
    def backward(ctx, g):
        (inside,) = ctx.saved_tensors
        return g * inside


class Maximum(Function):
    @staticmethod
    def forward(ctx, x, y):
        # ties send half of the gradient to each side, as PyTorch does
        share = (np.greater(x, y) + 0.5 * np.equal(x, y)).astype(np.result_type(x, y))
        ctx.save_for_backward(share)
        return np.maximum(x, y)

    @staticmethod
    def backward(ctx, g):
        (share,) = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        return (g * share if need_x else None), (g * (1 - share) if need_y else None)


class Minimum(Function):
    @staticmethod
    def forward(ctx, x, y):
        share = (np.less(x, y) + 0.5 * np.equal(x, y)).astype(np.result_type(x, y))
        ctx.save_for_backward(share)
        return np.minimum(x, y)

    @staticmethod
    def backward(ctx, g):
        (share,) = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        return (g * share if need_x else None), (g * (1 - share) if need_y else None)


class Where(Function):
    @staticmethod
    def forward(ctx, condition, x, y):
        ctx.save_for_backward(condition)
        return np.where(condition, x, y)

    @staticmethod
    def backward(ctx, g):
        (condition,) = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad[1:]
        cond = condition.data if isinstance(condition, Tensor) else condition
        return None, (g * cond if need_x else None), (g * np.logical_not(cond) if need_y else None)


def where(condition: Any, x: Any, y: Any) -> Tensor:
    """Elements of `x` where `condition` holds, else of `y` (gradients flow to both)."""
    cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        cond = cond != 0
    return Where.apply(cond, x, y)


def clip(x: Tensor, low: Any = None, high: Any = None) -> Tensor:
    """Limit values to [low, high]; tensor bounds are differentiable through maximum/minimum."""
    if low is None and high is None:
        raise ValueError("clip: give at least one of min and max")
    if isinstance(low, Tensor) or isinstance(high, Tensor):
        out = x if low is None else Maximum.apply(x, low)
        return out if high is None else Minimum.apply(out, high)
    return Clip.apply(x, low=low, high=high)


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit x * Phi(x); `approximate="tanh"` uses the tanh formula."""
    if approximate == "tanh":
        inner = (x + x * x * x * 0.044715) * math.sqrt(2 / math.pi)
        return x * 0.5 * (inner.tanh() + 1)
    if approximate != "none":
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return x * 0.5 * (Erf.apply(x * (1 / math.sqrt(2))) + 1)


def compare(ufunc: np.ufunc, name: str, x: Any, y: Any) -> Tensor:
    """Comparison or logical op: a bool tensor outside the graph."""
    a = x.data if isinstance(x, Tensor) else x
    b = y.data if isinstance(y, Tensor) else y
    try:
        return Tensor._make(np.asarray(ufunc(a, b)))
    except ValueError as err:
        raise ValueError(f"{name}: shapes {np.shape(a)} and {np.shape(b)} do not broadcast: {err}") from None

