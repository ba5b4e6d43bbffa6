"""Extending torch.autograd: a custom Function with two outputs (the sine and cosine of its
input) whose backward receives one gradient per output."""
import torch


class SinCos(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sin(), x.cos()

    @staticmethod
    def backward(ctx, grad_sin, grad_cos):
        x, = ctx.saved_tensors
        return grad_sin * x.cos() - grad_cos * x.sin()


x = torch.tensor([0.0, 0.5, 1.0], requires_grad=True)
s, c = SinCos.apply(x)
(s * 2 + c * 3).sum().backward()
print("values", [round(v, 6) for v in s.tolist()], [round(v, 6) for v in c.tolist()])
print("grad", [round(v, 6) for v in x.grad.tolist()])
