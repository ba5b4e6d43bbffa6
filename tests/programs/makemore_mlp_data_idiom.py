"""makemore part 3, the update-to-data ratio: Karpathy's diagnostics read `.data` as a tensor,
((lr * p.grad).std() / p.data.std()).log10().item(), and p.data.norm()."""
import numpy as np
import torch
import torch.nn.functional as F

rng = np.random.default_rng(3)
C = torch.tensor(rng.standard_normal((27, 4)), dtype=torch.float32, requires_grad=True)
W = torch.tensor(rng.standard_normal((12, 27)) * 0.2, dtype=torch.float32, requires_grad=True)
X = torch.tensor(rng.integers(0, 27, (40, 3)))
Y = torch.tensor(rng.integers(0, 27, 40))
parameters = [C, W]
ud = []
lr = 0.1
for i in range(5):
    loss = F.cross_entropy(C[X].view(40, -1) @ W, Y)
    for p in parameters:
        p.grad = None
    loss.backward()
    for p in parameters:
        p.data += -lr * p.grad
    with torch.no_grad():
        ud.append([((lr * p.grad).std() / p.data.std()).log10().item() for p in parameters])
print(f"loss {loss.item():.6f}")
print("update:data log10 ratios", [[round(v, 4) for v in row] for row in ud[-2:]])
print("data norms", [round(p.data.norm().item(), 5) for p in parameters])
