"""Drawing the autograd graph: `draw_graph(loss)` returns DOT text and images of the forward graph
(tensors and ops) or the backward graph (backward nodes with their saved tensors).

Nodes never reference their output tensors, so intermediate tensors are described by their node
(shape, dtype) and, when the engine kept it, the tensor or array itself (saved for backward).
"""

from __future__ import annotations

import weakref
from collections import deque
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import numpy as np

from ._render import GraphDrawing, RendererNotFoundError, find_renderer
from .autograd import Node, Tensor, node_gradients, walk_order
from .graph_drawing import DotBuilder, DrawOptions, GraphWalk

if TYPE_CHECKING:
    pass

__all__ = ["draw_graph", "trace_modules", "ModuleTrace", "GraphDrawing", "RendererNotFoundError", "find_renderer"]

VIEWS = ("forward", "backward")
RANKDIRS = ("TB", "LR", "BT", "RL")


# ----------------------------------------------------------------------------------------------
# recording which module made which op


class ModuleTrace:
    """Which submodule's `forward` created each graph node, recorded by `trace_modules`."""

    def __init__(self, module: Any) -> None:
        self.module = module
        self._owner: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def owner(self, node: Node) -> str | None:
        """Dotted name of the innermost submodule whose forward created `node` (None: outside any)."""
        return self._owner.get(node)

    def _claim(self, name: str, inputs: list[Tensor], outputs: list[Tensor]) -> None:
        """Attribute to `name` every unclaimed node between the call's inputs and outputs; nodes of
        its own submodules (already claimed, since they return first) are walked through."""
        boundary = {id(t.grad_fn) for t in inputs if t.grad_fn is not None}
        stack = [t.grad_fn for t in outputs if t.grad_fn is not None]
        seen: set[int] = set()
        while stack:
            node = stack.pop()
            if id(node) in seen or id(node) in boundary:
                continue
            seen.add(id(node))
            owner = self._owner.get(node)
            if owner is None:
                self._owner[node] = name
            elif owner != name and not owner.startswith(name + "."):
                continue
            stack.extend(p for p in node.parents if isinstance(p, Node))


def _tensors_in(value: Any) -> list[Tensor]:
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [t for item in value for t in _tensors_in(item)]
    return []


def _traced_forward(forward: Any, name: str, trace: ModuleTrace) -> Any:
    def forward_and_record(*args: Any, **kwargs: Any) -> Any:
        out = forward(*args, **kwargs)
        trace._claim(name, _tensors_in((args, kwargs)), _tensors_in(out))
        return out

    return forward_and_record


@contextmanager
def trace_modules(module: Any) -> Iterator[ModuleTrace]:
    """Record, while the block runs, which submodule of `module` created each op, so that
    `draw_graph(loss, trace=trace)` clusters every op (activations included) exactly by module."""
    _check_module(module)
    trace = ModuleTrace(module)
    patched = []
    try:
        for name, sub in module.named_modules():
            if name:
                patched.append((sub, sub.__dict__.get("forward")))
                object.__setattr__(sub, "forward", _traced_forward(sub.forward, name, trace))
        yield trace
    finally:
        for sub, original in patched:
            if original is None:
                del sub.__dict__["forward"]
            else:
                object.__setattr__(sub, "forward", original)


def _check_module(module: Any) -> None:
    if not (hasattr(module, "named_parameters") and hasattr(module, "named_modules")):
        raise TypeError(
            f"draw_graph: module= must be a Module (with named_parameters() and named_modules()), "
            f"got {type(module).__name__}"
        )


# ----------------------------------------------------------------------------------------------
# walking the graph


def walk_graph(roots: list[Tensor], known: Sequence[Tensor]) -> GraphWalk:
    """Every op and leaf reachable from `roots`, breadth-first, with the tensors known for them."""
    walk = GraphWalk(roots)
    queue: deque[Node] = deque()
    for tensor in known:
        if tensor.grad_fn is not None:
            walk.outputs.setdefault(id(tensor.grad_fn), tensor)
    for root in roots:
        target = root.grad_fn if root.grad_fn is not None else root
        if root.grad_fn is not None:
            walk.outputs.setdefault(id(root.grad_fn), root)
        if id(target) not in walk.depth:
            walk.depth[id(target)] = 0
            (walk.ops if isinstance(target, Node) else walk.leaves).append(target)
            if isinstance(target, Node):
                queue.append(target)
    while queue:
        node = queue.popleft()
        for value in node.saved_values:
            if isinstance(value, Tensor):
                if value.grad_fn is not None:
                    walk.outputs.setdefault(id(value.grad_fn), value)
                elif not value.requires_grad and all(c is not value for c in walk.consts.get(id(node), ())):
                    walk.consts.setdefault(id(node), []).append(value)
        depth = walk.depth[id(node)] + 1
        for parent in node.parents:
            if parent is None or id(parent) in walk.depth:
                continue
            walk.depth[id(parent)] = depth
            if isinstance(parent, Node):
                walk.ops.append(parent)
                queue.append(parent)
            else:
                walk.leaves.append(parent)
    return walk


