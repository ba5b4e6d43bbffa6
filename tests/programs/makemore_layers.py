"""makemore part 3, PyTorch-ifying the code: Linear, BatchNorm1d (training mode only) and Tanh classes
with __call__ and parameters(), a deep stack, the last layer scaled under no_grad, retain_grad() on
every output, and per-layer activation, histogram and gradient statistics."""
import numpy as np
import torch

rng = np.random.default_rng(0)


class Linear:
    def __init__(self, fan_in, fan_out):
        self.weight = torch.tensor(rng.standard_normal((fan_in, fan_out)), dtype=torch.float32) / fan_in ** 0.5

    def __call__(self, x):
        self.out = x @ self.weight
        return self.out

    def parameters(self):
        return [self.weight]


class BatchNorm1d:
    def __init__(self, dim, eps=1e-5):
        self.eps, self.gamma, self.beta = eps, torch.ones(dim), torch.zeros(dim)

    def __call__(self, x):
        xhat = (x - x.mean(0, keepdim=True)) / torch.sqrt(x.var(0, keepdim=True) + self.eps)
        self.out = self.gamma * xhat + self.beta
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
layers = [Linear(n_embd * block_size, n_hidden), BatchNorm1d(n_hidden), Tanh(), Linear(n_hidden, n_hidden),
          BatchNorm1d(n_hidden), Tanh(), Linear(n_hidden, vocab_size), BatchNorm1d(vocab_size)]
with torch.no_grad():
    layers[-1].gamma *= 0.1
    for layer in layers[:6:3]:  # the Linear layers before a Tanh get its gain
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
        x.retain_grad()
    loss = torch.nn.functional.cross_entropy(x, Y)
    for p in parameters:
        p.grad = None
    loss.backward()
    with torch.no_grad():
        for p in parameters:
            p += -0.1 * p.grad
print(f"loss {loss.item():.6f}")
for i in (2, 5):
    t = layers[i].out
    print(f"layer {i} (Tanh): mean {t.mean().item():+.4f}, std {t.std().item():.4f}, "
          f"saturated {(t.abs() > 0.97).float().mean().item() * 100:.2f}%, grad std {t.grad.std().item():.3e}")
    hy, hx = torch.histogram(t.detach(), bins=8, range=(-1.0, 1.0), density=True)
    print("  histogram", [round(v, 4) for v in hy.tolist()], "edges", [round(v, 3) for v in hx[::4].tolist()])
for p in parameters:
    if p.ndim == 2:
        print(f"weight {tuple(p.shape)} grad:data ratio {(p.grad.std() / p.detach().std()).item():.4e}")
