"""Each op's backward written as NumPy source: the table `BACKWARD_NUMPY` that `trace.code()` uses.

For each op, a function takes the code `Writer`, the node (for its axis, index, kernel size, ...),
the variable holding the upstream gradient and the variables of what forward saved, and returns one
NumPy expression per input (writing temporaries first when it needs them). The table lives apart
from `ops/` on purpose: an op keeps one backward (in Tensor operations, so it is differentiable
twice) and one `formula` line; this is a second rendering of the same backward, for reading, and
the tests run it against the first on every op of the registry.
"""

from __future__ import annotations

import keyword
import re
from typing import Any, Callable

import numpy as np

from .autograd import Node
from .ops.axes import norm_axis
from .ops.einsum import gradient_plan


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
        """Add a statement and run it (the writer runs only code it wrote itself)."""
        self.lines.append(text)
        exec(text, self.namespace)

    def comment(self, text: str) -> None:
        """Add a comment line (an empty line for empty text)."""
        self.lines.append(f"# {text}" if text else "")

    def assign(self, hint: str, expression: str, comment: str = "") -> str:
        """Write `name = expression` (with an end-of-line comment) and return the name."""
        name = self.fresh(hint)
        self.line(f"{name} = {expression}" + (f"  # {comment}" if comment else ""))
        return name

    def value(self, expression: str) -> Any:
        """What a variable (or an expression of the code so far) holds."""
        return eval(expression, self.namespace)


# ----------------------------------------------------------------------------------------------
# the table: op name -> writer of its backward


Render = Callable[[Writer, Node, str, list[str]], list[str | None]]


def subscript(index: Any) -> str:
    """An index as NumPy source between brackets: `1:, None, ..., ::2`, arrays as literals."""
    parts = index if isinstance(index, tuple) else (index,)
    shown = []
    for part in parts:
        if isinstance(part, slice):
            bounds = ["" if v is None else str(v) for v in (part.start, part.stop, part.step)]
            shown.append(":".join(bounds if part.step is not None else bounds[:2]))
        else:
            shown.append("..." if part is Ellipsis else literal(part))
    return ", ".join(shown)


def _axes(node: Node, ndim: int) -> tuple:
    """The axes a reduction reduced (all of them for axis=None)."""
    axis = norm_axis(node.metadata.get("axis"), ndim, node.name())
    return tuple(range(ndim)) if axis is None else axis if isinstance(axis, tuple) else (axis,)


def _kept(node: Node, shape: tuple) -> tuple:
    """`shape` with the reduced axes kept as size 1."""
    axes = _axes(node, len(shape))
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _expand(node: Node, g: str, shape: tuple) -> str:
    """A reduction's gradient broadcast back over the reduced axes."""
    if not node.metadata.get("keepdims"):
        g = f"{g}.reshape({literal(_kept(node, shape))})"
    return f"np.broadcast_to({g}, {literal(tuple(shape))})"


def _shape_of(w: Writer, name: str) -> tuple:
    return np.shape(w.value(name))


def _mean(w: Writer, node: Node, g: str, s: list[str]) -> list[str | None]:
    shape = node.metadata["in_shape"]
    count = int(np.prod([shape[a] for a in _axes(node, len(shape))]))
    return [_expand(node, f"({g} / {count})", shape)]


def _norm(w: Writer, node: Node, g: str, s: list[str]) -> list[str | None]:
    x, out = s
    scale = w.assign("scale", f"{g} / np.where({out} == 0, 1.0, {out})", "x / ||x||, 0 where ||x|| = 0")
    return [f"{_expand(node, scale, node.metadata['in_shape'])} * {x}"]


def _logsumexp(w: Writer, node: Node, g: str, s: list[str]) -> list[str | None]:
    x, out = s
    shape = _shape_of(w, x)
    return [f"{_expand(node, g, shape)} * np.exp({x} - {out}.reshape({literal(_kept(node, shape))}))"]


def _cumsum(w: Writer, node: Node, g: str, s: list[str]) -> list[str | None]:
    axis = literal(node.metadata["axis"])
    return [f"np.flip(np.cumsum(np.flip({g}, {axis}), {axis}), {axis})"]


