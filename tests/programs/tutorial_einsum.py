"""PyTorch recipes next to the tutorials: torch.einsum for a batched bilinear form, a trace and
an outer product, checked against matmul."""
import numpy as np
import torch

rng = np.random.default_rng(0)
a = torch.tensor(rng.standard_normal((2, 3, 4)), dtype=torch.float32, requires_grad=True)
b = torch.tensor(rng.standard_normal((2, 4, 5)), dtype=torch.float32)
out = torch.einsum("bij,bjk->bik", a, b)
print("batched matmul agrees", torch.allclose(out, a @ b, atol=1e-6), tuple(out.shape))
out.sum().backward()
print("grad", [round(v, 5) for v in a.grad[0, 0].tolist()])
m = torch.arange(9, dtype=torch.float32).reshape(3, 3)
print("trace", torch.einsum("ii", m).item(), "outer", torch.einsum("i,j->ij", m[0], m[1]).tolist())
