"""tg.explain: the trace and its generated NumPy code reproduce the engine's gradients, on every
registered op and on hypothesis-drawn compositions, without touching .grad or freeing the graph."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu.explain import explain
from tinygrad_edu.opinfo import REGISTRY, all_cases, bind, make_inputs


def _engine_grads(out, inputs, seed):
    return tg.grad(out, inputs, grad_outputs=seed, retain_graph=True, allow_unused=True)


def _check_trace(out, inputs, seed=None):
    """The trace's and the code's gradients equal the engine's; every step's upstream gradient is the
    sum of the contributions the trace lists for it; .grad and the graph are left as they were."""
    trace = explain(out, inputs=inputs, gradient=seed)
    expected = _engine_grads(out, inputs, seed)
    for step in trace:
        if step.summed_from:
            total = sum(trace[i].contributions[j] for i, j in step.summed_from)
            np.testing.assert_allclose(step.upstream, total, rtol=1e-10, atol=1e-12)
    namespace = {}
    exec(trace.code(), namespace)
    for tensor, result, engine in zip(inputs, trace.inputs, expected):
        assert result.tensor is tensor and tensor.grad is None
        if engine is None:
            assert result.grad is None and namespace["grads"][result.operand.name] is None
            continue
        np.testing.assert_allclose(result.grad, engine.data, rtol=1e-10, atol=1e-12)
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
