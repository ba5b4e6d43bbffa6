"""60-minute blitz and basics, `out=` arguments: torch.add(x, y, out=result), torch.matmul(t, t.T,
out=y3), torch.mul(t, t, out=z3) and friends write into an existing tensor (and return it)."""
import torch

x = torch.arange(6, dtype=torch.float32).reshape(2, 3)
y = torch.ones(2, 3)
result = torch.empty(2, 3)
returned = torch.add(x, y, out=result)
print("add out", result.tolist(), "returns out", returned is result)
y.add_(x)
print("add_", y.tolist())

t = torch.arange(4, dtype=torch.float32).reshape(2, 2)
y3 = torch.rand_like(t)
torch.matmul(t, t.T, out=y3)
print("matmul out", y3.tolist())
z3 = torch.rand_like(t)
torch.mul(t, t, out=z3)
print("mul out", z3.tolist())

buffer = torch.zeros(2, 2)
torch.sub(t, 1, out=buffer)
print("sub out", buffer.tolist())
torch.exp(torch.zeros(2, 2), out=buffer)
print("exp out", buffer.tolist())
stacked = torch.empty(4, 2)
torch.cat([t, t], dim=0, out=stacked)
print("cat out", stacked.sum().item())
