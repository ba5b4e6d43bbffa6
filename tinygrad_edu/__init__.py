"""tinygrad_edu: a NumPy autograd engine for learning, teaching and prototyping deep learning.

    import tinygrad_edu as tg
    from tinygrad_edu import Tensor, nn, optim

Reading order of the engine: `autograd/` (the core, bottom-up), `ops/` (every op, forward and
backward side by side), `methods.py` (what a Tensor can do, as a table), then this file.
"""

from __future__ import annotations

import builtins
import importlib
import sys
from typing import Any

import numpy as np

from . import autograd, methods  # noqa: F401  (methods attaches Tensor's methods)
from .animate import animate_backward
from .autograd import (Function, Node, Size, Tensor, detect_anomaly, enable_grad, get_default_dtype, grad, inference_mode,
                       is_anomaly_enabled, is_grad_enabled, no_grad, set_default_dtype, set_grad_enabled)
from .creation import (arange, empty, empty_like, eye, from_numpy, full, full_like, linspace, multinomial, normal, ones,
                       ones_like, rand, rand_like, randint, randint_like, randn, randn_like, randperm, tensor, uniform,
                       zeros, zeros_like)
from .device import accelerator, cuda, device
from .explain import explain
from . import func
from .func import autograd_functional, forward_ad, vmap  # torch.vmap is torch.func.vmap
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .graph import draw_graph
from .interop import from_torch, to_torch
from .ops.arithmetic import abs, add, div, mul, neg, pow, sub  # noqa: A004 (PyTorch's names)
from .ops.compare import (all, allclose, any, argmax, argmin, ceil, equal, floor, histogram,  # noqa: A004
                          isclose, isfinite, isinf, isnan, round, sign)
from .ops.conv import avg_pool2d, conv2d, max_pool2d
from .ops.elementwise import (clamp, clip, cos, cosh, elu, erf, exp, expm1, gelu, leaky_relu, lerp, log, log1p, log2,
                              log10, masked_fill, maximum, minimum, nan_to_num, reciprocal, relu, rsqrt, sigmoid, sin,
                              sinh, softplus, sqrt, square, tanh, tril, triu, where)
from .ops.inplace import index_add, scatter
from .ops.indexing import gather, index_select, max, min, narrow, roll, sort, topk, unbind  # noqa: A004
from .ops.linalg import bmm, diag, dot, matmul, mm, mv, outer, trace
from .ops.einsum import einsum
from .ops.nn import dropout, linear, log_softmax, softmax
from .ops.reduce import amax, amin, cumsum, logsumexp, mean, norm, prod, std, sum, var  # noqa: A004
from .ops.shape import (broadcast_to, cat, chunk, clone, concatenate, expand, flatten, flip, meshgrid, pad, permute,
                        repeat, repeat_interleave, reshape, split, squeeze, stack, swapaxes, tile, transpose, unsqueeze)
from .ops.inplace import accepts_out
from .random import Generator, initial_seed, manual_seed
from .scalar import scalarize
from .serialization import load, save

# The functional forms PyTorch gives an `out=` keyword (`torch.add(x, y, out=result)`) take it here too.
_WITH_OUT = ("abs", "add", "div", "mul", "neg", "pow", "sub", "ceil", "floor", "round", "sign", "clamp",
             "clip", "cos", "cosh", "exp", "expm1", "log", "log1p", "log2", "log10", "maximum",
             "minimum", "reciprocal", "rsqrt", "sigmoid", "sin", "sinh", "sqrt", "square", "tanh",
             "where", "bmm", "dot", "matmul", "mm", "mv", "outer", "amax", "amin", "cumsum", "logsumexp",
             "mean", "norm", "prod", "std", "sum", "var", "cat", "concatenate", "stack", "gather",
             "index_select")
globals().update({name: accepts_out(globals()[name]) for name in _WITH_OUT})
# Functional forms that read values outside any op call the tensor's method (tg.sort(x) is
# x.sort()), so that vmap's batched tensors and forward mode's dual numbers use their own.
_AS_METHOD = ("all", "any", "argmax", "argmin", "isclose", "isfinite", "isinf", "isnan", "max", "min", "nan_to_num",
              "sign", "sort", "topk")
globals().update({name: methods.as_method_call(name) for name in _AS_METHOD})

__version__ = "0.1.0"

# torch.autograd.functional's place: the core cannot import the func layer it is built on, so the
# module is attached from here, as methods.py attaches Tensor's methods
autograd.functional = autograd_functional
sys.modules[f"{__name__}.autograd.functional"] = autograd_functional
autograd.forward_ad = forward_ad  # torch.autograd.forward_ad: dual_level, make_dual, unpack_dual
sys.modules[f"{__name__}.autograd.forward_ad"] = forward_ad

# dtype names as PyTorch spells them (dtype=tg.float, x.to(tg.long), x.dtype == tg.float32)
float16 = half = np.float16
float32 = float = np.float32  # noqa: A001
float64 = double = np.float64
uint8, int8 = np.uint8, np.int8
int16 = short = np.int16
int32 = int = np.int32  # noqa: A001
int64 = long = np.int64
bool = bool_ = np.bool_  # noqa: A001
detach = Tensor.detach
numel = Tensor.numel
# torch.autograd.gradcheck: the checker runs ops, so it lives above the core and is attached here
autograd.gradcheck, autograd.gradgradcheck = gradcheck, gradgradcheck

def is_tensor(obj: Any) -> builtins.bool:
    """Whether `obj` is a Tensor (PyTorch's `torch.is_tensor`)."""
    return isinstance(obj, Tensor)


_LAZY = {"nn", "optim", "testing", "data", "utils", "sklearn", "graph", "opinfo", "serialization"}


def __getattr__(name: str) -> Any:
    """Import subpackages on first use, so `import tinygrad_edu` needs only NumPy."""
    if name in _LAZY:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'tinygrad_edu' has no attribute {name!r}")
