"""torch.func's autodiff transforms: grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian.

Each takes a function and returns a function; arguments and results may be pytrees of tensors.
Reverse mode is the engine's `grad` on fresh inputs (differentiate.py). Forward mode has two
ways (docs/func.md): a top-level jvp carries dual numbers through the function (forward_ad.py: one
forward pass, no graph); under vmap, inside another transform or when the result must be
differentiable, it is the double-vjp construction, which works for every op: the vjp u -> J^T u
is linear in u and differentiable, so differentiating <J^T u, v> with respect to u gives J v.
Jacobians vectorise over their basis vectors with vmap.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np

from ..autograd import Tensor, no_grad, saved_as_constants
from .batched import BatchedTensor, active_levels
from .differentiate import DEPTH, fresh, is_scalar, needs_graph, transform_level, vjp_leaves
from .forward_ad import FORWARD, DualOperandError, dual, primal_of, running_forward_mode, tangent_of
from .pytree import tree_flatten, tree_map, tree_unflatten
from .vmap import vmap


def _argnums_tuple(argnums: int | tuple[int, ...], count: int, op: str) -> tuple[int, ...]:
    numbers = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not numbers or not all(isinstance(n, int) for n in numbers):
        raise ValueError(f"{op}: argnums must be an int or a non-empty tuple of ints, got {argnums!r}")
    for n in numbers:
        if not -count <= n < count:
            raise ValueError(f"{op}: argnums {n} is out of range for a function called with {count} positional "
                             "arguments")
    return tuple(n % count for n in numbers)


def _fresh_args(args: tuple, numbers: tuple[int, ...]) -> tuple[list, list, list]:
    """The arguments with those of `numbers` replaced by fresh variables; those variables' leaves
    and the specs of the differentiated arguments."""
    args = list(args)
    leaves_per_arg, specs, originals = [], [], []
    for n in numbers:
        leaves, spec = tree_flatten(args[n])
        originals += leaves
        new = [fresh(x) for x in leaves]
        args[n] = tree_unflatten(new, spec)
        leaves_per_arg.append(new)
        specs.append(spec)
    return args, leaves_per_arg, specs + [originals]


def _split_aux(result: Any, has_aux: bool, op: str) -> tuple[Any, Any]:
    if not has_aux:
        return result, None
    if not isinstance(result, tuple) or len(result) != 2:
        raise ValueError(f"{op}: with has_aux=True the function must return a pair (output, aux)")
    return result


def _plain(tree: Any, keep_graph: bool) -> Any:
    """Results handed back to a caller outside any transform: cut from the internal graph."""
    return tree if keep_graph else tree_map(lambda x: x.detach() if isinstance(x, Tensor) else x, tree)


def _grads_for(numbers: tuple, argnums: Any, leaves_per_arg: list, specs: list, grads: list) -> Any:
    """The gradients, one pytree per differentiated argument (a tuple when argnums is a tuple)."""
    per_arg, start = [], 0
    for leaves, spec in zip(leaves_per_arg, specs):
        per_arg.append(tree_unflatten(grads[start:start + len(leaves)], spec))
        start += len(leaves)
    return per_arg[0] if isinstance(argnums, int) else tuple(per_arg)


def grad_and_value(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False) -> Callable:
    """torch.func.grad_and_value: the gradient of scalar `func` with respect to the arguments
    `argnums`, and the value (with aux: `(grad, (value, aux))`)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        numbers = _argnums_tuple(argnums, len(args), "grad")
        with transform_level():
            new_args, leaves_per_arg, specs = _fresh_args(args, numbers)
            originals = specs.pop()
            keep = needs_graph(originals)
            output, aux = _split_aux(func(*new_args, **kwargs), has_aux, "grad")
            if not is_scalar(output):
                raise RuntimeError(f"grad: the function must return a scalar tensor, got "
                                   f"{type(output).__name__} of shape {getattr(output, 'shape', None)}; use vjp or "
                                   "jacrev for other outputs")
            one = Tensor._make(np.ones((), dtype=output.dtype))
            flat = [x for leaves in leaves_per_arg for x in leaves]
            grads = vjp_leaves([output], [one], flat, keep)
        result = _grads_for(numbers, argnums, leaves_per_arg, specs, grads)
        value = output if aux is None else (output, aux)
        return _plain((result, value), keep)

    return wrapper


