"""dtype rules: which dtype new tensors get, and which dtype an op's result has.

They follow PyTorch: Python floats become the default float dtype (float32 unless changed),
Python ints int64 and bools bool; NumPy arrays keep their dtype. An op's floating result takes the
dtype of its dimensioned float operands, else of its 0-d float operands, else the default float
dtype, where NumPy would often give float64 (int / int, float32 * 0-d float64, int * 2.5).
"""

from __future__ import annotations

from typing import Any

import numpy as np

FLOAT64 = np.dtype(np.float64)
_SUPPORTED_KINDS = "fiub"
_default_dtype = np.dtype(np.float32)


def set_default_dtype(dtype: Any) -> None:
    """Set the float dtype that Python floats and new parameters get (float32 unless changed)."""
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: only floating dtypes can be the default, got {dtype}")
    _default_dtype = dtype


def get_default_dtype() -> np.dtype:
    """The float dtype given to Python floats and new parameters."""
    return _default_dtype


def check_dtype(dtype: np.dtype, where: str) -> None:
    """Refuse dtypes a tensor cannot hold (strings, objects, complex)."""
    if dtype.kind not in _SUPPORTED_KINDS:
        raise TypeError(
            f"{where}: unsupported dtype {dtype}; tensors hold float, integer or bool data "
            "(convert strings or objects to numbers first)"
        )


def as_array(data: Any, dtype: Any = None, copy: bool = False) -> np.ndarray:
    """Convert user data (an array, a scalar or nested lists) to an ndarray with the
    library's dtype rules; `dtype=` overrides them."""
    if isinstance(data, np.ndarray):
        arr = data
    elif isinstance(data, np.generic):
        arr = np.asarray(data)
    else:
        try:
            arr = np.array(data)
        except ValueError as err:
            raise ValueError(f"tensor: cannot build a tensor from {type(data).__name__}: {err}") from None
        if dtype is None:
            if arr.dtype.kind == "f":
                arr = arr.astype(_default_dtype, copy=False)
            elif arr.dtype.kind in "iu":
                arr = arr.astype(np.int64, copy=False)
        copy = False
    check_dtype(arr.dtype, "tensor")
    if dtype is not None:
        dtype = np.dtype(dtype)
        check_dtype(dtype, "tensor")
        return arr.astype(dtype, copy=copy)
    return arr.copy() if copy else arr


def result_float_dtype(arrays: Any) -> np.dtype:
    """PyTorch's dtype for a float result of these operands: dimensioned float arrays decide,
    else 0-d ones, else the default float dtype (Python and NumPy scalars never widen)."""
    dimensioned = zero_dim = None
    for a in arrays:
        for x in a if isinstance(a, (list, tuple)) else (a,):
            if isinstance(x, np.ndarray) and x.dtype.kind == "f":
                if x.ndim:
                    dimensioned = x.dtype if dimensioned is None else np.promote_types(dimensioned, x.dtype)
                else:
                    zero_dim = x.dtype if zero_dim is None else np.promote_types(zero_dim, x.dtype)
    if dimensioned is not None:
        return dimensioned
    return _default_dtype if zero_dim is None else zero_dim


def fix_float64(out: np.ndarray, arrays: Any) -> np.ndarray:
    """Narrow a float64 result that NumPy widened but PyTorch would not (see `result_float_dtype`)."""
    dtype = result_float_dtype(arrays)
    return out if dtype is FLOAT64 or dtype == FLOAT64 else out.astype(dtype)
