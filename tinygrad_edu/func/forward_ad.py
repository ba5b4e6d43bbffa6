"""Forward mode by dual numbers: a top-level `jvp` carries each tangent next to its value.

A DualTensor is a value (`primal`) and its tangent, the derivative along the jvp's direction. An
op on it reaches `Function.apply`, whose read of the dual's array raises; the op then runs here:
forward on the primals' arrays, and the output's tangent by the op's rule in `JVP_RULES` (five
families, most reusing the op's own backward), with no graph recorded at all. Anything else (an op
without a rule, code reading a dual's values, an inner transform) raises DualOperandError, and
jvp runs the double-vjp construction instead (transforms.py). The end of the file is
torch.autograd.forward_ad's API on the same dual numbers (`dual_level`, `make_dual`, `unpack_dual`).
"""

from __future__ import annotations

import threading
from typing import Any, Callable, NamedTuple

import numpy as np

from ..autograd import Size, Tensor
from ..autograd.dtypes import FLOAT64, fix_float64
from ..autograd.function import Node, TransformOperandError, _op_error
from ..autograd.mode import check_finite, state
from ..autograd.tensor import ElementCount
from ..methods import TENSOR_METHODS
from ..ops import compare
from ..ops.arithmetic import Abs, Add, Div, Mul, Neg, Pow, Remainder, Sub
from ..ops.conv import ConvProduct, Fold, MaxPool2d, Unfold
from ..ops.einsum import Einsum
from ..ops.elementwise import (Clip, Cos, Elu, Erf, Exp, LeakyRelu, Log, Log1p, Maximum, Minimum, Relu, Sigmoid,
                               SigmoidBackward, Sin, Softplus, Sqrt, Tanh, TanhBackward, Where)
from ..ops.indexing import GetItem, IndexAdd
from ..ops.linalg import MatMul
from ..ops.nn import BinaryCrossEntropy, CrossEntropy, Linear, LogSoftmax, Softmax
from ..ops.reduce import CumSum, LogSumExp, Max, Mean, Min, Norm2, Prod, Sum
from ..ops.shape import Cast, Cat, Clone, Expand, Flip, Pad, Permute, Reshape

_new_object = object.__new__


class DualOperandError(TransformOperandError):
    """A dual number was asked for its one array. Inside `Function.apply` the op then runs by its
    jvp rule; anywhere else (`.numpy()`, an op without a rule) jvp falls back to double vjp. The
    message is worked out only when shown (raised once per op on the fast path)."""

    def __str__(self) -> str:
        return self.args[0] if self.args else (
            "forward mode: a dual tensor's values were read as an array, which dual numbers cannot follow "
            "(.numpy(), float(), an in-place write, or an operation without a jvp rule: see "
            "tinygrad_edu.func.forward_ad.JVP_RULES); func.jvp runs the double-vjp construction instead")


class _ForwardMode(threading.local):
    """Whether a dual-number jvp is running in this thread, and how many have finished (tests read it)."""

    def __init__(self) -> None:
        self.active = False
        self.completed = 0


FORWARD = _ForwardMode()


class DualTensor(Tensor):
    """A value and its tangent seen as one tensor: shape and dtype are the primal's; `tangent` None
    stands for zeros."""

    __slots__ = ("primal", "tangent")

    @property
    def _data(self) -> np.ndarray:  # no one array: Function.apply runs the jvp rule, other readers fall back
        raise DualOperandError

    @property
    def data(self) -> Tensor:  # PyTorch's `.data` of a dual tensor: the values alone, no tangent
        return self.primal.data

    @property
    def shape(self) -> Size:
        return self.primal.shape

    @property
    def ndim(self) -> int:
        return self.primal.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.primal.dtype

    @property
    def size(self) -> ElementCount:  # NumPy's count, or PyTorch's x.size() / x.size(dim), as Tensor's
        return self.primal.size

    def numel(self) -> int:
        return self.size

    def dim(self) -> int:
        return self.ndim

    def __len__(self) -> int:
        return len(self.primal)

    def __repr__(self) -> str:
        return f"DualTensor(shape={tuple(self.shape)}, dtype={self.dtype})"

    def detach(self) -> Tensor:  # a constant: the value without its tangent (as PyTorch's forward AD)
        return self.primal.detach()


