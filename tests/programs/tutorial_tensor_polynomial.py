"""Learning PyTorch with Examples, tensors: a cubic fitted to sin(x) with hand-written gradients
(torch.linspace with dtype/device, torch.sin, pow, sum().item())."""
import math

import torch

dtype = torch.float
device = torch.device("cpu")
x = torch.linspace(-math.pi, math.pi, 500, device=device, dtype=dtype)
y = torch.sin(x)

torch.manual_seed(0)
a = torch.randn((), device=device, dtype=dtype)
print("a random scalar has shape", tuple(a.shape), "and dim", a.dim())
a, b, c, d = (torch.full((), v, device=device, dtype=dtype) for v in (0.3, -0.1, 0.2, 0.05))

learning_rate = 1e-5
for t in range(100):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum().item()
    if t % 25 == 24:
        print(f"step {t} loss {loss:.5f}")
    grad_y_pred = 2.0 * (y_pred - y)
    grad_a = grad_y_pred.sum()
    grad_b = (grad_y_pred * x).sum()
    grad_c = (grad_y_pred * x ** 2).sum()
    grad_d = (grad_y_pred * x ** 3).sum()
    a -= learning_rate * grad_a
    b -= learning_rate * grad_b
    c -= learning_rate * grad_c
    d -= learning_rate * grad_d
print(f"Result: y = {a.item():.6f} + {b.item():.6f} x + {c.item():.6f} x^2 + {d.item():.6f} x^3")
