"""What is torch.nn really?, switch to CNN: Mnist_CNN with three nn.Conv2d(stride=2, padding=1)
layers, xb.view(-1, 1, 28, 28), F.avg_pool2d(xb, 4), xb.view(-1, xb.size(1)), SGD momentum 0.9."""
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset

rng = np.random.default_rng(5)
x_train = torch.tensor(rng.uniform(0, 1, (32, 784)), dtype=torch.float32)
y_train = torch.tensor(rng.integers(0, 10, 32))
train_dl = DataLoader(TensorDataset(x_train, y_train), batch_size=8)


class Mnist_CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1)
        self.conv3 = nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1)

    def forward(self, xb):
        xb = xb.view(-1, 1, 28, 28)
        xb = F.relu(self.conv1(xb))
        xb = F.relu(self.conv2(xb))
        xb = F.relu(self.conv3(xb))
        xb = F.avg_pool2d(xb, 4)
        return xb.view(-1, xb.size(1))


model = Mnist_CNN()
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(rng.uniform(-0.3, 0.3, tuple(p.shape)).astype(np.float32)))
opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
print("output", tuple(model(x_train[:2]).shape))
for epoch in range(2):
    model.train()
    for xb, yb in train_dl:
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        opt.zero_grad()
    print(f"epoch {epoch} loss {loss.item():.6f}")
model.eval()
with torch.no_grad():
    print(f"eval loss {F.cross_entropy(model(x_train), y_train).item():.6f}")
print(f"conv1 weight norm {model.conv1.weight.norm().item():.6f}")
