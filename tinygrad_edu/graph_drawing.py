"""How a walked graph becomes DOT: node labels (shapes, values, gradients), gradient colours, and
the builder that collects nodes, edges and module clusters for `draw_graph` (graph.py)."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from .autograd import Node, Tensor
from .autograd.function import OUTPUT

if TYPE_CHECKING:
    import graphviz

_COLOURS = {"op": "#fff2cc", "tensor": "#ffffff", "param": "#cfe2ff", "leaf": "#dbeafe", "const": "#eeeeee",
            "root": "#c8f0c8", "saved": "#ffdcb5", "more": "#f4f4f4", "group": "#e8e0f8"}
_HIGHLIGHT = "#d62728"
_GRAD_STOPS = ((0.0, (27, 31, 94)), (0.25, (47, 111, 214)), (0.5, (43, 179, 163)), (0.75, (242, 201, 76)),
               (1.0, (215, 48, 31)))
_ZERO_GRAD, _BAD_GRAD = "#9e9e9e", "#ff00ff"
FREED_NOTE = ("backward() already freed this graph: the gradients of its ops and what they saved are gone\n"
              "(leaves show their .grad). Draw before backward(), or call backward(retain_graph=True).")
_HIDDEN_ARGS = {"in_shape", "in_size", "sizes", "repeats", "in_dtype", "crop", "index", "kernel_size", "stride",
                "dilation", "batch_columns"}


@dataclass
class GraphWalk:
    """Everything reachable from the roots, in breadth-first order from the roots."""

    roots: list[Tensor]
    ops: list[Node] = field(default_factory=list)
    leaves: list[Tensor] = field(default_factory=list)
    depth: dict[int, int] = field(default_factory=dict)  # id -> ops between it and a root
    outputs: dict[int, Tensor] = field(default_factory=dict)  # id(node) -> its output tensor, when known
    consts: dict[int, list[Tensor]] = field(default_factory=dict)  # id(node) -> inputs needing no grad


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


def _unfolded_image(op: Node, const: Tensor) -> Tensor | None:
    """The input image whose im2col columns `const` are, when a convolution noted it (its input
    needed no grad, so no Unfold node was recorded)."""
    recorded = op.metadata.get("_im2col_of")
    return recorded[0] if recorded is not None and const is recorded[1] else None


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
# building the DOT graph


@dataclass
class DrawOptions:
    view: str
    show_data: bool
    show_grad: bool
    show_saved: bool
    color_by_grad: bool
    grad_range: tuple[float, float]
    max_depth: int | None
    compact: bool
    max_elements: int


class DotBuilder:
    """Collects nodes and edges (with their module cluster and the graph object they stand for),
    then merges collapsed groups and writes a graphviz.Digraph."""

    def __init__(self, walk: GraphWalk, opts: DrawOptions, names: dict[int, str], owners: dict[int, str],
                 param_module: dict[int, str], grads: dict[int, np.ndarray], highlighted: set[int],
                 notes: dict | None = None) -> None:
        self.walk, self.opts, self.names, self.grads, self.highlighted = walk, opts, names, grads, highlighted
        # extra text by id: a node's lines (key: Node or Tensor), an edge's label (key: (input, Node))
        self.notes = {(id(k[0]), id(k[1])) if isinstance(k, tuple) else id(k): v for k, v in (notes or {}).items()}
        self.owners, self.param_module = owners, param_module
        self.nodes: dict[str, dict] = {}
        self.edges: list[tuple[str, str, dict]] = []
        self.op_index = {id(op): k for k, op in enumerate(walk.ops)}
        self.root_ids = {id(r.grad_fn if r.grad_fn is not None else r) for r in walk.roots}
        self.hidden_ops = 0
        self.freed = any(op.released for op in walk.ops)  # a backward() without retain_graph ran
        self.beside: list[tuple[str, str]] = []  # (saved box, its node): drawn side by side

    # -- helpers -------------------------------------------------------------------------------

    def shown(self, obj: Any) -> bool:
        limit = self.opts.max_depth
        if limit is None:
            return True
        return self.walk.depth[id(obj)] <= (limit if isinstance(obj, Node) else limit + 1)

    def node(self, key: str, title: str, lines: list[str], kind: str, obj: Any = None, cluster: str | None = None,
             grad_key: int | None = None, **attrs: str) -> None:
        attrs.setdefault("fillcolor", _COLOURS[kind])
        note = self.notes.get(id(obj)) if obj is not None and kind != "tensor" else None
        lines = lines + ([note] if isinstance(note, str) else list(note or []))
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
        note = self.notes.get((id(src_obj), id(dst_obj))) or self.notes.get((id(dst_obj), id(src_obj)))
        if note and src_obj is not dst_obj:
            attrs.update(label=note, fontname="Helvetica", fontsize="9")
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
            if g is not None:
                lines += _describe(g, "grad", self.opts.max_elements)
            else:
                lines.append("grad freed by backward()" if self.freed and grad_key in self.op_index else "grad None")
        return lines

    def output_data(self, op: Node) -> np.ndarray | None:
        tensor = self.walk.outputs.get(id(op))
        if tensor is not None:
            return tensor._data
        return op.output_array

    # -- the two views -------------------------------------------------------------------------

    def leaf(self, leaf: Tensor, j: int) -> str:
        key = f"leaf{j}"
        name = self.name_of(leaf)
        is_param = id(leaf) in self.param_module
        lines = [f"{_fmt_shape(leaf.shape)} {leaf.dtype}", f"requires_grad={leaf.requires_grad}"]
        self.node(key, name or f"tensor #{j}", lines + self.values(leaf._data, id(leaf)),
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
                image = _unfolded_image(op, const)
                if image is None:
                    self.const_node(key, const, self.name_of(const) or "input")
                    self.edge(key, f"op{k}")
                else:
                    self.unrecorded_unfold(key, image, const, op, k, cluster)

    def const_node(self, key: str, const: Tensor, title: str) -> None:
        lines = [f"{_fmt_shape(const.shape)} {const.dtype}", "requires_grad=False"]
        data = _describe(const._data, "data", self.opts.max_elements) if self.opts.show_data else []
        self.node(key, title, lines + data, "const")

    def unrecorded_unfold(self, key: str, image: Tensor, columns: Tensor, op: Node, k: int,
                          cluster: str | None) -> None:
        """A convolution whose input needs no grad: draw that input and its im2col step, which the
        graph did not record, instead of an anonymous columns matrix."""
        self.const_node(key, image, self.name_of(image) or "input")
        arguments = op.metadata["_im2col_of"][2]
        lines = [f"kernel={arguments['kernel_size']} stride={arguments['stride']}"]
        lines += [f"padding={_fmt_value(arguments['padding'])}"] if arguments["padding"] not in (0, (0, 0)) else []
        lines += [f"dilation={arguments['dilation']}"] if tuple(arguments["dilation"]) != (1, 1) else []
        lines += ["not recorded: its input needs no grad"]
        if self.opts.compact:
            lines.append(f"{_fmt_shape(columns.shape)} {columns.dtype}")
        self.node(f"{key}u", "Unfold (im2col)", lines, "const", cluster=cluster, style="rounded,filled,dashed")
        self.edge(key, f"{key}u")
        if self.opts.compact:
            self.edge(f"{key}u", f"op{k}")
            return
        self.node(f"{key}t", "columns", [f"{_fmt_shape(columns.shape)} {columns.dtype}"], "const", cluster=cluster,
                  shape="box", style="filled")
        self.edge(f"{key}u", f"{key}t")
        self.edge(f"{key}t", f"op{k}")

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
                lines = [f"{_fmt_shape(root.shape)} {root.dtype}"] + self.values(root._data, id(root.grad_fn))
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
        title, lines = self.saved_label(op, value)
        self.node(f"s{k}_{i}", title, lines, "saved", cluster=cluster, shape="box", style="filled,dashed")
        self.edge(f"s{k}_{i}", f"op{k}", **style)
        self.beside.append((f"s{k}_{i}", f"op{k}"))

    def saved_label(self, op: Node, value: Any) -> tuple[str, list[str]]:
        """What a saved value is (`saved: input x (4, 16)`, `saved: mask (8, 16)`, ...): the title and
        lines of its box in the backward view."""
        if value is OUTPUT:
            return f"saved: output {_fmt_shape(op.shape)}", [f"{op.dtype}, the op's own result"]
        if isinstance(value, Tensor):
            image = _unfolded_image(op, value)
            if image is not None:
                source = self.name_of(image) or f"the input {_fmt_shape(image.shape)}"
                return f"saved: im2col columns {_fmt_shape(value.shape)}", [f"{value.dtype}, unfolded from {source}"]
            name = self.name_of(value)
            lines = [f"{value.dtype}" + ("" if value.requires_grad else ", needs no grad")]
            if value.grad_fn is not None:
                lines.append(f"output of {value.grad_fn.name()}")
            return f"saved: input{' ' + name if name else ''} {_fmt_shape(value.shape)}", lines
        if isinstance(value, np.ndarray):
            kind = "mask" if value.dtype == bool else "indices" if value.dtype.kind in "iu" else "intermediate"
            return f"saved: {kind} {_fmt_shape(value.shape)}", [f"{value.dtype}, computed in forward"]
        return "saved: value", [_fmt_value(value)]

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
        if self.freed:
            graph.graph_attr.update(labelloc="t", label=FREED_NOTE)
        if self.opts.color_by_grad:
            graph.node("legend", self.legend(), shape="plaintext", style="")
        by_cluster: dict[str | None, list[str]] = {}
        for key, spec in self.nodes.items():
            by_cluster.setdefault(spec["cluster"], []).append(key)
        children = self.cluster_tree(set(by_cluster) - {None}, classes)
        self.emit(graph, None, by_cluster, children, classes)
        beside = [(a, b) for a, b in self.beside if a in self.nodes and b in self.nodes]
        if beside:  # a saved box on its node's rank, not above it: the chain stays one column, not a staircase
            graph.graph_attr["newrank"] = "true"
            graph.body.extend(f"\t{{rank=same; {a}; {b}}}\n" for a, b in beside)
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
