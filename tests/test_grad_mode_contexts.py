"""Grad mode and anomaly mode contexts each restore their own previous value.

`no_grad`, `enable_grad`, `set_grad_enabled`, `detect_anomaly` and `inference_mode` remember, on
entry, the value of the one mode they set and put back exactly that value on exit, as in PyTorch,
whatever order contexts are left in. Contexts are left out of nesting order when a generator holds
one across a `yield`, so a context must never restore a value some other context saved. Also
covered: nesting, decorators, exceptions, `set_grad_enabled` as a plain call, and grad mode being
per thread. Anomaly mode is read from what it does (an op producing NaN raises FloatingPointError),
grad mode from `tg.is_grad_enabled()` checked against what it does (ops record a graph). Every test
runs in a thread of its own (grad mode is per thread), so a test that breaks the state leaves it
broken only in that thread, not for the tests after it.
"""

from __future__ import annotations

import functools
import threading
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg



class State(NamedTuple):
    grad: bool
    anomaly: bool


def grad_enabled() -> bool:
    """Whether grad mode is on: `tg.is_grad_enabled()`, which must agree with whether ops record."""
    records = (tg.ones(1, requires_grad=True) * 2).requires_grad
    assert tg.is_grad_enabled() == records, "is_grad_enabled() disagrees with what ops record"
    return records


def anomaly_enabled() -> bool:
    """Whether anomaly mode is on, seen from what it does: an op whose output is NaN raises."""
    try:
        with np.errstate(invalid="ignore"):
            tg.tensor([-1.0], requires_grad=True).log()
        raises = False
    except FloatingPointError:
        raises = True
    if hasattr(tg, "is_anomaly_enabled"):
        assert tg.is_anomaly_enabled() == raises, "is_anomaly_enabled() disagrees with what ops do"
    return raises


def state() -> State:
    return State(grad_enabled(), anomaly_enabled())


