"""Drawing the autograd graph: `draw_graph(loss)` returns DOT text and images of the forward graph
(tensors and ops) or the backward graph (backward nodes with their saved tensors).

Nodes never reference their output tensors, so intermediate tensors are described by their node
(shape, dtype) and, when the engine kept it, the tensor or array itself (saved for backward).
"""

from __future__ import annotations

import html
import math
import weakref
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import numpy as np

from ._render import GraphDrawing, RendererNotFoundError, find_renderer
from .autograd import Node, Tensor, node_gradients
from .autograd.function import OUTPUT

if TYPE_CHECKING:
    import graphviz

__all__ = ["draw_graph", "trace_modules", "ModuleTrace", "GraphDrawing", "RendererNotFoundError", "find_renderer",
           "add_graph_arguments", "run_graph_command"]

_VIEWS = ("forward", "backward")
_RANKDIRS = ("TB", "LR", "BT", "RL")
_COLOURS = {"op": "#fff2cc", "tensor": "#ffffff", "param": "#cfe2ff", "leaf": "#dbeafe", "const": "#eeeeee",
            "root": "#c8f0c8", "saved": "#ffdcb5", "more": "#f4f4f4", "group": "#e8e0f8"}
_HIGHLIGHT = "#d62728"
_GRAD_STOPS = ((0.0, (27, 31, 94)), (0.25, (47, 111, 214)), (0.5, (43, 179, 163)), (0.75, (242, 201, 76)),
               (1.0, (215, 48, 31)))
_ZERO_GRAD, _BAD_GRAD = "#9e9e9e", "#ff00ff"
_HIDDEN_ARGS = {"in_shape", "in_size", "sizes", "repeats", "in_dtype", "crop", "index", "kernel_size", "stride",
                "dilation", "batch_columns"}


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


@dataclass
class _Walk:
    """Everything reachable from the roots, in breadth-first order from the roots."""

    roots: list[Tensor]
    ops: list[Node] = field(default_factory=list)
    leaves: list[Tensor] = field(default_factory=list)
    depth: dict[int, int] = field(default_factory=dict)  # id -> ops between it and a root
    outputs: dict[int, Tensor] = field(default_factory=dict)  # id(node) -> its output tensor, when known
    consts: dict[int, list[Tensor]] = field(default_factory=dict)  # id(node) -> inputs needing no grad


def _walk(roots: list[Tensor], known: Sequence[Tensor]) -> _Walk:
    walk = _Walk(roots)
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


def _side_pass_gradients(walk: _Walk) -> dict[int, np.ndarray] | None:
    """d(sum of roots)/d(every op output and leaf) from one extra backward pass that keeps the graph
    and leaves `.grad`, hooks and retain_grad untouched; None when the graph was already freed."""
    if not walk.ops or any(r.size != 1 or not r.requires_grad for r in walk.roots):
        return None
    if any(node.released for node in walk.ops):
        return None
    found = node_gradients(walk.roots, set(walk.ops))
    return {id(key): g.data for key, g in found.items()}


def _stored_gradients(walk: _Walk) -> dict[int, np.ndarray]:
    """The `.grad` of leaves and of intermediate tensors that retained theirs."""
    grads = {id(leaf): leaf.grad.data for leaf in walk.leaves if leaf.grad is not None}
    for key, tensor in walk.outputs.items():
        if tensor.grad is not None:
            grads[key] = tensor.grad.data
    return grads


# ----------------------------------------------------------------------------------------------
# labels


