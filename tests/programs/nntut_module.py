"""What is torch.nn really?, refactoring with nn.Module: Mnist_Logistic holds nn.Parameter
weights; training loops over model.parameters() and clears gradients with model.zero_grad()."""
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

rng = np.random.default_rng(2)
x_train = torch.tensor(rng.uniform(0, 1, (128, 784)), dtype=torch.float32)
y_train = torch.tensor(rng.integers(0, 10, 128))
initial = rng.standard_normal((784, 10)) / math.sqrt(784)


class Mnist_Logistic(nn.Module):
    def __init__(self):
        super().__init__()
        self.weights = nn.Parameter(torch.tensor(initial, dtype=torch.float32))
        self.bias = nn.Parameter(torch.zeros(10))

    def forward(self, xb):
        return xb @ self.weights + self.bias


model = Mnist_Logistic()
print("parameters", [name for name, _ in model.named_parameters()], "leaf", model.weights.is_leaf)
loss_func = F.cross_entropy
bs, lr = 32, 0.5
print(f"before {loss_func(model(x_train[:bs]), y_train[:bs]).item():.6f}")


def fit(epochs):
    n = x_train.shape[0]
    for epoch in range(epochs):
        for i in range((n - 1) // bs + 1):
            xb = x_train[i * bs:i * bs + bs]
            yb = y_train[i * bs:i * bs + bs]
            loss = loss_func(model(xb), yb)
            loss.backward()
            with torch.no_grad():
                for p in model.parameters():
                    p -= p.grad * lr
                model.zero_grad()
        print(f"epoch {epoch} loss {loss.item():.6f}")


fit(2)
print(f"after {loss_func(model(x_train[:bs]), y_train[:bs]).item():.6f}")
print("grads cleared", all(p.grad is None or p.grad.abs().sum().item() == 0 for p in model.parameters()))
