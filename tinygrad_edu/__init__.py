"""tinygrad_edu: a NumPy autograd engine for learning, teaching and prototyping deep learning.

    import tinygrad_edu as tg
    from tinygrad_edu import Tensor, nn, optim

Reading order of the engine: `autograd/` (the core, bottom-up), `ops/` (every op, forward and
backward side by side), `methods.py` (what a Tensor can do, as a table), then this file.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

from . import methods  # noqa: F401  (attaches Tensor's methods)
from .autograd import (Function, Node, Tensor, detect_anomaly, enable_grad, get_default_dtype, grad, inference_mode,
                       is_anomaly_enabled, is_grad_enabled, no_grad, set_default_dtype, set_grad_enabled)
from .creation import (arange, empty, eye, from_numpy, full, full_like, linspace, normal, ones, ones_like, rand,
                       randint, randn, tensor, uniform, zeros, zeros_like)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .graph import draw_graph
from .ops.arithmetic import abs, add, div, mul, neg, pow, sub  # noqa: A004 (PyTorch's names)
from .ops.compare import argmax, argmin, ceil, floor, isfinite, isinf, isnan, round, sign  # noqa: A004
from .ops.conv import avg_pool2d, conv2d, max_pool2d
from .ops.elementwise import (clamp, clip, cos, elu, erf, exp, gelu, leaky_relu, lerp, log, log1p, masked_fill, maximum,
                              minimum, nan_to_num, reciprocal, relu, rsqrt, sigmoid, sin, softplus, sqrt, square, tanh,
                              tril, triu, where)
from .ops.indexing import gather, index_select, narrow, roll, sort, topk, unbind
from .ops.linalg import bmm, diag, dot, matmul, mm, mv, outer, trace
from .ops.nn import dropout, linear, log_softmax, softmax
from .ops.reduce import amax, amin, cumsum, logsumexp, max, mean, min, norm, prod, std, sum, var  # noqa: A004
from .ops.shape import (broadcast_to, cat, chunk, clone, concatenate, expand, flatten, flip, pad, permute, repeat,
                        reshape, split, squeeze, stack, swapaxes, tile, transpose, unsqueeze)
from .random import manual_seed
from .serialization import load, save

__version__ = "0.1.0"

float16, float32, float64 = np.float16, np.float32, np.float64
int32, int64, bool_ = np.int32, np.int64, np.bool_
detach = Tensor.detach

_LAZY = {"nn", "optim", "testing", "data", "sklearn", "graph", "opinfo", "serialization"}


def __getattr__(name: str) -> Any:
    """Import subpackages on first use, so `import tinygrad_edu` needs only NumPy."""
    if name in _LAZY:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'tinygrad_edu' has no attribute {name!r}")