def _fmt_shape(shape: tuple) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _fmt_value(value: Any) -> str:
    if isinstance(value, slice):
        parts = ["" if v is None else str(v) for v in (value.start, value.stop, value.step)]
        return ":".join(parts[:2] if value.step is None else parts)
    if isinstance(value, np.ndarray):
        return f"array{_fmt_shape(value.shape)}"
    if isinstance(value, Tensor):
        return f"tensor{_fmt_shape(value.shape)}"
    if value is Ellipsis:
        return "..."
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _op_arguments(node: Node) -> list[str]:
    """The key arguments of an op, as shown under its name (axis, kernel/stride, index, ...)."""
    args = node.metadata
    lines = []
    if "kernel_size" in args:
        line = f"kernel={args['kernel_size']}" + (f" stride={args['stride']}" if "stride" in args else "")
        dilation = args.get("dilation", (1, 1))
        lines.append(line + (f" dilation={dilation}" if tuple(dilation) != (1, 1) else ""))
    if "crop" in args:
        lines.append("pad before=" + _fmt_value(tuple(s.start for s in args["crop"])))
    if "index" in args:
        index = args["index"] if isinstance(args["index"], tuple) else (args["index"],)
        lines.append("index=[" + ", ".join("None" if v is None else _fmt_value(v) for v in index) + "]")
    for key, value in args.items():
        if key.startswith("_") or key in _HIDDEN_ARGS or value is False:
            continue
        lines.append(f"{key}={_fmt_value(value)}")
    return lines


def _describe(values: np.ndarray, what: str, max_elements: int) -> list[str]:
    """Small arrays in full (like micrograd), larger ones as mean/std/min/max/norm."""
    values = np.asarray(values)
    if values.size <= max_elements:
        text = np.array2string(values, precision=4, separator=", ", max_line_width=48, threshold=max_elements,
                               floatmode="fixed")
        lines = text.splitlines()
        return [f"{what} {lines[0]}"] + lines[1:]
    v = values.astype(np.float64)
    return [f"{what} mean {v.mean():.4g} std {v.std():.4g}",
            f"min {v.min():.4g} max {v.max():.4g} norm {np.linalg.norm(v):.4g}"]


def _html(title: str, lines: list[str]) -> str:
    parts = ([f"<b>{html.escape(title)}</b>"] if title else []) + [html.escape(line) for line in lines]
    return "<" + "<br/>".join(parts) + ">"


def _quote(value: str) -> str:
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


@lru_cache(maxsize=256)
def _attr_list(items: tuple[tuple[str, str], ...]) -> str:
    """DOT attributes `a="x" b="y"` (cached: a few attribute sets recur on thousands of nodes)."""
    return " ".join(f"{name}={_quote(value)}" for name, value in items)


def _grad_rms(g: np.ndarray) -> float:
    g = np.asarray(g, dtype=np.float64)
    return float(np.sqrt(np.mean(g * g))) if g.size else 0.0


def _grad_colour(rms: float, low: float, high: float) -> tuple[str, str]:
    """Fill and font colour for a gradient RMS on the log scale from `low` to `high`."""
    if not math.isfinite(rms):
        return _BAD_GRAD, "white"
    if rms == 0.0:
        return _ZERO_GRAD, "black"
    t = (math.log10(rms) - math.log10(low)) / (math.log10(high) - math.log10(low))
    t = min(max(t, 0.0), 1.0)
    index = next(i for i, (t1, _) in enumerate(_GRAD_STOPS) if t <= t1 or i == len(_GRAD_STOPS) - 1)
    (t0, c0), (t1, c1) = _GRAD_STOPS[max(index - 1, 0)], _GRAD_STOPS[index]
    w = (t - t0) / (t1 - t0) if t1 > t0 else 1.0
    rgb = [round(a + (b - a) * w) for a, b in zip(c0, c1)]
    return "#{:02x}{:02x}{:02x}".format(*rgb), ("white" if t < 0.4 else "black")


# ----------------------------------------------------------------------------------------------
# module names and clusters


