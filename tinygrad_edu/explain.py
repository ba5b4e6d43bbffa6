"""`tg.explain(output)`: the backward pass as a trace of chain-rule steps, one per graph node.

The trace is read off the engine itself: `walk_order` gives the order backward runs the nodes,
`node_gradients` the gradient arriving at every node (one side pass that keeps the graph and leaves
every `.grad` alone), and `input_gradients` repeats one step of the walk for a node, giving what it
hands each input. The local derivative's formula is the `formula` each op declares beside its
backward; its value is the op's Jacobian, measured by running that step on unit upstream gradients.
"""

from __future__ import annotations

import html
import itertools
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from .autograd import Node, Tensor, input_gradients, node_gradients, walk_order
from .backward_code import jacobian, trace_code

JACOBIAN_LIMIT = 256  # local derivatives are measured when output size x input size is at most this
SHOWN_ELEMENTS = 16  # arrays up to this size are printed in full, larger ones as a summary


@dataclass(frozen=True)
class Operand:
    """A tensor as the trace names it: `name`, `shape` and its `value` (None when the engine did not
    keep an intermediate value: only values some op saved for its backward are known)."""

    name: str
    shape: tuple
    value: np.ndarray | None


@dataclass(frozen=True)
class Step:
    """One node of the backward walk: the chain rule applied once.

    `upstream` is d(result)/d(output), complete because every consumer of the output has run: the
    sum of the contributions listed in `summed_from` as (step i, input j) pairs, each one
    `trace[i].contributions[j]` (more than one: fan-out). For each input j, `contributions[j]` is
    upstream x local derivative (the vector-Jacobian product the op's backward returns, in the
    input's shape) and `local_values[j]` is d output/d input: per element for an elementwise op,
    else the Jacobian of shape output.shape + input.shape (None when larger than JACOBIAN_LIMIT).
    """

    index: int
    op: str
    formula: str
    output: Operand
    inputs: tuple[Operand, ...]
    upstream: np.ndarray
    summed_from: tuple[tuple[int, int], ...]
    local_formulas: tuple[str, ...]
    local_values: tuple[np.ndarray | None, ...]
    contributions: tuple[np.ndarray | None, ...]
    node: Node

    @property
    def fan_out(self) -> bool:
        """True when the output fed several consumers, so its gradient is a sum."""
        return len(self.summed_from) > 1


@dataclass(frozen=True)
class InputGradient:
    """Where the trace ends: an input's gradient, the sum of the contributions in `summed_from`."""

    operand: Operand
    grad: np.ndarray | None
    summed_from: tuple[tuple[int, int], ...]
    tensor: Tensor


class Trace:
    """The backward pass of one output, step by step: `print(trace)`, `trace[i]`, iteration,
    `trace.inputs` (the gradients it ends with), `trace.draw()`, `trace.code()`."""

    def __init__(self, output: Operand, seed: np.ndarray, steps: list[Step], inputs: list[InputGradient],
                 root: Tensor) -> None:
        self.output, self.seed, self.steps, self.inputs, self.root = output, seed, steps, inputs, root

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, i: int) -> Step:
        return self.steps[i]

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    @property
    def grads(self) -> tuple[np.ndarray | None, ...]:
        """Each input's gradient, in the order of `trace.inputs`."""
        return tuple(r.grad for r in self.inputs)

    def __str__(self) -> str:
        return _text_table(self)

    def __repr__(self) -> str:
        return f"<Trace of {self.output.name}: {len(self.steps)} steps, {len(self.inputs)} inputs; print() it>"

    def _repr_html_(self) -> str:
        return _html_table(self)

    def code(self) -> str:
        """The backward pass as straight-line NumPy source; executed, it leaves each input's
        gradient in `grads[name]` and in a variable `grad_<name>` (see `tinygrad_edu.backward_code`)."""
        return trace_code(self)

    def notes(self, after: int | None = None) -> dict:
        """What `draw()` writes on the graph, as `draw_graph(notes=...)` takes it: each edge's local
        derivative, each op's step and gradient, each input's gradient. With `after=k`, the state
        once steps 0..k have run: a gradient whose contributions have not all arrived reads "grad
        pending" (for frames of an animation)."""
        done = len(self.steps) if after is None else after + 1
        notes: dict[Any, Any] = {}
        for step in self.steps:
            ready = all(i < done for i, _ in step.summed_from)  # every contribution has arrived
            notes[step.node] = [f"step {step.index}: {step.output.name}",
                                f"grad {_short(step.upstream)}" if ready else "grad pending"]
            for parent, formula, local in zip(_edges(step.node), step.local_formulas, step.local_values):
                shown = re.sub(r" \(.*\)$", "", formula.partition("= ")[2])  # the remark stays in the table
                value = _short(local) if local is not None and local.size == 1 else shown
                notes[(parent, step.node)] = shown if value == shown else f"{shown} = {value}"
        for result in self.inputs:
            if result.tensor.grad_fn is None:
                ready = all(i < done for i, _ in result.summed_from)
                notes[result.tensor] = f"grad {_short(result.grad, 'None (not used)')}" if ready else "grad pending"
        return notes

    def draw(self, **options: Any) -> Any:
        """The forward graph (through `draw_graph`), each edge labelled with its local derivative and
        each node with its step and gradient; `options` go to `draw_graph`."""
        from .graph import draw_graph

        options.setdefault("compact", True)
        return draw_graph(self.root, notes=self.notes(), **options)


