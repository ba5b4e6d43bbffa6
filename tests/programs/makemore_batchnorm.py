"""makemore part 3, batch normalisation by hand: Kaiming-scaled W1 (5/3 gain), bngain/bnbias,
batch statistics with mean(0, keepdim=True) and std(0, keepdim=True), running statistics
updated under torch.no_grad(), and a @torch.no_grad() split_loss in inference mode."""
import numpy as np
import torch
import torch.nn.functional as F

rng = np.random.default_rng(42)
vocab_size, block_size, n_embd, n_hidden = 27, 3, 10, 64
X = torch.tensor(rng.integers(0, vocab_size, (200, block_size)))
Y = torch.tensor((X.numpy().sum(axis=1) * 7) % vocab_size)

C = torch.tensor(rng.standard_normal((vocab_size, n_embd)), dtype=torch.float32)
fan_in = n_embd * block_size
W1 = torch.tensor(rng.standard_normal((fan_in, n_hidden)), dtype=torch.float32) * (5 / 3) / (fan_in ** 0.5)
W2 = torch.tensor(rng.standard_normal((n_hidden, vocab_size)), dtype=torch.float32) * 0.01
b2 = torch.zeros(vocab_size)
bngain = torch.ones((1, n_hidden))
bnbias = torch.zeros((1, n_hidden))
bnmean_running = torch.zeros((1, n_hidden))
bnstd_running = torch.ones((1, n_hidden))
parameters = [C, W1, W2, b2, bngain, bnbias]
print("parameters", sum(p.nelement() for p in parameters))
for p in parameters:
    p.requires_grad = True

batch_size = 32
for i in range(30):
    ix = torch.tensor(rng.integers(0, X.shape[0], batch_size))
    Xb, Yb = X[ix], Y[ix]
    emb = C[Xb]
    embcat = emb.view(emb.shape[0], -1)
    hpreact = embcat @ W1
    bnmeani = hpreact.mean(0, keepdim=True)
    bnstdi = hpreact.std(0, keepdim=True)
    hpreact = bngain * (hpreact - bnmeani) / bnstdi + bnbias
    with torch.no_grad():
        bnmean_running = 0.999 * bnmean_running + 0.001 * bnmeani
        bnstd_running = 0.999 * bnstd_running + 0.001 * bnstdi
    h = torch.tanh(hpreact)
    logits = h @ W2 + b2
    loss = F.cross_entropy(logits, Yb)
    for p in parameters:
        p.grad = None
    loss.backward()
    for p in parameters:
        p.data += -0.1 * p.grad
    if i % 10 == 0:
        print(f"{i:7d}: {loss.item():.4f} saturated {(h.abs() > 0.97).float().mean().item():.4f}")


@torch.no_grad()
def split_loss(x, y, mean, std):
    hpreact = C[x].view(x.shape[0], -1) @ W1
    hpreact = bngain * (hpreact - mean) / std + bnbias
    return F.cross_entropy(torch.tanh(hpreact) @ W2 + b2, y)


with torch.no_grad():
    hpreact = C[X].view(X.shape[0], -1) @ W1
    bnmean = hpreact.mean(0, keepdim=True)
    bnstd = hpreact.std(0, keepdim=True)
print(f"calibrated {split_loss(X, Y, bnmean, bnstd).item():.5f}",
      f"running {split_loss(X, Y, bnmean_running, bnstd_running).item():.5f}")
print("no grad in split_loss", split_loss(X, Y, bnmean, bnstd).requires_grad)
print(f"std unbiased {hpreact.std(0)[0].item():.6f} biased {hpreact.std(0, unbiased=False)[0].item():.6f}")
