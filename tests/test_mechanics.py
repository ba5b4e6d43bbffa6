"""Autograd mechanics: accumulation, retain_graph, version counters, in-place rebasing, grad mode,
hooks, deep graphs, freeing, anomaly detection, higher-order derivatives and custom Functions."""

from __future__ import annotations

import gc
import threading
import weakref

import numpy as np
import pytest

import tinygrad_edu as tg


def f64(values, requires_grad: bool = True) -> tg.Tensor:
    """A float64 leaf tensor (exact enough for comparisons with hand-derived gradients)."""
    return tg.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


# ----------------------------------------------------------------------------------------------
# gradient accumulation


def test_tensor_used_twice_in_add_accumulates():
    a = f64([1.0, -2.0, 3.0])
    (a + a).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [2.0, 2.0, 2.0])


def test_tensor_used_twice_in_mul_accumulates():
    a = f64([1.0, -2.0, 3.0])
    (a * a).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), 2 * a.numpy())


def test_diamond_graph_sums_both_paths():
    x = f64([0.5, 1.5])
    top = x * 3.0
    left = top.exp()
    right = top.sin()
    (left * right).sum().backward()
    t = 3.0 * x.numpy()
    expected = 3.0 * (np.exp(t) * np.sin(t) + np.exp(t) * np.cos(t))
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)


def test_two_backward_calls_accumulate_into_grad():
    x = f64([1.0, 2.0])
    (x * x).sum().backward()
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy() + 3.0)


def test_backward_does_not_alias_shared_gradient_arrays():
    """Two leaves receiving the same upstream gradient array must not share (and double-count) storage."""
    a, b = f64([1.0, 2.0]), f64([3.0, 4.0])
    (a + b).sum().backward()
    (a + b).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [2.0, 2.0])
    np.testing.assert_allclose(b.grad.numpy(), [2.0, 2.0])


# ----------------------------------------------------------------------------------------------
# retain_graph


def test_retain_graph_allows_second_backward():
    x = f64([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)


def test_second_backward_through_freed_graph_raises():
    x = f64([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_backward_with_inputs_accumulates_only_into_them():
    # loss = sum((x w)^2): d/dw = 2 x^2 w, d/dh = 2h with h = x w; x is left alone
    x, w = f64([1.0, 2.0]), f64([3.0, 4.0])
    h = x * w
    (h * h).sum().backward(inputs=[w, h])
    assert x.grad is None
    np.testing.assert_allclose(w.grad.numpy(), [6.0, 32.0])
    np.testing.assert_allclose(h.grad.numpy(), [6.0, 16.0])


def test_backward_inputs_must_require_grad():
    x = f64([1.0])
    with pytest.raises(RuntimeError, match="inputs"):
        (x * 2.0).sum().backward(inputs=[tg.tensor([1.0])])


# ----------------------------------------------------------------------------------------------
# version counters and in-place operations


def test_modifying_saved_input_in_place_raises_naming_the_op():
    x = f64([1.0, 2.0])
    w = x * 1.0
    y = x * w  # Mul saves w
    w += 1
    with pytest.raises(RuntimeError, match="Mul") as info:
        y.sum().backward()
    assert "in-place" in str(info.value)


def test_modifying_saved_output_in_place_raises_naming_the_op():
    x = f64([0.1, 0.2])
    out = x.exp()  # Exp saves its output
    out += 1
    with pytest.raises(RuntimeError, match="Exp"):
        out.sum().backward()


def test_setitem_on_saved_nonleaf_raises_naming_the_op():
    x = f64([1.0, 2.0, 3.0])
    h = x * 2.0
    y = h.log()  # Log saves its input h
    h[0] = 5.0
    with pytest.raises(RuntimeError, match="Log"):
        y.sum().backward()


def test_modifying_saved_leaf_under_no_grad_raises():
    x, w = f64([1.0, 2.0]), f64([3.0, 4.0])
    y = x * w
    with tg.no_grad():
        w += 1
    with pytest.raises(RuntimeError, match="Mul"):
        y.sum().backward()


def test_inplace_on_unsaved_tensor_is_fine():
    x = f64([1.0, 2.0])
    h = x * 2.0
    y = h + 1.0  # Add saves nothing, so changing h afterwards cannot corrupt its backward
    h += 5.0
    (y.sum() + h.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 4.0])


def test_inplace_through_a_view_updates_the_base_in_the_graph():
    # y = x * 1 = [1, 2, 3]; y[0] doubled through a view; loss = sum(y^2) = 4x0^2 + x1^2 + x2^2
    x = f64([1.0, 2.0, 3.0])
    y = x * 1.0
    y[0:1].mul_(2.0)
    (y * y).sum().backward()
    np.testing.assert_allclose(y.numpy(), [2.0, 2.0, 3.0])
    np.testing.assert_allclose(x.grad.numpy(), [8.0, 4.0, 6.0])


def test_inplace_through_a_view_of_a_view():
    # y0 is tripled through v[0:1], a view of the view v: loss = 9x0^2 + x1^2 + x2^2
    x = f64([1.0, 2.0, 3.0])
    y = x * 1.0
    v = y[0:2]
    v[0:1].mul_(3.0)
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [18.0, 4.0, 6.0])


def test_inplace_through_a_view_taken_under_no_grad_makes_its_region_constant():
    # v holds values taken without grad, so y0 = 2 and y1 = 4 become constants: d sum(y^2)/dx = [0, 0, 2x2]
    x = f64([1.0, 2.0, 3.0])
    y = x * 1.0
    with tg.no_grad():
        v = y[0:2]
    v.mul_(2.0)
    (y * y).sum().backward()
    np.testing.assert_allclose(y.numpy(), [2.0, 4.0, 3.0])
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0, 6.0])


