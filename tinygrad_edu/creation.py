"""Tensor creation: from data, constant fills, ranges and random draws (from the library generator,
or a `Generator` passed as `generator=`), with PyTorch's `device=` accepted for the CPU."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from . import random
from .device import check_device
from .autograd.dtypes import as_array, get_default_dtype
from .autograd.tensor import Tensor


def _size(size: tuple, op: str, keyword: Any = None) -> tuple:
    """A shape from `f(2, 3)`, `f((2, 3))` or PyTorch's keyword form `f(size=(2, 3))`."""
    if keyword is not None:
        if size:
            raise TypeError(f"{op}: give the size positionally or as size=, not both (got {size} and {keyword})")
        size = (keyword,) if isinstance(keyword, (int, np.integer)) else tuple(keyword)
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for n in size:
        if not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"{op}: size must be non-negative ints, got {size}")
    return tuple(int(n) for n in size)


def _finish(arr: np.ndarray, dtype: Any, requires_grad: bool, name: str | None = None, device: Any = None,
            op: str = "tensor") -> Tensor:
    """Wrap a freshly made array: its dtype, requires_grad, name; `device` must be the CPU."""
    check_device(device, op)
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
    return x._data if isinstance(x, Tensor) else as_array(x)


def _shape_and_dtype(x: Any) -> tuple[tuple, np.dtype]:
    """x's shape and dtype, read from the tensor without its array (under vmap: one sample's)."""
    if isinstance(x, Tensor):
        return tuple(x.shape), np.dtype(x.dtype)
    arr = as_array(x)
    return arr.shape, arr.dtype


def _random(sample: Callable[[np.random.Generator, tuple], np.ndarray], shape: tuple, dtype: Any,
            requires_grad: bool, name: str | None, generator: Any, device: Any, op: str) -> Tensor:
    """A tensor of `shape` from `sample(rng, shape)`, drawn through random.draw so that under vmap
    each sample can get its own draws (the batch axes come in front of `shape`)."""
    check_device(device, op)
    return random.draw(generator, lambda rng, batch: _finish(sample(rng, batch + shape), dtype, requires_grad, name),
                       op)


def _float(dtype: Any) -> np.dtype:
    return get_default_dtype() if dtype is None else np.dtype(dtype)


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False, name: str | None = None, *,
           device: Any = None) -> Tensor:
    """A new tensor holding a copy of `data` (floats -> default float dtype, ints -> int64)."""
    check_device(device, "tensor")
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with `array` (no copy), keeping its dtype."""
    return Tensor._make(as_array(array))


def zeros(*shape: Any, size: Any = None, dtype: Any = None, requires_grad: bool = False, name: str | None = None,
          device: Any = None) -> Tensor:
    arr = np.zeros(_size(shape, "zeros", size), dtype=_float(dtype))
    return _finish(arr, None, requires_grad, name, device, "zeros")


def ones(*shape: Any, size: Any = None, dtype: Any = None, requires_grad: bool = False, name: str | None = None,
         device: Any = None) -> Tensor:
    return _finish(np.ones(_size(shape, "ones", size), dtype=_float(dtype)), None, requires_grad, name, device, "ones")


def empty(*shape: Any, size: Any = None, dtype: Any = None, requires_grad: bool = False, name: str | None = None,
          device: Any = None) -> Tensor:
    """Like PyTorch's empty, but filled with zeros (never uninitialised memory)."""
    return zeros(*shape, size=size, dtype=dtype, requires_grad=requires_grad, name=name, device=device)


def full(size: Sequence[int] | int, fill_value: Any, dtype: Any = None, requires_grad: bool = False,
         name: str | None = None, device: Any = None) -> Tensor:
    """A tensor of `size` filled with `fill_value` (its dtype follows the value, like PyTorch)."""
    size = _size((size,) if isinstance(size, (int, np.integer)) else tuple(size), "full")
    value = _array_of(fill_value) if dtype is None else as_array(_array_of(fill_value), dtype)
    return _finish(np.full(size, value, dtype=value.dtype), None, requires_grad, name, device, "full")


def _like(x: Any, make: Any, dtype: Any, requires_grad: bool, name: str | None, device: Any, op: str) -> Tensor:
    """A new tensor of x's shape (and dtype unless `dtype` is given) from `make(shape, dtype)`."""
    shape, own_dtype = _shape_and_dtype(x)
    dtype = own_dtype if dtype is None else np.dtype(dtype)
    return _finish(np.asarray(make(shape, dtype)).astype(dtype, copy=False), None, requires_grad, name, device, op)


def zeros_like(x: Any, dtype: Any = None, requires_grad: bool = False, name: str | None = None,
               device: Any = None) -> Tensor:
    return _like(x, np.zeros, dtype, requires_grad, name, device, "zeros_like")


def ones_like(x: Any, dtype: Any = None, requires_grad: bool = False, name: str | None = None,
              device: Any = None) -> Tensor:
    return _like(x, np.ones, dtype, requires_grad, name, device, "ones_like")


