"""makemore part 4, exercises 2-4: the cross-entropy gradient in one line (F.softmax, then
dlogits[range(n), Yb] -= 1, dlogits /= n), the batch-norm backward in one formula, and a
training loop that updates with the hand-made gradients under torch.no_grad()."""
import numpy as np
import torch
import torch.nn.functional as F

rng = np.random.default_rng(7)
vocab_size, block_size, n_embd, n_hidden, n = 27, 3, 8, 32, 32
C = torch.tensor(rng.standard_normal((vocab_size, n_embd)), dtype=torch.float32)
W1 = torch.tensor(rng.standard_normal((n_embd * block_size, n_hidden)) * 0.3, dtype=torch.float32)
b1 = torch.tensor(rng.standard_normal(n_hidden) * 0.1, dtype=torch.float32)
W2 = torch.tensor(rng.standard_normal((n_hidden, vocab_size)) * 0.1, dtype=torch.float32)
b2 = torch.zeros(vocab_size)
bngain = torch.ones((1, n_hidden))
bnbias = torch.zeros((1, n_hidden))
parameters = [C, W1, b1, W2, b2, bngain, bnbias]
for p in parameters:
    p.requires_grad = True
X = torch.tensor(rng.integers(0, vocab_size, (128, block_size)))
Y = torch.tensor((X.numpy()[:, 1] * 3 + 1) % vocab_size)

with torch.no_grad():
    for i in range(20):
        ix = torch.tensor(rng.integers(0, X.shape[0], n))
        Xb, Yb = X[ix], Y[ix]
        emb = C[Xb]
        embcat = emb.view(emb.shape[0], -1)
        hprebn = embcat @ W1 + b1
        bnmean = hprebn.mean(0, keepdim=True)
        bnvar = hprebn.var(0, keepdim=True, unbiased=True)
        bnvar_inv = (bnvar + 1e-5) ** -0.5
        bnraw = (hprebn - bnmean) * bnvar_inv
        hpreact = bngain * bnraw + bnbias
        h = torch.tanh(hpreact)
        logits = h @ W2 + b2
        loss = F.cross_entropy(logits, Yb)

        dlogits = F.softmax(logits, 1)
        dlogits[range(n), Yb] -= 1
        dlogits /= n
        dh = dlogits @ W2.T
        dW2 = h.T @ dlogits
        db2 = dlogits.sum(0)
        dhpreact = (1.0 - h ** 2) * dh
        dbngain = (bnraw * dhpreact).sum(0, keepdim=True)
        dbnbias = dhpreact.sum(0, keepdim=True)
        dhprebn = bngain * bnvar_inv / n * (n * dhpreact - dhpreact.sum(0)
                                            - n / (n - 1) * bnraw * (dhpreact * bnraw).sum(0))
        dembcat = dhprebn @ W1.T
        dW1 = embcat.T @ dhprebn
        db1 = dhprebn.sum(0)
        demb = dembcat.view(emb.shape)
        dC = torch.zeros_like(C)
        dC.index_add_(0, Xb.view(-1), demb.view(-1, n_embd))
        grads = [dC, dW1, db1, dW2, db2, dbngain, dbnbias]
        for p, grad in zip(parameters, grads):
            p.data += -0.1 * grad
        if i % 5 == 0:
            print(f"{i:3d} loss {loss.item():.6f}")

logits = torch.tanh(F.batch_norm(C[X].view(X.shape[0], -1) @ W1 + b1, None, None, bngain.view(-1), bnbias.view(-1),
                                 training=True, eps=1e-5)) @ W2 + b2
print(f"full-batch loss {F.cross_entropy(logits, Y).item():.6f}")
check = (C[Xb].view(n, -1) @ W1 + b1).detach().requires_grad_(True)
hp = bngain * (check - check.mean(0, keepdim=True)) / (check.var(0, keepdim=True) + 1e-5) ** 0.5 + bnbias
g = torch.tensor(rng.standard_normal(hp.shape), dtype=torch.float32)
(hp * g).sum().backward()
bnvar_inv = (check.var(0, keepdim=True) + 1e-5) ** -0.5
raw = (check - check.mean(0, keepdim=True)) * bnvar_inv
manual = bngain * bnvar_inv / n * (n * g - g.sum(0) - n / (n - 1) * raw * (g * raw).sum(0))
print("batch-norm formula matches autograd", torch.allclose(manual, check.grad, atol=1e-5))
