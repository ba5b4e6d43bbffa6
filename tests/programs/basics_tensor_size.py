"""Learn the Basics, tensor attributes: x.shape and x.size() are torch.Size tuples, which compare
with tuples and count their elements with numel()."""
import torch

x = torch.zeros(2, 3, 4)
print("shape", list(x.shape), x.shape == (2, 3, 4), x.shape == torch.Size([2, 3, 4]))
print("numel", x.shape.numel(), x.size().numel(), x[0].shape.numel())
print("slicing a Size", list(x.shape[1:]), isinstance(x.shape, tuple))
