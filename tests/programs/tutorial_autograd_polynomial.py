"""Learning PyTorch with Examples, autograd: the cubic again, gradients from loss.backward(),
updates under torch.no_grad(), gradients cleared with `a.grad = None`."""
import math

import torch

dtype = torch.float
x = torch.linspace(-math.pi, math.pi, 500, dtype=dtype)
y = torch.sin(x)
a = torch.tensor(0.3, dtype=dtype, requires_grad=True)
b = torch.tensor(-0.1, dtype=dtype, requires_grad=True)
c = torch.tensor(0.2, dtype=dtype, requires_grad=True)
d = torch.tensor(0.05, dtype=dtype, requires_grad=True)
print("leaves", a.is_leaf, a.requires_grad, "grad before backward", a.grad)

learning_rate = 1e-5
for t in range(100):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum()
    if t % 25 == 24:
        print(f"step {t} loss {loss.item():.5f} grad_fn set {loss.grad_fn is not None}")
    loss.backward()
    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad
        a.grad = None
        b.grad = None
        c.grad = None
        d.grad = None
print(f"Result: y = {a.item():.6f} + {b.item():.6f} x + {c.item():.6f} x^2 + {d.item():.6f} x^3")
print("still leaves", a.is_leaf, "requires grad", d.requires_grad)
