"""Every registered op: gradients (first and second order) against central differences in float64."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import testing
from tinygrad_edu.gradcheck import GradcheckError
from tinygrad_edu.opinfo import REGISTRY, all_cases, bind, engine_functions, graph_functions, make_inputs

ENTRIES = {info.name: info for info in REGISTRY}


@pytest.mark.parametrize("name", sorted(ENTRIES))
@given(data=st.data())
def test_first_order_gradients_match_central_differences(name, data):
    info = ENTRIES[name]
    inputs, kwargs = data.draw(testing.op_inputs(info))
    testing.assert_grads_close(bind(info, kwargs), inputs)


@pytest.mark.parametrize("name", sorted(n for n, info in ENTRIES.items() if info.second_order))
@given(data=st.data())
def test_second_order_gradients_match_central_differences(name, data):
    info = ENTRIES[name]
    inputs, kwargs = data.draw(testing.op_inputs(info))
    tg.gradgradcheck(bind(info, kwargs), inputs)


def _functions_reached(info):
    """Function classes in the forward graph and in the (create_graph) backward graph of every case."""
    reached = set()
    rng = np.random.default_rng(0)
    for shapes, kwargs in all_cases(info):
        inputs = make_inputs(info, shapes, rng)
        out = bind(info, kwargs)(*inputs)
        upstream = tg.tensor(rng.standard_normal(out.shape), requires_grad=True)  # as in gradgradcheck
        grads = tg.grad(out, inputs, grad_outputs=upstream, create_graph=True, allow_unused=True)
        reached |= graph_functions([out]) | graph_functions([g for g in grads if g is not None])
    return reached


def test_every_engine_function_has_a_registry_entry():
    reached = set().union(*(_functions_reached(info) for info in REGISTRY))
    missing = sorted(cls.__name__ for cls in engine_functions() - reached)
    assert not missing, f"Function subclasses that no registry entry exercises: {missing}"


def test_every_engine_function_declares_its_derivative_formula():
    """`tg.explain` shows each op's local derivative: every engine Function declares it beside its backward."""
    missing = sorted(cls.__name__ for cls in engine_functions()
                     if not isinstance(cls.__dict__.get("formula"), str) or not cls.__dict__["formula"].startswith("d"))
    assert not missing, f"Function subclasses without a `formula = \"d f(x)/dx = ...\"` attribute: {missing}"


def _scaled_backward(cls):
    original = cls.__dict__["backward"].__func__

    def backward(ctx, *grads):
        result = original(ctx, *grads)
        if isinstance(result, tuple):
            return tuple(None if g is None else g * 1.01 for g in result)
        return None if result is None else result * 1.01

    return staticmethod(backward)


@pytest.mark.parametrize("cls", sorted(engine_functions(), key=lambda c: c.__name__), ids=lambda c: c.__name__)
def test_a_backward_formula_off_by_one_percent_is_caught(cls, monkeypatch):
    """Mutation check: scaling any one backward by 1.01 must make the registry's checks fail."""
    entries = [info for info in REGISTRY if cls in _functions_reached(info)]
    assert entries, f"{cls.__name__} has no registry entry"
    monkeypatch.setattr(cls, "backward", _scaled_backward(cls))
    rng = np.random.default_rng(0)
    caught = False
    for info in entries:
        for shapes, kwargs in all_cases(info):
            fn = bind(info, kwargs)
            try:
                tg.gradcheck(fn, make_inputs(info, shapes, rng))
                if info.second_order:
                    tg.gradgradcheck(fn, make_inputs(info, shapes, rng))
            except GradcheckError:
                caught = True
                break
        if caught:
            break
    assert caught, f"scaling {cls.__name__}.backward by 1.01 went unnoticed"


def test_cli_gradcheck_passes_on_every_op(capsys):
    from tinygrad_edu.cli import main

    assert main(["gradcheck"]) == 0
    out = capsys.readouterr().out
    assert f"{len(REGISTRY)} passed, 0 failed" in out
    for name in ENTRIES:
        assert name in out


def test_cli_gradcheck_fails_with_status_1_when_a_backward_is_wrong(monkeypatch, capsys):
    from tinygrad_edu.cli import main
    from tinygrad_edu.ops import Exp

    monkeypatch.setattr(Exp, "backward", _scaled_backward(Exp))
    assert main(["gradcheck", "--op", "exp", "--seed", "3"]) == 1
    assert "FAIL" in capsys.readouterr().out
