"""Differential tests against PyTorch: every public op's forward values and input gradients (for a
random upstream gradient) must match torch in float64."""

from __future__ import annotations

import zlib
from typing import Any, Callable

import numpy as np
import pytest

import tinygrad_edu as tg

torch = pytest.importorskip("torch")
F = torch.nn.functional


# ----------------------------------------------------------------------------------------------
# input specifications: functions of a seeded Generator returning float64 arrays


def normal(*shape: int, scale: float = 1.0) -> Callable:
    return lambda rng: rng.standard_normal(shape) * scale


def positive(*shape: int, low: float = 0.5, high: float = 2.0) -> Callable:
    return lambda rng: rng.uniform(low, high, shape)


def nonzero(*shape: int) -> Callable:
    """Normal samples pushed at least 0.2 away from zero (away from the kink of abs, relu, ...)."""

    def draw(rng):
        x = rng.standard_normal(shape)
        return np.sign(x) * (np.abs(x) + 0.2)

    return draw


def const(values: Any) -> Callable:
    return lambda rng: np.array(values, dtype=np.float64)


def t(array: np.ndarray) -> Any:
    """A fixed (non-differentiable) array, e.g. an index, as a torch tensor."""
    return torch.from_numpy(np.asarray(array))


def torch_index(index: Any) -> Any:
    items = index if isinstance(index, tuple) else (index,)
    converted = tuple(t(i) if isinstance(i, (np.ndarray, list)) else i for i in items)
    return converted if isinstance(index, tuple) else converted[0]


def case(name: str, tg_fn: Callable, torch_fn: Callable, *inputs: Callable, marks: Any = ()) -> Any:
    return pytest.param(tg_fn, torch_fn, inputs, id=name, marks=marks)


def same(fn: Callable) -> tuple[Callable, Callable]:
    """The same expression works for both libraries (operators, shared method names)."""
    return fn, fn


# ----------------------------------------------------------------------------------------------
# the table


ARITHMETIC = [
    case("add_broadcast", *same(lambda a, b: a + b), normal(2, 3), normal(3)),
    case("add_scalar_tensor", *same(lambda a, b: a + b), normal(), normal(2, 3)),
    case("sub_broadcast", *same(lambda a, b: a - b), normal(2, 1, 4), normal(3, 1)),
    case("mul_broadcast", *same(lambda a, b: a * b), normal(2, 1, 4), normal(3, 1)),
    case("mul_self", *same(lambda a: a * a), normal(3, 2)),
    case("div_broadcast", *same(lambda a, b: a / b), normal(1, 3), nonzero(2, 3)),
    case("radd_rsub_rmul_rdiv", *same(lambda a: (1.5 - a) * (2.0 + a) + 3.0 / a - a * 0.5), nonzero(4)),
    case("neg", *same(lambda a: -a), normal(2, 3)),
    case("abs", *same(lambda a: abs(a)), nonzero(2, 3)),
    case("abs_method", *same(lambda a: a.abs()), nonzero(5)),
    case("pow_tensor_tensor", *same(lambda a, b: a ** b), positive(2, 3), normal(2, 3)),
    case("pow_tensor_broadcast", *same(lambda a, b: a ** b), positive(2, 3), normal(3)),
    case("pow_int", *same(lambda a: a ** 3), normal(2, 3)),
    case("pow_half", *same(lambda a: a ** 0.5), positive(4)),
    case("pow_negative", *same(lambda a: a ** -2), nonzero(4)),
    case("rpow", *same(lambda a: 2.0 ** a), normal(4)),
    case("pow_zero_exponent_at_zero", *same(lambda a: a ** 0), const([0.0, 1.5, -2.0])),
    case("pow_square_at_zero", *same(lambda a: a ** 2), const([0.0, 1.5, -2.0])),
    case("square_sub", *same(lambda a, b: (a - b) ** 2), normal(3, 2), normal(2)),
    case("remainder", *same(lambda a, b: a % b), const([[3.3, -3.7, 0.4], [5.2, -0.6, 2.9]]), const([1.5, 1.1, -0.7])),
    case("linear_fused", lambda x, w, b: tg.linear(x, w, b), torch.nn.functional.linear, normal(2, 4, 3), normal(5, 3),
         normal(5)),
    case("cross_entropy_fused", lambda x, w: tg.ops.cross_entropy(x, np.array([1, 0, 3, 3]), weight=w.data,
                                                                   ignore_index=0),
         lambda x, w: torch.nn.functional.cross_entropy(x, t(np.array([1, 0, 3, 3])), weight=w.detach(),
                                                        ignore_index=0), normal(4, 5), positive(5)),
]

