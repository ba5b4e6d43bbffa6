"""d2l 8.5, batch normalisation from scratch: batch_norm() switching on torch.is_grad_enabled(),
statistics over dim=0 or dim=(0, 2, 3) with keepdim, moving averages returned through .data,
a BatchNorm module with num_dims, inside a LeNet with nn.Sigmoid and nn.AvgPool2d."""
import numpy as np
import torch
from torch import nn


def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    if not torch.is_grad_enabled():
        X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
    else:
        assert len(X.shape) in (2, 4)
        if len(X.shape) == 2:
            mean = X.mean(dim=0)
            var = ((X - mean) ** 2).mean(dim=0)
        else:
            mean = X.mean(dim=(0, 2, 3), keepdim=True)
            var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
        X_hat = (X - mean) / torch.sqrt(var + eps)
        moving_mean = (1.0 - momentum) * moving_mean + momentum * mean
        moving_var = (1.0 - momentum) * moving_var + momentum * var
    Y = gamma * X_hat + beta
    return Y, moving_mean.detach(), moving_var.detach()


class BatchNorm(nn.Module):
    def __init__(self, num_features, num_dims):
        super().__init__()
        shape = (1, num_features) if num_dims == 2 else (1, num_features, 1, 1)
        self.gamma = nn.Parameter(torch.ones(shape))
        self.beta = nn.Parameter(torch.zeros(shape))
        self.moving_mean = torch.zeros(shape)
        self.moving_var = torch.ones(shape)

    def forward(self, X):
        if self.moving_mean.device != X.device:
            self.moving_mean = self.moving_mean.to(X.device)
            self.moving_var = self.moving_var.to(X.device)
        Y, self.moving_mean, self.moving_var = batch_norm(
            X, self.gamma, self.beta, self.moving_mean, self.moving_var, eps=1e-5, momentum=0.1)
        return Y


net = nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=5), BatchNorm(6, num_dims=4), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Conv2d(6, 16, kernel_size=5), BatchNorm(16, num_dims=4), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Flatten(), nn.Linear(16 * 4 * 4, 32), BatchNorm(32, num_dims=2), nn.Sigmoid(), nn.Linear(32, 10))
rng = np.random.default_rng(0)
with torch.no_grad():
    for name, p in net.named_parameters():
        if name.endswith(("weight", "bias")):
            p.copy_(torch.tensor(rng.uniform(-0.3, 0.3, tuple(p.shape)), dtype=torch.float32))
X = torch.tensor(rng.uniform(0, 1, (16, 1, 28, 28)), dtype=torch.float32)
y = torch.tensor(np.arange(16) % 10)
trainer = torch.optim.SGD(net.parameters(), lr=0.5)
loss = nn.CrossEntropyLoss()
for step in range(4):
    l = loss(net(X), y)
    trainer.zero_grad()
    l.backward()
    trainer.step()
    print(f"step {step} loss {l.item():.6f}")
print("gamma", [round(v, 6) for v in net[1].gamma.reshape((-1,)).tolist()])
print("beta", [round(v, 6) for v in net[1].beta.reshape((-1,)).tolist()])
print("moving mean", [round(v, 6) for v in net[1].moving_mean.reshape((-1,)).tolist()])
with torch.no_grad():
    print("inference uses moving statistics", [round(v, 5) for v in net(X[:1])[0, :3].tolist()])
