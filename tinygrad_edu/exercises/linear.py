"""Exercise: a Linear layer, out = x @ weight.T + bias (PyTorch's layout: weight is (out, in)).

    def linear_forward(x, weight, bias):      # x (N, in), weight (out, in), bias (out,)
        return out, cache                     # out (N, out)
    def linear_backward(grad_out, cache):     # grad_out (N, out)
        return grad_x, grad_weight, grad_bias # the shapes of x, weight, bias
    check_linear(linear_forward, linear_backward)
"""

from __future__ import annotations

from hypothesis import strategies as st

from tinygrad_edu import nn, testing

from .grading import BackwardFn, ForwardFn, check_op, run_cases, upstream_gradients


def _array(draw: st.DrawFn, shape: tuple[int, ...]) -> object:
    return draw(testing.tensors(shape, requires_grad=False)).numpy()


@st.composite
def linear_cases(draw: st.DrawFn) -> dict:
    """x (N, in), weight (out, in), bias (out,) and an upstream gradient (N, out), sides 1 to 4."""
    n, fan_in, fan_out = (draw(st.integers(1, 4)) for _ in range(3))
    return {"x": _array(draw, (n, fan_in)), "weight": _array(draw, (fan_out, fan_in)),
            "bias": _array(draw, (fan_out,)), "grad_out": draw(upstream_gradients((n, fan_out)))}


def check_linear(forward: ForwardFn, backward: BackwardFn, examples: int = 20) -> None:
    """Grade a Linear layer: forward against nn.functional.linear, the three gradients against the
    engine and gradcheck."""
    def check_case(case: dict) -> None:
        inputs = {name: case[name] for name in ("x", "weight", "bias")}
        check_op("linear", forward, backward, inputs, nn.functional.linear, case["grad_out"])

    run_cases("linear", linear_cases(), check_case, examples)
