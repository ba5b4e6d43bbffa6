"""Tensor, Function, Node and grad mode: the data structures the autograd graph is made of.

A `Tensor` wraps one NumPy array. Every differentiable operation is a `Function` subclass; calling
`Op.apply(*inputs)` runs `forward` on arrays and, when gradients are needed, records one `Node`
that is at once the `ctx` of that call and the graph node: it keeps edges to the nodes (or leaf
tensors) of its inputs and what `backward` needs, never its own output tensor.
"""

from __future__ import annotations

import threading
import weakref
from contextlib import ContextDecorator
from typing import Any, Callable, NamedTuple, Sequence

import numpy as np

# ----------------------------------------------------------------------------------------------
# dtype rules


_default_dtype = np.dtype(np.float32)
_FLOAT64 = np.dtype(np.float64)
_SUPPORTED_KINDS = "fiub"


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


def _check_dtype(arr: np.ndarray, where: str) -> np.ndarray:
    if arr.dtype.kind not in _SUPPORTED_KINDS:
        raise TypeError(
            f"{where}: unsupported dtype {arr.dtype}; tensors hold float, integer or bool data "
            "(convert strings or objects to numbers first)"
        )
    return arr


def as_array(data: Any, dtype: Any = None, copy: bool = False) -> np.ndarray:
    """Convert user data to an ndarray with the library's dtype rules.

    Python floats become the default float dtype, Python ints int64, bools bool; NumPy arrays
    and scalars keep their dtype; `dtype=` overrides all of these.
    """
    if isinstance(data, Tensor):
        arr = data.data
    elif isinstance(data, np.ndarray):
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
    _check_dtype(arr, "tensor")
    if dtype is not None:
        dtype = np.dtype(dtype)
        _check_dtype(np.empty(0, dtype), "tensor")
        return arr.astype(dtype, copy=copy)
    return arr.copy() if copy else arr


# ----------------------------------------------------------------------------------------------
# grad mode (thread-local)


class _ThreadState(threading.local):
    def __init__(self) -> None:
        self.grad_enabled = True
        self.anomaly = False
        self.stack: list[bool] = []


_state = _ThreadState()


def is_grad_enabled() -> bool:
    """True when operations are recorded into the graph (per thread)."""
    return _state.grad_enabled


class _GradModeContext(ContextDecorator):
    _enabled: bool

    def __enter__(self) -> None:
        _state.stack.append(_state.grad_enabled)
        _state.grad_enabled = self._enabled

    def __exit__(self, *exc: Any) -> None:
        _state.grad_enabled = _state.stack.pop()


class no_grad(_GradModeContext):
    """Context manager and decorator: record nothing inside (evaluation, optimizer updates)."""

    _enabled = False


class enable_grad(_GradModeContext):
    """Context manager and decorator: record operations even inside `no_grad`."""

    _enabled = True


class set_grad_enabled(_GradModeContext):
    """Context manager (or plain call) that turns recording on or off."""

    def __init__(self, mode: bool) -> None:
        self._enabled = bool(mode)
        self._prev = _state.grad_enabled
        _state.grad_enabled = self._enabled

    def __enter__(self) -> None:
        _state.stack.append(self._prev)

    def __exit__(self, *exc: Any) -> None:
        _state.grad_enabled = _state.stack.pop()


class detect_anomaly(ContextDecorator):
    """Context manager: raise as soon as an op's forward or backward produces NaN or Inf."""

    def __enter__(self) -> None:
        _state.stack.append(_state.anomaly)
        _state.anomaly = True

    def __exit__(self, *exc: Any) -> None:
        _state.anomaly = _state.stack.pop()


def _check_finite(arr: np.ndarray, op: str, where: str) -> None:
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        kind = "NaN" if np.isnan(arr).any() else "Inf"
        raise FloatingPointError(
            f"detect_anomaly: {op} produced {kind} in its {where} (shape {arr.shape}); "
            "check the inputs of this operation for values outside its domain"
        )


# ----------------------------------------------------------------------------------------------
# in-place writes, tracked per memory owner
#
# Tensors that share memory (a view and its base, a tensor and its detach()) must see each other's
# in-place writes, as PyTorch's shared version counters do. Each in-place write takes the next
# epoch and records it for the array that owns the memory; a node remembers the epoch at which it
# saved its arrays, and backward refuses when an owner was written after that epoch.

_write_epoch = 0  # number of in-place writes so far (any tensor, any thread)
_written_at: dict[int, int] = {}  # id(memory owner) -> epoch of its last in-place write


def _memory_owner(arr: np.ndarray) -> np.ndarray:
    """The array that owns `arr`'s memory (`arr` itself unless it is a view)."""
    while isinstance(arr.base, np.ndarray):
        arr = arr.base
    return arr


def note_inplace_write(arr: np.ndarray) -> None:
    """Record that the memory of `arr` was just written in place (by whichever tensor holds it)."""
    global _write_epoch
    _write_epoch += 1
    owner = _memory_owner(arr)
    key = id(owner)
    if key not in _written_at:
        weakref.finalize(owner, _written_at.pop, key, None)  # forget the owner with its memory
    _written_at[key] = _write_epoch


def _written_since(arr: np.ndarray, epoch: int) -> bool:
    return _written_at.get(id(_memory_owner(arr)), 0) > epoch


def mark_view(view: Tensor, base: Tensor, kind: str, arg: Any) -> Tensor:
    """Remember that `view` (made from `base` by indexing with `arg`, kind "index", by a reshape
    from shape `arg`, or by a permutation undone by axes `arg`) shares `base`'s memory, so that an
    in-place write to `view` is recorded on `base` too (see `ops.indexing._rebase`)."""
    if view is not base and _memory_owner(view.data) is _memory_owner(base.data):
        view._view_of = (base, kind, arg)
    return view


# ----------------------------------------------------------------------------------------------
# Node and Function: a recorded call (ctx and graph node) and the op definition


_new_object = object.__new__
_FREED = object()  # marker for saved values released after backward
_OUTPUT = object()  # marker: this saved value is the op's own output


