"""Backpropagation: the chain rule applied to the recorded graph, output to inputs.

`_walk` is the algorithm. A node runs once every consumer of its output has run, so the gradient
it receives is complete (the sum over all its consumers); it multiplies that upstream gradient by
its local derivative (its `backward`) and hands each input its share. Nodes are counted first
(`_consumer_counts`), so the walk needs no recursion and handles a 100,000-op chain. Leaf
gradients are summed over the whole pass; `backward()` then adds them into `.grad`, `grad()`
returns them. Everything else (hooks, retain_grad, anomaly mode, version checks, releasing saved
values, broadcasting undone) is a small named step the walk calls.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from . import versions
from .function import _FREED, Node
from .mode import check_finite, enable_grad, no_grad, state
from .tensor import Tensor


def unbroadcast(grad: Tensor, shape: tuple) -> Tensor:
    """Sum `grad` over the axes that broadcasting added or stretched, giving it `shape`."""
    extra = grad.ndim - len(shape)
    if extra < 0:
        return grad.reshape(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))  # leading axes vanish: the result owns its memory
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad.reshape(shape) if grad.shape != shape else grad


# ----------------------------------------------------------------------------------------------
# the walk


def _walk(roots: Sequence[Tensor], root_grads: list[Tensor], retain_graph: bool, create_graph: bool,
          capture: set | None = None, hooks: bool = True, fill_retained: bool = True) -> dict:
    """Propagate gradients from `roots`; return the summed gradient of every leaf reached (and
    of every node in `capture`). `hooks` runs the tensors' hooks, `fill_retained` fills the
    `.grad` of tensors that called `retain_grad()`."""
    pending, leaf_grads = _start(roots, root_grads)  # node -> sum so far of its incoming gradients
    waiting = _consumer_counts(pending)  # node -> number of its consumers that have not run yet
    ready = [(node, pending.pop(node)) for node in list(pending) if waiting[node] == 0]
    captured = {}
    anomaly = state.anomaly
    while ready:
        node, grad = ready.pop()  # every consumer of `node` has run: `grad` is complete (or None)
        if (node._hooks is not None or node._retain is not None) and grad is not None and hooks:
            grad = _observe(node, grad, create_graph, fill_retained)
        if capture is not None and node in capture:
            captured[node] = grad
        input_grads = _local_backward(node, grad, retain_graph, anomaly)  # the chain rule: upstream x local derivative
        edges = node._edges
        for parent, g in zip(edges, input_grads) if type(edges) is tuple else ((edges, input_grads[node._edge_index]),):
            if parent is None:
                continue
            if g is not None and (type(g) is not Tensor  # a leaf's shape read off its array: no Size made
                                  or g._data.shape != (parent.shape if type(parent) is Node else parent._data.shape)
                                  or (g._data.dtype is not parent.dtype and g._data.dtype != parent.dtype)):
                g = _fit_to_input(g, parent, node)
            if type(parent) is not Node:  # a leaf: its gradient is summed over the whole pass
                if g is not None:
                    leaf_grads[parent] = g if parent not in leaf_grads else leaf_grads[parent] + g
                continue
            count = waiting[parent]
            if count > 1:  # a node with consumers still to run: keep the sum of what it received so far
                waiting[parent] = count - 1
                if g is not None:
                    pending[parent] = g if parent not in pending else pending[parent] + g
                continue
            earlier = pending.pop(parent, None) if pending else None  # its last consumer: the sum is complete
            ready.append((parent, g if earlier is None else earlier if g is None else earlier + g))
    return leaf_grads if capture is None else {**leaf_grads, **captured}


def _start(roots: Sequence[Tensor], root_grads: list[Tensor]) -> tuple[dict, dict]:
    """The gradients the walk starts from: per root node, and per root that is itself a leaf."""
    pending: dict[Node, Tensor] = {}
    leaf_grads: dict[Tensor, Tensor] = {}
    for root, g in zip(roots, root_grads):
        holder, key = (leaf_grads, root) if root.grad_fn is None else (pending, root.grad_fn)
        holder[key] = g if key not in holder else holder[key] + g
    return pending, leaf_grads


def _consumer_counts(starts: Any) -> dict[Node, int]:
    """For every node reachable from the nodes `starts`: how many edges of the graph lead into it."""
    counts: dict[Node, int] = dict.fromkeys(starts, 0)
    stack = list(counts)
    while stack:
        edges = stack.pop()._edges
        for parent in edges if type(edges) is tuple else (edges,):  # one edge or a tuple of them
            if type(parent) is Node:
                count = counts.get(parent)
                if count is None:  # first visit: go on to its inputs
                    stack.append(parent)
                    count = 0
                counts[parent] = count + 1
    return counts


def walk_order(outputs: Sequence[Tensor]) -> list[Node]:
    """The nodes reachable from `outputs` in an order backward may run them: each node after all
    of its consumers (reversed, inputs come first)."""
    waiting = _consumer_counts(t.grad_fn for t in outputs if t.grad_fn is not None)
    ready = [node for node, count in waiting.items() if count == 0]
    order = []
    while ready:
        node = ready.pop()
        order.append(node)
        for parent in node.parents:
            if type(parent) is Node:
                waiting[parent] -= 1
                if waiting[parent] == 0:
                    ready.append(parent)
    return order


def _local_backward(node: Node, grad: Tensor | None, retain_graph: bool, anomaly: bool) -> tuple:
    """The node's `backward`: one gradient (or None) per input, after checking that what it saved
    was not changed in place since; then what it saved is released (unless `retain_graph`). A
    node that received no gradient passes None on without running."""
    if grad is None:
        grads = (None,) * len(node.needs_input_grad)
    else:
        if node._saved is not None and node._saved_epoch != versions.write_epoch:  # written in place since?
            node.check_versions()
        grads = _backward_checked(node, grad) if anomaly else node.op.backward(node, grad)
        if type(grads) is not tuple:
            grads = (grads,)
        if len(grads) != len(node.needs_input_grad):
            raise RuntimeError(
                f"{node.name()}.backward returned {len(grads)} gradients for {len(node.needs_input_grad)} inputs"
            )
    if not retain_graph and node._saved is not None:  # node.release(), written out: it runs for every node
        node._saved = _FREED
        node._out_array = None
    return grads


def _backward_checked(node: Node, grad: Tensor) -> Any:
    """Anomaly mode: run the node's backward, then check every gradient it returned for NaN/Inf."""
    state.anomaly = False
    try:
        grads = node.op.backward(node, grad)
    finally:
        state.anomaly = True
    for g in grads if type(grads) is tuple else (grads,):
        if g is not None:
            check_finite(np.asarray(g._data if isinstance(g, Tensor) else g), node.name(), "backward (gradient)")
    return grads