def in_own_thread(test: Callable) -> Callable:
    """Run `test` in a new thread and re-raise what it raised there."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        failure: list[BaseException] = []

        def target() -> None:
            try:
                test(*args, **kwargs)
            except BaseException as error:  # noqa: BLE001 - handed to the caller's thread
                failure.append(error)

        thread = threading.Thread(target=target)
        thread.start()
        thread.join()
        if failure:
            raise failure[0]

    return run


@contextmanager
def starting_from(start: State):
    """Bring the state to `start` (grad mode on and anomaly mode off in a fresh thread)."""
    with ExitStack() as stack:
        if not start.grad:
            stack.enter_context(tg.no_grad())
        if start.anomaly:
            stack.enter_context(tg.detect_anomaly())
        assert state() == start
        yield


STARTS = [State(grad, anomaly) for grad in (True, False) for anomaly in (False, True)]


@dataclass(frozen=True, repr=False)
class Context:
    label: str
    make: Callable[[], Any]  # a new context manager
    mode: str  # the State field it sets
    value: bool  # what it sets it to

    def __repr__(self) -> str:
        return self.label

    def applied_to(self, s: State) -> State:
        return s._replace(**{self.mode: self.value})

    def opposite_start(self) -> State:
        """A state its entry changes, so that a wrong restore shows."""
        return State(grad=True, anomaly=False)._replace(**{self.mode: not self.value})


CONTEXTS = [
    Context("no_grad", lambda: tg.no_grad(), "grad", False),
    Context("enable_grad", lambda: tg.enable_grad(), "grad", True),
    Context("set_grad_enabled(False)", lambda: tg.set_grad_enabled(False), "grad", False),
    Context("set_grad_enabled(True)", lambda: tg.set_grad_enabled(True), "grad", True),
    Context("detect_anomaly", lambda: tg.detect_anomaly(), "anomaly", True),
    Context("inference_mode", lambda: tg.inference_mode(), "grad", False),
]



def params(contexts: list[Context]) -> list:
    return [pytest.param(c, id=c.label) for c in contexts]


ALL = params(CONTEXTS)
GRAD_CONTEXTS = params([c for c in CONTEXTS if c.mode == "grad"])


# ----------------------------------------------------------------------------------------------
# one context at a time


@pytest.mark.parametrize("start", STARTS, ids=str)
@pytest.mark.parametrize("ctx", ALL)
@in_own_thread
def test_context_sets_its_mode_then_restores_it(ctx, start):
    with starting_from(start):
        with ctx.make():
            assert state() == ctx.applied_to(start)
        assert state() == start


@pytest.mark.parametrize("ctx", ALL)
@in_own_thread
def test_nested_same_context(ctx):
    start = ctx.opposite_start()
    with starting_from(start):
        with ctx.make():
            with ctx.make():
                assert state() == ctx.applied_to(start)
            assert state() == ctx.applied_to(start)
        assert state() == start


@pytest.mark.parametrize("ctx", ALL)
@in_own_thread
def test_exception_inside_context(ctx):
    start = ctx.opposite_start()
    with starting_from(start):
        with pytest.raises(ValueError):
            with ctx.make():
                raise ValueError("inside")
        assert state() == start


@in_own_thread
def test_anomaly_error_leaves_both_modes_restored():
    with pytest.raises(FloatingPointError):
        with tg.no_grad(), tg.detect_anomaly(), np.errstate(invalid="ignore"):
            tg.tensor([-1.0], requires_grad=True).log()
    assert state() == State(grad=True, anomaly=False)


@in_own_thread
def test_set_grad_enabled_as_a_plain_call():
    tg.set_grad_enabled(False)
    assert state() == State(grad=False, anomaly=False)
    tg.set_grad_enabled(True)
    assert state() == State(grad=True, anomaly=False)


@in_own_thread
def test_plain_set_grad_enabled_inside_a_context_is_undone_when_it_is_left():
    with tg.no_grad():
        tg.set_grad_enabled(True)
        assert grad_enabled()
    assert grad_enabled()  # no_grad's previous value
    with tg.no_grad():
        with tg.enable_grad():
            tg.set_grad_enabled(False)
            assert not grad_enabled()
        assert not grad_enabled()  # enable_grad's previous value


@in_own_thread
def test_inference_mode_inside_enable_grad_and_detect_anomaly():
    with tg.detect_anomaly(), tg.enable_grad():
        with tg.inference_mode():
            assert state() == State(grad=False, anomaly=True)
        assert state() == State(grad=True, anomaly=True)
    assert state() == State(grad=True, anomaly=False)


# ----------------------------------------------------------------------------------------------
# decorators


@pytest.mark.parametrize("ctx", ALL)
@in_own_thread
def test_decorated_function_that_raises(ctx):
    seen = []

    @ctx.make()
    def fails() -> None:
        seen.append(state())
        raise ValueError("inside")

    assert state() == State(grad=True, anomaly=False), "decorating must not change the state"
    for start in STARTS:  # one decorated function, called from every state
        with starting_from(start):
            with pytest.raises(ValueError):
                fails()
            assert seen.pop() == ctx.applied_to(start)
            assert state() == start


@in_own_thread
def test_decorated_function_reentering_itself():
    @tg.no_grad()
    def f(depth: int) -> None:
        assert not grad_enabled()
        if depth:
            with tg.enable_grad():
                f(depth - 1)
            assert not grad_enabled()

    with tg.no_grad():
        f(2)
        assert not grad_enabled()
    f(2)
    assert grad_enabled()


# ----------------------------------------------------------------------------------------------
# contexts left out of nesting order


@pytest.mark.parametrize("entered_first", ["grad context", "detect_anomaly"])
@pytest.mark.parametrize("grad_ctx", GRAD_CONTEXTS)
@in_own_thread
def test_grad_context_and_detect_anomaly_left_in_entry_order(grad_ctx, entered_first):
    start = grad_ctx.opposite_start()
    with starting_from(start):
        g, a = grad_ctx.make(), tg.detect_anomaly()
        first, second = (g, a) if entered_first == "grad context" else (a, g)
        first.__enter__()
        second.__enter__()
        assert state() == State(grad=grad_ctx.value, anomaly=True)
        first.__exit__(None, None, None)  # left while the one entered after it is still open
        assert state() == (State(start.grad, True) if first is g else State(grad_ctx.value, False))
        second.__exit__(None, None, None)
        assert state() == start


@in_own_thread
def test_no_grad_and_enable_grad_left_in_entry_order():
    outer, inner = tg.no_grad(), tg.enable_grad()
    outer.__enter__()
    inner.__enter__()
    outer.__exit__(None, None, None)
    assert grad_enabled()  # what no_grad found
    inner.__exit__(None, None, None)
    assert not grad_enabled()  # what enable_grad found (as in PyTorch: the context left last decides)


@st.composite
def entries_and_exits(draw) -> tuple[list[Context], list[int]]:
    """Up to 4 contexts to enter in turn, and the order to leave them in (by entry position)."""
    contexts = draw(st.lists(st.sampled_from(CONTEXTS), min_size=1, max_size=4))
    return contexts, draw(st.permutations(range(len(contexts))))


@given(entries_and_exits())
@in_own_thread
def test_contexts_left_in_any_order(case):
    contexts, exit_order = case
    scenario = f"entered {contexts}, leaving them in the order {exit_order}"
    expected, saved, managers = state(), [], []
    for ctx in contexts:
        saved.append(getattr(expected, ctx.mode))
        managers.append(ctx.make())
        managers[-1].__enter__()
        expected = ctx.applied_to(expected)
        assert state() == expected, f"after entering {ctx.label}; {scenario}"
    for i in exit_order:
        managers[i].__exit__(None, None, None)
        expected = expected._replace(**{contexts[i].mode: saved[i]})  # what this one found on entry
        assert state() == expected, f"after leaving number {i}, {contexts[i].label}; {scenario}"


@pytest.mark.parametrize("finish", ["close", "exhaust"])
@in_own_thread
def test_generator_holding_no_grad_finished_inside_detect_anomaly(finish):
    """Known bug: grad mode stayed off and anomaly mode on for good. PyTorch restores both."""

    def holds_no_grad():
        with tg.no_grad():
            yield
            yield

    gen = holds_no_grad()
    with closing(gen):
        next(gen)
        assert state() == State(grad=False, anomaly=False)
        with tg.detect_anomaly():
            next(gen)  # resumed inside detect_anomaly
            assert state() == State(grad=False, anomaly=True)
            if finish == "close":
                gen.close()
            else:
                assert next(gen, "done") == "done"
            assert state() == State(grad=True, anomaly=True)  # no_grad put back what it found
        assert state() == State(grad=True, anomaly=False)  # and so did detect_anomaly


@pytest.mark.parametrize("caller_ctx", ALL)
@pytest.mark.parametrize("generator_ctx", ALL)
@in_own_thread
def test_generator_left_suspended_inside_a_context_the_caller_leaves(generator_ctx, caller_ctx):
    def holds_context():
        with generator_ctx.make():
            yield

    start = caller_ctx.opposite_start()
    gen = holds_context()
    with starting_from(start), closing(gen):
        with caller_ctx.make():
            next(gen)  # suspended inside its context; stays so until the caller's context is left
        expected = start if generator_ctx.mode == caller_ctx.mode else generator_ctx.applied_to(start)
        assert state() == expected, f"after leaving {caller_ctx.label}"


# ----------------------------------------------------------------------------------------------
# threads


@in_own_thread
def test_grad_mode_turned_off_in_another_thread_stays_on_here():
    turned_off, checked = threading.Event(), threading.Event()
    seen = {}

    def worker() -> None:
        with tg.no_grad():
            turned_off.set()
            checked.wait(timeout=10)
            seen["worker inside"] = grad_enabled()
        seen["worker after"] = grad_enabled()

    thread = threading.Thread(target=worker)
    thread.start()
    assert turned_off.wait(timeout=10)
    seen["here"] = grad_enabled()  # while the worker is inside no_grad
    checked.set()
    thread.join(timeout=10)
    assert seen == {"here": True, "worker inside": False, "worker after": True}


@in_own_thread
def test_new_thread_starts_with_grad_mode_on():
    seen = {}
    tg.set_grad_enabled(False)
    thread = threading.Thread(target=lambda: seen.update(worker=grad_enabled()))
    thread.start()
    thread.join(timeout=10)
    assert seen == {"worker": True}
    assert not grad_enabled()