class _NoGradContext:
    """Stand-in ctx for forward passes that record nothing: saving is a no-op."""

    needs_input_grad: tuple = ()

    def save_for_backward(self, *values: Any) -> None:
        pass


_NO_GRAD_CTX = _NoGradContext()
# needs_input_grad patterns seen so far (shared between nodes), each with the position of its one
# input that needs a gradient, or -1 when several do
_NEEDS: dict[tuple, tuple[tuple, int]] = {}
_NEEDS_UNARY = (True,)
_NEEDS_FIRST, _NEEDS_SECOND, _NEEDS_BOTH = (True, False), (False, True), (True, True)
_SAVED_OUTPUT_ONLY = (_OUTPUT,)  # what ops that save only their output (exp, tanh, sigmoid) keep
_ARRAY_TYPES = (np.ndarray, np.generic)


class Node:
    """One recorded call of an op: the `ctx` its forward and backward receive, and the graph node.

    Every op's nodes are of this one class (`op` names the Function subclass), so the engine's
    attribute accesses on nodes stay monomorphic, which CPython runs fastest. A node keeps edges to
    its inputs' nodes (or leaf tensors) and what backward needs, never its own output tensor.
    """

    # Set for every node: op, _edges, _edge_index, needs_input_grad, shape, dtype, _saved. `_edges`
    # links the node to its inputs' nodes (or leaf tensors): the one input's node when exactly one
    # input needs a gradient (then `_edge_index` is its position), else a tuple with one entry per
    # input. So the most common nodes are one object for the garbage collector, not a node and a tuple.
    # Set with what forward saved (when _saved is not None): _saved_epoch (the in-place write epoch
    # then), _out_array (the output array when forward saved it, else None) and _wrap_saved (True
    # when saved values include the output or arrays to wrap as Tensors).
    __slots__ = ("op", "_edges", "_edge_index", "needs_input_grad", "shape", "dtype", "_saved", "_saved_epoch",
                 "_out_array", "_wrap_saved", "__dict__", "__weakref__")
    # rarely set per node; class defaults keep node creation to a few stores
    _hooks = None  # hooks registered on the output tensor (a non-leaf)
    _retain = None  # weak reference to the output tensor when it retains its grad

    # -- ctx API used inside forward/backward --------------------------------------------------

    def save_for_backward(self, *values: Any) -> None:
        """Keep input or output arrays (or constants) for backward; they come back as Tensors."""
        self._saved = values

    @property
    def saved_tensors(self) -> tuple:
        """What forward saved: inputs and the output as graph-connected Tensors, arrays as constants."""
        saved = self._saved
        if saved is _FREED:
            raise RuntimeError(
                f"{self.name()}: trying to backward through the graph a second time (or to read "
                "saved tensors after they were freed); pass retain_graph=True to the first backward"
            )
        if saved is None:
            return ()
        if not self._wrap_saved:
            return saved
        result = []
        for value in saved:
            if value is _OUTPUT:
                result.append(Tensor._make(self._out_array, _state.grad_enabled, self))
            elif isinstance(value, _ARRAY_TYPES):
                result.append(Tensor._make(np.asarray(value)))
            else:
                result.append(value)
        return tuple(result)

    def name(self) -> str:
        """The op's name as shown in errors and graphs (the Function subclass name)."""
        return self.op.__name__

    def __repr__(self) -> str:
        return f"<{self.op.__name__} node>"

    @property
    def parents(self) -> tuple:
        """The node (or leaf tensor) of each positional input, None where no gradient is needed."""
        edges = self._edges
        if type(edges) is tuple:
            return edges
        parents = [None] * len(self.needs_input_grad)
        parents[self._edge_index] = edges
        return tuple(parents)

    # -- bookkeeping of what forward saved -----------------------------------------------------

    def _resolve_saved(self, args: Sequence[Any], out: np.ndarray, raw: Any) -> None:
        """Turn saved arrays that are inputs into their tensors and the output into a marker.

        The output array is kept, never the output tensor (no reference cycle). The current write
        epoch is noted, so backward can tell whether any of them was written in place since."""
        saved = self._saved
        out_array = None
        wrap = False
        if len(saved) == 1 and (saved[0] is raw or saved[0] is out):  # ops that keep only their output
            self._saved = _SAVED_OUTPUT_ONLY
            out_array = out
            wrap = True
        else:
            resolved = None  # a copy of `saved`, made once some value needs resolving
            for i, value in enumerate(saved):
                if not isinstance(value, _ARRAY_TYPES):
                    continue
                if value is raw or value is out:
                    out_array = out
                    value = _OUTPUT
                    wrap = True
                else:
                    for a in args:
                        if isinstance(a, Tensor) and a.data is value:
                            value = a
                            break
                    else:
                        wrap = True
                if resolved is None:
                    resolved = list(saved)
                resolved[i] = value
            if resolved is not None:
                self._saved = tuple(resolved)
        self._saved_epoch = _write_epoch
        self._out_array = out_array
        self._wrap_saved = wrap

    def _check_versions(self) -> None:
        """Raise if a saved tensor or the saved output was written in place since forward saved it
        (through any tensor sharing its memory: a view, its base, a detached copy)."""
        saved = self._saved
        if saved is None or saved is _FREED:
            return
        epoch = self._saved_epoch
        if self._out_array is not None and _written_since(self._out_array, epoch):
            raise RuntimeError(
                f"{self.name()}: its output of shape {self.shape}, needed for backward, was modified by an "
                "in-place operation (on it or on a tensor sharing its memory); use an out-of-place operation "
                "instead"
            )
        for value in saved:
            if isinstance(value, Tensor) and _written_since(value.data, epoch):
                raise RuntimeError(
                    f"{self.name()}: a tensor of shape {value.shape} that this op saved for backward was "
                    "modified by an in-place operation (on it or on a tensor sharing its memory, such as a "
                    "view); use an out-of-place operation (x = x + y instead of x += y) or clone() before "
                    "modifying it"
                )

    def _release(self) -> None:
        """Drop what forward saved (backward has used it); a second backward then raises."""
        if self._saved is not None:
            self._saved = _FREED
            self._out_array = None


