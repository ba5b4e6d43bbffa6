"""`trace.code()`: a traced backward pass written out as straight-line NumPy.

First the values the pass needs (the inputs, and what each op saved in the forward pass), then one
block per step: the op's formula as a comment and its backward from `backward_numpy.BACKWARD_NUMPY`.
An op without an entry (your own Function) is written as its Jacobian, measured from its backward.
Each line is run as it is written, so every shape is known: where broadcasting made a gradient
larger than its input, the sum that undoes it is written out too, as the engine's unbroadcast does.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import numpy as np

from .autograd import Node, Tensor, input_gradients
from .autograd.function import OUTPUT
from .backward_numpy import BACKWARD_NUMPY, Writer, literal

if TYPE_CHECKING:
    from .explain import Trace



def jacobian(node: Node, parent: Any) -> np.ndarray:
    """d output/d input of one node as an (output size, input size) matrix, measured by running
    the node's backward step on each unit upstream gradient."""
    slot = next(k for k, p in enumerate(node.parents) if p is parent)
    out_size, in_size = int(np.prod(node.shape)), int(np.prod(parent.shape))
    rows = np.zeros((out_size, in_size), dtype=node.dtype)
    for j in range(out_size):
        unit = np.zeros(out_size, dtype=node.dtype)
        unit[j] = 1
        g = input_gradients(node, Tensor(unit.reshape(node.shape)))[slot]
        if g is not None:
            rows[j] = g._data.reshape(-1)
    return rows


def _fit(w: Writer, name: str, shape: tuple, dtype: Any) -> None:
    """Write the sums that undo broadcasting (as the engine's unbroadcast does) and the dtype cast."""
    have = np.shape(w.value(name))
    extra = len(have) - len(shape)
    if extra > 0:
        w.line(f"{name} = {name}.sum(axis={literal(tuple(range(extra)))})  # undo broadcasting: added axes")
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and np.shape(w.value(name))[i] != 1)
    if stretched:
        w.line(f"{name} = {name}.sum(axis={literal(stretched)}, keepdims=True)  # undo broadcasting: stretched axes")
    if np.shape(w.value(name)) != tuple(shape):
        w.line(f"{name} = np.reshape({name}, {literal(tuple(shape))})")
    if np.asarray(w.value(name)).dtype != dtype:
        w.line(f"{name} = np.asarray({name}, dtype=np.{np.dtype(dtype).name})")


def _saved_variables(w: Writer, trace: Trace, values: dict, labels: dict) -> dict[int, list[str]]:
    """Variables for what each step's op saved: tensors by their trace name, constants by literal."""
    saved: dict[int, list[str]] = {}
    for step in trace:
        names = []
        for k, v in enumerate(step.node.saved_values):
            key = step.node if v is OUTPUT else (v.grad_fn or v) if isinstance(v, Tensor) else None
            if key is not None:
                if key not in values:
                    array = step.node.output_array if v is OUTPUT else v._data
                    operand = step.output if v is OUTPUT else None
                    hint = operand.name if operand is not None else v.name or labels.get(key, "constant")
                    values[key] = w.assign(hint, literal(np.asarray(array)), f"saved by {step.op} (step {step.index})")
                names.append(values[key])
            elif isinstance(v, (np.ndarray, np.generic)):
                names.append(w.assign(f"saved{step.index}_{k}", literal(np.asarray(v)),
                                      f"a constant {step.op} (step {step.index}) saved"))
            else:
                names.append(literal(v))
        saved[step.index] = names
    return saved


def trace_code(trace: Trace) -> str:
    """Straight-line NumPy for the backward pass of `trace`: the values it needs, then one block per
    step (its formula as a comment); the input gradients end in `grad_<name>` and in `grads`."""
    w = Writer()
    w.comment("the inputs, and the values each op saved for its backward in the forward pass")
    values: dict[Any, str] = {}
    for result in trace.inputs:
        key = result.tensor if result.tensor.grad_fn is None else result.tensor.grad_fn
        if result.operand.value is not None and key not in values:
            values[key] = w.assign(result.operand.name, literal(np.asarray(result.operand.value)))
    labels: dict[Any, str] = {}  # trace name of every node and leaf
    uses: Counter = Counter()  # how many contributions each will receive
    for step in trace:
        labels[step.node] = step.output.name
        for parent, operand in zip((p for p in step.node.parents if p is not None), step.inputs):
            labels[parent] = operand.name
            uses[parent] += 1
    saved = _saved_variables(w, trace, values, labels)
    w.comment("")
    w.comment("the backward pass, in the order the engine's walk runs the nodes")
    pending: dict[Any, list[str]] = {}
    grads: dict[Any, str] = {}
    for step in trace:
        node = step.node
        if node in pending:
            g = _gather(w, step.output.name, pending.pop(node))
        else:
            why = "the seed: d out/d out" if step.index == 0 else "no gradient reaches it"
            g = w.assign(f"grad_{step.output.name}", literal(np.asarray(step.upstream)), why)
        grads[node] = g
        w.comment("")
        w.comment(f"step {step.index}: {step.op}  {'; '.join(dict.fromkeys(step.local_formulas)) or step.formula}")
        render = BACKWARD_NUMPY.get(step.op)
        expressions = render(w, node, g, saved[step.index]) if render is not None else None
        edges = [(k, p) for k, p in enumerate(node.parents) if p is not None]
        for (slot, parent), operand in zip(edges, step.inputs):
            hint = f"grad_{operand.name}" + (f"_from{step.index}" if uses[parent] > 1 else "")
            if expressions is None:
                matrix = w.assign(f"jacobian{step.index}_{slot}", literal(jacobian(node, parent)),
                                  f"no NumPy rendering of {step.op}: its local Jacobian")
                expression = f"({g}.reshape(-1) @ {matrix}).reshape({literal(tuple(parent.shape))})"
            else:
                expression = expressions[slot]
            name = w.assign(hint, expression, "upstream x local")
            _fit(w, name, tuple(parent.shape), parent.dtype)
            pending.setdefault(parent, []).append(name)
    w.comment("")
    w.comment("the input gradients")
    final = []
    for result in trace.inputs:
        key = result.tensor if result.tensor.grad_fn is None else result.tensor.grad_fn
        name = grads.get(key) or (_gather(w, result.operand.name, pending.pop(key)) if key in pending else "None")
        if key is trace.root:  # the output is this input itself
            name = w.assign(f"grad_{result.operand.name}", literal(np.asarray(trace.seed)), "the seed")
        final.append(f"{result.operand.name!r}: {name}")
    w.line("grads = {" + ", ".join(final) + "}")
    return "\n".join(w.lines) + "\n"


def _gather(w: Writer, label: str, parts: list[str]) -> str:
    """A complete gradient: its one contribution, or the sum of several (fan-out)."""
    if len(parts) == 1:
        return parts[0]
    return w.assign(f"grad_{label}", " + ".join(parts), f"fan-out: {label} feeds {len(parts)} uses, gradients add up")
