"""Learn the Basics, what the model pages lead to next: register_buffer, named_modules,
parameters(recurse=False), nn.ModuleList, nn.Module.apply, @torch.no_grad() on a method,
torch.stack of 0-d tensors, view(-1), torch.where(cond), F.one_hot and F.embedding."""
import torch
import torch.nn.functional as F
from torch import nn


class Block(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(width, width) for _ in range(2)])
        self.scale = nn.Parameter(torch.ones(width))
        self.register_buffer("calls", torch.zeros(1))

    def forward(self, x):
        self.calls += 1
        for layer in self.layers:
            x = torch.tanh(layer(x))
        return x * self.scale

    @torch.no_grad()
    def predict(self, x):
        return self.forward(x).argmax(dim=1)


def init(m):
    if isinstance(m, nn.Linear):
        nn.init.constant_(m.weight, 0.1)
        nn.init.zeros_(m.bias)


block = Block(3)
block.apply(init)
print("modules", [name for name, _ in block.named_modules()])
print("own parameters", [tuple(p.shape) for p in block.parameters(recurse=False)], "all", len(list(block.parameters())))
print("buffers", [name for name, _ in block.named_buffers()], "state", sorted(block.state_dict()))
x = torch.linspace(-1, 1, 6).view(2, 3)
y = block(x)
print("forward", [round(v, 6) for v in y.view(-1).tolist()], "calls", block.calls.item())
pred = block.predict(x)
print("predict", pred.tolist(), "no grad", block.predict(x).requires_grad, "calls", block.calls.item())

losses = [((block(x) - 1) ** 2).mean() for _ in range(3)]
stacked = torch.stack(losses)
print("stacked 0-d", tuple(stacked.shape), f"{stacked.mean().item():.6f}")
rows, cols = torch.where(x > 0)
print("where", rows.tolist(), cols.tolist(), "one_hot", F.one_hot(torch.tensor([0, 2]), num_classes=3).tolist())
table = torch.arange(12, dtype=torch.float32).view(4, 3)
print("embedding", F.embedding(torch.tensor([[3, 0]]), table).tolist())
emb = nn.Embedding(4, 3)
with torch.no_grad():
    emb.weight.copy_(table)
print("nn.Embedding", emb(torch.tensor([1, 1])).sum().item(), "item of a 1-element tensor", torch.tensor([2.5]).item())
print("cat dim", tuple(torch.cat([table, table], dim=1).shape),
      "float16", torch.ones(2, dtype=torch.float16).dtype == torch.float16)
