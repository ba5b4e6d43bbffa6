"""Exercise: the sigmoid, forward and backward.

    def sigmoid_forward(x):            # x: any shape
        out = ...                      # 1 / (1 + exp(-x))
        return out, cache              # cache: whatever backward needs
    def sigmoid_backward(grad_out, cache):
        return grad_x                  # same shape as x
    check_sigmoid(sigmoid_forward, sigmoid_backward)
"""

from __future__ import annotations

from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import testing

from .grading import BackwardFn, ForwardFn, check_op, run_cases, upstream_gradients


@st.composite
def sigmoid_cases(draw: st.DrawFn) -> dict:
    """An input of drawn shape (values up to +-6, where the sigmoid saturates) and an upstream gradient."""
    shape = draw(testing.shapes(min_dims=1, max_dims=3))
    x = draw(testing.tensors(shape, low=-6.0, high=6.0, requires_grad=False)).numpy()
    grad_out = draw(upstream_gradients(shape))
    return {"x": x, "grad_out": grad_out}


def check_sigmoid(forward: ForwardFn, backward: BackwardFn, examples: int = 20) -> None:
    """Grade a sigmoid: forward against tg.sigmoid, backward against the engine and gradcheck."""
    def check_case(case: dict) -> None:
        check_op("sigmoid", forward, backward, {"x": case["x"]}, tg.sigmoid, case["grad_out"])

    run_cases("sigmoid", sigmoid_cases(), check_case, examples)