@pytest.mark.parametrize("write, factor", [
    (lambda y: y.reshape(6).mul_(2.0), [[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]]),
    (lambda y: y.T.mul_(3.0), [[3.0, 3.0, 3.0], [3.0, 3.0, 3.0]]),
    (lambda y: y.flatten()[1:3].mul_(2.0), [[1.0, 2.0, 2.0], [1.0, 1.0, 1.0]]),
    (lambda y: y.permute(1, 0)[0].mul_(5.0), [[5.0, 1.0, 1.0], [5.0, 1.0, 1.0]]),
])
def test_inplace_through_reshape_and_permute_views_reaches_the_base(write, factor):
    # y = x * 1 scaled elementwise by `factor` through a view: d sum(y^2)/dx = 2 factor^2 x
    values = np.arange(1.0, 7.0).reshape(2, 3)
    x = f64(values)
    y = x * 1.0
    write(y)
    (y * y).sum().backward()
    np.testing.assert_allclose(y.numpy(), np.array(factor) * values)
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.array(factor) ** 2 * values)


def test_augmented_assignment_on_an_index_matches_the_method_form():
    x = f64([1.0, 2.0, 3.0])
    y = x * 1.0
    y[1:] += 1.0
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 6.0, 8.0])


@pytest.mark.parametrize("alias", [
    lambda t: t[0:2],  # a view made by indexing
    lambda t: t.reshape(3),  # a view made by reshape
    lambda t: t.detach(),  # a detached tensor shares memory too
])
def test_writing_a_saved_tensor_through_an_alias_raises(alias):
    x = f64([1.0, 2.0, 3.0])
    h = x * 1.0
    y = h.sin()  # Sin saves h
    with tg.no_grad():
        alias(h).mul_(2.0)
    with pytest.raises(RuntimeError, match="Sin") as info:
        y.sum().backward()
    assert "in-place" in str(info.value)


