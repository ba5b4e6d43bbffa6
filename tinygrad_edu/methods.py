"""What a Tensor can do: its methods and operators, attached here from above the ops.

The core `Tensor` (autograd/tensor.py) holds data, grad and graph links only. This table is the
table of contents of everything else: each method is a function of `ops/` (or of creation and
backprop), whose first argument is the tensor. Reading an entry tells you where its forward and
backward live.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np

from .autograd import backprop
from .autograd.tensor import Tensor
from . import creation, device
from .ops import arithmetic, compare, elementwise, indexing, inplace, linalg, nn, reduce, shape

# NumPy ufuncs called with a tensor among their operands (`array * x`, `array += x`): the binary
# ones below record the Tensor op (the graph sees `array * x` as it sees `x * array`); any other
# call, and any call writing into an `out=` array, computes on the arrays (outside the graph), so
# that `array += -lr * p.grad` updates the array in place instead of rebinding it to a tensor.
NUMPY_UFUNCS = {
    np.add: arithmetic.add, np.subtract: arithmetic.sub, np.multiply: arithmetic.mul, np.true_divide: arithmetic.div,
    np.power: arithmetic.pow, np.matmul: linalg.matmul, np.remainder: arithmetic.remainder,
    np.equal: compare.eq, np.not_equal: compare.ne, np.less: compare.lt, np.less_equal: compare.le,
    np.greater: compare.gt, np.greater_equal: compare.ge,
}


def array_ufunc(x: Tensor, ufunc: np.ufunc, method: str, *inputs: object, **kwargs: object) -> object:
    """`Tensor.__array_ufunc__`: how NumPy treats a tensor operand (see NUMPY_UFUNCS)."""
    if method == "__call__" and not kwargs and len(inputs) == 2 and ufunc in NUMPY_UFUNCS:
        return NUMPY_UFUNCS[ufunc](*inputs)
    arrays = [i._data if isinstance(i, Tensor) else i for i in inputs]
    if "out" in kwargs:
        kwargs["out"] = tuple(o._data if isinstance(o, Tensor) else o for o in kwargs["out"])
    return getattr(ufunc, method)(*arrays, **kwargs)


TENSOR_METHODS = {
    # arithmetic (ops/arithmetic.py, ops/linalg.py); reflected forms take the tensor second
    "__add__": arithmetic.add, "__radd__": arithmetic.radd, "add": arithmetic.add,
    "__sub__": arithmetic.sub, "__rsub__": arithmetic.rsub, "sub": arithmetic.sub,
    "__mul__": arithmetic.mul, "__rmul__": arithmetic.rmul, "mul": arithmetic.mul,
    "__truediv__": arithmetic.div, "__rtruediv__": arithmetic.rdiv, "div": arithmetic.div,
    "__pow__": arithmetic.pow, "__rpow__": arithmetic.rpow, "pow": arithmetic.pow,
    "__mod__": arithmetic.remainder, "__rmod__": arithmetic.rremainder,
    "__neg__": arithmetic.neg, "neg": arithmetic.neg, "__pos__": arithmetic.positive,
    "__abs__": arithmetic.abs, "abs": arithmetic.abs,
    "__matmul__": linalg.matmul, "__rmatmul__": linalg.rmatmul, "matmul": linalg.matmul, "dot": linalg.dot,
    "mm": linalg.mm, "bmm": linalg.bmm, "mv": linalg.mv, "outer": linalg.outer,
    "diag": linalg.diag, "trace": linalg.trace,
    # elementwise functions and activations (ops/elementwise.py)
    "exp": elementwise.exp, "log": elementwise.log, "log1p": elementwise.log1p, "sqrt": elementwise.sqrt,
    "rsqrt": elementwise.rsqrt, "sin": elementwise.sin, "cos": elementwise.cos, "tanh": elementwise.tanh,
    "sigmoid": elementwise.sigmoid, "relu": elementwise.relu, "leaky_relu": elementwise.leaky_relu,
    "elu": elementwise.elu, "gelu": elementwise.gelu, "softplus": elementwise.softplus, "erf": elementwise.erf,
    "square": elementwise.square, "reciprocal": elementwise.reciprocal, "lerp": elementwise.lerp,
    "clip": elementwise.clip, "clamp": elementwise.clip, "maximum": elementwise.maximum,
    "minimum": elementwise.minimum, "where": elementwise.choose, "masked_fill": elementwise.masked_fill, "masked_fill_": inplace.masked_fill_,
    "nan_to_num": elementwise.nan_to_num, "tril": elementwise.tril, "triu": elementwise.triu,
    "sinh": elementwise.sinh, "cosh": elementwise.cosh, "expm1": elementwise.expm1, "log2": elementwise.log2,
    "log10": elementwise.log10,
    "softmax": nn.softmax, "log_softmax": nn.log_softmax,
    # outside the graph: comparisons, logic, rounding (ops/compare.py)
    "__eq__": compare.eq, "__ne__": compare.ne, "__lt__": compare.lt, "__le__": compare.le,
    "__gt__": compare.gt, "__ge__": compare.ge, "eq": compare.eq, "ne": compare.ne, "lt": compare.lt,
    "le": compare.le, "gt": compare.gt, "ge": compare.ge,
    "__and__": compare.logical_and, "__or__": compare.logical_or, "__xor__": compare.logical_xor,
    "__invert__": compare.invert, "logical_and": compare.logical_and, "logical_or": compare.logical_or,
    "logical_xor": compare.logical_xor, "logical_not": compare.logical_not,
    "__floordiv__": compare.floor_divide, "__rfloordiv__": compare.rfloordiv,
    "sign": compare.sign, "floor": compare.floor, "ceil": compare.ceil, "round": compare.round,
    "isnan": compare.isnan, "isinf": compare.isinf, "isfinite": compare.isfinite,
    "isclose": compare.isclose, "allclose": compare.allclose,
    "equal": compare.equal, "argmax": compare.argmax, "argmin": compare.argmin, "any": compare.any, "all": compare.all,
    "nonzero": compare.nonzero, "histogram": compare.histogram,
    # reductions (ops/reduce.py)
    "sum": reduce.sum, "mean": reduce.mean, "var": reduce.var, "std": reduce.std, "max": indexing.max,
    "min": indexing.min, "amax": reduce.amax, "amin": reduce.amin, "prod": reduce.prod, "norm": reduce.norm,
    "cumsum": reduce.cumsum, "logsumexp": reduce.logsumexp,
    # indexing (ops/indexing.py) and in-place writes (ops/inplace.py)
    "__getitem__": indexing.getitem, "__iter__": indexing.iterate, "gather": indexing.gather,
    "index_select": indexing.index_select, "masked_select": indexing.masked_select, "sort": indexing.sort,
    "topk": indexing.topk, "unbind": indexing.unbind, "narrow": indexing.narrow, "roll": indexing.roll,
    "__setitem__": inplace.setitem, "__iadd__": inplace.add_, "__isub__": inplace.sub_,
    "__imul__": inplace.mul_, "__itruediv__": inplace.div_, "add_": inplace.add_, "sub_": inplace.sub_,
    "mul_": inplace.mul_, "div_": inplace.div_, "pow_": inplace.pow_, "clamp_": inplace.clamp_,
    "clip_": inplace.clamp_, "exp_": inplace.exp_, "log_": inplace.log_, "sqrt_": inplace.sqrt_,
    "abs_": inplace.abs_, "neg_": inplace.neg_, "relu_": inplace.relu_, "sigmoid_": inplace.sigmoid_,
    "tanh_": inplace.tanh_, "zero_": inplace.zero_, "fill_": inplace.fill_, "copy_": inplace.copy_,
    "normal_": inplace.normal_, "uniform_": inplace.uniform_, "scatter_": inplace.scatter_, "scatter": inplace.scatter, "index_add_": inplace.index_add_,
    "index_add": inplace.index_add,
    # shape and dtype (ops/shape.py)
    "reshape": shape.reshape, "view": shape.reshape, "view_as": shape.view_as,
    "reshape_as": shape.view_as, "expand_as": shape.expand_as, "type_as": shape.type_as, "flatten": shape.flatten, "permute": shape.permute,
    "transpose": shape.transpose, "swapaxes": shape.swapaxes, "t": shape.t, "squeeze": shape.squeeze,
    "unsqueeze": shape.unsqueeze, "expand": shape.expand, "broadcast_to": shape.broadcast_to,
    "pad": shape.pad, "repeat": shape.repeat, "repeat_interleave": shape.repeat_interleave, "tile": shape.tile,
    "flip": shape.flip, "split": shape.split,
    "chunk": shape.chunk, "clone": shape.clone, "astype": shape.astype, "to": shape.to, "cpu": shape.cpu,
    "cuda": shape.cuda,
    "float": shape.as_float32, "double": shape.as_float64, "half": shape.as_float16, "int": shape.as_int32,
    "long": shape.as_int64, "bool": shape.as_bool,
    # new tensors like this one (creation.py)
    "new_zeros": creation.new_zeros, "new_ones": creation.new_ones, "new_full": creation.new_full,
    "new_tensor": creation.new_tensor, "nelement": Tensor.numel, "type": shape.convert_type,
    "__format__": compare.format_tensor,
    # backpropagation (autograd/backprop.py)
    "backward": backprop.tensor_backward,
    # NumPy's protocol for ufuncs with a tensor operand (NUMPY_UFUNCS below)
    "__array_ufunc__": array_ufunc,
}

TENSOR_PROPERTIES = {
    "T": shape.transpose_all,
    "device": device.tensor_device,
    "is_cuda": device.tensor_is_cuda,
}


def as_method_call(name: str) -> Callable:
    """The functional form `tg.name(x, ...)` as the method call `x.name(...)`, as in PyTorch: for
    forms that read values outside any op (indices, masks), so that a tensor class with a method of
    its own (vmap's batched tensors, forward mode's dual numbers) runs it its way."""
    function = TENSOR_METHODS[name]

    @functools.wraps(function)
    def functional(x: Any, *args: Any, **kwargs: Any) -> Any:
        return getattr(x, name)(*args, **kwargs) if isinstance(x, Tensor) else function(x, *args, **kwargs)

    return functional


def attach() -> None:
    """Make every entry of the tables a method (or property) of Tensor."""
    for name, function in TENSOR_METHODS.items():
        setattr(Tensor, name, function)
    for name, function in TENSOR_PROPERTIES.items():
        setattr(Tensor, name, property(function, doc=function.__doc__))


attach()