# ----------------------------------------------------------------------------------------------
# building the trace


def explain(output: Tensor | Callable[..., Tensor], inputs: Sequence[Tensor] | None = None, gradient: Any = None,
            scalar: bool = False) -> Trace | Any:
    """Trace the backward pass of `output` without touching any `.grad` or freeing the graph.

    `inputs` picks the tensors whose gradients the trace ends with (default: every leaf that requires
    grad); `gradient` seeds a non-scalar output. With `scalar=True`, pass the function instead of its
    result (`explain(fn, [x, w], scalar=True)`): it returns `tg.scalarize(fn, *inputs)`.
    """
    if scalar:
        from .scalar import scalarize

        if not callable(output) or isinstance(output, Tensor):
            raise TypeError("explain(scalar=True): pass the function and its input tensors, e.g. "
                            "explain(fn, [x, w], scalar=True); a result tensor cannot be re-run element by element")
        return scalarize(output, *(inputs or ()))
    if callable(output) and not isinstance(output, Tensor):
        output = output(*(inputs or ()))
    if not isinstance(output, Tensor) or not output.requires_grad:
        raise TypeError("explain: output must be a tensor that requires grad (computed from tensors created "
                        f"with requires_grad=True, outside no_grad()); got {type(output).__name__}")
    if output.grad_fn is None:  # the output is an input itself: no step, its gradient is the seed
        seed = np.ones(output.shape, output.dtype) if gradient is None else np.asarray(gradient, output.dtype)
        operand = Operand(output.name or "x0", tuple(output.shape), output._data)
        return Trace(operand, seed, [], [InputGradient(operand, seed, (), output)], output)
    if gradient is None and output.size != 1:
        raise RuntimeError(f"explain: the output has shape {output.shape}; pass gradient= (an array of that shape, "
                           "d result/d output) or explain output.sum()")
    order = walk_order([output])
    freed = [node.name() for node in order if node.released]
    if freed:
        raise RuntimeError(f"explain: the graph was freed by an earlier backward() (at {freed[0]}); call "
                           "tg.explain before backward(), or pass retain_graph=True to backward()")
    found = node_gradients([output], set(order) | {t.grad_fn for t in inputs or () if t.grad_fn is not None},
                           None if gradient is None else [gradient])
    names = _Names(output, order, inputs or ())
    steps, summed = _steps(order, found, names)
    wanted = list(inputs) if inputs is not None else [p for node in order for p in _edges(node) if type(p) is not Node]
    results = []
    for tensor in dict.fromkeys(wanted):
        key = tensor if tensor.grad_fn is None else tensor.grad_fn
        g = found.get(key)
        results.append(InputGradient(names.operand(key), None if g is None else g._data, tuple(summed.get(key, ())),
                                     tensor))
    return Trace(names.operand(order[0]), steps[0].upstream, steps, results, output)