def grad(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False) -> Callable:
    """torch.func.grad: the gradient of scalar `func` with respect to its arguments `argnums`
    (with has_aux: `(grad, aux)`)."""
    both = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        gradient, value = both(*args, **kwargs)
        return (gradient, value[1]) if has_aux else gradient

    return wrapper


def vjp(func: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    """torch.func.vjp: `(output, vjp_fn)` (and aux); `vjp_fn(cotangents)` gives one gradient per
    primal, as a tuple, and may be called many times."""
    numbers = tuple(range(len(primals)))
    with transform_level():
        new_primals, leaves_per_arg, specs = _fresh_args(primals, numbers)
        originals = specs.pop()
        keep = needs_graph(originals)
        output, aux = _split_aux(func(*new_primals), has_aux, "vjp")
    out_leaves, out_spec = tree_flatten(output)
    flat = [x for leaves in leaves_per_arg for x in leaves]

    def vjp_fn(cotangents: Any) -> tuple:
        cot_leaves, cot_spec = tree_flatten(cotangents)
        if cot_spec != out_spec:
            raise ValueError("vjp: the cotangents must have the structure of the function's output")
        with transform_level():
            grads = vjp_leaves(out_leaves, cot_leaves, flat, keep or needs_graph(cot_leaves))
        return tuple(_grads_for(numbers, numbers, leaves_per_arg, specs, grads))

    result = (_plain(output, keep), vjp_fn)
    return result + (_plain(aux, keep),) if has_aux else result


def _matching(tangents: Any, primals: tuple, op: str) -> list:
    if not isinstance(tangents, tuple) or len(tangents) != len(primals):
        raise ValueError(f"{op}: primals and tangents must be tuples of the same length")
    leaves = []
    for p, t in zip(primals, tangents):
        p_leaves, p_spec = tree_flatten(p)
        t_leaves, t_spec = tree_flatten(t)
        if p_spec != t_spec or any(tuple(a.shape) != tuple(b.shape) for a, b in zip(p_leaves, t_leaves)):
            raise ValueError(f"{op}: each tangent must have the structure and shapes of its primal")
        leaves += t_leaves
    return leaves


def jvp(func: Callable, primals: tuple, tangents: tuple, *, has_aux: bool = False) -> tuple:
    """torch.func.jvp: `(output, J v)` (and aux). At top level, by dual numbers (`func` runs once,
    tangents next to values); when that cannot run `func` (an op without a jvp rule, values read
    as arrays), `func` runs again by the double-vjp construction (transforms expect pure functions)."""
    tangent_leaves = _matching(tangents, primals, "jvp")
    primal_leaves = [leaf for p in primals for leaf in tree_flatten(p)[0]]
    if dual_numbers_serve(primal_leaves + tangent_leaves):
        try:
            return dual_jvp(func, primals, tangents, has_aux)
        except DualOperandError:
            pass  # something dual numbers cannot run: the double-vjp construction below
    return _double_vjp_jvp(func, primals, tangents, tangent_leaves, has_aux)


def dual_numbers_serve(leaves: list) -> bool:
    """Dual numbers serve a jvp outside every other transform whose inputs and result need no graph."""
    return (DEPTH.value == 0 and not FORWARD.active and not active_levels()
            and all(type(x) is Tensor and x.dtype.kind == "f" and not x.requires_grad for x in leaves))


def dual_jvp(func: Callable, primals: tuple, tangents: tuple, has_aux: bool) -> tuple:
    """jvp by dual numbers: each primal leaf paired with its tangent, `func` run once."""
    duals = []
    for p, t in zip(primals, tangents):
        p_leaves, spec = tree_flatten(p)
        duals.append(tree_unflatten([dual(a, b) for a, b in zip(p_leaves, tree_flatten(t)[0])], spec))
    with running_forward_mode():
        output, aux = _split_aux(func(*duals), has_aux, "jvp")
    result = (_plain(tree_map(primal_of, output), False), tree_map(tangent_of, output))
    return result + (_plain(tree_map(primal_of, aux), False),) if has_aux else result


def _double_vjp_jvp(func: Callable, primals: tuple, tangents: tuple, tangent_leaves: list, has_aux: bool) -> tuple:
    """jvp by the double-vjp construction: u -> J^T u is linear in u, so the gradient of <J^T u, v>
    with respect to u is J v. Unless the result must be differentiable, J^T u is recorded with
    saved values as constants (u alone)."""
    with transform_level():
        new_primals, leaves_per_arg, specs = _fresh_args(primals, tuple(range(len(primals))))
        originals = specs.pop()
        keep = needs_graph(originals + tangent_leaves)
        output, aux = _split_aux(func(*new_primals), has_aux, "jvp")
        out_leaves, out_spec = tree_flatten(output)
        flat = [x for leaves in leaves_per_arg for x in leaves]
        dummies = [fresh(_zeros_like(out)) for out in out_leaves]  # u: any value works, J^T u is linear
        with saved_as_constants(not keep):  # J^T u recorded as a function of u only, unless the result needs more
            transposed = vjp_leaves(out_leaves, dummies, flat, create_graph=True)
        tangent_out = vjp_leaves(transposed, tangent_leaves, dummies, keep)
    tangent_out = tree_unflatten(tangent_out, out_spec)
    result = (_plain(output, keep), _plain(tangent_out, keep))
    return result + (_plain(aux, keep),) if has_aux else result


def _zeros_like(x: Any) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"jvp: the function returned a {type(x).__name__} where a tensor was expected")
    value = x.value if isinstance(x, BatchedTensor) else x
    zeros = Tensor._make(np.zeros(value.shape, dtype=value.dtype))
    return BatchedTensor(zeros, x.levels) if isinstance(x, BatchedTensor) else zeros