MATMUL = [
    case(f"matmul_{'x'.join(map(str, xs))}_{'x'.join(map(str, ys))}", *same(lambda a, b: a @ b), normal(*xs),
         normal(*ys))
    for xs, ys in [
        ((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)),
        ((5, 1, 2, 3), (4, 3, 2)), ((3,), (5, 3, 4)), ((5, 2, 3), (3,)), ((2, 5, 2, 3), (2, 1, 3, 2)),
    ]
] + [
    case("matmul_function", lambda a, b: tg.matmul(a, b), torch.matmul, normal(2, 3), normal(3, 2)),
    case("dot_1d", lambda a, b: tg.dot(a, b), torch.dot, normal(4), normal(4)),
    case("dot_method", lambda a, b: a.dot(b), lambda a, b: a.dot(b), normal(3), normal(3)),
]

ELEMENTWISE = [
    case("exp", *same(lambda a: a.exp()), normal(2, 3)),
    case("log", *same(lambda a: a.log()), positive(2, 3)),
    case("log1p", *same(lambda a: a.log1p()), positive(2, 3, low=-0.5)),
    case("sqrt", *same(lambda a: a.sqrt()), positive(2, 3)),
    case("sin", *same(lambda a: a.sin()), normal(2, 3)),
    case("cos", *same(lambda a: a.cos()), normal(2, 3)),
    case("tanh", *same(lambda a: a.tanh()), normal(2, 3, scale=2.0)),
    case("sigmoid", *same(lambda a: a.sigmoid()), normal(2, 3, scale=3.0)),
    case("sigmoid_extreme", *same(lambda a: a.sigmoid()), const([-800.0, -40.0, 0.0, 40.0, 800.0])),
    case("relu", *same(lambda a: a.relu()), nonzero(3, 4)),
    case("leaky_relu_default", lambda a: a.leaky_relu(), F.leaky_relu, nonzero(3, 4)),
    case("leaky_relu_slope", lambda a: a.leaky_relu(0.2), lambda a: F.leaky_relu(a, 0.2), nonzero(3, 4)),
    case("elu_default", lambda a: a.elu(), F.elu, nonzero(3, 4)),
    case("elu_alpha", lambda a: a.elu(1.7), lambda a: F.elu(a, 1.7), nonzero(3, 4)),
    case("gelu_erf", lambda a: a.gelu(), F.gelu, normal(3, 4, scale=2.0)),
    case("gelu_tanh", lambda a: a.gelu("tanh"), lambda a: F.gelu(a, approximate="tanh"), normal(3, 4, scale=2.0)),
    case("gelu_function", lambda a: tg.gelu(a, approximate="tanh"), lambda a: F.gelu(a, approximate="tanh"),
         normal(5)),
    case("softplus_default", lambda a: a.softplus(), F.softplus, normal(3, 4, scale=5.0)),
    case("softplus_beta_threshold", lambda a: a.softplus(2.0, 5.0), lambda a: F.softplus(a, 2.0, 5.0),
         normal(3, 4, scale=4.0)),
    case("softplus_large", lambda a: a.softplus(), F.softplus, const([-50.0, 19.0, 21.0, 100.0])),
    case("erf", lambda a: a.erf(), torch.erf, normal(3, 4)),
    case("clip_both", lambda a: a.clip(-0.5, 0.7), lambda a: a.clamp(-0.5, 0.7), normal(3, 4)),
    case("clip_min_only", lambda a: a.clip(min=0.1), lambda a: a.clamp(min=0.1), normal(3, 4)),
    case("clamp_max_only", lambda a: a.clamp(max=-0.2), lambda a: a.clamp(max=-0.2), normal(3, 4)),
    case("clip_tensor_bounds", lambda a, lo, hi: a.clip(lo, hi), lambda a, lo, hi: torch.clamp(a, lo, hi),
         normal(3, 4), normal(4, scale=0.3), positive(3, 1, low=0.1, high=0.6)),
    case("maximum", *same(lambda a, b: a.maximum(b)), normal(3, 4), normal(4)),
    case("minimum", *same(lambda a, b: a.minimum(b)), normal(3, 4), normal(3, 1)),
    case("maximum_ties", *same(lambda a, b: a.maximum(b)), const([1.0, 2.0, 3.0, -1.0]), const([1.0, 5.0, 3.0, -2.0])),
    case("minimum_ties", *same(lambda a, b: a.minimum(b)), const([1.0, 2.0, 3.0, -1.0]), const([1.0, 5.0, 3.0, -2.0])),
    case("maximum_self_tie", *same(lambda a: a.maximum(a * 1.0)), normal(4)),
    case("where", lambda a, b: tg.where(np.array([[True, False, True], [False, False, True]]), a, b),
         lambda a, b: torch.where(t(np.array([[True, False, True], [False, False, True]])), a, b),
         normal(2, 3), normal(2, 3)),
    case("where_broadcast", lambda a, b: tg.where(np.array([True, False, True]), a, b),
         lambda a, b: torch.where(t(np.array([True, False, True])), a, b), normal(2, 1), normal(3)),
    case("where_tensor_condition", lambda a, b: tg.where(a > b, a, b), lambda a, b: torch.where(a > b, a, b),
         normal(3, 3), normal(3, 3)),
]


