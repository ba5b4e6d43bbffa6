"""micrograd's tests, the PyTorch side: torch.Tensor([...]).double() scalars with requires_grad set
by assignment, the sanity-check and more-ops expressions, values through .data.item() and
gradients through .grad.item()."""
import torch


def sanity_check():
    x = torch.Tensor([-4.0]).double()
    x.requires_grad = True
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    return x, y


def more_ops():
    a = torch.Tensor([-4.0]).double()
    b = torch.Tensor([2.0]).double()
    a.requires_grad = True
    b.requires_grad = True
    c = a + b
    d = a * b + b ** 3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e ** 2
    g = f / 2.0
    g = g + 10.0 / f
    g.backward()
    return a, b, g


xpt, ypt = sanity_check()
print("sanity y", ypt.data.item(), "dy/dx", xpt.grad.item(), "dtype float64", xpt.dtype == torch.float64)
apt, bpt, gpt = more_ops()
print(f"more ops g {gpt.data.item():.10f}")
print(f"dg/da {apt.grad.item():.10f} dg/db {bpt.grad.item():.10f}")
