"""vmap: every batching rule against a Python loop of the ordinary op over the batch (an
independent computation), in_dims/out_dims, nesting, composition with grad and jacrev, per-sample
gradients of an MLP and a small CNN, and the errors."""

import warnings

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import func
from tinygrad_edu.func import BATCHING_RULES, BatchedTensor, BatchingFallbackWarning
from user_functions import Cube

RNG = np.random.default_rng(11)
A, B = RNG.uniform(0.5, 2.0, (3, 2, 4)), RNG.uniform(0.5, 2.0, (3, 4))  # batch of 3
M = RNG.uniform(0.5, 2.0, (4, 5))

# (name in BATCHING_RULES, function of one sample (a of (2, 4), b of (4,)))
CASES = {
    "__add__": lambda a, b: a + b, "__radd__": lambda a, b: 1.5 + a, "__sub__": lambda a, b: a - b,
    "__rsub__": lambda a, b: b - a, "__mul__": lambda a, b: a * b, "__rmul__": lambda a, b: tg.tensor(M.T) * b,
    "__truediv__": lambda a, b: a / b, "__rtruediv__": lambda a, b: 2.0 / a, "__pow__": lambda a, b: a ** b,
    "__rpow__": lambda a, b: 2.0 ** a, "__neg__": lambda a, b: -a, "__abs__": lambda a, b: abs(a - 1),
    "exp": lambda a, b: a.exp(), "log": lambda a, b: a.log(), "sqrt": lambda a, b: a.sqrt(),
    "tanh": lambda a, b: a.tanh(), "sigmoid": lambda a, b: a.sigmoid(), "relu": lambda a, b: (a - 1).relu(),
    "clamp": lambda a, b: a.clamp(b * 0.9, 1.5), "maximum": lambda a, b: a.maximum(b),
    "where": lambda a, b: a.where(a > b, b), "masked_fill": lambda a, b: a.masked_fill(a > 1, 0.0),
    "lerp": lambda a, b: a.lerp(b, 0.3), "__gt__": lambda a, b: a > b, "tril": lambda a, b: a.tril(),
    "sum": lambda a, b: a.sum(), "mean": lambda a, b: a.mean(1), "var": lambda a, b: a.var(-1, keepdim=True),
    "std": lambda a, b: a.std(axis=0), "amax": lambda a, b: a.amax(0), "prod": lambda a, b: a.prod(axis=(0, 1)),
    "norm": lambda a, b: a.norm(), "logsumexp": lambda a, b: a.logsumexp(-1), "max": lambda a, b: a.max(1)[0],
    "min": lambda a, b: a.min(), "argmax": lambda a, b: a.argmax(), "cumsum": lambda a, b: a.cumsum(1),
    "softmax": lambda a, b: a.softmax(-1), "log_softmax": lambda a, b: a.log_softmax(0),
    "sort": lambda a, b: a.sort(1)[0], "topk": lambda a, b: a.topk(2)[1], "flip": lambda a, b: a.flip(1),
    "unbind": lambda a, b: a.unbind(1)[2], "split": lambda a, b: a.split(2, 1)[1],
    "chunk": lambda a, b: a.chunk(2, -1)[0], "narrow": lambda a, b: a.narrow(1, 1, 2),
    "index_select": lambda a, b: a.index_select(1, tg.tensor([3, 0])), "swapaxes": lambda a, b: a.swapaxes(0, 1),
    "flatten": lambda a, b: a.flatten(), "unsqueeze": lambda a, b: a.unsqueeze(-1),
    "reshape": lambda a, b: a.reshape(4, 2), "view": lambda a, b: a.view(-1), "permute": lambda a, b: a.permute(1, 0),
    "transpose": lambda a, b: a.transpose(0, 1),
    "t": lambda a, b: a.t(), "squeeze": lambda a, b: a[:1].squeeze(0), "expand": lambda a, b: b.expand(3, 4),
    "broadcast_to": lambda a, b: b.broadcast_to((2, 4)), "repeat": lambda a, b: a.repeat(2, 1),
    "tile": lambda a, b: a.tile((1, 2)),
    "__getitem__": lambda a, b: a[1, [0, 2]] + a[:, 1:3].sum() + a[..., None][b.argmax() % 2, 1:3, 0].sum(),
    "__iter__": lambda a, b: list(a)[1], "__matmul__": lambda a, b: a @ b, "__rmatmul__": lambda a, b: b @ a.T,
    "matmul": lambda a, b: a.matmul(tg.tensor(M)), "dot": lambda a, b: b.dot(b), "outer": lambda a, b: b.outer(b),
    "mv": lambda a, b: a.mv(b), "astype": lambda a, b: a.astype(np.float32), "detach": lambda a, b: a.detach(),
    "gather": lambda a, b: a.gather(1, (b.argmax() % 4).reshape(1, 1).expand(2, 1))
    + a.gather(0, tg.tensor([[1, 0]])).sum(),
    "__array_ufunc__": lambda a, b: np.arange(4.0) * b + np.ones((2, 4)) - a,
    "pad": lambda a, b: a.pad(((1, 0), (0, 2)), 3.0) + b.pad(1).sum(), "roll": lambda a, b: a.roll(1) + a.roll(-1, 1),
    "repeat_interleave": lambda a, b: a.repeat_interleave(2, dim=1) + b.repeat_interleave(2).sum(),
    "diag": lambda a, b: a[:, :2].diag() + b.diag().sum(0)[:2] + a.diag(1)[0], "trace": lambda a, b: a[:, 1:3].trace(),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_equals_a_loop_over_the_batch(name):
    assert name in BATCHING_RULES
    f = CASES[name]
    batched = func.vmap(f)(tg.tensor(A), tg.tensor(B))
    looped = np.stack([np.asarray(f(tg.tensor(A[i]), tg.tensor(B[i])).numpy()) for i in range(3)])
    assert not isinstance(batched, BatchedTensor)
    np.testing.assert_allclose(batched.numpy(), looped, rtol=1e-12)


def test_batching_rules_table_names_existing_tensor_methods():
    assert all(hasattr(tg.Tensor, name) for name in BATCHING_RULES)
    assert len(BATCHING_RULES) > 100


def test_in_dims_out_dims_and_unbatched_outputs():
    x = RNG.standard_normal((4, 3))
    out = func.vmap(lambda a, w: (a.reshape(4, 1) * w, w.sum()), in_dims=(1, None), out_dims=(1, 0))(
        tg.tensor(x), tg.tensor(x))
    np.testing.assert_allclose(out[0].numpy(), np.stack([x[:, i:i + 1] * x for i in range(3)], 1))
    np.testing.assert_allclose(out[1].numpy(), np.full(3, x.sum()))  # not batched: repeated
    d = func.vmap(lambda p: p["a"] * p["b"], in_dims=({"a": 0, "b": None},))({"a": tg.tensor(x), "b": tg.tensor(x[0])})
    np.testing.assert_allclose(d.numpy(), x * x[0])


def test_nested_vmap_is_an_outer_product_of_batches():
    x, y = RNG.standard_normal((3, 5)), RNG.standard_normal((4, 5))
    inner = func.vmap(lambda a, b: (a * b).sum(), in_dims=(None, 0))
    out = func.vmap(inner, in_dims=(0, None))(tg.tensor(x), tg.tensor(y))
    np.testing.assert_allclose(out.numpy(), x @ y.T)


def test_vmap_of_jacrev_and_jacfwd_equal_a_loop():
    w = tg.tensor(RNG.standard_normal((5, 3)))
    xs = RNG.standard_normal((6, 3))

    def f(x):
        return (w @ x).tanh()

    for transform in (func.jacrev, func.jacfwd):
        batched = func.vmap(transform(f))(tg.tensor(xs))
        looped = np.stack([transform(f)(tg.tensor(x)).numpy() for x in xs])
        np.testing.assert_allclose(batched.numpy(), looped, rtol=1e-12)


def mlp_loss(p, x, y):
    h = (x @ p["w1"].T + p["b1"]).relu()
    logits = h @ p["w2"].T + p["b2"]
    return logits.logsumexp(-1) - logits[y]


def conv2d_by_shifts(x, w):
    """A valid 3x3 convolution of one (C, H, W) image written with slicing, products and sums only."""
    c, height, width = x.shape
    out = 0
    for i in range(3):
        for j in range(3):
            patch = x[:, i:height - 2 + i, j:width - 2 + j]  # (C, H-2, W-2)
            out = out + (w[:, :, i, j].reshape(-1, c, 1, 1) * patch.unsqueeze(0)).sum(1)
    return out  # (F, H-2, W-2)


def cnn_loss(p, x, y):
    h = (conv2d_by_shifts(x, p["conv"]) + p["conv_b"].reshape(-1, 1, 1)).tanh()
    logits = p["fc"] @ h.reshape(-1)
    return logits.logsumexp(-1) - logits[y]


@pytest.mark.parametrize("loss, params, x_shape", [
    (mlp_loss, {"w1": (8, 5), "b1": (8,), "w2": (3, 8), "b2": (3,)}, (5,)),
    (cnn_loss, {"conv": (2, 1, 3, 3), "conv_b": (2,), "fc": (3, 2 * 4 * 4)}, (1, 6, 6)),
])
def test_per_sample_gradients_equal_a_loop_of_single_sample_gradients(loss, params, x_shape):
    params = {k: tg.tensor(RNG.standard_normal(s) * 0.5) for k, s in params.items()}
    x = tg.tensor(RNG.standard_normal((7, *x_shape)))
    y = tg.tensor(RNG.integers(0, 3, 7))
    batched = func.vmap(func.grad(loss), in_dims=(None, 0, 0))(params, x, y)
    for i in range(7):
        single = func.grad(loss)(params, x[i], y[i])
        for k in params:
            np.testing.assert_allclose(batched[k][i].numpy(), single[k].numpy(), rtol=1e-10, atol=1e-12)


def test_functional_forms_batch_through_their_ops_rules_without_a_loop():
    images, weight = tg.tensor(RNG.standard_normal((3, 1, 1, 5, 5))), tg.tensor(RNG.standard_normal((2, 1, 3, 3)))
    with warnings.catch_warnings():
        warnings.simplefilter("error", BatchingFallbackWarning)
        batched = func.vmap(lambda a: tg.conv2d(a, weight).tanh())(images)
        nested = func.vmap(func.vmap(tg.exp))(tg.tensor(A))
    np.testing.assert_allclose(batched.numpy(), np.stack([tg.conv2d(i, weight).tanh().numpy() for i in images]))
    np.testing.assert_allclose(nested.numpy(), np.exp(A))


def test_an_op_without_a_rule_warns_naming_it_and_runs_once_per_sample():
    xs = tg.tensor(A)
    with pytest.warns(BatchingFallbackWarning, match="Cube has no batching rule; it runs once per sample"):
        cubed = func.vmap(lambda a: Cube.apply(a).sum())(xs)
    np.testing.assert_allclose(cubed.numpy(), (A ** 3).sum(axis=(1, 2)))
    with pytest.warns(BatchingFallbackWarning):
        slopes = func.vmap(func.grad(lambda a: Cube.apply(a).sum()))(xs)
    np.testing.assert_allclose(slopes.numpy(), 3 * A ** 2)


def test_per_sample_gradients_of_an_nn_module_through_functional_call():
    from tinygrad_edu import nn

    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3)).to(tg.float64)
    params = {name: p.detach() for name, p in model.named_parameters()}
    x, y = tg.tensor(RNG.standard_normal((5, 4))), tg.tensor(RNG.integers(0, 3, 5))

    def loss(p, xi, yi):
        logits = func.functional_call(model, p, (xi,))
        return logits.logsumexp(-1) - logits[yi]

    with warnings.catch_warnings():
        warnings.simplefilter("error", BatchingFallbackWarning)
        batched = func.vmap(func.grad(loss), in_dims=(None, 0, 0))(params, x, y)
    for i in range(5):
        single = func.grad(loss)(params, x[i], y[i])
        for k in params:
            np.testing.assert_allclose(batched[k][i].numpy(), single[k].numpy(), rtol=1e-12)


