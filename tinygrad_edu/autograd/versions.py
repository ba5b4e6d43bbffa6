"""In-place writes and views: what backward needs to know to refuse stale saved values and to
keep a view and its base in step.

Tensors that share memory (a view and its base, a tensor and its `detach()`) must see each other's
in-place writes, as PyTorch's shared version counters do. Each in-place write takes the next epoch
and records it for the array that owns the memory; a node remembers the epoch at which it saved its
arrays, and backward refuses when an owner was written after that epoch.

A view made by indexing, reshaping or permuting remembers its base (`mark_view`) and the base its
live views, so an in-place write to either can update the other's place in the graph
(`ops/inplace.py` does that).
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

write_epoch = 0  # number of in-place writes so far (any tensor, any thread)
_written_at: dict[int, int] = {}  # id(memory owner) -> epoch of its last in-place write


def memory_owner(arr: np.ndarray) -> np.ndarray:
    """The array that owns `arr`'s memory (`arr` itself unless it is a view)."""
    while isinstance(arr.base, np.ndarray):
        arr = arr.base
    return arr


def note_inplace_write(arr: np.ndarray) -> None:
    """Record that the memory of `arr` was just written in place (by whichever tensor holds it)."""
    global write_epoch
    write_epoch += 1
    owner = memory_owner(arr)
    key = id(owner)
    if key not in _written_at:
        weakref.finalize(owner, _written_at.pop, key, None)  # forget the owner with its memory
    _written_at[key] = write_epoch


def written_since(arr: np.ndarray, epoch: int) -> bool:
    """Whether the memory of `arr` was written in place after `epoch`."""
    return _written_at.get(id(memory_owner(arr)), 0) > epoch


def mark_written(*tensors: Any) -> None:
    """Declare that `tensors` were changed in place through their NumPy arrays (as optimizers
    update their parameters), so that a backward through a graph that saved them before raises, as it does
    after the Tensor in-place ops, instead of silently using the new values."""
    for t in tensors:
        note_inplace_write(t._data)


def mark_view(view: Any, base: Any, kind: str, arg: Any) -> Any:
    """Remember that `view` shares `base`'s memory, made by `kind` "index" (with index `arg`),
    "reshape" or "permute" (with axes `arg`); a copy (advanced indexing, a reshape that had to
    copy) is not a view and is left alone. Returns `view`."""
    try:
        shared = view is not base and memory_owner(view._data) is memory_owner(base._data)
    except NotImplementedError:  # a transform's tensors hold no one array (function.TransformOperandError)
        return view
    if shared:
        view._view_of = (base, kind, arg)
        views = getattr(base, "_views", None)
        if views is None:
            views = base._views = weakref.WeakSet()  # forgets dead views itself: no growth over steps
        views.add(view)
    return view


def base_of(t: Any) -> tuple | None:
    """(base, kind, arg) when `t` is a view (see `mark_view`), else None."""
    return getattr(t, "_view_of", None)


def live_views(base: Any) -> list:
    """The views of `base` still alive."""
    views = getattr(base, "_views", None)
    return list(views) if views else []
