"""Exercise: 2-D max-pooling over non-overlapping k x k windows (stride k, no padding).

    def max_pool_forward(x, kernel_size):     # x (N, C, H, W), H and W multiples of kernel_size
        return out, cache                     # out (N, C, H // k, W // k)
    def max_pool_backward(grad_out, cache):   # the gradient goes to the maximum of each window
        return grad_x                         # (N, C, H, W)
    check_max_pool(max_pool_forward, max_pool_backward)
"""

from __future__ import annotations

from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import testing

from .grading import BackwardFn, ForwardFn, check_op, run_cases, upstream_gradients


@st.composite
def max_pool_cases(draw: st.DrawFn) -> dict:
    """x (N, C, H, W) with all values different (no ties inside a window), a kernel size k that
    divides H and W, and an upstream gradient."""
    k = draw(st.integers(1, 3))
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    height, width = k * draw(st.integers(1, 3)), k * draw(st.integers(1, 3))
    x = draw(testing.tensors((n, c, height, width), low=-4.0, high=4.0, distinct=True, requires_grad=False))
    grad_out = draw(upstream_gradients((n, c, height // k, width // k)))
    return {"x": x.numpy(), "kernel_size": k, "grad_out": grad_out}


def check_max_pool(forward: ForwardFn, backward: BackwardFn, examples: int = 20) -> None:
    """Grade max-pooling: forward against tg.max_pool2d, backward against the engine and gradcheck."""
    def check_case(case: dict) -> None:
        check_op("max-pool", forward, backward, {"x": case["x"]}, tg.max_pool2d, case["grad_out"],
                 kernel_size=case["kernel_size"])

    run_cases("max-pool", max_pool_cases(), check_case, examples)
