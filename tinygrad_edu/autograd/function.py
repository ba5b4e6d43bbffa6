"""Function and Node: an op's definition, and one recorded call of it.

Every differentiable operation is a `Function` subclass with `forward(ctx, *arrays)` and
`backward(ctx, grad_output)`. `Op.apply(*inputs)` runs forward on the inputs' arrays and, when some
input requires grad, records one `Node`: it is at once the `ctx` both methods receive and the graph
node, with edges to its inputs' nodes (or leaf tensors) and what backward needs, never its own
output tensor (so a graph holds no reference cycles).

This is the one file of the core where fast-path tricks live; each says what it saves.
"""

from __future__ import annotations

import re
import threading
from typing import Any, Sequence

import numpy as np

from . import versions
from .dtypes import FLOAT64, fix_float64
from .mode import check_finite, state
from .several_outputs import SeveralOutputs
from .tensor import Tensor, _read_only

_new_object = object.__new__
_FREED = object()  # what a node's `_saved` becomes once backward has used (and released) it
OUTPUT = object()  # stands for the op's own output among the saved values
_ARRAY_TYPES = (np.ndarray, np.generic)

_NEEDS: dict[tuple, tuple] = {}  # needs_input_grad patterns seen so far, one tuple each (shared by nodes)
_NEEDS_UNARY = (True,)
_NEEDS_FIRST, _NEEDS_SECOND, _NEEDS_BOTH = (True, False), (False, True), (True, True)
_SAVED_OUTPUT_ONLY = (OUTPUT,)  # what ops that save only their output (exp, tanh, sigmoid) keep


class TransformOperandError(NotImplementedError):
    """Raised by a transform's tensor (vmap's batch, forward mode's dual number) asked for its one
    array: it has none, so `Function.apply` hands the op to the transform's rules (`apply_transformed`).
    `batch`: vmap's tensor of all samples (None for other transforms)."""

    batch: Tensor | None = None


class _NoGradContext:
    """Stand-in ctx for forward passes that record nothing: saving is a no-op."""

    needs_input_grad: tuple = ()

    def save_for_backward(self, *values: Any) -> None:
        pass


_NO_GRAD_CTX = _NoGradContext()


