"""Every operation of the engine: `Function` subclasses (forward and backward side by side) and the
functions built on them, one family a file. Lower files never import higher ones:
axes, elementwise, compare, reduce, indexing, shape, arithmetic, linalg, einsum, inplace, nn, conv."""

from .axes import (element_values, norm_axis, pair, pick_axis, shape_arg)
from .elementwise import (Clip, Cos, Elu, Erf, Exp, LeakyRelu, Log, Log1p, Maximum, Minimum, Relu, Sigmoid,
                          SigmoidBackward, Sin, Softplus, Sqrt, Tanh, TanhBackward, Where, choose, clamp, clip, cos,
                          cosh, elu, erf, exp, expm1, gelu, leaky_relu, lerp, log, log10, log1p, log2, masked_fill,
                          maximum, minimum, nan_to_num, reciprocal, relu, rsqrt, sigmoid, sin, sinh, softplus, sqrt,
                          square, tanh, tril, triu, where)
from .compare import (all, allclose, any, argmax, argmin, ceil, eq, equal, floor, floor_divide, format_tensor, ge, gt,
                      histogram, invert, isclose, isfinite, isinf, isnan, le, logical_and, logical_not, logical_or,
                      logical_xor, lt, ne, nonzero, rfloordiv, round, sign)
from .reduce import (CumSum, LogSumExp, Max, Mean, Min, Norm2, Prod, Sum, amax, amin, cumsum, logsumexp, mean, norm,
                     prod, std, sum, var)
from .indexing import (GetItem, IndexAdd, ValuesIndices, describe_index, gather, getitem, index_select, iterate,
                       masked_select, max, min, narrow, normalize_index, roll, sort, split_ints_first, topk, unbind)
from .shape import (Cast, Cat, Clone, Expand, Flip, Pad, Permute, Reshape, as_bool, as_float16, as_float32, as_float64,
                    as_int32, as_int64, astype, broadcast_to, cat, chunk, clone, concatenate, convert_type, cpu, cuda,
                    expand, flatten, flip, meshgrid, pad, permute, repeat, repeat_interleave, reshape, split, squeeze,
                    stack, swapaxes, t, tile, to, transpose, transpose_all, unsqueeze)
from .arithmetic import (Abs, Add, Div, Mul, Neg, Pow, Remainder, Sub, abs, add, div, mul, neg, positive, pow, radd,
                         rdiv, remainder, rmul, rpow, rremainder, rsub, sub)
from .linalg import (MatMul, bmm, diag, dot, matmul, mm, mv, outer, rmatmul, trace)
from .einsum import Einsum, einsum
from .inplace import (SetItem, abs_, add_, check_inplace_allowed, clamp_, copy_, div_, exp_, fill_, index_add,
                      index_add_, log_, mul_, neg_, pow_, relu_, scatter, scatter_, setitem, sigmoid_, sqrt_, sub_,
                      tanh_, zero_)
from .nn import (BinaryCrossEntropy, CrossEntropy, Linear, LogSoftmax, Softmax, binary_cross_entropy, cross_entropy,
                 dropout, linear, log_softmax, softmax)
from .conv import (ConvProduct, Fold, MaxPool2d, MaxPool2dBackward, Unfold, avg_pool2d, conv2d, fold, max_pool2d,
                   unfold)

__all__ = [name for name in dir() if not name.startswith("_")]
