"""What is torch.nn really?, from scratch: logistic regression on MNIST-shaped data with only
tensor operations (weights.requires_grad_(), a hand-written log_softmax and negative
log-likelihood with input[range(n), target], updates under no_grad, grad.zero_())."""
import math

import numpy as np
import torch

rng = np.random.default_rng(0)
x_train = torch.tensor(rng.uniform(0, 1, (256, 784)), dtype=torch.float32)
y_train = torch.tensor(rng.integers(0, 10, 256))
n, c = x_train.shape
print("data", n, c, "labels", y_train.min().item(), y_train.max().item())

weights = torch.tensor(rng.standard_normal((784, 10)) / math.sqrt(784), dtype=torch.float32)
weights.requires_grad_()
bias = torch.zeros(10, requires_grad=True)


def log_softmax(x):
    return x - x.exp().sum(-1).log().unsqueeze(-1)


def model(xb):
    return log_softmax(xb @ weights + bias)


def nll(input, target):
    return -input[range(target.shape[0]), target].mean()


def accuracy(out, yb):
    preds = torch.argmax(out, dim=1)
    return (preds == yb).float().mean()


bs = 64
xb, yb = x_train[0:bs], y_train[0:bs]
preds = model(xb)
print("first predictions", [round(v, 5) for v in preds[0][:3].tolist()], tuple(preds.shape))
loss_func = nll
print(f"initial loss {loss_func(preds, yb).item():.6f} accuracy {accuracy(preds, yb).item():.4f}")

lr = 0.5
epochs = 2
for epoch in range(epochs):
    for i in range((n - 1) // bs + 1):
        start_i = i * bs
        end_i = start_i + bs
        xb = x_train[start_i:end_i]
        yb = y_train[start_i:end_i]
        loss = loss_func(model(xb), yb)
        loss.backward()
        with torch.no_grad():
            weights -= weights.grad * lr
            bias -= bias.grad * lr
            weights.grad.zero_()
            bias.grad.zero_()
    print(f"epoch {epoch} loss {loss.item():.6f}")
print(f"final loss {loss_func(model(xb), yb).item():.6f} accuracy {accuracy(model(xb), yb).item():.4f}")