def empty_like(x: Any, dtype: Any = None, requires_grad: bool = False, name: str | None = None,
               device: Any = None) -> Tensor:
    """Like PyTorch's empty_like, but filled with zeros."""
    return _like(x, np.zeros, dtype, requires_grad, name, device, "empty_like")


def full_like(x: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False,
              name: str | None = None, device: Any = None) -> Tensor:
    return _like(x, lambda shape, dt: np.full(shape, fill_value, dtype=dt), dtype, requires_grad, name, device,
                 "full_like")


def _float_like(x: Any, dtype: Any, op: str) -> np.dtype:
    """The dtype of a random `*_like` result: x's float dtype, or the default one for int tensors."""
    dtype = _shape_and_dtype(x)[1] if dtype is None else np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"{op}: draws floats; x is {dtype}, pass dtype= a float dtype")
    return dtype


def rand_like(x: Any, dtype: Any = None, requires_grad: bool = False, *, generator: Any = None,
              device: Any = None) -> Tensor:
    """Uniform samples in [0, 1) of x's shape and dtype."""
    return _random(lambda rng, shape: rng.random(shape), _shape_and_dtype(x)[0], _float_like(x, dtype, "rand_like"),
                   requires_grad, None, generator, device, "rand_like")


def randn_like(x: Any, dtype: Any = None, requires_grad: bool = False, *, generator: Any = None,
               device: Any = None) -> Tensor:
    """Standard normal samples of x's shape and dtype."""
    return _random(lambda rng, shape: rng.standard_normal(shape), _shape_and_dtype(x)[0],
                   _float_like(x, dtype, "randn_like"), requires_grad, None, generator, device, "randn_like")


def randint_like(x: Any, low: int = 0, high: int | None = None, *, dtype: Any = None, generator: Any = None,
                 device: Any = None) -> Tensor:
    """Integers in [low, high) of x's shape (`randint_like(x, high)` draws from [0, high))."""
    if high is None:
        low, high = 0, low
    _check_range(low, high, "randint_like")
    shape, own_dtype = _shape_and_dtype(x)
    return _random(lambda rng, size: rng.integers(low, high, size), shape, own_dtype if dtype is None else dtype, False,
                   None, generator, device, "randint_like")


def arange(start: float, stop: float | None = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False, name: str | None = None, device: Any = None) -> Tensor:
    """Evenly spaced values in [start, stop): int64 for int arguments, else the default float dtype."""
    if stop is None:
        start, stop = 0, start
    if step == 0:
        raise ValueError("arange: step must be non-zero")
    all_int = all(isinstance(v, (int, np.integer)) for v in (start, stop, step))
    default = np.int64 if all_int else get_default_dtype()
    values = np.arange(start, stop, step).astype(default if dtype is None else dtype)
    return _finish(values, None, requires_grad, name, device, "arange")


def linspace(start: float, stop: float, num: int = 50, dtype: Any = None, requires_grad: bool = False,
             name: str | None = None, device: Any = None) -> Tensor:
    (num,) = _size((num,), "linspace")
    return _finish(np.linspace(start, stop, num).astype(_float(dtype)), None, requires_grad, name, device, "linspace")


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False,
        name: str | None = None, device: Any = None) -> Tensor:
    n, m = _size((n, n if m is None else m), "eye")
    return _finish(np.eye(n, m, dtype=_float(dtype)), None, requires_grad, name, device, "eye")


def rand(*shape: Any, size: Any = None, dtype: Any = None, requires_grad: bool = False, name: str | None = None,
         generator: Any = None, device: Any = None) -> Tensor:
    """Uniform samples in [0, 1)."""
    return _random(lambda rng, shape: rng.random(shape), _size(shape, "rand", size), _float(dtype), requires_grad, name,
                   generator, device, "rand")


def randn(*shape: Any, size: Any = None, dtype: Any = None, requires_grad: bool = False, name: str | None = None,
          generator: Any = None, device: Any = None) -> Tensor:
    """Standard normal samples."""
    return _random(lambda rng, shape: rng.standard_normal(shape), _size(shape, "randn", size), _float(dtype),
                   requires_grad, name, generator, device, "randn")


def _check_range(low: Any, high: Any, op: str) -> None:
    if high <= low:
        raise ValueError(f"{op}: high ({high}) must be larger than low ({low})")


def randint(low: int, high: Any = None, size: Sequence[int] = (), dtype: Any = None, *, generator: Any = None,
            device: Any = None, requires_grad: bool = False) -> Tensor:
    """Integers in [low, high) (int64). Also PyTorch's `randint(high, size)`."""
    if isinstance(high, (tuple, list)):  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    _check_range(low, high, "randint")
    return _random(lambda rng, shape: rng.integers(low, high, shape), _size(tuple(size), "randint"), dtype or np.int64,
                   requires_grad, None, generator, device, "randint")


