"""makemore part 4, backprop ninja (the batch-norm half): dlogits in one line (F.softmax minus one at the
targets), then by hand through tanh, the batch norm with 1/(n-1), W1 and the embedding table C."""
import numpy as np
import torch
import torch.nn.functional as F

rng = np.random.default_rng(42)
vocab_size, block_size, n_embd, n_hidden, n = 27, 3, 10, 64, 32


def randn(*shape, scale=1.0):
    return torch.tensor(rng.standard_normal(shape) * scale, dtype=torch.float32)


C = randn(vocab_size, n_embd)
W1 = randn(n_embd * block_size, n_hidden, scale=(5 / 3) / (n_embd * block_size) ** 0.5)
b1 = randn(n_hidden, scale=0.1)
W2 = randn(n_hidden, vocab_size, scale=0.1)
b2 = randn(vocab_size, scale=0.1)
bngain = randn(1, n_hidden, scale=0.1) + 1.0
bnbias = randn(1, n_hidden, scale=0.1)
for p in (C, W1, b1, W2, b2, bngain, bnbias):
    p.requires_grad = True
Xb = torch.tensor(rng.integers(0, vocab_size, (n, block_size)))
Yb = torch.tensor(rng.integers(0, vocab_size, n))

emb = C[Xb]
embcat = emb.view(emb.shape[0], -1)
hprebn = embcat @ W1 + b1
bnmeani = 1 / n * hprebn.sum(0, keepdim=True)
bndiff = hprebn - bnmeani
bndiff2 = bndiff ** 2
bnvar = 1 / (n - 1) * (bndiff2).sum(0, keepdim=True)
bnvar_inv = (bnvar + 1e-5) ** -0.5
bnraw = bndiff * bnvar_inv
hpreact = bngain * bnraw + bnbias
h = torch.tanh(hpreact)
logits = h @ W2 + b2
loss = F.cross_entropy(logits, Yb)
NAMES = "logits h hpreact bnraw bnvar_inv bnvar bndiff2 bndiff bnmeani hprebn embcat emb".split()
for name in NAMES:
    globals()[name].retain_grad()
loss.backward()
print(f"loss {loss.item():.6f}")


def cmp(s, dt, t):
    app = torch.allclose(dt, t.grad, rtol=1e-4, atol=1e-6)
    maxdiff = (dt - t.grad).abs().max().item()
    print(f"{s:15s} | approximate: {str(app):5s} | maxdiff below 1e-6: {maxdiff < 1e-6}")


dlogits = F.softmax(logits, 1)
dlogits[range(n), Yb] -= 1
dlogits /= n
dh = dlogits @ W2.T
dhpreact = (1.0 - h ** 2) * dh
dbngain = (bnraw * dhpreact).sum(0, keepdim=True)
dbnraw = bngain * dhpreact
dbnbias = dhpreact.sum(0, keepdim=True)
dbndiff = bnvar_inv * dbnraw
dbnvar_inv = (bndiff * dbnraw).sum(0, keepdim=True)
dbnvar = (-0.5 * (bnvar + 1e-5) ** -1.5) * dbnvar_inv
dbndiff2 = (1.0 / (n - 1)) * torch.ones_like(bndiff2) * dbnvar
dbndiff += (2 * bndiff) * dbndiff2
dhprebn = dbndiff.clone()
dbnmeani = (-dbndiff).sum(0)
dhprebn += 1.0 / n * (torch.ones_like(hprebn) * dbnmeani)
dembcat = dhprebn @ W1.T
dW1 = embcat.T @ dhprebn
db1 = dhprebn.sum(0)
demb = dembcat.view(emb.shape)
dC = torch.zeros_like(C)
for k in range(Xb.shape[0]):
    for j in range(Xb.shape[1]):
        ix = Xb[k, j]
        dC[ix] += demb[k, j]
for name in NAMES[1:] + ["bngain", "bnbias", "W1", "b1", "C"]:
    cmp(name, globals()["d" + name], globals()[name])
print(f"dC norm {dC.norm().item():.6f} dW1 norm {dW1.norm().item():.6f}")
