"""tg.explain: the trace and its generated NumPy code reproduce the engine's gradients, on every
registered op, on gradient graphs and on hypothesis-drawn compositions and convolutions, without
touching .grad or freeing the graph."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu.explain import explain
from tinygrad_edu.opinfo import REGISTRY, all_cases, bind, make_inputs
from user_functions import Cube


def _engine_grads(out, inputs, seed):
    return tg.grad(out, inputs, grad_outputs=seed, retain_graph=True, allow_unused=True)


def _check_trace(out, inputs, seed=None):
    """The trace's and the code's gradients equal the engine's (`tg.grad`); every step's upstream
    gradient and every input's gradient is the sum of the contributions the trace lists for it (each
    one step of the op's backward); .grad is left as it was."""
    trace = explain(out, inputs=inputs, gradient=seed)
    expected = _engine_grads(out, inputs, seed)
    for step in trace:
        if step.summed_from:
            total = sum(trace[i].contributions[j] for i, j in step.summed_from)
            np.testing.assert_allclose(step.upstream, total, rtol=1e-10, atol=1e-12)
    namespace = {}
    exec(trace.code(), namespace)
    for tensor, result, engine in zip(inputs, trace.inputs, expected):
        assert result.tensor is tensor and tensor._grad is None  # explain wrote no .grad (leaf or not)
        if engine is None:
            assert result.grad is None and namespace["grads"][result.operand.name] is None
            continue
        np.testing.assert_allclose(result.grad, engine.data, rtol=1e-10, atol=1e-12)
        if result.tensor.grad_fn is None and out.grad_fn is not None:  # a leaf: the sum of its contributions
            shares = sum(trace[i].contributions[j] for i, j in result.summed_from)
            np.testing.assert_allclose(shares, engine.data, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(namespace["grads"][result.operand.name], engine.data, rtol=1e-7, atol=1e-9)
    return trace


CASES = [(info.name, k) for info in REGISTRY for k in range(len(all_cases(info)))]


@pytest.mark.parametrize("name,case", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_trace_and_code_equal_the_engine_on_every_registry_op(name, case):
    info = next(i for i in REGISTRY if i.name == name)
    shapes, kwargs = all_cases(info)[case]
    rng = np.random.default_rng(case)
    inputs = make_inputs(info, shapes, rng)
    out = bind(info, kwargs)(*inputs)
    seed = None if out.size == 1 else tg.tensor(rng.standard_normal(out.shape))
    trace = _check_trace(out, inputs, seed)
    (out * (1.0 if seed is None else seed)).sum().backward()  # explain did not free the graph
    for tensor, result in zip(inputs, trace.inputs):
        assert (tensor.grad is None) == (result.grad is None)


_UNARY = [lambda a: a.tanh(), lambda a: a.sigmoid(), lambda a: a.relu(), lambda a: a.sum(axis=-1, keepdims=True),
          lambda a: a.mean(axis=0), lambda a: a.max(axis=-1), lambda a: a[..., :1], lambda a: a[np.array([0, 0, -1])],
          lambda a: a.exp() * 0.5, lambda a: a.T, lambda a: a.reshape(-1)]
_BINARY = [lambda a, b: a * b, lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a / (b * b + 1.0),
           lambda a, b: a @ b]


@st.composite
def compositions(draw):
    """A small random program over broadcastable inputs: fan-out (values reused), broadcasting,
    reductions and indexing, ending in a scalar that sums several intermediate values."""
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    inputs = [tg.tensor(rng.uniform(-1.5, 1.5, shape), requires_grad=True, dtype=np.float64)
              for shape in ((2, 3), (3,), (2, 1), (3, 2))]
    values = list(inputs)
    for _ in range(draw(st.integers(2, 7))):
        try:
            if draw(st.booleans()):
                values.append(draw(st.sampled_from(_UNARY))(draw(st.sampled_from(values))))
            else:
                values.append(draw(st.sampled_from(_BINARY))(draw(st.sampled_from(values)), draw(st.sampled_from(values))))
        except (ValueError, IndexError):
            continue
    used = draw(st.lists(st.sampled_from(values[len(inputs):] or values), min_size=1, max_size=3))
    out = used[0].sum()
    for v in used[1:]:
        out = out + (v * v).sum()
    return out, inputs


@given(compositions())
def test_trace_and_code_equal_the_engine_on_random_compositions(program):
    out, inputs = program
    _check_trace(out, inputs)


@given(st.integers(0, 2**16), st.sampled_from([1, 2]), st.sampled_from([0, 1]), st.sampled_from([2, 3]),
       st.booleans())
def test_trace_and_code_equal_the_engine_on_random_convolutions(seed, stride, padding, kernel, pool):
    """A drawn convolution (stride, padding, kernel size), optionally pooled, whose output is used
    twice (fan-out) and mixed with a broadcast bias and an indexed slice."""
    rng = np.random.default_rng(seed)
    x = tg.tensor(rng.standard_normal((2, 2, 6, 6)), requires_grad=True)
    w = tg.tensor(rng.standard_normal((3, 2, kernel, kernel)), requires_grad=True)
    b = tg.tensor(rng.standard_normal(3), requires_grad=True)
    y = tg.conv2d(x, w, b, stride=stride, padding=padding).tanh()
    if pool:
        y = tg.max_pool2d(y, 2) if y.shape[-1] >= 2 else y
    out = (y * y).mean() + (y[:, 1:, :1] * b.reshape(1, 3, 1, 1)[:, 1:]).sum()
    _check_trace(out, [x, w, b])


def test_trace_and_code_equal_the_engine_through_a_small_cnn():
    rng = np.random.default_rng(3)
    x = tg.tensor(rng.standard_normal((2, 2, 6, 6)), requires_grad=True)
    w = tg.tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True)
    b = tg.tensor(rng.standard_normal(3), requires_grad=True)
    fc = tg.tensor(rng.standard_normal((4, 12)), requires_grad=True)
    h = tg.max_pool2d(tg.conv2d(x, w, b, padding=1).relu(), 2)
    h = tg.avg_pool2d(h, 3, stride=1, padding=1)[:, :, :2, :2]
    logits = tg.linear(h.reshape(2, -1), fc)
    loss = tg.ops.cross_entropy(logits, np.array([1, 3]))
    _check_trace(loss, [x, w, b, fc])


def _neuron():
    """micrograd's neuron (Karpathy, "The spelled-out intro to neural networks and backpropagation")."""
    values = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}
    leaves = {}
    for name, v in values.items():
        leaves[name] = tg.tensor(v, requires_grad=True, dtype=np.float64)
        leaves[name].name = name
    n = leaves["x1"] * leaves["w1"] + leaves["x2"] * leaves["w2"] + leaves["b"]
    o = n.tanh()
    o.name = "o"
    return o, leaves


