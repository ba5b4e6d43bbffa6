"""Exercise: 2-D convolution (cross-correlation, as PyTorch's conv2d) written as im2col + one matrix product.

    def conv_forward(x, weight, bias, stride, padding):
        # x (N, C, H, W), weight (F, C, kh, kw), bias (F,): lay every kh x kw patch of the padded x
        # out as a column (im2col), then out = weight.reshape(F, -1) @ columns + bias
        return out, cache                      # out (N, F, H_out, W_out)
    def conv_backward(grad_out, cache):        # scatter-add the columns' gradient back (col2im)
        return grad_x, grad_weight, grad_bias
    check_conv(conv_forward, conv_backward)
"""

from __future__ import annotations

from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import testing

from .grading import BackwardFn, ForwardFn, check_op, run_cases, upstream_gradients


def output_side(side: int, kernel: int, stride: int, padding: int) -> int:
    """How many windows fit along one side: (side + 2 padding - kernel) // stride + 1."""
    return (side + 2 * padding - kernel) // stride + 1


@st.composite
def conv_cases(draw: st.DrawFn) -> dict:
    """Small x, weight and bias, a stride of 1 or 2, padding 0 or 1, and an upstream gradient."""
    n, c, f = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride, padding = draw(st.integers(1, 2)), draw(st.integers(0, 1))
    height, width = draw(st.integers(max(kh - 2 * padding, 1), 5)), draw(st.integers(max(kw - 2 * padding, 1), 5))
    out_shape = (n, f, output_side(height, kh, stride, padding), output_side(width, kw, stride, padding))

    def array(shape: tuple[int, ...]) -> object:
        return draw(testing.tensors(shape, requires_grad=False)).numpy()

    return {"x": array((n, c, height, width)), "weight": array((f, c, kh, kw)), "bias": array((f,)),
            "stride": stride, "padding": padding, "grad_out": draw(upstream_gradients(out_shape))}


def check_conv(forward: ForwardFn, backward: BackwardFn, examples: int = 15) -> None:
    """Grade a convolution: forward against tg.conv2d, the three gradients against the engine and gradcheck."""
    def check_case(case: dict) -> None:
        inputs = {name: case[name] for name in ("x", "weight", "bias")}
        check_op("conv", forward, backward, inputs, tg.conv2d, case["grad_out"], stride=case["stride"],
                 padding=case["padding"])

    run_cases("conv", conv_cases(), check_case, examples)