def test_writing_a_saved_output_through_a_view_raises():
    x = f64([0.1, 0.2, 0.3])
    out = x.exp()  # Exp saves its output
    view = out.reshape(3)
    view += 1.0
    with pytest.raises(RuntimeError, match="Exp"):
        out.sum().backward()


def test_inplace_on_a_view_of_a_leaf_requiring_grad_refuses_and_keeps_values():
    x = f64([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match="view .* of a leaf"):
        x[0:2].mul_(2.0)
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0, 3.0])


@pytest.mark.parametrize("update", [
    lambda t: t.__iadd__(1.0),
    lambda t: t.mul_(2.0),
    lambda t: t.zero_(),
    lambda t: t.__setitem__(0, 1.0),
])
def test_inplace_on_leaf_requiring_grad_refuses(update):
    x = f64([1.0, 2.0])
    with pytest.raises(RuntimeError, match="leaf"):
        update(x)
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0])


def test_inplace_on_leaf_allowed_under_no_grad():
    x = f64([1.0, 2.0])
    with tg.no_grad():
        x -= 0.5
        x.mul_(2.0)
    np.testing.assert_allclose(x.numpy(), [1.0, 3.0])
    assert x.is_leaf and x.requires_grad


def test_inplace_on_nonleaf_rebases_graph():
    values = np.array([0.3, -1.2, 2.0])

    x = f64(values)
    h = x * 2.0
    h *= h.detach() + 1.0  # constant factor taken before the update
    h += x.sin()
    h.exp().sum().backward()

    x_ref = f64(values)
    h_ref = x_ref * 2.0
    h_ref = h_ref * (h_ref.detach() + 1.0)
    h_ref = h_ref + x_ref.sin()
    h_ref.exp().sum().backward()

    np.testing.assert_allclose(h.numpy(), h_ref.numpy())
    np.testing.assert_allclose(x.grad.numpy(), x_ref.grad.numpy(), rtol=1e-12)
    assert not h.is_leaf


def test_inplace_multiply_by_itself_raises_like_torch():
    x = f64([1.0, 2.0])
    h = x * 2.0
    h *= h  # Mul saved h as its second operand, and the update changes it
    with pytest.raises(RuntimeError, match="Mul"):
        h.sum().backward()


def test_inplace_add_of_itself():
    x = f64([1.0, 2.0])
    h = x * 2.0
    h += h
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 4.0])


def test_inplace_add_of_tensor_requiring_grad_into_plain_buffer():
    buffer = tg.zeros(2, dtype=np.float64)
    w = f64([1.0, 2.0])
    buffer += w
    assert not buffer.is_leaf and buffer.requires_grad
    (buffer * buffer).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [2.0, 4.0])


def test_setitem_on_nonleaf_gives_correct_gradients():
    x = f64([1.0, 2.0, 3.0])
    v = f64(10.0)
    h = x * 3.0
    h[1] = v * v
    (h * f64([1.0, 2.0, 4.0], requires_grad=False)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 0.0, 12.0])
    np.testing.assert_allclose(v.grad.numpy(), 2.0 * 2.0 * 10.0)


def test_setitem_of_tensor_requiring_grad_into_plain_tensor():
    buffer = tg.zeros(3, dtype=np.float64)
    v = f64([2.0, 5.0])
    buffer[[0, 2]] = v
    (buffer * buffer).sum().backward()
    np.testing.assert_allclose(v.grad.numpy(), [4.0, 10.0])


# ----------------------------------------------------------------------------------------------
# grad mode


def test_no_grad_records_nothing():
    x = f64([1.0])
    with tg.no_grad():
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None


