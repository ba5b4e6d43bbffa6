"""Tensor creation: from data, constant fills, ranges and random draws from the library generator."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from . import random
from .autograd.dtypes import as_array, get_default_dtype
from .autograd.tensor import Tensor


def _size(size: tuple, op: str) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for n in size:
        if not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"{op}: size must be non-negative ints, got {size}")
    return tuple(int(n) for n in size)


def _finish(arr: np.ndarray, dtype: Any, requires_grad: bool, name: str | None = None) -> Tensor:
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad = True
    if name is not None:
        t.name = name
    return t


def _array_of(x: Any) -> np.ndarray:
    """The array behind a tensor, or user data converted with the library's dtype rules."""
    return x.data if isinstance(x, Tensor) else as_array(x)


def _float(dtype: Any) -> np.dtype:
    return get_default_dtype() if dtype is None else np.dtype(dtype)


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False, name: str | None = None) -> Tensor:
    """A new tensor holding a copy of `data` (floats -> default float dtype, ints -> int64)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with `array` (no copy), keeping its dtype."""
    return Tensor._make(as_array(array))


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False, name: str | None = None) -> Tensor:
    return _finish(np.zeros(_size(size, "zeros"), dtype=_float(dtype)), None, requires_grad, name)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False, name: str | None = None) -> Tensor:
    return _finish(np.ones(_size(size, "ones"), dtype=_float(dtype)), None, requires_grad, name)


def empty(*size: Any, dtype: Any = None, requires_grad: bool = False, name: str | None = None) -> Tensor:
    return zeros(*size, dtype=dtype, requires_grad=requires_grad, name=name)


def full(size: Sequence[int] | int, fill_value: Any, dtype: Any = None, requires_grad: bool = False,
         name: str | None = None) -> Tensor:
    """A tensor of `size` filled with `fill_value` (its dtype follows the value, like PyTorch)."""
    size = _size((size,) if isinstance(size, (int, np.integer)) else tuple(size), "full")
    value = _array_of(fill_value) if dtype is None else as_array(_array_of(fill_value), dtype)
    return _finish(np.full(size, value, dtype=value.dtype), None, requires_grad, name)


def zeros_like(x: Any, dtype: Any = None, requires_grad: bool = False, name: str | None = None) -> Tensor:
    arr = _array_of(x)
    return _finish(np.zeros(arr.shape, dtype=arr.dtype if dtype is None else dtype), None, requires_grad, name)


def ones_like(x: Any, dtype: Any = None, requires_grad: bool = False, name: str | None = None) -> Tensor:
    arr = _array_of(x)
    return _finish(np.ones(arr.shape, dtype=arr.dtype if dtype is None else dtype), None, requires_grad, name)


def full_like(x: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False,
              name: str | None = None) -> Tensor:
    arr = _array_of(x)
    filled = np.full(arr.shape, fill_value, dtype=arr.dtype if dtype is None else dtype)
    return _finish(filled, None, requires_grad, name)


def arange(start: float, stop: float | None = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False, name: str | None = None) -> Tensor:
    """Evenly spaced values in [start, stop): int64 for int arguments, else the default float dtype."""
    if stop is None:
        start, stop = 0, start
    if step == 0:
        raise ValueError("arange: step must be non-zero")
    all_int = all(isinstance(v, (int, np.integer)) for v in (start, stop, step))
    default = np.int64 if all_int else get_default_dtype()
    return _finish(np.arange(start, stop, step).astype(default if dtype is None else dtype), None, requires_grad, name)


def linspace(start: float, stop: float, num: int = 50, dtype: Any = None, requires_grad: bool = False,
             name: str | None = None) -> Tensor:
    (num,) = _size((num,), "linspace")
    return _finish(np.linspace(start, stop, num).astype(_float(dtype)), None, requires_grad, name)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False,
        name: str | None = None) -> Tensor:
    n, m = _size((n, n if m is None else m), "eye")
    return _finish(np.eye(n, m, dtype=_float(dtype)), None, requires_grad, name)


def rand(*size: Any, dtype: Any = None, requires_grad: bool = False, name: str | None = None) -> Tensor:
    """Uniform samples in [0, 1)."""
    return _finish(random.generator().random(_size(size, "rand")).astype(_float(dtype)), None, requires_grad, name)


def randn(*size: Any, dtype: Any = None, requires_grad: bool = False, name: str | None = None) -> Tensor:
    """Standard normal samples."""
    samples = random.generator().standard_normal(_size(size, "randn"))
    return _finish(samples.astype(_float(dtype)), None, requires_grad, name)


def randint(low: int, high: int | None = None, size: Sequence[int] = (), dtype: Any = None) -> Tensor:
    """Integers in [low, high) (int64)."""
    if high is None:
        low, high = 0, low
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be larger than low ({low})")
    return _finish(random.generator().integers(low, high, _size(tuple(size), "randint")), dtype or np.int64, False)


def normal(mean: float = 0.0, std: float = 1.0, size: Sequence[int] = (), dtype: Any = None,
           requires_grad: bool = False, name: str | None = None) -> Tensor:
    if std < 0:
        raise ValueError(f"normal: std must be non-negative, got {std}")
    samples = random.generator().normal(mean, std, _size(tuple(size), "normal"))
    return _finish(samples.astype(_float(dtype)), None, requires_grad, name)


def uniform(low: float = 0.0, high: float = 1.0, size: Sequence[int] = (), dtype: Any = None,
            requires_grad: bool = False, name: str | None = None) -> Tensor:
    return _finish(random.generator().uniform(low, high, _size(tuple(size), "uniform")).astype(_float(dtype)), None,
                   requires_grad, name)


def new_zeros(x: Tensor, *size: Any) -> Tensor:
    """Zeros of `size` with x's dtype (PyTorch's `x.new_zeros`)."""
    return Tensor._make(np.zeros(_size(size, "new_zeros"), dtype=x.dtype))


def new_ones(x: Tensor, *size: Any) -> Tensor:
    return Tensor._make(np.ones(_size(size, "new_ones"), dtype=x.dtype))


def new_full(x: Tensor, size: Sequence[int], fill_value: Any) -> Tensor:
    return Tensor._make(np.full(tuple(size), fill_value, dtype=x.dtype))


def new_tensor(x: Tensor, data: Any) -> Tensor:
    """A new leaf holding a copy of `data`, with x's dtype."""
    return Tensor(data, dtype=x.dtype)
