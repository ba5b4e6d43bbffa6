"""Tensor: an array with a gradient slot and a link to the node that produced it.

This file holds the data structure and the Python protocol only. What a tensor can compute (its
arithmetic, reductions, shape and indexing methods) is attached from above, in
`tinygrad_edu/methods.py`, where every method is one entry of a table pointing into `ops/`.
"""

from __future__ import annotations

import math
import warnings
import weakref
from typing import Any, Callable

import numpy as np

from .dtypes import as_array, get_default_dtype


class RemovableHandle:
    """Returned by `register_hook`; `remove()` unregisters the hook."""

    def __init__(self, hooks: list, hook: Callable) -> None:
        self._hooks = hooks
        self._hook = hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


class Size(tuple):
    """A shape, as PyTorch's `torch.Size`: a tuple that also knows its number of elements."""

    __slots__ = ()  # no per-instance dict: a Size costs what a tuple costs

    def numel(self) -> int:
        return math.prod(self)

    def __getitem__(self, index: Any) -> Any:
        item = tuple.__getitem__(self, index)
        return Size(item) if isinstance(index, slice) else item  # x.shape[1:] is a Size too


class ElementCount(int):
    """What `x.size` is: NumPy's element count, an int, which called as PyTorch's `x.size()` or
    `x.size(dim)` gives the shape or one dimension, so code in either spelling runs."""

    def __call__(self, dim: int | None = None) -> Any:
        shape = self.shape
        if dim is None:
            return shape
        if not -len(shape) <= dim < len(shape):
            raise IndexError(f"size: dimension {dim} is out of range for a tensor with {len(shape)} dimensions")
        return shape[dim]


def _read_only(arr: np.ndarray) -> np.ndarray:
    """A view of `arr` that refuses writes."""
    view = arr.view()
    view.flags.writeable = False
    return view


