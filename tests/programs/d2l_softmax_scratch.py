"""d2l 4.4, softmax regression from scratch: softmax with X.exp() and sum(1, keepdim=True),
cross_entropy via y_hat[range(len(y_hat)), y], accuracy with argmax(axis=1) and .type(y.dtype),
an Accumulator, evaluate_accuracy, and train_epoch with an sgd updater."""
import numpy as np
import torch

rng = np.random.default_rng(0)
num_inputs, num_outputs = 16, 3
centers = rng.normal(0, 1, (num_outputs, num_inputs))
labels_np = np.arange(120) % num_outputs
images = centers[labels_np] + rng.normal(0, 0.8, (120, num_inputs))
train = [(torch.tensor(images[i:i + 20].reshape(20, 1, 4, 4), dtype=torch.float32), torch.tensor(labels_np[i:i + 20]))
         for i in range(0, 120, 20)]

W = torch.tensor(rng.normal(0, 0.01, (num_inputs, num_outputs)), dtype=torch.float32, requires_grad=True)
b = torch.zeros(num_outputs, requires_grad=True)
X = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
print("sums", X.sum(0, keepdim=True).tolist(), X.sum(1, keepdim=True).tolist())


def softmax(X):
    X_exp = torch.exp(X)
    partition = X_exp.sum(1, keepdim=True)
    return X_exp / partition


def net(X):
    return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)


def cross_entropy(y_hat, y):
    return -torch.log(y_hat[range(len(y_hat)), y])


def accuracy(y_hat, y):
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


class Accumulator:
    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def __getitem__(self, idx):
        return self.data[idx]


def evaluate_accuracy(net, data_iter):
    metric = Accumulator(2)
    with torch.no_grad():
        for X, y in data_iter:
            metric.add(accuracy(net(X), y), y.numel())
    return metric[0] / metric[1]


def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


y, y_hat = torch.tensor([0, 2]), torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
print("picked", y_hat[[0, 1], y].tolist(), "cross entropy", [round(v, 6) for v in cross_entropy(y_hat, y).tolist()])
print("accuracy", accuracy(y_hat, y) / len(y), "before training", evaluate_accuracy(net, train))
for epoch in range(5):
    metric = Accumulator(3)
    for X, y in train:
        y_hat = net(X)
        l = cross_entropy(y_hat, y)
        l.sum().backward()
        sgd([W, b], 0.1, X.shape[0])
        metric.add(float(l.sum()), accuracy(y_hat, y), y.numel())
    print(f"epoch {epoch + 1} loss {metric[0] / metric[2]:.6f} train acc {metric[1] / metric[2]:.4f}")
print("test acc", evaluate_accuracy(net, train))