def _over_basis(fn: Callable[[Tensor], list], basis: Tensor, randomness: str = "error",
                chunk_size: int | None = None) -> list:
    """fn of every basis vector, stacked, vectorised with vmap (`chunk_size` vectors at a time when
    given, to bound memory)."""
    return vmap(fn, randomness=randomness, chunk_size=chunk_size)(basis)


def _basis(sizes: list[int], dtype: Any) -> Tensor:
    """The standard basis of the flattened leaves, one vector a row."""
    return Tensor._make(np.eye(sum(sizes), dtype=dtype))


def _pieces(vector: Tensor, like: list) -> list:
    """A (batched) vector cut into pieces shaped like the tensors `like`."""
    pieces, start = [], 0
    for x in like:
        n = int(np.prod(x.shape))
        pieces.append(vector[start:start + n].reshape(*x.shape))
        start += n
    return pieces


def jacrev(func: Callable, argnums: int | tuple[int, ...] = 0, *, has_aux: bool = False,
           chunk_size: int | None = None) -> Callable:
    """torch.func.jacrev: the Jacobian by reverse mode, all rows at once (one vjp under vmap over
    the output basis; `chunk_size` rows at a time when given). Shape: output shape + input
    shape, per output leaf and argument."""

    @functools.wraps(func)
    def wrapper(*args: Any) -> Any:
        numbers = _argnums_tuple(argnums, len(args), "jacrev")
        with no_grad():  # the output's structure and shapes
            output, aux = _split_aux(func(*args), has_aux, "jacrev")
        out_leaves, out_spec = tree_flatten(output)
        diff_leaves = [leaf for n in numbers for leaf in tree_flatten(args[n])[0]]

        def row(cotangent: Tensor) -> list:
            def partial(*diff_args: Any) -> Any:
                full = list(args)
                for n, value in zip(numbers, diff_args):
                    full[n] = value
                result = func(*full)
                return result[0] if has_aux else result

            _, vjp_fn = vjp(partial, *(args[n] for n in numbers))
            grads = vjp_fn(tree_unflatten(_pieces(cotangent, out_leaves), out_spec))
            return [leaf for g in grads for leaf in tree_flatten(g)[0]]

        rows = _over_basis(row, _basis([int(np.prod(o.shape)) for o in out_leaves], out_leaves[0].dtype),
                           chunk_size=chunk_size)
        jacobian = _assemble(rows, out_leaves, diff_leaves, rows_are_outputs=True)
        result = _structure(jacobian, out_spec, numbers, argnums, args)
        return (result, aux) if has_aux else result

    return wrapper


