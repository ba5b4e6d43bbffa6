"""makemore part 5, the WaveNet: Embedding, FlattenConsecutive, Linear, BatchNorm1d (statistics over
dims (0, 1) for 3-D input), Tanh and Sequential classes, a hierarchical model over 8 characters,
the last layer scaled under no_grad, and the mean of the losses per stage with view(-1, k)."""
import numpy as np
import torch
import torch.nn.functional as F

rng = np.random.default_rng(42)


class Linear:
    def __init__(self, fan_in, fan_out, bias=True):
        self.weight = torch.tensor(rng.standard_normal((fan_in, fan_out)), dtype=torch.float32) / fan_in ** 0.5
        self.bias = torch.zeros(fan_out) if bias else None

    def __call__(self, x):
        self.out = x @ self.weight
        if self.bias is not None:
            self.out += self.bias
        return self.out

    def parameters(self):
        return [self.weight] + ([] if self.bias is None else [self.bias])


class BatchNorm1d:
    def __init__(self, dim, eps=1e-5, momentum=0.1):
        self.eps, self.momentum, self.training = eps, momentum, True
        self.gamma, self.beta = torch.ones(dim), torch.zeros(dim)
        self.running_mean, self.running_var = torch.zeros(dim), torch.ones(dim)

    def __call__(self, x):
        if self.training:
            dim = 0 if x.ndim == 2 else (0, 1)
            xmean, xvar = x.mean(dim, keepdim=True), x.var(dim, keepdim=True)
        else:
            xmean, xvar = self.running_mean, self.running_var
        self.out = self.gamma * (x - xmean) / torch.sqrt(xvar + self.eps) + self.beta
        if self.training:
            with torch.no_grad():
                self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * xmean
                self.running_var = (1 - self.momentum) * self.running_var + self.momentum * xvar
        return self.out

    def parameters(self):
        return [self.gamma, self.beta]


class Tanh:
    def __call__(self, x):
        self.out = torch.tanh(x)
        return self.out

    def parameters(self):
        return []


class Embedding:
    def __init__(self, num_embeddings, embedding_dim):
        self.weight = torch.tensor(rng.standard_normal((num_embeddings, embedding_dim)), dtype=torch.float32)

    def __call__(self, IX):
        self.out = self.weight[IX]
        return self.out

    def parameters(self):
        return [self.weight]


class FlattenConsecutive:
    def __init__(self, n):
        self.n = n

    def __call__(self, x):
        B, T, C = x.shape
        x = x.view(B, T // self.n, C * self.n)
        if x.shape[1] == 1:
            x = x.squeeze(1)
        self.out = x
        return self.out

    def parameters(self):
        return []


class Sequential:
    def __init__(self, layers):
        self.layers = layers

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        self.out = x
        return self.out

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]


vocab_size, block_size, n_embd, n_hidden = 27, 8, 6, 24
model = Sequential([
    Embedding(vocab_size, n_embd),
    FlattenConsecutive(2), Linear(n_embd * 2, n_hidden, bias=False), BatchNorm1d(n_hidden), Tanh(),
    FlattenConsecutive(2), Linear(n_hidden * 2, n_hidden, bias=False), BatchNorm1d(n_hidden), Tanh(),
    FlattenConsecutive(2), Linear(n_hidden * 2, n_hidden, bias=False), BatchNorm1d(n_hidden), Tanh(),
    Linear(n_hidden, vocab_size),
])
with torch.no_grad():
    model.layers[-1].weight *= 0.1
parameters = model.parameters()
print("parameters", sum(p.nelement() for p in parameters))
for p in parameters:
    p.requires_grad = True

X = torch.tensor(rng.integers(0, vocab_size, (96, block_size)))
Y = torch.tensor(X.numpy()[:, -1] * 2 % vocab_size)
lossi = []
for i in range(24):
    ix = torch.tensor(rng.integers(0, X.shape[0], 32))
    logits = model(X[ix])
    loss = F.cross_entropy(logits, Y[ix])
    for p in parameters:
        p.grad = None
    loss.backward()
    for p in parameters:
        p.data += -0.1 * p.grad
    lossi.append(loss.log10().item())
print("stage means", [round(v, 5) for v in torch.tensor(lossi).view(-1, 8).mean(1).tolist()])
for layer in model.layers:
    print(layer.__class__.__name__, ":", tuple(layer.out.shape))
for layer in model.layers:
    layer.training = False
print(f"eval loss {F.cross_entropy(model(X), Y).item():.6f}")
