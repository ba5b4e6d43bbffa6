"""Forward mode by dual numbers (tinygrad_edu/func/forward_ad.py): a top-level jvp runs every
registered op by its jvp rule, equal to central differences and to the double-vjp construction;
whatever dual numbers cannot run falls back to double vjp and is still right; torch.func agrees."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import func
from tinygrad_edu.func import transforms
from tinygrad_edu.nn import functional as F
from tinygrad_edu.func.forward_ad import FORWARD, JVP_RULES
from tinygrad_edu.opinfo import REGISTRY, all_cases, bind, graph_functions, make_inputs
from user_functions import Cube

pytestmark = pytest.mark.filterwarnings("ignore::tinygrad_edu.func.BatchingFallbackWarning")
EPS = 1e-6
RNG = np.random.default_rng(5)
DIFFERENTIABLE = [info for info in REGISTRY if info.name != "dropout"]
WRITES_IN_PLACE = {"setitem", "inplace_arithmetic", "index_add"}  # need a dual's array: double vjp runs them


def central_difference(fn, arrays, tangents):
    plus = fn(*[tg.tensor(a + EPS * t) for a, t in zip(arrays, tangents)]).numpy()
    minus = fn(*[tg.tensor(a - EPS * t) for a, t in zip(arrays, tangents)]).numpy()
    return (plus - minus) / (2 * EPS)


def jvp_by_double_vjp(monkeypatch, fn, primals, tangents):
    with monkeypatch.context() as patch:
        patch.setattr(transforms, "dual_numbers_serve", lambda leaves: False)
        return func.jvp(fn, primals, tangents)


def dual_path_taken(call):
    """Run `call`; True when a dual-number jvp completed during it (no fallback)."""
    before = FORWARD.completed
    result = call()
    return FORWARD.completed > before, result


@pytest.mark.parametrize("info", DIFFERENTIABLE, ids=lambda info: info.name)
def test_every_registered_op_by_dual_numbers(info, monkeypatch):
    """Each case of the op: the tangent equals central differences and the double-vjp path; when
    every op the case records has a jvp rule, the dual numbers ran it (no fallback)."""
    rng = np.random.default_rng(0)
    for shapes, kwargs in all_cases(info):
        inputs = [x.detach() for x in make_inputs(info, shapes, rng)]
        fn = bind(info, kwargs)
        arrays = [x.numpy() for x in inputs]
        tangents = [rng.standard_normal(a.shape) for a in arrays]
        primals, tangent_tensors = tuple(inputs), tuple(tg.tensor(t) for t in tangents)
        taken, (output, jv) = dual_path_taken(lambda: func.jvp(fn, primals, tangent_tensors))
        np.testing.assert_allclose(jv.numpy(), central_difference(fn, arrays, tangents), rtol=1e-4, atol=1e-5)
        reference_output, reference = jvp_by_double_vjp(monkeypatch, fn, primals, tangent_tensors)
        np.testing.assert_allclose(output.numpy(), reference_output.numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(jv.numpy(), reference.numpy(), rtol=1e-9, atol=1e-9)
        recorded = graph_functions([fn(*[tg.tensor(a, requires_grad=True) for a in arrays])])
        if recorded <= set(JVP_RULES) and info.name not in WRITES_IN_PLACE:
            assert taken, f"{info.name} {kwargs}: ops {sorted(op.__name__ for op in recorded)} all have jvp rules"


def test_float32_tangents_stay_float32():
    x, v = tg.tensor(RNG.standard_normal(5).astype(np.float32)), tg.tensor(RNG.standard_normal(5).astype(np.float32))
    taken, (out, tangent) = dual_path_taken(lambda: func.jvp(lambda a: (a * 2.0).tanh().sum(), (x,), (v,)))
    assert taken and out.dtype == np.float32 and tangent.dtype == np.float32
    expected = (2 * (1 - np.tanh(2 * x.numpy().astype(np.float64)) ** 2) * v.numpy()).sum()
    np.testing.assert_allclose(tangent.numpy(), expected, rtol=1e-5)


def test_dual_numbers_record_no_graph():
    w = tg.tensor(RNG.standard_normal((3, 4)), requires_grad=True)  # a closed-over parameter
    x, v = tg.tensor(RNG.standard_normal(4)), tg.tensor(RNG.standard_normal(4))
    taken, (out, tangent) = dual_path_taken(lambda: func.jvp(lambda a: (w @ a).sin(), (x,), (v,)))
    assert taken
    assert out.grad_fn is None and tangent.grad_fn is None and not out.requires_grad and not tangent.requires_grad
    np.testing.assert_allclose(tangent.numpy(), np.cos(w.numpy() @ x.numpy()) * (w.numpy() @ v.numpy()), rtol=1e-12)


def test_pytrees_constant_outputs_and_aux():
    x, y = tg.tensor(RNG.standard_normal(3)), tg.tensor(RNG.standard_normal(3))
    u, v = tg.tensor(RNG.standard_normal(3)), tg.tensor(RNG.standard_normal(3))

    def f(pair):
        a, b = pair["a"], pair["b"]
        return (a * b, tg.tensor(np.ones(2))), {"aux": a.exp()}

    taken, (out, tangent, aux) = dual_path_taken(lambda: func.jvp(f, ({"a": x, "b": y},), ({"a": u, "b": v},),
                                                                   has_aux=True))
    assert taken
    np.testing.assert_allclose(out[0].numpy(), x.numpy() * y.numpy())
    np.testing.assert_allclose(tangent[0].numpy(), u.numpy() * y.numpy() + x.numpy() * v.numpy(), rtol=1e-12)
    np.testing.assert_array_equal(tangent[1].numpy(), np.zeros(2))
    assert type(aux["aux"]) is tg.Tensor
    np.testing.assert_allclose(aux["aux"].numpy(), np.exp(x.numpy()))


def _reads_numpy(a):
    return a * float(np.abs(a.numpy()).sum())


def _user_function(a):
    return Cube.apply(a.sin())


def _inner_grad(a):
    return func.grad(lambda b: (b.sin() * a).sum())(a) * a


def _inner_vmap(a):
    return func.vmap(lambda row: (row * a).sum())(a.reshape(1, -1).expand(2, -1))


def _inner_jvp(a):
    return func.jvp(lambda b: b.exp(), (a,), (a,))[1]


def _in_place_write(a):
    b = a * 1.0
    b[1:3] = a[:2].exp()
    return b


def _boolean_mask_from_numpy(a):
    return (a * a)[tg.tensor(a.numpy() > 0)].sum()


@pytest.mark.parametrize("fn", [_reads_numpy, _boolean_mask_from_numpy, _user_function, _inner_grad, _inner_vmap,
                                _inner_jvp, _in_place_write], ids=lambda fn: fn.__name__.strip("_"))
def test_what_dual_numbers_cannot_run_falls_back_and_is_right(fn):
    arrays, tangents = [RNG.uniform(0.3, 1.0, 4) * np.array([1, -1, 1, -1])], [RNG.standard_normal(4)]
    taken, (_, tangent) = dual_path_taken(lambda: func.jvp(fn, (tg.tensor(arrays[0]),), (tg.tensor(tangents[0]),)))
    assert not taken and not FORWARD.active
    if fn is _reads_numpy:  # the float read from .numpy() is a constant to every engine
        expected = tangents[0] * np.abs(arrays[0]).sum()
    else:
        expected = central_difference(fn, arrays, tangents)
    np.testing.assert_allclose(tangent.numpy(), expected, rtol=1e-5, atol=1e-7)


def test_comparisons_masks_and_data_read_the_primal_values():
    """Outside the graph (comparisons, `.data`, `.detach()`), a dual number is its value: masks
    built from it stay on the dual-number path."""
    x, v = RNG.uniform(0.3, 1.0, 6) * np.array([1, -1] * 3), RNG.standard_normal(6)

    def f(a):
        return (a * a)[a > 0].sum() + tg.where(a.data < 0, a.sin(), a) * (a.argmax() + 1) + a.detach() * a

    taken, (_, tangent) = dual_path_taken(lambda: func.jvp(f, (tg.tensor(x),), (tg.tensor(v),)))
    assert taken
    expected = (2 * x * v * (x > 0)).sum() + np.where(x < 0, np.cos(x), 1.0) * v * (np.argmax(x) + 1) + x * v
    np.testing.assert_allclose(tangent.numpy(), expected, rtol=1e-12)


def test_transforms_that_run_jvp_under_vmap_keep_double_vjp():
    x = tg.tensor(RNG.standard_normal(3))

    def f(a):
        return (a.sin() * a.sum()).tanh()

    taken, jacobian = dual_path_taken(lambda: func.jacfwd(f)(x))
    assert not taken
    np.testing.assert_allclose(jacobian.numpy(), func.jacrev(f)(x).numpy(), rtol=1e-10)
    hessian = func.hessian(lambda a: (a.sin() * a.sum()).sum())(x)
    s, c = np.sin(x.numpy()), np.cos(x.numpy())
    total = x.numpy().sum()
    expected = np.add.outer(c, c) - np.diag(s) * total  # d2/dxi dxj of sum(sin(x)) * sum(x)
    np.testing.assert_allclose(hessian.numpy(), expected, rtol=1e-10)


def test_primals_that_require_grad_keep_a_differentiable_result():
    x = tg.tensor(RNG.standard_normal(3), requires_grad=True)
    v = tg.tensor(RNG.standard_normal(3))
    taken, (_, tangent) = dual_path_taken(lambda: func.jvp(lambda a: a.exp(), (x,), (v,)))
    assert not taken and tangent.requires_grad
    (g,) = tg.grad(tangent.sum(), [x])
    np.testing.assert_allclose(g.numpy(), np.exp(x.numpy()) * v.numpy(), rtol=1e-12)


# ----------------------------------------------------------------------------------------------
# against torch.func


def _torch():
    return pytest.importorskip("torch")


def _compare(ours_fn, theirs_fn, arrays, tangents):
    torch = _torch()
    taken, (out, tangent) = dual_path_taken(
        lambda: func.jvp(ours_fn, tuple(tg.tensor(a) for a in arrays), tuple(tg.tensor(t) for t in tangents)))
    their_out, their_tangent = torch.func.jvp(theirs_fn, tuple(torch.tensor(a) for a in arrays),
                                              tuple(torch.tensor(t) for t in tangents))
    assert taken
    np.testing.assert_allclose(out.numpy(), their_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(tangent.numpy(), their_tangent.detach().numpy(), rtol=1e-9, atol=1e-12)


def test_mlp_through_nn_layers_and_functional_call_against_torch():
    torch = _torch()
    from tinygrad_edu import nn

    model = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3))
    names = [name for name, _ in model.named_parameters()]
    params = [RNG.standard_normal(tuple(p.shape)) for _, p in model.named_parameters()]
    x = RNG.standard_normal((6, 4))

    def ours(x, *ps):
        return func.functional_call(model, dict(zip(names, ps)), (x,)).log_softmax(axis=-1)

    def theirs(x, w1, b1, w2, b2):
        return torch.log_softmax(torch.tanh(x @ w1.T + b1) @ w2.T + b2, dim=-1)

    _compare(ours, theirs, [x, *params], [RNG.standard_normal(a.shape) for a in [x, *params]])


def test_conv2d_and_max_pool_against_torch():
    torch = _torch()
    arrays = [RNG.standard_normal((2, 3, 7, 7)), RNG.standard_normal((4, 3, 3, 3)), RNG.standard_normal(4)]
    _compare(lambda x, w, b: tg.max_pool2d(tg.conv2d(x, w, b, padding=1), 2),
             lambda x, w, b: torch.nn.functional.max_pool2d(torch.nn.functional.conv2d(x, w, b, padding=1), 2),
             arrays, [RNG.standard_normal(a.shape) for a in arrays])


def test_softmax_and_cross_entropy_against_torch():
    torch = _torch()
    logits, labels = RNG.standard_normal((5, 4)), RNG.integers(0, 4, 5)
    tangent = RNG.standard_normal((5, 4))
    _compare(lambda z: z.softmax(axis=1) * z, lambda z: torch.softmax(z, dim=1) * z, [logits], [tangent])
    for reduction in ("mean", "sum", "none"):
        _compare(lambda z: F.cross_entropy(z, tg.tensor(labels), reduction=reduction),
                 lambda z: torch.nn.functional.cross_entropy(z, torch.tensor(labels), reduction=reduction),
                 [logits], [tangent])


def test_autograd_functional_jvp_by_dual_numbers_unless_create_graph_or_strict():
    import tinygrad_edu.autograd.functional as AF

    x, y = RNG.standard_normal(3), RNG.standard_normal(3)
    u, v = RNG.standard_normal(3), RNG.standard_normal(3)

    def f(a, b):
        return (a * b).sin(), (a.exp() * b).sum()

    expected = (np.cos(x * y) * (u * y + x * v), (np.exp(x) * u * y + np.exp(x) * v).sum())
    for create_graph, strict, dual in ((False, False, True), (True, False, False), (False, True, False)):
        taken, (outs, products) = dual_path_taken(lambda: AF.jvp(f, (tg.tensor(x), tg.tensor(y)),
                                                                  (tg.tensor(u), tg.tensor(v)),
                                                                  create_graph=create_graph, strict=strict))
        assert taken == dual and isinstance(outs, tuple) and isinstance(products, tuple)
        for product, value in zip(products, expected):
            np.testing.assert_allclose(product.numpy(), value, rtol=1e-12)
    taken, (out, product) = dual_path_taken(lambda: AF.jvp(lambda a: a.tanh(), tg.tensor(x), tg.tensor(u)))
    assert taken and isinstance(out, tg.Tensor)
    np.testing.assert_allclose(product.numpy(), (1 - np.tanh(x) ** 2) * u, rtol=1e-12)


# ----------------------------------------------------------------------------------------------
# torch.autograd.forward_ad's API


def test_dual_level_make_dual_unpack_dual():
    import tinygrad_edu.autograd.forward_ad as fwAD

    x, v, w = RNG.standard_normal(4), RNG.standard_normal(4), RNG.standard_normal((3, 4))
    with fwAD.dual_level():
        dual = fwAD.make_dual(tg.tensor(x), tg.tensor(v))
        out = (tg.tensor(w) @ dual).tanh().sum() * dual.exp().mean()
        primal, tangent = fwAD.unpack_dual(out)
        assert fwAD.unpack_dual(tg.tensor(x)).tangent is None
    expected = central_difference(lambda a: (tg.tensor(w) @ a).tanh().sum() * a.exp().mean(), [x], [v])
    np.testing.assert_allclose(tangent.numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(primal.numpy(), np.tanh(w @ x).sum() * np.exp(x).mean(), rtol=1e-12)


def test_forward_ad_errors_name_the_problem():
    import tinygrad_edu.autograd.forward_ad as fwAD

    x = tg.tensor(RNG.standard_normal(3))
    with pytest.raises(RuntimeError, match="inside `with dual_level"):
        fwAD.make_dual(x, x)
    with fwAD.dual_level():
        with pytest.raises(RuntimeError, match="nested dual levels"):
            fwAD.dual_level().__enter__()
        with pytest.raises(ValueError, match="tangent of its shape"):
            fwAD.make_dual(x, tg.tensor(np.ones(2)))
        with pytest.raises(RuntimeError, match="require grad"):
            fwAD.make_dual(tg.tensor(x.numpy(), requires_grad=True), x)
        dual = fwAD.make_dual(x, x)
        with pytest.raises(NotImplementedError, match="Cube has no jvp rule"):
            Cube.apply(dual)
        with pytest.raises(NotImplementedError, match="values were read as an array"):
            dual.numpy()


def test_forward_ad_against_torch():
    torch = _torch()
    x, v = RNG.standard_normal((2, 5)), RNG.standard_normal((2, 5))
    import tinygrad_edu.autograd.forward_ad as fwAD

    with fwAD.dual_level():
        ours = fwAD.unpack_dual(fwAD.make_dual(tg.tensor(x), tg.tensor(v)).log_softmax(axis=1).sigmoid()).tangent
    with torch.autograd.forward_ad.dual_level():
        dual = torch.autograd.forward_ad.make_dual(torch.tensor(x), torch.tensor(v))
        theirs = torch.autograd.forward_ad.unpack_dual(torch.sigmoid(torch.log_softmax(dual, dim=1))).tangent
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10)


@pytest.mark.parametrize("fn", [
    lambda a: tg.sort(a, 1).values, lambda a: a.max(1).values, lambda a: tg.min(a, dim=0).values,
    lambda a: tg.topk(a, 2).values, lambda a: tg.nan_to_num(a.log()),
], ids=["sort", "max", "min", "topk", "nan_to_num"])
def test_value_reading_ops_pick_from_the_primal_and_stay_on_the_fast_path(fn):
    """Their indices (and which entries are replaced) depend on the values only, read from the
    primal: the tangent is picked at the same places."""
    rng = np.random.default_rng(7)
    x, t = tg.tensor(rng.uniform(0.1, 2.0, (4, 5))), tg.tensor(rng.standard_normal((4, 5)))
    fast, (_, tangent) = dual_path_taken(lambda: func.jvp(fn, (x,), (t,)))
    assert fast
    eps = 1e-6
    numeric = (fn(x + eps * t).numpy() - fn(x - eps * t).numpy()) / (2 * eps)
    np.testing.assert_allclose(tangent.numpy(), numeric, rtol=1e-6, atol=1e-8)