def _on_primals(function: Callable) -> Callable:
    """A Tensor method outside the graph (comparisons, rounding, argmax) on dual numbers: the
    method on their primals (its result is piecewise constant, a tangent of zero)."""

    def method(*args: Any, **kwargs: Any) -> Any:
        return function(*(primal_of(a) for a in args), **{k: primal_of(v) for k, v in kwargs.items()})

    method.__doc__ = function.__doc__
    return method


def _attach_outside_graph_methods() -> None:
    """Give DualTensor the Tensor methods of ops/compare.py, run on primals."""
    for name, function in TENSOR_METHODS.items():
        if getattr(function, "__module__", None) == compare.__name__:
            setattr(DualTensor, name, _on_primals(function))


_attach_outside_graph_methods()


def dual(primal: Tensor, tangent: Tensor | None) -> DualTensor:
    """A dual number; built without __init__ (one per op on the fast path), its graph fields empty."""
    result = _new_object(DualTensor)
    result.primal, result.tangent = primal, tangent
    result._requires_grad, result.grad_fn, result._grad, result._version = False, None, None, 0
    return result


def primal_of(x: Any) -> Any:
    return x.primal if type(x) is DualTensor else x


def tangent_of(x: Any) -> Tensor:
    """The tangent of a function's output: zeros for an output that does not depend on the inputs."""
    if type(x) is DualTensor and x.tangent is not None:
        return x.tangent
    if not isinstance(x, Tensor):
        raise TypeError(f"jvp: the function returned a {type(x).__name__} where a tensor was expected")
    return _zeros(x)


def _zeros(x: Tensor) -> Tensor:
    return Tensor._make(np.zeros(x.shape, dtype=x.dtype))


# ----------------------------------------------------------------------------------------------
# running one op on dual numbers


def run_dual(op: type, *args: Any, **kwargs: Any) -> Any:
    """`Op.apply` with a dual number among the inputs: the primal output, and its tangent by the
    op's rule, computed with no graph."""
    family = JVP_RULES.get(op)
    if family is None:
        raise DualOperandError(f"{op.__name__} has no jvp rule")
    if kwargs:
        for value in kwargs.values():
            if type(value) is DualTensor:
                raise DualOperandError(f"{op.__name__}: a dual number as a keyword argument")
    primals, tangents, arrays, needs = [], [], [], []  # one loop: each comprehension is a call
    for a in args:
        if type(a) is DualTensor:
            a, tangent = a.primal, a.tangent
        else:
            tangent = None
        primals.append(a)
        tangents.append(tangent)
        arrays.append(a._data if isinstance(a, Tensor) else a)
        needs.append(tangent is not None)
    if True not in needs:  # every tangent is zero: the op on the values alone
        return op.apply(*primals, **kwargs)
    needs = tuple(needs)
    out, ctx = _forward_with_ctx(op, primals, arrays, _NEEDS.setdefault(needs, needs), kwargs)
    enabled = state.grad_enabled
    state.grad_enabled = False  # tangents are plain tensors: no graph
    try:
        tangent = family(op, ctx, out, primals, tangents, kwargs)
    finally:
        state.grad_enabled = enabled
    return dual(out, tangent)


_NEEDS: dict[tuple, tuple] = {}  # one needs_input_grad tuple per pattern, shared (as Function.apply does)


def _forward_with_ctx(op: type, primals: list, arrays: list, needs: tuple, kwargs: dict) -> tuple[Tensor, Node]:
    """The op's forward on the primals' arrays, as `Function.apply` runs it, with a ctx that keeps
    what backward needs for the inputs that have tangents (the rules call backward)."""
    ctx = _new_object(Node)
    ctx.op, ctx.needs_input_grad, ctx._saved = op, needs, None
    try:
        raw = op.forward(ctx, *arrays, **kwargs)
    except (ValueError, IndexError, TypeError) as err:
        raise _op_error(op, err, arrays) from None
    out = raw if type(raw) is np.ndarray else np.asarray(raw)
    if out.dtype is FLOAT64 and not op.exact_dtype:
        first = arrays[0]
        if not (type(first) is np.ndarray and first.dtype is FLOAT64 and first.ndim):  # as in Function.apply
            out = fix_float64(out, arrays)
    if state.anomaly:
        check_finite(out, op.__name__, "forward output")
    ctx.shape, ctx.dtype = out.shape, out.dtype
    if ctx._saved is not None:
        ctx._resolve_saved(primals, out, raw)
    return Tensor._make(out), ctx


