"""60-minute blitz, tensors: creating tensors (from data, from NumPy, like another tensor),
attributes, indexing, joining, arithmetic, and the NumPy bridge that shares memory."""
import numpy as np
import torch

data = [[1, 2], [3, 4]]
x_data = torch.tensor(data)
x_np = torch.from_numpy(np.array(data))
print("from data", x_data.tolist(), x_data.dtype == torch.int64, "from numpy", x_np.sum().item())
x_ones = torch.ones_like(x_data)
x_rand = torch.rand_like(x_data, dtype=torch.float)
print("ones_like", x_ones.tolist(), "rand_like", tuple(x_rand.shape), x_rand.dtype == torch.float32)

shape = (2, 3)
print("rand/ones/zeros", tuple(torch.rand(shape).shape), torch.ones(shape).sum().item(),
      torch.zeros(shape).sum().item())
x = torch.zeros(5, 3, dtype=torch.long)
print("long zeros", x.dtype == torch.long, tuple(x.size()), x.size(0))
x = x.new_ones(5, 3, dtype=torch.double)
print("new_ones", x.dtype == torch.float64, x.sum().item())
x = torch.empty(5, 3)
print("empty", tuple(x.shape), x.dim(), x.numel())

tensor = torch.arange(16, dtype=torch.float32).reshape(4, 4)
print("first row", tensor[0].tolist(), "first column", tensor[:, 0].tolist(), "last column", tensor[..., -1].tolist())
tensor[:, 1] = 0
print("zeroed column", tensor[:, 1].tolist(), tensor.sum().item())
t1 = torch.cat([tensor, tensor, tensor], dim=1)
print("cat", tuple(t1.shape), t1.sum().item())
y1 = tensor @ tensor.T
y2 = tensor.matmul(tensor.T)
z1 = tensor * tensor
z2 = tensor.mul(tensor)
print("matmul", y1.trace().item(), torch.equal(y1, y2), "mul", z1.sum().item(), (z1 == z2).all().item())
agg = tensor.sum()
agg_item = agg.item()
print("agg", agg_item, type(agg_item).__name__)
tensor.add_(5)
print("add_", tensor[0].tolist())
v = torch.randn(4, 4)
print("view", tuple(v.view(16).shape), tuple(v.view(-1, 8).shape), v.view(-1, 8).size(0))

t = torch.ones(5)
n = t.numpy()
t.add_(1)
print("numpy bridge", n.tolist())
n = np.ones(5)
t = torch.from_numpy(n)
np.add(n, 1, out=n)
print("from_numpy bridge", t.tolist(), t.dtype == torch.float64)