def _steps(order: list[Node], found: dict, names: _Names) -> tuple[list[Step], dict]:
    """One Step per node, and for every node and leaf the (step, input) pairs its gradient sums."""
    summed: dict[Any, list[tuple[int, int]]] = {}
    steps = []
    for i, node in enumerate(order):
        upstream = found[node]
        if upstream is None:  # every consumer passed None (no gradient flows here): shown as zeros
            upstream = Tensor(np.zeros(node.shape, dtype=node.dtype))
        contributions = input_gradients(node, upstream)
        edges = _edges(node)
        slots = [k for k, parent in enumerate(node.parents) if parent is not None]
        positional = [_constant_label(node, k, names) if p is None else names.operand(p).name
                      for k, p in enumerate(node.parents)]
        for j, parent in enumerate(edges):
            summed.setdefault(parent, []).append((i, j))
        steps.append(Step(
            index=i, op=node.name(), formula=_formula(node), output=names.operand(node),
            inputs=tuple(names.operand(p) for p in edges), upstream=upstream._data,
            summed_from=tuple(summed.get(node, ())),
            local_formulas=tuple(_local_formula(node, slot, positional) for slot in slots),
            local_values=tuple(_local_value(node, parent) for parent in edges),
            contributions=tuple(None if contributions[k] is None else contributions[k]._data for k in slots), node=node))
    return steps, summed


def _edges(node: Node) -> tuple:
    """The inputs gradients flow to (nodes or leaf tensors), in positional order."""
    return tuple(p for p in node.parents if p is not None)


def _constant_label(node: Node, k: int, names: _Names) -> str:
    """How a formula names input `k`, which needs no gradient (data or a constant): its tensor's
    name, or its value when it is a single number, read from what forward saved (held in input
    order by the ops with such inputs); `const` when the node did not keep it."""
    saved = node.saved_values
    value = saved[k] if len(saved) >= len(node.parents) else None  # the inputs first, then extras
    if isinstance(value, Tensor):
        return names.operand(value).name if value in names.names or value.name else "const"
    if isinstance(value, (int, float, np.ndarray, np.generic)) and np.size(value) == 1:
        return f"{float(np.reshape(value, -1)[0]):g}"
    return "const"


def _formula(node: Node) -> str:
    return getattr(node.op, "formula", None) or f"d {node.name()}(x)/dx: no formula declared (add `formula = ...`)"


_VARIABLE = re.compile(r"(?<![\w.'])[a-z](?![\w(])")  # a one-letter name: x, y, w, b (not the T of w.T)


def _local_formula(node: Node, slot: int, names: list[str | None]) -> str:
    """The part of the op's formula for input `slot` (formulas of several inputs are `;`-separated),
    its one-letter variables replaced by the inputs' names: d(x1 * w1)/dx1 = w1. The variables are
    read off the formula's left side, in positional order; when they do not match the op's inputs
    one to one, the formula is shown as the op declares it."""
    parts = _formula(node).split("; ")
    part = parts[slot] if len(parts) == len(node.parents) else parts[0]
    variables = list(dict.fromkeys(_VARIABLE.findall(part[1:].partition("/d")[0])))
    if len(variables) != len(names):
        return part
    rename = {v: name for v, name in zip(variables, names) if name is not None}
    part = re.sub(r"/d([a-z])\b", lambda m: "/d" + rename.get(m.group(1), m.group(1)), part)
    return _VARIABLE.sub(lambda m: rename.get(m.group(0), m.group(0)), part)


def _local_value(node: Node, parent: Any) -> np.ndarray | None:
    """d output/d input: per element when the Jacobian is diagonal, else the Jacobian
    (output.shape + input.shape); None when it is larger than JACOBIAN_LIMIT."""
    if int(np.prod(node.shape)) * int(np.prod(parent.shape)) > JACOBIAN_LIMIT:
        return None
    matrix = jacobian(node, parent)
    if tuple(parent.shape) == tuple(node.shape) and np.count_nonzero(matrix - np.diag(np.diag(matrix))) == 0:
        return np.diag(matrix).reshape(node.shape)
    return matrix.reshape(tuple(node.shape) + tuple(parent.shape))


