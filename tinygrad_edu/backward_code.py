"""`trace.code()`: a traced backward pass written out as straight-line NumPy.

`BACKWARD_NUMPY` is the table: for each op, a function that writes its backward as NumPy source,
given the upstream gradient's variable, the variables of what forward saved, and the node (for
its axis, index, kernel size, ...). It lives in one table, apart from the ops, because it is a
second rendering of the same backward for reading (ops/ keeps one formula line per op); an op
without an entry (your own Function) is written as its Jacobian, measured from its backward.
The code is run while it is written, which fixes each line's shape: where broadcasting made a
gradient larger than its input, the sum that undoes it is written out too.
"""

from __future__ import annotations

import keyword
import re
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from .autograd import Node, Tensor, input_gradients
from .autograd.function import OUTPUT

if TYPE_CHECKING:
    from .explain import Trace


def literal(value: Any) -> str:
    """NumPy source that evaluates to `value` (arrays exactly, via Python's shortest float repr)."""
    if isinstance(value, np.ndarray):
        return f"np.array({value.tolist()!r}, dtype=np.{value.dtype.name})"
    if isinstance(value, np.generic):
        return literal(np.asarray(value))
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return f"np.{np.dtype(value).name}"
    if isinstance(value, tuple):
        return "(" + ", ".join(literal(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, slice):
        return f"slice({literal(value.start)}, {literal(value.stop)}, {literal(value.step)})"
    return repr(value)


class Writer:
    """Collects lines of code and runs each one as it is added, so later lines can depend on the
    shapes and dtypes of earlier results."""

    def __init__(self) -> None:
        self.lines: list[str] = ["import numpy as np", ""]
        self.namespace: dict[str, Any] = {"np": np}
        self.used: set[str] = set()

    def fresh(self, hint: str) -> str:
        """A variable name not used yet, built from `hint`."""
        base = re.sub(r"\W", "_", hint) or "v"
        base = base if not (base[0].isdigit() or keyword.iskeyword(base)) else f"v_{base}"
        name, n = base, 1
        while name in self.used or name == "np":
            n += 1
            name = f"{base}_{n}"
        self.used.add(name)
        return name

    def line(self, text: str) -> None:
        self.lines.append(text)
        exec(text, self.namespace)

    def comment(self, text: str) -> None:
        self.lines.append(f"# {text}" if text else "")

    def assign(self, hint: str, expression: str, comment: str = "") -> str:
        """Write `name = expression` (with an end-of-line comment) and return the name."""
        name = self.fresh(hint)
        self.line(f"{name} = {expression}" + (f"  # {comment}" if comment else ""))
        return name

    def value(self, name: str) -> Any:
        return self.namespace[name]


# ----------------------------------------------------------------------------------------------
# the table: op name -> writer of its backward


Render = Callable[[Writer, Node, str, list[str]], list[str | None]]


def _kept(node: Node, shape: tuple) -> tuple:
    axis = node.metadata.get("axis")
    axes = range(len(shape)) if axis is None else [a % len(shape) for a in (axis if isinstance(axis, tuple) else (axis,))]
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _expand(node: Node, g: str, shape: tuple) -> str:
    """A reduction's gradient broadcast back over the reduced axes."""
    if not node.metadata.get("keepdims"):
        g = f"{g}.reshape({literal(_kept(node, shape))})"
    return f"np.broadcast_to({g}, {literal(tuple(shape))})"


def _shape_of(w: Writer, name: str) -> tuple:
    return np.shape(w.value(name))


def _matmul(w: Writer, node: Node, g: str, s: list[str]) -> list[str | None]:
    x, y = s
    xd, yd = np.ndim(w.value(x)), np.ndim(w.value(y))
    x2 = f"{x}.reshape(1, -1)" if xd == 1 else x
    y2 = f"{y}.reshape(-1, 1)" if yd == 1 else y
    g2 = f"{g}.reshape(1, 1)" if xd == yd == 1 else (f"np.expand_dims({g}, -2)" if xd == 1 else g)
    if yd == 1 and xd != 1:
        g2 = f"np.expand_dims({g2}, -1)"
    gx = f"({g2} @ np.swapaxes({y2}, -1, -2))" + (".squeeze(-2)" if xd == 1 else "")
    gy = f"(np.swapaxes({x2}, -1, -2) @ {g2})" + (".squeeze(-1)" if yd == 1 else "")
    return [gx, gy]


def _linear(w: Writer, node: Node, g: str, s: list[str]) -> list[str | None]:
    x, weight = s
    lead = tuple(range(len(_shape_of(w, g)) - 1))
    flat = f"{g}.reshape(-1, {g}.shape[-1]).T @ {x}.reshape(-1, {x}.shape[-1])"
    bias = f"{g}.sum(axis={literal(lead)})" if lead else g
    return [f"{g} @ {weight}", flat, bias][: len(node.parents)]


def _extremum(w: Writer, node: Node, g: str, s: list[str]) -> list[str | None]:
    x, out = s
    shape = _shape_of(w, x)
    hit = w.assign("hit", f"{x} == {out}.reshape({literal(_kept(node, shape))})", "where the extremum is")
    axis = literal(node.metadata.get("axis"))
    return [f"{_expand(node, g, shape)} * ({hit} / {hit}.sum(axis={axis}, keepdims=True))"]


def _product(w: Writer, node: Node, g: str, s: list[str]) -> list[str | None]:
    x = s[0]
    shape = _shape_of(w, x)
    axis = node.metadata.get("axis")
    axes = tuple(range(len(shape))) if axis is None else tuple(a % len(shape) for a in (axis if isinstance(axis, tuple) else (axis,)))
    order = [a for a in range(len(shape)) if a not in axes] + list(axes)
    flat = w.assign("rows", f"np.transpose({x}, {literal(tuple(order))}).reshape("
                            f"{literal(tuple(shape[a] for a in order[:len(order) - len(axes)]) + (-1,))})")
    ones = f"np.ones({flat}.shape[:-1] + (1,), dtype={flat}.dtype)"
    left = w.assign("before", f"np.cumprod(np.concatenate([{ones}, {flat}[..., :-1]], axis=-1), axis=-1)")
    right = w.assign("after", f"np.cumprod(np.concatenate([{ones}, {flat}[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]")
    moved = literal(tuple(shape[a] for a in order))
    others = w.assign("others", f"np.transpose(({left} * {right}).reshape({moved}), "
                                f"{literal(tuple(int(a) for a in np.argsort(order)))})", "product of the other elements")
    return [f"{_expand(node, g, shape)} * {others}"]


def _cat(w: Writer, node: Node, g: str, s: list[str]) -> list[str | None]:
    axis, grads, start = node.metadata["axis"], [], 0
    for size in node.metadata["sizes"]:
        grads.append(f"{g}[{'(slice(None),) * ' + str(axis) + ' + ' if axis else ''}(slice({start}, {start + size}),)]")
        start += size
    return grads


def _scatter(w: Writer, node: Node, g: str, shape: tuple) -> str:
    """getitem's backward: the gradient added into zeros at the index."""
    index = literal(node.metadata["index"])
    target = w.assign("scattered", f"np.zeros({literal(tuple(shape))}, dtype={g}.dtype)")
    w.line(f"np.add.at({target}, {index}, {g})" if node.metadata.get("repeats") else f"{target}[{index}] = {g}")
    return target


def _setitem(w: Writer, node: Node, g: str, s: list[str]) -> list[str | None]:
    index = literal(node.metadata["index"])
    keep = w.assign("keep", f"np.ones({g}.shape, dtype={g}.dtype)")
    w.line(f"{keep}[{index}] = 0")
    return [f"{g} * {keep}", f"{g}[{index}]"]


def _cross_entropy(w: Writer, node: Node, g: str, s: list[str]) -> list[str | None]:
    z, m = s[0], node.metadata
    p = w.assign("p", f"np.exp({z} - {z}.max(axis=1, keepdims=True))")
    w.line(f"{p} /= {p}.sum(axis=1, keepdims=True)  # softmax of the logits")
    w.line(f"{p}[{literal(m['_rows'])}, {literal(m['_target'])}] -= 1  # minus one-hot")
    if m["_factor"] is not None:
        w.line(f"{p} *= {literal(m['_factor'])}  # class weights and 1/n")
    upstream = f"{g}.reshape(-1, 1)" if m["reduction"] == "none" else g
    return [f"{p} * {upstream}"] + [None] * (len(node.parents) - 1)


def _fold(w: Writer, node: Node, g: str, s: list[str]) -> list[str | None]:
    """Unfold's backward: each column entry added back to its pixel, one line per kernel offset."""
    m = node.metadata
    (h, wd), (kh, kw), (sh, sw), (dh, dw) = m["in_size"], m["kernel_size"], m["stride"], m["dilation"]
    oh, ow = (h - dh * (kh - 1) - 1) // sh + 1, (wd - dw * (kw - 1) - 1) // sw + 1
    shape = _shape_of(w, g)
    if m["batch_columns"]:
        c, n = shape[0] // (kh * kw), shape[1] // (oh * ow)
        blocks = w.assign("blocks", f"{g}.reshape({c}, {kh}, {kw}, {n}, {oh}, {ow})")
    else:
        n, c = shape[0], shape[1] // (kh * kw)
        blocks = w.assign("blocks", f"{g}.reshape({n}, {c}, {kh}, {kw}, {oh}, {ow}).transpose(1, 2, 3, 0, 4, 5)")
    image = w.assign("image", f"np.zeros(({c}, {n}, {h}, {wd}), dtype={g}.dtype)")
    for i in range(kh):
        for j in range(kw):
            w.line(f"{image}[:, :, {i * dh}:{i * dh + sh * (oh - 1) + 1}:{sh}, {j * dw}:{j * dw + sw * (ow - 1) + 1}:{sw}]"
                   f" += {blocks}[:, {i}, {j}]")
    return [f"{image}.transpose(1, 0, 2, 3)"]


def _unfold(w: Writer, node: Node, g: str, s: list[str]) -> list[str | None]:
    """Fold's backward: the sliding windows of the gradient, as columns."""
    (kh, kw), (sh, sw), (dh, dw) = (node.metadata[k] for k in ("kernel_size", "stride", "dilation"))
    n, c = _shape_of(w, g)[:2]
    windows = w.assign("windows", f"np.lib.stride_tricks.sliding_window_view({g}, ({dh * (kh - 1) + 1}, "
                                  f"{dw * (kw - 1) + 1}), axis=(2, 3))[:, :, ::{sh}, ::{sw}, ::{dh}, ::{dw}]")
    if node.metadata["batch_columns"]:
        return [f"{windows}.transpose(1, 4, 5, 0, 2, 3).reshape({c * kh * kw}, -1)"]
    return [f"{windows}.transpose(0, 1, 4, 5, 2, 3).reshape({n}, {c * kh * kw}, -1)"]


def _max_pool(w: Writer, node: Node, g: str, s: list[str]) -> list[str | None]:
    """Each window's gradient to its first maximum (the saved mask), one line per window offset."""
    mask, m = s[0], node.metadata
    (kh, kw), (h, wd) = m["kernel_size"], m["in_shape"][2:]
    target = w.assign("pooled", f"np.zeros({literal(tuple(m['in_shape']))}, dtype={g}.dtype)")
    for k, (i, j) in enumerate((i, j) for i in range(kh) for j in range(kw)):
        w.line(f"{target}[:, :, {i}:{h // kh * kh}:{kh}, {j}:{wd // kw * kw}:{kw}] = {g} * {mask}[{k}]")
    return [target]


def _max_pool_backward(w: Writer, node: Node, g: str, s: list[str]) -> list[str | None]:
    mask = s[0]
    (kh, kw), (_, n, c, oh, ow) = node.metadata["kernel_size"], np.shape(w.value(mask))
    windows = (f"{g}[:, :, :{oh * kh}, :{ow * kw}].reshape({n}, {c}, {oh}, {kh}, {ow}, {kw})"
               f".transpose(3, 5, 0, 1, 2, 4).reshape({kh * kw}, {n}, {c}, {oh}, {ow})")
    return [f"({windows} * {mask}).sum(axis=0)"]


def _meta(node: Node, key: str) -> str:
    return literal(node.metadata[key])


BACKWARD_NUMPY: dict[str, Render] = {
    "Add": lambda w, n, g, s: [g, g],
    "Sub": lambda w, n, g, s: [g, f"-{g}"],
    "Mul": lambda w, n, g, s: [f"{g} * {s[1]}", f"{g} * {s[0]}"],
    "Div": lambda w, n, g, s: [f"{g} / {s[1]}", f"-({g} * {s[0]}) / ({s[1]} * {s[1]})"],
    "Pow": lambda w, n, g, s: [f"{g} * 0.0" if s[1] == "0" else f"{g} * {s[1]} * {s[0]} ** ({s[1]} - 1)",
                               f"{g} * {s[2]} * np.log({s[0]})"],
    "Remainder": lambda w, n, g, s: [g, f"-({g} * {s[0]})"],
    "Neg": lambda w, n, g, s: [f"-{g}"],
    "Abs": lambda w, n, g, s: [f"{g} * np.sign({s[0]})"],
    "Exp": lambda w, n, g, s: [f"{g} * {s[0]}"],
    "Log": lambda w, n, g, s: [f"{g} / {s[0]}"],
    "Log1p": lambda w, n, g, s: [f"{g} / ({s[0]} + 1)"],
    "Sqrt": lambda w, n, g, s: [f"{g} / ({s[0]} * 2)"],
    "Sin": lambda w, n, g, s: [f"{g} * np.cos({s[0]})"],
    "Cos": lambda w, n, g, s: [f"-({g} * np.sin({s[0]}))"],
    "Tanh": lambda w, n, g, s: [f"{g} * (1 - {s[0]} ** 2)"],
    "TanhBackward": lambda w, n, g, s: [f"{g} * (1 - {s[1]} * {s[1]})", f"{g} * {s[0]} * {s[1]} * -2.0"],
    "Sigmoid": lambda w, n, g, s: [f"{g} * {s[0]} * (1 - {s[0]})"],
    "SigmoidBackward": lambda w, n, g, s: [f"{g} * {s[1]} * (1 - {s[1]})", f"{g} * {s[0]} * (1 - {s[1]} * 2.0)"],
    "Relu": lambda w, n, g, s: [f"{g} * {s[0]}"],
    "LeakyRelu": lambda w, n, g, s: [f"{g} * {s[0]}"],
    "Elu": lambda w, n, g, s: [f"np.where({s[0]}, {g}, {g} * ({s[1]} + {_meta(n, 'alpha')}))"],
    "Erf": lambda w, n, g, s: [f"{g} * 2 / np.sqrt(np.pi) * np.exp(-({s[0]} * {s[0]}))"],
    "Softplus": lambda w, n, g, s: [f"np.where({s[1]}, {g}, {g} / (1 + np.exp(-({s[0]} * {_meta(n, 'beta')}))))"],
    "Clip": lambda w, n, g, s: [f"{g} * {s[0]}"],
    "Maximum": lambda w, n, g, s: [f"{g} * {s[0]}", f"{g} * (1 - {s[0]})"],
    "Minimum": lambda w, n, g, s: [f"{g} * {s[0]}", f"{g} * (1 - {s[0]})"],
    "Where": lambda w, n, g, s: [None, f"{g} * {s[0]}", f"{g} * ~{s[0]}"],
    "Sum": lambda w, n, g, s: [_expand(n, g, n.metadata["in_shape"])],
    "Mean": lambda w, n, g, s: [_expand(n, f"({g} / {int(np.prod(n.metadata['in_shape'])) // max(int(np.prod(_kept(n, n.metadata['in_shape']))), 1)})", n.metadata["in_shape"])],
    "Max": _extremum,
    "Min": _extremum,
    "Norm2": lambda w, n, g, s: [f"{_expand(n, f'({g} / np.where({s[1]} == 0, 1.0, {s[1]}))', n.metadata['in_shape'])} * {s[0]}"],
    "CumSum": lambda w, n, g, s: [f"np.flip(np.cumsum(np.flip({g}, {_meta(n, 'axis')}), {_meta(n, 'axis')}), {_meta(n, 'axis')})"],
    "Prod": _product,
    "LogSumExp": lambda w, n, g, s: [f"{_expand(n, g, _shape_of(w, s[0]))} * np.exp({s[0]} - {s[1]}.reshape({literal(_kept(n, _shape_of(w, s[0])))}))"],
    "Reshape": lambda w, n, g, s: [f"{g}.reshape({_meta(n, 'in_shape')})"],
    "Permute": lambda w, n, g, s: [f"{g}.transpose({literal(tuple(int(a) for a in np.argsort(n.metadata['axes'])))})"],
    "Expand": lambda w, n, g, s: [g],
    "Pad": lambda w, n, g, s: [f"{g}[{_meta(n, 'crop')}]"],
    "Flip": lambda w, n, g, s: [f"np.flip({g}, {_meta(n, 'axis')})"],
    "Cat": _cat,
    "Clone": lambda w, n, g, s: [g],
    "Cast": lambda w, n, g, s: [f"{g}.astype({_meta(n, 'in_dtype')})"],
    "MatMul": _matmul,
    "Linear": _linear,
    "Softmax": lambda w, n, g, s: [f"{s[0]} * ({g} - ({g} * {s[0]}).sum(axis={_meta(n, 'axis')}, keepdims=True))"],
    "LogSoftmax": lambda w, n, g, s: [f"{g} - np.exp({s[0]}) * {g}.sum(axis={_meta(n, 'axis')}, keepdims=True)"],
    "CrossEntropy": _cross_entropy,
    "BinaryCrossEntropy": lambda w, n, g, s: [
        f"{g} * ({s[0]} - {s[1]}) / np.clip({s[0]} * (1 - {s[0]}), 1e-12, None)",
        f"{g} * (np.clip(np.log(1 - {s[0]}), -100.0, None) - np.clip(np.log({s[0]}), -100.0, None))"],
    "Unfold": _fold,
    "Fold": _unfold,
    "ConvProduct": lambda w, n, g, s: [f"{g} @ {s[1]}.T", f"{s[0]}.T @ {g}", f"{g}.sum(axis=1)"],
    "MaxPool2d": _max_pool,
    "MaxPool2dBackward": _max_pool_backward,
    "GetItem": lambda w, n, g, s: [_scatter(w, n, g, n.metadata["in_shape"])],
    "IndexAdd": lambda w, n, g, s: [f"{g}[{_meta(n, 'index')}]"],
    "SetItem": _setitem,
}


# ----------------------------------------------------------------------------------------------
# writing a whole trace


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
            rows[j] = g.data.reshape(-1)
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


def _saved_variables(w: Writer, trace: Trace, values: dict) -> dict[int, list[str]]:
    """Variables for what each step's op saved: tensors by their trace name, constants by literal."""
    saved: dict[int, list[str]] = {}
    for step in trace:
        names = []
        for k, v in enumerate(step.node.saved_values):
            key = step.node if v is OUTPUT else (v.grad_fn or v) if isinstance(v, Tensor) else None
            if key is not None:
                if key not in values:
                    array = step.node.output_array if v is OUTPUT else v.data
                    operand = step.output if v is OUTPUT else None
                    hint = operand.name if operand is not None else v.name or _name_of(trace, key)
                    values[key] = w.assign(hint, literal(np.asarray(array)), f"saved by {step.op} (step {step.index})")
                names.append(values[key])
            elif isinstance(v, (np.ndarray, np.generic)):
                names.append(w.assign(f"saved{step.index}_{k}", literal(np.asarray(v)),
                                      f"a constant {step.op} (step {step.index}) saved"))
            else:
                names.append(literal(v))
        saved[step.index] = names
    return saved


def _name_of(trace: Trace, key: Any) -> str:
    for step in trace:
        if step.node is key:
            return step.output.name
        for parent, operand in zip((p for p in step.node.parents if p is not None), step.inputs):
            if parent is key:
                return operand.name
    return "constant"


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
    saved = _saved_variables(w, trace, values)
    w.comment("")
    w.comment("the backward pass, in the order the engine's walk runs the nodes")
    pending: dict[Any, list[str]] = {}
    grads: dict[Any, str] = {}
    for step in trace:
        node = step.node
        if step.index == 0:
            g = w.assign(f"grad_{step.output.name}", literal(np.asarray(step.upstream)), "the seed: d out/d out")
        else:
            g = _gather(w, node, step.output.name, pending, step)
        grads[node] = g
        w.comment("")
        w.comment(f"step {step.index}: {step.op}  {step.formula}")
        render = BACKWARD_NUMPY.get(step.op)
        expressions = render(w, node, g, saved[step.index]) if render is not None else None
        edges = [(k, p) for k, p in enumerate(node.parents) if p is not None]
        for (slot, parent), operand in zip(edges, step.inputs):
            total = sum(1 for s in trace for q in s.node.parents if q is parent)
            hint = f"grad_{operand.name}" + (f"_from{step.index}" if total > 1 else "")
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
        name = grads.get(key) or (_gather(w, key, result.operand.name, pending, None) if key in pending else "None")
        if key is trace.root:  # the output is this input itself
            name = w.assign(f"grad_{result.operand.name}", literal(np.asarray(trace.seed)), "the seed")
        final.append(f"{result.operand.name!r}: {name}")
    w.line("grads = {" + ", ".join(final) + "}")
    return "\n".join(w.lines) + "\n"


def _gather(w: Writer, key: Any, label: str, pending: dict, step: Any) -> str:
    """The complete gradient of `key`: its one contribution, or the sum of several (fan-out)."""
    parts = pending.pop(key)
    if len(parts) == 1:
        return parts[0]
    return w.assign(f"grad_{label}", " + ".join(parts), f"fan-out: {label} feeds {len(parts)} uses, gradients add up")
