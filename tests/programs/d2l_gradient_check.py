"""Gradient checking, as the from-scratch chapters teach it: central differences in float64 against
autograd for a small MLP loss, torch.autograd.gradcheck on a function, and the relative error."""
import numpy as np
import torch

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(0)
X = torch.tensor(rng.normal(0, 1, (5, 3)))
y = torch.tensor(rng.integers(0, 2, 5))
W1 = torch.tensor(rng.normal(0, 0.5, (3, 4)), requires_grad=True)
W2 = torch.tensor(rng.normal(0, 0.5, (4, 2)), requires_grad=True)


def loss_fn(W1, W2):
    logits = torch.tanh(X @ W1) @ W2
    return torch.nn.functional.cross_entropy(logits, y)


loss = loss_fn(W1, W2)
loss.backward()
print(f"loss {loss.item():.10f} default dtype float64 {W1.grad.dtype == torch.float64}")
eps = 1e-6
numeric = torch.zeros_like(W1)
with torch.no_grad():
    for i in range(W1.shape[0]):
        for j in range(W1.shape[1]):
            W1[i, j] += eps
            plus = loss_fn(W1, W2).item()
            W1[i, j] -= 2 * eps
            minus = loss_fn(W1, W2).item()
            W1[i, j] += eps
            numeric[i, j] = (plus - minus) / (2 * eps)
relative = (numeric - W1.grad).norm() / (numeric.norm() + W1.grad.norm())
print(f"relative error below 1e-7: {relative.item() < 1e-7}")
print("W1 grad", [round(v, 8) for v in W1.grad[0].tolist()])
inputs = (torch.tensor(rng.normal(0, 1, (3, 4)), requires_grad=True),
          torch.tensor(rng.normal(0, 1, (4, 2)), requires_grad=True))
print("gradcheck", torch.autograd.gradcheck(lambda a, b: torch.tanh(a @ b).sum(), inputs, eps=1e-6, atol=1e-4))
