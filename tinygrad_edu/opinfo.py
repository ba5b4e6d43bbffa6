"""The op registry: every differentiable op with its input domain and sample shapes.

One `OpInfo` per public operation (in the spirit of PyTorch's OpInfo). The test suite draws inputs
for each entry with hypothesis and gradchecks it (first and second order); `tinygrad-edu gradcheck`
runs the same entries on seeded samples and prints the worst error per op. A meta-test checks that
every `Function` subclass of the engine is reached by some entry.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

import tinygrad_edu as tg

from .gradcheck import jacobians, second_order_function
from .autograd import Function, Tensor, walk_order

Shapes = tuple[tuple[int, ...], ...]

MARGIN = 0.05  # how far inputs keep from kinks and singular points (central differences use eps=1e-6)
GRID = 0.05  # spacing of the value grid used when inputs must be distinct (no ties)


@dataclass(frozen=True)
class OpInfo:
    """A differentiable op as the gradient-check suite sees it.

    `fn(*tensors, **kwargs)` computes the op. `cases` lists fixed (shapes, kwargs) samples; when it is
    empty, shapes are drawn: any shape for one input, mutually broadcastable shapes for several.
    `domains` gives each input's value range, `avoid` the points inputs keep `MARGIN` away from
    (kinks, singularities), `distinct` asks for well-separated values (ties break max-like ops).
    """

    name: str
    fn: Callable[..., Tensor]
    arity: int = 1
    cases: Sequence[tuple[Shapes, dict]] = ()
    kwargs: Sequence[dict] = ({},)
    domains: Sequence[tuple[float, float]] = ((-2.0, 2.0),)
    avoid: tuple[float, ...] = ()
    distinct: bool = False
    second_order: bool = True
    min_dims: int = 0

    def domain(self, i: int) -> tuple[float, float]:
        return self.domains[i] if i < len(self.domains) else self.domains[-1]


def push_away(values: np.ndarray, avoid: Sequence[float], margin: float = MARGIN) -> np.ndarray:
    """Move values closer than `margin` to any point of `avoid` out to that distance."""
    values = np.array(values, dtype=np.float64)
    for point in avoid:
        near = np.abs(values - point) < margin
        values[near] = point + np.where(values[near] >= point, margin, -margin)
    return values


def distinct_values(count: int, low: float, high: float, offset: float, rng: np.random.Generator) -> np.ndarray:
    """`count` values from a grid of spacing GRID in [low, high], all different (no ties)."""
    grid = np.arange(np.ceil(low / GRID), np.floor(high / GRID) + 1) * GRID + offset
    if count > grid.size:
        raise ValueError(f"distinct_values: {count} distinct values do not fit in [{low}, {high}]")
    return rng.permutation(grid)[:count]


def sample_values(info: OpInfo, shapes: Shapes, rng: np.random.Generator) -> list[np.ndarray]:
    """Seeded float64 inputs for one case, respecting the entry's domains, avoid points and ties."""
    arrays = []
    for i, shape in enumerate(shapes):
        low, high = info.domain(i)
        count = int(np.prod(shape))
        if info.distinct:
            values = distinct_values(count, low, high, offset=0.011 * (i + 1), rng=rng)
        else:
            values = push_away(rng.uniform(low, high, count), info.avoid)
        arrays.append(values.reshape(shape))
    return arrays


def drawn_shapes_for_cli(info: OpInfo) -> list[Shapes]:
    """Representative shapes for entries whose shapes the test suite draws."""
    if info.arity == 1:
        return [((),), ((4,),), ((2, 3),)] if info.min_dims == 0 else [((4,),), ((2, 3),)]
    broadcast = [((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2, 2))]
    return [tuple(s[i % len(s)] for i in range(info.arity)) for s in broadcast]


def all_cases(info: OpInfo) -> list[tuple[Shapes, dict]]:
    if info.cases:
        return list(info.cases)
    return [(shapes, kw) for shapes in drawn_shapes_for_cli(info) for kw in info.kwargs]


