"""The scalar view: a micrograd-sized engine on single numbers, and tensor code expanded into it.

`Value` holds one float. Each operation returns a new Value that remembers its inputs and the
local derivative with respect to each (a number, computed when the operation runs), so
`backward()` only has to multiply and add: every Value's gradient is the sum, over its uses, of
the user's gradient times the local derivative. `scalarize(fn, *tensors)` runs tensor code `fn` on
arrays of Values (`ValueArray`, with the Tensor methods small models use), so a small tensor
computation becomes its graph of scalar operations, drawn with the `graphviz` package.
"""

from __future__ import annotations

import math
import operator
from typing import Any, Callable, Iterator

import numpy as np

from .autograd import Tensor, grad


class Value:
    """One number in a scalar computation graph: `data`, `grad` (d output/d this, after
    `backward()`), and the inputs it was computed from with their local derivatives."""

    __slots__ = ("data", "grad", "inputs", "local", "op", "label")

    def __init__(self, data: float, inputs: tuple[Value, ...] = (), local: tuple[float, ...] = (), op: str = "",
                 label: str = "") -> None:
        self.data = float(data)
        self.grad = 0.0
        self.inputs, self.local, self.op, self.label = inputs, local, op, label

    def __repr__(self) -> str:
        return f"Value(data={self.data:.4g}, grad={self.grad:.4g}{', ' + self.op if self.op else ''})"

    # -- operations: the result, and d result/d each input ------------------------------------

    def __add__(self, other: Any) -> Value:
        other = _value(other)
        return Value(self.data + other.data, (self, other), (1.0, 1.0), "+")

    def __mul__(self, other: Any) -> Value:
        other = _value(other)
        return Value(self.data * other.data, (self, other), (other.data, self.data), "*")

    def __pow__(self, exponent: Any) -> Value:
        if isinstance(exponent, Value):  # x**y = exp(y log x)
            return (exponent * self.log()).exp()
        return Value(self.data**exponent, (self,), (exponent * self.data ** (exponent - 1),), f"**{exponent:g}")

    def exp(self) -> Value:
        out = math.exp(self.data)
        return Value(out, (self,), (out,), "exp")

    def log(self) -> Value:
        return Value(math.log(self.data), (self,), (1.0 / self.data,), "log")

    def tanh(self) -> Value:
        out = math.tanh(self.data)
        return Value(out, (self,), (1.0 - out * out,), "tanh")

    def relu(self) -> Value:
        return Value(max(self.data, 0.0), (self,), (float(self.data > 0),), "relu")

    def __abs__(self) -> Value:
        return Value(abs(self.data), (self,), (float(np.sign(self.data)),), "abs")

    # -- the rest, written with the operations above ------------------------------------------

    def __neg__(self) -> Value:
        return self * -1.0

    def __sub__(self, other: Any) -> Value:
        return self + (-_value(other))

    def __truediv__(self, other: Any) -> Value:
        return self * _value(other) ** -1

    def __radd__(self, other: Any) -> Value:
        return self + other

    def __rmul__(self, other: Any) -> Value:
        return self * other

    def __rsub__(self, other: Any) -> Value:
        return _value(other) - self

    def __rtruediv__(self, other: Any) -> Value:
        return _value(other) / self

    def __rpow__(self, base: Any) -> Value:
        return _value(base) ** self

    # comparisons look at the numbers (for masks such as relu's x > 0); they are not differentiated
    def __gt__(self, other: Any) -> bool:
        return self.data > _value(other).data

    def __ge__(self, other: Any) -> bool:
        return self.data >= _value(other).data

    def __lt__(self, other: Any) -> bool:
        return self.data < _value(other).data

    def __le__(self, other: Any) -> bool:
        return self.data <= _value(other).data

    # -- backpropagation ------------------------------------------------------------------------

    def graph(self) -> list[Value]:
        """Every Value this one depends on, each after all Values computed from it (self first)."""
        uses: dict[int, int] = {id(self): 0}
        stack, seen = [self], {id(self): self}
        while stack:
            for parent in stack.pop().inputs:
                uses[id(parent)] = uses.get(id(parent), 0) + 1
                if id(parent) not in seen:
                    seen[id(parent)] = parent
                    stack.append(parent)
        order, ready = [], [self]
        while ready:  # a Value is ready once every Value computed from it has been visited
            value = ready.pop()
            order.append(value)
            for parent in value.inputs:
                uses[id(parent)] -= 1
                if uses[id(parent)] == 0:
                    ready.append(parent)
        return order

    def backward(self) -> None:
        """Set `v.grad` = d self/d v for every Value v this one depends on. Each pass starts from
        zero; within it, a Value used several times adds up the gradients of all its uses."""
        order = self.graph()
        for value in order:
            value.grad = 0.0
        self.grad = 1.0
        for value in order:
            for parent, local in zip(value.inputs, value.local):
                parent.grad += value.grad * local  # the chain rule: upstream x local derivative

    def draw(self, rankdir: str = "LR") -> Any:
        """The scalar graph as a GraphDrawing (`.source`, `.render(path)`, Jupyter display)."""
        return draw_values([self], rankdir)


