"""jvp's fast path: when its result need not be differentiated with respect to the primals, the
first vjp is recorded with forward's saved values as constants (`autograd.saved_as_constants`).
The tangents must stay exact (central differences, torch.func), nested transforms must stay exact
to second order, and the recorded backward must hold no forward node."""

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.autograd.functional as AF
from tinygrad_edu import func
from tinygrad_edu.autograd import grad, saved_as_constants, walk_order
from tinygrad_edu.func import transforms

RNG = np.random.default_rng(11)
EPS = 1e-6


class CubeTimes(tg.Function):
    """x^3 * y, its backward reading saved inputs, the saved output and ctx metadata."""

    @staticmethod
    def forward(ctx, x, y):
        out = x ** 3 * y
        ctx.save_for_backward(x, y, out)
        ctx.power = 3
        return out

    @staticmethod
    def backward(ctx, g):
        x, y, out = ctx.saved_tensors
        return g * ctx.power * out / x, g * x ** ctx.power


def product_of_primals(ops, x, y):
    return x * y * x


def powers(ops, x, y):
    return x ** 3 + x ** y


def quotient(ops, x, y):
    return x / (y * y + 1.0) - y / x


def matmul(ops, x, w):
    return (w @ x).tanh() @ w


def softmax(ops, x, y):
    return (x * y).softmax(-1)


def conv(ops, x, w):
    return ops.conv2d(x.reshape(1, 1, 4, 4), w.reshape(1, 1, 2, 2)).tanh()


def tanh_chain(ops, x, y):
    for _ in range(12):
        x = (x * 1.1 + 0.1).tanh() * y
    return x


def user_function(ops, x, y):
    return CubeTimes.apply(x, y)


POSITIVE = RNG.uniform(0.5, 2.0, 4)
CASES = {  # name: (function, primals, whether torch can run it)
    "product_of_primals": (product_of_primals, (RNG.standard_normal(4), RNG.standard_normal(4)), True),
    "powers": (powers, (POSITIVE, RNG.standard_normal(4)), True),
    "quotient": (quotient, (POSITIVE, RNG.standard_normal(4)), True),
    "matmul": (matmul, (RNG.standard_normal(4), RNG.standard_normal((3, 4))), True),
    "softmax": (softmax, (RNG.standard_normal(4), RNG.standard_normal(4)), True),
    "conv": (conv, (RNG.standard_normal(16), RNG.standard_normal(4)), True),
    "tanh_chain": (tanh_chain, (RNG.standard_normal(4), RNG.uniform(0.5, 1.5, 4)), True),
    "user_function": (user_function, (POSITIVE, RNG.standard_normal(4)), False),
}


def tangents_for(primals):
    return tuple(np.random.default_rng(5).standard_normal(np.shape(p)) for p in primals)


def central_difference(f, primals, tangents):
    def at(step):
        return f(tg, *[tg.tensor(p + step * t) for p, t in zip(primals, tangents)]).numpy()

    return (at(EPS) - at(-EPS)) / (2 * EPS)


@pytest.mark.parametrize("name", CASES)
def test_jvp_equals_central_differences(name):
    f, primals, _ = CASES[name]
    tangents = tangents_for(primals)
    out, tangent_out = func.jvp(lambda *p: f(tg, *p), tuple(tg.tensor(p) for p in primals),
                                tuple(tg.tensor(t) for t in tangents))
    np.testing.assert_allclose(out.numpy(), f(tg, *[tg.tensor(p) for p in primals]).numpy(), rtol=1e-12)
    np.testing.assert_allclose(tangent_out.numpy(), central_difference(f, primals, tangents), rtol=1e-6, atol=1e-8)
    assert not tangent_out.requires_grad


@pytest.mark.parametrize("name", [name for name, case in CASES.items() if case[2]])
def test_jvp_equals_torch_func(name):
    torch = pytest.importorskip("torch")
    f, primals, _ = CASES[name]
    tangents = tangents_for(primals)
    _, mine = func.jvp(lambda *p: f(tg, *p), tuple(tg.tensor(p) for p in primals),
                       tuple(tg.tensor(t) for t in tangents))
    _, theirs = torch.func.jvp(lambda *p: f(torch.nn.functional, *p), tuple(torch.tensor(p) for p in primals),
                               tuple(torch.tensor(t) for t in tangents))
    np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------------------------
# nested uses keep the full graph: exact second derivatives

X, Y, W = RNG.standard_normal(4), RNG.standard_normal(4), RNG.standard_normal((3, 4))


def scalar_fn(x):
    return (x ** 3 * tg.tensor(Y)).sum() + x.sum() ** 2 + (tg.tensor(W) @ x).tanh().sum()


def exact_hessian(x):
    """Of scalar_fn, by hand: diag(6 x y) + 2 (all ones) + sum_k -2 t_k (1 - t_k^2) w_k w_k^T."""
    t = np.tanh(W @ x)
    return np.diag(6 * x * Y) + 2.0 + (W.T * (-2 * t * (1 - t * t))) @ W


def exact_gradient(x):
    return 3 * x * x * Y + 2 * x.sum() + W.T @ (1 - np.tanh(W @ x) ** 2)


@pytest.mark.parametrize("hessian", [func.hessian, lambda f: func.jacrev(func.jacfwd(f))],
                         ids=["jacfwd_of_jacrev", "jacrev_of_jacfwd"])