def _product(shapes: Sequence[Shapes], kwargs: Sequence[dict]) -> list[tuple[Shapes, dict]]:
    return [(s, k) for s, k in itertools.product(shapes, kwargs)]


# -------------------------------------------------------------------------------------------------
# the registry


def _clone_then(update: Callable[[Tensor, Any], None]) -> Callable[..., Tensor]:
    def fn(x: Tensor, value: Tensor) -> Tensor:
        y = x * 1.0
        update(y, value)
        return y

    return fn


def _setitem(y: Tensor, v: Tensor) -> None:
    y[1:3] = v


def _inplace_ops(y: Tensor, v: Tensor) -> None:
    y += v
    y *= v
    y -= v
    y /= v + 3.0


def _dropout(x: Tensor, p: float) -> Tensor:
    tg.manual_seed(1234)  # the same mask for every evaluation, so central differences see one function
    return tg.dropout(x, p, training=True)


_REDUCTION_KWARGS = [{"axis": None}, {"axis": 0}, {"axis": -1, "keepdims": True}, {"axis": (0, 1)}]
_REDUCTION_SHAPES = [((3, 4),), ((2, 3, 4),)]
_POSITIVE = ((0.2, 3.0),)

REGISTRY: list[OpInfo] = [
    # arithmetic
    OpInfo("add", lambda x, y: x + y, arity=2),
    OpInfo("sub", lambda x, y: x - y, arity=2),
    OpInfo("mul", lambda x, y: x * y, arity=2),
    OpInfo("div", lambda x, y: x / y, arity=2, domains=((-2.0, 2.0), (0.5, 2.0))),
    OpInfo("remainder", lambda x, y: x % y, arity=2, domains=((3.2, 3.8), (1.5, 1.55))),
    OpInfo("rsub_scalar", lambda x: 1.5 - x),
    OpInfo("rdiv_scalar", lambda x: 2.0 / x, domains=((0.5, 2.0),)),
    OpInfo("pow", lambda x, y: x ** y, arity=2, domains=((0.3, 2.0), (-2.0, 2.0))),
    OpInfo("pow_scalar", lambda x, exponent: x ** exponent, kwargs=[{"exponent": 3}, {"exponent": -1.5},
                                                                   {"exponent": 0.5}], domains=_POSITIVE),
    OpInfo("rpow", lambda x: 2.0 ** x),
    OpInfo("neg", lambda x: -x),
    OpInfo("abs", lambda x: abs(x), avoid=(0.0,)),
    OpInfo("matmul", lambda x, y: x @ y, arity=2, cases=_product(
        [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((2, 2, 3), (3, 4)),
         ((2, 1, 2, 3), (3, 3, 2)), ((3,), (2, 3, 4))], [{}])),
    OpInfo("dot", lambda x, y: tg.dot(x, y), arity=2, cases=_product([((4,), (4,)), ((2, 3), (3, 2))], [{}])),
    # elementwise
    OpInfo("exp", lambda x: x.exp()),
    OpInfo("log", lambda x: x.log(), domains=_POSITIVE),
    OpInfo("log1p", lambda x: x.log1p(), domains=((-0.7, 2.0),)),
    OpInfo("sinh_cosh_expm1", lambda x: x.sinh() + x.cosh() * 2.0 + x.expm1() * 3.0),
    OpInfo("log2_log10", lambda x: x.log2() + x.log10() * 2.0, domains=((0.2, 3.0),)),
    OpInfo("sqrt", lambda x: x.sqrt(), domains=_POSITIVE),
    OpInfo("rsqrt", lambda x: x.rsqrt(), domains=_POSITIVE),
    OpInfo("sin", lambda x: x.sin()),
    OpInfo("cos", lambda x: x.cos()),
    OpInfo("tanh", lambda x: x.tanh()),
    OpInfo("sigmoid", lambda x: x.sigmoid(), domains=((-5.0, 5.0),)),
    OpInfo("relu", lambda x: x.relu(), avoid=(0.0,)),
    OpInfo("leaky_relu", lambda x, negative_slope: x.leaky_relu(negative_slope),
           kwargs=[{"negative_slope": 0.01}, {"negative_slope": 0.2}], avoid=(0.0,)),
    OpInfo("elu", lambda x, alpha: x.elu(alpha), kwargs=[{"alpha": 1.0}, {"alpha": 0.5}], avoid=(0.0,)),
    OpInfo("gelu", lambda x, approximate: x.gelu(approximate),
           kwargs=[{"approximate": "none"}, {"approximate": "tanh"}], domains=((-3.0, 3.0),)),
    OpInfo("erf", lambda x: x.erf()),
    OpInfo("softplus", lambda x, beta, threshold: x.softplus(beta, threshold),
           kwargs=[{"beta": 1.0, "threshold": 20.0}, {"beta": 2.0, "threshold": 3.0}], avoid=(1.5,)),
    OpInfo("clip", lambda x: x.clip(-0.5, 0.5), avoid=(-0.5, 0.5), domains=((-1.0, 1.0),)),
    OpInfo("clip_tensor_bounds", lambda x, low, high: x.clip(low, high - 2.0), arity=3, distinct=True,
           domains=((-2.0, 2.0), (-2.0, 2.0), (0.5, 4.0))),
    OpInfo("maximum", lambda x, y: x.maximum(y), arity=2, distinct=True),
    OpInfo("minimum", lambda x, y: x.minimum(y), arity=2, distinct=True),
    OpInfo("where", lambda x, y: tg.where(x > y, x * 2.0, y.sin()), arity=2, distinct=True),
    # reductions
    OpInfo("sum", lambda x, **kw: x.sum(**kw), cases=_product(_REDUCTION_SHAPES + [((5,),)], [{"axis": None}])
           + _product(_REDUCTION_SHAPES, _REDUCTION_KWARGS)),
    OpInfo("mean", lambda x, **kw: x.mean(**kw), cases=_product(_REDUCTION_SHAPES, _REDUCTION_KWARGS)),
    OpInfo("var", lambda x, **kw: x.var(**kw), cases=_product(
        _REDUCTION_SHAPES, [{"axis": None}, {"axis": 1, "ddof": 1}, {"axis": (0, 1), "keepdims": True}])),
    OpInfo("std", lambda x, **kw: x.std(**kw), cases=_product(
        _REDUCTION_SHAPES, [{"axis": None}, {"axis": 1, "ddof": 1}, {"axis": -1}]), distinct=True),
    OpInfo("max", lambda x, **kw: x.max(**kw), cases=_product(_REDUCTION_SHAPES, _REDUCTION_KWARGS), distinct=True),
    OpInfo("min", lambda x, **kw: x.min(**kw), cases=_product(_REDUCTION_SHAPES, _REDUCTION_KWARGS), distinct=True),
    OpInfo("prod", lambda x, **kw: x.prod(**kw), cases=_product(
        [((3, 4),), ((2, 3, 2),)], [{"axis": None}, {"axis": 0}, {"axis": -1, "keepdims": True}]),
        domains=((0.5, 1.5),)),
    OpInfo("prod_with_zero", lambda x: (x * tg.tensor([1.0, 0.0, 1.0], dtype=np.float64)).prod(axis=-1),
           cases=[(((2, 3),), {})]),
    OpInfo("logsumexp", lambda x, **kw: x.logsumexp(**kw), cases=_product(_REDUCTION_SHAPES, _REDUCTION_KWARGS)),
    # norms have a kink at zero (|x|): inputs kept away from it, except the zero row made on purpose
    OpInfo("norm", lambda x, **kw: x.norm(**kw), cases=_product(
        [((3, 4),)], [{}, {"axis": 1}, {"axis": 0, "keepdims": True}, {"p": 1, "axis": 1}, {"p": 3}]),
        domains=((0.5, 1.5),)),
    OpInfo("norm_of_zero", lambda x: (x * tg.tensor([[0.0, 0.0], [1.0, 1.0]], dtype=np.float64)).norm(axis=1),
           cases=[(((2, 2),), {})], domains=((0.5, 1.5),)),
    OpInfo("cumsum", lambda x, **kw: x.cumsum(**kw), cases=_product(
        [((3, 4),), ((2, 3, 2),)], [{"axis": 0}, {"axis": -1}, {"axis": None}])),
    # shape
    OpInfo("reshape", lambda x: x.reshape(-1, 2), cases=_product([((2, 3),), ((4, 2, 1),)], [{}])),
    OpInfo("flatten", lambda x: x.flatten(1), cases=_product([((2, 3, 2),)], [{}])),
    OpInfo("transpose", lambda x: x.transpose(0, 1), cases=_product([((2, 3),), ((2, 3, 4),)], [{}])),
    OpInfo("T", lambda x: x.T, cases=_product([((2, 3),), ((2, 3, 4),)], [{}])),
    OpInfo("permute", lambda x: x.permute(2, 0, 1), cases=_product([((2, 3, 4),)], [{}])),
    OpInfo("squeeze_unsqueeze", lambda x: x.squeeze(1).unsqueeze(-1), cases=_product([((3, 1, 2),)], [{}])),
    OpInfo("expand", lambda x: x.expand(2, -1, 3), cases=_product([((4, 1),)], [{}])),
    OpInfo("broadcast_to", lambda x: x.broadcast_to((2, 3, 4)), cases=_product([((3, 1),), ((4,),)], [{}])),
    OpInfo("pad", lambda x: x.pad(((1, 0), (2, 1)), value=0.5), cases=_product([((2, 3),)], [{}])),
    OpInfo("repeat", lambda x, **kw: x.repeat(**kw), cases=_product(
        [((2, 3),)], [{"repeats": 2, "axis": 0}, {"repeats": [1, 0, 2], "axis": 1}, {"repeats": 2}])),
    OpInfo("tile", lambda x, reps: x.tile(reps), cases=_product([((2, 3),)], [{"reps": (2, 1)}, {"reps": 2},
                                                                            {"reps": (2, 1, 2)}])),
    OpInfo("flip", lambda x, **kw: x.flip(**kw), cases=_product([((2, 3),)], [{"axis": 0}, {"axis": None}])),
    OpInfo("tril_triu", lambda x: x.tril(-1) + x.triu(1) * 2.0, cases=_product([((3, 4),), ((2, 3, 3),)], [{}])),
    OpInfo("masked_fill", lambda x: x.masked_fill(np.eye(3, 4, dtype=bool), -1.0), cases=_product([((3, 4),)], [{}])),
    OpInfo("roll_diag", lambda x: x.roll((1, -1), (0, 1)).diag(1) * x[0].diag().trace(), cases=_product([((3, 4),)], [{}])),
    OpInfo("einsum", lambda x, y, equation: tg.einsum(equation, x, y), arity=2, cases=[
        (((2, 3), (3, 4)), {"equation": "ij,jk->ik"}), (((2, 3, 4), (2, 4)), {"equation": "bij,bj->bi"}),
        (((3, 3), (3,)), {"equation": "ii,i->i"}), (((2, 3), (1, 3)), {"equation": "ij,ij"}),
        (((2, 3), (4,)), {"equation": "ij,k->"}), (((2, 2, 3), (3, 2)), {"equation": "...ij,jk->...ik"})]),
    OpInfo("adaptive_avg_pool2d", lambda x: tg.nn.functional.adaptive_avg_pool2d(x, (3, 2)),
           cases=_product([((1, 2, 5, 4),)], [{}])),
    OpInfo("outer_mm", lambda x, y: x.outer(y).mm(x.outer(y).t()), arity=2, cases=_product([((3,), (4,))], [{}])),
    OpInfo("cat", lambda x, y: tg.cat([x, y, x], axis=1), arity=2, cases=_product([((2, 3), (2, 1))], [{}])),
    OpInfo("stack", lambda x, y: tg.stack([x, y], axis=1), arity=2, cases=_product([((2, 3), (2, 3))], [{}])),
    OpInfo("split", lambda x: tg.stack(x.split(2, axis=1)[:2], axis=0), cases=_product([((3, 5),)], [{}])),
    OpInfo("chunk", lambda x: x.chunk(3, axis=0)[2] * x.chunk(3, axis=0)[0], cases=_product([((6, 2),)], [{}])),
    OpInfo("astype", lambda x: (x.astype(np.longdouble) * 2.0).astype(np.float64)),
    OpInfo("clone", lambda x: x.clone() * x),
    # indexing
    OpInfo("getitem_basic", lambda x: x[1:, None, ..., ::2], cases=_product([((3, 4),), ((3, 2, 5),)], [{}])),
    OpInfo("getitem_int_array", lambda x: x[np.array([0, 2, 0, 2]), 1:], cases=_product([((3, 4),)], [{}])),
    OpInfo("getitem_bool_mask", lambda x: x[x.data > 0.0], cases=_product([((3, 4),)], [{}]), avoid=(0.0,)),
    OpInfo("gather", lambda x: x.gather(1, np.array([[0, 0], [2, 1], [1, 2]])), cases=_product([((3, 3),)], [{}])),
    OpInfo("index_select", lambda x: x.index_select(0, np.array([2, 0, 2])), cases=_product([((3, 2),)], [{}])),
    OpInfo("scatter", lambda x, src: x.scatter(1, np.array([[2, 0], [1, 0], [0, 2]]), src), arity=2,
           cases=_product([((3, 3), (3, 2))], [{}])),
    OpInfo("index_add", lambda x, src: x.index_add(0, np.array([1, 0, 1]), src, alpha=2.0), arity=2,
           cases=_product([((2, 3), (3, 3))], [{}])),
    OpInfo("setitem", _clone_then(_setitem), arity=2, cases=_product([((4, 3), (2, 3)), ((4, 3), (3,))], [{}])),
    OpInfo("inplace_arithmetic", _clone_then(_inplace_ops), arity=2, cases=_product([((2, 3), (2, 3))], [{}]),
           domains=((-2.0, 2.0), (0.5, 2.0))),
    # neural-net kernels
    OpInfo("softmax", lambda x, axis: x.softmax(axis), cases=_product(_REDUCTION_SHAPES, [{"axis": -1}, {"axis": 0}])),
    OpInfo("log_softmax", lambda x, axis: x.log_softmax(axis),
           cases=_product(_REDUCTION_SHAPES, [{"axis": -1}, {"axis": 0}])),
    OpInfo("conv2d", lambda x, w, b, **kw: tg.conv2d(x, w, b, **kw), arity=3, cases=[
        (((2, 2, 5, 5), (3, 2, 3, 3), (3,)), {}),
        (((1, 2, 6, 5), (2, 2, 3, 2), (2,)), {"stride": 2, "padding": 1}),
        (((1, 1, 7, 7), (2, 1, 3, 3), (2,)), {"dilation": 2, "padding": (1, 2)}),
        (((1, 4, 4, 4), (4, 2, 2, 2), (4,)), {"groups": 2, "stride": (1, 2)}),
        (((1, 2, 4, 4), (2, 2, 3, 3), (2,)), {"padding": "same"}),
    ]),
    OpInfo("linear", lambda x, w, b: tg.linear(x, w, b), arity=3, cases=_product(
        [((4, 3), (2, 3), (2,)), ((2, 2, 3), (4, 3), (4,)), ((3,), (2, 3), (2,))], [{}])),
    OpInfo("linear_no_bias", lambda x, w: tg.linear(x, w), arity=2, cases=_product([((4, 3), (2, 3))], [{}])),
    OpInfo("cross_entropy", lambda x, **kw: tg.ops.cross_entropy(x, np.array([2, 0, 1, 2]), **kw), cases=_product(
        [((4, 3),)], [{}, {"reduction": "sum"}, {"reduction": "none"}, {"ignore_index": 0},
                      {"weight": np.array([0.2, 1.0, 3.0]), "ignore_index": 1}])),
    OpInfo("binary_cross_entropy", lambda x, t: tg.ops.binary_cross_entropy(x, t), arity=2,
           domains=((0.05, 0.95), (0.0, 1.0))),
    OpInfo("unfold", lambda x: tg.ops.unfold(x, (2, 3), stride=(1, 2), padding=1, dilation=(2, 1)),
           cases=_product([((1, 2, 5, 6),)], [{}])),
    OpInfo("fold", lambda x: tg.ops.fold(x, (4, 5), 2, stride=(2, 1), padding=(0, 1)),
           cases=_product([((2, 8, 12),)], [{}])),
    OpInfo("max_pool2d", lambda x, **kw: tg.max_pool2d(x, **kw), distinct=True, cases=_product(
        [((1, 2, 4, 4),), ((2, 1, 5, 7),)], [{"kernel_size": 2}, {"kernel_size": (2, 3)},
                                             {"kernel_size": 3, "stride": 1, "padding": 1},
                                             {"kernel_size": (2, 3), "stride": (2, 1)}])),
    OpInfo("avg_pool2d", lambda x, **kw: tg.avg_pool2d(x, **kw), cases=_product(
        [((1, 2, 4, 4),)], [{"kernel_size": 2}, {"kernel_size": 3, "stride": 1, "padding": 1}])),
    OpInfo("dropout", _dropout, cases=_product([((4, 5),)], [{"p": 0.3}, {"p": 0.0}])),
]