def test_errors():
    with pytest.raises(RuntimeError, match="randomness='error'"):
        func.vmap(lambda a: a + tg.randn(3))(tg.ones(2, 3))
    same = func.vmap(lambda a: a + tg.randn(3), randomness="same")(tg.zeros(2, 3))
    np.testing.assert_array_equal(same[0].numpy(), same[1].numpy())
    with pytest.raises(ValueError, match="different batch sizes"):
        func.vmap(lambda a, b: a + b)(tg.ones(2), tg.ones(3))
    with pytest.raises(ValueError, match="in_dim 2 is out of range"):
        func.vmap(lambda a: a, in_dims=2)(tg.ones(2, 3))
    with pytest.warns(BatchingFallbackWarning, match="boolean mask"):
        assert func.vmap(lambda a: a[a > 0])(tg.ones(2, 3)).shape == (2, 3)
    with pytest.warns(BatchingFallbackWarning), pytest.raises(ValueError, match="stack"):
        func.vmap(lambda a: a[a > 0])(tg.tensor([[1.0, -1.0], [1.0, 1.0]]))  # samples of different sizes
    with pytest.raises(ValueError, match="batches no argument"):
        func.vmap(lambda a: a, in_dims=None)(tg.ones(2))


def test_transforms_inside_vmap_with_aux_kwargs_and_negative_out_dims():
    xs = RNG.standard_normal((4, 3))

    def loss(x, scale=1.0):
        return (x * x).sum() * scale, x.sum()

    grads, aux = func.vmap(func.grad(loss, has_aux=True), out_dims=-1)(tg.tensor(xs), scale=3.0)
    np.testing.assert_allclose(grads.numpy(), 6 * xs.T)
    np.testing.assert_allclose(aux.numpy(), xs.sum(1))


def test_a_vjp_function_from_outside_vmap_refuses_batched_cotangents():
    _, vjp_fn = func.vjp(lambda x: x.sin(), tg.tensor(RNG.standard_normal(3)))
    with pytest.raises(NotImplementedError, match="call vjp inside the vmapped function"):
        func.vmap(vjp_fn)(tg.eye(3, dtype=np.float64))
