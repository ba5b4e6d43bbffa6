"""makemore part 3, PyTorch-ifying the code: Linear, BatchNorm1d and Tanh classes with __call__ and
parameters(), a deep stack, the last layer scaled under no_grad, retain_grad() on every layer's
output, activation and gradient statistics per layer."""
import numpy as np
import torch
import torch.nn.functional as F

rng = np.random.default_rng(0)


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
            xmean, xvar = x.mean(0, keepdim=True), x.var(0, keepdim=True)
        else:
            xmean, xvar = self.running_mean, self.running_var
        xhat = (x - xmean) / torch.sqrt(xvar + self.eps)
        self.out = self.gamma * xhat + self.beta
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


n_embd, n_hidden, vocab_size, block_size = 8, 32, 27, 3
C = torch.tensor(rng.standard_normal((vocab_size, n_embd)), dtype=torch.float32)
layers = [Linear(n_embd * block_size, n_hidden, bias=False), BatchNorm1d(n_hidden), Tanh(),
          Linear(n_hidden, n_hidden, bias=False), BatchNorm1d(n_hidden), Tanh(),
          Linear(n_hidden, vocab_size, bias=False), BatchNorm1d(vocab_size)]
with torch.no_grad():
    layers[-1].gamma *= 0.1
    for layer in layers[:-1]:
        if isinstance(layer, Linear):
            layer.weight *= 5 / 3
parameters = [C] + [p for layer in layers for p in layer.parameters()]
print("parameters", sum(p.nelement() for p in parameters))
for p in parameters:
    p.requires_grad = True

X = torch.tensor(rng.integers(0, vocab_size, (64, block_size)))
Y = torch.tensor((X.numpy()[:, 0] + X.numpy()[:, 2]) % vocab_size)
for i in range(10):
    x = C[X].view(X.shape[0], -1)
    for layer in layers:
        x = layer(x)
    loss = F.cross_entropy(x, Y)
    for layer in layers:
        layer.out.retain_grad()
    for p in parameters:
        p.grad = None
    loss.backward()
    with torch.no_grad():
        for p in parameters:
            p += -0.1 * p.grad
print(f"loss {loss.item():.6f}")
for i, layer in enumerate(layers[:-1]):
    if isinstance(layer, Tanh):
        t = layer.out
        print(f"layer {i} (Tanh): mean {t.mean().item():+.4f}, std {t.std().item():.4f}, "
              f"saturated {(t.abs() > 0.97).float().mean().item() * 100:.2f}%, grad std {t.grad.std().item():.3e}")
        hy, hx = torch.histogram(t.detach(), bins=8, range=(-1.0, 1.0), density=True)
        print("  histogram", [round(v, 4) for v in hy.tolist()], "edges", [round(v, 3) for v in hx[::4].tolist()])
for p in parameters:
    if p.ndim == 2:
        print(f"weight {tuple(p.shape)} grad:data ratio {(p.grad.std() / p.detach().std()).item():.4e}")
for layer in layers:
    layer.training = False
x = C[X[:4]].view(4, -1)
for layer in layers:
    x = layer(x)
print("eval logits", [round(v, 4) for v in x[0, :4].tolist()])
