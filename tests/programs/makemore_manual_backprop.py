"""makemore part 4, becoming a backprop ninja (the loss half): the MLP forward pass cut into small
steps, retain_grad() on each, then the gradients by hand from dlogprobs back through the softmax
written out (counts, counts_sum_inv, the max subtraction) to dlogits, dh, dW2 and db2."""
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
logit_maxes = logits.max(1, keepdim=True).values
norm_logits = logits - logit_maxes
counts = norm_logits.exp()
counts_sum = counts.sum(1, keepdims=True)
counts_sum_inv = counts_sum ** -1
probs = counts * counts_sum_inv
logprobs = probs.log()
loss = -logprobs[range(n), Yb].mean()
NAMES = ("logprobs probs counts_sum_inv counts_sum counts norm_logits logit_maxes logits h hpreact bnraw bnvar_inv "
         "bnvar bndiff2 bndiff bnmeani hprebn embcat emb").split()
for name in NAMES:
    globals()[name].retain_grad()
loss.backward()
print(f"loss {loss.item():.6f}")


def cmp(s, dt, t):
    app = torch.allclose(dt, t.grad, rtol=1e-4, atol=1e-6)
    maxdiff = (dt - t.grad).abs().max().item()
    print(f"{s:15s} | approximate: {str(app):5s} | maxdiff below 1e-6: {maxdiff < 1e-6}")


dlogprobs = torch.zeros_like(logprobs)
dlogprobs[range(n), Yb] = -1.0 / n
dprobs = (1.0 / probs) * dlogprobs
dcounts_sum_inv = (counts * dprobs).sum(1, keepdim=True)
dcounts = counts_sum_inv * dprobs
dcounts_sum = (-counts_sum ** -2) * dcounts_sum_inv
dcounts += torch.ones_like(counts) * dcounts_sum
dnorm_logits = counts * dcounts
dlogits = dnorm_logits.clone()
dlogit_maxes = (-dnorm_logits).sum(1, keepdim=True)
dlogits += F.one_hot(logits.max(1).indices, num_classes=logits.shape[1]) * dlogit_maxes
dh = dlogits @ W2.T
dW2 = h.T @ dlogits
db2 = dlogits.sum(0)
for name in NAMES[:8] + ["h", "W2", "b2"]:
    cmp(name, globals()["d" + name], globals()[name])
print(f"dlogits row sums vanish {dlogits.sum(1).abs().max().item() < 1e-6} dW2 norm {dW2.norm().item():.6f}")
