"""Toy datasets of the from-scratch courses (spiral, vertical, sine, moons) and MNIST / FashionMNIST.

Every toy returns `(X, y)` as Tensors (X in the default float dtype, class labels int64); pass
`as_numpy=True` to get NumPy arrays instead. Noise comes from `rng`: by default the library generator
(`tg.manual_seed` makes it reproducible); an int seeds NumPy's legacy `RandomState`, which reproduces
the points of Neural Networks from Scratch (`nnfs.init()` then `spiral_data(...)` equals `spiral(..., rng=0)`);
a NumPy Generator or RandomState (or the module `np.random`, i.e. its global state) is used as given.
"""

from __future__ import annotations

from typing import Any, Union

import numpy as np

from .. import random
from ..autograd.dtypes import get_default_dtype
from ..autograd.tensor import Tensor
from .mnist import MNIST, FashionMNIST

__all__ = ["FashionMNIST", "MNIST", "moons", "sine", "spiral", "vertical"]

RandomSource = Union[int, np.random.Generator, np.random.RandomState, None]


def _noise_source(rng: RandomSource) -> Any:
    """What draws the normal noise: the library generator, a legacy RandomState for an int, or `rng` itself."""
    if rng is None:
        return random.generator()
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.RandomState(int(rng))
    if hasattr(rng, "standard_normal"):
        return rng
    raise TypeError(f"datasets: rng must be None, an int seed, a numpy Generator or RandomState, got {rng!r}")


def _check_counts(name: str, samples: int, classes: int = 1) -> None:
    for label, value in (("samples", samples), ("classes", classes)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name}: {label} must be a positive int, got {value!r}")


def _output(x: np.ndarray, y: np.ndarray, as_numpy: bool) -> tuple[Any, Any]:
    x = x.astype(get_default_dtype())
    if y.dtype.kind == "f":
        y = y.astype(get_default_dtype())
    return (x, y) if as_numpy else (Tensor._make(x), Tensor._make(y))


def spiral(samples: int = 100, classes: int = 3, *, noise: float = 0.2, rng: RandomSource = None,
           as_numpy: bool = False) -> tuple[Any, Any]:
    """`classes` interleaved spiral arms of `samples` points each (cs231n / nnfs `spiral_data`).

    Class c: radius r = linspace(0, 1), angle t = linspace(4c, 4(c+1)) + noise * N(0, 1), point
    (r sin 2.5t, r cos 2.5t). Returns X of shape (samples * classes, 2) and y int64, ordered by class.
    """
    _check_counts("spiral", samples, classes)
    source = _noise_source(rng)
    x = np.zeros((samples * classes, 2))
    y = np.repeat(np.arange(classes, dtype=np.int64), samples)
    radius = np.linspace(0.0, 1, samples)
    for c in range(classes):
        angle = np.linspace(c * 4, (c + 1) * 4, samples) + source.standard_normal(samples) * noise
        x[c * samples:(c + 1) * samples] = np.c_[radius * np.sin(angle * 2.5), radius * np.cos(angle * 2.5)]
    return _output(x, y, as_numpy)


def vertical(samples: int = 100, classes: int = 3, *, rng: RandomSource = None, as_numpy: bool = False
             ) -> tuple[Any, Any]:
    """Vertical clusters (nnfs `vertical_data`): class c is N(c/3, 0.1) horizontally, N(0.5, 0.1) vertically."""
    _check_counts("vertical", samples, classes)
    source = _noise_source(rng)
    x = np.zeros((samples * classes, 2))
    y = np.repeat(np.arange(classes, dtype=np.int64), samples)
    for c in range(classes):
        horizontal = source.standard_normal(samples) * 0.1 + c / 3
        x[c * samples:(c + 1) * samples] = np.c_[horizontal, source.standard_normal(samples) * 0.1 + 0.5]
    return _output(x, y, as_numpy)


def sine(samples: int = 1000, *, as_numpy: bool = False) -> tuple[Any, Any]:
    """A regression target (nnfs `sine_data`): X = arange(samples) / samples as a column, y = sin(2 pi X)."""
    _check_counts("sine", samples)
    x = np.arange(samples).reshape(-1, 1) / samples
    return _output(x, np.sin(2 * np.pi * x), as_numpy)


def moons(samples: int = 100, noise: float = 0.1, *, rng: RandomSource = None, as_numpy: bool = False
          ) -> tuple[Any, Any]:
    """Two interleaving half circles of `samples` points each (class 0 on top), plus N(0, noise) jitter.

    The points without noise are those of scikit-learn's `make_moons(2 * samples, shuffle=False)`.
    """
    _check_counts("moons", samples)
    if noise < 0:
        raise ValueError(f"moons: noise must be >= 0, got {noise}")
    angle = np.linspace(0, np.pi, samples)
    upper = np.c_[np.cos(angle), np.sin(angle)]
    lower = np.c_[1 - np.cos(angle), 1 - np.sin(angle) - 0.5]
    x = np.concatenate([upper, lower])
    if noise > 0:
        x = x + _noise_source(rng).standard_normal(x.shape) * noise
    y = np.repeat(np.arange(2, dtype=np.int64), samples)
    return _output(x, y, as_numpy)
