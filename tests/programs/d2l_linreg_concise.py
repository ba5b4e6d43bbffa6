"""d2l 3.3, concise linear regression: data.TensorDataset(*data_arrays), data.DataLoader,
next(iter(...)), nn.Sequential(nn.Linear(2, 1)), initialisation through
net[0].weight.data.normal_(0, 0.01) and net[0].bias.data.fill_(0), nn.MSELoss, torch.optim.SGD."""
import numpy as np
import torch
from torch import nn
from torch.utils import data

rng = np.random.default_rng(1)
true_w = torch.tensor([2, -3.4])
true_b = 4.2
features = torch.tensor(rng.normal(0, 1, (500, 2)), dtype=torch.float32)
noise = torch.tensor(rng.normal(0, 0.01, 500), dtype=torch.float32)
labels = (torch.matmul(features, true_w) + true_b + noise).reshape(-1, 1)


def load_array(data_arrays, batch_size, is_train=True):
    dataset = data.TensorDataset(*data_arrays)
    return data.DataLoader(dataset, batch_size, shuffle=is_train)


data_iter = load_array((features, labels), 10, is_train=False)
X, y = next(iter(data_iter))
print("first batch", tuple(X.shape), tuple(y.shape))
net = nn.Sequential(nn.Linear(2, 1))
net[0].weight.data.normal_(0, 0.01)
print("normal_ kept the shape", tuple(net[0].weight.shape))
net[0].weight.data.copy_(torch.tensor([[0.005, -0.01]]))
net[0].bias.data.fill_(0)
loss = nn.MSELoss()
trainer = torch.optim.SGD(net.parameters(), lr=0.03)
for epoch in range(3):
    for X, y in data_iter:
        l = loss(net(X), y)
        trainer.zero_grad()
        l.backward()
        trainer.step()
    l = loss(net(features), labels)
    print(f"epoch {epoch + 1}, loss {l:f}")
w = net[0].weight.data
print("error in estimating w:", [round(v, 4) for v in (true_w - w.reshape(true_w.shape)).tolist()])
b = net[0].bias.data
print("error in estimating b:", round((true_b - b).item(), 4))
