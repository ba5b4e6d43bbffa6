"""tinygrad_edu.func's autodiff transforms against central differences (no PyTorch needed), and
their rules: argnums, has_aux, pytrees, nesting, errors."""

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.autograd.functional as AF
from tinygrad_edu import func

RNG = np.random.default_rng(3)
X, Y, W = RNG.standard_normal(4), RNG.standard_normal(4), RNG.standard_normal((3, 4))
EPS = 1e-6


def numerical_jacobian(f, arrays, wrt):
    """d f(arrays) / d arrays[wrt] by central differences, shape output shape + input shape."""
    base = [np.array(a, dtype=np.float64) for a in arrays]
    out_shape = np.shape(f(*[tg.tensor(a) for a in base]).numpy())
    jac = np.zeros((int(np.prod(out_shape)), base[wrt].size))
    for k in range(base[wrt].size):
        plus, minus = [a.copy() for a in base], [a.copy() for a in base]
        plus[wrt].reshape(-1)[k] += EPS
        minus[wrt].reshape(-1)[k] -= EPS
        diff = f(*[tg.tensor(a) for a in plus]).numpy() - f(*[tg.tensor(a) for a in minus]).numpy()
        jac[:, k] = np.reshape(diff, -1) / (2 * EPS)
    return jac.reshape(out_shape + base[wrt].shape)


def close(a, b):
    np.testing.assert_allclose(a.numpy() if isinstance(a, tg.Tensor) else a, b, rtol=1e-5, atol=1e-6)


def scalar_fn(x, y):
    return (x.sin() * y).sum() * (x * y).exp().mean()


def vector_fn(x, w):
    return (w @ x).tanh() * x[:3]


def test_grad_with_argnums_int_and_tuple():
    close(func.grad(scalar_fn)(tg.tensor(X), tg.tensor(Y)), numerical_jacobian(scalar_fn, (X, Y), 0))
    gy, gx = func.grad(scalar_fn, argnums=(1, 0))(tg.tensor(X), tg.tensor(Y))
    close(gx, numerical_jacobian(scalar_fn, (X, Y), 0))
    close(gy, numerical_jacobian(scalar_fn, (X, Y), 1))


def test_grad_and_value_with_aux():
    def f(x):
        return (x * x).sum(), {"double": x * 2}

    gradient, (value, aux) = func.grad_and_value(f, has_aux=True)(tg.tensor(X))
    close(gradient, 2 * X)
    close(value, (X * X).sum())
    close(aux["double"], 2 * X)
    assert not gradient.requires_grad and not value.requires_grad


def test_grad_of_a_pytree_argument_keeps_its_structure():
    def f(p):
        return (p["w"] @ p["xs"][0]).sum() + p["xs"][1].sum()

    g = func.grad(f)({"w": tg.tensor(W), "xs": [tg.tensor(X), tg.tensor(Y)]})
    assert list(g) == ["w", "xs"] and isinstance(g["xs"], list)
    close(g["w"], np.broadcast_to(X, W.shape))
    close(g["xs"][0], W.sum(0))
    close(g["xs"][1], np.ones(4))


def test_grad_of_grad_is_the_second_derivative():
    third = func.grad(lambda x: func.grad(lambda y: (y ** 4).sum())(x).sum())(tg.tensor(X))
    close(third, 12 * X ** 2)


def test_vjp_jvp_and_jacobians_agree_with_central_differences():
    jac = numerical_jacobian(vector_fn, (X, W), 0)
    out, vjp_fn = func.vjp(vector_fn, tg.tensor(X), tg.tensor(W))
    (gx, gw) = vjp_fn(tg.tensor(np.ones(3)))
    close(gx, jac.sum(0))
    close(gw, numerical_jacobian(vector_fn, (X, W), 1).sum(0))
    out, tangent = func.jvp(vector_fn, (tg.tensor(X), tg.tensor(W)), (tg.tensor(Y), tg.zeros(3, 4, dtype=np.float64)))
    close(tangent, jac @ Y)
    close(func.jacrev(vector_fn)(tg.tensor(X), tg.tensor(W)), jac)
    close(func.jacfwd(vector_fn)(tg.tensor(X), tg.tensor(W)), jac)
    jx, jw = func.jacfwd(vector_fn, argnums=(0, 1))(tg.tensor(X), tg.tensor(W))
    close(jw, numerical_jacobian(vector_fn, (X, W), 1))


