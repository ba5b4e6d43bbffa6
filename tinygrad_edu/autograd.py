"""The backward pass: an iterative walk of the graph in reverse topological order.

Nodes are `Node` instances (one per recorded op call); their `_edges` lead to the nodes (or leaf
tensors) of their inputs.
Each node receives the sum of the gradients of all its consumers, runs its `backward`, reduces
each result to the input's shape (`unbroadcast`, the one place broadcasting is undone) and passes
it on. Leaf gradients are summed over the whole pass, then hooks run, then `.grad` accumulates.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from . import tensor as _tensor
from .tensor import _FREED, Node, Tensor, _check_finite, _state, enable_grad, no_grad


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


def _as_grad_tensor(value: Any, node: Node) -> Tensor:
    if isinstance(value, Tensor):
        return value
    if isinstance(value, np.ndarray) or np.isscalar(value):
        return Tensor._make(np.asarray(value))
    raise TypeError(f"{node.name()}.backward returned {type(value).__name__}; return Tensors, arrays or None")


def _root_grads(roots: Sequence[Tensor], grads: Sequence[Any] | None) -> list[Tensor]:
    result = []
    for i, root in enumerate(roots):
        if not root.requires_grad:
            raise RuntimeError(
                f"backward: output {i} (shape {root.shape}) does not require grad and has no grad_fn; "
                "make sure some input was created with requires_grad=True and that the computation "
                "did not run under no_grad()"
            )
        g = None if grads is None else grads[i]
        if g is None:
            if root.data.size != 1:
                raise RuntimeError(
                    f"backward: gradient can be created implicitly only for scalar outputs, this output "
                    f"has shape {root.shape}; call .sum() first or pass gradient= of that shape"
                )
            g = Tensor._make(np.ones(root.shape, dtype=root.dtype))
        else:
            g = g if isinstance(g, Tensor) else Tensor(g, dtype=root.dtype)
            if g.shape != root.shape:
                raise RuntimeError(
                    f"backward: gradient has shape {g.shape} but the output has shape {root.shape}"
                )
            if not g.requires_grad:
                g = Tensor._make(g.data.astype(root.dtype, copy=True))
        result.append(g)
    return result


def _dependencies(nodes: list[Node]) -> dict[Node, int]:
    """Count, for every node reachable from `nodes`, how many edges of the graph point to it."""
    deps: dict[Node, int] = {}
    stack = list(nodes)
    while stack:
        edges = stack.pop()._edges
        if type(edges) is Node:  # one input's node, the common case: counted without building a
            count = deps.get(edges)  # 1-tuple to loop over (a third faster per node)
            if count is None:
                deps[edges] = 1
                stack.append(edges)
            else:
                deps[edges] = count + 1
        elif type(edges) is tuple:  # several inputs: nodes, leaf tensors and None
            for parent in edges:
                if type(parent) is Node:
                    count = deps.get(parent)
                    if count is None:
                        deps[parent] = 1
                        stack.append(parent)
                    else:
                        deps[parent] = count + 1
    return deps


def _run_hooks(owner: Any, grad: Tensor) -> Tensor:
    for hook in getattr(owner, "_hooks", None) or ():
        result = hook(grad)
        if result is not None:
            grad = result if isinstance(result, Tensor) else Tensor(result)
    return grad


def _accumulate(holder: Tensor, grad: Tensor, create_graph: bool, owned: set) -> None:
    """Add `grad` into `holder.grad`, copying arrays the engine does not own exclusively."""
    if create_graph:
        holder.grad = grad if holder.grad is None else holder.grad + grad
        return
    arr = grad.data
    if holder.grad is None:
        if not arr.flags.owndata or not arr.flags.writeable or id(arr) in owned:
            arr = arr.copy()
        owned.add(id(arr))
        holder.grad = Tensor._make(arr)
    elif holder.grad.data.flags.writeable and holder.grad.data.shape == arr.shape:
        np.add(holder.grad.data, arr, out=holder.grad.data, casting="unsafe")
    else:
        holder.grad = Tensor._make(holder.grad.data + arr)


def _walk(roots: Sequence[Tensor], root_grads: list[Tensor], retain_graph: bool, create_graph: bool,
          capture: dict | None) -> dict:
    """Propagate gradients from `roots`; return the summed gradient of every leaf reached
    (and of every non-leaf tensor listed in `capture`, keyed by its node).

    A node runs once all its consumers have run: `ready` holds (node, complete gradient) pairs and
    `partial` the sums so far of nodes still waiting for some consumer."""
    partial: dict[Node, Tensor] = {}
    leaf_grads: dict[Tensor, Tensor] = {}
    for root, g in zip(roots, root_grads):
        if root.grad_fn is None:
            leaf_grads[root] = g if root not in leaf_grads else leaf_grads[root] + g
        else:
            node = root.grad_fn
            partial[node] = partial[node] + g if node in partial else g
    deps = _dependencies(list(partial))
    ready = [(node, partial.pop(node)) for node in list(partial) if node not in deps]
    anomaly = _state.anomaly
    captured = {}
    while ready:
        node, grad = ready.pop()
        if node._hooks:
            grad = _run_hooks(node, grad)
        if capture is not None and node in capture:
            captured[node] = grad
        if node._retain is not None and node._retain() is not None:
            # the same array flows on to the node's inputs (and maybe to a leaf's .grad): copy it
            _accumulate(node._retain(), grad, create_graph, {id(grad.data)})
        saved = node._saved
        if saved is not None and node._saved_epoch != _tensor._write_epoch:  # some in-place write since
            node._check_versions()
        if anomaly:
            # the ops inside a backward formula are checked as this node's backward, not as forwards
            _state.anomaly = False
            try:
                grads = node.op.backward(node, grad)
            finally:
                _state.anomaly = True
        else:
            grads = node.op.backward(node, grad)
        if type(grads) is not tuple:
            grads = (grads,)
        if len(grads) != len(node.needs_input_grad):
            raise RuntimeError(
                f"{node.name()}.backward returned {len(grads)} gradients for {len(node.needs_input_grad)} inputs"
            )
        if not retain_graph and saved is not None:  # `node._release()`, inlined on this hot path
            node._saved = _FREED
            node._out_array = None
        edges = node._edges
        for parent, g in zip(edges, grads) if type(edges) is tuple else ((edges, grads[node._edge_index]),):
            if parent is None:
                continue
            if g is not None:
                if type(g) is not Tensor:
                    g = _as_grad_tensor(g, node)
                data = g.data
                if anomaly:
                    _check_finite(data, node.name(), "backward (gradient)")
                if data.shape != parent.shape:
                    try:
                        g = unbroadcast(g, parent.shape)
                    except ValueError:
                        raise RuntimeError(
                            f"{node.name()}.backward returned a gradient of shape {data.shape} for an input "
                            f"of shape {parent.shape}"
                        ) from None
                if data.dtype is not parent.dtype and data.dtype != parent.dtype:
                    g = g.astype(parent.dtype)
            count = deps.get(parent)
            if count is None:  # a leaf tensor (every node reached has a count)
                if g is not None:
                    previous = leaf_grads.get(parent)
                    leaf_grads[parent] = g if previous is None else previous + g
                continue
            if count > 1:
                deps[parent] = count - 1
                if g is not None:
                    previous = partial.get(parent)
                    partial[parent] = g if previous is None else previous + g
                continue
            previous = partial.pop(parent, None) if partial else None
            if previous is not None:
                g = previous if g is None else previous + g
            if g is not None:
                ready.append((parent, g))
            else:
                _skip(parent, deps, partial, ready, retain_graph)
    return leaf_grads if capture is None else {**leaf_grads, **captured}


def _skip(node: Node, deps: dict, partial: dict, ready: list, retain_graph: bool) -> None:
    """A node that received no gradient at all: release its consumers' claim on its parents."""
    stack = [node]
    while stack:
        node = stack.pop()
        if not retain_graph:
            node._release()
        edges = node._edges
        for parent in edges if type(edges) is tuple else (edges,):
            if parent is None or isinstance(parent, Tensor):
                continue
            deps[parent] -= 1
            if deps[parent] == 0:
                if parent in partial:
                    ready.append((parent, partial.pop(parent)))
                else:
                    stack.append(parent)