class Node:
    """One recorded call of an op: the `ctx` its forward and backward receive, and the graph node.

    Read it through `op`, `parents`, `saved_tensors`, `name()` and `metadata`. Every op's nodes are
    of this one class (`op` is the Function subclass), so attribute accesses stay monomorphic,
    which CPython runs fastest.
    """

    # Set for every node: op, _edges, _edge_index, needs_input_grad, shape, dtype, _saved. `_edges`
    # is the one input's node (or leaf tensor) when exactly one input needs a gradient (then
    # `_edge_index` is its position), else a tuple with one entry per input: the most common nodes
    # are then one object for the garbage collector, not a node and a tuple. Set when forward saved
    # something: _saved_epoch (the in-place write epoch then), _out_array (the output array when
    # forward saved it, else None) and _wrap_saved (True when saved values need wrapping as Tensors).
    __slots__ = ("op", "_edges", "_edge_index", "needs_input_grad", "shape", "dtype", "_saved", "_saved_epoch",
                 "_out_array", "_wrap_saved", "__dict__", "__weakref__")
    # rarely set per node; class defaults keep node creation to a few stores
    _hooks = None  # hooks registered on the output tensor (a non-leaf)
    _retain = None  # weak reference to the output tensor when it retains its grad

    # -- the ctx API used inside forward and backward -----------------------------------------

    def save_for_backward(self, *values: Any) -> None:
        """Keep input or output arrays (or constants) for backward; they come back as Tensors."""
        self._saved = values

    def mark_non_differentiable(self, *tensors: Any) -> None:
        """PyTorch's ctx API: accepted (this engine's outputs are differentiable floats)."""

    def set_materialize_grads(self, value: bool) -> None:
        """PyTorch's ctx API: accepted (gradients reaching backward are always tensors)."""

    @property
    def saved_tensors(self) -> tuple:
        """What forward saved: inputs and the output as graph-connected Tensors, other arrays as
        read-only constants (all of them constants under `saved_as_constants`)."""
        saved = self._saved
        if saved is _FREED:
            raise RuntimeError(
                f"{self.name()}: trying to backward through the graph a second time (or to read "
                "saved tensors after they were freed); pass retain_graph=True to the first backward"
            )
        if saved is None:
            return ()
        if state.saved_as_constants:
            return self._saved_constants()
        if not self._wrap_saved:
            return saved
        if saved is _SAVED_OUTPUT_ONLY:  # exp, tanh, sigmoid, sqrt: no loop over one marker
            return (Tensor._make(self._out_array, state.grad_enabled, self),)
        result = []
        for value in saved:
            if value is OUTPUT:
                result.append(Tensor._make(self._out_array, state.grad_enabled, self))
            elif isinstance(value, _ARRAY_TYPES):
                result.append(Tensor._make(_read_only(np.asarray(value))))
            else:
                result.append(value)
        return tuple(result)

    def _saved_constants(self) -> tuple:
        """`saved_tensors` under `saved_as_constants`: the same values, none connected to the graph."""
        result = []
        for value in self._saved:
            if value is OUTPUT:
                value = Tensor._make(self._out_array)
            elif isinstance(value, Tensor):
                value = value.detach()
            elif isinstance(value, _ARRAY_TYPES):
                value = Tensor._make(_read_only(np.asarray(value)))
            result.append(value)
        return tuple(result)

    # -- the public read interface (graph drawing, the op registry, explanations) ---------------

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

    @property
    def next_functions(self) -> tuple:
        """PyTorch's view of the edges: one (node, 0) pair per input, an `AccumulateGrad` for a leaf
        that requires grad and (None, 0) where no gradient is needed."""
        return tuple((AccumulateGrad(p) if isinstance(p, Tensor) else p, 0) for p in self.parents)

    @property
    def metadata(self) -> dict:
        """What forward stored on the ctx besides saved tensors (axis, index, kernel size, ...)."""
        return getattr(self, "__dict__", {})

    @property
    def released(self) -> bool:
        """True once backward has used and freed what forward saved."""
        return self._saved is _FREED

    @property
    def saved_values(self) -> tuple:
        """What forward saved, unwrapped: input Tensors, arrays, constants, and `OUTPUT` for the
        op's own output; empty when nothing was saved or it was released."""
        saved = self._saved
        return saved if isinstance(saved, tuple) else ()

    @property
    def output_array(self) -> np.ndarray | None:
        """The output array, when forward saved it (and backward has not released it)."""
        return getattr(self, "_out_array", None) if self._saved is not None else None

    # -- bookkeeping of what forward saved ------------------------------------------------------

    def _resolve_saved(self, args: Sequence[Any], out: np.ndarray, raw: Any) -> None:
        """Turn saved arrays that are inputs into their tensors and the output into `OUTPUT`.

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
                    value = OUTPUT
                    wrap = True
                else:
                    # the input at the same position first: two inputs may share one array
                    # (x.detach() twice), and each must get its own gradient
                    same_place = args[i] if i < len(args) else None
                    if isinstance(same_place, Tensor) and same_place._data is value:
                        value = same_place
                    else:
                        for a in args:
                            if isinstance(a, Tensor) and a._data is value:
                                value = a
                                break
                        else:
                            wrap = True
                if resolved is None:
                    resolved = list(saved)
                resolved[i] = value
            if resolved is not None:
                self._saved = tuple(resolved)
        self._saved_epoch = versions.write_epoch
        self._out_array = out_array
        self._wrap_saved = wrap

    def check_versions(self) -> None:
        """Raise if a saved tensor or the saved output was written in place since forward saved it
        (through any tensor sharing its memory: a view, its base, a detached copy)."""
        saved = self._saved
        if saved is None or saved is _FREED:
            return
        epoch = self._saved_epoch
        if self._out_array is not None and versions.written_since(self._out_array, epoch):
            raise RuntimeError(
                f"{self.name()}: its output of shape {self.shape}, needed for backward, was modified by an "
                "in-place operation (on it or on a tensor sharing its memory); use an out-of-place operation "
                "instead"
            )
        for value in saved:
            if isinstance(value, Tensor) and versions.written_since(value._data, epoch):
                raise RuntimeError(
                    f"{self.name()}: a tensor of shape {value.shape} that this op saved for backward was "
                    "modified by an in-place operation (on it or on a tensor sharing its memory, such as a "
                    "view); use an out-of-place operation (x = x + y instead of x += y) or clone() before "
                    "modifying it"
                )

    def release(self) -> None:
        """Drop what forward saved (backward has used it); a second backward then raises."""
        if self._saved is not None:
            self._saved = _FREED
            self._out_array = None


class AccumulateGrad:
    """What `next_functions` shows for a leaf: the step that adds a gradient into `variable.grad`."""

    __slots__ = ("variable",)

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable

    next_functions = ()  # a leaf is where the walk ends

    def name(self) -> str:
        return "AccumulateGrad"

    def __eq__(self, other: object) -> bool:
        """One leaf, one AccumulateGrad (as PyTorch's): a graph walk that keeps a set of seen nodes
        sees a leaf used twice once."""
        return isinstance(other, AccumulateGrad) and other.variable is self.variable

    def __hash__(self) -> int:
        return id(self.variable)

    def __repr__(self) -> str:
        return "<AccumulateGrad>"


class Function:
    """Base of every differentiable operation (and of users' custom ones).

    Subclasses define `forward(ctx, *arrays, **kw) -> ndarray` and
    `backward(ctx, grad_output) -> grad or tuple of grads` (one per positional input, None where
    no gradient is needed), and are called as `Op.apply(*inputs, **kw)`. Backward formulas use
    Tensor operations, so the gradient graph is itself differentiable.
    """

    exact_dtype = False  # True: the output dtype is what forward chose (no float64 narrowing)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A Function defined outside the engine (a user's, a PyTorch tutorial's) gets its inputs as
        Tensors, as `torch.autograd.Function` does: its forward may call tensor methods
        (`x.clamp(min=0)`) or NumPy functions alike. The engine's own ops work on arrays."""
        super().__init_subclass__(**kwargs)
        if not cls.__module__.startswith("tinygrad_edu."):
            if "forward" in cls.__dict__:
                cls.forward = staticmethod(_on_tensors(cls.__dict__["forward"]))
            if "backward" in cls.__dict__:
                cls.backward = staticmethod(_grads_per_output(cls.__dict__["backward"]))
            if "apply" not in cls.__dict__:
                cls.apply = classmethod(_apply_with_outputs)

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Tensor) -> Any:
        raise NotImplementedError

    @classmethod
    def apply_transformed(cls, *args: Any, **kwargs: Any) -> Any:
        """The op on a transform's tensors (vmap's batches, forward mode's dual numbers):
        tinygrad_edu.func installs its rules here (above the core)."""
        raise TransformOperandError(f"{cls.__name__}: an input is a transform's tensor (batched or dual), and no "
                                    "transform rules are installed (import tinygrad_edu.func)")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Tensor:
        """Run forward on the inputs' arrays and return the output tensor; when some input requires
        grad (and grad mode is on), record a Node first: the ctx forward and backward receive."""
        ctx = _NO_GRAD_CTX
        recording = state.grad_enabled
        # The inputs' arrays and, when recording, the node's links to its inputs. One- and two-input
        # ops, nearly all calls, are written out here: no loop and no further call (each Python call
        # costs about as much as the rest of this bookkeeping).
        try:
            if len(args) == 2:
                a, b = args
                a_is_tensor = isinstance(a, Tensor)
                b_is_tensor = isinstance(b, Tensor)
                arrays = [a._data if a_is_tensor else a, b._data if b_is_tensor else b]
                if recording:
                    a_needs = a_is_tensor and a._requires_grad
                    b_needs = b_is_tensor and b._requires_grad
                    if a_needs or b_needs:
                        ctx = _new_object(Node)
                        if not b_needs:
                            ctx._edges, ctx._edge_index, ctx.needs_input_grad = a.grad_fn or a, 0, _NEEDS_FIRST
                        elif not a_needs:
                            ctx._edges, ctx._edge_index, ctx.needs_input_grad = b.grad_fn or b, 1, _NEEDS_SECOND
                        else:
                            ctx._edges, ctx.needs_input_grad = (a.grad_fn or a, b.grad_fn or b), _NEEDS_BOTH
            elif len(args) == 1:
                a = args[0]
                a_is_tensor = isinstance(a, Tensor)
                arrays = [a._data if a_is_tensor else a]
                if recording and a_is_tensor and a._requires_grad:
                    ctx = _new_object(Node)
                    ctx._edges, ctx._edge_index, ctx.needs_input_grad = a.grad_fn or a, 0, _NEEDS_UNARY
            else:  # no or three or more inputs (linear, conv, cat): one loop
                arrays, ctx = _link_many(args, recording)
        except TransformOperandError:  # an input is vmap's batch or a dual number: the transform's rule runs the op
            return cls.apply_transformed(*args, **kwargs)
        if ctx is not _NO_GRAD_CTX:
            ctx.op = cls
            ctx._saved = None
        try:
            raw = cls.forward(ctx, *arrays, **kwargs)
        except (ValueError, IndexError, TypeError) as err:
            raise _op_error(cls, err, arrays) from None
        # The output, built here once for both paths: PyTorch's dtype, the anomaly check, the node.
        out = raw if type(raw) is np.ndarray else np.asarray(raw)
        dtype = out.dtype
        if dtype is FLOAT64 and arrays and not cls.exact_dtype:
            first = arrays[0]
            if not (type(first) is np.ndarray and first.dtype is FLOAT64 and first.ndim):  # decides most calls at once
                out = fix_float64(out, arrays)
                dtype = out.dtype
        if state.anomaly:
            check_finite(out, cls.__name__, "forward output")
        t = _new_object(Tensor)
        t._data = out
        t._grad = None
        t._version = 0
        if ctx is _NO_GRAD_CTX:
            t.grad_fn = None
            t._requires_grad = False
            return t
        if dtype.kind != "f":
            raise TypeError(f"{cls.__name__}: a differentiable op must return floats, got {dtype}")
        t.grad_fn = ctx
        t._requires_grad = True
        ctx.shape = out.shape
        ctx.dtype = dtype
        if ctx._saved is not None:
            ctx._resolve_saved(args, out, raw)
        return t


def _on_tensors(forward: Any) -> Any:
    """Wrap a user's forward: its array inputs come in as Tensors (cut from the graph), what it
    saves and returns goes back to the engine as arrays."""
    function = forward.__func__ if isinstance(forward, staticmethod) else forward

    def forward_on_tensors(ctx: Any, *arrays: Any, **kwargs: Any) -> Any:
        out = function(ctx, *(Tensor._make(a) if type(a) is np.ndarray else a for a in arrays), **kwargs)
        saved = getattr(ctx, "_saved", None)
        if saved:
            ctx._saved = tuple(v._data if isinstance(v, Tensor) else v for v in saved)
        if isinstance(out, tuple):  # several outputs: one packed array, the layout left for apply
            _layouts.last = SeveralOutputs(out)
            return _layouts.last.packed
        return out._data if isinstance(out, Tensor) else out

    forward_on_tensors.__doc__ = function.__doc__
    forward_on_tensors.__wrapped__ = function
    return forward_on_tensors


_layouts = threading.local()  # `last`: the layout of the user forward that just returned several outputs


def _apply_with_outputs(cls: type, *args: Any, **kwargs: Any) -> Any:
    """`apply` of a user's Function: the engine's, then, when forward returned several outputs,
    the packed tensor handed out as one tensor per output (the node keeps the layout for backward)."""
    packed = Function.apply.__func__(cls, *args, **kwargs)
    outputs = getattr(_layouts, "last", None)
    if outputs is None:
        return packed
    _layouts.last = None
    if packed.grad_fn is not None:
        packed.grad_fn._outputs = outputs
    return outputs.unpack(packed)


def _grads_per_output(backward: Any) -> Any:
    """Wrap a user's backward: a Function with several outputs receives one gradient per output."""
    function = backward.__func__ if isinstance(backward, staticmethod) else backward

    def backward_per_output(ctx: Any, *grads: Any) -> Any:
        outputs = getattr(ctx, "_outputs", None)
        return function(ctx, *(grads if outputs is None else outputs.gradients(grads[0])))

    backward_per_output.__doc__ = function.__doc__
    backward_per_output.__wrapped__ = function
    return backward_per_output


def _link_many(args: tuple, recording: bool) -> tuple[list, Any]:
    """For an op with no or three or more inputs: their arrays and, when recording and some input
    requires grad, a node linked to those that do (else the no-grad ctx). One loop, no
    comprehension (each is a call in CPython 3.11)."""
    arrays, parents, needs, sole = [], [], [], -1
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            arrays.append(a._data)
            if recording and a._requires_grad:
                parents.append(a.grad_fn or a)
                needs.append(True)
                sole = i if sole == -1 else -2
                continue
        else:
            arrays.append(a)
        parents.append(None)
        needs.append(False)
    if sole == -1:
        return arrays, _NO_GRAD_CTX
    ctx = _new_object(Node)
    needs = tuple(needs)
    ctx.needs_input_grad = _NEEDS.setdefault(needs, needs)  # one shared tuple per pattern
    if sole >= 0:
        ctx._edges = parents[sole]
        ctx._edge_index = sole
    else:
        ctx._edges = tuple(parents)
    return arrays, ctx


def _op_error(cls: type, err: Exception, arrays: list) -> Exception:
    """Re-raise a NumPy error from an op's forward with the op's name and the input shapes."""
    message = str(err)
    if message.startswith((cls.__name__ + ":", re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower() + ":")):
        return err  # the op's own message, naming it (CrossEntropy or cross_entropy)
    shapes = ", ".join(str(np.shape(a)) if isinstance(a, np.ndarray) else type(a).__name__ for a in arrays)
    message = f"{cls.__name__}: {message} (input shapes: {shapes})"
    try:
        return type(err)(message)
    except TypeError:  # NumPy's own subclasses (e.g. a ufunc without a loop) take other arguments
        return next(base for base in (IndexError, TypeError, ValueError) if isinstance(err, base))(message)