def _fit_to_input(g: Any, parent: Any, node: Node) -> Tensor:
    """Give a gradient its input's shape (undoing broadcasting) and dtype."""
    if not isinstance(g, Tensor):
        if not (isinstance(g, np.ndarray) or np.isscalar(g)):
            raise TypeError(f"{node.name()}.backward returned {type(g).__name__}; return Tensors, arrays or None")
        g = Tensor._make(np.asarray(g))
    if g._data.shape != parent.shape:
        try:
            g = unbroadcast(g, parent.shape)
        except ValueError:
            raise RuntimeError(f"{node.name()}.backward returned a gradient of shape {g._data.shape} for an input "
                               f"of shape {parent.shape}") from None
    return g if g._data.dtype == parent.dtype else g.astype(parent.dtype)


def _observe(node: Node, grad: Tensor, create_graph: bool, fill_retained: bool) -> Tensor:
    """The output tensor's hooks (which may replace its gradient), then its retained `.grad`."""
    if node._hooks:
        grad = _run_hooks(node._hooks, grad)
    retained = node._retain() if node._retain is not None and fill_retained else None
    if retained is not None:  # the same array flows on to the node's inputs: accumulate a copy
        _accumulate(retained, grad, create_graph, {id(grad._data)})
    return grad


def _run_hooks(hooks: list | None, grad: Tensor) -> Tensor:
    for hook in hooks or ():
        result = hook(grad)
        if result is not None:
            grad = result if isinstance(result, Tensor) else Tensor(result)
    return grad


def _accumulate(holder: Tensor, grad: Tensor, create_graph: bool, owned: set) -> None:
    """Add `grad` into `holder.grad`, copying arrays the engine does not own exclusively."""
    if create_graph:
        holder._grad = grad if holder._grad is None else holder._grad + grad
        return
    arr = grad._data
    if holder._grad is None:
        if not arr.flags.owndata or not arr.flags.writeable or id(arr) in owned:
            arr = arr.copy()
        owned.add(id(arr))
        holder._grad = Tensor._make(arr)
    elif holder._grad._data.flags.writeable and holder._grad._data.shape == arr.shape:
        np.add(holder._grad._data, arr, out=holder._grad._data, casting="unsafe")
    else:
        holder._grad = Tensor._make(holder._grad._data + arr)


# ----------------------------------------------------------------------------------------------
# the public entry points


def _root_grads(roots: Sequence[Tensor], grads: Sequence[Any] | None, op: str) -> list[Tensor]:
    """The gradient each output starts with: ones for a scalar, else the one the caller gave."""
    result = []
    for i, root in enumerate(roots):
        if not isinstance(root, Tensor):
            raise TypeError(f"{op}: output {i} is a {type(root).__name__}, not a Tensor")
        if not root.requires_grad:
            raise RuntimeError(
                f"{op}: output {i} (shape {root.shape}) does not require grad and has no grad_fn; "
                "make sure some input was created with requires_grad=True and that the computation "
                "did not run under no_grad()"
            )
        g = None if grads is None else grads[i]
        if g is None:
            if root._data.size != 1:
                raise RuntimeError(
                    f"{op}: gradient can be created implicitly only for scalar outputs, this output "
                    f"has shape {root.shape}; call .sum() first or pass a gradient of that shape"
                )
            g = Tensor._make(np.ones(root._data.shape, dtype=root.dtype))
        else:
            g = g if isinstance(g, Tensor) else Tensor(g, dtype=root.dtype)
            if g.shape != root.shape:
                raise RuntimeError(f"{op}: gradient has shape {g.shape} but the output has shape {root.shape}")
            if not g.requires_grad:
                g = Tensor._make(g._data.astype(root.dtype, copy=True))
        result.append(g)
    return result