class _Names:
    """Names for the trace: a tensor's own `.name`, else x0, x1, ... for inputs and h1, h2, ... for
    intermediates in forward order; values from every tensor or array the graph still holds."""

    def __init__(self, output: Tensor, order: list[Node], extra: Sequence[Tensor]) -> None:
        self.names: dict[Any, str] = {}
        self.values: dict[Any, np.ndarray] = {}
        known = [output, *extra]
        for node in order:
            if node.output_array is not None:
                self.values[node] = node.output_array
            known += [v for v in node.saved_values if isinstance(v, Tensor)]
            known += [p for p in node.parents if isinstance(p, Tensor)]
        for tensor in known:
            key = tensor if tensor.grad_fn is None else tensor.grad_fn
            self.values.setdefault(key, tensor._data)
            if tensor.name:
                self.names.setdefault(key, tensor.name)
        if output.grad_fn not in self.names and "out" not in self.names.values():
            self.names[output.grad_fn] = "out"
        used = set(self.names.values())
        leaves = dict.fromkeys(p for node in reversed(order) for p in _edges(node) if type(p) is not Node)
        for prefix, first, keys in (("x", 0, leaves), ("h", 1, reversed(order))):
            numbers = itertools.count(first)
            for key in keys:
                while key not in self.names:
                    name = f"{prefix}{next(numbers)}"
                    if name not in used:
                        self.names[key] = name
                        used.add(name)

    def operand(self, key: Any) -> Operand:
        return Operand(self.names.get(key, "?"), tuple(key.shape), self.values.get(key))


# ----------------------------------------------------------------------------------------------
# showing it


def _short(values: np.ndarray | None, missing: str = "(not kept)") -> str:
    """An array in one line: small ones in full, larger ones as shape, mean and norm."""
    if values is None:
        return missing
    values = np.asarray(values)
    if values.size == 1:
        return f"{float(values.reshape(-1)[0]):.4g}"
    if values.size <= SHOWN_ELEMENTS:
        return np.array2string(values, precision=4, separator=", ", max_line_width=10_000).replace("\n", "")
    return f"<{values.shape} mean {values.mean():.4g} norm {np.linalg.norm(values):.4g}>"


def _sum_text(summed_from: tuple[tuple[int, int], ...]) -> str:
    if not summed_from:
        return "the start"
    steps = ", ".join(f"step {i}" for i, _ in summed_from)
    return ("sum of " if len(summed_from) > 1 else "from ") + steps


def _step_rows(trace: Trace) -> Iterator[tuple[str, str, str]]:
    """(label, formula or note, value) rows of the table, step by step."""
    for step in trace:
        yield (f"step {step.index}: {step.op}", f"-> {step.output.name} {step.output.shape}", _short(step.output.value))
        upstream = _sum_text(step.summed_from) if step.summed_from else "d out/d out (seed)"
        yield ("  upstream", upstream + (" FAN-OUT" if step.fan_out else ""), _short(step.upstream))
        for operand, formula, local, share in zip(step.inputs, step.local_formulas, step.local_values,
                                                  step.contributions):
            yield (f"  local {operand.name}", formula, _short(local, "(too large to show)"))
            yield (f"  -> {operand.name}", "upstream x local", _short(share, "None (no gradient)"))
    for result in trace.inputs:
        yield (f"grad {result.operand.name}", _sum_text(result.summed_from), _short(result.grad, "None (not used)"))


def _text_table(trace: Trace) -> str:
    rows = list(_step_rows(trace))
    first, second = max(len(r[0]) for r in rows), max(len(r[1]) for r in rows)
    head = f"backward pass of {trace.output.name} {trace.output.shape}: {len(trace)} steps, seed {_short(trace.seed)}"
    return "\n".join([head] + [f"{a:<{first}}  {b:<{second}}  {c}".rstrip() for a, b, c in rows])


def _html_table(trace: Trace) -> str:
    cells = "".join(f"<tr><td>{html.escape(a)}</td><td><code>{html.escape(b)}</code></td>"
                    f"<td><code>{html.escape(c)}</code></td></tr>" for a, b, c in _step_rows(trace))
    return (f"<table><caption>backward pass of {html.escape(trace.output.name)}</caption>"
            f"<tr><th>step</th><th>formula</th><th>value</th></tr>{cells}</table>")
