"""d2l 3.2, linear regression from scratch: synthetic_data, a data_iter generator over shuffled
indices (torch.tensor of an index list), linreg, squared_loss, sgd under torch.no_grad() with
param.grad.zero_(), and the error in estimating w and b."""
import random

import numpy as np
import torch


def synthetic_data(w, b, num_examples, rng):
    """y = Xw + b + noise (drawn with NumPy, so both engines see the same data)."""
    X = torch.tensor(rng.normal(0, 1, (num_examples, len(w))), dtype=torch.float32)
    y = torch.matmul(X, w) + b
    y += torch.tensor(rng.normal(0, 0.01, tuple(y.shape)), dtype=torch.float32)
    return X, y.reshape((-1, 1))


true_w = torch.tensor([2, -3.4])
true_b = 4.2
features, labels = synthetic_data(true_w, true_b, 1000, np.random.default_rng(0))
print("features:", [round(v, 5) for v in features[0].tolist()], "\nlabel:", [round(v, 5) for v in labels[0].tolist()])


def data_iter(batch_size, features, labels, shuffle):
    num_examples = len(features)
    indices = list(range(num_examples))
    shuffle(indices)
    for i in range(0, num_examples, batch_size):
        batch_indices = torch.tensor(indices[i: min(i + batch_size, num_examples)])
        yield features[batch_indices], labels[batch_indices]


def linreg(X, w, b):
    return torch.matmul(X, w) + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


w = torch.tensor([[0.01], [-0.02]], requires_grad=True)
b = torch.zeros(1, requires_grad=True)
lr, num_epochs, batch_size = 0.03, 3, 10
net, loss = linreg, squared_loss
shuffle = random.Random(0).shuffle
for epoch in range(num_epochs):
    for X, y in data_iter(batch_size, features, labels, shuffle):
        l = loss(net(X, w, b), y)
        l.sum().backward()
        sgd([w, b], lr, batch_size)
    with torch.no_grad():
        train_l = loss(net(features, w, b), labels)
        print(f"epoch {epoch + 1}, loss {float(train_l.mean()):f}")
print(f"error in estimating w: {[round(v, 4) for v in (true_w - w.reshape(true_w.shape)).tolist()]}")
print(f"error in estimating b: {round((true_b - b).item(), 4)}")
