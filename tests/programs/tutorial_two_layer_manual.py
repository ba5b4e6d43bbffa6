"""Learning PyTorch with Examples (first edition): a two-layer ReLU network with hand-written
backward in tensor ops (mm, clamp(min=0), t(), clone(), grad_h[h < 0] = 0)."""
import numpy as np
import torch

N, D_in, H, D_out = 16, 10, 20, 3
rng = np.random.default_rng(0)
x = torch.tensor(rng.standard_normal((N, D_in)), dtype=torch.float)
y = torch.tensor(rng.standard_normal((N, D_out)), dtype=torch.float)
w1 = torch.from_numpy(rng.standard_normal((D_in, H)).astype(np.float32) * 0.3)
w2 = torch.from_numpy(rng.standard_normal((H, D_out)).astype(np.float32) * 0.3)

learning_rate = 1e-3
for t in range(50):
    h = x.mm(w1)
    h_relu = h.clamp(min=0)
    y_pred = h_relu.mm(w2)
    loss = (y_pred - y).pow(2).sum().item()
    if t % 10 == 9:
        print(f"step {t} loss {loss:.5f}")
    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h_relu.t().mm(grad_y_pred)
    grad_h_relu = grad_y_pred.mm(w2.t())
    grad_h = grad_h_relu.clone()
    grad_h[h < 0] = 0
    grad_w1 = x.t().mm(grad_h)
    w1 -= learning_rate * grad_w1
    w2 -= learning_rate * grad_w2
print(f"norms w1 {w1.norm().item():.5f} w2 {w2.norm().item():.5f}")

# the same network with autograd agrees with the hand-written gradient
w1a = w1.clone().requires_grad_(True)
w2a = w2.clone().requires_grad_(True)
(x.mm(w1a).clamp(min=0).mm(w2a) - y).pow(2).sum().backward()
h = x.mm(w1)
grad_h = (2.0 * (h.clamp(min=0).mm(w2) - y)).mm(w2.t())
grad_h[h < 0] = 0
print(f"max difference {(x.t().mm(grad_h) - w1a.grad).abs().max().item():.2e}")
