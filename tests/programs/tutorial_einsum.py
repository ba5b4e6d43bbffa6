"""PyTorch recipes next to the tutorials: torch.einsum for a batched matmul, a trace, an outer
product, a bilinear form, attention scores and a weighted sum, checked against matmul and
differentiated."""
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
print("trace", torch.einsum("ii", m).item(), "diagonal", torch.einsum("ii->i", m).tolist())
print("outer", torch.einsum("i,j->ij", m[0], m[1]).tolist())
print("transpose", torch.einsum("ij->ji", m).tolist()[0], "sum", torch.einsum("ij->", m).item())

x = torch.tensor(rng.standard_normal(4), dtype=torch.float32, requires_grad=True)
W = torch.tensor(rng.standard_normal((4, 4)), dtype=torch.float32)
bilinear = torch.einsum("i,ij,j->", x, W, x)
bilinear.backward()
expected = (W + W.T) @ x.detach()
print(f"bilinear {bilinear.item():.6f} grad equals (W + W^T) x {torch.allclose(x.grad, expected, atol=1e-5)}")

q = torch.tensor(rng.standard_normal((2, 5, 8)), dtype=torch.float32)
k = torch.tensor(rng.standard_normal((2, 5, 8)), dtype=torch.float32)
v = torch.tensor(rng.standard_normal((2, 5, 8)), dtype=torch.float32)
scores = torch.einsum("bqd,bkd->bqk", q, k) / 8 ** 0.5
weights = scores.softmax(dim=-1)
attended = torch.einsum("bqk,bkd->bqd", weights, v)
print("attention", tuple(attended.shape), torch.allclose(attended, weights @ v, atol=1e-6),
      f"{attended.sum().item():.5f}")
