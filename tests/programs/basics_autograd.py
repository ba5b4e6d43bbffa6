"""Learn the Basics, automatic differentiation: a one-layer network with
binary_cross_entropy_with_logits, grad_fn, w.grad and b.grad, torch.no_grad and detach, and
Jacobian-vector products through out.backward(torch.ones_like(out), retain_graph=True)."""
import numpy as np
import torch

x = torch.ones(5)
y = torch.zeros(3)
w = torch.tensor(np.linspace(-1, 1, 15).reshape(5, 3), dtype=torch.float32, requires_grad=True)
b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
z = torch.matmul(x, w) + b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
print("z has grad_fn", z.grad_fn is not None, "loss has grad_fn", loss.grad_fn is not None)
print(f"loss {loss.item():.6f}")
loss.backward()
print("w.grad", [[round(v, 6) for v in row] for row in w.grad.tolist()])
print("b.grad", [round(v, 6) for v in b.grad.tolist()])

z = torch.matmul(x, w) + b
print("requires_grad", z.requires_grad)
with torch.no_grad():
    z = torch.matmul(x, w) + b
print("under no_grad", z.requires_grad)
z = torch.matmul(x, w) + b
z_det = z.detach()
print("detached", z_det.requires_grad)

inp = torch.eye(4, 5, requires_grad=True)
out = (inp + 1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"First call\n{inp.grad.tolist()}")
out.backward(torch.ones_like(out), retain_graph=True)
print(f"Second call\n{inp.grad.tolist()}")
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"Call after zeroing gradients\n{inp.grad.tolist()}")