def _topological(ops: list[Node]) -> list[Node]:
    """The ops ordered inputs-first (every parent before its consumers)."""
    waiting = {id(op): sum(isinstance(p, Node) for p in op.parents) for op in ops}
    consumers: dict[int, list[Node]] = {}
    for op in ops:
        for parent in op.parents:
            if isinstance(parent, Node):
                consumers.setdefault(id(parent), []).append(op)
    ready = [op for op in ops if waiting[id(op)] == 0]
    order = []
    while ready:
        op = ready.pop()
        order.append(op)
        for consumer in consumers.get(id(op), ()):
            waiting[id(consumer)] -= 1
            if waiting[id(consumer)] == 0:
                ready.append(consumer)
    return order


def _owners_from_parameters(walk: _Walk, param_module: dict[int, str]) -> dict[int, str]:
    """Without a trace: an op belongs to a module when it consumes that module's parameters, or
    values computed from them alone (e.g. `weight.T`, `bias.reshape(...)`)."""
    pure: dict[int, str] = {}
    owners: dict[int, str] = {}
    for op in _topological(walk.ops):
        found = [param_module.get(id(p)) if isinstance(p, Tensor) else pure.get(id(p))
                 for p in op.parents if p is not None]
        if found and found[0] is not None and all(m == found[0] for m in found):
            pure[id(op)] = found[0]
        owner = next((m for m in found if m is not None), None)
        if owner is not None:
            owners[id(op)] = owner
    return owners


def _repeated_blocks(walk: _Walk, owners: dict[int, str], classes: dict[str, str]) -> list[list[str]]:
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
# building the DOT graph


@dataclass
class _Options:
    view: str
    show_data: bool
    show_grad: bool
    show_saved: bool
    color_by_grad: bool
    grad_range: tuple[float, float]
    max_depth: int | None
    compact: bool
    max_elements: int