def _matmul(w: Writer, node: Node, g: str, s: list[str]) -> list[str | None]:
    """1-D operands are promoted to matrices as in np.matmul, and the results squeezed back."""
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


def _einsum(w: Writer, node: Node, g: str, s: list[str]) -> list[str | None]:
    """Each operand's gradient by the same plan the engine's backward follows (ops/einsum.py)."""
    inputs, output = node.metadata["inputs"], node.metadata["output"]
    shapes = [_shape_of(w, x) for x in s]
    grads = []
    for i, needed in enumerate(node.needs_input_grad):
        if not needed:
            grads.append(None)
            continue
        others = [x for j, x in enumerate(s) if j != i]
        expression = g
        for step in gradient_plan(inputs, output, shapes, i):
            kind = step[0]
            if kind == "einsum":
                expression = f"np.einsum({step[1]!r}, {', '.join([expression] + others)})"
            elif kind == "reshape":
                expression = f"{expression}.reshape({literal(step[1])})"
            elif kind == "sum":
                expression = f"{expression}.sum(axis={literal(step[1])}, keepdims=True)"
            elif kind == "broadcast":
                expression = f"np.broadcast_to({expression}, {literal(step[1])})"
            else:
                eyes = ", ".join(f"np.eye({n})" for n in step[2])
                expression = f"np.einsum({step[1]!r}, {expression}, {eyes})"
        grads.append(expression)
    return grads


def _linear(w: Writer, node: Node, g: str, s: list[str]) -> list[str | None]:
    x, weight = s
    lead = tuple(range(len(_shape_of(w, g)) - 1))
    flat = f"{g}.reshape(-1, {g}.shape[-1]).T @ {x}.reshape(-1, {x}.shape[-1])"
    bias = f"{g}.sum(axis={literal(lead)})" if lead else g
    return [f"{g} @ {weight}", flat, bias][: len(node.parents)]


def _extremum(w: Writer, node: Node, g: str, s: list[str]) -> list[str | None]:
    """max/min: the gradient to the extremum, shared equally by ties."""
    x, out = s
    shape = _shape_of(w, x)
    hit = w.assign("hit", f"{x} == {out}.reshape({literal(_kept(node, shape))})", "where the extremum is")
    axes = literal(_axes(node, len(shape)))
    return [f"{_expand(node, g, shape)} * ({hit} / {hit}.sum(axis={axes}, keepdims=True))"]


def _product(w: Writer, node: Node, g: str, s: list[str]) -> list[str | None]:
    """prod: each element gets the product of the others in its group (products before and after
    it, so zeros need no division)."""
    x = s[0]
    shape = _shape_of(w, x)
    axes = _axes(node, len(shape))
    order = [a for a in range(len(shape)) if a not in axes] + list(axes)
    kept = tuple(shape[a] for a in order[: len(order) - len(axes)])
    rows = w.assign("rows", f"np.transpose({x}, {literal(tuple(order))}).reshape({literal(kept + (-1,))})",
                    "each group in one row")
    ones = w.assign("ones", f"np.ones({rows}.shape[:-1] + (1,), dtype={rows}.dtype)")
    before = w.assign("before", f"np.cumprod(np.concatenate([{ones}, {rows}[..., :-1]], axis=-1), axis=-1)")
    after = w.assign("after", f"np.cumprod(np.concatenate([{ones}, {rows}[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]")
    moved, back = literal(tuple(shape[a] for a in order)), literal(tuple(int(a) for a in np.argsort(order)))
    others = w.assign("others", f"np.transpose(({before} * {after}).reshape({moved}), {back})",
                      "product of the other elements")
    return [f"{_expand(node, g, shape)} * {others}"]


def _cat(w: Writer, node: Node, g: str, s: list[str]) -> list[str | None]:
    """Each input gets its slice of the gradient along the axis."""
    axis, grads, start = node.metadata["axis"], [], 0
    for size in node.metadata["sizes"]:
        grads.append(f"{g}[{', '.join([':'] * axis + [f'{start}:{start + size}'])}]")
        start += size
    return grads


