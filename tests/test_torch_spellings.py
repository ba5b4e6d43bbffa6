"""PyTorch's spellings built from the engine's ops: values against NumPy, shapes and errors.
(Their gradients are checked against central differences in tests/test_ops_gradcheck.py.)"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg

A = np.arange(1.0, 13.0).reshape(3, 4) / 4.0


def t64(values, requires_grad=False) -> tg.Tensor:
    return tg.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


@pytest.mark.parametrize("method, reference", [
    (lambda x: x.t(), lambda a: a.T),
    (lambda x: x.mm(x.t()), lambda a: a @ a.T),
    (lambda x: x.mv(x[0]), lambda a: a @ a[0]),
    (lambda x: x.reshape(1, 3, 4).bmm(x.t().reshape(1, 4, 3)), lambda a: (a @ a.T)[None]),
    (lambda x: x[0].outer(x[1]), lambda a: np.outer(a[0], a[1])),
    (lambda x: x.reciprocal(), lambda a: 1 / a),
    (lambda x: x.rsqrt(), lambda a: 1 / np.sqrt(a)),
    (lambda x: x.cumsum(1), lambda a: np.cumsum(a, axis=1)),
    (lambda x: x.cumsum(), lambda a: np.cumsum(a)),
    (lambda x: x.tril(), np.tril),
    (lambda x: x.triu(1), lambda a: np.triu(a, 1)),
    (lambda x: x.masked_fill(x > 1.5, -1.0), lambda a: np.where(a > 1.5, -1.0, a)),
    (lambda x: x.where(x > 1.5, 0.0), lambda a: np.where(a > 1.5, a, 0.0)),
    (lambda x: x.amax(1), lambda a: a.max(axis=1)),
    (lambda x: x.amin(dim=0, keepdim=True), lambda a: a.min(axis=0, keepdims=True)),
    (lambda x: x.norm(), np.linalg.norm),
    (lambda x: x.norm(dim=1, keepdim=True), lambda a: np.linalg.norm(a, axis=1, keepdims=True)),
    (lambda x: x.norm(p=1, axis=0), lambda a: np.abs(a).sum(axis=0)),
    (lambda x: x.norm(p=np.inf), lambda a: np.abs(a).max()),
    (lambda x: x.norm(p=3), lambda a: (np.abs(a) ** 3).sum() ** (1 / 3)),
    (lambda x: x.unbind(1)[2], lambda a: a[:, 2]),
    (lambda x: x.narrow(1, 1, 2), lambda a: a[:, 1:3]),
    (lambda x: x.roll(1, 1), lambda a: np.roll(a, 1, axis=1)),
    (lambda x: x.roll((1, -1), dims=(0, 1)), lambda a: np.roll(a, (1, -1), axis=(0, 1))),
    (lambda x: x.roll(5), lambda a: np.roll(a, 5)),
    (lambda x: x.diag(), np.diag),
    (lambda x: x.diag(1), lambda a: np.diag(a, 1)),
    (lambda x: x[0].diag(-1), lambda a: np.diag(a[0], -1)),
    (lambda x: x.trace(), np.trace),
    (lambda x: x.lerp(x * 2.0, 0.25), lambda a: a * 1.25),
    (lambda x: (x * 3.7).floor(), lambda a: np.floor(a * 3.7)),
    (lambda x: (x * 3.7).ceil(), lambda a: np.ceil(a * 3.7)),
    (lambda x: (x * 2.0).round(), lambda a: np.round(a * 2.0)),
])
def test_values_match_numpy(method, reference):
    np.testing.assert_allclose(method(t64(A)).numpy(), reference(A), rtol=1e-12)


def test_comparison_methods_match_the_operators():
    x = t64(A)
    for name, ufunc in [("eq", np.equal), ("ne", np.not_equal), ("lt", np.less), ("le", np.less_equal),
                        ("gt", np.greater), ("ge", np.greater_equal)]:
        np.testing.assert_array_equal(getattr(x, name)(1.5).numpy(), ufunc(A, 1.5))


def test_nan_and_inf_checks():
    x = t64([1.0, np.nan, np.inf, -np.inf])
    np.testing.assert_array_equal(x.isnan().numpy(), [False, True, False, False])
    np.testing.assert_array_equal(x.isinf().numpy(), [False, False, True, True])
    np.testing.assert_array_equal(tg.isfinite(x).numpy(), [True, False, False, False])


def test_piecewise_constant_results_are_outside_the_graph():
    x = t64(A, requires_grad=True)
    assert not x.floor().requires_grad and not x.round().requires_grad and not x.isnan().requires_grad


def test_new_tensors_take_the_dtype_and_not_the_graph():
    x = tg.tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    for made, expected in [(x.new_zeros(2, 3), np.zeros((2, 3))), (x.new_ones((2,)), np.ones(2)),
                           (x.new_full((2,), 7.0), [7.0, 7.0]), (x.new_tensor([1, 2]), [1.0, 2.0])]:
        assert made.dtype == np.float32 and not made.requires_grad
        np.testing.assert_array_equal(made.numpy(), expected)


@pytest.mark.parametrize("call, message", [
    (lambda: t64(np.ones((2, 2, 2))).t(), "t:"),
    (lambda: t64(np.ones((2, 3))).mm(t64(np.ones(3))), "mm:"),
    (lambda: t64(np.ones((2, 2, 3))).bmm(t64(np.ones((3, 3, 2)))), "bmm:"),
    (lambda: t64(np.ones((2, 3))).mv(t64(np.ones((3, 1)))), "mv:"),
    (lambda: t64(np.ones((2, 3))).outer(t64(np.ones(3))), "outer:"),
    (lambda: t64(np.ones(3)).tril(), "tril:"),
])
def test_wrong_shapes_are_refused_naming_the_op(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_norm_of_a_zero_row_has_zero_gradient():
    # d||x||/dx = x / ||x||, taken as 0 where ||x|| = 0 (PyTorch's subgradient), not 0/0
    x = t64([[0.0, 0.0], [3.0, 4.0]], requires_grad=True)
    x.norm(dim=1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0.0, 0.0], [0.6, 0.8]])


def test_norm_refuses_a_meaningless_p():
    with pytest.raises(ValueError, match="norm"):
        t64(A).norm(p=-1)


@pytest.mark.parametrize("update, function, derivative", [
    (lambda t: t.exp_(), np.exp, np.exp),
    (lambda t: t.tanh_(), np.tanh, lambda a: 1 - np.tanh(a) ** 2),
    # A holds 0.5 and 2.0 exactly: at the bounds the gradient passes, PyTorch's convention for clamp
    (lambda t: t.clamp_(0.5, 2.0), lambda a: np.clip(a, 0.5, 2.0), lambda a: ((a >= 0.5) & (a <= 2.0)) * 1.0),
    (lambda t: t.pow_(3), lambda a: a ** 3, lambda a: 3 * a ** 2),
    (lambda t: t.neg_(), np.negative, lambda a: -np.ones_like(a)),
])
def test_unary_inplace_ops_rebase_the_graph(update, function, derivative):
    # y = f(x) written into y in place; loss = sum(y): dloss/dx = f'(x)
    x = t64(A, requires_grad=True)
    y = x * 1.0
    assert update(y) is y
    y.sum().backward()
    np.testing.assert_allclose(y.numpy(), function(A), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), derivative(A), rtol=1e-12)


def test_unary_inplace_ops_without_graph_write_in_place():
    x = t64(A)
    data = x.numpy()
    x.relu_().sqrt_()
    assert x.numpy() is data
    np.testing.assert_allclose(x.numpy(), np.sqrt(A))


def test_unary_inplace_on_a_leaf_that_requires_grad_refuses_and_keeps_values():
    x = t64(A, requires_grad=True)
    with pytest.raises(RuntimeError, match="exp_: a leaf"):
        x.exp_()
    np.testing.assert_array_equal(x.numpy(), A)


def test_sort_gives_values_and_indices_and_a_gradient_through_the_values():
    a = np.array([[3.0, 1.0, 2.0, 5.0], [0.5, 4.0, 4.5, -1.0]])
    x = t64(a, requires_grad=True)
    values, indices = x.sort(dim=1, descending=True)
    np.testing.assert_array_equal(indices.numpy(), np.argsort(-a, axis=1))
    np.testing.assert_array_equal(values.numpy(), -np.sort(-a, axis=1))
    # d/dx of sum(w * sorted(x)): each x gets the weight of the place it was sorted to
    weights = np.array([[1.0, 2.0, 3.0, 4.0]] * 2)
    (values * t64(weights)).sum().backward()
    expected = np.zeros_like(a)
    np.put_along_axis(expected, np.argsort(-a, axis=1), weights, axis=1)
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_topk_takes_the_first_k_of_the_sort():
    a = np.array([[3.0, 1.0, 2.0, 5.0], [0.5, 4.0, 4.5, -1.0]])
    result = tg.topk(t64(a), 2)
    np.testing.assert_array_equal(result.values.numpy(), [[5.0, 3.0], [4.5, 4.0]])
    np.testing.assert_array_equal(result.indices.numpy(), [[3, 0], [2, 1]])
    smallest = t64(a).topk(1, dim=0, largest=False)
    np.testing.assert_array_equal(smallest.values.numpy(), [[0.5, 1.0, 2.0, -1.0]])
    with pytest.raises(ValueError, match="topk"):
        t64(a).topk(5)


def test_nan_to_num_replaces_and_passes_the_gradient_only_where_finite():
    x = t64([1.0, np.nan, np.inf, -np.inf], requires_grad=True)
    y = x.nan_to_num(0.0, 9.0, -9.0)
    np.testing.assert_array_equal(y.numpy(), [1.0, 0.0, 9.0, -9.0])
    (y * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 0.0, 0.0, 0.0])


def test_masked_select_nonzero_logical_and_casts():
    a = np.array([[1.0, -2.0, 0.0], [3.0, 0.0, -1.0]])
    x = t64(a, requires_grad=True)
    picked = x.masked_select(tg.tensor(a > 0))
    np.testing.assert_array_equal(picked.numpy(), [1.0, 3.0])
    picked.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), (a > 0) * 1.0)
    np.testing.assert_array_equal(x.nonzero().numpy(), np.argwhere(a))
    positive = x > 0
    np.testing.assert_array_equal(positive.logical_not().numpy(), ~(a > 0))
    np.testing.assert_array_equal(positive.logical_and(x < 2).numpy(), (a > 0) & (a < 2))
    np.testing.assert_array_equal(positive.logical_or(x < -1).numpy(), (a > 0) | (a < -1))
    np.testing.assert_array_equal(positive.logical_xor(x >= 0).numpy(), (a > 0) ^ (a >= 0))
    assert x.half().dtype == np.float16 and x.int().dtype == np.int32
