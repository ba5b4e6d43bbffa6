"""Learning PyTorch with Examples, optim: the same model trained with torch.optim.RMSprop
(optimizer.zero_grad(), loss.backward(), optimizer.step())."""
import math

import torch

x = torch.linspace(-math.pi, math.pi, 400)
y = torch.sin(x)
xx = x.unsqueeze(-1).pow(torch.tensor([1, 2, 3]))

model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
torch.nn.init.constant_(model[0].weight, 0.1)
torch.nn.init.zeros_(model[0].bias)
loss_fn = torch.nn.MSELoss(reduction="sum")
optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
for t in range(150):
    loss = loss_fn(model(xx), y)
    if t % 50 == 49:
        print(f"step {t} loss {loss.item():.4f}")
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
layer = model[0]
print("weights", [round(w, 5) for w in layer.weight.detach().flatten().tolist()], f"bias {layer.bias.item():.5f}")
print("lr", optimizer.param_groups[0]["lr"], "state entries", len(optimizer.state))
