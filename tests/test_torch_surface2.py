"""More of PyTorch's surface that the program corpus (tests/programs/) needs: scatter_/scatter,
index_add_, allclose/isclose/equal, new_* with dtype=, size= on factories, torch.accelerator,
torch.load's keywords, AccumulateGrad in graph walks and torch.autograd.gradcheck. Expected values
come from mathematics or NumPy, and from PyTorch where it is installed."""

import numpy as np
import pytest

import tinygrad_edu as tg


def test_scatter_writes_along_a_dim_and_one_hot_encodes():
    assert tg.zeros(5).scatter_(0, tg.tensor(3), value=1).tolist() == [0, 0, 0, 1, 0]
    rows = tg.zeros(2, 3).scatter_(1, tg.tensor([[2], [0]]), 5.0)
    assert rows.tolist() == [[0, 0, 5], [5, 0, 0]]
    src = tg.arange(6.0).reshape(2, 3)
    out = tg.zeros(2, 3).scatter(0, tg.tensor([[1, 0, 1]]), src)  # out[index[0, j], j] = src[0, j]
    assert out.tolist() == [[0, 1, 0], [0, 0, 2]]


def test_scatter_is_differentiable_in_the_tensor_and_the_source():
    x = tg.tensor(np.arange(6.0).reshape(2, 3) + 1, requires_grad=True)
    src = tg.tensor(np.arange(6.0).reshape(2, 3) - 2, requires_grad=True)
    weights = tg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    (x.scatter(0, tg.tensor([[1, 0, 1]]), src) * weights).sum().backward()
    # written places (1, 0), (0, 1), (1, 2) take src[0, j]: their weight flows to src, not to x
    assert src.grad.tolist() == [[4, 2, 6], [0, 0, 0]]
    assert x.grad.tolist() == [[1, 0, 3], [0, 5, 0]]


def test_scatter_refuses_bad_indices_with_pytorchs_errors():
    with pytest.raises(RuntimeError, match="out of bounds"):
        tg.zeros(2, 3).scatter_(1, tg.tensor([[3]]), 1.0)
    with pytest.raises(RuntimeError, match="dimensions"):
        tg.zeros(2, 3).scatter_(1, tg.tensor([1]), 1.0)
    with pytest.raises(RuntimeError, match="integer"):
        tg.zeros(2, 3).scatter_(1, tg.tensor([[1.0]]), 1.0)


def test_index_add_accumulates_repeated_indices_and_is_differentiable():
    x = tg.zeros(3, 2, requires_grad=True)
    source = tg.tensor(np.arange(8.0).reshape(4, 2), requires_grad=True)
    out = x.index_add(0, tg.tensor([0, 2, 0, 1]), source, alpha=2)
    assert out.tolist() == [[2 * (0 + 4), 2 * (1 + 5)], [12, 14], [4, 6]]
    tg.gradcheck(lambda a, s: a.index_add(1, tg.tensor([1, 1, 0]), s), [tg.tensor(np.ones((2, 2)), requires_grad=True),
                                                                         tg.tensor(np.ones((2, 3)), requires_grad=True)])
    table = tg.zeros(4, 2)
    table.index_add_(0, tg.tensor([3, 3]), tg.ones(2, 2))
    assert table.tolist() == [[0, 0], [0, 0], [0, 0], [2, 2]]
    with pytest.raises(RuntimeError, match="needs shape"):
        table.index_add_(0, tg.tensor([0]), tg.ones(2, 2))


def test_allclose_isclose_and_equal_follow_numpys_test():
    a, b = tg.tensor([1.0, 2.0], dtype=tg.float64), tg.tensor([1.0, 2.00001], dtype=tg.float64)
    assert tg.allclose(a, b) is True and a.allclose(b) and not tg.allclose(a, b + 1e-3)
    assert tg.isclose(a, tg.tensor([1.0, 3.0])).tolist() == [True, False]
    assert tg.equal(a, a.clone()) is True and not tg.equal(a, b) and not tg.equal(a, tg.tensor([1.0, 2.0, 3.0]))
    assert tg.allclose(tg.tensor([np.nan]), tg.tensor([np.nan]), equal_nan=True)


def test_new_factories_take_dtype_and_both_size_spellings():
    x = tg.zeros(2, dtype=tg.float32)
    assert x.new_ones(5, 3, dtype=tg.double).dtype == np.float64 and x.new_ones((2, 3)).shape == (2, 3)
    assert x.new_zeros(4).dtype == np.float32 and x.new_full((2,), 7, dtype=tg.long).tolist() == [7, 7]
    assert x.new_tensor([1, 2], requires_grad=True).requires_grad
    assert tg.rand(size=(1, 2, 3)).shape == (1, 2, 3) and tg.zeros(size=4).shape == (4,)
    assert tg.ones(size=[2, 2]).sum().item() == 4 and tg.empty(size=(0, 3)).shape == (0, 3)
    with pytest.raises(TypeError, match="not both"):
        tg.randn(2, size=(2,))


def test_accelerator_answers_for_a_machine_without_one():
    assert tg.accelerator.is_available() is False and tg.accelerator.device_count() == 0
    assert tg.accelerator.current_accelerator() is None