def _reduction_cases() -> list:
    cases = []
    axes = [None, 0, 1, -1, (0, 2)]
    for axis in axes:
        for keep in (False, True):
            tag = f"axis{axis}_keep{int(keep)}".replace(" ", "")
            dim = tuple(range(3)) if axis is None else axis
            cases += [
                case(f"sum_{tag}", lambda a, axis=axis, keep=keep: a.sum(axis=axis, keepdims=keep),
                     lambda a, dim=dim, keep=keep: a.sum(dim=dim, keepdim=keep), normal(2, 3, 4)),
                case(f"mean_{tag}", lambda a, axis=axis, keep=keep: a.mean(axis=axis, keepdims=keep),
                     lambda a, dim=dim, keep=keep: a.mean(dim=dim, keepdim=keep), normal(2, 3, 4)),
                case(f"max_{tag}", lambda a, axis=axis, keep=keep: a.max(axis=axis, keepdims=keep),
                     lambda a, dim=dim, keep=keep: torch.amax(a, dim=dim, keepdim=keep), normal(2, 3, 4)),
                case(f"min_{tag}", lambda a, axis=axis, keep=keep: a.min(axis=axis, keepdims=keep),
                     lambda a, dim=dim, keep=keep: torch.amin(a, dim=dim, keepdim=keep), normal(2, 3, 4)),
                case(f"logsumexp_{tag}", lambda a, axis=axis, keep=keep: a.logsumexp(axis=axis, keepdims=keep),
                     lambda a, dim=dim, keep=keep: torch.logsumexp(a, dim=dim, keepdim=keep), normal(2, 3, 4)),
            ]
            for ddof in (0, 1):
                cases += [
                    case(f"var_ddof{ddof}_{tag}",
                         lambda a, axis=axis, keep=keep, ddof=ddof: a.var(axis=axis, ddof=ddof, keepdims=keep),
                         lambda a, dim=dim, keep=keep, ddof=ddof: torch.var(a, dim=dim, correction=ddof, keepdim=keep),
                         normal(2, 3, 4)),
                    case(f"std_ddof{ddof}_{tag}",
                         lambda a, axis=axis, keep=keep, ddof=ddof: a.std(axis=axis, ddof=ddof, keepdims=keep),
                         lambda a, dim=dim, keep=keep, ddof=ddof: torch.std(a, dim=dim, correction=ddof, keepdim=keep),
                         normal(2, 3, 4)),
                ]
    for axis in (0, 1, -1):
        for keep in (False, True):
            cases.append(case(f"prod_axis{axis}_keep{int(keep)}",
                              lambda a, axis=axis, keep=keep: a.prod(axis=axis, keepdims=keep),
                              lambda a, axis=axis, keep=keep: torch.prod(a, dim=axis, keepdim=keep), normal(2, 3, 4)))
    ties = [[1.0, 3.0, 3.0, 0.5], [2.0, 2.0, 2.0, -1.0], [-4.0, 0.0, -4.0, 7.0]]
    zeros = [[1.5, 0.0, 2.0, -1.0], [0.0, 3.0, 0.0, 2.0], [1.0, -2.0, 0.5, 3.0]]
    cases += [
        case("prod_all", *same(lambda a: a.prod()), normal(2, 3)),
        case("prod_one_zero_all", *same(lambda a: a.prod()), const([[1.5, 0.0], [2.0, -3.0]])),
        case("prod_zeros_axis1", lambda a: a.prod(axis=1), lambda a: torch.prod(a, dim=1), const(zeros)),
        case("prod_zeros_axis0", lambda a: a.prod(axis=0), lambda a: torch.prod(a, dim=0), const(zeros)),
        case("prod_zeros_tuple_axis", lambda a: a.prod(axis=(0, 2)),
             lambda a: a.permute(1, 0, 2).reshape(3, -1).prod(1),
             const([[[0.0, 2.0], [1.0, 0.5], [3.0, 0.0]], [[1.5, -1.0], [2.0, 1.0], [0.0, 2.0]]])),
        case("prod_zero_scalar", *same(lambda a: a.prod()), const(0.0)),
        case("max_ties_all", lambda a: a.max(), torch.amax, const(ties)),
        case("max_ties_axis1", lambda a: a.max(axis=1), lambda a: torch.amax(a, dim=1), const(ties)),
        case("min_ties_axis0", lambda a: a.min(axis=0), lambda a: torch.amin(a, dim=0), const(ties)),
        case("logsumexp_large", lambda a: a.logsumexp(axis=1), lambda a: torch.logsumexp(a, dim=1),
             normal(3, 4, scale=400.0)),
        case("sum_dim_keyword", lambda a: a.sum(dim=1, keepdim=True), lambda a: a.sum(dim=1, keepdim=True),
             normal(3, 4)),
        case("var_correction_keyword", lambda a: a.var(dim=0, correction=1), lambda a: a.var(dim=0, correction=1),
             normal(5, 2)),
        case("mean_of_scalar", *same(lambda a: a.mean()), normal()),
    ]
    return cases


