"""Custom autograd Functions written as a user (or a PyTorch tutorial) writes them, shared by the
tests that check how the transforms treat ops the engine has no rules for."""

import tinygrad_edu as tg


class Cube(tg.autograd.Function):
    """x ** 3, with its derivative 3 x ** 2 written by hand."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x ** 2 * g