def test_no_grad_does_not_leak_into_other_threads():
    barrier = threading.Barrier(2)
    seen = {}

    def inside_no_grad():
        with tg.no_grad():
            barrier.wait()  # the other thread checks while this one is inside no_grad
            barrier.wait()
            seen["inside"] = tg.is_grad_enabled()

    def other():
        barrier.wait()
        x = f64([1.0])
        seen["other_enabled"] = tg.is_grad_enabled()
        seen["other_records"] = (x * 2).requires_grad
        barrier.wait()

    threads = [threading.Thread(target=inside_no_grad), threading.Thread(target=other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"inside": False, "other_enabled": True, "other_records": True}
    assert tg.is_grad_enabled()


def test_grad_mode_in_new_thread_starts_enabled():
    result = []
    with tg.no_grad():
        thread = threading.Thread(target=lambda: result.append(tg.is_grad_enabled()))
        thread.start()
        thread.join()
    assert result == [True]


def test_no_grad_and_enable_grad_as_decorators():
    x = f64([1.0])

    @tg.no_grad()
    def evaluate():
        return x * 2

    @tg.enable_grad()
    def train_step():
        return x * 2

    assert not evaluate().requires_grad
    with tg.no_grad():
        assert train_step().requires_grad
    assert tg.is_grad_enabled()


def test_nested_grad_modes_restore_state():
    with tg.no_grad():
        assert not tg.is_grad_enabled()
        with tg.enable_grad():
            assert tg.is_grad_enabled()
            with tg.no_grad():
                assert not tg.is_grad_enabled()
            assert tg.is_grad_enabled()
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()


def test_grad_mode_restored_after_exception():
    with pytest.raises(ValueError):
        with tg.no_grad():
            raise ValueError("boom")
    assert tg.is_grad_enabled()


def test_set_grad_enabled_context_and_call():
    x = f64([1.0])
    with tg.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert tg.is_grad_enabled()
    tg.set_grad_enabled(False)
    try:
        assert not tg.is_grad_enabled()
    finally:
        tg.set_grad_enabled(True)
    assert (x * 2).requires_grad


# ----------------------------------------------------------------------------------------------
# hooks and retain_grad


def test_hook_on_leaf_sees_and_replaces_grad():
    x = f64([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g.numpy().copy()))
    x.register_hook(lambda g: g * 10)
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(seen[0], [3.0, 3.0])
    np.testing.assert_allclose(x.grad.numpy(), [30.0, 30.0])


def test_hook_on_nonleaf_changes_upstream_grad():
    x = f64([1.0, 2.0])
    h = x * 2.0
    h.register_hook(lambda g: g * 0.5)
    (h * h).sum().backward()
    # d/dh = 2h, halved by the hook, then times dh/dx = 2
    np.testing.assert_allclose(x.grad.numpy(), 0.5 * 2 * (2 * x.numpy()) * 2)


def test_hooks_see_summed_gradient_of_tensor_used_twice():
    x = f64([1.0, 2.0])
    h = x * 1.0
    seen_leaf, seen_nonleaf = [], []
    x.register_hook(lambda g: seen_leaf.append(g.numpy().copy()))
    h.register_hook(lambda g: seen_nonleaf.append(g.numpy().copy()))
    (h * 2.0 + h * 3.0 + x).sum().backward()
    assert len(seen_nonleaf) == 1 and len(seen_leaf) == 1
    np.testing.assert_allclose(seen_nonleaf[0], [5.0, 5.0])
    np.testing.assert_allclose(seen_leaf[0], [6.0, 6.0])


def test_hook_handle_remove():
    x = f64([1.0])
    calls = []
    handle = x.register_hook(lambda g: calls.append(1))
    (x * 2).sum().backward()
    handle.remove()
    (x * 2).sum().backward()
    assert calls == [1]


def test_retain_grad_on_nonleaf():
    x = f64([1.0, 2.0])
    h = x * 3.0
    h.retain_grad()
    other = x * 1.0
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), 2 * h.numpy())
    with pytest.warns(UserWarning, match="not a leaf Tensor"):  # as PyTorch warns
        assert other.grad is None
    assert h.retains_grad