class Tensor:
    """An n-dimensional array that records the operations applied to it for backpropagation.

    `_data` is the NumPy array the engine computes on (`.data` is PyTorch's detached tensor view of
    it, `.numpy()` the array), `grad` the accumulated gradient (a Tensor or None), `grad_fn` the
    graph node that computed this tensor (None for leaves).
    """

    # _name, _hooks, _view_of and _views (see versions.mark_view) are set only when used
    __slots__ = ("_data", "_grad", "_requires_grad", "grad_fn", "_version", "_name", "_hooks", "_view_of", "_views",
                 "__weakref__")
    __array_priority__ = 100  # ndarray (op) Tensor defers to Tensor's reflected operators

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None) -> None:
        if isinstance(data, Tensor):
            data = data._data
        self._data = as_array(data, dtype, copy=isinstance(data, np.ndarray))
        self._grad = None
        self.grad_fn = None
        self._version = 0
        self._requires_grad = False
        if requires_grad:
            self.requires_grad = True
        self._name = name

    @staticmethod
    def _make(data: np.ndarray, requires_grad: bool = False, grad_fn: Any = None) -> Tensor:
        """Wrap an array without copying or checking (the engine's fast constructor)."""
        t = object.__new__(Tensor)
        t._data = data
        t._grad = None
        t._requires_grad = requires_grad
        t.grad_fn = grad_fn
        t._version = 0
        return t

    # -- attributes ----------------------------------------------------------------------------

    @property
    def data(self) -> Tensor:
        """The values as a tensor outside the graph, sharing this one's memory (PyTorch's `.data`):
        `p.data -= lr * p.grad` updates `p` in place without recording an operation."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value: Any) -> None:
        array = value._data if isinstance(value, Tensor) else as_array(value, None)
        if self._requires_grad and array.dtype.kind != "f":
            raise RuntimeError(f"data: a tensor that requires grad must hold floats, got {array.dtype}; "
                               "convert the new values with .float() first")
        self._data = array

    @property
    def grad(self) -> Tensor | None:
        """The gradient accumulated by backward; None until one arrives. Only leaves (and tensors
        that called `retain_grad()`) get one, so reading it on any other tensor warns, as PyTorch."""
        if self._grad is None and self.grad_fn is not None and not self.retains_grad:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
                "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
                "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
                "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead.",
                UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        self._grad = value

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self._data.dtype.kind != "f":
            raise RuntimeError(
                f"requires_grad: only floating point tensors can require gradients, this one is "
                f"{self._data.dtype}; convert it first with .float()"
            )
        if not value and self.grad_fn is not None:
            raise RuntimeError(
                "requires_grad: cannot turn off gradients of a non-leaf tensor; use .detach() instead"
            )
        self._requires_grad = bool(value)

    @property
    def name(self) -> str | None:
        """An optional label, shown by `draw_graph`."""
        return getattr(self, "_name", None)

    @name.setter
    def name(self, value: str | None) -> None:
        self._name = value

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def shape(self) -> Size:
        """The dimensions, as a `Size` (a tuple, as PyTorch's `torch.Size`)."""
        return Size(self._data.shape)

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def size(self) -> ElementCount:
        """The number of elements (NumPy's `x.size`); `x.size()` is the shape, `x.size(d)` one
        dimension (PyTorch's)."""
        count = ElementCount(self._data.size)
        count.shape = Size(self._data.shape)
        return count

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    def contiguous(self) -> Tensor:
        return self

    # -- conversions and the Python protocol ----------------------------------------------------

    def numpy(self) -> np.ndarray:
        """The values as a NumPy array sharing this tensor's memory. For a tensor that requires
        grad the array is read-only (a write would silently change what backward computes with);
        `detach().numpy()` gives a writable one."""
        return _read_only(self._data) if self._requires_grad else self._data

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if dtype is not None:
            return self._data.astype(dtype)
        return _read_only(self._data) if self._requires_grad else self._data

    def item(self) -> Any:
        if self._data.size != 1:
            raise ValueError(
                f"item: only a tensor with one element can be converted to a Python scalar, "
                f"this one has shape {self.shape}"
            )
        return self._data.item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"bool: the truth value of a tensor of shape {self.shape} is ambiguous; use .any() or .all()"
            )
        return bool(self._data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError("only integer tensors of one element can be used as an index")
        return int(self._data)

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        body = np.array2string(self._data, separator=", ", prefix="tensor(", precision=4)
        extras = []
        if self._data.dtype != get_default_dtype() and self._data.dtype.kind == "f" or self._data.dtype.kind == "b":
            extras.append(f"dtype={self._data.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name()}>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body] + extras) + ")"

    # -- place in the graph -----------------------------------------------------------------------

    def detach(self) -> Tensor:
        """A tensor sharing this one's data, cut from the graph."""
        return Tensor._make(self._data)

    def detach_(self) -> Tensor:
        """Cut this tensor from the graph in place: it becomes a leaf that does not require grad."""
        self.grad_fn = None
        self._requires_grad = False
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set `requires_grad` in place and return the tensor (for chaining, as in PyTorch)."""
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        """Keep `.grad` on this non-leaf tensor after backward (leaves always keep theirs)."""
        if not self._requires_grad:
            raise RuntimeError("retain_grad: this tensor does not require grad")
        if self.grad_fn is not None:
            self.grad_fn._retain = weakref.ref(self)

    @property
    def retains_grad(self) -> bool:
        fn = self.grad_fn
        return fn is not None and fn._retain is not None and fn._retain() is self

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call `hook(grad)` when this tensor's gradient is computed; a returned tensor replaces it."""
        if not self._requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that does not require grad")
        owner = self.grad_fn if self.grad_fn is not None else self
        hooks = getattr(owner, "_hooks", None)
        if hooks is None:
            hooks = owner._hooks = []
        hooks.append(hook)
        return RemovableHandle(hooks, hook)