def _value(x: Any) -> Value:
    return x if isinstance(x, Value) else Value(float(x))


def draw_values(outputs: list[Value], rankdir: str = "LR") -> Any:
    """DOT of the scalar graphs of `outputs`: a box per Value (label, data, grad), a circle per
    operation; rendered like draw_graph's drawings (system dot or graphviz-pure)."""
    import graphviz

    from ._render import GraphDrawing

    dot = graphviz.Digraph("scalar_graph", graph_attr={"rankdir": rankdir, "fontname": "Helvetica"},
                           node_attr={"fontname": "Helvetica", "fontsize": "10"})
    seen: set[int] = set()
    for output in outputs:
        for value in output.graph():
            if id(value) in seen:
                continue
            seen.add(id(value))
            key = f"v{id(value)}"
            title = f"{value.label} | " if value.label else ""
            dot.node(key, f"{title}data {value.data:.4f} | grad {value.grad:.4f}", shape="record")
            if value.op:
                dot.node(key + "op", value.op, shape="circle", width="0.3")
                dot.edge(key + "op", key)
                for parent in value.inputs:
                    dot.edge(f"v{id(parent)}", key + "op")
    return GraphDrawing(dot)


# ----------------------------------------------------------------------------------------------
# tensor code, element by element


def _elementwise(method: str) -> Callable[[ValueArray], ValueArray]:
    def apply(self: ValueArray) -> ValueArray:
        return ValueArray(np.vectorize(lambda v: getattr(_value(v), method)(), otypes=[object])(self.values))

    apply.__name__ = method
    apply.__doc__ = f"{method} of every element."
    return apply


def _binary(op: Callable[[Any, Any], Any], reflected: bool = False) -> Callable[[ValueArray, Any], ValueArray]:
    """`a op b` on the arrays of Values (with `reflected`, `b op a`: Python's __radd__ and kin)."""
    def apply(self: ValueArray, other: Any) -> ValueArray:
        other = other.values if isinstance(other, ValueArray) else other
        return ValueArray(op(other, self.values) if reflected else op(self.values, other))

    return apply