SHAPE = [
    case("reshape", lambda a: a.reshape(4, 6), lambda a: a.reshape(4, 6), normal(2, 3, 4)),
    case("reshape_tuple_infer", lambda a: a.reshape((3, -1)), lambda a: a.reshape(3, -1), normal(2, 3, 4)),
    case("view", lambda a: a.view(-1), lambda a: a.view(-1), normal(2, 3)),
    case("flatten", lambda a: a.flatten(), torch.flatten, normal(2, 3, 4)),
    case("flatten_start1", lambda a: a.flatten(1), lambda a: torch.flatten(a, 1), normal(2, 3, 4)),
    case("flatten_mid", lambda a: a.flatten(1, 2), lambda a: torch.flatten(a, 1, 2), normal(2, 3, 4, 2)),
    case("transpose_two_axes", lambda a: a.transpose(0, 2), lambda a: a.transpose(0, 2), normal(2, 3, 4)),
    case("T", *same(lambda a: a.T), normal(2, 3)),
    case("permute", lambda a: a.permute(2, 0, 1), lambda a: a.permute(2, 0, 1), normal(2, 3, 4)),
    case("permute_tuple", lambda a: a.permute((1, 2, 0)), lambda a: a.permute(1, 2, 0), normal(2, 3, 4)),
    case("swapaxes", lambda a: a.swapaxes(0, -1), lambda a: torch.swapaxes(a, 0, -1), normal(2, 3, 4)),
    case("squeeze_all", lambda a: a.squeeze(), torch.squeeze, normal(2, 1, 3, 1)),
    case("squeeze_axis", lambda a: a.squeeze(1), lambda a: a.squeeze(1), normal(2, 1, 3, 1)),
    case("squeeze_non_unit_axis", lambda a: a.squeeze(0), lambda a: a.squeeze(0), normal(2, 1, 3)),
    case("unsqueeze", lambda a: a.unsqueeze(1), lambda a: a.unsqueeze(1), normal(2, 3)),
    case("unsqueeze_last", lambda a: a.unsqueeze(-1), lambda a: a.unsqueeze(-1), normal(2, 3)),
    case("expand", lambda a: a.expand(2, 3, 4), lambda a: a.expand(2, 3, 4), normal(3, 1)),
    case("expand_minus_one", lambda a: a.expand(-1, 4), lambda a: a.expand(-1, 4), normal(3, 1)),
    case("broadcast_to", lambda a: a.broadcast_to((2, 3, 4)), lambda a: torch.broadcast_to(a, (2, 3, 4)), normal(1, 4)),
    case("pad", lambda a: a.pad(((1, 2), (0, 3))), lambda a: F.pad(a, (0, 3, 1, 2)), normal(2, 3)),
    case("pad_value", lambda a: a.pad(((0, 0), (2, 1), (1, 1)), value=0.5),
         lambda a: F.pad(a, (1, 1, 2, 1), value=0.5), normal(2, 3, 2)),
    case("repeat_axis", lambda a: a.repeat(2, axis=1), lambda a: torch.repeat_interleave(a, 2, dim=1), normal(2, 3)),
    case("repeat_counts", lambda a: a.repeat([1, 0, 3], axis=1),
         lambda a: torch.repeat_interleave(a, t(np.array([1, 0, 3])), dim=1), normal(2, 3)),
    case("repeat_flat", lambda a: a.repeat_interleave(2), lambda a: torch.repeat_interleave(a, 2), normal(2, 3)),
    case("repeat_interleave_dim", lambda a: a.repeat_interleave(2, dim=0), lambda a: a.repeat_interleave(2, dim=0),
         normal(2, 3)),
    case("repeat_tiles", lambda a: a.repeat(2, 1), lambda a: a.repeat(2, 1), normal(2, 3)),
    case("repeat_new_axes", lambda a: a.repeat(2, 1, 3), lambda a: a.repeat(2, 1, 3), normal(2, 3)),
    case("tile", lambda a: a.tile((2, 1, 3)), lambda a: torch.tile(a, (2, 1, 3)), normal(2, 3)),
    case("tile_int", lambda a: a.tile(2), lambda a: torch.tile(a, (2,)), normal(2, 3)),
    case("flip_axes", lambda a: a.flip((0, 2)), lambda a: torch.flip(a, (0, 2)), normal(2, 3, 4)),
    case("flip_all", lambda a: a.flip(), lambda a: torch.flip(a, (0, 1)), normal(2, 3)),
    case("cat_axis1", lambda a, b, c: tg.cat([a, b, c], axis=1), lambda a, b, c: torch.cat([a, b, c], dim=1),
         normal(2, 1, 3), normal(2, 4, 3), normal(2, 2, 3)),
    case("cat_axis_last", lambda a, b: tg.concatenate([a, b], axis=-1), lambda a, b: torch.cat([a, b], dim=-1),
         normal(2, 3), normal(2, 2)),
    case("cat_same_tensor_twice", lambda a: tg.cat([a, a * 2.0]), lambda a: torch.cat([a, a * 2.0]), normal(2, 3)),
    case("stack_axis0", lambda a, b: tg.stack([a, b]), lambda a, b: torch.stack([a, b]), normal(2, 3), normal(2, 3)),
    case("stack_axis_last", lambda a, b, c: tg.stack([a, b, c], axis=-1), lambda a, b, c: torch.stack([a, b, c], -1),
         normal(2, 3), normal(2, 3), normal(2, 3)),
    case("split_size", lambda a: a.split(2, axis=1), lambda a: torch.split(a, 2, dim=1), normal(3, 5)),
    case("split_sections", lambda a: tg.split(a, [1, 3, 1], axis=1), lambda a: torch.split(a, [1, 3, 1], dim=1),
         normal(3, 5)),
    case("chunk_uneven", lambda a: a.chunk(3), lambda a: torch.chunk(a, 3), normal(7, 2)),
    case("chunk_fewer", lambda a: tg.chunk(a, 4, axis=1), lambda a: torch.chunk(a, 4, dim=1), normal(2, 6)),
    case("split_partial_use", lambda a: a.split(2)[1], lambda a: torch.split(a, 2)[1], normal(5, 2)),
]