def test_retain_grad_accumulates_over_backward_calls():
    x = f64([1.0, 2.0])
    h = x * 3.0
    h.retain_grad()
    y = (h * h).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(h.grad.numpy(), 2 * 2 * h.numpy())
    np.testing.assert_allclose(x.grad.numpy(), 2 * 2 * h.numpy() * 3.0)


def test_hook_and_retain_grad_on_non_requiring_tensor_refuse():
    t = tg.tensor([1.0])
    with pytest.raises(RuntimeError, match="register_hook"):
        t.register_hook(lambda g: g)
    with pytest.raises(RuntimeError, match="retain_grad"):
        t.retain_grad()


# ----------------------------------------------------------------------------------------------
# deep graphs and memory


def test_100k_op_chain_forward_and_backward():
    x = tg.tensor(np.array([1.0]), requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 1e-6
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0])
    np.testing.assert_allclose(y.numpy(), [1.1], rtol=1e-6)


def _graph_refs():
    """Build a small graph; return weakrefs to its intermediates and nodes, and the loss."""
    w = f64(np.linspace(-1, 1, 6).reshape(2, 3))
    x = tg.tensor(np.ones((4, 2)))
    h = (x @ w).tanh()
    e = h.exp()
    loss = (e * h).sum()
    refs = [weakref.ref(t) for t in (h, e)] + [weakref.ref(t.grad_fn) for t in (h, e, loss)]
    return w, loss, refs


@pytest.fixture
def gc_disabled():
    gc.collect()
    gc.disable()
    yield
    gc.enable()


def test_intermediates_freed_after_backward_without_gc(gc_disabled):
    w, loss, refs = _graph_refs()
    loss.backward()
    del loss
    assert all(ref() is None for ref in refs)
    assert w.grad is not None and w.grad.shape == (2, 3)


def test_graph_freed_without_backward_without_gc(gc_disabled):
    _, loss, refs = _graph_refs()
    del loss
    assert all(ref() is None for ref in refs)


def test_recorded_ops_leave_one_object_each_for_the_collector(gc_disabled):
    """The graph is built so the garbage collector has little to walk: a node whose one input needs
    a gradient is a single object (no separate tuple of parents, no per-node dict)."""
    x = tg.tensor(np.linspace(-1, 1, 16), requires_grad=True)
    gc.collect()
    before = len(gc.get_objects())
    y = x
    for _ in range(250):
        y = (y * 1.0001 + 0.001).tanh() * 0.999  # 1,000 ops
    gc.collect()  # any collection untracks tuples that hold only constants, like (None, 0.999)
    assert (len(gc.get_objects()) - before) / 1000 <= 1.01


def test_nodes_are_one_class_whose_op_is_the_function():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    w = tg.tensor([3.0, 4.0], requires_grad=True)
    scaled, product = x * 2.0, x * w
    assert type(scaled.grad_fn) is tg.Node and scaled.grad_fn.op is tg.ops.Mul
    assert scaled.grad_fn.parents == (x, None) and scaled.grad_fn.needs_input_grad == (True, False)
    assert (2.0 * x).grad_fn.parents == (None, x)
    assert product.grad_fn.parents == (x, w) and product.grad_fn.needs_input_grad == (True, True)
    assert product.tanh().grad_fn.parents == (product.grad_fn,)
    assert repr(product.grad_fn) == "<Mul node>"


def test_graph_with_saved_output_has_no_reference_cycles(gc_disabled):
    _, loss, _ = _graph_refs()
    loss.backward()
    del loss
    # with DEBUG_SAVEALL the collector keeps what only cycles kept alive in gc.garbage
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        cyclic = [o for o in gc.garbage if isinstance(o, (tg.Tensor, tg.Node))]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert cyclic == []


# ----------------------------------------------------------------------------------------------
# anomaly detection