class _Builder:
    """Collects nodes and edges (with their module cluster and the graph object they stand for),
    then merges collapsed groups and writes a graphviz.Digraph."""

    def __init__(self, walk: _Walk, opts: _Options, names: dict[int, str], owners: dict[int, str],
                 param_module: dict[int, str], grads: dict[int, np.ndarray], highlighted: set[int]) -> None:
        self.walk, self.opts, self.names, self.grads, self.highlighted = walk, opts, names, grads, highlighted
        self.owners, self.param_module = owners, param_module
        self.nodes: dict[str, dict] = {}
        self.edges: list[tuple[str, str, dict]] = []
        self.op_index = {id(op): k for k, op in enumerate(walk.ops)}
        self.root_ids = {id(r.grad_fn if r.grad_fn is not None else r) for r in walk.roots}
        self.hidden_ops = 0

    # -- helpers -------------------------------------------------------------------------------

    def shown(self, obj: Any) -> bool:
        limit = self.opts.max_depth
        if limit is None:
            return True
        return self.walk.depth[id(obj)] <= (limit if isinstance(obj, Node) else limit + 1)

    def node(self, key: str, title: str, lines: list[str], kind: str, obj: Any = None, cluster: str | None = None,
             grad_key: int | None = None, **attrs: str) -> None:
        attrs.setdefault("fillcolor", _COLOURS[kind])
        if grad_key is not None and self.opts.color_by_grad and grad_key in self.grads:
            attrs["fillcolor"], attrs["fontcolor"] = _grad_colour(_grad_rms(self.grads[grad_key]), *self.opts.grad_range)
        if obj is not None and id(obj) in self.root_ids:
            attrs.update(color="#2e8b57", penwidth="2.5")
        if obj is not None and id(obj) in self.highlighted:
            attrs.update(color=_HIGHLIGHT, penwidth="3")
        self.nodes[key] = {"label": _html(title, lines), "attrs": attrs, "cluster": cluster}

    def edge(self, src: str, dst: str, src_obj: Any = None, dst_obj: Any = None, **attrs: str) -> None:
        if src_obj is not None and dst_obj is not None and id(src_obj) in self.highlighted \
                and id(dst_obj) in self.highlighted:
            attrs.update(color=_HIGHLIGHT, penwidth="2.5")
        self.edges.append((src, dst, attrs))

    def name_of(self, tensor: Tensor | None) -> str | None:
        if tensor is None:
            return None
        return self.names.get(id(tensor)) or tensor.name

    def values(self, data: np.ndarray | None, grad_key: int) -> list[str]:
        lines = []
        if self.opts.show_data and data is not None:
            lines += _describe(data, "data", self.opts.max_elements)
        if self.opts.show_grad:
            g = self.grads.get(grad_key)
            lines += _describe(g, "grad", self.opts.max_elements) if g is not None else ["grad None"]
        return lines

    def output_data(self, op: Node) -> np.ndarray | None:
        tensor = self.walk.outputs.get(id(op))
        if tensor is not None:
            return tensor.data
        return op.output_array

    # -- the two views -------------------------------------------------------------------------

    def leaf(self, leaf: Tensor, j: int) -> str:
        key = f"leaf{j}"
        name = self.name_of(leaf)
        is_param = id(leaf) in self.param_module
        lines = [f"{_fmt_shape(leaf.shape)} {leaf.dtype}", f"requires_grad={leaf.requires_grad}"]
        self.node(key, name or f"tensor #{j}", lines + self.values(leaf.data, id(leaf)),
                  "param" if is_param else "leaf", obj=leaf, cluster=self.param_module.get(id(leaf)) or None,
                  grad_key=id(leaf))
        return key

    def op_lines(self, op: Node) -> list[str]:
        lines = _op_arguments(op)
        known = len(self.walk.consts.get(id(op), ())) if self.opts.view == "forward" else 0
        anonymous = sum(p is None for p in op.parents) - known
        if anonymous > 0 and self.opts.view == "forward":
            lines.append(f"+ {anonymous} constant input" + ("s" if anonymous > 1 else ""))
        return lines

    def forward(self) -> None:
        out_key: dict[int, str] = {}
        for k, op in enumerate(self.walk.ops):
            if self.shown(op):
                out_key[id(op)] = f"op{k}" if self.opts.compact else f"t{k}"
            else:
                self.hidden_ops += 1
        for j, leaf in enumerate(self.walk.leaves):
            if self.shown(leaf):
                out_key[id(leaf)] = self.leaf(leaf, j)
        const_count = 0
        for k, op in enumerate(self.walk.ops):
            if not self.shown(op):
                continue
            cluster = self.owners.get(id(op)) or None
            out = self.walk.outputs.get(id(op))
            described = [f"{_fmt_shape(op.shape)} {op.dtype}"] + self.values(self.output_data(op), id(op))
            if self.opts.compact:
                named = [f"-> {self.name_of(out)}"] if self.name_of(out) else []
                self.node(f"op{k}", op.name(), self.op_lines(op) + named + described, "op", obj=op,
                          cluster=cluster, grad_key=id(op))
            else:
                self.node(f"op{k}", op.name(), self.op_lines(op), "op", obj=op, cluster=cluster)
                title = self.name_of(out) or ("output" if id(op) in self.root_ids else "")
                self.node(f"t{k}", title, described, "tensor", obj=op, cluster=cluster, grad_key=id(op),
                          shape="box", style="filled")
                self.edge(f"op{k}", f"t{k}", op, op)
            for parent in op.parents:
                if parent is not None:
                    self.edge(out_key.get(id(parent), "more"), f"op{k}", parent, op)
            for const in self.walk.consts.get(id(op), ()):
                key = f"c{const_count}"
                const_count += 1
                lines = [f"{_fmt_shape(const.shape)} {const.dtype}", "requires_grad=False"]
                data = _describe(const.data, "data", self.opts.max_elements) if self.opts.show_data else []
                self.node(key, self.name_of(const) or "input", lines + data, "const")
                self.edge(key, f"op{k}")

    def backward(self) -> None:
        node_key: dict[int, str] = {}
        for k, op in enumerate(self.walk.ops):
            if self.shown(op):
                node_key[id(op)] = f"op{k}"
            else:
                self.hidden_ops += 1
        for j, leaf in enumerate(self.walk.leaves):
            if self.shown(leaf):
                node_key[id(leaf)] = self.leaf(leaf, j)
        for i, root in enumerate(self.walk.roots):
            if root.grad_fn is not None:
                lines = [f"{_fmt_shape(root.shape)} {root.dtype}"] + self.values(root.data, id(root.grad_fn))
                self.node(f"root{i}", self.name_of(root) or "output", lines, "root")
                self.edge(f"root{i}", node_key[id(root.grad_fn)])
        for k, op in enumerate(self.walk.ops):
            if not self.shown(op):
                continue
            cluster = self.owners.get(id(op)) or None
            lines = self.op_lines(op) + (["saved values freed"] if op.released else [])
            if self.opts.show_grad:
                lines += self.values(None, id(op))
            self.node(f"op{k}", f"{op.name()}Backward", lines, "op", obj=op, cluster=cluster, grad_key=id(op))
            for parent in op.parents:
                if parent is not None:
                    self.edge(f"op{k}", node_key.get(id(parent), "more"), op, parent)
            if self.opts.show_saved:
                for i, value in enumerate(op.saved_values):
                    self.saved(op, k, i, value, cluster, node_key)

    def saved(self, op: Node, k: int, i: int, value: Any, cluster: str | None, node_key: dict[int, str]) -> None:
        style = {"style": "dashed", "color": "#e08a2c", "arrowhead": "none"}
        if isinstance(value, Tensor) and id(value) in node_key:
            self.edge(node_key[id(value)], f"op{k}", **style)
            return
        if value is OUTPUT:
            title, lines = "saved output", [f"{_fmt_shape(op.shape)} {op.dtype}"]
        elif isinstance(value, Tensor):
            title = "saved input" if value.requires_grad else "saved input (no grad)"
            lines = ([self.name_of(value)] if self.name_of(value) else []) + [f"{_fmt_shape(value.shape)} {value.dtype}"]
        elif isinstance(value, np.ndarray):
            title, lines = "saved array", [f"{_fmt_shape(value.shape)} {value.dtype}"]
        else:
            title, lines = "saved value", [_fmt_value(value)]
        self.node(f"s{k}_{i}", title, lines, "saved", cluster=cluster, shape="box", style="filled,dashed")
        self.edge(f"s{k}_{i}", f"op{k}", **style)

    # -- output --------------------------------------------------------------------------------

    def finish(self, rankdir: str, classes: dict[str, str], groups: list[list[str]]) -> graphviz.Digraph:
        if self.hidden_ops:
            leaves = sum(1 for leaf in self.walk.leaves if not self.shown(leaf))
            text = [f"{self.hidden_ops} more op" + ("s" if self.hidden_ops != 1 else "")]
            text += [f"{leaves} more lea" + ("ves" if leaves != 1 else "f")] if leaves else []
            self.node("more", "...", text + [f"(max_depth={self.opts.max_depth})"], "more", style="filled,dashed")
        import graphviz  # imported here so that `import tinygrad_edu` needs only NumPy

        replace = self.merge_groups(groups, classes)
        graph = graphviz.Digraph(
            "computation_graph",
            graph_attr={"rankdir": rankdir, "fontname": "Helvetica", "fontsize": "11", "nodesep": "0.25",
                        "ranksep": "0.35"},
            node_attr={"fontname": "Helvetica", "fontsize": "10", "shape": "box", "style": "rounded,filled",
                       "margin": "0.08,0.04"},
            edge_attr={"arrowsize": "0.7", "color": "#555555"},
        )
        if self.opts.color_by_grad:
            graph.node("legend", self.legend(), shape="plaintext", style="")
        by_cluster: dict[str | None, list[str]] = {}
        for key, spec in self.nodes.items():
            by_cluster.setdefault(spec["cluster"], []).append(key)
        children = self.cluster_tree(set(by_cluster) - {None}, classes)
        self.emit(graph, None, by_cluster, children, classes)
        seen = set()
        for src, dst, attrs in self.edges:
            src, dst = replace.get(src, src), replace.get(dst, dst)
            if src == dst or (src, dst) in seen:
                continue
            seen.add((src, dst))
            graph.body.append(f"\t{src} -> {dst} [{_attr_list(tuple(attrs.items()))}]\n" if attrs
                              else f"\t{src} -> {dst}\n")
        return graph

    def merge_groups(self, groups: list[list[str]], classes: dict[str, str]) -> dict[str, str]:
        """Replace the nodes of each collapsed group of modules by one box; returns old -> new key."""
        replace: dict[str, str] = {}
        for g, members in enumerate(groups):
            inside = [key for key, spec in self.nodes.items() if spec["cluster"] is not None and any(
                spec["cluster"] == m or spec["cluster"].startswith(m + ".") for m in members)]
            if not inside:
                continue
            ops = sum(1 for key in inside if key.startswith("op"))
            kinds = sorted({classes.get(m, "Module") for m in members})
            title = members[0] if len(members) == 1 else f"{members[0]} ... {members[-1]}"
            lines = [f"{len(members)} x {'/'.join(kinds)} collapsed", f"{ops} op" + ("s" if ops != 1 else "")]
            parent = members[0].rpartition(".")[0]
            for key in inside:
                replace[key] = f"group{g}"
                del self.nodes[key]
            self.nodes[f"group{g}"] = {"label": _html(title, lines), "cluster": parent or None,
                                       "attrs": {"fillcolor": _COLOURS["group"], "style": "filled,bold"}}
        return replace

    @staticmethod
    def cluster_tree(used: set[str], classes: dict[str, str]) -> dict[str | None, list[str]]:
        """Parent -> child clusters, adding the enclosing modules of every used cluster."""
        names = set(used)
        for name in used:
            while "." in name:
                name = name.rpartition(".")[0]
                if name in classes:
                    names.add(name)
        children: dict[str | None, list[str]] = {}
        for name in sorted(names):
            parent = name
            while "." in parent:
                parent = parent.rpartition(".")[0]
                if parent in names:
                    break
            else:
                parent = None
            children.setdefault(parent, []).append(name)
        return children

    def emit(self, container: Any, cluster: str | None, by_cluster: dict, children: dict, classes: dict) -> None:
        for key in by_cluster.get(cluster, ()):
            spec = self.nodes[key]
            container.body.append(f"\t{key} [label={spec['label']} {_attr_list(tuple(spec['attrs'].items()))}]\n")
        for child in children.get(cluster, ()):
            with container.subgraph(name=f"cluster_{child}") as sub:
                label = f"{child}: {classes[child]}" if child in classes else child
                sub.attr(label=label, style="rounded,dashed", color="#7a7a7a", fontcolor="#333333", fontsize="11")
                self.emit(sub, child, by_cluster, children, classes)

    def legend(self) -> str:
        low, high = self.opts.grad_range
        exponents = list(range(math.ceil(math.log10(low)), math.floor(math.log10(high)) + 1))
        step = max(1, math.ceil(len(exponents) / 6))
        cells = []
        for e in exponents[::step]:
            fill, font = _grad_colour(10.0 ** e, low, high)
            cells.append(f'<td bgcolor="{fill}"><font color="{font}">1e{e:+d}</font></td>')
        cells.append(f'<td bgcolor="{_ZERO_GRAD}">0</td>')
        cells.append(f'<td bgcolor="{_BAD_GRAD}"><font color="white">nan/inf</font></td>')
        return ('<<table border="0" cellborder="1" cellspacing="0" cellpadding="3">'
                f'<tr><td colspan="{len(cells)}"><b>gradient RMS (log scale)</b></td></tr>'
                f'<tr>{"".join(cells)}</tr></table>>')


