"""Elementwise functions and activations, clip, maximum/minimum and where: each op, then the
functions (and Tensor methods) built on it."""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from .axes import array_of

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

    formula = "d exp(x)/dx = exp(x)"
    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out


class Log(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(x)

    formula = "d log(x)/dx = 1 / x"
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / x


class Log1p(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log1p(x)

    formula = "d log(1 + x)/dx = 1 / (1 + x)"
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

    formula = "d sqrt(x)/dx = 1 / (2 * sqrt(x))"
    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g / (out * 2)


class Sin(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    formula = "d sin(x)/dx = cos(x)"
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x.cos()


class Cos(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cos(x)

    formula = "d cos(x)/dx = -sin(x)"
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

    formula = "d tanh(x)/dx = 1 - tanh(x)**2"
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

    formula = "d(g * (1 - t**2))/dg = 1 - t**2; d(g * (1 - t**2))/dt = -2 * g * t"
    @staticmethod
    def backward(ctx, gg):
        g, out = ctx.saved_tensors
        need_g, need_out = ctx.needs_input_grad
        # linear in g: its derivative in g, applied to gg, is the op itself on (gg, out)
        return (TanhBackward.apply(gg, out) if need_g else None), (gg * g * out * -2.0 if need_out else None)


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, x):
        # e^-|x| never overflows, and for x < 0 the form e^x / (1 + e^x) keeps tiny values exact
        # (1 - tanh-based formulas round sigmoid(-20) to 0 in float32)
        small = np.exp(-np.abs(x))
        out = np.where(x >= 0, 1.0, small) / (1.0 + small)
        ctx.save_for_backward(out)
        return out

    formula = "d sigmoid(x)/dx = sigmoid(x) * (1 - sigmoid(x))"
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

    formula = "d(g * s * (1 - s))/dg = s * (1 - s); d(g * s * (1 - s))/ds = g * (1 - 2 * s)"
    @staticmethod
    def backward(ctx, gg):
        g, out = ctx.saved_tensors
        need_g, need_out = ctx.needs_input_grad
        # linear in g: its derivative in g, applied to gg, is the op itself on (gg, out)
        return (SigmoidBackward.apply(gg, out) if need_g else None), (gg * g * (1 - out * 2.0) if need_out else None)


class Relu(Function):
    @staticmethod
    def forward(ctx, x):
        mask = x > 0
        ctx.save_for_backward(mask)
        return np.maximum(x, 0)

    formula = "d relu(x)/dx = 1 if x > 0 else 0"
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

    formula = "d leaky_relu(x)/dx = 1 if x > 0 else negative_slope"
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

    formula = "d elu(x)/dx = 1 if x > 0 else elu(x) + alpha"
    @staticmethod
    def backward(ctx, g):
        positive, out = ctx.saved_tensors
        return where(positive, g, g * (out + ctx.alpha))


class Erf(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _erf(np.asarray(x))

    formula = "d erf(x)/dx = 2 / sqrt(pi) * exp(-x**2)"
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

    formula = "d softplus(x)/dx = sigmoid(beta * x) (1 where beta * x > threshold)"
    @staticmethod
    def backward(ctx, g):
        x, linear = ctx.saved_tensors
        return where(linear, g, g * (x * ctx.beta).sigmoid())


class Clip(Function):
    """Values limited to [low, high] (constant bounds); the gradient passes where x is inside."""

    @staticmethod
    def forward(ctx, x, low=None, high=None):
        inside = np.ones(x.shape, dtype=bool)
        if low is not None:
            inside &= x >= low
        if high is not None:
            inside &= x <= high
        ctx.save_for_backward(inside)
        return np.clip(x, low, high)

    formula = "d clip(x, low, high)/dx = 1 if low <= x <= high else 0"
    @staticmethod
    def backward(ctx, g):
        (inside,) = ctx.saved_tensors
        return g * inside


def _save_share(ctx, wins: np.ufunc, x: np.ndarray, y: np.ndarray) -> None:
    """Save the share of the gradient x gets: 1 where `wins(x, y)`, 1/2 at ties (as PyTorch)."""
    ctx.save_for_backward((wins(x, y) + 0.5 * np.equal(x, y)).astype(np.result_type(x, y)))


def _split_by_share(ctx, g: Tensor) -> tuple:
    (share,) = ctx.saved_tensors
    need_x, need_y = ctx.needs_input_grad
    return (g * share if need_x else None), (g * (1 - share) if need_y else None)


class Maximum(Function):
    @staticmethod
    def forward(ctx, x, y):
        _save_share(ctx, np.greater, x, y)
        return np.maximum(x, y)

    formula = "d max(x, y)/dx = 1 if x > y else 0 (1/2 at ties); d max(x, y)/dy = 1 if y > x else 0 (1/2 at ties)"
    @staticmethod
    def backward(ctx, g):
        return _split_by_share(ctx, g)


class Minimum(Function):
    @staticmethod
    def forward(ctx, x, y):
        _save_share(ctx, np.less, x, y)
        return np.minimum(x, y)

    formula = "d min(x, y)/dx = 1 if x < y else 0 (1/2 at ties); d min(x, y)/dy = 1 if y < x else 0 (1/2 at ties)"
    @staticmethod
    def backward(ctx, g):
        return _split_by_share(ctx, g)


class Where(Function):
    @staticmethod
    def forward(ctx, condition, x, y):
        condition = np.asarray(condition, dtype=bool)  # nonzero counts as true
        ctx.save_for_backward(condition)
        return np.where(condition, x, y)

    formula = "d where(c, x, y)/dc = none (a condition); d where(c, x, y)/dx = c; d where(c, x, y)/dy = not c"
    @staticmethod
    def backward(ctx, g):
        (condition,) = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad[1:]
        cond = condition._data if isinstance(condition, Tensor) else condition
        return None, (g * cond if need_x else None), (g * np.logical_not(cond) if need_y else None)


def where(condition: Any, x: Any = None, y: Any = None) -> Tensor | tuple:
    """Elements of `x` where `condition` holds, else of `y` (gradients flow to both). With the
    condition alone, the indices where it holds (as `nonzero(as_tuple=True)`)."""
    if x is None and y is None:
        cond = array_of(condition)
        return tuple(Tensor._make(i) for i in np.nonzero(cond))
    return Where.apply(condition, x, y)  # a tensor condition as it is: under vmap it may be batched


def clip(x: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002 (PyTorch's names)
    """Limit values to [min, max]. Tensor bounds are differentiable: each bound gets the gradient
    where it is the result, the input everywhere else (ties included), as in PyTorch."""
    if min is None and max is None:
        raise ValueError("clip: give at least one of min and max")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = x if min is None else where(x < min, min, x)
        return out if max is None else where(out > max, max, out)
    return Clip.apply(x, low=min, high=max)


clamp = clip


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit x * Phi(x); `approximate="tanh"` uses the tanh formula."""
    if approximate == "tanh":
        inner = (x + x * x * x * 0.044715) * math.sqrt(2 / math.pi)
        return x * 0.5 * (inner.tanh() + 1)
    if approximate != "none":
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return x * 0.5 * (Erf.apply(x * (1 / math.sqrt(2))) + 1)


def masked_fill(x: Tensor, mask: Any, value: Any) -> Tensor:
    """`value` where `mask` is true, `x` elsewhere (the gradient flows to the rest)."""
    return where(mask, value, x)


def nan_to_num(x: Tensor, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Tensor:
    """NaN and infinities replaced (by default with 0 and the dtype's largest finite values); the
    gradient flows only where the entry was finite."""
    values = x.detach()._data  # which entries are replaced depends on the values alone (a dual number's too)
    return where(np.isfinite(values), x, np.nan_to_num(values, nan=nan, posinf=posinf, neginf=neginf))


def maximum(x: Any, y: Any) -> Tensor:
    """Elementwise larger value; ties share the gradient."""
    return Maximum.apply(x, y)


def minimum(x: Any, y: Any) -> Tensor:
    """Elementwise smaller value; ties share the gradient."""
    return Minimum.apply(x, y)


def exp(x: Tensor) -> Tensor:
    """e ** x."""
    return Exp.apply(x)


def log(x: Tensor) -> Tensor:
    """Natural logarithm."""
    return Log.apply(x)


def log1p(x: Tensor) -> Tensor:
    """log(1 + x), accurate for small x."""
    return Log1p.apply(x)


def sqrt(x: Tensor) -> Tensor:
    return Sqrt.apply(x)


def rsqrt(x: Tensor) -> Tensor:
    """1 / sqrt(x)."""
    return 1.0 / Sqrt.apply(x)


def sin(x: Tensor) -> Tensor:
    return Sin.apply(x)


def cos(x: Tensor) -> Tensor:
    return Cos.apply(x)


def tanh(x: Tensor) -> Tensor:
    return Tanh.apply(x)


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + e ** -x), computed without overflow."""
    return Sigmoid.apply(x)


def relu(x: Tensor) -> Tensor:
    """max(x, 0)."""
    return Relu.apply(x)


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    return LeakyRelu.apply(x, negative_slope=negative_slope)


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    return Elu.apply(x, alpha=alpha)


def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e ** (beta x)) / beta, linear above `threshold`."""
    return Softplus.apply(x, beta=beta, threshold=threshold)


def erf(x: Tensor) -> Tensor:
    """The Gauss error function."""
    return Erf.apply(x)


def square(x: Tensor) -> Tensor:
    return x * x


def reciprocal(x: Tensor) -> Tensor:
    """1 / x."""
    return 1.0 / x


def lerp(x: Tensor, end: Any, weight: Any) -> Tensor:
    """x + weight * (end - x)."""
    return x + (end - x) * weight


def choose(x: Tensor, condition: Any, other: Any) -> Tensor:
    """PyTorch's method form `x.where(condition, other)`: x where `condition` holds, else `other`."""
    return where(condition, x, other)


def _triangle(x: Tensor, keep: Any, diagonal: int, op: str) -> Tensor:
    if x.ndim < 2:
        raise ValueError(f"{op}: expects a tensor with at least 2 dimensions, got shape {x.shape}")
    return where(keep(np.ones(x.shape[-2:], dtype=bool), diagonal), x, 0.0)


def tril(x: Tensor, diagonal: int = 0) -> Tensor:
    """Zero above the `diagonal`-th diagonal of the last two axes."""
    return _triangle(x, np.tril, diagonal, "tril")


def triu(x: Tensor, diagonal: int = 0) -> Tensor:
    """Zero below the `diagonal`-th diagonal of the last two axes."""
    return _triangle(x, np.triu, diagonal, "triu")


def sinh(x: Tensor) -> Tensor:
    """(e ** x - e ** -x) / 2."""
    return (Exp.apply(x) - Exp.apply(-x)) * 0.5


def cosh(x: Tensor) -> Tensor:
    """(e ** x + e ** -x) / 2."""
    return (Exp.apply(x) + Exp.apply(-x)) * 0.5


def expm1(x: Tensor) -> Tensor:
    """e ** x - 1."""
    return Exp.apply(x) - 1.0


def log2(x: Tensor) -> Tensor:
    return Log.apply(x) * (1 / math.log(2))


def log10(x: Tensor) -> Tensor:
    return Log.apply(x) * (1 / math.log(10))
