"""d2l 4.5, concise softmax regression: nn.Sequential(nn.Flatten(), nn.Linear(...)), net.apply(init_weights)
with type(m) == nn.Linear and nn.init.normal_(m.weight, std=0.01), nn.CrossEntropyLoss(reduction='none'),
l.mean().backward(), and isinstance(net, torch.nn.Module) switching to net.eval()."""
import numpy as np
import torch
from torch import nn

rng = np.random.default_rng(1)
labels_np = np.arange(90) % 3
images = rng.normal(0, 1, (3, 4, 4))[labels_np] + rng.normal(0, 0.7, (90, 4, 4))
batches = [(torch.tensor(images[i:i + 30].reshape(30, 1, 4, 4), dtype=torch.float32), torch.tensor(labels_np[i:i + 30]))
           for i in range(0, 90, 30)]
net = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))


def init_weights(m):
    if type(m) == nn.Linear:
        nn.init.normal_(m.weight, std=0.01)


net.apply(init_weights)
print(f"init std {net[1].weight.std().item():.2f} bias sum {abs(net[1].bias.sum().item()) < 1:}")
with torch.no_grad():
    net[1].weight.copy_(torch.tensor(rng.normal(0, 0.01, (3, 16)), dtype=torch.float32))
    net[1].bias.zero_()
loss = nn.CrossEntropyLoss(reduction="none")
trainer = torch.optim.SGD(net.parameters(), lr=0.1)


def evaluate(net, data):
    if isinstance(net, torch.nn.Module):
        net.eval()
    correct = total = 0
    with torch.no_grad():
        for X, y in data:
            correct += (net(X).argmax(axis=1) == y).sum().item()
            total += y.numel()
    return correct / total


for epoch in range(4):
    if isinstance(net, torch.nn.Module):
        net.train()
    total = 0.0
    for X, y in batches:
        l = loss(net(X), y)
        trainer.zero_grad()
        l.mean().backward()
        trainer.step()
        total += float(l.sum())
    print(f"epoch {epoch + 1} loss {total / 90:.6f} acc {evaluate(net, batches):.4f}")
print("per-example losses", tuple(l.shape), "training flag", net.training)
