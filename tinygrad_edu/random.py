"""The library's one random generator: every random op, init and shuffle draws from it."""

from __future__ import annotations

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Make all randomness of the library reproducible (independent of NumPy's global state).
    Any int is accepted, as in PyTorch; negative seeds wrap around modulo 2**64."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
    global _generator
    _generator = np.random.default_rng(int(seed) % 2**64)
    return _generator


def generator() -> np.random.Generator:
    """The generator currently in use (replaced by `manual_seed`)."""
    return _generator