def randperm(n: int, *, generator: Any = None, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """A random permutation of 0 .. n-1 (int64)."""
    (n,) = _size((n,), "randperm")

    def sample(rng: np.random.Generator, shape: tuple) -> np.ndarray:  # under vmap: one permutation per sample
        return rng.permutation(n) if len(shape) == 1 else rng.permuted(np.broadcast_to(np.arange(n), shape), axis=-1)

    return _random(sample, (n,), dtype or np.int64, requires_grad, None, generator, device, "randperm")


def multinomial(input: Any, num_samples: int, replacement: bool = False, *,  # noqa: A002 (PyTorch's name)
                generator: Any = None) -> Tensor:
    """Indices drawn from the categories weighted by `input` (one row, or one draw set per row of a
    matrix): with or without replacement, as torch.multinomial (the weights need not sum to 1)."""
    weights = np.asarray(_array_of(input), dtype=np.float64)
    if weights.ndim not in (1, 2) or weights.shape[-1] == 0:
        raise ValueError(f"multinomial: expects a 1-D or 2-D tensor of weights, got shape {weights.shape}")
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError("multinomial: weights must be finite and non-negative")
    rows = np.atleast_2d(weights)
    totals = rows.sum(axis=1)
    if np.any(totals <= 0):
        raise ValueError("multinomial: every row of weights must have a positive sum")
    if not replacement and num_samples > np.min(np.count_nonzero(rows, axis=1)):
        raise ValueError(f"multinomial: cannot draw {num_samples} samples without replacement from fewer "
                         "categories with non-zero weight")
    shape = (rows.shape[0], num_samples) if weights.ndim == 2 else (num_samples,)

    def sample(rng: np.random.Generator, batch: tuple) -> Tensor:  # under vmap: the rows drawn once per sample
        drawn = [rng.choice(row.size, size=num_samples, replace=replacement, p=row / total)
                 for _ in range(int(np.prod(batch))) for row, total in zip(rows, totals)]
        return Tensor._make(np.stack(drawn).astype(np.int64).reshape(batch + shape))

    return random.draw(generator, sample, "multinomial")


def normal(mean: float = 0.0, std: float = 1.0, size: Sequence[int] = (), dtype: Any = None,
           requires_grad: bool = False, name: str | None = None, *, generator: Any = None,
           device: Any = None) -> Tensor:
    """Normal samples of `size` with the given mean and standard deviation; with a tensor mean
    or std, one sample per element of their broadcast shape (PyTorch's elementwise form)."""
    m, s = _array_of(mean), _array_of(std)
    if np.any(s < 0):
        raise ValueError(f"normal: std must be non-negative, got {std}")
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        size = np.broadcast_shapes(m.shape, s.shape)
        dtype = (mean if isinstance(mean, Tensor) else std).dtype if dtype is None else dtype
    return _random(lambda rng, shape: rng.normal(m, s, shape), _size(tuple(size), "normal"), _float(dtype),
                   requires_grad, name, generator, device, "normal")


def uniform(low: float = 0.0, high: float = 1.0, size: Sequence[int] = (), dtype: Any = None,
            requires_grad: bool = False, name: str | None = None, *, generator: Any = None,
            device: Any = None) -> Tensor:
    """Uniform samples of `size` in [low, high)."""
    return _random(lambda rng, shape: rng.uniform(low, high, shape), _size(tuple(size), "uniform"), _float(dtype),
                   requires_grad, name, generator, device, "uniform")


def _new_size(size: tuple, op: str) -> tuple:
    """`x.new_ones(2, 3)` and `x.new_ones((2, 3))` both mean the shape (2, 3)."""
    return _size(tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size, op)


def new_zeros(x: Tensor, *size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """Zeros of `size` with x's dtype unless `dtype` is given (PyTorch's `x.new_zeros`)."""
    arr = np.zeros(_new_size(size, "new_zeros"), dtype=x.dtype if dtype is None else dtype)
    return _finish(arr, None, requires_grad, None, device, "new_zeros")


def new_ones(x: Tensor, *size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    arr = np.ones(_new_size(size, "new_ones"), dtype=x.dtype if dtype is None else dtype)
    return _finish(arr, None, requires_grad, None, device, "new_ones")


def new_full(x: Tensor, size: Sequence[int], fill_value: Any, *, dtype: Any = None, requires_grad: bool = False,
             device: Any = None) -> Tensor:
    arr = np.full(_new_size((size,), "new_full"), fill_value, dtype=x.dtype if dtype is None else dtype)
    return _finish(arr, None, requires_grad, None, device, "new_full")


def new_tensor(x: Tensor, data: Any, *, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """A new leaf holding a copy of `data`, with x's dtype unless `dtype` is given."""
    check_device(device, "new_tensor")
    return Tensor(data, requires_grad=requires_grad, dtype=x.dtype if dtype is None else dtype)
