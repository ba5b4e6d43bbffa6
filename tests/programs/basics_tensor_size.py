"""Learn the Basics, tensor attributes: x.shape and x.size() are torch.Size tuples, which compare
with tuples and lists' tuples, slice into Sizes, unpack, and count their elements with numel();
torch.Size([...]) builds one, and it is what view/reshape/new_zeros accept."""
import torch

x = torch.zeros(2, 3, 4)
print("shape", list(x.shape), x.shape == (2, 3, 4), x.shape == torch.Size([2, 3, 4]))
print("numel", x.shape.numel(), x.size().numel(), x[0].shape.numel(), x.numel())
print("slicing a Size", list(x.shape[1:]), isinstance(x.shape, tuple), isinstance(x.shape[1:], torch.Size))
B, T, C = x.shape
print("unpacked", B, T, C, "size(-1)", x.size(-1), "len", len(x.shape))
size = torch.Size([4, 6])
y = torch.arange(24).view(size)
print("view to a Size", tuple(y.shape), "reshape", tuple(y.reshape(x.shape[1:][::-1] + (2,)).shape))
print("new_zeros", tuple(y.new_zeros(y.shape).shape), "zeros of a Size", tuple(torch.zeros(size).shape))
print("Size arithmetic", tuple(x.shape + (5,)), tuple(x.shape[:-1]) + (1,))
print("empty Size", torch.tensor(3.0).shape == torch.Size([]), torch.tensor(3.0).shape.numel())
for name, t in (("matrix", torch.ones(3, 5)), ("vector", torch.ones(7))):
    print(name, "rows", t.shape[0], "elements", t.shape.numel(), "dims", t.dim())
flat = x.view(x.shape[0], -1)
print("flattened", tuple(flat.shape), flat.shape[1] == x.shape[1] * x.shape[2])
print("sum over a dim keeps the rest", tuple(x.sum(1).shape), tuple(x.sum(1, keepdim=True).shape))
print("broadcast result", tuple((torch.ones(3, 1) + torch.ones(1, 4)).shape))
