"""Every operation of the engine: `Function` subclasses (forward and backward side by side) and the
functions built on them."""

from .arithmetic import Abs, Add, Div, MatMul, Mul, Neg, Pow, Remainder, Sub, dot, floor_divide, matmul
from .elementwise import (Clip, Cos, Elu, Erf, Exp, LeakyRelu, Log, Log1p, Maximum, Minimum, Relu, Sigmoid,
                          SigmoidBackward, Sin, Softplus, Sqrt, Tanh, TanhBackward, Where, clip, compare, gelu, where)
from .indexing import (GetItem, IndexAdd, SetItem, check_inplace_allowed, gather, getitem, index_select, inplace,
                       inplace_map, setitem)
from .nn import (CrossEntropy, Fold, Linear, LogSoftmax, MaxPool2d, Softmax, Unfold, avg_pool2d, conv2d, cross_entropy, dropout,
                 fold, linear, log_softmax, max_pool2d, softmax, unfold)
from .reduce import CumSum, LogSumExp, Max, Mean, Min, Norm2, Prod, Sum, mean, norm, norm_axis, var
from .shape import (Cast, Cat, Clone, Expand, Flip, Pad, Permute, Reshape, broadcast_to, cast, cat, chunk,
                    concatenate, expand, flatten, flip, pad, permute, repeat, reshape, split, squeeze, stack, tile,
                    unsqueeze)

__all__ = [name for name in dir() if not name.startswith("_")]
