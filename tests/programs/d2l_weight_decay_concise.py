"""d2l 3.7, concise weight decay: torch.optim.SGD with parameter groups, weight_decay on the weight
only ({"params": net[0].weight, "weight_decay": wd}, {"params": net[0].bias}), after initialising
through param.data (normal_, then a fixed copy_ so both engines start alike)."""
import numpy as np
import torch
from torch import nn

rng = np.random.default_rng(1)
X = torch.tensor(rng.normal(0, 1, (20, 50)), dtype=torch.float32)
y = X.sum(1, keepdim=True) * 0.01 + 0.05
net = nn.Sequential(nn.Linear(50, 1))
for param in net.parameters():
    param.data.normal_()
net[0].weight.data.copy_(torch.tensor(rng.normal(0, 1, (1, 50)), dtype=torch.float32))
net[0].bias.data.fill_(0.0)
loss = nn.MSELoss(reduction="none")
trainer = torch.optim.SGD([{"params": net[0].weight, "weight_decay": 3.0}, {"params": net[0].bias}], lr=0.003)
for epoch in range(20):
    trainer.zero_grad()
    l = loss(net(X), y)
    l.mean().backward()
    trainer.step()
print(f"L2 norm of w {net[0].weight.norm().item():.6f} groups {[g['weight_decay'] for g in trainer.param_groups]}")