def _scatter(w: Writer, node: Node, g: str, s: list[str]) -> list[str | None]:
    """getitem: the gradient added into zeros at the index (np.add.at where indices repeat)."""
    index = node.metadata["index"]
    target = w.assign("scattered", f"np.zeros({literal(tuple(node.metadata['in_shape']))}, dtype={g}.dtype)")
    if node.metadata.get("repeats"):
        w.line(f"np.add.at({target}, {literal(index)}, {g})")
    else:
        w.line(f"{target}[{subscript(index)}] = {g}")
    return [target]


def _setitem(w: Writer, node: Node, g: str, s: list[str]) -> list[str | None]:
    index = subscript(node.metadata["index"])
    keep = w.assign("keep", f"np.ones({g}.shape, dtype={g}.dtype)")
    w.line(f"{keep}[{index}] = 0  # the overwritten positions get nothing")
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
    image = w.assign("image", f"np.zeros(({c}, {n}, {h}, {wd}), dtype={g}.dtype)", "channel-major")
    for i in range(kh):
        for j in range(kw):
            rows = f"{i * dh}:{i * dh + sh * (oh - 1) + 1}:{sh}"
            columns = f"{j * dw}:{j * dw + sw * (ow - 1) + 1}:{sw}"
            w.line(f"{image}[:, :, {rows}, {columns}] += {blocks}[:, {i}, {j}]")
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


def _pow(w: Writer, node: Node, g: str, s: list[str]) -> list[str | None]:
    x, y, out = s
    gx = f"{g} * 0.0" if np.all(w.value(y) == 0) else f"{g} * {y} * {x} ** ({y} - 1)"  # d/dx x**0 is 0, also at 0
    return [gx, f"{g} * {out} * np.log({x})"]


def _meta(node: Node, key: str) -> str:
    return literal(node.metadata[key])


# Each entry: (writer w, node n, upstream gradient variable g, saved-value variables s) -> one NumPy
# expression per positional input, in the order forward received them.
BACKWARD_NUMPY: dict[str, Render] = {
    "Add": lambda w, n, g, s: [g, g],
    "Sub": lambda w, n, g, s: [g, f"-{g}"],
    "Mul": lambda w, n, g, s: [f"{g} * {s[1]}", f"{g} * {s[0]}"],
    "Div": lambda w, n, g, s: [f"{g} / {s[1]}", f"-({g} * {s[0]}) / ({s[1]} * {s[1]})"],
    "Pow": _pow,
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
    "Softplus": lambda w, n, g, s: [f"np.where({s[1]}, {g}, {g} / (1 + np.exp(-{s[0]} * {_meta(n, 'beta')})))"],
    "Clip": lambda w, n, g, s: [f"{g} * {s[0]}"],
    "Maximum": lambda w, n, g, s: [f"{g} * {s[0]}", f"{g} * (1 - {s[0]})"],
    "Minimum": lambda w, n, g, s: [f"{g} * {s[0]}", f"{g} * (1 - {s[0]})"],
    "Where": lambda w, n, g, s: [None, f"{g} * {s[0]}", f"{g} * ~{s[0]}"],
    "Sum": lambda w, n, g, s: [_expand(n, g, n.metadata["in_shape"])],
    "Mean": _mean,
    "Max": _extremum,
    "Min": _extremum,
    "Norm2": _norm,
    "CumSum": _cumsum,
    "Prod": _product,
    "LogSumExp": _logsumexp,
    "Reshape": lambda w, n, g, s: [f"{g}.reshape({_meta(n, 'in_shape')})"],
    "Permute": lambda w, n, g, s: [f"{g}.transpose({literal(tuple(int(a) for a in np.argsort(n.metadata['axes'])))})"],
    "Expand": lambda w, n, g, s: [g],
    "Pad": lambda w, n, g, s: [f"{g}[{subscript(n.metadata['crop'])}]"],
    "Flip": lambda w, n, g, s: [f"np.flip({g}, {_meta(n, 'axis')})"],
    "Cat": _cat,
    "Clone": lambda w, n, g, s: [g],
    "Cast": lambda w, n, g, s: [f"{g}.astype({_meta(n, 'in_dtype')})"],
    "MatMul": _matmul,
    "Einsum": _einsum,
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
    "GetItem": _scatter,
    "IndexAdd": lambda w, n, g, s: [f"{g}[{subscript(n.metadata['index'])}]"],
    "SetItem": _setitem,
}
