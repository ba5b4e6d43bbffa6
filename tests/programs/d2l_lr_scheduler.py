"""d2l 12.11, learning-rate scheduling: setting param_groups[0]["lr"] by hand, then
lr_scheduler.StepLR, MultiStepLR and CosineAnnealingLR with scheduler.step() and get_last_lr(),
on a small regression trained with Adam and SGD."""
import numpy as np
import torch
from torch import nn
from torch.optim import lr_scheduler

rng = np.random.default_rng(0)
X = torch.tensor(rng.normal(0, 1, (32, 4)), dtype=torch.float32)
y = X @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]]) + 0.1


def make_net():
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.linspace(-0.3, 0.3, p.numel()).reshape(tuple(p.shape)))
    return net


loss = nn.MSELoss()
net = make_net()
trainer = torch.optim.SGD(net.parameters(), lr=0.05)
for epoch in range(4):
    trainer.param_groups[0]["lr"] = 0.05 / (1 + epoch)
    trainer.zero_grad()
    l = loss(net(X), y)
    l.backward()
    trainer.step()
print(f"manual lr {trainer.param_groups[0]['lr']:.5f} loss {l.item():.6f}")

for make in (lambda opt: lr_scheduler.StepLR(opt, step_size=2, gamma=0.5),
             lambda opt: lr_scheduler.MultiStepLR(opt, milestones=[3, 5], gamma=0.1),
             lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=6, eta_min=0.001)):
    net = make_net()
    trainer = torch.optim.Adam(net.parameters(), lr=0.01)
    scheduler = make(trainer)
    lrs = []
    for epoch in range(6):
        trainer.zero_grad()
        l = loss(net(X), y)
        l.backward()
        trainer.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
    print(type(scheduler).__name__, [round(v, 6) for v in lrs], f"loss {l.item():.6f}")