# ----------------------------------------------------------------------------------------------
# public entry point


def _resolve_highlight(highlight: Any, walk: _Walk, names: dict[int, str]) -> set[int]:
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
) -> GraphDrawing:
    """Draw the graph that produced `roots` (a tensor or a list of tensors).

    `view="forward"` shows tensors and ops, `"backward"` the backward nodes with their saved values.
    `module=` names parameters (`fc1.weight`) and clusters ops by submodule (exactly when the
    forward ran inside `trace_modules(module)` and `trace=` is given); `tensors=` lists intermediate
    tensors you hold (their names, values and gradients are shown). See docs/graphs.md.
    """
    roots = [roots] if isinstance(roots, Tensor) else list(roots)
    if not roots or not all(isinstance(r, Tensor) for r in roots):
        raise TypeError("draw_graph: roots must be a Tensor or a non-empty sequence of Tensors")
    if view not in _VIEWS:
        raise ValueError(f"draw_graph: view must be 'forward' or 'backward', got {view!r}")
    if rankdir not in _RANKDIRS:
        raise ValueError(f"draw_graph: rankdir must be one of {', '.join(_RANKDIRS)}, got {rankdir!r}")
    if max_depth is not None and (not isinstance(max_depth, int) or max_depth < 0):
        raise ValueError(f"draw_graph: max_depth must be None or an int >= 0, got {max_depth!r}")
    low, high = grad_range
    if not 0 < low < high:
        raise ValueError(f"draw_graph: grad_range must be (low, high) with 0 < low < high, got {grad_range!r}")
    if module is None and trace is not None:
        module = trace.module
    names: dict[int, str] = {}
    param_module: dict[int, str] = {}
    classes: dict[str, str] = {}
    if module is not None:
        _check_module(module)
        for name, param in module.named_parameters():
            names[id(param)] = name
            param_module[id(param)] = name.rpartition(".")[0]
        classes = {name: type(sub).__name__ for name, sub in module.named_modules() if name}
    unknown = [name for name in collapse if name not in classes]
    if unknown:
        raise ValueError(
            f"draw_graph: collapse={unknown} names no submodule of module=; submodules: "
            f"{', '.join(classes) or 'none (pass module=)'}"
        )

    walk = _walk(roots, tensors)
    grads: dict[int, np.ndarray] = {}
    if show_grad or color_by_grad:
        side = _side_pass_gradients(walk)
        grads = side if side is not None else _stored_gradients(walk)
    owners: dict[int, str] = {}
    if module is not None and cluster:
        if trace is not None:
            owners = {id(op): trace.owner(op) for op in walk.ops if trace.owner(op)}
        else:
            owners = _owners_from_parameters(walk, param_module)
    else:
        param_module = {key: "" for key in param_module}
    groups = [[name] for name in collapse]
    if collapse_repeats and owners:
        groups += _repeated_blocks(walk, owners, classes)
    highlighted = _resolve_highlight(highlight, walk, names) if highlight is not None else set()

    opts = _Options(view, show_data, show_grad, show_saved, color_by_grad, (float(low), float(high)), max_depth,
                    compact, max_elements)
    builder = _Builder(walk, opts, names, owners, param_module, grads, highlighted)
    builder.forward() if view == "forward" else builder.backward()
    return GraphDrawing(builder.finish(rankdir, classes, groups))


