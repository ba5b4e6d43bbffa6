"""d2l 7.6, LeNet: nn.Sequential of Conv2d(padding=2), Sigmoid, AvgPool2d, Flatten and Linear;
the shape after each layer from `for layer in net`, xavier_uniform_ through net.apply, the device
of next(iter(net.parameters())), and evaluate_accuracy_gpu-style evaluation."""
import numpy as np
import torch
from torch import nn

net = nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Flatten(),
    nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
    nn.Linear(120, 84), nn.Sigmoid(),
    nn.Linear(84, 10))
X = torch.rand(size=(1, 1, 28, 28), dtype=torch.float32)
for layer in net:
    X = layer(X)
    print(layer.__class__.__name__, "output shape: \t", tuple(X.shape))


def init_weights(m):
    if type(m) == nn.Linear or type(m) == nn.Conv2d:
        nn.init.xavier_uniform_(m.weight)


net.apply(init_weights)
bound = (6 / (16 * 25 + 6 * 25)) ** 0.5
print("xavier bound respected", bool((net[3].weight.abs() <= bound).all()))
rng = np.random.default_rng(0)
with torch.no_grad():
    for p in net.parameters():
        p.copy_(torch.tensor(rng.uniform(-0.3, 0.3, tuple(p.shape)), dtype=torch.float32))
device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
net.to(device)
print("parameters on", next(iter(net.parameters())).device)

images = torch.tensor(rng.uniform(0, 1, (20, 1, 28, 28)), dtype=torch.float32)
labels = torch.tensor(np.arange(20) % 10)
optimizer = torch.optim.SGD(net.parameters(), lr=0.9)
loss = nn.CrossEntropyLoss()
for epoch in range(3):
    net.train()
    for i in range(0, 20, 10):
        X, y = images[i:i + 10].to(device), labels[i:i + 10].to(device)
        optimizer.zero_grad()
        l = loss(net(X), y)
        l.backward()
        optimizer.step()
    net.eval()
    with torch.no_grad():
        y_hat = net(images)
        acc = (y_hat.argmax(axis=1) == labels).sum().item() / labels.numel()
        print(f"epoch {epoch + 1} loss {loss(y_hat, labels).item():.6f} acc {acc:.2f}")
