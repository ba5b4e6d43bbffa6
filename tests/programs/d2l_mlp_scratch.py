"""d2l 5.2, MLP from scratch: nn.Parameter(torch.randn(...) * 0.01) style parameters, relu as
torch.max(X, torch.zeros_like(X)), X.reshape((-1, num_inputs)), nn.CrossEntropyLoss(reduction='none')
and torch.optim.SGD over a list of parameters."""
import numpy as np
import torch
from torch import nn

rng = np.random.default_rng(2)
num_inputs, num_outputs, num_hiddens = 16, 4, 32
W1 = nn.Parameter(torch.tensor(rng.standard_normal((num_inputs, num_hiddens)), dtype=torch.float32) * 0.3)
b1 = nn.Parameter(torch.zeros(num_hiddens, requires_grad=True))
W2 = nn.Parameter(torch.tensor(rng.standard_normal((num_hiddens, num_outputs)), dtype=torch.float32) * 0.3)
b2 = nn.Parameter(torch.zeros(num_outputs, requires_grad=True))
params = [W1, b1, W2, b2]
print("parameters are leaves", all(p.is_leaf and p.requires_grad for p in params))


def relu(X):
    a = torch.zeros_like(X)
    return torch.max(X, a)


def net(X):
    X = X.reshape((-1, num_inputs))
    H = relu(X @ W1 + b1)
    return H @ W2 + b2


print("relu", relu(torch.tensor([-1.0, 0.0, 2.0])).tolist())
labels = np.arange(64) % num_outputs
images = rng.normal(0, 1, (num_outputs, 4, 4))[labels] + rng.normal(0, 0.5, (64, 4, 4))
X_all = torch.tensor(images, dtype=torch.float32).unsqueeze(1)
y_all = torch.tensor(labels)
loss = nn.CrossEntropyLoss(reduction="none")
updater = torch.optim.SGD(params, lr=0.1)
for epoch in range(5):
    for i in range(0, 64, 16):
        X, y = X_all[i:i + 16], y_all[i:i + 16]
        l = loss(net(X), y)
        updater.zero_grad()
        l.mean().backward()
        updater.step()
    with torch.no_grad():
        l = loss(net(X_all), y_all)
        acc = (net(X_all).argmax(1) == y_all).float().mean()
    print(f"epoch {epoch + 1} loss {l.mean().item():.6f} acc {acc.item():.4f}")
