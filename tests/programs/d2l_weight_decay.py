"""d2l 3.7, weight decay from scratch: high-dimensional linear regression with 20 examples,
l2_penalty(w) = torch.sum(w.pow(2)) / 2 added to the loss, and torch.norm(w).item() with and
without the penalty."""
import numpy as np
import torch

rng = np.random.default_rng(0)
n_train, num_inputs, batch_size = 20, 200, 5
true_w, true_b = torch.ones((num_inputs, 1)) * 0.01, 0.05
X_train = torch.tensor(rng.normal(0, 1, (n_train, num_inputs)), dtype=torch.float32)
y_train = torch.matmul(X_train, true_w) + true_b + torch.tensor(rng.normal(0, 0.01, (n_train, 1)), dtype=torch.float32)
X_test = torch.tensor(rng.normal(0, 1, (100, num_inputs)), dtype=torch.float32)
y_test = torch.matmul(X_test, true_w) + true_b
initial_w = rng.normal(0, 1, (num_inputs, 1))


def init_params():
    w = torch.tensor(initial_w, dtype=torch.float32, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    return [w, b]


def l2_penalty(w):
    return torch.sum(w.pow(2)) / 2


def linreg(X, w, b):
    return torch.matmul(X, w) + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def train(lambd):
    w, b = init_params()
    lr = 0.003
    for epoch in range(30):
        for i in range(0, n_train, batch_size):
            X, y = X_train[i:i + batch_size], y_train[i:i + batch_size]
            l = squared_loss(linreg(X, w, b), y) + lambd * l2_penalty(w)
            l.sum().backward()
            with torch.no_grad():
                for param in (w, b):
                    param -= lr * param.grad / batch_size
                    param.grad.zero_()
    with torch.no_grad():
        train_l = squared_loss(linreg(X_train, w, b), y_train).mean().item()
        test_l = squared_loss(linreg(X_test, w, b), y_test).mean().item()
    print(f"lambda {lambd}: L2 norm of w {torch.norm(w).item():.5f} train {train_l:.6f} test {test_l:.5f}")


train(lambd=0)
train(lambd=3)