def test_hessian_is_the_jacobian_of_the_gradient():
    grad_fn = func.grad(scalar_fn)
    expected = numerical_jacobian(lambda x, y: grad_fn(x, y), (X, Y), 0)
    close(func.hessian(scalar_fn)(tg.tensor(X), tg.tensor(Y)), expected)
    ((hxx, hxy), (hyx, hyy)) = func.hessian(scalar_fn, argnums=(0, 1))(tg.tensor(X), tg.tensor(Y))
    close(hxy, numerical_jacobian(lambda x, y: grad_fn(x, y), (X, Y), 1))
    close(hyx, hxy.numpy().T)


def test_jvp_costs_two_backward_passes_whatever_the_output_size(monkeypatch):
    """Forward mode by double vjp (the way under vmap and nested transforms, forced here): one jvp
    is two backward passes of the engine, not one backward per output element; a top-level jvp by
    dual numbers runs none."""
    from tinygrad_edu.func import differentiate, transforms

    calls = []
    engine_grad = differentiate.grad
    monkeypatch.setattr(differentiate, "grad", lambda *a, **k: calls.append(1) or engine_grad(*a, **k))

    def chain(x):
        for _ in range(20):
            x = (x * 1.1).sin()
        return x

    dual_numbers_serve = transforms.dual_numbers_serve
    for double_vjp, backward_passes in ((False, 0), (True, 2)):
        monkeypatch.setattr(transforms, "dual_numbers_serve",
                            (lambda leaves: False) if double_vjp else dual_numbers_serve)
        for n in (2, 200):
            calls.clear()
            x, v = RNG.uniform(-1, 1, n), RNG.uniform(-1, 1, n)
            _, tangent = func.jvp(chain, (tg.tensor(x),), (tg.tensor(v),))
            assert len(calls) == backward_passes
            close(tangent, (chain(tg.tensor(x + EPS * v)).numpy() - chain(tg.tensor(x - EPS * v)).numpy()) / (2 * EPS))


def test_results_stay_differentiable_when_the_inputs_require_grad():
    x = tg.tensor(X, requires_grad=True)
    g = func.grad(lambda a: (a ** 3).sum())(x)
    assert g.requires_grad
    (gg,) = tg.grad(g.sum(), [x])
    close(gg, 6 * X)


def test_same_tensor_passed_twice_gives_separate_variables():
    x = tg.tensor(X)
    ((haa, hab), _) = func.hessian(lambda a, b: (a * b).sum(), argnums=(0, 1))(x, x)
    close(haa, np.zeros((4, 4)))
    close(hab, np.eye(4))


def test_unused_argument_gets_zero_gradient():
    close(func.grad(lambda a, b: a.sum(), argnums=1)(tg.tensor(X), tg.tensor(Y)), np.zeros(4))


def test_errors_name_the_problem():
    with pytest.raises(RuntimeError, match="scalar"):
        func.grad(lambda a: a * 2)(tg.tensor(X))
    with pytest.raises(ValueError, match="argnums 2 is out of range"):
        func.grad(scalar_fn, argnums=2)(tg.tensor(X), tg.tensor(Y))
    with pytest.raises(TypeError, match="dtype int64"):
        func.grad(lambda a: a.sum())(tg.tensor([1, 2]))
    with pytest.raises(ValueError, match="pair"):
        func.grad(lambda a: a.sum(), has_aux=True)(tg.tensor(X))
    with pytest.raises(ValueError, match="same length"):
        func.jvp(lambda a: a, (tg.tensor(X),), ())


