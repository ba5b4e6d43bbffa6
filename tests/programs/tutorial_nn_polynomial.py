"""Learning PyTorch with Examples, nn: the cubic as nn.Sequential(nn.Linear(3, 1), nn.Flatten(0, 1))
on features x.unsqueeze(-1).pow(p), nn.MSELoss(reduction='sum'), a hand-written parameter update."""
import math

import torch

x = torch.linspace(-math.pi, math.pi, 400)
y = torch.sin(x)
p = torch.tensor([1, 2, 3])
xx = x.unsqueeze(-1).pow(p)
print("features", tuple(xx.shape), xx.dtype == torch.float32)

model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
with torch.no_grad():
    model[0].weight.copy_(torch.tensor([[0.5, 0.0, -0.05]]))
    model[0].bias.fill_(0.1)
loss_fn = torch.nn.MSELoss(reduction="sum")

learning_rate = 1e-6
for t in range(120):
    y_pred = model(xx)
    loss = loss_fn(y_pred, y)
    if t % 40 == 39:
        print(f"step {t} loss {loss.item():.5f}")
    model.zero_grad()
    loss.backward()
    with torch.no_grad():
        for param in model.parameters():
            param -= learning_rate * param.grad

linear_layer = model[0]
print(f"Result: y = {linear_layer.bias.item():.6f} + {linear_layer.weight[:, 0].item():.6f} x + "
      f"{linear_layer.weight[:, 1].item():.6f} x^2 + {linear_layer.weight[:, 2].item():.6f} x^3")
print("parameters", [tuple(q.shape) for q in model.parameters()])
