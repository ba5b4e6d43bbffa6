"""What every checker shares: comparing arrays element by element, turning a learner's forward and
backward into a Function that gradcheck can test, and running a check on hypothesis-drawn cases."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import Function, GradcheckError, Tensor, testing

ForwardFn = Callable[..., tuple[Any, Any]]
BackwardFn = Callable[[np.ndarray, Any], Any]


class ExerciseFailed(AssertionError):
    """A learner's solution disagrees with the engine or with central differences; the message
    names the exercise, the wrong element and by how much."""


def _index(position: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(i) for i in position) + "]" if position else ""


def compare(what: str, expected: Any, got: Any, atol: float = 1e-6, rtol: float = 1e-5) -> None:
    """Raise ExerciseFailed naming the worst element of `got` that differs from `expected`
    (e.g. "grad of x[1, 2]: expected 0.25, got 0.5 (difference 0.25)"); shapes must match."""
    expected = np.asarray(expected, dtype=np.float64)
    try:
        got_array = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ExerciseFailed(f"{what}: expected an array of shape {expected.shape}, got {type(got).__name__} "
                             f"({err})") from None
    if got_array.shape != expected.shape:
        raise ExerciseFailed(f"{what}: expected shape {expected.shape}, got shape {got_array.shape}")
    difference = np.abs(got_array - expected)
    wrong = ~(difference <= atol + rtol * np.abs(expected))  # NaN is always wrong
    if not wrong.any():
        return
    worst = np.where(np.isnan(difference), np.inf, difference) * wrong
    position = np.unravel_index(int(np.argmax(worst)), expected.shape) if expected.shape else ()
    e, g = expected[position], got_array[position]
    others = int(wrong.sum()) - 1
    more = f"; {others} more of {wrong.size} elements differ" if others else ""
    raise ExerciseFailed(f"{what}{_index(tuple(int(p) for p in position))}: expected {e:.6g}, got {g:.6g} "
                         f"(difference {abs(g - e):.3g}){more}")


def as_function(forward: ForwardFn, backward: BackwardFn, differentiable: int | None = None) -> type[Function]:
    """A Function whose forward is `forward(*arrays, **kw) -> (out, cache)` and whose backward is
    `backward(grad_out, cache)`, returning one gradient per differentiable input (the first
    `differentiable` inputs, default all); later inputs (labels, sizes) get no gradient. The op is
    named after `forward` without its `_forward` suffix, as graphs show it."""

    class LearnersOp(Function):
        @staticmethod
        def forward(ctx: Any, *arrays: Any, **kwargs: Any) -> np.ndarray:
            out, cache = forward(*arrays, **kwargs)
            if ctx.needs_input_grad:  # recording (the stand-in ctx of a no-grad call keeps nothing)
                ctx.cache = cache
            return np.asarray(out, dtype=np.float64)

        @staticmethod
        def backward(ctx: Any, grad_out: Tensor) -> tuple:
            grads = backward(grad_out.numpy().copy(), ctx.cache)
            grads = grads if isinstance(grads, tuple) else (grads,)
            inputs = len(ctx.needs_input_grad)
            count = inputs if differentiable is None else differentiable
            return tuple(np.asarray(g, dtype=np.float64) for g in grads[:count]) + (None,) * (inputs - count)

    LearnersOp.__name__ = LearnersOp.__qualname__ = getattr(forward, "__name__", "LearnersOp").removesuffix("_forward")
    return LearnersOp


def call_learner(what: str, fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """Call the learner's function; an exception it raises becomes ExerciseFailed saying where."""
    try:
        return fn(*args, **kwargs)
    except ExerciseFailed:
        raise
    except Exception as err:  # the learner's code may raise anything: report it as a failed check
        shapes = ", ".join(str(np.shape(a)) for a in args if isinstance(a, np.ndarray))
        raise ExerciseFailed(f"{what} raised {type(err).__name__}: {err} (array arguments of shapes {shapes})") from err


