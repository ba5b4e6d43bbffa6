"""60-minute blitz and the autograd mechanics notes: .grad of a non-leaf tensor is None (PyTorch
warns, naming retain_grad()) unless retain_grad() was called; is_leaf and requires_grad tell which
tensors get gradients, and a leaf's .grad accumulates."""
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
    print("non-leaf grad", y.grad, "leaf flags", x.is_leaf, y.is_leaf, y2.is_leaf)
print("warned about the non-leaf .grad", any("retain_grad" in str(w.message) for w in caught))
print("retained", y2.grad.tolist(), "x.grad", x.grad.tolist())

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    print("retained grads do not warn", y2.grad is not None, "leaf grads do not warn", x.grad is not None)
print("warnings", len(caught))
(x * 3).sum().backward()
print("accumulated", x.grad.tolist())
c = torch.tensor([1.0])
print("a constant is a leaf without grad", c.is_leaf, c.requires_grad, c.grad)