def test_nested_hessians_stay_exact(hessian):
    np.testing.assert_allclose(hessian(scalar_fn)(tg.tensor(X)).numpy(), exact_hessian(X), rtol=1e-10, atol=1e-12)


def test_hessian_stays_exact_inside_saved_as_constants():
    """A transform switches the mode off for its own passes (here: jacrev inside jacfwd)."""
    with saved_as_constants():
        result = func.hessian(scalar_fn)(tg.tensor(X))
    np.testing.assert_allclose(result.numpy(), exact_hessian(X), rtol=1e-10, atol=1e-12)


def test_jvp_of_tensors_that_require_grad_backpropagates_second_derivatives():
    """d(grad f . v)/dx = H v and d(grad f . v)/dv = grad f."""
    v = RNG.standard_normal(4)
    x_t, v_t = tg.tensor(X, requires_grad=True), tg.tensor(v, requires_grad=True)
    _, tangent = func.jvp(scalar_fn, (x_t,), (v_t,))
    assert tangent.requires_grad
    tangent.backward()
    np.testing.assert_allclose(x_t.grad.numpy(), exact_hessian(X) @ v, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(v_t.grad.numpy(), exact_gradient(X), rtol=1e-10, atol=1e-12)


def test_autograd_functional_jvp_fast_unless_create_graph():
    """torch.autograd.functional.jvp: the fast path without create_graph, exact second derivatives with it."""
    v = RNG.standard_normal(4)
    _, plain = AF.jvp(scalar_fn, tg.tensor(X), tg.tensor(v))
    np.testing.assert_allclose(plain.numpy(), exact_gradient(X) @ v, rtol=1e-10)
    x_t = tg.tensor(X, requires_grad=True)
    _, tangent = AF.jvp(scalar_fn, x_t, tg.tensor(v), create_graph=True)
    tangent.backward()
    np.testing.assert_allclose(x_t.grad.numpy(), exact_hessian(X) @ v, rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------------------------
# what the fast path records


def chain(x, n_ops):
    """mul, add, tanh, mul, repeated: one backward op per mul and per tanh, none for add."""
    for i in range(n_ops):
        x = [lambda y: y * 1.01, lambda y: y + 0.1, lambda y: y.tanh(), lambda y: y * 0.99][i % 4](x)
    return x


def test_backward_recorded_with_saved_constants_holds_no_forward_node():
    n_ops = 40
    x = tg.tensor(RNG.standard_normal(8), requires_grad=True)
    out = chain(x, n_ops)
    u = tg.tensor(np.zeros(8), requires_grad=True)
    forward_nodes = set(walk_order([out]))
    assert len(forward_nodes) == n_ops
    with saved_as_constants():
        (linear,) = grad(out, x, u, create_graph=True)
    recorded = walk_order([linear])
    assert not forward_nodes & set(recorded)
    assert len(recorded) == 3 * n_ops // 4
    (full,) = grad(out, x, u, create_graph=True)  # without the mode: TanhBackward takes tanh's output
    assert {node for node in forward_nodes if node.name() == "Tanh"} <= set(walk_order([full]))


def test_saved_inputs_and_output_reach_backward_as_constants():
    """Mul saves both inputs, exp its output: under the mode the gradients depend on u alone, with
    the values of the full path."""
    x, y = (tg.tensor(RNG.standard_normal(5), requires_grad=True) for _ in range(2))
    out = (x * y).exp()
    u = tg.tensor(RNG.standard_normal(5), requires_grad=True)
    forward_nodes = set(walk_order([out]))
    with saved_as_constants():
        fast = grad(out, (x, y), u, create_graph=True)
    full = grad(out, (x, y), u, create_graph=True)
    for g, reference in zip(fast, full):
        np.testing.assert_array_equal(g.numpy(), reference.numpy())
        nodes = walk_order([g])
        assert not forward_nodes & set(nodes)
        assert {id(p) for node in nodes for p in node.parents if isinstance(p, tg.Tensor)} == {id(u)}


def test_jvp_walks_only_the_linear_backward_unless_its_result_needs_a_graph(monkeypatch):
    """The double-vjp construction (forced here: a top-level jvp without a graph runs dual numbers)."""
    monkeypatch.setattr(transforms, "dual_numbers_serve", lambda leaves: False)
    n_ops = 40
    graphs = []  # the nodes reachable from the outputs of each vjp jvp runs: forward graph, then J^T u's
    engine_vjp = transforms.vjp_leaves
    monkeypatch.setattr(transforms, "vjp_leaves",
                        lambda outputs, *rest, **kw: graphs.append(walk_order(outputs)) or engine_vjp(outputs, *rest, **kw))
    walked = {}
    for requires_grad in (False, True):
        graphs.clear()
        primal = tg.tensor(RNG.standard_normal(8), requires_grad=requires_grad)
        func.jvp(lambda y: chain(y, n_ops), (primal,), (tg.tensor(RNG.standard_normal(8)),))
        _, transposed = graphs
        walked[requires_grad] = len(transposed)
    assert walked[False] == 3 * n_ops // 4
    assert walked[True] >= 3 * n_ops // 4 + n_ops  # the full path: J^T u reaches back into the forward graph


def test_saved_as_constants_restores_what_it_replaced():
    from tinygrad_edu.autograd.mode import state

    assert not state.saved_as_constants
    with saved_as_constants():
        with saved_as_constants(False):
            assert not state.saved_as_constants
        assert state.saved_as_constants
    assert not state.saved_as_constants