MASK = np.array([[True, False, True, True], [False, False, True, False], [True, True, False, False]])
INDEXING = [
    case(f"getitem_{name}", lambda a, index=index: a[index], lambda a, index=index: a[torch_index(index)],
         normal(3, 4, 2))
    for name, index in [
        ("int", 1), ("negative_int", -1), ("slices", (slice(0, 2), slice(1, None, 2))),
        ("int_slice", (-1, slice(1, 3))), ("none", (slice(None), None, 1)), ("ellipsis", (Ellipsis, 0)),
        ("array_repeats", np.array([0, 2, 0, 0])), ("list_repeats", [1, 1, 2]),
        ("array_2d", np.array([[0, 1], [1, 1]])), ("array_pair", (np.array([0, 2, 0]), np.array([3, 3, 3]))),
        ("array_second_axis", (slice(None), np.array([3, 3, 0]))),
        ("array_and_int", (np.array([2, 0, 2]), 1, slice(None))),
        ("bool_mask", MASK), ("bool_mask_rows", np.array([True, False, True])),
        ("bool_mask_cols", (slice(None), np.array([False, True, True, False]))),
    ]
] + [
    case("gather_axis1", lambda a: a.gather(1, np.array([[0, 0, 3], [1, 2, 1], [3, 3, 3]])),
         lambda a: a.gather(1, t(np.array([[0, 0, 3], [1, 2, 1], [3, 3, 3]]))), normal(3, 4)),
    case("gather_axis0_smaller", lambda a: tg.gather(a, 0, np.array([[2, 0], [2, 2]])),
         lambda a: torch.gather(a, 0, t(np.array([[2, 0], [2, 2]]))), normal(3, 4)),
    case("gather_3d", lambda a: a.gather(-1, np.array([[[1], [0]], [[1], [1]]])),
         lambda a: a.gather(-1, t(np.array([[[1], [0]], [[1], [1]]]))), normal(2, 2, 3)),
    case("index_select_repeats", lambda a: a.index_select(0, np.array([2, 0, 2])),
         lambda a: a.index_select(0, t(np.array([2, 0, 2]))), normal(3, 4)),
    case("index_select_axis1", lambda a: tg.index_select(a, 1, tg.tensor([3, 1])),
         lambda a: torch.index_select(a, 1, t(np.array([3, 1]))), normal(3, 4)),
]