# ----------------------------------------------------------------------------------------------
# the `tinygrad-edu graph` command


def add_graph_arguments(parser: Any) -> None:
    """The options of `tinygrad-edu graph` (one flag per draw_graph view option)."""
    parser.add_argument("example", help="a built-in example (mlp, cnn, scalar) or path/to/file.py:function returning "
                                        "a tensor, a list of tensors or a (tensor, module) pair")
    parser.add_argument("-o", "--output", help="output file: .png, .svg, .pdf (system Graphviz only) or .dot; '-' "
                                               "prints the DOT text (default: EXAMPLE.png)")
    parser.add_argument("--view", choices=_VIEWS, default="forward",
                        help="forward: tensors and ops; backward: backward nodes and saved tensors (default forward)")
    parser.add_argument("--show-data", action="store_true", help="show tensor values (summaries for large ones)")
    parser.add_argument("--show-grad", action="store_true", help="show gradients (summaries for large ones)")
    parser.add_argument("--color-grad", action="store_true", help="colour nodes by gradient RMS on a log scale")
    parser.add_argument("--no-saved", action="store_true", help="backward view: hide saved tensors")
    parser.add_argument("--max-depth", type=int, metavar="N", help="draw only the N ops nearest the output")
    parser.add_argument("--rankdir", choices=_RANKDIRS, help="layout direction (default TB)")
    parser.add_argument("--highlight", action="append", metavar="NAME",
                        help="highlight the path from the tensor of this name (e.g. fc1.weight) to the output")
    parser.add_argument("--collapse", action="append", default=[], metavar="MODULE",
                        help="draw this submodule as one box (repeatable)")
    parser.add_argument("--collapse-repeats", action="store_true", help="collapse runs of identical numbered blocks")
    parser.add_argument("--no-clusters", action="store_true", help="do not group ops by module")
    parser.add_argument("--compact", action="store_true", help="draw each op and its output as one node")


