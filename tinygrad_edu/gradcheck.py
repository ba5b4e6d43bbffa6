"""Gradient checking: analytic gradients (backward) against central differences, in float64."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from .autograd import grad
from .autograd.tensor import Tensor


class GradcheckError(AssertionError):
    """Raised by `gradcheck` when analytic and numerical gradients disagree; `.rows` holds the table."""

    def __init__(self, message: str, rows: list[tuple]) -> None:
        super().__init__(message)
        self.rows = rows


def _as_tuple(out: Any) -> tuple:
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def _prepare(inputs: Any) -> list:
    inputs = list(inputs) if isinstance(inputs, (tuple, list)) else [inputs]
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad and x.dtype != np.float64:
            raise TypeError(
                f"gradcheck: input {i} is {x.dtype}; central differences need float64 inputs "
                "(create them with dtype=np.float64 or call .double() before requires_grad)"
            )
    return inputs


def _evaluate(fn: Callable, inputs: list) -> list[np.ndarray]:
    """Outputs as float64 arrays (with grad mode on: `fn` may itself differentiate)."""
    return [np.array(o._data if isinstance(o, Tensor) else o, dtype=np.float64) for o in _as_tuple(fn(*inputs))]


def jacobians(fn: Callable, inputs: Sequence[Any], eps: float = 1e-6) -> list[tuple[int, int, np.ndarray, np.ndarray]]:
    """For every (output, input that requires grad): (output index, input index, analytic, numerical)
    Jacobians of shape (output size, input size)."""
    inputs = _prepare(inputs)
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    outputs = _as_tuple(fn(*inputs))
    result = []
    for o_idx, out in enumerate(outputs):
        n_out = int(np.prod(np.shape(out)))
        analytic = {i: np.zeros((n_out, inputs[i].size)) for i in wrt}
        if isinstance(out, Tensor) and out.requires_grad:
            for j in range(n_out):
                seed = np.zeros(n_out, dtype=out.dtype)
                seed[j] = 1.0
                grads = grad(out, [inputs[i] for i in wrt], grad_outputs=[Tensor._make(seed.reshape(out.shape))],
                             retain_graph=True, allow_unused=True)
                for i, g in zip(wrt, grads):
                    if g is not None:
                        analytic[i][j] = np.asarray(g._data, dtype=np.float64).reshape(-1)
        for i in wrt:
            numerical = np.zeros_like(analytic[i])
            flat = inputs[i]._data.reshape(-1)
            if not np.shares_memory(flat, inputs[i]._data):
                raise ValueError("gradcheck: inputs must be contiguous arrays")
            for k in range(flat.size):
                original = flat[k]
                flat[k] = original + eps
                plus = _evaluate(fn, inputs)[o_idx]
                flat[k] = original - eps
                minus = _evaluate(fn, inputs)[o_idx]
                flat[k] = original
                numerical[:, k] = ((plus - minus) / (2 * eps)).reshape(-1)
            result.append((o_idx, i, analytic[i], numerical))
    return result


def _table(rows: list[tuple], limit: int = 10) -> str:
    lines = [f"{'input':>5} {'element':>12} {'output':>8} {'analytic':>14} {'numerical':>14} {'error':>10}"]
    for i, elem, out_elem, a, n, err in rows[:limit]:
        lines.append(f"{i:>5} {str(elem):>12} {out_elem:>8} {a:>14.6g} {n:>14.6g} {err:>10.3g}")
    if len(rows) > limit:
        lines.append(f"... {len(rows) - limit} more mismatches")
    return "\n".join(lines)


def _directional_rows(fn: Callable, inputs: list, eps: float, atol: float, rtol: float, seed: int) -> list[tuple]:
    """Fast mode: per input, compare v^T J u (one backward) with the central difference of v^T f
    along a random direction u (two forwards), for a random output weighting v."""
    rng = np.random.default_rng(seed)
    outputs = _as_tuple(fn(*inputs))
    weights = [rng.standard_normal(np.shape(o)) for o in outputs]
    differentiable = [(o, w) for o, w in zip(outputs, weights) if isinstance(o, Tensor) and o.requires_grad]
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    grads = [None] * len(wrt)
    if differentiable:
        grads = grad([o for o, _ in differentiable], [inputs[i] for i in wrt],
                     grad_outputs=[Tensor._make(w.astype(o.dtype)) for o, w in differentiable], allow_unused=True)
    rows = []
    for i, g in zip(wrt, grads):
        direction = rng.standard_normal(inputs[i].shape)
        direction /= max(np.linalg.norm(direction), 1e-12)
        analytic = 0.0 if g is None else float(np.sum(np.asarray(g._data, dtype=np.float64) * direction))
        data = inputs[i]._data
        original = data.copy()
        data += eps * direction
        plus = _evaluate(fn, inputs)
        data[...] = original - eps * direction
        minus = _evaluate(fn, inputs)
        data[...] = original
        numerical = sum(float(np.sum(w * (p - m))) for w, p, m in zip(weights, plus, minus)) / (2 * eps)
        err = abs(analytic - numerical)
        if not (err <= atol + rtol * abs(numerical) or analytic == numerical):
            rows.append((i, "random u", "v.f", analytic, numerical, err))
    return rows


def gradcheck(fn: Callable, inputs: Any, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, fast_mode: bool = False, seed: int = 0) -> bool:
    """Compare `fn`'s analytic gradients with central differences for every input that requires grad.

    Returns True when all agree within `atol + rtol * |numerical|`; otherwise raises `GradcheckError`
    with a table of the worst elements (or returns False when `raise_exception=False`).
    `fast_mode=True` checks one random directional derivative per input instead of every element
    (seconds for a model with 100,000 parameters; the table then has one row per failing input).
    """
    inputs = _prepare(inputs)
    if fast_mode:
        rows = _directional_rows(fn, inputs, eps, atol, rtol, seed)
    else:
        rows = []
        for o_idx, i, analytic, numerical in jacobians(fn, inputs, eps):
            err = np.abs(analytic - numerical)
            close = (err <= atol + rtol * np.abs(numerical)) | (analytic == numerical)  # NaN never passes
            shape = inputs[i].shape
            for out_elem, k in np.argwhere(~close):
                elem = np.unravel_index(k, shape) if shape else ()
                rows.append((i, tuple(int(e) for e in elem), int(out_elem), analytic[out_elem, k],
                             numerical[out_elem, k], err[out_elem, k]))
    if not rows:
        return True
    if not raise_exception:
        return False
    rows.sort(key=lambda r: -r[5])
    mode = "directional derivatives" if fast_mode else "entries"
    raise GradcheckError(
        f"gradcheck: analytic and numerical gradients differ in {len(rows)} {mode} "
        f"(atol={atol}, rtol={rtol}, eps={eps}):\n" + _table(rows), rows
    )


def second_order_function(fn: Callable, inputs: Sequence[Any], grad_outputs: Sequence[Any] | None = None,
                          seed: int = 0) -> tuple[Callable, list]:
    """Build g(inputs, v) = vector-Jacobian product of `fn`, differentiable again, and its inputs."""
    inputs = _prepare(inputs)
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    outputs = [o for o in _as_tuple(fn(*inputs))]
    rng = np.random.default_rng(seed)
    if grad_outputs is None:
        grad_outputs = [Tensor(rng.standard_normal(np.shape(o)), requires_grad=True) for o in outputs]
    grad_outputs = list(grad_outputs)
    n = len(inputs)

    def vjp(*args: Any) -> tuple:
        ins, vs = list(args[:n]), args[n:]
        outs = _as_tuple(fn(*ins))
        used = [(o, v) for o, v in zip(outs, vs) if isinstance(o, Tensor) and o.requires_grad]
        if not used:
            return tuple(Tensor(np.zeros(ins[i].shape)) for i in wrt)
        grads = grad([o for o, _ in used], [ins[i] for i in wrt], grad_outputs=[v for _, v in used],
                     create_graph=True, allow_unused=True)
        return tuple(Tensor(np.zeros(ins[i].shape)) if g is None else g for i, g in zip(wrt, grads))

    return vjp, inputs + grad_outputs


def gradgradcheck(fn: Callable, inputs: Any, grad_outputs: Sequence[Any] | None = None, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True, fast_mode: bool = False) -> bool:
    """Check second derivatives: gradcheck of the vector-Jacobian product of `fn` (built with
    `create_graph=True`) with respect to the inputs and the vector."""
    vjp, all_inputs = second_order_function(fn, inputs, grad_outputs)
    return gradcheck(vjp, all_inputs, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception,
                     fast_mode=fast_mode)