def _as_list(tensors: Any) -> list:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def backward(tensors: Tensor | Sequence[Tensor], grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs: Tensor | Sequence[Tensor] | None = None) -> None:
    """Accumulate the gradients of `tensors` (weighted by `grad_tensors`) into every leaf's `.grad`,
    or, with `inputs=`, only into those tensors' `.grad` (leaves or not), as in PyTorch."""
    roots = _as_list(tensors)
    root_grads = _root_grads(roots, None if grad_tensors is None else _as_list(grad_tensors), "backward")
    retain = create_graph if retain_graph is None else retain_graph or create_graph
    targets = None if inputs is None else _as_list(inputs)
    if targets is not None:
        if not targets:
            raise RuntimeError("backward: inputs= was given but is empty; pass the tensors to accumulate into")
        for i, t in enumerate(targets):
            if not isinstance(t, Tensor) or not t.requires_grad:
                raise RuntimeError(f"backward: inputs[{i}] must be a tensor that requires grad, got "
                                   f"{type(t).__name__}{'' if not isinstance(t, Tensor) else ' without requires_grad'}")
    capture = None if targets is None else {t.grad_fn for t in targets if t.grad_fn is not None}
    with enable_grad() if create_graph else no_grad():
        found = _walk(roots, root_grads, retain, create_graph, capture)
        owned: set = set()
        if targets is None:
            for leaf, g in found.items():
                _accumulate(leaf, _run_hooks(getattr(leaf, "_hooks", None), g), create_graph, owned)
            return
        for t in dict.fromkeys(targets):  # each tensor once, in the order given
            g = found.get(t if t.grad_fn is None else t.grad_fn)
            if g is None or t.retains_grad:  # a retained grad was filled by the walk already
                continue
            _accumulate(t, _run_hooks(getattr(t, "_hooks", None), g) if t.grad_fn is None else g, create_graph, owned)


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
         grad_outputs: Sequence[Any] | None = None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool = False) -> tuple:
    """Return d(outputs)/d(inputs) as a tuple (one per input) without touching any `.grad`.

    With `create_graph=True` the results are part of a graph, so they can be differentiated again
    (Hessian-vector products, gradient penalties).
    """
    outputs = _as_list(outputs)
    inputs = _as_list(inputs)
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"grad: input {i} (shape {getattr(t, 'shape', None)}) does not require grad")
    retain = create_graph if retain_graph is None else retain_graph
    root_grads = _root_grads(outputs, None if grad_outputs is None else _as_list(grad_outputs), "grad")
    with enable_grad() if create_graph else no_grad():
        found = _walk(outputs, root_grads, retain, create_graph, {t.grad_fn for t in inputs if t.grad_fn is not None},
                      fill_retained=False)
        result = []
        for i, t in enumerate(inputs):
            g = found.get(t if t.grad_fn is None else t.grad_fn)
            if g is None and not allow_unused:
                raise RuntimeError(
                    f"grad: input {i} (shape {t.shape}) was not used to compute the outputs; "
                    "pass allow_unused=True to get None for it"
                )
            if g is not None and t.grad_fn is None:
                g = _run_hooks(getattr(t, "_hooks", None), g)
            result.append(g)
    return tuple(result)


def node_gradients(outputs: Sequence[Tensor], nodes: set, grad_outputs: Sequence[Any] | None = None) -> dict:
    """The gradient of the sum of `outputs` (each weighted by its `grad_outputs` entry when given)
    arriving at each of `nodes` and at every leaf, from one backward pass that keeps the graph and
    runs no hooks (for drawings and explanations)."""
    with no_grad():
        return _walk(outputs, _root_grads(outputs, grad_outputs, "node_gradients"), True, False, nodes, hooks=False)


def input_gradients(node: Node, grad: Tensor) -> tuple:
    """One step of the walk on its own: what `node` hands each input for the upstream `grad` (its
    local vector-Jacobian product, in the input's shape; None where no gradient flows). The graph
    is kept (for explanations)."""
    with no_grad():
        shares = _local_backward(node, grad, True, False)
        return tuple(None if parent is None or g is None else _fit_to_input(g, parent, node)
                     for parent, g in zip(node.parents, shares))


def tensor_backward(tensor: Tensor, gradient: Any = None, retain_graph: bool | None = None,
                    create_graph: bool = False, inputs: Any = None) -> None:
    """`tensor.backward()`: accumulate d(tensor)/d(leaf) into every leaf's `.grad` (the tensor must
    be a scalar unless `gradient` is given), or only into the `.grad` of `inputs` when given."""
    backward([tensor], None if gradient is None else [gradient], retain_graph, create_graph, inputs)
