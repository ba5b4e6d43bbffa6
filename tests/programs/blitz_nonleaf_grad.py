"""60-minute blitz and the autograd mechanics notes: .grad of a non-leaf tensor is None (PyTorch
warns) unless retain_grad() was called, and is_leaf tells which is which."""
import warnings

import torch

x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x * 2
z = (y * y).sum()
y2 = x + 1
y2.retain_grad()
(z + (y2 ** 2).sum()).backward()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    print("non-leaf grad", y.grad, "leaf flags", x.is_leaf, y.is_leaf)
print("warned about the non-leaf .grad", any("non-leaf" in str(w.message) for w in caught))
print("retained", y2.grad.tolist(), "x.grad", x.grad.tolist())