# ----------------------------------------------------------------------------------------------
# the five families of jvp rules: each gets the op's ctx, its primal output, primals and tangents


def _only(count: int, i: int) -> tuple:
    return tuple(j == i for j in range(count))


def _first(result: Any, i: int = 0) -> Any:
    return result[i] if type(result) is tuple else result


def elementwise_jvp(op: type, ctx: Node, out: Tensor, primals: list, tangents: list, kwargs: dict) -> Tensor:
    """J t = sum_i d out/d x_i * t_i: backward multiplies its gradient by exactly that local
    derivative, so it is backward of each tangent (broadcast to the output's shape)."""
    several = ctx.needs_input_grad.count(True) > 1
    shape = out._data.shape
    total = None
    for i, t in enumerate(tangents):
        if t is None:
            continue
        if several:
            ctx.needs_input_grad = _only(len(tangents), i)  # backward computes this input's part alone
        part = _first(op.backward(ctx, t if t._data.shape == shape else t.expand(*shape)), i)
        total = part if total is None else total + part
    return total


def reduction_jvp(op: type, ctx: Node, out: Tensor, primals: list, tangents: list, kwargs: dict) -> Tensor:
    """An output element depends on the input elements folded into it: J t sums d out/d x * t over
    them (backward of ones gives every d out/d x)."""
    local = _first(op.backward(ctx, Tensor._make(np.ones(out.shape, dtype=out.dtype)))) * tangents[0]
    if op is CrossEntropy:  # (N, C) folded into () or, without reduction, (N,)
        return local.sum(axis=tuple(range(out.ndim, local.ndim))).reshape(*out.shape)
    if op is MaxPool2d:  # windows kh x kw, stride = kernel; rows and columns past the last window dropped
        n, c = local.shape[:2]
        (kh, kw), (ho, wo) = ctx.kernel_size, out.shape[2:]
        return local[:, :, :ho * kh, :wo * kw].reshape(n, c, ho, kh, wo, kw).sum(axis=(3, 5))
    return Sum.apply(local, axis=kwargs.get("axis"), keepdims=kwargs.get("keepdims", False))


def linear_jvp(op: type, ctx: Node, out: Tensor, primals: list, tangents: list, kwargs: dict) -> Tensor:
    """A linear op's tangent is the op on the tangents (zeros for a tensor without one); padding
    adds a constant, whose tangent is zero."""
    if op is Pad:
        kwargs = {**kwargs, "value": 0.0}
    operands = [t if t is not None else _zeros(p) if isinstance(p, Tensor) else p for p, t in zip(primals, tangents)]
    return op.apply(*operands, **kwargs)


_BIAS_AT = {Linear: 2, ConvProduct: 2}  # position of the bias, which is added, not multiplied


def multilinear_jvp(op: type, ctx: Node, out: Tensor, primals: list, tangents: list, kwargs: dict) -> Tensor:
    """Product rule: the op with one factor replaced by its tangent, summed over factors; a bias's
    tangent is added as the op adds the bias (along the last axis, or each column for ConvProduct)."""
    bias_at = _BIAS_AT.get(op, len(primals))
    total = None
    for i, t in enumerate(tangents[:bias_at]):
        if t is None:
            continue
        operands = primals[:bias_at]
        operands[i] = t
        term = op.apply(*operands, *([None] if bias_at < len(primals) else []), **kwargs)
        total = term if total is None else total + term
    bias_tangent = tangents[bias_at] if bias_at < len(tangents) else None
    if bias_tangent is not None:
        bias_tangent = bias_tangent.reshape(-1, 1) if op is ConvProduct else bias_tangent
        total = bias_tangent.expand(*out.shape) if total is None else total + bias_tangent
    return total


def softmax_jvp(op: type, ctx: Node, out: Tensor, primals: list, tangents: list, kwargs: dict) -> Tensor:
    """softmax: s * (t - sum(s * t)); log_softmax: t - sum(softmax * t), along the op's axis."""
    t = tangents[0]
    if op is Softmax:
        return out * (t - (out * t).sum(axis=ctx.axis, keepdims=True))
    return t - (out.exp() * t).sum(axis=ctx.axis, keepdims=True)