class ValueArray:
    """What tensor code receives inside `scalarize`: an array of Values with the tensor methods a
    small model uses. NumPy's object arrays apply Value's operators element by element."""

    def __init__(self, values: np.ndarray) -> None:
        self.values = np.asarray(values, dtype=object)

    shape = property(lambda self: self.values.shape)
    ndim = property(lambda self: self.values.ndim)
    T = property(lambda self: ValueArray(self.values.T))
    __add__, __radd__ = _binary(operator.add), _binary(operator.add, reflected=True)
    __sub__, __rsub__ = _binary(operator.sub), _binary(operator.sub, reflected=True)
    __mul__, __rmul__ = _binary(operator.mul), _binary(operator.mul, reflected=True)
    __truediv__, __rtruediv__ = _binary(operator.truediv), _binary(operator.truediv, reflected=True)
    __matmul__, __rmatmul__ = _binary(np.matmul), _binary(np.matmul, reflected=True)
    __pow__ = _binary(operator.pow)
    exp, log, tanh, relu, __abs__ = (_elementwise(m) for m in ("exp", "log", "tanh", "relu", "__abs__"))

    def __neg__(self) -> ValueArray:
        return self * -1.0

    def sigmoid(self) -> ValueArray:
        return 1.0 / ((-self).exp() + 1.0)

    def sum(self, axis: Any = None, keepdims: bool = False) -> ValueArray:
        return ValueArray(np.sum(self.values, axis=axis, keepdims=keepdims))

    def mean(self, axis: Any = None, keepdims: bool = False) -> ValueArray:
        total = self.sum(axis, keepdims)
        return total / (self.values.size // max(total.values.size, 1))

    def reshape(self, *shape: Any) -> ValueArray:
        return ValueArray(self.values.reshape(*shape))

    def __getitem__(self, index: Any) -> ValueArray:
        return ValueArray(self.values[index])


class Scalarized:
    """A tensor computation expanded into Values: `output` (an array of Values), `inputs` (one array
    of Values per input tensor), `.grads` (their gradients, in the tensors' shapes), `.draw()` and
    `.check()` (the gradients against the tensor engine's)."""

    def __init__(self, output: np.ndarray, inputs: list[np.ndarray], fn: Callable[..., Tensor],
                 tensors: tuple[Tensor, ...]) -> None:
        self.output, self.inputs, self._fn, self._tensors = output, inputs, fn, tensors

    @property
    def grads(self) -> list[np.ndarray]:
        """d(sum of the outputs)/d(each element), one float64 array per input tensor, in its shape."""
        return [np.vectorize(lambda v: v.grad, otypes=[np.float64])(values) for values in self.inputs]

    def __len__(self) -> int:
        """How many scalar operations the computation took."""
        return sum(1 for v in self._values() if v.op)

    def _values(self) -> Iterator[Value]:
        seen: set[int] = set()
        for out in self.output.reshape(-1):
            for value in out.graph() if isinstance(out, Value) else ():
                if id(value) not in seen:
                    seen.add(id(value))
                    yield value

    def draw(self, rankdir: str = "LR") -> Any:
        """The scalar graph: one box per number (data and grad), one circle per operation."""
        return draw_values([v for v in self.output.reshape(-1) if isinstance(v, Value)], rankdir)

    def tensor_grads(self) -> list[np.ndarray]:
        """The same gradients from the tensor engine (on float64 copies of the inputs)."""
        copies = [Tensor(t._data.astype(np.float64), requires_grad=True) for t in self._tensors]
        out = self._fn(*copies)
        found = grad(out.sum(), copies, allow_unused=True)
        return [np.zeros(t.shape) if g is None else g._data for t, g in zip(copies, found)]

    def check(self, rtol: float = 1e-7, atol: float = 1e-10) -> bool:
        """True when the scalar gradients equal the tensor engine's; raises ValueError naming the
        input and the largest difference otherwise."""
        for i, (scalar, tensor) in enumerate(zip(self.grads, self.tensor_grads())):
            if not np.allclose(scalar, tensor, rtol=rtol, atol=atol):
                worst = float(np.max(np.abs(scalar - tensor)))
                raise ValueError(f"scalarize: the scalar gradient of input {i} (shape {scalar.shape}) differs from "
                                 f"the tensor engine's by up to {worst:.3g}:\nscalar\n{scalar}\ntensor\n{tensor}")
        return True


def scalarize(fn: Callable[..., Tensor], *tensors: Tensor) -> Scalarized:
    """Run `fn` with every element of each tensor as a Value (through `ValueArray`, which has the
    Tensor methods small models use), then backpropagate through that scalar graph from the sum of
    the outputs. The same `fn` runs on Tensors, so `.check()` can compare with the tensor engine."""
    inputs = []
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"scalarize: input {i} is a {type(t).__name__}, not a Tensor")
        values = np.empty(t.shape, dtype=object)
        for index in np.ndindex(t.shape):
            values[index] = Value(t._data[index], label=_label(t.name or f"x{i}", index))
        inputs.append(values)
    try:
        result = fn(*(ValueArray(values) for values in inputs))
    except (AttributeError, TypeError) as err:
        raise TypeError(f"scalarize: {fn.__name__} uses an operation the scalar view does not have ({err}); it "
                        "supports + - * / ** @, exp, log, tanh, relu, sigmoid, abs, sum, mean, reshape, .T and "
                        "indexing, as Tensor methods") from None
    output = np.asarray(result.values if isinstance(result, ValueArray) else result, dtype=object)
    values = [v for v in output.reshape(-1) if isinstance(v, Value)]
    if values:
        total = values[0] if len(values) == 1 else sum(values[1:], values[0])  # one pass for all outputs
        total.backward()
    return Scalarized(output, inputs, fn, tensors)


def _label(name: str, index: tuple) -> str:
    return name + ("[" + ",".join(str(i) for i in index) + "]" if index else "")