class Function:
    """Base of every differentiable operation (and of users' custom ones).

    Subclasses define `forward(ctx, *arrays, **kw) -> ndarray` and
    `backward(ctx, grad_output) -> grad or tuple of grads` (one per positional input, None where
    no gradient is needed), and are called as `Op.apply(*inputs, **kw)`. When a gradient is needed,
    `apply` records a `Node`, the `ctx` both receive. Backward formulas use Tensor operations, so
    the gradient graph is itself differentiable.
    """

    exact_dtype = False  # True: the output dtype is what forward chose (no int->float64 correction)

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Tensor) -> Any:
        raise NotImplementedError

    # -- graph construction --------------------------------------------------------------------

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Tensor:
        """Run forward on the inputs' arrays and record a graph node when a gradient is needed."""
        if _state.grad_enabled:
            for a in args:
                if isinstance(a, Tensor) and a._requires_grad:
                    return cls._record(args, kwargs)
        if len(args) == 2:
            a, b = args
            arrays = [a.data if isinstance(a, Tensor) else a, b.data if isinstance(b, Tensor) else b]
        else:
            arrays = [a.data if isinstance(a, Tensor) else a for a in args]
        try:
            out = cls.forward(_NO_GRAD_CTX, *arrays, **kwargs)
        except (ValueError, IndexError, TypeError) as err:
            raise _op_error(cls, err, arrays) from None
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        if (out.dtype is _FLOAT64 and arrays and not cls.exact_dtype
                and (type(arrays[0]) is not np.ndarray or arrays[0].dtype is not _FLOAT64)):
            out = _undo_int_upcast(out, arrays)
        if _state.anomaly:
            _check_finite(out, cls.__name__, "forward output")
        t = _new_object(Tensor)
        t.data = out
        t.grad = t.grad_fn = None
        t._requires_grad = False
        t._version = 0
        return t

    @classmethod
    def _record(cls, args: tuple, kwargs: dict) -> Tensor:
        """`apply` when some input requires grad: forward, then a graph node for the output."""
        ctx = _new_object(Node)
        ctx.op = cls
        if len(args) == 1:  # unary ops: the one input is a tensor that requires grad
            (a,) = args
            arrays = [a.data]
            ctx._edges = a.grad_fn or a
            ctx._edge_index = 0
            ctx.needs_input_grad = _NEEDS_UNARY
        elif len(args) == 2:  # binary ops, the most common: no loop, no pattern lookup
            a, b = args
            a_is_tensor = isinstance(a, Tensor)
            b_is_tensor = isinstance(b, Tensor)
            arrays = [a.data if a_is_tensor else a, b.data if b_is_tensor else b]
            if not (b_is_tensor and b._requires_grad):
                ctx._edges = a.grad_fn or a
                ctx._edge_index = 0
                ctx.needs_input_grad = _NEEDS_FIRST
            elif not (a_is_tensor and a._requires_grad):
                ctx._edges = b.grad_fn or b
                ctx._edge_index = 1
                ctx.needs_input_grad = _NEEDS_SECOND
            else:
                ctx._edges = (a.grad_fn or a, b.grad_fn or b)
                ctx.needs_input_grad = _NEEDS_BOTH
        else:
            arrays = []
            parents = []
            needs = []
            for a in args:
                if isinstance(a, Tensor):
                    arrays.append(a.data)
                    if a._requires_grad:
                        parents.append(a.grad_fn or a)
                        needs.append(True)
                        continue
                else:
                    arrays.append(a)
                parents.append(None)
                needs.append(False)
            needs = tuple(needs)
            pattern = _NEEDS.get(needs)
            if pattern is None:
                pattern = _NEEDS[needs] = (needs, needs.index(True) if needs.count(True) == 1 else -1)
            ctx.needs_input_grad, sole = pattern
            if sole < 0:
                ctx._edges = tuple(parents)
            else:
                ctx._edges = parents[sole]
                ctx._edge_index = sole
        ctx._saved = None
        try:
            raw = cls.forward(ctx, *arrays, **kwargs)
        except (ValueError, IndexError, TypeError) as err:
            raise _op_error(cls, err, arrays) from None
        out = raw if type(raw) is np.ndarray else np.asarray(raw)
        dtype = out.dtype
        if dtype is _FLOAT64:
            if (type(arrays[0]) is not np.ndarray or arrays[0].dtype is not _FLOAT64) and not cls.exact_dtype:
                out = _undo_int_upcast(out, arrays)
                dtype = out.dtype
        elif dtype.kind != "f":
            raise TypeError(f"{cls.__name__}: a differentiable op must return floats, got {dtype}")
        if _state.anomaly:
            _check_finite(out, cls.__name__, "forward output")
        ctx.shape = out.shape
        ctx.dtype = dtype
        result = _new_object(Tensor)
        result.data = out
        result.grad = None
        result._requires_grad = True
        result.grad_fn = ctx
        result._version = 0
        if ctx._saved is not None:
            ctx._resolve_saved(args, out, raw)
        return result


def _op_error(cls: type, err: Exception, arrays: list) -> Exception:
    """Re-raise a NumPy error from an op's forward with the op's name and the input shapes."""
    message = str(err)
    if message.startswith(cls.__name__ + ":"):
        return err
    shapes = ", ".join(str(np.shape(a)) if isinstance(a, np.ndarray) else type(a).__name__ for a in arrays)
    message = f"{cls.__name__}: {message} (input shapes: {shapes})"
    try:
        return type(err)(message)
    except TypeError:  # NumPy's own subclasses (e.g. a ufunc without a loop) take other arguments
        return next(base for base in (IndexError, TypeError, ValueError) if isinstance(err, base))(message)


