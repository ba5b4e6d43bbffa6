"""Learn the Basics, tensors: attributes, the device idiom with torch.accelerator and
torch.cuda, indexing and slicing, torch.cat/torch.stack, arithmetic, single-element tensors,
in-place operations and the NumPy bridge."""
import numpy as np
import torch

data = [[1.0, 2.0], [3.0, 4.0]]
x_data = torch.tensor(data)
print("shape", tuple(x_data.shape), "float32", x_data.dtype == torch.float32, "device", str(x_data.device))
if torch.accelerator.is_available():
    x_data = x_data.to(torch.accelerator.current_accelerator())
device = "cuda" if torch.cuda.is_available() else "cpu"
x_data = x_data.to(device)
print("on", x_data.device.type)

tensor = torch.ones(4, 4)
print("first row", tensor[0].tolist(), "last column", tensor[..., -1].tolist())
tensor[:, 1] = 0
print(tensor.tolist())
t1 = torch.cat([tensor, tensor, tensor], dim=1)
print("cat", tuple(t1.shape), "stack", tuple(torch.stack([tensor, tensor]).shape),
      tuple(torch.stack([tensor, tensor], dim=2).shape))
y1 = tensor @ tensor.T
y2 = tensor.matmul(tensor.T)
z1 = tensor * tensor
print("matmul", y1.tolist()[0], torch.allclose(y1, y2), "mul", z1.sum().item())
agg = tensor.sum()
agg_item = agg.item()
print(agg_item, type(agg_item).__name__)
print("before add_", tensor[0].tolist())
tensor.add_(5)
print("after add_", tensor[0].tolist())
print("copy_", torch.zeros(2, 2).copy_(torch.tensor([[1.0, 2.0], [3.0, 4.0]])).tolist())

t = torch.ones(5)
n = t.numpy()
t.add_(1)
print("t", t.tolist(), "n", n.tolist())
n = np.ones(5)
t = torch.from_numpy(n)
np.add(n, 1, out=n)
print("t", t.tolist(), "n", n.tolist())
print("zeros_like", torch.zeros_like(t).tolist(), "full", torch.full((2,), 7).tolist())
print("arange", torch.arange(0, 10, 3).tolist(), "linspace", [round(v, 4) for v in torch.linspace(0, 1, 5).tolist()])
print("eye", torch.eye(3).diag().tolist(), "where", torch.where(torch.tensor([1, -2, 3]) > 0)[0].tolist())