def check_with_gradcheck(exercise: str, op: type[Function], inputs: Sequence[Any], names: Sequence[str],
                         **kwargs: Any) -> None:
    """gradcheck the learner's op (their backward against central differences of their forward) and
    report the worst Jacobian entry by output element, input name and element."""
    def apply(*xs: Any) -> Tensor:
        return op.apply(*xs, **kwargs)

    try:
        tg.gradcheck(apply, list(inputs), eps=1e-6, atol=1e-5, rtol=1e-3)
    except GradcheckError as err:
        i, element, out_element, analytic, numerical, error = err.rows[0]
        out_shape = apply(*inputs).shape
        out_index = tuple(int(k) for k in np.unravel_index(out_element, out_shape)) if out_shape else ()
        raise ExerciseFailed(
            f"{exercise}: gradcheck: d out{_index(out_index)} / d {names[i]}{_index(element)}: central differences "
            f"of your forward give {numerical:.6g}, your backward gives {analytic:.6g} (difference {error:.3g}); "
            f"{len(err.rows)} Jacobian entries differ") from None


def upstream_gradients(shape: tuple[int, ...]) -> st.SearchStrategy:
    """Upstream gradients kept at least 0.5 away from zero: a zero would hide a wrong backward."""
    elements = testing.floats(-2.0, 2.0, avoid=(0.0,), margin=0.5)
    return testing.tensors(shape, elements=elements, requires_grad=False).map(lambda t: t.numpy())


def float64(array: Any, requires_grad: bool = True) -> Tensor:
    """A float64 leaf for the engine's side of a comparison."""
    return tg.tensor(np.array(array, dtype=np.float64), requires_grad=requires_grad)


def check_op(exercise: str, forward: ForwardFn, backward: BackwardFn, inputs: dict[str, np.ndarray],
             engine: Callable[..., Tensor], grad_out: np.ndarray, extra: tuple = (), **kwargs: Any) -> None:
    """Grade one drawn case: the learner's forward against `engine`, their backward against the
    engine's vector-Jacobian product with `grad_out`, then gradcheck of their pair. `inputs` are
    the differentiable arrays by name; `extra` arrays (labels) and `kwargs` (sizes) get no gradient."""
    names = list(inputs)
    out, cache = call_learner(f"{exercise} forward", forward, *(a.copy() for a in inputs.values()), *extra, **kwargs)
    leaves = [float64(a) for a in inputs.values()]
    expected = engine(*leaves, *extra, **kwargs)
    compare(f"{exercise} forward: out", expected.detach().numpy(), out)
    grads = call_learner(f"{exercise} backward", backward, grad_out.copy(), cache)
    grads = grads if isinstance(grads, tuple) else (grads,)
    if len(grads) != len(names):
        raise ExerciseFailed(f"{exercise} backward: expected {len(names)} gradients ({', '.join(names)}), "
                             f"got {len(grads)}")
    expected_grads = tg.grad(expected, leaves, grad_outputs=[float64(grad_out, requires_grad=False)])
    for name, e, g in zip(names, expected_grads, grads):
        compare(f"{exercise} backward: grad of {name}", e.detach().numpy(), g)
    op = as_function(forward, backward, differentiable=len(names))
    check_with_gradcheck(exercise, op, [float64(a) for a in inputs.values()] + list(extra), names, **kwargs)


def describe(case: dict[str, Any]) -> str:
    """The drawn case, small enough to read: arrays with 4 significant digits."""
    parts = []
    for name, value in case.items():
        prefix = f"    {name} = "
        text = np.array2string(value, precision=4, separator=", ", prefix=prefix) \
            if isinstance(value, np.ndarray) else repr(value)
        parts.append(prefix + text)
    return "\n".join(parts)


def run_cases(exercise: str, cases: st.SearchStrategy, check_case: Callable[[dict], None], examples: int) -> None:
    """Run `check_case` on `examples` hypothesis-drawn cases; the first failure is shrunk to a small
    case and raised as ExerciseFailed with that case; otherwise print that the exercise passed."""

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True, verbosity=Verbosity.quiet,
              suppress_health_check=list(HealthCheck), print_blob=False, report_multiple_bugs=False,
              phases=(Phase.explicit, Phase.generate, Phase.shrink))
    @given(cases)
    def every_case(case: dict) -> None:
        try:
            check_case(case)
        except ExerciseFailed as err:
            raise ExerciseFailed(f"{err}\n  on the drawn input\n{describe(case)}") from None

    every_case()
    print(f"{exercise}: passed on {examples} drawn inputs")
