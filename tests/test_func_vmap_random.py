"""vmap's chunk_size and randomness: chunked results against a Python loop of the function over the
samples, per-sample gradients in chunks, the random ops under randomness 'error', 'same' and
'different' (which raise, which rows repeat, the draws' statistics), nesting, and the same
semantics checked against torch.func.vmap where PyTorch is installed."""

import threading
import warnings

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import func, nn
from tinygrad_edu.func import BatchedTensor, BatchingFallbackWarning

RNG = np.random.default_rng(23)
X, Y = RNG.uniform(0.5, 2.0, (7, 2, 4)), RNG.uniform(0.5, 2.0, (7, 4))  # a batch of 7
W = RNG.standard_normal((4, 3))

# functions of one sample (x of (2, 4), y of (4,)): elementwise, reductions, shape ops, matmul, indexing
FUNCTIONS = {
    "elementwise": lambda x, y: (x * y).exp() - y.sqrt(),
    "sum": lambda x, y: x.sum(),
    "mean axis": lambda x, y: x.mean(1) + y.max(),
    "softmax": lambda x, y: x.softmax(-1),
    "matmul": lambda x, y: x @ tg.tensor(W),
    "vector @": lambda x, y: y @ x.T,
    "reshape": lambda x, y: x.reshape(4, 2).transpose(0, 1),
    "indexing": lambda x, y: x[1, [0, 2]] + y[1:3],
    "tuple out": lambda x, y: (x.sum(0), y.norm()),
    "dict out": lambda x, y: {"a": x.tanh(), "b": (x * y).sum(-1)},
}


def _close(actual, expected):
    actual_leaves, expected_leaves = func.tree_flatten(actual)[0], func.tree_flatten(expected)[0]
    assert len(actual_leaves) == len(expected_leaves)
    for a, e in zip(actual_leaves, expected_leaves):
        assert not isinstance(a, BatchedTensor)
        np.testing.assert_allclose(a.numpy(), e, rtol=1e-13, atol=1e-15)


def _stack_trees(outs):
    leaves = [func.tree_flatten(o) for o in outs]
    stacked = [np.stack([np.asarray(ls[k].numpy()) for ls, _ in leaves]) for k in range(len(leaves[0][0]))]
    return func.tree_unflatten(stacked, leaves[0][1])


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@pytest.mark.parametrize("chunk_size", [1, 3, 7, 100])
def test_chunked_equals_a_loop_over_the_samples(name, chunk_size):
    f = FUNCTIONS[name]
    expected = _stack_trees([f(tg.tensor(X[i]), tg.tensor(Y[i])) for i in range(7)])
    with warnings.catch_warnings():
        warnings.simplefilter("error", BatchingFallbackWarning)  # chunks are vectorised, not looped
        _close(func.vmap(f, chunk_size=chunk_size)(tg.tensor(X), tg.tensor(Y)), expected)


def test_chunks_with_in_dims_none_pytrees_and_out_dims():
    x = RNG.standard_normal((4, 5))
    out = func.vmap(lambda a, w: (a.reshape(4, 1) * w, w.sum()), in_dims=(1, None), out_dims=(1, 0), chunk_size=2)(
        tg.tensor(x), tg.tensor(x))
    np.testing.assert_allclose(out[0].numpy(), np.stack([x[:, i:i + 1] * x for i in range(5)], 1))
    np.testing.assert_allclose(out[1].numpy(), np.full(5, x.sum()))  # not batched: repeated
    d = func.vmap(lambda p: {"ab": p["a"] * p["b"]}, in_dims=({"a": 0, "b": None},), out_dims=-1, chunk_size=3)(
        {"a": tg.tensor(x), "b": tg.tensor(x[0])})
    np.testing.assert_allclose(d["ab"].numpy(), (x * x[0]).T)
    shared = func.vmap(lambda a, w: (a * 2, w + 1), in_dims=(0, None), out_dims=(0, None), chunk_size=3)(
        tg.tensor(x), tg.tensor(x[0]))
    np.testing.assert_allclose(shared[1].numpy(), x[0] + 1)  # out_dims None: not stacked
    scaled = func.vmap(lambda a, scale=1.0: a * scale, chunk_size=3)(tg.tensor(x), scale=3.0)
    np.testing.assert_allclose(scaled.numpy(), 3 * x)


