"""tinygrad_edu.func and tinygrad_edu.autograd.functional against torch.func and
torch.autograd.functional on the same functions in float64 (skipped without PyTorch).

The functions use only tensor methods and operators, which both engines spell alike, so one
lambda runs on either."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.autograd.functional as TAF  # noqa: E402
import torch.func as TF  # noqa: E402

import tinygrad_edu as tg  # noqa: E402
import tinygrad_edu.autograd.functional as AF  # noqa: E402
from tinygrad_edu import func  # noqa: E402
from tinygrad_edu.func import tree_flatten, tree_map  # noqa: E402

RNG = np.random.default_rng(7)
X, Y, W = RNG.standard_normal(4), RNG.standard_normal(4), RNG.standard_normal((3, 4))
BATCH = RNG.standard_normal((5, 4))


def ours(tree):
    return tree_map(lambda a: tg.tensor(a) if isinstance(a, np.ndarray) else a, tree)


def theirs(tree):
    return tree_map(lambda a: torch.tensor(a) if isinstance(a, np.ndarray) else a, tree)


def assert_same(mine, reference):
    mine_leaves, mine_spec = tree_flatten(mine)
    ref_leaves = torch.utils._pytree.tree_leaves(reference)
    assert len(mine_leaves) == len(ref_leaves), (mine, reference)
    for a, b in zip(mine_leaves, ref_leaves):
        b = b.detach().numpy() if isinstance(b, torch.Tensor) else np.asarray(b)
        assert tuple(a.shape) == b.shape
        np.testing.assert_allclose(a.detach().numpy() if isinstance(a, tg.Tensor) else a, b, rtol=1e-9, atol=1e-12)


def scalar_fn(x, y):
    return ((x.sin() * y).sum() + (x * x * y).exp().mean()) * (y.tanh() ** 2).sum()


def vector_fn(x, w):
    return (w @ x).tanh() * x[:3]


def pair_fn(x, y):
    return (x * y).sin(), (x.exp() * y).sum()


@pytest.mark.parametrize("argnums", [0, 1, (0, 1), (1, 0)])
def test_grad_and_grad_and_value(argnums):
    assert_same(func.grad(scalar_fn, argnums)(*ours((X, Y))), TF.grad(scalar_fn, argnums)(*theirs((X, Y))))
    assert_same(func.grad_and_value(scalar_fn, argnums)(*ours((X, Y))),
                TF.grad_and_value(scalar_fn, argnums)(*theirs((X, Y))))


def test_grad_with_aux_and_pytree_arguments():
    def loss(params, x):
        out = (params["w"] @ x + params["b"]).tanh()
        return (out * out).sum(), out

    params = {"w": W, "b": RNG.standard_normal(3)}
    assert_same(func.grad(loss, has_aux=True)(ours(params), tg.tensor(X)),
                TF.grad(loss, has_aux=True)(theirs(params), torch.tensor(X)))


def test_vjp_with_a_tuple_output_called_twice():
    out, vjp_fn = func.vjp(pair_fn, *ours((X, Y)))
    out_t, vjp_t = TF.vjp(pair_fn, *theirs((X, Y)))
    assert_same(out, out_t)
    for cotangents in [(Y, np.array(2.0)), (X, np.array(-1.0))]:
        assert_same(vjp_fn(ours(cotangents)), vjp_t(theirs(cotangents)))


def test_jvp():
    assert_same(func.jvp(pair_fn, ours((X, Y)), ours((Y, X))), TF.jvp(pair_fn, theirs((X, Y)), theirs((Y, X))))
    assert_same(func.jvp(vector_fn, ours((X, W)), ours((Y, W * 0.5))),
                TF.jvp(vector_fn, theirs((X, W)), theirs((Y, W * 0.5))))


@pytest.mark.parametrize("transform", ["jacrev", "jacfwd"])
@pytest.mark.parametrize("argnums", [0, (0, 1)])
def test_jacobians(transform, argnums):
    mine, reference = getattr(func, transform), getattr(TF, transform)
    assert_same(mine(vector_fn, argnums)(*ours((X, W))), reference(vector_fn, argnums)(*theirs((X, W))))
    assert_same(mine(pair_fn, argnums)(*ours((X, Y))), reference(pair_fn, argnums)(*theirs((X, Y))))


def test_jacobian_of_a_dict_input():
    def f(p):
        return (p["a"] * p["b"].sum()).sin()

    p = {"a": X, "b": W}
    assert_same(func.jacrev(f)(ours(p)), TF.jacrev(f)(theirs(p)))
    assert_same(func.jacfwd(f)(ours(p)), TF.jacfwd(f)(theirs(p)))


@pytest.mark.parametrize("argnums", [0, (0, 1)])
def test_hessian(argnums):
    assert_same(func.hessian(scalar_fn, argnums)(*ours((X, Y))), TF.hessian(scalar_fn, argnums)(*theirs((X, Y))))


def test_vmap_in_dims_out_dims_and_nesting():
    def f(x, w):
        return (w @ x).tanh().sum() * x

    batch_last = BATCH.T.copy()
    assert_same(func.vmap(f, in_dims=(1, None), out_dims=1)(*ours((batch_last, W))),
                TF.vmap(f, in_dims=(1, None), out_dims=1)(*theirs((batch_last, W))))
    grid = RNG.standard_normal((2, 5, 4))
    assert_same(func.vmap(func.vmap(f, in_dims=(0, None)), in_dims=(0, None))(*ours((grid, W))),
                TF.vmap(TF.vmap(f, in_dims=(0, None)), in_dims=(0, None))(*theirs((grid, W))))


@pytest.mark.parametrize("transform", ["jacrev", "jacfwd", "hessian"])
def test_vmap_of_jacobians(transform):
    def f(x):
        return (torch_or_tg_matmul(x) + x[:3]).tanh().sum() if transform == "hessian" else \
            (torch_or_tg_matmul(x)).tanh()

    def torch_or_tg_matmul(x):
        w = torch.tensor(W) if isinstance(x, torch.Tensor) else tg.tensor(W)
        return w @ x

    assert_same(func.vmap(getattr(func, transform)(f))(tg.tensor(BATCH)),
                TF.vmap(getattr(TF, transform)(f))(torch.tensor(BATCH)))


def test_per_sample_gradients_of_an_mlp_match_torch():
    def loss(p, x, y):
        h = (x @ p["w1"].T + p["b1"]).tanh()
        logits = h @ p["w2"].T + p["b2"]
        return logits.logsumexp(-1) - (logits * y).sum()

    params = {"w1": RNG.standard_normal((6, 4)), "b1": RNG.standard_normal(6),
              "w2": RNG.standard_normal((3, 6)), "b2": RNG.standard_normal(3)}
    onehot = np.eye(3)[RNG.integers(0, 3, 5)]
    assert_same(func.vmap(func.grad(loss), in_dims=(None, 0, 0))(*ours((params, BATCH, onehot))),
                TF.vmap(TF.grad(loss), in_dims=(None, 0, 0))(*theirs((params, BATCH, onehot))))


# ----------------------------------------------------------------------------------------------
# torch.autograd.functional


@pytest.mark.parametrize("vectorize", [False, True])
def test_autograd_functional_jacobian_and_hessian(vectorize):
    assert_same(AF.jacobian(vector_fn, ours((X, W)), vectorize=vectorize),
                TAF.jacobian(vector_fn, theirs((X, W)), vectorize=vectorize))
    assert_same(AF.jacobian(pair_fn, ours((X, Y)), vectorize=vectorize),
                TAF.jacobian(pair_fn, theirs((X, Y)), vectorize=vectorize))
    assert_same(AF.jacobian(lambda x: x.sin(), tg.tensor(X), vectorize=vectorize),
                TAF.jacobian(lambda x: x.sin(), torch.tensor(X), vectorize=vectorize))
    assert_same(AF.hessian(scalar_fn, ours((X, Y)), vectorize=vectorize),
                TAF.hessian(scalar_fn, theirs((X, Y)), vectorize=vectorize))
    assert_same(AF.hessian(lambda x: scalar_fn(x, x), tg.tensor(X), vectorize=vectorize),
                TAF.hessian(lambda x: scalar_fn(x, x), torch.tensor(X), vectorize=vectorize))


def test_autograd_functional_products():
    for name in ("vjp", "vhp", "hvp"):
        v = ours((X, Y)) if name != "vjp" else tg.tensor(np.array(1.5))
        tv = theirs((X, Y)) if name != "vjp" else torch.tensor(1.5)
        assert_same(getattr(AF, name)(scalar_fn, ours((X, Y)), v), getattr(TAF, name)(scalar_fn, theirs((X, Y)), tv))
    assert_same(AF.jvp(vector_fn, ours((X, W)), ours((Y, W))), TAF.jvp(vector_fn, theirs((X, W)), theirs((Y, W))))
    assert_same(AF.vjp(vector_fn, ours((X, W)), tg.tensor(X[:3])),
                TAF.vjp(vector_fn, theirs((X, W)), torch.tensor(X[:3])))


def test_autograd_functional_create_graph_gives_differentiable_results():
    x = tg.tensor(X, requires_grad=True)
    tx = torch.tensor(X, requires_grad=True)
    (jac,) = [AF.jacobian(lambda a: a.sin() * a.sum(), x, create_graph=True)]
    (tjac,) = [TAF.jacobian(lambda a: a.sin() * a.sum(), tx, create_graph=True)]
    assert jac.requires_grad
    (gx,) = tg.grad((jac * jac).sum(), [x])
    (tgx,) = torch.autograd.grad((tjac * tjac).sum(), [tx])
    assert_same(gx, tgx)
    assert not AF.jacobian(lambda a: a.sin(), x).requires_grad


# ----------------------------------------------------------------------------------------------
# hypothesis-drawn functions: a chain of methods both engines spell alike, under a drawn transform

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

STEPS = {
    "sin": lambda a, b: a.sin(), "tanh": lambda a, b: a.tanh(), "mul": lambda a, b: a * b,
    "add": lambda a, b: a + b.exp(), "square": lambda a, b: a * a, "sigmoid": lambda a, b: a.sigmoid(),
    "softmax": lambda a, b: a.softmax(-1), "cumsum": lambda a, b: a.cumsum(0), "flip": lambda a, b: a.flip(0),
    "matvec": lambda a, b: (a.reshape(-1, 1) * b.reshape(1, -1)) @ b, "logsumexp": lambda a, b: a - a.logsumexp(-1),
}


def chained(names):
    def f(a, b):
        for name in names:
            a = STEPS[name](a, b)
        return a

    return f


@settings(max_examples=15)
@given(st.lists(st.sampled_from(sorted(STEPS)), min_size=1, max_size=4),
       st.sampled_from(["jacrev", "jacfwd", "hessian", "vmap_jacrev", "vmap_grad", "jvp"]),
       st.integers(0, 2 ** 32 - 1))
def test_drawn_functions_under_drawn_transforms_match_torch(names, transform, seed):
    rng = np.random.default_rng(seed)
    f = chained(names)
    a, b = rng.uniform(-1, 1, 4), rng.uniform(-1, 1, 4)
    batch = rng.uniform(-1, 1, (3, 4))
    if transform == "jvp":
        mine = func.jvp(f, ours((a, b)), ours((b, a)))
        reference = TF.jvp(f, theirs((a, b)), theirs((b, a)))
    elif transform == "vmap_jacrev":
        mine = func.vmap(func.jacrev(f), in_dims=(0, None))(*ours((batch, b)))
        reference = TF.vmap(TF.jacrev(f), in_dims=(0, None))(*theirs((batch, b)))
    elif transform == "vmap_grad":
        mine = func.vmap(func.grad(lambda x, y: f(x, y).sum(), argnums=(0, 1)), in_dims=(0, None))(*ours((batch, b)))
        reference = TF.vmap(TF.grad(lambda x, y: f(x, y).sum(), argnums=(0, 1)), in_dims=(0, None))(
            *theirs((batch, b)))
    elif transform == "hessian":
        mine = func.hessian(lambda x, y: f(x, y).sum(), argnums=(0, 1))(*ours((a, b)))
        reference = TF.hessian(lambda x, y: f(x, y).sum(), argnums=(0, 1))(*theirs((a, b)))
    else:
        mine = getattr(func, transform)(f, argnums=(0, 1))(*ours((a, b)))
        reference = getattr(TF, transform)(f, argnums=(0, 1))(*theirs((a, b)))
    assert_same(mine, reference)