def _side_pass_gradients(walk: GraphWalk) -> dict[int, np.ndarray] | None:
    """d(sum of roots)/d(every op output and leaf) from one extra backward pass that keeps the graph
    and leaves `.grad`, hooks and retain_grad untouched; None when the graph was already freed."""
    if not walk.ops or any(r.size != 1 or not r.requires_grad for r in walk.roots):
        return None
    if any(node.released for node in walk.ops):
        return None
    found = node_gradients(walk.roots, set(walk.ops))
    return {id(key): g._data for key, g in found.items()}


def _stored_gradients(walk: GraphWalk) -> dict[int, np.ndarray]:
    """The `.grad` of leaves and of intermediate tensors that retained theirs."""
    grads = {id(leaf): leaf._grad._data for leaf in walk.leaves if leaf._grad is not None}
    for key, tensor in walk.outputs.items():
        if tensor._grad is not None:
            grads[key] = tensor._grad._data
    return grads


# ----------------------------------------------------------------------------------------------
# module names and clusters


def _owners_from_parameters(walk: GraphWalk, param_module: dict[int, str]) -> dict[int, str]:
    """Without a trace: an op belongs to the module whose parameters it consumes, directly or
    through values computed from that module's parameters alone (`weight.T`, `bias.reshape(...)`).
    An input that needs no grad (data, constants) makes a value no longer "parameters alone", so
    the ops after `x @ weight.T` (activations, the next layer's input) are not pulled in."""
    pure: dict[int, str] = {}
    owners: dict[int, str] = {}
    for op in reversed(walk_order(walk.roots)):  # inputs first
        sources = [None if p is None else param_module.get(id(p)) if isinstance(p, Tensor) else pure.get(id(p))
                   for p in op.parents]
        owner = next((m for m in sources if m is not None), None)
        if owner is None:
            continue
        owners[id(op)] = owner
        if all(m == owner for m in sources):
            pure[id(op)] = owner
    return owners


def module_names(module: Any) -> tuple[dict[int, str], dict[int, str], dict[str, str]]:
    """From `module=` (or None): id(parameter) -> its name (`fc1.weight`), id(parameter) -> its
    module's name (`fc1`), and submodule name -> class name (`Linear`)."""
    if module is None:
        return {}, {}, {}
    _check_module(module)
    names: dict[int, str] = {}
    param_module: dict[int, str] = {}
    for name, param in module.named_parameters():
        names[id(param)] = name
        param_module[id(param)] = name.rpartition(".")[0]
    return names, param_module, {name: type(sub).__name__ for name, sub in module.named_modules() if name}


def op_owners(walk: GraphWalk, trace: ModuleTrace | None, param_module: dict[int, str]) -> dict[int, str]:
    """id(op) -> the module whose box it is drawn in: exactly from a trace, else from parameters."""
    if trace is not None:
        return {id(op): trace.owner(op) for op in walk.ops if trace.owner(op)}
    return _owners_from_parameters(walk, param_module)


def _repeated_blocks(walk: GraphWalk, owners: dict[int, str], classes: dict[str, str]) -> list[list[str]]:
    """Runs of 3 or more consecutive numbered sibling modules (`layers.0`, `layers.1`, ...) of one
    class whose ops are the same; each run's inner members, to be drawn as one box."""
    signature: dict[str, list[str]] = {}
    for op in walk.ops:
        name = owners.get(id(op))
        while name:
            signature.setdefault(name, []).append(op.name())
            name = name.rpartition(".")[0]
    siblings: dict[str, list[tuple[int, str]]] = {}
    for name in classes:
        parent, _, last = name.rpartition(".")
        if last.isdigit() and name in signature:
            siblings.setdefault(parent, []).append((int(last), name))
    groups = []
    for members in siblings.values():
        members.sort()
        run = [members[0]]
        for index, name in members[1:] + [(-1, "")]:
            prev_index, prev = run[-1]
            if name and index == prev_index + 1 and classes[name] == classes[prev] and signature[name] == signature[prev]:
                run.append((index, name))
                continue
            if len(run) >= 3:
                groups.append([n for _, n in run[1:-1]])
            run = [(index, name)]
    return groups


# ----------------------------------------------------------------------------------------------
# public entry point


