"""micrograd's demo in PyTorch: a 2-16-16-1 ReLU network on two interleaving half-moons, the
max-margin loss (1 + -y * score).relu(), L2 regularisation summed over the parameters, accuracy
from score signs, and SGD with a decaying learning rate written by hand."""
import numpy as np
import torch
import torch.nn as nn

rng = np.random.default_rng(1337)
t = rng.uniform(0, np.pi, 50)
upper = np.stack([np.cos(t[:25]), np.sin(t[:25])], axis=1)
lower = np.stack([1 - np.cos(t[25:]), 0.5 - np.sin(t[25:])], axis=1)
X = np.concatenate([upper, lower]) + rng.normal(0, 0.1, (50, 2))
y = np.concatenate([np.ones(25), -np.ones(25)])
inputs = torch.tensor(X, dtype=torch.float32)
targets = torch.tensor(y, dtype=torch.float32)

model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1))
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.tensor(rng.uniform(-1, 1, tuple(p.shape)), dtype=torch.float32))
print(model[0], "number of parameters", sum(p.numel() for p in model.parameters()))


def loss_fn():
    scores = model(inputs).squeeze(1)
    losses = (1 + -targets * scores).relu()
    data_loss = losses.sum() * (1.0 / losses.size(0))
    alpha = 1e-4
    reg_loss = alpha * sum((p * p).sum() for p in model.parameters())
    total_loss = data_loss + reg_loss
    accuracy = [(yi > 0) == (scorei > 0) for yi, scorei in zip(targets, scores)]
    return total_loss, sum(accuracy).item() / len(accuracy)


for k in range(30):
    total_loss, acc = loss_fn()
    model.zero_grad()
    total_loss.backward()
    learning_rate = 1.0 - 0.9 * k / 100
    for p in model.parameters():
        p.data -= learning_rate * p.grad
    if k % 5 == 0:
        print(f"step {k} loss {total_loss.item():.6f}, accuracy {acc * 100:.1f}%")
