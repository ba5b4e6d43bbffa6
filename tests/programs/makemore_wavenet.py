"""makemore part 5, the WaveNet: a FlattenConsecutive module, a BatchNorm1d whose statistics run
over dims (0, 1) for 3-D input (buffers for the running ones), nn.Embedding/Linear/Tanh in an
nn.Sequential over 8 characters, the last layer scaled under no_grad, per-stage mean losses."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class FlattenConsecutive(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.n = n

    def forward(self, x):
        B, T, C = x.shape
        x = x.view(B, T // self.n, C * self.n)
        return x.squeeze(1) if x.shape[1] == 1 else x


class BatchNorm1d(nn.Module):
    def __init__(self, dim, eps=1e-5, momentum=0.1):
        super().__init__()
        self.eps, self.momentum = eps, momentum
        self.gamma, self.beta = nn.Parameter(torch.ones(dim)), nn.Parameter(torch.zeros(dim))
        self.register_buffer("running_mean", torch.zeros(dim))
        self.register_buffer("running_var", torch.ones(dim))

    def forward(self, x):
        if not self.training:
            return self.gamma * (x - self.running_mean) / torch.sqrt(self.running_var + self.eps) + self.beta
        dim = 0 if x.ndim == 2 else (0, 1)
        xmean, xvar = x.mean(dim), x.var(dim)
        with torch.no_grad():
            self.running_mean.mul_(1 - self.momentum).add_(self.momentum * xmean)
            self.running_var.mul_(1 - self.momentum).add_(self.momentum * xvar)
        return self.gamma * (x - xmean) / torch.sqrt(xvar + self.eps) + self.beta


vocab_size, n_embd, n_hidden = 27, 6, 24
stages = [[FlattenConsecutive(2), nn.Linear(width, n_hidden, bias=False), BatchNorm1d(n_hidden), nn.Tanh()]
          for width in (n_embd * 2, n_hidden * 2, n_hidden * 2)]
model = nn.Sequential(nn.Embedding(vocab_size, n_embd), *sum(stages, []), nn.Linear(n_hidden, vocab_size))
rng = np.random.default_rng(42)
with torch.no_grad():
    for name, p in model.named_parameters():
        if not name.endswith(("gamma", "beta")):
            p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape)) / max(p.shape[-1], 1) ** 0.5, dtype=torch.float32))
    model[-1].weight *= 0.1
print("parameters", sum(p.nelement() for p in model.parameters()), "buffers", len(list(model.buffers())))

X = torch.tensor(rng.integers(0, vocab_size, (96, 8)))
Y = torch.tensor(X.numpy()[:, -1] * 2 % vocab_size)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
lossi = []
for i in range(24):
    ix = torch.tensor(rng.integers(0, X.shape[0], 32))
    loss = F.cross_entropy(model(X[ix]), Y[ix])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    lossi.append(loss.log10().item())
print("stage means", [round(v, 5) for v in torch.tensor(lossi).view(-1, 8).mean(1).tolist()])
x = X[:4]
for layer in model:
    x = layer(x)
    print(layer.__class__.__name__, ":", tuple(x.shape))
model.eval()
with torch.no_grad():
    print(f"eval loss {F.cross_entropy(model(X), Y).item():.6f}",
          [round(v, 5) for v in model[3].running_mean[:3].tolist()])