@pytest.mark.parametrize("fn, op, kind", [
    (lambda x: x.sqrt(), "Sqrt", "NaN"),
    (lambda x: (x + 1.0).log(), "Log", "Inf"),
    (lambda x: 1.0 / (x + 1.0), "Div", "Inf"),
    (lambda x: (x * 1000.0).exp(), "Exp", "Inf"),
])
def test_detect_anomaly_names_forward_op(fn, op, kind):
    x = f64([-1.0, 4.0])
    with tg.detect_anomaly():
        with np.errstate(all="ignore"):
            with pytest.raises(FloatingPointError, match=op) as info:
                fn(x)
    assert "forward" in str(info.value) and kind in str(info.value)


@pytest.mark.parametrize("fn, op", [(lambda x: x.sqrt() * 2.0, "Sqrt"), (lambda x: x ** 0.5 + 1.0, "Pow")])
def test_detect_anomaly_names_backward_op(fn, op):
    x = f64([0.0, 4.0])
    with tg.detect_anomaly():
        y = fn(x).sum()
        with np.errstate(all="ignore"):
            with pytest.raises(FloatingPointError, match=op) as info:
                y.backward()
    assert "backward" in str(info.value)


def test_detect_anomaly_as_decorator_restores_state():
    x = f64([-1.0])

    @tg.detect_anomaly()
    def run():
        return x.sqrt()

    with np.errstate(invalid="ignore"):
        with pytest.raises(FloatingPointError):
            run()
        assert np.isnan(x.sqrt().item())


def test_without_detect_anomaly_nan_propagates_silently():
    x = f64([-1.0])
    with np.errstate(invalid="ignore"):
        assert np.isnan(x.sqrt().item())


# ----------------------------------------------------------------------------------------------
# higher-order derivatives


def test_third_derivative_of_cube():
    x = f64([0.5, -2.0, 3.0])
    (d1,) = tg.grad((x ** 3).sum(), x, create_graph=True)
    (d2,) = tg.grad(d1.sum(), x, create_graph=True)
    (d3,) = tg.grad(d2.sum(), x)
    np.testing.assert_allclose(d1.numpy(), 3 * x.numpy() ** 2)
    np.testing.assert_allclose(d2.numpy(), 6 * x.numpy())
    np.testing.assert_allclose(d3.numpy(), [6.0, 6.0, 6.0])
    assert x.grad is None


def test_hessian_vector_product_of_quadratic_form():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 4))
    v = rng.standard_normal(4)
    x = f64(rng.standard_normal(4))
    A = tg.tensor(a)
    f = x @ (A @ x)
    (g,) = tg.grad(f, x, create_graph=True)
    np.testing.assert_allclose(g.numpy(), (a + a.T) @ x.numpy())
    (hv,) = tg.grad((g * tg.tensor(v)).sum(), x)
    np.testing.assert_allclose(hv.numpy(), a @ v + a.T @ v, rtol=1e-12)


def test_newton_step_on_1d_function():
    """f(x) = x^4 - 3x^2 + x: one Newton step x - f'(x)/f''(x) computed with autograd."""
    x0 = 2.0
    x = f64(x0)
    f = x ** 4 - 3 * x ** 2 + x
    (d1,) = tg.grad(f, x, create_graph=True)
    (d2,) = tg.grad(d1, x)
    step = x.item() - d1.item() / d2.item()
    expected = x0 - (4 * x0 ** 3 - 6 * x0 + 1) / (12 * x0 ** 2 - 6)
    assert step == pytest.approx(expected, rel=1e-12)


