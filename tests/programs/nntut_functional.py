"""What is torch.nn really?, using torch.nn.functional: the same logistic regression with
F.cross_entropy replacing the hand-written log-softmax and negative log-likelihood."""
import math

import numpy as np
import torch
import torch.nn.functional as F

rng = np.random.default_rng(1)
x_train = torch.tensor(rng.uniform(0, 1, (192, 784)), dtype=torch.float32)
y_train = torch.tensor(rng.integers(0, 10, 192))
weights = torch.tensor(rng.standard_normal((784, 10)) / math.sqrt(784), dtype=torch.float32, requires_grad=True)
bias = torch.zeros(10, requires_grad=True)
loss_func = F.cross_entropy


def model(xb):
    return xb @ weights + bias


def manual(xb, yb):
    logits = model(xb)
    log_probs = logits - logits.exp().sum(-1).log().unsqueeze(-1)
    return -log_probs[range(yb.shape[0]), yb].mean()


bs = 64
xb, yb = x_train[0:bs], y_train[0:bs]
print(f"cross_entropy {loss_func(model(xb), yb).item():.6f} by hand {manual(xb, yb).item():.6f}")
n = x_train.shape[0]
for epoch in range(3):
    for i in range((n - 1) // bs + 1):
        xb, yb = x_train[i * bs:(i + 1) * bs], y_train[i * bs:(i + 1) * bs]
        loss = loss_func(model(xb), yb)
        loss.backward()
        with torch.no_grad():
            weights -= weights.grad * 0.5
            bias -= bias.grad * 0.5
            weights.grad.zero_()
            bias.grad.zero_()
    print(f"epoch {epoch} loss {loss.item():.6f}")
print(f"sum reduction {F.cross_entropy(model(xb), yb, reduction='sum').item():.5f}")
print("none reduction", [round(v, 5) for v in F.cross_entropy(model(xb), yb, reduction="none")[:3].tolist()])