def test_load_takes_pytorchs_keywords(tmp_path):
    path = tmp_path / "w.pth"
    tg.save({"w": tg.ones(2)}, path)
    assert tg.load(path, weights_only=True)["w"].tolist() == [1, 1]
    assert tg.load(path, map_location="cpu", weights_only=False)["w"].tolist() == [1, 1]
    with pytest.raises(RuntimeError, match="CPU"):
        tg.load(path, map_location="cuda:0")


def test_a_graph_walk_over_next_functions_meets_each_leaf_once():
    a, b = tg.tensor(2.0, requires_grad=True), tg.tensor(3.0, requires_grad=True)
    loss = a * b + a
    seen, stack = set(), [loss.grad_fn]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(child for child, _ in node.next_functions if child is not None)
    leaves = {id(n.variable) for n in seen if hasattr(n, "variable")}
    assert leaves == {id(a), id(b)} and len(seen) == 4  # add, mul and one AccumulateGrad per leaf


def test_torch_autograd_gradcheck_is_the_engines():
    from tinygrad_edu.autograd import gradcheck

    assert gradcheck is tg.gradcheck and tg.autograd.gradgradcheck is tg.gradgradcheck
    assert gradcheck(lambda x: (x * x).sum(), [tg.tensor(np.ones(3), requires_grad=True)])


def test_scatter_and_index_add_agree_with_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    base, src = rng.standard_normal((3, 4)), rng.standard_normal((2, 4))
    index = np.array([[2, 0, 1, 2], [0, 1, 2, 0]])
    ours = tg.tensor(base).scatter(0, tg.tensor(index), tg.tensor(src))
    theirs = torch.tensor(base).scatter(0, torch.tensor(index), torch.tensor(src))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())
    rows = np.array([1, 1, 0])
    ours = tg.tensor(base).index_add(1, tg.tensor(rows), tg.tensor(rng.standard_normal((3, 3)) * 0 + 1), alpha=0.5)
    theirs = torch.tensor(base).index_add(1, torch.tensor(rows), torch.ones(3, 3, dtype=torch.float64), alpha=0.5)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())


def test_random_fills_in_place_follow_the_generator_and_refuse_leaves_that_need_grad():
    w = tg.empty(20000)
    assert w.normal_(0, 0.01) is w and abs(w.numpy().std() - 0.01) < 5e-4 and abs(w.numpy().mean()) < 5e-4
    u = tg.empty(20000).uniform_(-1, 1)
    assert -1 <= u.numpy().min() and u.numpy().max() < 1 and abs(u.numpy().mean()) < 0.03
    a = tg.empty(5).normal_(generator=tg.Generator().manual_seed(3))
    assert np.array_equal(a.numpy(), tg.empty(5).normal_(generator=tg.Generator().manual_seed(3)).numpy())
    p = tg.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError):
        p.uniform_(-1, 1)  # PyTorch: a leaf that requires grad is used in an in-place operation
    with tg.no_grad():
        p.uniform_(-1, 1)
    assert p.dtype == np.float32 and p.requires_grad and (p.numpy() != 0).all()


def test_masked_fill_in_place_and_the_as_forms():
    x = tg.tensor([[1.0, -2.0], [3.0, -4.0]], requires_grad=True)
    y = x * 1.0
    y.masked_fill_(y < 0, 0.0)
    y.sum().backward()
    assert y.tolist() == [[1, 0], [3, 0]] and x.grad.tolist() == [[1, 0], [1, 0]]
    row = tg.tensor([1.0, 2.0])
    assert row.expand_as(x).shape == (2, 2) and tg.arange(4.0).view_as(x).shape == (2, 2)
    assert tg.arange(4.0).reshape_as(x).tolist() == [[0, 1], [2, 3]]
    assert tg.tensor([1, 2]).type_as(x).dtype == np.float32
    assert tg.numel(x) == 4 and tg.is_tensor(x) and not tg.is_tensor(x.numpy())


def test_normal_with_tensor_mean_and_std_draws_one_sample_per_element():
    means = tg.tensor([0.0, 100.0, -100.0])
    draws = tg.normal(means, tg.tensor([1e-3, 1e-3, 1e-3]))
    assert draws.shape == (3,) and draws.dtype == np.float32
    np.testing.assert_allclose(draws.numpy(), means.numpy(), atol=0.01)
    assert tg.normal(tg.zeros(2, 1), 1.0).shape == (2, 1) and tg.normal(0, 1, size=(4,)).shape == (4,)


def test_histogram_counts_like_numpy_and_refuses_integers():
    t = tg.tensor([-1.0, -0.5, 0.1, 0.2, 0.9])
    hist, edges = tg.histogram(t, bins=4, range=(-1.0, 1.0))
    assert hist.tolist() == [1, 1, 2, 1] and edges.tolist() == [-1, -0.5, 0, 0.5, 1]
    density = t.histogram(bins=4, range=(-1.0, 1.0), density=True).hist
    np.testing.assert_allclose((density * 0.5).sum().item(), 1.0, rtol=1e-6)  # densities integrate to one
    assert tg.histogram(t).hist.shape == (100,)
    with pytest.raises(TypeError, match="floating point"):
        tg.histogram(tg.tensor([1, 2]))
