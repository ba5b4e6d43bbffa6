"""What is torch.nn really?, nn.Sequential and wrapping the DataLoader: a Lambda module, the CNN
as nn.Sequential(Lambda(preprocess), Conv2d, ReLU, ..., nn.AvgPool2d(4), Lambda(flatten)), a
WrappedDataLoader that applies preprocessing, and the device idiom."""
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset

dev = torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
rng = np.random.default_rng(6)
x_train = torch.tensor(rng.uniform(0, 1, (24, 784)), dtype=torch.float32)
y_train = torch.tensor(rng.integers(0, 10, 24))


class Lambda(nn.Module):
    def __init__(self, func):
        super().__init__()
        self.func = func

    def forward(self, x):
        return self.func(x)


def preprocess(x, y):
    return x.view(-1, 1, 28, 28).to(dev), y.to(dev)


class WrappedDataLoader:
    def __init__(self, dl, func):
        self.dl = dl
        self.func = func

    def __len__(self):
        return len(self.dl)

    def __iter__(self):
        for b in self.dl:
            yield self.func(*b)


train_dl = WrappedDataLoader(DataLoader(TensorDataset(x_train, y_train), batch_size=8), preprocess)
model = nn.Sequential(
    nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.AvgPool2d(4),
    Lambda(lambda x: x.view(x.size(0), -1)),
)
model.to(dev)
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(rng.uniform(-0.3, 0.3, tuple(p.shape)).astype(np.float32)))
print("layers", len(model), [type(layer).__name__ for layer in model][:3], "batches", len(train_dl))
opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
for epoch in range(2):
    for xb, yb in train_dl:
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        opt.zero_grad()
    print(f"epoch {epoch} loss {loss.item():.6f}")
xb, _ = next(iter(train_dl))
print("batch", tuple(xb.shape), "device", xb.device.type, "out", tuple(model(xb).shape))
