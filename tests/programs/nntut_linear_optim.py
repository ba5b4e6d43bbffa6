"""What is torch.nn really?, nn.Linear and torch.optim: the logistic model as one nn.Linear,
trained with optim.SGD (opt.step(), opt.zero_grad()) from a get_model() helper."""
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn, optim

rng = np.random.default_rng(3)
x_train = torch.tensor(rng.uniform(0, 1, (128, 784)), dtype=torch.float32)
y_train = torch.tensor(rng.integers(0, 10, 128))
initial_weight = rng.uniform(-0.03, 0.03, (10, 784)).astype(np.float32)


class Mnist_Logistic(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(784, 10)

    def forward(self, xb):
        return self.lin(xb)


def get_model(lr=0.5):
    model = Mnist_Logistic()
    with torch.no_grad():
        model.lin.weight.copy_(torch.from_numpy(initial_weight))
        model.lin.bias.zero_()
    return model, optim.SGD(model.parameters(), lr=lr)


model, opt = get_model()
loss_func = F.cross_entropy
bs = 32
print(f"weight shape {tuple(model.lin.weight.shape)} loss {loss_func(model(x_train[:bs]), y_train[:bs]).item():.6f}")
n = x_train.shape[0]
for epoch in range(3):
    for i in range((n - 1) // bs + 1):
        xb = x_train[i * bs:i * bs + bs]
        yb = y_train[i * bs:i * bs + bs]
        loss = loss_func(model(xb), yb)
        loss.backward()
        opt.step()
        opt.zero_grad()
    print(f"epoch {epoch} loss {loss.item():.6f}")
print(f"bias {[round(v, 5) for v in model.lin.bias.tolist()[:4]]}")