JVP_RULES: dict[type, Callable] = {
    **{op: elementwise_jvp for op in (Add, Sub, Mul, Div, Pow, Remainder, Neg, Abs, Exp, Log, Log1p, Sqrt, Sin, Cos,
                                      Tanh, TanhBackward, Sigmoid, SigmoidBackward, Relu, LeakyRelu, Elu, Erf,
                                      Softplus, Clip, Maximum, Minimum, Where, BinaryCrossEntropy)},
    **{op: reduction_jvp for op in (Sum, Mean, Max, Min, Norm2, Prod, LogSumExp, CrossEntropy, MaxPool2d)},
    **{op: linear_jvp for op in (Reshape, Permute, Expand, Pad, Flip, Cat, Clone, Cast, GetItem, IndexAdd, CumSum,
                                 Unfold, Fold)},
    **{op: multilinear_jvp for op in (MatMul, Einsum, Linear, ConvProduct)},
    Softmax: softmax_jvp, LogSoftmax: softmax_jvp,
}


# ----------------------------------------------------------------------------------------------
# entering and leaving forward mode


class running_forward_mode:
    """While a dual-number jvp runs: inner transforms refuse to start (see `refuse_inside`)."""

    def __enter__(self) -> None:
        if FORWARD.active:
            raise DualOperandError("jvp inside a dual-number jvp")
        FORWARD.active = True

    def __exit__(self, *exc: Any) -> None:
        FORWARD.active = False
        if exc[0] is None:
            FORWARD.completed += 1


def refuse_inside(transform: str) -> None:
    """Called as a transform starts: inside a dual-number jvp it would see dual numbers as
    constants, so the jvp falls back to double vjp, under which transforms nest."""
    if FORWARD.active:
        raise DualOperandError(f"{transform} inside a dual-number jvp")


# ----------------------------------------------------------------------------------------------
# torch.autograd.forward_ad's API (attached as tinygrad_edu.autograd.forward_ad)


class UnpackedDualTensor(NamedTuple):
    primal: Tensor
    tangent: Tensor | None


class dual_level:
    """torch.autograd.forward_ad.dual_level: inside it, tensors made by `make_dual` carry their
    tangents through every op with a jvp rule (one level at a time, as in PyTorch; no graph is
    recorded for the results, unlike PyTorch)."""

    def __enter__(self) -> int:
        if FORWARD.active:
            raise RuntimeError("dual_level: forward mode is already running in this thread; nested dual levels "
                               "are not supported (as in PyTorch)")
        FORWARD.active = True
        return 0

    def __exit__(self, *exc: Any) -> None:
        FORWARD.active = False


def make_dual(tensor: Tensor, tangent: Tensor, *, level: int | None = None) -> DualTensor:
    """torch.autograd.forward_ad.make_dual: `tensor` with `tangent` attached, inside `dual_level`."""
    if not FORWARD.active:
        raise RuntimeError("make_dual: call it inside `with dual_level():`")
    if not isinstance(tensor, Tensor) or not isinstance(tangent, Tensor) or type(tensor) is not Tensor:
        raise TypeError(f"make_dual: expects two plain tensors, got {type(tensor).__name__} and "
                        f"{type(tangent).__name__}")
    if tuple(tensor.shape) != tuple(tangent.shape) or tensor.dtype.kind != "f":
        raise ValueError(f"make_dual: needs a float tensor and a tangent of its shape; got a tensor of shape "
                         f"{tuple(tensor.shape)} and dtype {tensor.dtype}, a tangent of shape {tuple(tangent.shape)}")
    if tensor.requires_grad or tangent.requires_grad:
        raise RuntimeError("make_dual: forward mode here records no graph, so tensors that require grad are not "
                           "supported; pass detached tensors (or use func.jvp, which differentiates through them)")
    return dual(tensor, tangent)


def unpack_dual(tensor: Any, *, level: int | None = None) -> UnpackedDualTensor:
    """torch.autograd.forward_ad.unpack_dual: `(primal, tangent)`, tangent None for a tensor
    without one."""
    if type(tensor) is DualTensor:
        return UnpackedDualTensor(tensor.primal, tensor.tangent)
    return UnpackedDualTensor(tensor, None)
