"""The transforms on every op of the registry (tinygrad_edu/opinfo.py): the Hessian of each twice
differentiable op against central differences of the engine's own gradient, and jvp/vjp of every
op on hypothesis-drawn cases against central differences of the op."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import func
from tinygrad_edu.opinfo import REGISTRY, all_cases, bind, make_inputs

# in-place writes and boolean masks (setitem, scatter, index_add, x[mask]) run once per basis vector
# under the Jacobians' vmap, with a warning that is expected here (tests/test_func_op_rules.py)
pytestmark = pytest.mark.filterwarnings("ignore::tinygrad_edu.func.BatchingFallbackWarning")
EPS = 1e-6
TWICE_DIFFERENTIABLE = [info for info in REGISTRY if info.second_order and info.name != "dropout"]
DIFFERENTIABLE = [info for info in REGISTRY if info.name != "dropout"]


def weighted_sum(info, kwargs, inputs, rng):
    """The op as a scalar function: its output weighted by fixed random numbers, summed."""
    fn = bind(info, kwargs)
    weights = tg.tensor(rng.standard_normal(fn(*inputs).shape))
    return lambda *xs: (fn(*xs) * weights).sum()


def engine_gradient(f, arrays):
    xs = [tg.tensor(a, requires_grad=True) for a in arrays]
    grads = tg.grad(f(*xs), xs, allow_unused=True)
    return [np.zeros(a.shape) if g is None else g.numpy() for g, a in zip(grads, arrays)]


@pytest.mark.parametrize("info", TWICE_DIFFERENTIABLE, ids=lambda info: info.name)
def test_hessian_of_every_twice_differentiable_op(info):
    rng = np.random.default_rng(0)
    shapes, kwargs = all_cases(info)[0]
    inputs = [x.detach() for x in make_inputs(info, shapes, rng)]
    f = weighted_sum(info, kwargs, inputs, rng)
    numbers = tuple(range(len(inputs)))
    hessian = func.hessian(f, argnums=numbers)(*inputs)
    arrays = [x.numpy() for x in inputs]
    u = [rng.standard_normal(a.shape) for a in arrays]
    v = [rng.standard_normal(a.shape) for a in arrays]
    plus = engine_gradient(f, [a + EPS * d for a, d in zip(arrays, u)])
    minus = engine_gradient(f, [a - EPS * d for a, d in zip(arrays, u)])
    expected = sum(((p - m) / (2 * EPS) * w).sum() for p, m, w in zip(plus, minus, v))  # v^T H u
    measured = sum((hessian[i][j].numpy().reshape(v[i].size, u[j].size) @ u[j].reshape(-1) @ v[i].reshape(-1))
                   for i in numbers for j in numbers)
    np.testing.assert_allclose(measured, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("info", DIFFERENTIABLE, ids=lambda info: info.name)
@settings(max_examples=3)
@given(seed=st.integers(0, 2 ** 32 - 1))
def test_jvp_and_vjp_of_every_op_match_central_differences(info, seed):
    """Forward mode by double vjp needs each backward to be linear in its incoming gradient, and
    differentiable in it: this checks that for every op, on drawn cases and inputs."""
    rng = np.random.default_rng(seed)
    cases = all_cases(info)
    shapes, kwargs = cases[rng.integers(len(cases))]
    inputs = [x.detach() for x in make_inputs(info, shapes, rng)]
    fn = bind(info, kwargs)
    arrays = [x.numpy() for x in inputs]
    tangents = [rng.standard_normal(a.shape) for a in arrays]
    output, jv = func.jvp(fn, tuple(inputs), tuple(tg.tensor(t) for t in tangents))
    plus = fn(*[tg.tensor(a + EPS * t) for a, t in zip(arrays, tangents)]).numpy()
    minus = fn(*[tg.tensor(a - EPS * t) for a, t in zip(arrays, tangents)]).numpy()
    np.testing.assert_allclose(jv.numpy(), (plus - minus) / (2 * EPS), rtol=1e-4, atol=1e-5)
    cotangent = rng.standard_normal(output.shape)
    _, vjp_fn = func.vjp(fn, *inputs)
    # <vjp(c), t> = <c, jvp(t)>: the two modes agree on the same products
    lhs = sum((g.numpy() * t).sum() for g, t in zip(vjp_fn(tg.tensor(cotangent)), tangents))
    np.testing.assert_allclose(lhs, (cotangent * jv.numpy()).sum(), rtol=1e-9, atol=1e-9)