def test_chunks_nest_inside_and_outside_without_the_slow_path():
    x, y = RNG.standard_normal((5, 3)), RNG.standard_normal((4, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error", BatchingFallbackWarning)
        for inner_chunk, outer_chunk in [(2, None), (None, 2), (3, 2), (1, 1)]:
            inner = func.vmap(lambda a, b: (a * b).sum(), in_dims=(None, 0), chunk_size=inner_chunk)
            out = func.vmap(inner, in_dims=(0, None), chunk_size=outer_chunk)(tg.tensor(x), tg.tensor(y))
            np.testing.assert_allclose(out.numpy(), x @ y.T, rtol=1e-13)
        jac = func.vmap(func.jacrev(lambda v: (tg.tensor(W.T) @ v).sin(), chunk_size=2))(tg.tensor(Y))
    expected = np.stack([np.cos(W.T @ v)[:, None] * W.T for v in Y])  # d sin(Av)/dv = diag(cos(Av)) A
    np.testing.assert_allclose(jac.numpy(), expected, rtol=1e-12)


def test_a_chunk_that_needs_the_slow_path_still_gives_the_loop():
    with pytest.warns(BatchingFallbackWarning, match="boolean mask"):  # a[mask] reads the values: no rule
        out = func.vmap(lambda a: a[a > 0.5].sum(), chunk_size=3)(tg.tensor(X))
    np.testing.assert_allclose(out.numpy(), (X * (X > 0.5)).sum((1, 2)))


def mlp_loss(p, x, y):
    h = (x @ p["w1"].T + p["b1"]).tanh()
    logits = h @ p["w2"].T + p["b2"]
    return logits.logsumexp(-1) - logits[y]


@pytest.mark.parametrize("chunk_size", [1, 2, 5])
def test_per_sample_gradients_in_chunks_equal_single_sample_gradients(chunk_size):
    params = {k: tg.tensor(RNG.standard_normal(s) * 0.5)
              for k, s in {"w1": (6, 4), "b1": (6,), "w2": (3, 6), "b2": (3,)}.items()}
    x, y = tg.tensor(RNG.standard_normal((9, 4))), tg.tensor(RNG.integers(0, 3, 9))
    chunked = func.vmap(func.grad(mlp_loss), in_dims=(None, 0, 0), chunk_size=chunk_size)(params, x, y)
    for i in range(9):
        single = func.grad(mlp_loss)(params, x[i], y[i])
        for k in params:
            np.testing.assert_allclose(chunked[k][i].numpy(), single[k].numpy(), rtol=1e-12, atol=1e-14)


def test_gradients_flow_back_through_the_chunks():
    w = tg.tensor(RNG.standard_normal(4), requires_grad=True)
    x = tg.tensor(X[:, 0])  # (7, 4)
    total = func.vmap(lambda wi, xi: (wi * xi).sin().sum(), in_dims=(None, 0), chunk_size=3)(w, x).sum()
    total.backward()
    expected = (np.cos(w.numpy() * X[:, 0]) * X[:, 0]).sum(0)  # d/dw sum_i sum_j sin(w_j x_ij)
    np.testing.assert_allclose(w.grad.numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("bad, error", [(0, ValueError), (-2, ValueError), (1.5, TypeError), (True, TypeError)])
def test_chunk_size_must_be_a_positive_int(bad, error):
    with pytest.raises(error, match="chunk_size"):
        func.vmap(lambda a: a, chunk_size=bad)
    with pytest.raises(ValueError, match="randomness='sometimes' is not supported"):
        func.vmap(lambda a: a, randomness="sometimes")


# ----------------------------------------------------------------------------------------------
# randomness

BATCH = tg.zeros(6, 5, dtype=tg.float64)  # six samples of shape (5,)
GENERATOR = tg.Generator().manual_seed(0)

# each: a function of one sample `a` of shape (5,) that draws, and its torch.func twin
RANDOM_OPS = {
    "randn": (lambda a: a + tg.randn(5), lambda t, a: a + t.randn(5)),
    "rand": (lambda a: a + tg.rand(5), lambda t, a: a + t.rand(5)),
    "randn_like": (lambda a: tg.randn_like(a), lambda t, a: t.randn_like(a)),
    "rand_like": (lambda a: tg.rand_like(a), lambda t, a: t.rand_like(a)),
    "randint": (lambda a: a + tg.randint(0, 1000, (5,)), lambda t, a: a + t.randint(0, 1000, (5,))),
    "randint_like": (lambda a: tg.randint_like(a, 1000), lambda t, a: t.randint_like(a, 1000)),
    "normal": (lambda a: a + tg.normal(0.0, 1.0, (5,)), lambda t, a: a + t.normal(0.0, 1.0, (5,))),
    "uniform": (lambda a: a + tg.uniform(0.0, 1.0, (5,)), lambda t, a: a + t.rand(5)),
    "randperm": (lambda a: a + tg.randperm(5), lambda t, a: a + t.randperm(5)),
    "multinomial": (lambda a: a + tg.multinomial(tg.ones(10), 5), lambda t, a: a + t.multinomial(t.ones(10), 5)),
    "randn generator": (lambda a: a + tg.randn(5, generator=GENERATOR),
                        lambda t, a: a + t.randn(5, generator=t.Generator().manual_seed(0))),
    "normal_ batched": (lambda a: (a + 0).normal_(), lambda t, a: (a + 0).normal_()),
    "uniform_ batched": (lambda a: (a + 0).uniform_(), lambda t, a: (a + 0).uniform_()),
    "dropout": (lambda a: F.dropout(a + 1, 0.5, True), lambda t, a: t.nn.functional.dropout(a + 1, 0.5, True)),
    "dropout unbatched": (lambda a: F.dropout(tg.ones(5), 0.5, True) + a,
                          lambda t, a: t.nn.functional.dropout(t.ones(5), 0.5, True) + a),
    "nn.Dropout": (lambda a: nn.Dropout(0.5)(a + 1), lambda t, a: t.nn.Dropout(0.5)(a + 1)),
}


def _rows_equal(out):
    return all(np.array_equal(out[0], row) for row in out[1:])


def _run(f, randomness, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BatchingFallbackWarning)  # in-place draws run once per sample
        return func.vmap(f, randomness=randomness)(*args)


@pytest.mark.parametrize("name", sorted(RANDOM_OPS))
def test_each_random_op_under_error_same_and_different(name):
    f = RANDOM_OPS[name][0]
    with pytest.raises(RuntimeError, match="randomness='error'"):
        _run(f, "error", BATCH)
    tg.manual_seed(5)
    same = _run(f, "same", BATCH).numpy()
    assert same.shape == (6, 5) and _rows_equal(same)
    different = _run(f, "different", BATCH).numpy()
    assert different.shape == (6, 5)
    assert len({row.tobytes() for row in different}) == 6  # every sample its own draw


def test_different_draws_are_the_batch_shaped_draw_of_the_same_seed():
    """One 'different' level puts its batch axis in front of the op's shape: the draws are those
    of the op asked for the batch's shape directly."""
    tg.manual_seed(3)
    batched = func.vmap(lambda a: tg.randn(5, dtype=tg.float64) + a, randomness="different")(BATCH)
    tg.manual_seed(3)
    np.testing.assert_array_equal(batched.numpy(), tg.randn(6, 5, dtype=tg.float64).numpy())


def test_statistics_of_different_draws():
    tg.manual_seed(0)
    n = 4000
    batch = tg.zeros(n, 3, dtype=tg.float64)
    normal = func.vmap(lambda a: tg.randn(3), randomness="different")(batch).numpy()
    assert abs(normal.mean()) < 4 / np.sqrt(3 * n) and abs(normal.var() - 1) < 0.05
    assert np.all(np.abs(np.corrcoef(normal.T) - np.eye(3)) < 0.06)  # independent coordinates
    uniform = func.vmap(lambda a: tg.rand_like(a), randomness="different")(batch).numpy()
    assert abs(uniform.mean() - 0.5) < 0.01 and abs(uniform.var() - 1 / 12) < 0.005 and uniform.min() >= 0
    kept = func.vmap(lambda a: F.dropout(a + 1, 0.25, True), randomness="different")(batch).numpy()
    assert set(np.unique(kept)) <= {0.0, 1 / 0.75} and abs((kept > 0).mean() - 0.75) < 0.02
    firsts = func.vmap(lambda a: tg.randperm(4)[0], randomness="different")(batch).numpy()
    assert np.all(np.abs(np.bincount(firsts, minlength=4) / n - 0.25) < 0.03)  # a uniform first element


def test_same_seed_same_draws_run_to_run_also_in_chunks():
    runs = []
    for _ in range(2):
        tg.manual_seed(11)
        runs.append([func.vmap(lambda a: a + tg.randn(5), randomness="different", chunk_size=chunk)(BATCH).numpy()
                     for chunk in (None, 4)])
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])


def test_same_draws_the_same_in_every_chunk_and_every_slow_path_call():  # a[a == a]: a mask, the slow path
    chunked = func.vmap(lambda a: a + tg.randn(5), randomness="same", chunk_size=4)(BATCH).numpy()
    assert _rows_equal(chunked)
    with pytest.warns(BatchingFallbackWarning):
        looped = func.vmap(lambda a: a[a == a] + tg.randn(5), randomness="same")(BATCH).numpy()
    assert _rows_equal(looped)
    with pytest.warns(BatchingFallbackWarning):
        looped = func.vmap(lambda a: a[a == a] + tg.randn(5), randomness="different")(BATCH).numpy()
    assert len({row.tobytes() for row in looped}) == 6
    with pytest.warns(BatchingFallbackWarning), pytest.raises(RuntimeError, match="randomness='error'"):
        func.vmap(lambda a: a[a == a] + tg.randn(5, generator=tg.Generator().manual_seed(0)))(BATCH)


def test_same_dropout_of_a_batched_input_is_one_mask_for_every_sample():
    x = tg.tensor(RNG.uniform(1.0, 2.0, (6, 50)))
    out = func.vmap(lambda a: F.dropout(a, 0.5, True), randomness="same")(x).numpy()
    zeros = out == 0
    assert _rows_equal(zeros) and 0 < zeros.sum() < zeros.size
    np.testing.assert_allclose(out[~zeros], 2 * x.numpy()[~zeros])  # the kept ones scaled by 1/(1 - p)


def test_dropout_in_eval_mode_draws_nothing():
    model = nn.Dropout(0.5)
    model.eval()
    np.testing.assert_array_equal(func.vmap(model)(BATCH).numpy(), BATCH.numpy())


def test_per_sample_gradients_with_their_own_dropout_masks():
    w = tg.tensor(RNG.standard_normal(40))
    x = tg.tensor(RNG.uniform(1.0, 2.0, (5, 40)))
    grads = func.vmap(func.grad(lambda wi, xi: (F.dropout(xi, 0.5, True) * wi).sum()), in_dims=(None, 0),
                      randomness="different")(w, x).numpy()
    kept = grads != 0  # d/dw sum(dropout(x) * w) = dropout(x): 0 or 2 x
    np.testing.assert_allclose(grads[kept], 2 * x.numpy()[kept])
    assert len({row.tobytes() for row in kept}) == 5


NESTED = {  # (outer, inner): None if it raises, else (rows equal over the outer batch, over the inner batch)
    ("error", "error"): None, ("error", "same"): None, ("error", "different"): None, ("same", "error"): None,
    ("different", "error"): None, ("same", "same"): (True, True), ("same", "different"): (True, False),
    ("different", "same"): (False, True), ("different", "different"): (False, False),
}


@pytest.mark.parametrize("outer, inner", sorted(NESTED))
@pytest.mark.parametrize("outer_chunk, inner_chunk", [(None, None), (2, 1)])
def test_nested_levels_each_follow_their_own_randomness(outer, inner, outer_chunk, inner_chunk):
    nested = func.vmap(func.vmap(lambda a: a + tg.randn(4), randomness=inner, chunk_size=inner_chunk),
                       randomness=outer, chunk_size=outer_chunk)
    batch = tg.zeros(3, 2, 4)
    if NESTED[outer, inner] is None:
        with pytest.raises(RuntimeError, match="randomness='error'"):
            nested(batch)
        return
    out = nested(batch).numpy()
    assert out.shape == (3, 2, 4)
    assert (_rows_equal(out), _rows_equal(out.transpose(1, 0, 2))) == NESTED[outer, inner]


def test_random_ops_in_another_thread_are_not_batched_by_this_threads_vmap():
    inside, release, seen = threading.Event(), threading.Event(), []

    def vmapped(a):
        inside.set()
        release.wait(5)
        return a + tg.randn(5)

    worker = threading.Thread(target=lambda: seen.append(func.vmap(vmapped, randomness="different")(BATCH)))
    worker.start()
    inside.wait(5)
    plain = tg.randn(5)  # drawn here while the other thread is inside vmap
    release.set()
    worker.join(5)
    assert type(plain) is tg.Tensor and plain.shape == (5,)
    assert seen[0].shape == (6, 5) and len({row.tobytes() for row in seen[0].numpy()}) == 6


# ----------------------------------------------------------------------------------------------
# against torch.func.vmap


def _torch_outcome(torch, f, randomness, chunk_size=None):
    try:
        out = torch.func.vmap(lambda a: f(torch, a), randomness=randomness, chunk_size=chunk_size)(
            torch.zeros(6, 5, dtype=torch.float64))
    except RuntimeError:
        return "raises"
    return tuple(out.shape), _rows_equal(out.numpy())


def _own_outcome(f, randomness, chunk_size=None):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BatchingFallbackWarning)
            out = func.vmap(f, randomness=randomness, chunk_size=chunk_size)(BATCH)
    except RuntimeError:
        return "raises"
    return tuple(out.shape), _rows_equal(out.numpy())


