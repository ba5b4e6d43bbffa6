"""Learning PyTorch with Examples, custom nn Modules: a Polynomial3 module whose four coefficients
are nn.Parameter scalars, trained with torch.optim.SGD; a string() method prints the result."""
import math

import torch


class Polynomial3(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Parameter(torch.tensor(0.2))
        self.b = torch.nn.Parameter(torch.tensor(0.6))
        self.c = torch.nn.Parameter(torch.tensor(-0.1))
        self.d = torch.nn.Parameter(torch.tensor(-0.05))

    def forward(self, x):
        return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

    def string(self):
        return f"y = {self.a.item():.5f} + {self.b.item():.5f} x + {self.c.item():.5f} x^2 + {self.d.item():.5f} x^3"


x = torch.linspace(-math.pi, math.pi, 400)
y = torch.sin(x)
model = Polynomial3()
print("named parameters", [name for name, _ in model.named_parameters()])
criterion = torch.nn.MSELoss(reduction="sum")
optimizer = torch.optim.SGD(model.parameters(), lr=1e-6)
for t in range(200):
    y_pred = model(x)
    loss = criterion(y_pred, y)
    if t % 50 == 49:
        print(f"step {t} loss {loss.item():.5f}")
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print("Result:", model.string())
print("state_dict keys", list(model.state_dict().keys()))