REGISTRY_BY_NAME = {info.name: info for info in REGISTRY}


def engine_functions() -> set[type]:
    """Every Function subclass defined by the engine (the registry must reach all of them)."""
    found, stack = set(), list(Function.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("tinygrad_edu.") and not cls.__module__.startswith(("tinygrad_edu.nn",
                                                                                          "tinygrad_edu.optim")):
            found.add(cls)
    return found


def graph_functions(outputs: Sequence[Tensor]) -> set[type]:
    """The Function classes of all nodes reachable from `outputs`."""
    return {node.op for node in walk_order([o for o in outputs if isinstance(o, Tensor)])}


def make_inputs(info: OpInfo, shapes: Shapes, rng: np.random.Generator) -> list[Tensor]:
    return [Tensor(values, requires_grad=True, dtype=np.float64) for values in sample_values(info, shapes, rng)]


def bind(info: OpInfo, kwargs: dict) -> Callable[..., Tensor]:
    return lambda *tensors: info.fn(*tensors, **kwargs)


def worst_errors(info: OpInfo, seed: int = 0, second_order: bool = True) -> tuple[float, float, bool]:
    """Largest |analytic - numerical| over all cases (first and second order) and the verdict
    with gradcheck's default tolerances."""
    rng = np.random.default_rng(seed)
    worst = [0.0, 0.0]
    passed = True
    for shapes, kwargs in all_cases(info):
        fn = bind(info, kwargs)
        inputs = make_inputs(info, shapes, rng)
        orders = [(0, fn, inputs)]
        if second_order and info.second_order:
            vjp, all_inputs = second_order_function(fn, inputs, seed=seed)
            orders.append((1, vjp, all_inputs))
        for order, f, ins in orders:
            for _, _, analytic, numerical in jacobians(f, ins):
                err = np.abs(analytic - numerical)
                if err.size:
                    worst[order] = max(worst[order], float(err.max()))
                    passed &= bool(np.all((err <= 1e-5 + 1e-3 * np.abs(numerical)) | (analytic == numerical)))
    return worst[0], worst[1], passed
