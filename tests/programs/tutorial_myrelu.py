"""Learning PyTorch with Examples (first edition): MyReLU as a torch.autograd.Function
(input.clamp(min=0) forward, grad_input[input < 0] = 0 backward) in a two-layer network."""
import numpy as np
import torch


class MyReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


dtype = torch.float
N, D_in, H, D_out = 16, 8, 12, 2
rng = np.random.default_rng(1)
x = torch.tensor(rng.standard_normal((N, D_in)), dtype=dtype)
y = torch.tensor(rng.standard_normal((N, D_out)), dtype=dtype)
w1 = torch.tensor(rng.standard_normal((D_in, H)) * 0.3, dtype=dtype, requires_grad=True)
w2 = torch.tensor(rng.standard_normal((H, D_out)) * 0.3, dtype=dtype, requires_grad=True)

learning_rate = 1e-3
for t in range(40):
    relu = MyReLU.apply
    y_pred = relu(x.mm(w1)).mm(w2)
    loss = (y_pred - y).pow(2).sum()
    if t % 10 == 9:
        print(f"step {t} loss {loss.item():.5f}")
    loss.backward()
    with torch.no_grad():
        w1 -= learning_rate * w1.grad
        w2 -= learning_rate * w2.grad
        w1.grad.zero_()
        w2.grad.zero_()
print(f"w1 sum {w1.sum().item():.5f} w2 sum {w2.sum().item():.5f}")
print("needs grad", MyReLU.apply(w1).requires_grad, MyReLU.apply(x).requires_grad)