def test_the_micrograd_neuron_shows_the_published_gradients():
    o, leaves = _neuron()
    trace = explain(o)
    assert [s.op for s in trace] == ["Tanh", "Add", "Add", "Mul", "Mul"]
    assert trace[0].formula == "d tanh(x)/dx = 1 - tanh(x)**2"
    assert trace[4].local_formulas == ("d(x1 * w1)/dx1 = w1", "d(x1 * w1)/dw1 = x1")  # the inputs' own names
    np.testing.assert_allclose(trace[0].local_values[0], 1 - np.tanh(0.8813735870195432) ** 2)
    grads = {r.operand.name: float(r.grad) for r in trace.inputs}
    assert grads == pytest.approx({"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5}, abs=1e-6)
    text = str(trace)
    assert "step 0: Tanh" in text and "d tanh(h4)/dh4 = 1 - tanh(h4)**2" in text and "grad x1" in text
    assert "<table>" in trace._repr_html_() and "tanh" in trace._repr_html_()
    assert all(t.grad is None for t in leaves.values())


def test_fan_out_is_shown_as_a_sum():
    x = tg.tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    h = x.tanh()
    out = (h * h).sum() + h.sum()
    trace = explain(out)
    tanh_step = next(s for s in trace if s.op == "Tanh")
    assert tanh_step.fan_out and len(tanh_step.summed_from) == 3  # h*h uses h twice, h.sum() once
    t = np.tanh([1.0, 2.0])
    np.testing.assert_allclose(tanh_step.upstream, 2 * t + 1)
    np.testing.assert_allclose(trace.grads[0], (2 * t + 1) * (1 - t**2))
    assert "FAN-OUT" in str(trace) and "fan-out" in trace.code()


def test_draw_labels_edges_with_local_derivatives_and_nodes_with_gradients():
    o, _ = _neuron()
    source = explain(o).draw().source
    assert 'label="1 - tanh(h4)**2 = 0.5"' in source and "step 1: h4" in source
    assert 'label="w1 = -3"' in source  # d(x1 * w1)/dx1 = w1
    assert "grad -1.5" in source and "step 0: o" in source
    assert 'label="w1 = -3"' in explain(o).draw(view="backward").source


def test_notes_after_a_step_show_which_gradients_are_complete():
    o, leaves = _neuron()
    trace = explain(o)
    notes = trace.notes(after=1)  # Tanh and the outer Add have run
    assert notes[trace[0].node][1] == "grad 1" and notes[trace[2].node][1] == "grad 0.5"  # step 2's input is ready
    assert notes[trace[3].node][1] == "grad pending" and notes[leaves["x1"]] == "grad pending"
    assert notes[leaves["b"]] == "grad 0.5"


def test_explain_refuses_a_freed_graph_and_keeps_a_live_one():
    o, leaves = _neuron()
    explain(o)
    o.backward()  # works: explain kept the graph
    assert leaves["x1"].grad.item() == pytest.approx(-1.5)
    with pytest.raises(RuntimeError, match="explain: the graph was freed.*retain_graph=True"):
        explain(o)
    with pytest.raises(TypeError, match="explain: output must be a tensor that requires grad"):
        explain(tg.tensor([1.0]))


def test_a_custom_function_without_a_rendering_is_written_as_its_jacobian():
    x = tg.tensor([0.5, -1.0, 2.0], requires_grad=True, dtype=np.float64)
    trace = _check_trace(Cube.apply(x).sum(), [x])
    assert "no formula declared" in trace[1].formula and "jacobian" in trace.code()
    np.testing.assert_allclose(trace.grads[0], 3 * x.data**2)


SECOND_ORDER = [(n, k) for n, k in CASES if next(i for i in REGISTRY if i.name == n).second_order]


@pytest.mark.parametrize("name,case", SECOND_ORDER, ids=[f"{n}-{k}" for n, k in SECOND_ORDER])
def test_trace_and_code_equal_the_engine_on_gradient_graphs(name, case):
    """The graph of a create_graph gradient holds the ops that only backward passes use
    (TanhBackward, IndexAdd, Fold, MaxPool2dBackward, ...): explaining it exercises their formulas
    and NumPy renderings too (the upstream gradient requires grad, so linear ops have a graph too)."""
    info = next(i for i in REGISTRY if i.name == name)
    shapes, kwargs = all_cases(info)[case]
    rng = np.random.default_rng(100 + case)
    inputs = make_inputs(info, shapes, rng)
    out = bind(info, kwargs)(*inputs)
    upstream = tg.tensor(rng.standard_normal(out.shape), requires_grad=True)  # as in gradgradcheck
    grads = tg.grad(out, inputs, grad_outputs=upstream, create_graph=True, allow_unused=True)
    total = None
    for g in grads:
        if g is not None:
            term = (g * tg.tensor(rng.standard_normal(g.shape))).sum()
            total = term if total is None else total + term
    _check_trace(total, inputs + [upstream])


def test_every_engine_function_has_a_numpy_rendering():
    from tinygrad_edu.backward_numpy import BACKWARD_NUMPY
    from tinygrad_edu.opinfo import engine_functions

    missing = sorted(cls.__name__ for cls in engine_functions() if cls.__name__ not in BACKWARD_NUMPY)
    assert not missing, f"engine Functions without an entry in backward_numpy.BACKWARD_NUMPY: {missing}"


def test_an_intermediate_tensor_can_end_the_trace_and_shows_its_value():
    x = tg.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True, dtype=np.float64)
    h = x * x
    loss = (h.sin() + h).sum()
    trace = _check_trace(loss, [x, h])
    np.testing.assert_allclose(trace.inputs[1].grad, np.cos(x.data**2) + 1)
    mul = next(s for s in trace if s.op == "Mul")
    np.testing.assert_allclose(mul.output.value, x.data**2)  # known because it was passed in inputs=


def test_a_non_scalar_output_needs_a_gradient():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="explain: .*shape \\(2,\\).*gradient="):
        explain(x * 2)


def test_inputs_that_need_no_gradient_are_named_by_value_or_name_in_formulas():
    x = tg.tensor(2.0, requires_grad=True, name="x")
    data = tg.tensor([[1.0, 2.0]], name="inputs")
    w = tg.tensor([[0.5], [0.1]], requires_grad=True, name="w")
    formulas = [f for step in tg.explain(3 * x + x ** 2) for f in step.local_formulas]
    assert "d(3 * x)/dx = 3" in formulas and "d x**2/dx = 2 * x**(2 - 1)" in formulas
    formulas = [f for step in tg.explain((data @ w).sum()) for f in step.local_formulas]
    assert any(f.startswith("d(inputs @ w)/dw = inputs") for f in formulas)