def test_gradient_penalty_matches_numeric():
    """d/dW of ||d(sum tanh(x W))/dx||^2, checked against central differences."""
    rng = np.random.default_rng(1)
    x_val = rng.standard_normal((3, 2))
    w_val = rng.standard_normal((2, 4))

    def penalty(w_array):
        x = f64(x_val)
        w = tg.tensor(w_array, requires_grad=True)
        out = (x @ w).tanh().sum()
        (gx,) = tg.grad(out, x, create_graph=True)
        return (gx * gx).sum(), w

    value, w = penalty(w_val)
    value.backward()
    numeric = np.zeros_like(w_val)
    eps = 1e-6
    for idx in np.ndindex(w_val.shape):
        plus, minus = w_val.copy(), w_val.copy()
        plus[idx] += eps
        minus[idx] -= eps
        numeric[idx] = (penalty(plus)[0].item() - penalty(minus)[0].item()) / (2 * eps)
    np.testing.assert_allclose(w.grad.numpy(), numeric, rtol=1e-5, atol=1e-8)


def test_backward_with_create_graph_gives_differentiable_grad():
    x = f64([1.5])
    y = (x ** 3).sum()
    y.backward(create_graph=True)
    assert x.grad.requires_grad
    (d2,) = tg.grad(x.grad.sum(), x)
    np.testing.assert_allclose(d2.numpy(), 6 * x.numpy())


# ----------------------------------------------------------------------------------------------
# tg.grad


def test_grad_does_not_touch_dot_grad():
    x = f64([1.0, 2.0])
    (g,) = tg.grad((x * x).sum(), x)
    np.testing.assert_allclose(g.numpy(), [2.0, 4.0])
    assert x.grad is None


def test_grad_allow_unused():
    x, unused = f64([1.0]), f64([2.0])
    with pytest.raises(RuntimeError, match="allow_unused"):
        tg.grad((x * 2).sum(), [x, unused])
    gx, gu = tg.grad((x * 2).sum(), [x, unused], allow_unused=True)
    np.testing.assert_allclose(gx.numpy(), [2.0])
    assert gu is None


def test_grad_with_respect_to_nonleaf():
    x = f64([1.0, 2.0])
    h = x * 3.0
    (gh,) = tg.grad((h * h).sum(), h)
    np.testing.assert_allclose(gh.numpy(), 2 * h.numpy())


def test_backward_with_gradient_for_non_scalar():
    x = f64([[1.0, 2.0], [3.0, 4.0]])
    y = x * x
    upstream = np.array([[1.0, 0.5], [-1.0, 2.0]])
    y.backward(gradient=tg.tensor(upstream))
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy() * upstream)


# ----------------------------------------------------------------------------------------------
# custom Functions


class ScaledCube(tg.Function):
    """y = scale * x^3 * z; exercises save_for_backward, saved_tensors and needs_input_grad."""

    @staticmethod
    def forward(ctx, x, z, scale=1.0):
        ctx.save_for_backward(x, z)
        ctx.scale = scale
        return scale * x ** 3 * z

    @staticmethod
    def backward(ctx, g):
        x, z = ctx.saved_tensors
        need_x, need_z = ctx.needs_input_grad
        gx = g * ctx.scale * 3 * x * x * z if need_x else None
        gz = g * ctx.scale * x ** 3 if need_z else None
        return gx, gz


def test_custom_function_gradcheck():
    rng = np.random.default_rng(2)
    x = f64(rng.standard_normal((2, 3)))
    z = f64(rng.standard_normal((2, 3)))
    assert tg.gradcheck(lambda a, b: ScaledCube.apply(a, b, scale=0.7), [x, z])
    assert tg.gradgradcheck(lambda a, b: ScaledCube.apply(a, b, scale=0.7), [x, z])


def test_custom_function_needs_input_grad():
    seen = []

    class Probe(tg.Function):
        @staticmethod
        def forward(ctx, x, y):
            seen.append(ctx.needs_input_grad)
            return x + y

        @staticmethod
        def backward(ctx, g):
            return g, g

    x, y = f64([1.0]), f64([2.0], requires_grad=False)
    Probe.apply(x, y).sum().backward()
    assert seen == [(True, False)]
    np.testing.assert_allclose(x.grad.numpy(), [1.0])
    assert y.grad is None