def jacfwd(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False, *,
           randomness: str = "error") -> Callable:
    """torch.func.jacfwd: the Jacobian by forward mode, all columns at once (one jvp under vmap
    over the input basis)."""

    @functools.wraps(func)
    def wrapper(*args: Any) -> Any:
        numbers = _argnums_tuple(argnums, len(args), "jacfwd")
        diff_args = tuple(args[n] for n in numbers)
        diff_leaves = [leaf for a in diff_args for leaf in tree_flatten(a)[0]]
        specs = [tree_flatten(a)[1] for a in diff_args]

        def partial(*values: Any) -> Any:
            full = list(args)
            for n, value in zip(numbers, values):
                full[n] = value
            return func(*full)

        def column(direction: Tensor) -> list:
            pieces, tangents, start = _pieces(direction, diff_leaves), [], 0
            for spec in specs:
                tangents.append(tree_unflatten(pieces[start:start + spec.num_leaves], spec))
                start += spec.num_leaves
            tangent_out = jvp(lambda *values: _split_aux(partial(*values), has_aux, "jacfwd")[0], diff_args,
                              tuple(tangents))[1]
            return tree_flatten(tangent_out)[0]

        with no_grad():  # the output's structure and shapes
            out_probe = partial(*diff_args)
        out_leaves, out_spec = tree_flatten(out_probe[0] if has_aux else out_probe)
        columns = _over_basis(column, _basis([int(np.prod(x.shape)) for x in diff_leaves], diff_leaves[0].dtype),
                              randomness)
        jacobian = _assemble(columns, out_leaves, diff_leaves, rows_are_outputs=False)
        result = _structure(jacobian, out_spec, numbers, argnums, args)
        return (result, out_probe[1]) if has_aux else result

    return wrapper


def _assemble(batched: list, out_leaves: list, in_leaves: list, rows_are_outputs: bool) -> list:
    """Cut the stacked vjps (rows: one per output element) or jvps (columns: one per input
    element) into blocks [output leaf][input leaf] of shape output shape + input shape."""
    blocks, start = [], 0
    major = out_leaves if rows_are_outputs else in_leaves
    pieces = []  # pieces[major][minor]: tensor (size of major leaf, *minor shape)
    for m in major:
        n = int(np.prod(m.shape))
        pieces.append([b[start:start + n] for b in batched])
        start += n
    for i, o in enumerate(out_leaves):
        row = []
        for j, x in enumerate(in_leaves):
            if rows_are_outputs:
                row.append(pieces[i][j].reshape(*o.shape, *x.shape))
            else:
                block = pieces[j][i]  # (size of x, *o.shape)
                moved = block.permute(*range(1, block.ndim), 0) if block.ndim > 1 else block
                row.append(moved.reshape(*o.shape, *x.shape))
        blocks.append(row)
    return blocks


def _structure(blocks: list, out_spec: Any, numbers: tuple, argnums: Any, args: tuple) -> Any:
    """The Jacobian in torch.func's layout: the output's pytree, each leaf holding the argument's
    pytree (a tuple over arguments when argnums is a tuple)."""
    per_output = []
    for row in blocks:
        per_arg, start = [], 0
        for n in numbers:
            leaves, spec = tree_flatten(args[n])
            per_arg.append(tree_unflatten(row[start:start + len(leaves)], spec))
            start += len(leaves)
        per_output.append(per_arg[0] if isinstance(argnums, int) else tuple(per_arg))
    return tree_unflatten(per_output, out_spec)


def hessian(func: Callable, argnums: int | tuple[int, ...] = 0) -> Callable:
    """torch.func.hessian: jacfwd(jacrev(func)), forward over reverse."""
    return jacfwd(jacrev(func, argnums), argnums)
