"""Learning PyTorch with Examples, control flow and weight sharing: a module that reuses its
parameter e for a random number of extra terms each forward pass (Python's random module)."""
import math
import random

import torch


class DynamicNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Parameter(torch.tensor(0.1))
        self.b = torch.nn.Parameter(torch.tensor(0.5))
        self.c = torch.nn.Parameter(torch.tensor(0.0))
        self.d = torch.nn.Parameter(torch.tensor(-0.05))
        self.e = torch.nn.Parameter(torch.tensor(0.001))

    def forward(self, x, rng):
        y = self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3
        for exp in range(4, rng.randint(4, 6)):
            y = y + self.e * x ** exp
        return y


rng = random.Random(0)
x = torch.linspace(-math.pi, math.pi, 300)
y = torch.sin(x)
model = DynamicNet()
criterion = torch.nn.MSELoss(reduction="sum")
optimizer = torch.optim.SGD(model.parameters(), lr=1e-8, momentum=0.9)
for t in range(60):
    loss = criterion(model(x, rng), y)
    if t % 20 == 19:
        print(f"step {t} loss {loss.item():.4f}")
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print("coefficients", [f"{p.item():.6f}" for p in model.parameters()])
print("momentum buffers", sum(1 for s in optimizer.state.values() if "momentum_buffer" in s))