def _setitem_tg(index):
    def fn(a, v):
        h = a * 1.0
        h[index] = v
        return h
    return fn


def _setitem_torch(index):
    def fn(a, v):
        h = a.clone()
        h[torch_index(index)] = v
        return h
    return fn


SETITEM = [
    case("setitem_slice", _setitem_tg((slice(1, 3), 0)), _setitem_torch((slice(1, 3), 0)), normal(3, 4), normal(2)),
    case("setitem_array", _setitem_tg(np.array([2, 0])), _setitem_torch(np.array([2, 0])), normal(3, 4), normal(4)),
    case("setitem_mask_broadcast", _setitem_tg(MASK), _setitem_torch(MASK), normal(3, 4), normal()),
]

NN = [
    case(f"softmax_axis{axis}", lambda a, axis=axis: a.softmax(axis), lambda a, axis=axis: torch.softmax(a, axis),
         normal(2, 3, 4, scale=2.0))
    for axis in (0, 1, -1)
] + [
    case(f"log_softmax_axis{axis}", lambda a, axis=axis: a.log_softmax(axis),
         lambda a, axis=axis: torch.log_softmax(a, axis), normal(2, 3, 4, scale=2.0))
    for axis in (0, 1, -1)
] + [
    case("softmax_function_large", lambda a: tg.softmax(a, axis=1), lambda a: torch.softmax(a, 1),
         normal(3, 5, scale=300.0)),
    case("log_softmax_function_large", lambda a: tg.log_softmax(a, axis=1), lambda a: torch.log_softmax(a, 1),
         normal(3, 5, scale=300.0)),
    case("softmax_dim_keyword", lambda a: a.softmax(dim=0), lambda a: a.softmax(dim=0), normal(3, 2)),
] + [
    case(f"conv2d_{name}", lambda x, w, b, kw=kw: tg.conv2d(x, w, b, **kw),
         lambda x, w, b, kw=kw: F.conv2d(x, w, b, **kw), normal(*xs), normal(*ws), normal(ws[0]),
         marks=pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning"))
    for name, xs, ws, kw in [
        ("plain", (2, 3, 6, 5), (4, 3, 3, 3), {}),
        ("stride", (2, 3, 7, 7), (4, 3, 3, 3), {"stride": 2}),
        ("stride_pair_padding", (1, 2, 6, 7), (3, 2, 3, 2), {"stride": (2, 1), "padding": (1, 2)}),
        ("dilation", (2, 2, 7, 8), (3, 2, 3, 3), {"dilation": 2, "padding": 1}),
        ("groups", (2, 4, 5, 5), (6, 2, 3, 3), {"groups": 2, "padding": 1}),
        ("depthwise", (1, 3, 5, 5), (3, 1, 3, 3), {"groups": 3, "stride": 2, "padding": 1}),
        ("all", (2, 4, 9, 8), (4, 2, 2, 3), {"stride": (2, 3), "padding": (2, 1), "dilation": (2, 1), "groups": 2}),
        ("same_odd", (1, 2, 5, 6), (3, 2, 3, 3), {"padding": "same"}),
        ("same_even_dilated", (1, 2, 6, 6), (2, 2, 2, 4), {"padding": "same", "dilation": (2, 1)}),
        ("valid", (1, 2, 5, 5), (2, 2, 3, 3), {"padding": "valid"}),
        ("1x1", (2, 3, 4, 4), (5, 3, 1, 1), {}),
    ]
] + [
    case("conv2d_no_bias", lambda x, w: tg.conv2d(x, w, padding=1), lambda x, w: F.conv2d(x, w, padding=1),
         normal(2, 3, 4, 4), normal(2, 3, 3, 3)),
    case("conv2d_unbatched", lambda x, w: tg.conv2d(x, w), lambda x, w: F.conv2d(x, w), normal(3, 5, 5),
         normal(2, 3, 3, 3)),
] + [
    case(f"max_pool2d_{name}", lambda x, kw=kw: tg.max_pool2d(x, **kw), lambda x, kw=kw: F.max_pool2d(x, **kw),
         normal(2, 3, 7, 6))
    for name, kw in [
        ("k2", {"kernel_size": 2}), ("k3_s1", {"kernel_size": 3, "stride": 1}),
        ("k3_s2_p1", {"kernel_size": 3, "stride": 2, "padding": 1}),
        ("rect", {"kernel_size": (2, 3), "stride": (1, 2), "padding": (1, 1)}),
        ("dilation", {"kernel_size": 2, "stride": 1, "dilation": 2}),
    ]
] + [
    case(f"avg_pool2d_{name}", lambda x, kw=kw: tg.avg_pool2d(x, **kw), lambda x, kw=kw: F.avg_pool2d(x, **kw),
         normal(2, 3, 7, 6))
    for name, kw in [
        ("k2", {"kernel_size": 2}), ("k3_s1", {"kernel_size": 3, "stride": 1}),
        ("k3_s2_p1", {"kernel_size": 3, "stride": 2, "padding": 1}),
        ("rect", {"kernel_size": (2, 3), "stride": (1, 2), "padding": (1, 1)}),
    ]
] + [
    case("max_pool2d_unbatched", lambda x: tg.max_pool2d(x, 2), lambda x: F.max_pool2d(x, 2), normal(3, 4, 4)),
    case("max_pool2d_k2_ties_go_to_first", lambda x: tg.max_pool2d(x, 2), lambda x: F.max_pool2d(x, 2),
         lambda rng: np.floor(rng.standard_normal((2, 3, 6, 7)))),
    case("max_pool2d_k3_s1_ties_go_to_first", lambda x: tg.max_pool2d(x, 3, 1), lambda x: F.max_pool2d(x, 3, 1),
         lambda rng: np.floor(rng.standard_normal((2, 3, 6, 7)))),
    case("unfold", lambda x: tg.ops.unfold(x, (2, 3), stride=(1, 2), padding=1, dilation=(2, 1)),
         lambda x: F.unfold(x, (2, 3), dilation=(2, 1), padding=1, stride=(1, 2)), normal(2, 3, 6, 7)),
    case("fold", lambda c: tg.ops.fold(c, (5, 6), (2, 3), stride=(1, 2), padding=1, dilation=(2, 1)),
         lambda c: F.fold(c, (5, 6), (2, 3), dilation=(2, 1), padding=1, stride=(1, 2)), normal(2, 3 * 6, 5 * 3)),
    case("dropout_eval", lambda x: tg.dropout(x, 0.5, training=False), lambda x: F.dropout(x, 0.5, training=False),
         normal(3, 4)),
]

ALL_CASES = ARITHMETIC + MATMUL + ELEMENTWISE + _reduction_cases() + SHAPE + INDEXING + SETITEM + NN


# ----------------------------------------------------------------------------------------------
# the test


def _as_tuple(out: Any) -> tuple:
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def _run_both(tg_fn: Callable, torch_fn: Callable, inputs: tuple, seed_name: str, create_graph: bool):
    """Forward both libraries on the same random inputs, compare outputs, and return the
    first-order gradients (for a random upstream gradient) of both, plus the inputs and the rng."""
    rng = np.random.default_rng(zlib.crc32(seed_name.encode()))
    arrays = [make(rng) for make in inputs]
    ours = [tg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]

    out = _as_tuple(tg_fn(*ours))
    expected = _as_tuple(torch_fn(*theirs))
    assert len(out) == len(expected)
    for o, e in zip(out, expected):
        assert o.shape == tuple(e.shape)
        assert o.dtype == np.float64
        np.testing.assert_allclose(o.numpy(), e.detach().numpy(), rtol=1e-7, atol=1e-10)

    upstream = [rng.standard_normal(tuple(e.shape)) for e in expected]
    used = [e.requires_grad for e in expected]
    expected_grads = torch.autograd.grad(
        [e for e, u in zip(expected, used) if u], theirs,
        grad_outputs=[torch.from_numpy(g) for g, u in zip(upstream, used) if u], allow_unused=True,
        create_graph=create_graph,
    )
    grads = tg.grad([o for o, u in zip(out, used) if u], ours,
                    grad_outputs=[tg.tensor(g) for g, u in zip(upstream, used) if u], allow_unused=True,
                    create_graph=create_graph)
    return ours, theirs, grads, expected_grads, rng


def _assert_grads_match(grads: tuple, expected_grads: tuple, inputs: list, what: str) -> None:
    for i, (g, e) in enumerate(zip(grads, expected_grads)):
        if e is None:
            assert g is None or np.all(g.numpy() == 0), f"{what} of input {i}: torch gives none"
            continue
        assert g is not None, f"{what} of input {i}: missing"
        assert g.shape == inputs[i].shape and g.dtype == np.float64
        np.testing.assert_allclose(g.numpy(), e.detach().numpy(), rtol=1e-7, atol=1e-10,
                                   err_msg=f"{what} of input {i}")


@pytest.mark.parametrize("tg_fn, torch_fn, inputs", ALL_CASES)
def test_matches_torch(tg_fn, torch_fn, inputs, request):
    ours, _, grads, expected_grads, _ = _run_both(tg_fn, torch_fn, inputs, request.node.callspec.id, False)
    _assert_grads_match(grads, expected_grads, ours, "gradient")


@pytest.mark.parametrize("tg_fn, torch_fn, inputs", ALL_CASES)
def test_second_order_matches_torch(tg_fn, torch_fn, inputs, request):
    """Differentiate <first-order gradients, random v> again (a Hessian-vector product) in both."""
    ours, theirs, grads, expected_grads, rng = _run_both(tg_fn, torch_fn, inputs, request.node.callspec.id, True)
    _assert_grads_match(grads, expected_grads, ours, "gradient")
    directions = [rng.standard_normal(x.shape) for x in ours]
    theirs_used = [(e * torch.from_numpy(v)).sum() for e, v in zip(expected_grads, directions)
                   if e is not None and e.requires_grad]
    ours_used = [(g * tg.tensor(v)).sum() for g, v in zip(grads, directions) if g is not None and g.requires_grad]
    if not theirs_used:
        for term in ours_used:  # torch's gradient is constant in the inputs: ours must be too
            second = tg.grad(term, ours, allow_unused=True)
            assert all(s is None or np.all(s.numpy() == 0) for s in second)
        return
    expected_second = torch.autograd.grad(sum(theirs_used), theirs, allow_unused=True)
    if not ours_used:  # ours is constant in the inputs (e.g. g * sign(x)): torch's must vanish
        assert all(e is None or not e.any() for e in expected_second), "first-order gradients not differentiable"
        return
    second = tg.grad(sum(ours_used[1:], ours_used[0]), ours, allow_unused=True)
    _assert_grads_match(second, expected_second, ours, "second-order gradient")


def test_every_case_id_is_unique():
    ids = [p.id for p in ALL_CASES]
    assert len(ids) == len(set(ids))


def test_pow_gradients_at_zero_base_match_torch():
    """First order only: at x = 0 the second derivatives are 0 * inf in the formulas (PyTorch gives NaN)."""
    x = tg.tensor(np.array([0.0, 1.5, 2.0, 0.0]), requires_grad=True)
    y = tg.tensor(np.array([2.0, 0.5, 0.0, 0.0]), requires_grad=True)
    tx, ty = (torch.tensor([0.0, 1.5, 2.0, 0.0], dtype=torch.float64, requires_grad=True),
              torch.tensor([2.0, 0.5, 0.0, 0.0], dtype=torch.float64, requires_grad=True))
    (x ** y).sum().backward()
    (tx ** ty).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy(), rtol=1e-12)
