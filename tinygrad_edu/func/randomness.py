"""Random draws under vmap: `randomness="error"`, `"same"` or `"different"`, per vmap level.

The random ops (creation.py, dropout, normal_) draw through `random.draw`, which below this
layer knows nothing of vmap. While a vmapped function runs, `draws_for_level` installs
`draw_for_batch` as that module's hook (thread-local, like vmap's LEVELS). The hook looks at
every active level, as torch.func does: one with "error" refuses the draw; each "different"
level adds its batch axis in front of the draw (one draw per sample, the result batched at those
levels); a "same" level adds nothing, so its samples share the draw. vmap sometimes runs the
function several times for one batch (chunks, or one sample at a time); under "same" it rewinds
the generators before each run (`repeated_runs`), so every run draws the same numbers.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import numpy as np

from .. import random
from ..autograd import Tensor
from .batched import BatchedTensor

RANDOMNESS = ("error", "different", "same")


class _Rewind:
    """The generators one vmap call has drawn from, each with its state before the first draw."""

    def __init__(self) -> None:
        self.states: dict[int, tuple[np.random.Generator, dict]] = {}

    def saw(self, rng: np.random.Generator) -> None:
        self.states.setdefault(id(rng), (rng, rng.bit_generator.state))

    def rewind(self) -> None:
        for rng, state in self.states.values():
            rng.bit_generator.state = state


class _RandomLevels(threading.local):
    """The vmap levels running in this thread as [(level, batch size, randomness)], innermost
    last, and the rewinds of the "same" calls that run the function more than once."""

    def __init__(self) -> None:
        self.levels: list[tuple[int, int, str]] = []
        self.rewinds: list[_Rewind] = []


_ACTIVE = _RandomLevels()


def refusal(op: str) -> RuntimeError:
    """The error for a draw under randomness="error", naming the op and the ways out."""
    return RuntimeError(f"vmap: {op} draws random numbers, which randomness='error' refuses (the default: each "
                        "sample could need draws of its own); pass randomness='different' for independent draws per "
                        "sample, 'same' for one draw shared by the batch, or draw outside vmap and pass them in")


def draw_for_batch(rng: np.random.Generator, sample: Callable[[np.random.Generator, tuple], Any], op: str) -> Any:
    """random.draw's hook under vmap: the draws of every sample of the active levels at once."""
    if any(randomness == "error" for _, _, randomness in _ACTIVE.levels):
        raise refusal(op)
    for rewind in _ACTIVE.rewinds:
        rewind.saw(rng)
    different = [(level, size) for level, size, randomness in _ACTIVE.levels if randomness == "different"]
    result = sample(rng, tuple(size for _, size in different))
    if not different:
        return result
    value = result if isinstance(result, Tensor) else Tensor._make(np.asarray(result))
    return BatchedTensor(value, tuple(level for level, _ in different))


@contextmanager
def draws_for_level(number: int, size: int, randomness: str) -> Iterator[None]:
    """The random ops draw for vmap level `number` (batch `size`) while the block runs."""
    previous = random.SAMPLING.hook
    _ACTIVE.levels.append((number, size, randomness))
    random.SAMPLING.hook = draw_for_batch
    try:
        yield
    finally:
        _ACTIVE.levels.pop()
        random.SAMPLING.hook = previous


@contextmanager
def repeated_runs(randomness: str) -> Iterator[Callable[[], None]]:
    """For a vmap call that runs the function several times (chunks, or one sample at a time
    outside its level): yields `rewind`, to call before each run. Under "same" it puts every
    generator drawn from back to its state before the first run (the default generator always:
    that also covers draws that bypass random.draw); under "error" draws stay refused."""
    if randomness == "error":
        with draws_for_level(0, 1, "error"):  # no real level (they count from 1): only the refusal
            yield lambda: None
        return
    if randomness == "different":
        yield lambda: None
        return
    rewind = _Rewind()
    rewind.saw(random.generator())
    _ACTIVE.rewinds.append(rewind)
    try:
        yield rewind.rewind
    finally:
        _ACTIVE.rewinds.remove(rewind)
