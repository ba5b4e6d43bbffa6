"""makemore part 2, the MLP: a block_size=3 dataset, an embedding table C indexed as C[X],
emb.view(-1, 6) (equal to torch.cat(torch.unbind(emb, 1), 1)), a tanh hidden layer,
F.cross_entropy, minibatches, learning rates from 10 ** torch.linspace, and sampling."""
import numpy as np
import torch
import torch.nn.functional as F

words = ["emma", "olivia", "ava", "isabella", "sophia", "charlotte", "mia", "amelia", "harper", "evelyn",
         "abigail", "emily", "elizabeth", "mila", "ella", "avery", "sofia", "camila", "aria", "scarlett"]
chars = sorted(list(set("".join(words))))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi["."] = 0
itos = {i: s for s, i in stoi.items()}
V, block_size = len(stoi), 3


def build_dataset(words):
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + ".":
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]
    return torch.tensor(X), torch.tensor(Y)


Xtr, Ytr = build_dataset(words[:16])
Xdev, Ydev = build_dataset(words[16:])
print("train", tuple(Xtr.shape), tuple(Ytr.shape), "dev", tuple(Xdev.shape))

rng = np.random.default_rng(2147483647)
C = torch.tensor(rng.standard_normal((V, 2)), dtype=torch.float32)
W1 = torch.tensor(rng.standard_normal((6, 50)) * 0.3, dtype=torch.float32)
b1 = torch.tensor(rng.standard_normal(50) * 0.1, dtype=torch.float32)
W2 = torch.tensor(rng.standard_normal((50, V)) * 0.1, dtype=torch.float32)
b2 = torch.zeros(V)
parameters = [C, W1, b1, W2, b2]
print("parameters", sum(p.nelement() for p in parameters))
for p in parameters:
    p.requires_grad = True

emb = C[Xtr]
print("emb", tuple(emb.shape), "view equals cat of unbind",
      torch.equal(emb.view(-1, 6), torch.cat(torch.unbind(emb, 1), 1)))
lre = torch.linspace(-3, 0, 1000)
lrs = 10 ** lre
lossi = []
for i in range(40):
    ix = torch.tensor(rng.integers(0, Xtr.shape[0], 32))
    emb = C[Xtr[ix]]
    h = torch.tanh(emb.view(-1, 6) @ W1 + b1)
    logits = h @ W2 + b2
    loss = F.cross_entropy(logits, Ytr[ix])
    for p in parameters:
        p.grad = None
    loss.backward()
    lr = lrs[900].item() if i < 30 else 0.1
    for p in parameters:
        p.data += -lr * p.grad
    lossi.append(loss.log10().item())
print(f"lr {lrs[900].item():.6f} last log10 losses {[round(v, 5) for v in lossi[-3:]]}")
for name, X, Y in (("train", Xtr, Ytr), ("dev", Xdev, Ydev)):
    h = torch.tanh(C[X].view(-1, 6) @ W1 + b1)
    print(name, f"{F.cross_entropy(h @ W2 + b2, Y).item():.6f}")

g = torch.Generator().manual_seed(2147483647 + 10)
context = [0] * block_size
emb = C[torch.tensor([context])]
probs = F.softmax(torch.tanh(emb.view(1, -1) @ W1 + b1) @ W2 + b2, dim=1)
ix = torch.multinomial(probs, num_samples=1, generator=g).item()
print(f"first-letter probabilities sum {probs.sum().item():.6f}, sample in range {0 <= ix < V},",
      f"shape {tuple(probs.shape)}")