def test_custom_function_without_tensor_inputs_returns_its_array():
    class Ones(tg.Function):
        @staticmethod
        def forward(ctx, n=3, dtype=np.float64):
            return np.ones(n, dtype=dtype)

    out = Ones.apply(n=2)
    assert out.dtype == np.float64 and not out.requires_grad
    np.testing.assert_array_equal(out.numpy(), [1.0, 1.0])
    assert Ones.apply(dtype=np.float32).dtype == np.float32


def test_custom_function_wrong_number_of_grads_is_an_error():
    class Broken(tg.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g

    x, y = f64([1.0]), f64([2.0])
    with pytest.raises(RuntimeError, match="Broken"):
        Broken.apply(x, y).sum().backward()


# ----------------------------------------------------------------------------------------------
# detach, requires_grad_, repr


def test_detach_cuts_graph_and_shares_data():
    x = f64([1.0, 2.0])
    h = x * 2.0
    d = h.detach()
    assert d.grad_fn is None and not d.requires_grad and d.is_leaf
    assert np.shares_memory(d.numpy(), h.numpy())
    (d * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), h.numpy())


def test_requires_grad_():
    x = tg.tensor([1.0, 2.0])
    assert x.requires_grad_() is x
    assert x.requires_grad and x.is_leaf
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])
    with pytest.raises(RuntimeError, match="non-leaf"):
        (x * 2).requires_grad_(False)


def test_repr():
    assert repr(tg.tensor([1.0, 2.0], requires_grad=True)) == "tensor([1., 2.], requires_grad=True)"
    assert repr(tg.tensor([1, 2])).startswith("tensor([1, 2]")
    assert "grad_fn=<Mul>" in repr(tg.tensor([1.0], requires_grad=True) * 2)
    assert "dtype=float64" in repr(tg.tensor(np.array([1.0])))


def test_setitem_accepts_leading_size_one_dims_like_pytorch():
    h = tg.zeros(3)
    h[1] = tg.tensor([100.0])
    np.testing.assert_array_equal(h.data, [0.0, 100.0, 0.0])
    w = tg.tensor([2.0], requires_grad=True)
    y = tg.zeros(3) * 1.0
    y[1] = w
    (y * tg.tensor([1.0, 5.0, 1.0])).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [5.0])


def test_retained_and_leaf_gradients_never_share_memory():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([3.0, 4.0], requires_grad=True)
    y = a + b
    y.retain_grad()
    (y * 2.0).sum().backward()
    grads = [a.grad.data, b.grad.data, y.grad.data]
    assert not any(np.shares_memory(p, q) for i, p in enumerate(grads) for q in grads[i + 1:])
    a.grad.data[...] = 0.0  # what clip_grad_norm_ and friends do in place
    np.testing.assert_array_equal(y.grad.data, [2.0, 2.0])


def test_a_parameter_indexed_every_step_does_not_keep_its_dead_views():
    w = tg.randn(4, 5, requires_grad=True)
    for _ in range(200):
        (w[0] * 2.0).sum().backward()
    assert len(tg.autograd.versions.live_views(w)) == 0
    assert len(getattr(w, "_views", ())) == 0  # the record of views shrinks with them (no growth per step)


def test_two_inputs_sharing_one_array_keep_their_own_second_order_gradients():
    x, w = tg.tensor([1.0, 2.0]), tg.tensor([3.0, 5.0])
    a, b = x.detach().requires_grad_(), x.detach().requires_grad_()  # one ndarray, two leaves
    ga, gb = tg.grad((a * b * w).sum(), [a, b], create_graph=True)  # d/da = b w, d/db = a w
    np.testing.assert_array_equal(ga.numpy(), [3.0, 10.0])
    second_a, second_b = tg.grad(ga.sum(), [a, b], allow_unused=True)  # d(sum b w)/da = 0, /db = w
    assert second_a is None
    np.testing.assert_array_equal(second_b.numpy(), [3.0, 5.0])
