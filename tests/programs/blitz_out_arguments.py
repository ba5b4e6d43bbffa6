"""60-minute blitz and basics, `out=` arguments: torch.add(x, y, out=result) and
torch.matmul(t, t.T, out=y3) write into an existing tensor."""
import torch

x = torch.arange(6, dtype=torch.float32).reshape(2, 3)
y = torch.ones(2, 3)
result = torch.empty(2, 3)
torch.add(x, y, out=result)
print("add out", result.tolist())
y.add_(x)
print("add_", y.tolist())
t = torch.arange(4, dtype=torch.float32).reshape(2, 2)
y3 = torch.rand_like(t)
torch.matmul(t, t.T, out=y3)
print("matmul out", y3.tolist())
z3 = torch.rand_like(t)
torch.mul(t, t, out=z3)
print("mul out", z3.tolist())