def test_functional_call_swaps_parameters_and_restores_them():
    from tinygrad_edu import nn

    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2))
    original = {name: p for name, p in model.named_parameters()}
    params = {name: p.detach() * 2 for name, p in model.named_parameters()}
    x = tg.tensor(X.astype(np.float32))
    h = (x @ params["0.weight"].T + params["0.bias"]).tanh()
    close(func.functional_call(model, params, (x,)), (h @ params["2.weight"].T + params["2.bias"]).numpy())
    assert all(p is original[name] for name, p in model.named_parameters())
    grads = func.grad(lambda p: func.functional_call(model, p, (x,)).sum())(params)
    assert set(grads) == set(params) and grads["0.weight"].shape == (3, 4)
    with pytest.raises(KeyError, match="no parameter or buffer 'nope'"):
        func.functional_call(model, {"nope": x}, (x,))


# ----------------------------------------------------------------------------------------------
# tinygrad_edu.autograd.functional without torch


def test_autograd_functional_jacobian_hessian_and_products():
    jac = numerical_jacobian(vector_fn, (X, W), 0)
    jx, jw = AF.jacobian(vector_fn, (tg.tensor(X), tg.tensor(W)))
    close(jx, jac)
    close(AF.jacobian(vector_fn, (tg.tensor(X), tg.tensor(W)), vectorize=True)[0], jac)
    close(AF.jacobian(vector_fn, (tg.tensor(X), tg.tensor(W)), vectorize=True, strategy="forward-mode")[0], jac)
    hess = numerical_jacobian(func.grad(lambda x: scalar_fn(x, tg.tensor(Y))), (X,), 0)
    close(AF.hessian(lambda x: scalar_fn(x, tg.tensor(Y)), tg.tensor(X)), hess)
    _, hv = AF.hvp(lambda x: scalar_fn(x, tg.tensor(Y)), tg.tensor(X), tg.tensor(Y))
    close(hv, hess @ Y)
    _, vh = AF.vhp(lambda x: scalar_fn(x, tg.tensor(Y)), tg.tensor(X), tg.tensor(Y))
    close(vh, Y @ hess)
    _, jv = AF.jvp(lambda x: vector_fn(x, tg.tensor(W)), tg.tensor(X), tg.tensor(Y))
    close(jv, jac @ Y)
    _, vj = AF.vjp(lambda x: vector_fn(x, tg.tensor(W)), tg.tensor(X), tg.tensor(np.ones(3)))
    close(vj, jac.sum(0))


def test_autograd_functional_strict_and_v_errors():
    with pytest.raises(RuntimeError, match="does not depend on input 1"):
        AF.vjp(lambda a, b: a.sum(), (tg.tensor(X), tg.tensor(Y)), strict=True)
    with pytest.raises(RuntimeError, match="v can be omitted only"):
        AF.vjp(lambda a: a * 2, tg.tensor(X))
    with pytest.raises(RuntimeError, match="strict=True is not supported with vectorize=True"):
        AF.jacobian(lambda a: a, tg.tensor(X), strict=True, vectorize=True)


def test_jacrev_in_chunks_equals_all_at_once():
    whole = func.jacrev(vector_fn)(tg.tensor(X), tg.tensor(W))
    close(func.jacrev(vector_fn, chunk_size=2)(tg.tensor(X), tg.tensor(W)), whole.numpy())


@pytest.mark.parametrize("transform", [func.jacrev, func.jacfwd])
def test_jacobians_with_aux(transform):
    jac, aux = transform(lambda x, w: (vector_fn(x, w), x.sum()), has_aux=True)(tg.tensor(X), tg.tensor(W))
    close(jac, numerical_jacobian(vector_fn, (X, W), 0))
    close(aux, X.sum())