@pytest.mark.parametrize("name", sorted(RANDOM_OPS))
def test_random_ops_match_torch_func_vmap(name):
    torch = pytest.importorskip("torch")
    ours, theirs = RANDOM_OPS[name]
    for randomness in ("error", "same", "different"):
        for chunk_size in (None, 4):
            assert _own_outcome(ours, randomness, chunk_size) == _torch_outcome(torch, theirs, randomness, chunk_size)


@pytest.mark.parametrize("outer, inner", sorted(NESTED))
def test_nested_randomness_matches_torch_func_vmap(outer, inner):
    torch = pytest.importorskip("torch")
    nested = torch.func.vmap(torch.func.vmap(lambda a: a + torch.randn(4), randomness=inner), randomness=outer)
    try:
        out = nested(torch.zeros(3, 2, 4)).numpy()
        expected = (_rows_equal(out), _rows_equal(out.transpose(1, 0, 2)))
    except RuntimeError:
        expected = None
    assert NESTED[outer, inner] == expected


def test_chunks_match_torch_func_vmap():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((5, 3, 4))
    for chunk_size in (1, 2, 5, 9):
        for in_dims, out_dims in [(0, 0), (1, 0), (0, -1), (1, 1)]:
            ours = func.vmap(lambda a: (a.sin() @ tg.tensor(W)).sum(0), in_dims, out_dims, chunk_size=chunk_size)(
                tg.tensor(x))
            theirs = torch.func.vmap(lambda a: (a.sin() @ torch.tensor(W)).sum(0), in_dims, out_dims,
                                     chunk_size=chunk_size)(torch.tensor(x))
            assert ours.shape == tuple(theirs.shape)
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    for bad in (0, -1):
        with pytest.raises(ValueError, match="chunk_size should be None or greater than 0"):
            torch.func.vmap(lambda a: a, chunk_size=bad)(torch.zeros(2))
        with pytest.raises(ValueError, match="chunk_size should be None or greater than 0"):
            func.vmap(lambda a: a, chunk_size=bad)(tg.zeros(2))


def test_in_place_draws_into_an_unbatched_tensor_run_once_per_sample():
    """torch.func raises here ("different inplace randomness on an unbatched tensor"); in-place
    draws have no batching rule, so vmap runs the function per sample and each call refills it."""
    target = tg.zeros(5, dtype=tg.float64)
    with pytest.warns(BatchingFallbackWarning, match="normal_ has no batching rule"):
        out = func.vmap(lambda a: target.normal_() + a, randomness="different")(BATCH).numpy()
    assert len({row.tobytes() for row in out}) == 6
    np.testing.assert_array_equal(target.numpy(), out[-1])  # left holding the last sample's draw
