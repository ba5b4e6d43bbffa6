"""Learning PyTorch with Examples, step 0: fit y = sin(x) with a cubic in NumPy, then the same
gradients as tensors built from the NumPy arrays (torch.from_numpy, .numpy())."""
import math

import numpy as np
import torch

x = np.linspace(-math.pi, math.pi, 200)
y = np.sin(x)
a, b, c, d = 0.1, -0.2, 0.05, 0.01
learning_rate = 1e-4
for t in range(60):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = np.square(y_pred - y).sum()
    if t % 20 == 19:
        print(f"numpy step {t} loss {loss:.6f}")
    grad_y_pred = 2.0 * (y_pred - y)
    a -= learning_rate * grad_y_pred.sum()
    b -= learning_rate * (grad_y_pred * x).sum()
    c -= learning_rate * (grad_y_pred * x ** 2).sum()
    d -= learning_rate * (grad_y_pred * x ** 3).sum()
print(f"numpy result y = {a:.6f} + {b:.6f} x + {c:.6f} x^2 + {d:.6f} x^3")

# the same sums as tensors: from_numpy shares memory and keeps float64
xt = torch.from_numpy(x)
yt = torch.from_numpy(y)
print("dtype is float64", xt.dtype == torch.float64)
coefficients = torch.tensor([a, b, c, d], dtype=torch.float64)
powers = torch.stack([xt ** k for k in range(4)], dim=1)
prediction = powers @ coefficients
print(f"tensor loss {(prediction - yt).pow(2).sum().item():.6f}")
back = prediction.numpy()
print(f"numpy view of the prediction {back[0]:.6f} {back[-1]:.6f} shape {back.shape}")
