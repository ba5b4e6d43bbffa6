"""60-minute blitz, autograd: Q = 3a^3 - b^2 with Q.backward(gradient=...), grad_fn on results,
requires_grad flags, torch.no_grad(), detach(), and freezing parameters for finetuning."""
import numpy as np
import torch

a = torch.tensor([2.0, 3.0], requires_grad=True)
b = torch.tensor([6.0, 4.0], requires_grad=True)
Q = 3 * a ** 3 - b ** 2
external_grad = torch.tensor([1.0, 1.0])
Q.backward(gradient=external_grad)
print("a.grad", a.grad.tolist(), (9 * a ** 2 == a.grad).tolist())
print("b.grad", b.grad.tolist(), (-2 * b == b.grad).tolist())

x = torch.ones(2, 2, requires_grad=True)
y = x + 2
print("y has grad_fn", y.grad_fn is not None, "x has none", x.grad_fn is None)
z = y * y * 3
out = z.mean()
print("z", z.tolist(), "out", out.item())
out.backward()
print("x.grad", x.grad.tolist())

c = torch.tensor([[1.0, -2.0], [0.5, 4.0]])
print("requires_grad default", c.requires_grad)
c.requires_grad_(True)
d = (c * c).sum()
print("after requires_grad_", c.requires_grad, d.requires_grad)
with torch.no_grad():
    print("inside no_grad", (c ** 2).requires_grad)
e = c.detach()
print("detached", e.requires_grad, c.eq(e).all().item())

torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
for param in model.parameters():
    param.requires_grad = False
model[2] = torch.nn.Linear(3, 2)
with torch.no_grad():
    for param in model.parameters():
        param.copy_(torch.tensor(np.linspace(-0.5, 0.5, param.numel()).reshape(tuple(param.shape)), dtype=torch.float))
inputs = torch.tensor(np.linspace(-1, 1, 8).reshape(2, 4), dtype=torch.float)
model(inputs).sum().backward()
print("frozen grads", [p.grad is None for p in model.parameters()])
print("trainable", [p.requires_grad for p in model.parameters()], "head grad", model[2].weight.grad.sum().item())
optimizer = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
optimizer.step()
print(f"head after a step {model[2].weight.sum().item():.6f}")
