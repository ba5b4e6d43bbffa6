"""Randomness: the library's one default generator, and `Generator` objects as PyTorch's.

Every random op, init and shuffle draws from the default generator unless given `generator=`.
The random ops draw through `draw`, so that under vmap (which sits above this module and so
cannot be imported here) each sample can get draws of its own: vmap installs a hook in
`SAMPLING` while its function runs, in this thread only, and the hook decides the batch axes.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

import numpy as np


def _checked_seed(seed: Any, op: str) -> int:
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"{op}: seed must be an int, got {type(seed).__name__}")
    return int(seed) % 2**64  # any int, as in PyTorch: negative seeds wrap around


class Generator:
    """A random generator of its own, as `torch.Generator()`: `g.manual_seed(s)` returns `g`, and
    random functions draw from it when passed `generator=g`."""

    def __init__(self, device: Any = "cpu") -> None:
        from .device import check_device

        check_device(device, "Generator")
        self._seed = int(np.random.SeedSequence().entropy % 2**64)
        self.rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> Generator:
        self._seed = _checked_seed(seed, "Generator.manual_seed")
        self.rng = np.random.default_rng(self._seed)
        return self

    def initial_seed(self) -> int:
        return self._seed

    def seed(self) -> int:
        """Reseed from fresh entropy and return the new seed."""
        return self.manual_seed(int(np.random.SeedSequence().entropy % 2**64)).initial_seed()

    def __getattr__(self, name: str) -> Any:
        """NumPy's sampling methods (`random`, `normal`, `permutation`, ...) pass through."""
        if name == "rng":
            raise AttributeError(name)
        return getattr(self.rng, name)


_default = Generator()


def manual_seed(seed: int) -> Generator:
    """Make all randomness of the library reproducible (independent of NumPy's global state).
    Any int is accepted, as in PyTorch; returns the default generator."""
    return _default.manual_seed(_checked_seed(seed, "manual_seed"))


def initial_seed() -> int:
    """The seed of the default generator."""
    return _default.initial_seed()


def generator(chosen: Generator | None = None) -> np.random.Generator:
    """The NumPy generator to draw from: `chosen`'s when given, else the default one."""
    if chosen is None:
        return _default.rng
    if isinstance(chosen, Generator):
        return chosen.rng
    if isinstance(chosen, np.random.Generator):
        return chosen
    raise TypeError(f"generator must be a tg.Generator (or a NumPy Generator), got {type(chosen).__name__}")


class _Sampling(threading.local):
    """How random ops draw in this thread: `hook` is None, or vmap's rule (func/randomness.py)
    while a vmapped function runs."""

    def __init__(self) -> None:
        self.hook: Callable[..., Any] | None = None


SAMPLING = _Sampling()


def draw(chosen: Generator | None, sample: Callable[[np.random.Generator, tuple[int, ...]], Any], op: str) -> Any:
    """The result of the random op `op`: `sample(rng, batch)` draws it from `rng` with the axes
    `batch` in front of the op's own shape. Outside vmap `batch` is (); under vmap the hook picks
    it from the levels' `randomness` and returns the draws as a batched tensor."""
    rng = generator(chosen)
    hook = SAMPLING.hook
    return sample(rng, ()) if hook is None else hook(rng, sample, op)