def mark_written(*tensors: Tensor) -> None:
    """Declare that `tensors` were changed in place through `.data` (as optimizers update their
    parameters), so that a backward through a graph that saved them before raises, as it does
    after the Tensor in-place ops, instead of silently using the new values."""
    for t in tensors:
        _tensor.note_inplace_write(t.data)


def backward(tensors: Tensor | Sequence[Tensor], grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs: Tensor | Sequence[Tensor] | None = None) -> None:
    """Accumulate the gradients of `tensors` (weighted by `grad_tensors`) into every leaf's `.grad`,
    or, with `inputs=`, only into those tensors' `.grad` (leaves or not), as in PyTorch."""
    roots = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors]
    root_grads = _root_grads(roots, grad_tensors)
    retain = create_graph if retain_graph is None else retain_graph or create_graph
    targets = None if inputs is None else [inputs] if isinstance(inputs, Tensor) else list(inputs)
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
                _accumulate(leaf, _run_hooks(leaf, g), create_graph, owned)
            return
        for t in dict.fromkeys(targets):  # each tensor once, in the order given
            g = found.get(t if t.grad_fn is None else t.grad_fn)
            if g is not None:
                _accumulate(t, _run_hooks(t, g) if t.grad_fn is None else g, create_graph, owned)


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
         grad_outputs: Sequence[Any] | None = None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool = False) -> tuple:
    """Return d(outputs)/d(inputs) as a tuple (one per input) without touching any `.grad`.

    With `create_graph=True` the results are part of a graph, so they can be differentiated again
    (Hessian-vector products, gradient penalties).
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is not None and isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"grad: input {i} (shape {t.shape}) does not require grad")
    retain = create_graph if retain_graph is None else retain_graph
    root_grads = _root_grads(outputs, grad_outputs)
    capture = {t.grad_fn for t in inputs if t.grad_fn is not None}
    with enable_grad() if create_graph else no_grad():
        found = _walk(outputs, root_grads, retain, create_graph, capture)
        result = []
        for i, t in enumerate(inputs):
            key = t if t.grad_fn is None else t.grad_fn
            g = found.get(key)
            if g is None:
                if not allow_unused:
                    raise RuntimeError(
                        f"grad: input {i} (shape {t.shape}) was not used to compute the outputs; "
                        "pass allow_unused=True to get None for it"
                    )
            elif t.grad_fn is None:
                g = _run_hooks(t, g)
            result.append(g)
    return tuple(result)