def _resolve_highlight(highlight: Any, walk: GraphWalk, names: dict[int, str]) -> set[int]:
    """Ids of every graph object on a path from the highlighted inputs to the roots."""
    targets = highlight if isinstance(highlight, (list, tuple)) else [highlight]
    by_name: dict[str, int] = {}
    for tensor in walk.leaves + list(walk.outputs.values()):
        name = names.get(id(tensor)) or tensor.name
        if name:
            by_name.setdefault(name, id(tensor) if tensor.grad_fn is None else id(tensor.grad_fn))
    sources = []
    for target in targets:
        if isinstance(target, str):
            if target not in by_name:
                raise ValueError(
                    f"draw_graph: highlight={target!r} names no tensor of the graph; known names: "
                    f"{', '.join(sorted(by_name)) or 'none (name tensors with .name or pass module=)'}"
                )
            sources.append(by_name[target])
        elif isinstance(target, Tensor):
            key = id(target.grad_fn) if target.grad_fn is not None else id(target)
            if key not in walk.depth:
                raise ValueError(
                    f"draw_graph: the highlighted tensor of shape {target.shape} is not part of the graph of "
                    "the roots (is it an input that does not require grad?)"
                )
            sources.append(key)
        else:
            raise TypeError(f"draw_graph: highlight takes tensors or tensor names, got {type(target).__name__}")
    consumers: dict[int, list[Node]] = {}
    for op in walk.ops:
        for parent in op.parents:
            if parent is not None:
                consumers.setdefault(id(parent), []).append(op)
    reached, stack = set(sources), list(sources)
    while stack:
        for op in consumers.get(stack.pop(), ()):
            if id(op) not in reached:
                reached.add(id(op))
                stack.append(id(op))
    return reached


def draw_graph(
    roots: Tensor | Sequence[Tensor],
    module: Any = None,
    *,
    trace: ModuleTrace | None = None,
    tensors: Sequence[Tensor] = (),
    view: str = "forward",
    show_data: bool = False,
    show_grad: bool = False,
    show_saved: bool = True,
    color_by_grad: bool = False,
    grad_range: tuple[float, float] = (1e-8, 1e2),
    max_depth: int | None = None,
    collapse: Sequence[str] = (),
    collapse_repeats: bool = False,
    cluster: bool = True,
    rankdir: str = "TB",
    highlight: Any = None,
    compact: bool = False,
    max_elements: int = 16,
    notes: dict | None = None,
) -> GraphDrawing:
    """Draw the graph that produced `roots` (a tensor or a list of tensors).

    `view="forward"` shows tensors and ops, `"backward"` the backward nodes with their saved values.
    `module=` names parameters (`fc1.weight`) and clusters ops by submodule (exactly when the
    forward ran inside `trace_modules(module)` and `trace=` is given); `tensors=` lists intermediate
    tensors you hold (their names, values and gradients are shown). `notes` adds text: lines under a
    node (key: a Node or leaf Tensor) or a label on an edge (key: a (input, Node) pair), as
    `tg.explain(...).draw()` does. See docs/graphs.md.
    """
    roots = [roots] if isinstance(roots, Tensor) else list(roots)
    if not roots or not all(isinstance(r, Tensor) for r in roots):
        raise TypeError("draw_graph: roots must be a Tensor or a non-empty sequence of Tensors")
    if view not in VIEWS:
        raise ValueError(f"draw_graph: view must be 'forward' or 'backward', got {view!r}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw_graph: rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    if max_depth is not None and (not isinstance(max_depth, int) or max_depth < 0):
        raise ValueError(f"draw_graph: max_depth must be None or an int >= 0, got {max_depth!r}")
    low, high = grad_range
    if not 0 < low < high:
        raise ValueError(f"draw_graph: grad_range must be (low, high) with 0 < low < high, got {grad_range!r}")
    if module is None and trace is not None:
        module = trace.module
    names, param_module, classes = module_names(module)
    unknown = [name for name in collapse if name not in classes]
    if unknown:
        raise ValueError(
            f"draw_graph: collapse={unknown} names no submodule of module=; submodules: "
            f"{', '.join(classes) or 'none (pass module=)'}"
        )

    walk = walk_graph(roots, tensors)
    grads: dict[int, np.ndarray] = {}
    if show_grad or color_by_grad:
        side = _side_pass_gradients(walk)
        grads = side if side is not None else _stored_gradients(walk)
    owners: dict[int, str] = {}
    if module is not None and cluster:
        owners = op_owners(walk, trace, param_module)
    else:
        param_module = {key: "" for key in param_module}
    groups = [[name] for name in collapse]
    if collapse_repeats and owners:
        groups += _repeated_blocks(walk, owners, classes)
    highlighted = _resolve_highlight(highlight, walk, names) if highlight is not None else set()

    opts = DrawOptions(view, show_data, show_grad, show_saved, color_by_grad, (float(low), float(high)), max_depth,
                    compact, max_elements)
    builder = DotBuilder(walk, opts, names, owners, param_module, grads, highlighted, notes)
    builder.forward() if view == "forward" else builder.backward()
    return GraphDrawing(builder.finish(rankdir, classes, groups))
