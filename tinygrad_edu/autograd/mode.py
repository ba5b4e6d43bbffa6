"""Grad mode, anomaly mode and saved-as-constants mode: per-thread switches the engine reads.

Each context manager remembers the value it replaced and puts exactly that value back when it is
left, so contexts of different kinds may be left in any order (a generator suspended inside
`no_grad()` and closed later, threads, decorators, exceptions) without disturbing one another.
"""

from __future__ import annotations

import copy
import threading
from contextlib import ContextDecorator
from typing import Any

import numpy as np


class _ThreadState(threading.local):
    """The switches of one thread: recording on or off, NaN/Inf checks on or off, saved values
    handed to backward formulas as constants or not."""

    def __init__(self) -> None:
        self.grad_enabled = True
        self.anomaly = False
        self.saved_as_constants = False


state = _ThreadState()


def is_grad_enabled() -> bool:
    """True when operations are recorded into the graph (per thread)."""
    return state.grad_enabled


def is_anomaly_enabled() -> bool:
    """True inside `detect_anomaly()` (per thread)."""
    return state.anomaly


class _SwitchContext(ContextDecorator):
    """Sets one switch (`_switch`, an attribute of `state`) to `_value` while active and restores
    the value it found. Each entry keeps its own previous value, so one instance may be re-entered
    and used as a decorator of a recursive function."""

    _switch = "grad_enabled"
    _value = False

    def __init__(self) -> None:
        self._previous: list[bool] = []

    def __enter__(self) -> None:
        self._previous.append(getattr(state, self._switch))
        setattr(state, self._switch, self._value)

    def __exit__(self, *exc: Any) -> None:
        setattr(state, self._switch, self._previous.pop())

    def _recreate_cm(self) -> _SwitchContext:
        """As a decorator: a fresh copy per call, so concurrent calls in threads keep apart."""
        fresh = copy.copy(self)
        fresh._previous = []
        return fresh


class no_grad(_SwitchContext):
    """Context manager and decorator: record nothing inside (evaluation, optimizer updates)."""

    _value = False


class enable_grad(_SwitchContext):
    """Context manager and decorator: record operations even inside `no_grad`."""

    _value = True


class inference_mode(_SwitchContext):
    """PyTorch's `inference_mode(mode=True)`: like `no_grad()` (this engine has no cheaper mode)."""

    def __init__(self, mode: bool = True) -> None:
        super().__init__()
        self._value = not mode


class set_grad_enabled(_SwitchContext):
    """Turn recording on or off: as a plain call (takes effect at once, as in PyTorch), as a
    context manager (which restores the value from before the call when left) or as a decorator."""

    def __init__(self, mode: bool) -> None:
        super().__init__()
        self._value = bool(mode)
        self._before_call: bool | None = state.grad_enabled
        state.grad_enabled = self._value

    def __enter__(self) -> None:
        self._previous.append(state.grad_enabled if self._before_call is None else self._before_call)
        self._before_call = None  # entered again: it then saves the value it finds
        state.grad_enabled = self._value

    def __call__(self, func: Any) -> Any:
        """As a decorator, the call that made it changes nothing; each decorated call switches."""
        state.grad_enabled = self._before_call
        self._before_call = None
        return super().__call__(func)


class detect_anomaly(_SwitchContext):
    """Context manager and decorator: raise as soon as an op's forward or backward produces NaN or Inf."""

    _switch = "anomaly"

    def __init__(self, check_nan: bool = True) -> None:
        super().__init__()
        self._value = bool(check_nan)


class saved_as_constants(_SwitchContext):
    """While on, backward formulas read what forward saved as constants, cut from the graph. A
    gradient recorded with `create_graph=True` is then a function of the incoming gradient only
    (linear in it): differentiating it again walks the backward's nodes, not the forward graph.
    Exact for derivatives with respect to that gradient, lost for those with respect to the inputs."""

    _switch = "saved_as_constants"

    def __init__(self, mode: bool = True) -> None:
        super().__init__()
        self._value = bool(mode)


def check_finite(arr: np.ndarray, op: str, where: str) -> None:
    """Anomaly mode's check: raise naming `op` when `arr` holds NaN or Inf."""
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        kind = "NaN" if np.isnan(arr).any() else "Inf"
        raise FloatingPointError(
            f"detect_anomaly: {op} produced {kind} in its {where} (shape {arr.shape}); "
            "check the inputs of this operation for values outside its domain"
        )