def _undo_int_upcast(out: np.ndarray, arrays: list) -> np.ndarray:
    """NumPy gives float64 for int/int division, int*float and float32*np.float64-scalar; PyTorch
    keeps the floating inputs' dtype (or the default float dtype when there is none)."""
    for a in arrays:
        if type(a) is np.ndarray and a.dtype is _FLOAT64:
            return out
    widest = None
    for a in arrays:
        for x in a if isinstance(a, (list, tuple)) else (a,):
            if isinstance(x, np.ndarray) and x.dtype.kind == "f":
                if x.dtype is _FLOAT64:
                    return out
                widest = x.dtype if widest is None else np.promote_types(widest, x.dtype)
    return out.astype(_default_dtype if widest is None else widest)


class RemovableHandle:
    """Returned by `register_hook`; `remove()` unregisters the hook."""

    def __init__(self, hooks: list, hook: Callable) -> None:
        self._hooks = hooks
        self._hook = hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


# ----------------------------------------------------------------------------------------------
# Tensor


def _axis_arg(axis: Any, dim: Any) -> Any:
    """Accept NumPy's `axis` and PyTorch's `dim` spelling."""
    if dim is not None:
        if axis is not None:
            raise TypeError("pass either axis= or dim=, not both")
        return tuple(dim) if isinstance(dim, list) else dim
    return tuple(axis) if isinstance(axis, list) else axis


def _shape_arg(shape: tuple) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return shape


class ValuesIndices(NamedTuple):
    """What `sort` and `topk` return, as PyTorch does: the values and their indices."""

    values: Tensor
    indices: Tensor