def _load_user_function(spec: str) -> dict[str, Any]:
    """Run `path/to/file.py:function` and turn what it returns into draw_graph arguments."""
    import importlib.util
    from pathlib import Path

    path, _, function = spec.rpartition(":")
    if not path or not function:
        raise ValueError(f"graph: {spec!r} is neither a built-in example (mlp, cnn, scalar) nor path/to/file.py:function")
    if not Path(path).is_file():
        raise FileNotFoundError(f"graph: no such file {path!r} (from {spec!r})")
    loader_spec = importlib.util.spec_from_file_location(Path(path).stem, path)
    user_module = importlib.util.module_from_spec(loader_spec)
    loader_spec.loader.exec_module(user_module)
    if not callable(getattr(user_module, function, None)):
        raise AttributeError(f"graph: {path} has no function {function!r}")
    result = getattr(user_module, function)()
    if isinstance(result, tuple) and len(result) == 2 and hasattr(result[1], "named_parameters"):
        return {"roots": result[0], "module": result[1]}
    return {"roots": result}


def run_graph_command(args: Any) -> int:
    """`tinygrad-edu graph`: build the example, draw it with the chosen options and write the file."""
    import sys

    from ._graph_examples import EXAMPLES

    try:
        kwargs = EXAMPLES[args.example]() if args.example in EXAMPLES else _load_user_function(args.example)
    except (ValueError, FileNotFoundError, AttributeError) as err:
        print(err, file=sys.stderr)
        return 2
    kwargs["show_data"] = kwargs.get("show_data", False) or args.show_data
    kwargs["show_grad"] = kwargs.get("show_grad", False) or args.show_grad
    kwargs.update(view=args.view, color_by_grad=args.color_grad, show_saved=not args.no_saved,
                  max_depth=args.max_depth, highlight=args.highlight, collapse=args.collapse,
                  collapse_repeats=args.collapse_repeats, cluster=not args.no_clusters, compact=args.compact)
    if args.rankdir:
        kwargs["rankdir"] = args.rankdir
    try:
        drawing = draw_graph(kwargs.pop("roots"), **kwargs)
    except (ValueError, TypeError) as err:
        print(err, file=sys.stderr)
        return 2
    if args.output == "-":
        print(drawing.source)
        return 0
    output = args.output or (f"{args.example}.png" if args.example in EXAMPLES else "graph.png")
    try:
        written = drawing.render(output)
    except (RendererNotFoundError, ValueError, RuntimeError) as err:
        print(err, file=sys.stderr)
        return 1
    print(f"wrote {written}")
    return 0
