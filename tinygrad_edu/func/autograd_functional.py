"""torch.autograd.functional on this engine: vjp, jvp, jacobian, hessian, vhp, hvp.

The older, non-composable form of the transforms: each takes a function and its inputs (a tensor
or a tuple of tensors) and returns the derivative directly. `create_graph=True` keeps the results
connected to inputs that require grad, `strict=True` refuses an input that no output depends on,
`vectorize=True` computes all Jacobian rows at once with vmap (tinygrad_edu.func), else one
backward pass per row. Reachable as `tinygrad_edu.autograd.functional` (attached from the package
above the core, which cannot import this layer).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..autograd import Tensor, enable_grad, grad, saved_as_constants
from ..ops.shape import stack
from . import transforms
from .differentiate import fresh, vjp_leaves
from .forward_ad import DualOperandError


def _as_tuple(x: Any, what: str, op: str) -> tuple[tuple, bool]:
    is_tuple = isinstance(x, (tuple, list))
    items = tuple(x) if is_tuple else (x,)
    for i, item in enumerate(items):
        if not isinstance(item, Tensor):
            raise TypeError(f"{op}: {what} must be a tensor or a tuple of tensors; entry {i} is {type(item).__name__}")
    return items, is_tuple


def _shaped(items: tuple, is_tuple: bool) -> Any:
    return items if is_tuple else items[0]


def _finish(tensors: tuple, create_graph: bool) -> tuple:
    return tensors if create_graph else tuple(t.detach() for t in tensors)


def _default_v(v: Any, like: tuple, what: str, op: str) -> tuple:
    """The vector of a vector-Jacobian product: required unless `like` is one single-element tensor."""
    if v is None:
        if len(like) != 1 or like[0].numel() != 1:
            raise RuntimeError(f"{op}: v can be omitted only when the {what} is a single tensor with one element; "
                               f"pass v with the {what}'s shapes {[tuple(t.shape) for t in like]}")
        return (Tensor._make(np.ones(like[0].shape, dtype=like[0].dtype)),)
    vs, _ = _as_tuple(v, "v", op)
    if len(vs) != len(like) or any(tuple(a.shape) != tuple(b.shape) for a, b in zip(vs, like)):
        raise RuntimeError(f"{op}: v has shapes {[tuple(t.shape) for t in vs]} but the {what} has shapes "
                           f"{[tuple(t.shape) for t in like]}")
    return vs


def _grads(outputs: tuple, inputs: tuple, vs: tuple, create_graph: bool, strict: bool, op: str) -> tuple:
    """sum_i <v_i, d output_i / d input> per input; zeros (or, strict, an error) for unused inputs."""
    roots = [(o, v) for o, v in zip(outputs, vs) if o.requires_grad]
    found = grad([o for o, _ in roots], list(inputs), [v for _, v in roots], retain_graph=True,
                 create_graph=create_graph, allow_unused=True) if roots else (None,) * len(inputs)
    result = []
    for i, (x, g) in enumerate(zip(inputs, found)):
        if g is None:
            if strict:
                raise RuntimeError(f"{op}: strict=True and the output does not depend on input {i} (shape "
                                   f"{tuple(x.shape)})")
            g = Tensor._make(np.zeros(x.shape, dtype=x.dtype))
        result.append(g)
    return tuple(result)


def _run(func: Callable, inputs: Any, op: str) -> tuple:
    xs, inputs_tuple = _as_tuple(inputs, "inputs", op)
    new = tuple(fresh(x) for x in xs)
    outs, outputs_tuple = _as_tuple(func(*new), "the function's output", op)
    return new, inputs_tuple, outs, outputs_tuple


def vjp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False) -> tuple:
    """`(func(inputs), v^T J)`, the product shaped like the inputs."""
    with enable_grad():
        new, inputs_tuple, outs, outputs_tuple = _run(func, inputs, "vjp")
        product = _grads(outs, new, _default_v(v, outs, "output", "vjp"), create_graph, strict, "vjp")
    return _shaped(_finish(outs, create_graph), outputs_tuple), _shaped(_finish(product, create_graph), inputs_tuple)


def jvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False) -> tuple:
    """`(func(inputs), J v)`: by dual numbers when they serve (as func.jvp), else by the double-vjp
    construction (d/du of <J^T u, v>)."""
    if not create_graph and not strict:
        xs, _ = _as_tuple(inputs, "inputs", "jvp")
        vs = _default_v(v, xs, "input", "jvp")
        if transforms.dual_numbers_serve([*xs, *vs]):
            try:
                outs, product = transforms.dual_jvp(func, xs, vs, False)
            except DualOperandError:
                pass  # something dual numbers cannot run: the double-vjp construction below
            else:
                outs, outputs_tuple = _as_tuple(outs, "the function's output", "jvp")
                return _shaped(outs, outputs_tuple), _shaped(tuple(product) if outputs_tuple else (product,),
                                                             outputs_tuple)
    with enable_grad():
        new, inputs_tuple, outs, outputs_tuple = _run(func, inputs, "jvp")
        vs = _default_v(v, new, "input", "jvp")
        dummies = tuple(fresh(Tensor._make(np.zeros(o.shape, dtype=o.dtype))) for o in outs)
        with saved_as_constants(not create_graph):  # J^T u as a function of u only (func.jvp's fast path)
            transposed = _grads(outs, new, dummies, True, strict, "jvp")
        product = _grads(transposed, dummies, vs, create_graph, False, "jvp")
    return _shaped(_finish(outs, create_graph), outputs_tuple), _shaped(_finish(product, create_graph), outputs_tuple)


def jacobian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """The Jacobian, blocks of shape output shape + input shape: a tensor for one input and one
    output, a tuple over inputs, a tuple over outputs of those."""
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(f"jacobian: strategy must be 'reverse-mode' or 'forward-mode', got {strategy!r}")
    if strategy == "forward-mode" and not vectorize:
        raise NotImplementedError("jacobian: strategy='forward-mode' needs vectorize=True (as in PyTorch)")
    if vectorize:
        if strict:
            raise RuntimeError("jacobian: strict=True is not supported with vectorize=True (as in PyTorch)")
        return _vectorized_jacobian(func, inputs, create_graph, strategy)
    with enable_grad():
        new, inputs_tuple, outs, outputs_tuple = _run(func, inputs, "jacobian")
        blocks = []
        for out in outs:
            flat = out.reshape(-1)
            rows = []
            for i in range(flat.shape[0]):
                one = Tensor._make(np.ones((), dtype=out.dtype))
                rows.append(_grads((flat[i],), new, (one,), create_graph, strict, "jacobian"))
            per_input = []
            for j, x in enumerate(new):
                stacked = stack([r[j] for r in rows]) if rows else Tensor._make(np.zeros((0, *x.shape), x.dtype))
                per_input.append(stacked.reshape(*out.shape, *x.shape))
            blocks.append(_shaped(_finish(tuple(per_input), create_graph), inputs_tuple))
    return _shaped(tuple(blocks), outputs_tuple)


def _vectorized_jacobian(func: Callable, inputs: Any, create_graph: bool, strategy: str) -> Any:
    xs, inputs_tuple = _as_tuple(inputs, "inputs", "jacobian")
    transform = transforms.jacrev if strategy == "reverse-mode" else transforms.jacfwd
    connected = tuple(x if create_graph else x.detach() for x in xs)
    result = transform(func, argnums=tuple(range(len(xs))))(*connected)
    outputs_tuple = isinstance(result, (tuple, list)) and not isinstance(result[0], Tensor)
    blocks = tuple(result) if outputs_tuple else (result,)
    return _shaped(tuple(_shaped(tuple(b), inputs_tuple) for b in blocks), outputs_tuple)


def _scalar_output(func: Callable, op: str) -> Callable:
    def checked(*xs: Tensor) -> Tensor:
        out = func(*xs)
        if not isinstance(out, Tensor) or out.numel() != 1:
            raise RuntimeError(f"{op}: the function must return a single tensor with one element, got "
                               f"{type(out).__name__} of shape {getattr(out, 'shape', None)}")
        return out

    return checked


def hessian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of a scalar function: the Jacobian of its gradient (a tuple of tuples over
    pairs of inputs when `inputs` is a tuple)."""
    scalar = _scalar_output(func, "hessian")
    xs, inputs_tuple = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*ys: Tensor) -> tuple:
        out = scalar(*ys)
        one = Tensor._make(np.ones((), dtype=out.dtype))
        if vectorize:  # ys are batched under vmap: the batch-aware vjp
            return tuple(vjp_leaves([out.reshape(())], [one], list(ys), True))
        return _grads((out.reshape(()),), ys, (one,), True, strict, "hessian")

    result = jacobian(gradient, xs, create_graph, strict, vectorize, outer_jacobian_strategy)
    return result if inputs_tuple else result[0][0]


def vhp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False) -> tuple:
    """`(func(inputs), v^T H)`: the gradient of <grad f, v>, two backward passes."""
    scalar = _scalar_output(func, "vhp")
    with enable_grad():
        new, inputs_tuple, outs, _ = _run(scalar, inputs, "vhp")
        vs = _default_v(v, new, "input", "vhp")
        one = (Tensor._make(np.ones(outs[0].shape, dtype=outs[0].dtype)),)
        gradients = _grads(outs, new, one, True, strict, "vhp")
        product = _grads(gradients, new, vs, create_graph, strict, "vhp")
    return _finish(outs, create_graph)[0], _shaped(_finish(product, create_graph), inputs_tuple)


def hvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False) -> tuple:
    """`(func(inputs), H v)`; the Hessian of a twice continuously differentiable function is
    symmetric, so H v = (v^T H)^T and the same two backward passes give it."""
    return vhp(func, inputs, v, create_graph, strict)
