"""What is torch.nn really?, the closing CNN: nn.AdaptiveAvgPool2d(1) instead of nn.AvgPool2d(4),
so the model takes any input size, trained a few steps; F.adaptive_avg_pool2d and other output
sizes agree with plain averages."""
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

model = nn.Sequential(
    nn.Conv2d(1, 4, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.Conv2d(4, 10, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.AdaptiveAvgPool2d(1),
    nn.Flatten(),
)
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.linspace(-0.5, 0.5, p.numel()).reshape(tuple(p.shape)))
for side in (28, 13):
    x = torch.tensor(np.sin(np.arange(side * side)).reshape(1, 1, side, side), dtype=torch.float32)
    print(side, [round(v, 6) for v in model(x)[0, :4].tolist()])

rng = np.random.default_rng(0)
xb = torch.tensor(rng.uniform(0, 1, (8, 1, 20, 20)), dtype=torch.float32)
yb = torch.tensor(np.arange(8) % 10)
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
for step in range(3):
    loss = F.cross_entropy(model(xb), yb)
    loss.backward()
    opt.step()
    opt.zero_grad()
    print(f"step {step} loss {loss.item():.6f}")

grid = torch.arange(36, dtype=torch.float32).reshape(1, 1, 6, 6)
print("global", F.adaptive_avg_pool2d(grid, 1).item(), grid.mean().item())
print("2x2", F.adaptive_avg_pool2d(grid, (2, 2)).flatten().tolist(), F.avg_pool2d(grid, 3).flatten().tolist())