class Tensor:
    """An n-dimensional array that records the operations applied to it for backpropagation."""

    # _name, _hooks and _view_of (see mark_view) are set only when used
    __slots__ = ("data", "grad", "_requires_grad", "grad_fn", "_version", "_name", "_hooks", "_view_of",
                 "__weakref__")
    __array_priority__ = 100  # ndarray (op) Tensor defers to Tensor's reflected operators

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None) -> None:
        self.data = as_array(data, dtype, copy=isinstance(data, (np.ndarray, Tensor)))
        self.grad = None
        self.grad_fn = None
        self._version = 0
        self._requires_grad = False
        if requires_grad:
            self.requires_grad = True
        self._name = name

    @classmethod
    def _make(cls, data: np.ndarray, requires_grad: bool = False, grad_fn: Node | None = None) -> Tensor:
        """Wrap an array without copying or checking (the engine's fast constructor)."""
        t = object.__new__(Tensor)
        t.data = data
        t.grad = None
        t._requires_grad = requires_grad
        t.grad_fn = grad_fn
        t._version = 0
        return t

    # -- attributes ----------------------------------------------------------------------------

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self.data.dtype.kind != "f":
            raise RuntimeError(
                f"requires_grad: only floating point tensors can require gradients, this one is "
                f"{self.data.dtype}; convert it first with .float()"
            )
        if not value and self.grad_fn is not None:
            raise RuntimeError(
                "requires_grad: cannot turn off gradients of a non-leaf tensor; use .detach() instead"
            )
        self._requires_grad = bool(value)

    @property
    def name(self) -> str | None:
        return getattr(self, "_name", None)

    @name.setter
    def name(self, value: str | None) -> None:
        self._name = value

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def T(self) -> Tensor:
        """The axes reversed (the transpose of a matrix)."""
        if self.data.ndim < 2:
            return self
        if self.data.ndim == 2:
            out = ops.Permute.apply(self, axes=(1, 0))
            return mark_view(out, self, "permute", (1, 0)) if self._requires_grad and _state.grad_enabled else out
        return self.permute(tuple(reversed(range(self.data.ndim))))

    def t(self) -> Tensor:
        """The transpose of a matrix; vectors and scalars come back unchanged (as torch.Tensor.t)."""
        if self.data.ndim > 2:
            raise ValueError(f"t: expects a tensor with at most 2 dimensions, got shape {self.shape}; "
                             "use transpose(a, b) or permute(...)")
        return self.T

    def dim(self) -> int:
        return self.data.ndim

    def numel(self) -> int:
        return self.data.size

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied); detach first if you plan to modify it."""
        return self.data

    def item(self) -> Any:
        if self.data.size != 1:
            raise ValueError(
                f"item: only a tensor with one element can be converted to a Python scalar, "
                f"this one has shape {self.shape}"
            )
        return self.data.item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.data if dtype is None else self.data.astype(dtype)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.data)))

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(
                f"bool: the truth value of a tensor of shape {self.shape} is ambiguous; use .any() or .all()"
            )
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError("only integer tensors of one element can be used as an index")
        return int(self.data)

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(", precision=4)
        extras = []
        if self.data.dtype != _default_dtype and self.data.dtype.kind == "f" or self.data.dtype.kind == "b":
            extras.append(f"dtype={self.data.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name()}>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body] + extras) + ")"

    # -- autograd ------------------------------------------------------------------------------

    def backward(self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False,
                 inputs: Any = None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's `.grad` (self must be a scalar unless
        `gradient` is given), or only into the `.grad` of `inputs` when given."""
        autograd.backward([self], None if gradient is None else [gradient], retain_graph, create_graph, inputs)

    def detach(self) -> Tensor:
        """A tensor sharing this one's data, cut from the graph."""
        return Tensor._make(self.data)

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

    # -- arithmetic ----------------------------------------------------------------------------

    def __add__(self, other: Any) -> Tensor:
        return ops.Add.apply(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return ops.Add.apply(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return ops.Sub.apply(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return ops.Sub.apply(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return ops.Mul.apply(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return ops.Mul.apply(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return ops.Div.apply(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return ops.Div.apply(other, self)

    def __pow__(self, other: Any) -> Tensor:
        return ops.Pow.apply(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return ops.Pow.apply(other, self)

    def __mod__(self, other: Any) -> Tensor:
        return ops.Remainder.apply(self, other)

    def __rmod__(self, other: Any) -> Tensor:
        return ops.Remainder.apply(other, self)

    def __floordiv__(self, other: Any) -> Tensor:
        return ops.floor_divide(self, other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        return ops.floor_divide(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return ops.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return ops.matmul(other, self)

    def __neg__(self) -> Tensor:
        return ops.Neg.apply(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return ops.Abs.apply(self)

    # comparisons: bool tensors, never part of the graph
    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return ops.compare(np.equal, "eq", self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return ops.compare(np.not_equal, "ne", self, other)

    def __lt__(self, other: Any) -> Tensor:
        return ops.compare(np.less, "lt", self, other)

    def __le__(self, other: Any) -> Tensor:
        return ops.compare(np.less_equal, "le", self, other)

    def __gt__(self, other: Any) -> Tensor:
        return ops.compare(np.greater, "gt", self, other)

    def __ge__(self, other: Any) -> Tensor:
        return ops.compare(np.greater_equal, "ge", self, other)

    def logical_and(self, other: Any) -> Tensor:
        return self & other

    def logical_or(self, other: Any) -> Tensor:
        return self | other

    def logical_xor(self, other: Any) -> Tensor:
        return self ^ other

    def logical_not(self) -> Tensor:
        return Tensor._make(np.logical_not(self.data))

    def masked_select(self, mask: Any) -> Tensor:
        """The entries where `mask` (broadcast to this shape) is true, as a vector."""
        mask = np.broadcast_to(mask.data if isinstance(mask, Tensor) else np.asarray(mask), self.shape)
        return self[mask]

    def nonzero(self) -> Tensor:
        """Indices of the non-zero entries, one row per entry (n, ndim), as torch.nonzero."""
        return Tensor._make(np.argwhere(self.data))

    def eq(self, other: Any) -> Tensor:
        return self == other

    def ne(self, other: Any) -> Tensor:
        return self != other

    def lt(self, other: Any) -> Tensor:
        return self < other

    def le(self, other: Any) -> Tensor:
        return self <= other

    def gt(self, other: Any) -> Tensor:
        return self > other

    def ge(self, other: Any) -> Tensor:
        return self >= other

    def __invert__(self) -> Tensor:
        if self.data.dtype.kind not in "biu":
            raise TypeError(f"invert: ~ needs a bool or integer tensor, got {self.dtype}")
        return Tensor._make(np.invert(self.data))

    def __and__(self, other: Any) -> Tensor:
        return ops.compare(np.logical_and, "and", self, other)

    def __or__(self, other: Any) -> Tensor:
        return ops.compare(np.logical_or, "or", self, other)

    def __xor__(self, other: Any) -> Tensor:
        return ops.compare(np.logical_xor, "xor", self, other)

    def add(self, other: Any) -> Tensor:
        return self + other

    def sub(self, other: Any) -> Tensor:
        return self - other

    def mul(self, other: Any) -> Tensor:
        return self * other

    def div(self, other: Any) -> Tensor:
        return self / other

    def pow(self, other: Any) -> Tensor:
        return self ** other

    def neg(self) -> Tensor:
        return -self

    def abs(self) -> Tensor:
        return ops.Abs.apply(self)

    def matmul(self, other: Any) -> Tensor:
        return ops.matmul(self, other)

    def mm(self, other: Tensor) -> Tensor:
        """Matrix product of two matrices (no broadcasting, as torch.mm)."""
        return self._checked_matmul(other, (2, 2), "mm")

    def bmm(self, other: Tensor) -> Tensor:
        """Batched matrix product of (B, n, m) and (B, m, p) (no broadcasting, as torch.bmm)."""
        if self.ndim == other.ndim == 3 and self.shape[0] != other.shape[0]:
            raise ValueError(f"bmm: batch sizes differ: {self.shape} and {other.shape}")
        return self._checked_matmul(other, (3, 3), "bmm")

    def mv(self, vec: Tensor) -> Tensor:
        """Matrix times vector."""
        return self._checked_matmul(vec, (2, 1), "mv")

    def _checked_matmul(self, other: Tensor, ndims: tuple, op: str) -> Tensor:
        if (self.ndim, np.ndim(other)) != ndims:
            raise ValueError(f"{op}: expects tensors with {ndims[0]} and {ndims[1]} dimensions, got shapes "
                             f"{self.shape} and {np.shape(other)}")
        return ops.matmul(self, other)

    def outer(self, other: Tensor) -> Tensor:
        """Outer product of two vectors."""
        if self.ndim != 1 or np.ndim(other) != 1:
            raise ValueError(f"outer: expects two vectors, got shapes {self.shape} and {np.shape(other)}")
        return self.reshape(-1, 1) * (other.reshape(1, -1) if isinstance(other, Tensor) else np.reshape(other, (1, -1)))

    def dot(self, other: Any) -> Tensor:
        return ops.dot(self, other)

    # -- in-place ------------------------------------------------------------------------------

    def __iadd__(self, other: Any) -> Tensor:
        return ops.inplace(self, other, ops.Add, np.add, "add_")

    def __isub__(self, other: Any) -> Tensor:
        return ops.inplace(self, other, ops.Sub, np.subtract, "sub_")

    def __imul__(self, other: Any) -> Tensor:
        return ops.inplace(self, other, ops.Mul, np.multiply, "mul_")

    def __itruediv__(self, other: Any) -> Tensor:
        return ops.inplace(self, other, ops.Div, np.divide, "div_")

    def add_(self, other: Any, alpha: float = 1.0) -> Tensor:
        return ops.inplace(self, other if alpha == 1.0 else other * alpha, ops.Add, np.add, "add_")

    def sub_(self, other: Any, alpha: float = 1.0) -> Tensor:
        return ops.inplace(self, other if alpha == 1.0 else other * alpha, ops.Sub, np.subtract, "sub_")

    def mul_(self, other: Any) -> Tensor:
        return ops.inplace(self, other, ops.Mul, np.multiply, "mul_")

    def div_(self, other: Any) -> Tensor:
        return ops.inplace(self, other, ops.Div, np.divide, "div_")

    def pow_(self, exponent: Any) -> Tensor:
        return ops.inplace(self, exponent, ops.Pow, np.power, "pow_")

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002 (PyTorch's names)
        return ops.inplace_map(self, lambda t: t.clip(min, max), "clamp_")

    clip_ = clamp_

    def exp_(self) -> Tensor:
        return ops.inplace_map(self, Tensor.exp, "exp_")

    def log_(self) -> Tensor:
        return ops.inplace_map(self, Tensor.log, "log_")

    def sqrt_(self) -> Tensor:
        return ops.inplace_map(self, Tensor.sqrt, "sqrt_")

    def abs_(self) -> Tensor:
        return ops.inplace_map(self, Tensor.abs, "abs_")

    def neg_(self) -> Tensor:
        return ops.inplace_map(self, Tensor.__neg__, "neg_")

    def relu_(self) -> Tensor:
        return ops.inplace_map(self, Tensor.relu, "relu_")

    def sigmoid_(self) -> Tensor:
        return ops.inplace_map(self, Tensor.sigmoid, "sigmoid_")

    def tanh_(self) -> Tensor:
        return ops.inplace_map(self, Tensor.tanh, "tanh_")

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def fill_(self, value: Any) -> Tensor:
        ops.setitem(self, Ellipsis, value, "fill_")
        return self

    def copy_(self, src: Any) -> Tensor:
        """Overwrite this tensor's values with `src` (broadcast), in place."""
        ops.setitem(self, Ellipsis, src, "copy_")
        return self

    def __setitem__(self, index: Any, value: Any) -> None:
        ops.setitem(self, index, value)

    def __getitem__(self, index: Any) -> Tensor:
        return ops.getitem(self, index)

    # -- elementwise ---------------------------------------------------------------------------

    def exp(self) -> Tensor:
        return ops.Exp.apply(self)

    def log(self) -> Tensor:
        return ops.Log.apply(self)

    def log1p(self) -> Tensor:
        return ops.Log1p.apply(self)

    def sqrt(self) -> Tensor:
        return ops.Sqrt.apply(self)

    def sin(self) -> Tensor:
        return ops.Sin.apply(self)

    def cos(self) -> Tensor:
        return ops.Cos.apply(self)

    def tanh(self) -> Tensor:
        return ops.Tanh.apply(self)

    def sigmoid(self) -> Tensor:
        return ops.Sigmoid.apply(self)

    def relu(self) -> Tensor:
        return ops.Relu.apply(self)

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        return ops.LeakyRelu.apply(self, negative_slope=negative_slope)

    def elu(self, alpha: float = 1.0) -> Tensor:
        return ops.Elu.apply(self, alpha=alpha)

    def gelu(self, approximate: str = "none") -> Tensor:
        return ops.gelu(self, approximate)

    def softplus(self, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
        return ops.Softplus.apply(self, beta=beta, threshold=threshold)

    def erf(self) -> Tensor:
        return ops.Erf.apply(self)

    def square(self) -> Tensor:
        return ops.Mul.apply(self, self)

    def sign(self) -> Tensor:
        return Tensor._make(np.sign(self.data))

    def reciprocal(self) -> Tensor:
        return ops.Div.apply(1.0, self)

    def rsqrt(self) -> Tensor:
        """1 / sqrt(x)."""
        return ops.Div.apply(1.0, self.sqrt())

    # piecewise constant (zero gradient almost everywhere): results outside the graph, like sign
    def floor(self) -> Tensor:
        return Tensor._make(np.floor(self.data))

    def ceil(self) -> Tensor:
        return Tensor._make(np.ceil(self.data))

    def round(self) -> Tensor:
        """Round half to even, as NumPy and PyTorch do."""
        return Tensor._make(np.round(self.data))

    def isnan(self) -> Tensor:
        return Tensor._make(np.isnan(self.data))

    def isinf(self) -> Tensor:
        return Tensor._make(np.isinf(self.data))

    def isfinite(self) -> Tensor:
        return Tensor._make(np.isfinite(self.data))

    def clip(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002 (NumPy's names)
        return ops.clip(self, min, max)

    clamp = clip

    def maximum(self, other: Any) -> Tensor:
        return ops.Maximum.apply(self, other)

    def minimum(self, other: Any) -> Tensor:
        return ops.Minimum.apply(self, other)

    def where(self, condition: Any, other: Any) -> Tensor:
        """This tensor where `condition` holds, else `other` (PyTorch's `x.where(cond, y)`)."""
        return ops.where(condition, self, other)

    def masked_fill(self, mask: Any, value: Any) -> Tensor:
        """`value` where `mask` is true, this tensor elsewhere (the gradient flows to the rest)."""
        return ops.where(mask, value, self)

    def tril(self, diagonal: int = 0) -> Tensor:
        """Zero above the `diagonal`-th diagonal of the last two axes."""
        return self._triangle(np.tril, diagonal, "tril")

    def triu(self, diagonal: int = 0) -> Tensor:
        """Zero below the `diagonal`-th diagonal of the last two axes."""
        return self._triangle(np.triu, diagonal, "triu")

    def _triangle(self, keep: Callable, diagonal: int, op: str) -> Tensor:
        if self.ndim < 2:
            raise ValueError(f"{op}: expects a tensor with at least 2 dimensions, got shape {self.shape}")
        return ops.where(keep(np.ones(self.shape[-2:], dtype=bool), diagonal), self, 0.0)

    def softmax(self, axis: int = -1, *, dim: int | None = None) -> Tensor:
        return ops.softmax(self, _axis_arg(axis if dim is None else None, dim))

    def log_softmax(self, axis: int = -1, *, dim: int | None = None) -> Tensor:
        return ops.log_softmax(self, _axis_arg(axis if dim is None else None, dim))

    # -- reductions ----------------------------------------------------------------------------

    def sum(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: bool | None = None) -> Tensor:
        return ops.Sum.apply(self, axis=ops.norm_axis(_axis_arg(axis, dim), self.ndim, "sum"),
                             keepdims=keepdims if keepdim is None else keepdim)

    def mean(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: bool | None = None) -> Tensor:
        return ops.mean(self, _axis_arg(axis, dim), keepdims if keepdim is None else keepdim)

    def var(self, axis: Any = None, ddof: int = 0, keepdims: bool = False, *, dim: Any = None,
            keepdim: bool | None = None, correction: int | None = None) -> Tensor:
        return ops.var(self, _axis_arg(axis, dim), ddof if correction is None else correction,
                       keepdims if keepdim is None else keepdim)

    def std(self, axis: Any = None, ddof: int = 0, keepdims: bool = False, *, dim: Any = None,
            keepdim: bool | None = None, correction: int | None = None) -> Tensor:
        return self.var(axis, ddof, keepdims, dim=dim, keepdim=keepdim, correction=correction).sqrt()

    def max(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: bool | None = None) -> Tensor:
        return ops.Max.apply(self, axis=ops.norm_axis(_axis_arg(axis, dim), self.ndim, "max"),
                             keepdims=keepdims if keepdim is None else keepdim)

    def min(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: bool | None = None) -> Tensor:
        return ops.Min.apply(self, axis=ops.norm_axis(_axis_arg(axis, dim), self.ndim, "min"),
                             keepdims=keepdims if keepdim is None else keepdim)

    def prod(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: bool | None = None) -> Tensor:
        return ops.Prod.apply(self, axis=ops.norm_axis(_axis_arg(axis, dim), self.ndim, "prod"),
                              keepdims=keepdims if keepdim is None else keepdim)

    def amax(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: bool | None = None) -> Tensor:
        """PyTorch's name for `max` with an axis (values only; ties share the gradient evenly)."""
        return self.max(axis, keepdims, dim=dim, keepdim=keepdim)

    def amin(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: bool | None = None) -> Tensor:
        return self.min(axis, keepdims, dim=dim, keepdim=keepdim)

    def norm(self, p: Any = 2, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
             keepdim: bool | None = None) -> Tensor:
        """The p-norm over `axis` (all elements by default); p = 2, "fro", 1, inf, -inf or any p > 0."""
        return ops.norm(self, p, _axis_arg(axis, dim), keepdims if keepdim is None else keepdim)

    def cumsum(self, axis: int | None = None, *, dim: int | None = None) -> Tensor:
        """Running sum along `axis` (PyTorch's `dim`, required there; here None flattens first, as NumPy)."""
        axis = _axis_arg(axis, dim)
        if axis is None:
            return ops.CumSum.apply(self.reshape(-1), axis=0)
        return ops.CumSum.apply(self, axis=ops.norm_axis(axis, self.ndim, "cumsum"))

    def logsumexp(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
                  keepdim: bool | None = None) -> Tensor:
        return ops.LogSumExp.apply(self, axis=ops.norm_axis(_axis_arg(axis, dim), self.ndim, "logsumexp"),
                                   keepdims=keepdims if keepdim is None else keepdim)

    def argmax(self, axis: int | None = None, keepdims: bool = False, *, dim: int | None = None,
               keepdim: bool | None = None) -> Tensor:
        axis = ops.norm_axis(_axis_arg(axis, dim), self.ndim, "argmax")
        return Tensor._make(np.asarray(np.argmax(self.data, axis=axis, keepdims=keepdims if keepdim is None else keepdim)))

    def argmin(self, axis: int | None = None, keepdims: bool = False, *, dim: int | None = None,
               keepdim: bool | None = None) -> Tensor:
        axis = ops.norm_axis(_axis_arg(axis, dim), self.ndim, "argmin")
        return Tensor._make(np.asarray(np.argmin(self.data, axis=axis, keepdims=keepdims if keepdim is None else keepdim)))

    def unbind(self, axis: int = 0, *, dim: int | None = None) -> tuple:
        """The slices along `axis`, that axis removed: `x.unbind(0)` is `(x[0], x[1], ...)`."""
        axis = ops.norm_axis(axis if dim is None else dim, self.ndim, "unbind")
        return tuple(self[(slice(None),) * axis + (i,)] for i in range(self.shape[axis]))

    def narrow(self, axis: int, start: int, length: int) -> Tensor:
        """`length` entries of `axis` from `start` (a view, as PyTorch's narrow)."""
        axis = ops.norm_axis(axis, self.ndim, "narrow")
        if not 0 <= start <= start + length <= self.shape[axis]:
            raise IndexError(f"narrow: start {start} and length {length} do not fit axis {axis} of shape {self.shape}")
        return self[(slice(None),) * axis + (slice(start, start + length),)]

    def roll(self, shifts: Any, axis: Any = None, *, dims: Any = None) -> Tensor:
        """Entries shifted cyclically along `axis` (the flattened tensor when None), as np.roll."""
        axis = _axis_arg(axis, dims)
        if axis is None:
            return self.reshape(-1).roll(shifts, 0).reshape(self.shape)
        shifts, axes = (shifts, axis) if isinstance(shifts, tuple) else ((shifts,), (axis,) if isinstance(axis, int) else axis)
        if len(shifts) != len(axes):
            raise ValueError(f"roll: {len(shifts)} shifts for {len(axes)} axes")
        out = self
        for shift, a in zip(shifts, axes):
            a = ops.norm_axis(a, self.ndim, "roll")
            out = out[(slice(None),) * a + (np.roll(np.arange(self.shape[a]), shift),)]
        return out

    def diag(self, diagonal: int = 0) -> Tensor:
        """A vector's diagonal matrix, or a matrix's `diagonal`-th diagonal (torch.diag)."""
        if self.ndim == 1:
            n = self.shape[0] + abs(diagonal)
            rows = np.arange(self.shape[0]) + max(-diagonal, 0)
            return ops.IndexAdd.apply(self, index=(rows, rows + diagonal), shape=(n, n))
        if self.ndim != 2:
            raise ValueError(f"diag: expects a vector or a matrix, got shape {self.shape}")
        rows = np.arange(max(0, -diagonal), min(self.shape[0], self.shape[1] - diagonal))
        return self[rows, rows + diagonal]

    def trace(self) -> Tensor:
        """Sum of a matrix's diagonal."""
        if self.ndim != 2:
            raise ValueError(f"trace: expects a matrix, got shape {self.shape}")
        return self.diag().sum()

    def lerp(self, end: Any, weight: Any) -> Tensor:
        """self + weight * (end - self)."""
        return self + (end - self) * weight

    def nan_to_num(self, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Tensor:
        """NaN and infinities replaced (by default with 0 and the dtype's largest finite values); the
        gradient flows only where the entry was finite."""
        replaced = np.nan_to_num(self.data, nan=nan, posinf=posinf, neginf=neginf)
        return ops.where(np.isfinite(self.data), self, replaced)

    def sort(self, axis: int = -1, descending: bool = False, *, dim: int | None = None) -> ValuesIndices:
        """Values sorted along `axis` (differentiable, through a gather) and their indices; equal
        values keep their order (a stable sort)."""
        axis = ops.norm_axis(axis if dim is None else dim, self.ndim, "sort")
        order = np.argsort(-self.data if descending else self.data, axis=axis, kind="stable")
        return ValuesIndices(ops.gather(self, axis, order), Tensor._make(order))

    def topk(self, k: int, axis: int = -1, largest: bool = True, sorted: bool = True, *,  # noqa: A002
             dim: int | None = None) -> ValuesIndices:
        """The `k` largest (or smallest) values along `axis`, in order, and their indices."""
        axis = ops.norm_axis(axis if dim is None else dim, self.ndim, "topk")
        size = self.shape[axis] if self.ndim else 1
        if not isinstance(k, (int, np.integer)) or not 0 <= k <= size:
            raise ValueError(f"topk: k must be an int in [0, {size}] for axis {axis} of shape {self.shape}, got {k!r}")
        values, indices = self.sort(axis, descending=largest)
        keep = (slice(None),) * axis + (slice(0, int(k)),)
        return ValuesIndices(values[keep], Tensor._make(indices.data[keep]))

    def any(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return Tensor._make(np.asarray(np.any(self.data, axis=axis, keepdims=keepdims)))

    def all(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return Tensor._make(np.asarray(np.all(self.data, axis=axis, keepdims=keepdims)))

    # -- shape ---------------------------------------------------------------------------------

    def reshape(self, *shape: Any) -> Tensor:
        return ops.reshape(self, _shape_arg(shape))

    view = reshape

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        return ops.flatten(self, start_dim, end_dim)

    def permute(self, *axes: Any) -> Tensor:
        return ops.permute(self, _shape_arg(axes))

    def transpose(self, *axes: Any) -> Tensor:
        """No arguments: reverse the axes. Two ints: swap those two axes (PyTorch's meaning).
        One tuple holding a full permutation: NumPy's meaning."""
        if not axes:
            return self.T
        if len(axes) == 2:
            return self.swapaxes(axes[0], axes[1])
        return self.permute(_shape_arg(axes))

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        order = list(range(self.ndim))
        a, b = ops.norm_axis(axis1, self.ndim, "swapaxes"), ops.norm_axis(axis2, self.ndim, "swapaxes")
        order[a], order[b] = order[b], order[a]
        return self.permute(tuple(order))

    def squeeze(self, axis: Any = None, *, dim: Any = None) -> Tensor:
        return ops.squeeze(self, _axis_arg(axis, dim))

    def unsqueeze(self, axis: int) -> Tensor:
        return ops.unsqueeze(self, axis)

    def expand(self, *shape: Any) -> Tensor:
        return ops.expand(self, _shape_arg(shape))

    def broadcast_to(self, shape: Sequence[int]) -> Tensor:
        return ops.broadcast_to(self, tuple(shape))

    def pad(self, pad_width: Any, value: float = 0.0) -> Tensor:
        return ops.pad(self, pad_width, value)

    def repeat(self, repeats: Any, axis: int | None = None) -> Tensor:
        return ops.repeat(self, repeats, axis)

    def tile(self, reps: Any) -> Tensor:
        return ops.tile(self, reps)

    def flip(self, axis: Any = None, *, dims: Any = None) -> Tensor:
        return ops.flip(self, _axis_arg(axis, dims))

    def split(self, split_size_or_sections: Any, axis: int = 0, *, dim: int | None = None) -> tuple:
        return ops.split(self, split_size_or_sections, _axis_arg(axis if dim is None else None, dim))

    def chunk(self, chunks: int, axis: int = 0, *, dim: int | None = None) -> tuple:
        return ops.chunk(self, chunks, _axis_arg(axis if dim is None else None, dim))

    def gather(self, axis: int, index: Any) -> Tensor:
        return ops.gather(self, axis, index)

    def index_select(self, axis: int, index: Any) -> Tensor:
        return ops.index_select(self, axis, index)

    # -- dtype ---------------------------------------------------------------------------------

    def astype(self, dtype: Any) -> Tensor:
        """Convert to `dtype`; float-to-float conversions stay differentiable."""
        return ops.cast(self, np.dtype(dtype))

    to = astype

    def float(self) -> Tensor:
        return self.astype(np.float32)

    def double(self) -> Tensor:
        return self.astype(np.float64)

    def half(self) -> Tensor:
        return self.astype(np.float16)

    def int(self) -> Tensor:
        return self.astype(np.int32)

    def long(self) -> Tensor:
        return self.astype(np.int64)

    def bool(self) -> Tensor:
        return self.astype(np.bool_)

    def new_zeros(self, *size: Any) -> Tensor:
        """Zeros of `size` with this tensor's dtype (PyTorch's `new_zeros`)."""
        return Tensor._make(np.zeros(_shape_arg(size), dtype=self.dtype))

    def new_ones(self, *size: Any) -> Tensor:
        return Tensor._make(np.ones(_shape_arg(size), dtype=self.dtype))

    def new_full(self, size: Sequence[int], fill_value: Any) -> Tensor:
        return Tensor._make(np.full(tuple(size), fill_value, dtype=self.dtype))

    def new_tensor(self, data: Any) -> Tensor:
        """A new leaf holding a copy of `data`, with this tensor's dtype."""
        return Tensor(data, dtype=self.dtype)

    def clone(self) -> Tensor:
        """A copy that stays connected to the graph."""
        return ops.Clone.apply(self)

    def contiguous(self) -> Tensor:
        return self


from . import autograd  # noqa: E402  (the graph walk uses Tensor and Function defined above)
from . import ops  # noqa: E402
