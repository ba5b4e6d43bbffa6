"""tinygrad_edu: a NumPy autograd engine for learning, teaching and prototyping deep learning.

    import tinygrad_edu as tg
    from tinygrad_edu import Tensor, nn, optim
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

from .autograd import grad
from .creation import (arange, empty, eye, from_numpy, full, full_like, linspace, normal, ones, ones_like, rand,
                       randint, randn, tensor, uniform, zeros, zeros_like)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .graph import draw_graph
from .ops import (avg_pool2d, broadcast_to, cat, chunk, clip, concatenate, conv2d, dot, dropout, expand, flatten,
                  flip, gather, gelu, index_select, linear, log_softmax, matmul, max_pool2d, pad, permute, repeat, reshape,
                  softmax, split, squeeze, stack, tile, unsqueeze, where)
from .random import manual_seed
from .serialization import load, save
from .tensor import (Function, Node, Tensor, detect_anomaly, enable_grad, get_default_dtype, is_grad_enabled, no_grad,
                     set_default_dtype, set_grad_enabled)

__version__ = "0.1.0"

float16, float32, float64 = np.float16, np.float32, np.float64
int32, int64, bool_ = np.int32, np.int64, np.bool_
clamp = clip

_LAZY = {"nn", "optim", "testing", "data", "sklearn", "graph", "opinfo", "serialization"}


def __getattr__(name: str) -> Any:
    """Import subpackages on first use, so `import tinygrad_edu` needs only NumPy."""
    if name in _LAZY:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'tinygrad_edu' has no attribute {name!r}")


def _unary(method: str):
    def fn(x: Any, *args: Any, **kwargs: Any) -> Tensor:
        return getattr(x if isinstance(x, Tensor) else tensor(x), method)(*args, **kwargs)

    fn.__name__ = method
    fn.__doc__ = f"Functional form of `Tensor.{method}`."
    return fn


for _name in ("exp", "log", "log1p", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "leaky_relu", "elu", "softplus",
              "erf", "abs", "sum", "mean", "var", "std", "max", "min", "prod", "logsumexp", "argmax", "argmin",
              "transpose", "swapaxes", "maximum", "minimum", "add", "sub", "mul", "div", "pow", "neg", "square",
              "sign", "clone", "detach", "reciprocal", "rsqrt", "floor", "ceil", "round", "isnan", "isinf", "isfinite",
              "tril", "triu", "cumsum", "outer", "amax", "amin", "masked_fill", "mm", "bmm", "mv", "norm", "sort", "topk",
              "unbind", "narrow", "roll", "diag", "trace", "lerp", "nan_to_num"):
    globals()[_name] = _unary(_name)
del _name
