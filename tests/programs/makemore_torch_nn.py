"""makemore parts 3 and 5, the torch.nn version: nn.Embedding, nn.Flatten, nn.Linear(bias=False),
nn.BatchNorm1d and nn.Tanh in nn.Sequential, model.eval() for sampling-time statistics,
torch.optim.SGD, and the running statistics the layer keeps."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

rng = np.random.default_rng(5)
vocab_size, block_size, n_embd, n_hidden = 27, 3, 6, 20
model = nn.Sequential(
    nn.Embedding(vocab_size, n_embd), nn.Flatten(),
    nn.Linear(n_embd * block_size, n_hidden, bias=False), nn.BatchNorm1d(n_hidden), nn.Tanh(),
    nn.Linear(n_hidden, vocab_size))
with torch.no_grad():
    for name, p in model.named_parameters():
        if not name.startswith("3."):
            p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape)) * 0.3, dtype=torch.float32))
    model[-1].weight *= 0.1
print("parameters", sum(p.nelement() for p in model.parameters()), [n for n, _ in model.named_buffers()])
X = torch.tensor(rng.integers(0, vocab_size, (80, block_size)))
Y = torch.tensor((X.numpy()[:, 0] + 2 * X.numpy()[:, 1]) % vocab_size)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for i in range(15):
    ix = torch.tensor(rng.integers(0, X.shape[0], 32))
    loss = F.cross_entropy(model(X[ix]), Y[ix])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if i % 5 == 0:
        print(f"{i:3d} {loss.item():.6f}")
bn = model[3]
print("running mean", [round(v, 5) for v in bn.running_mean[:4].tolist()], "batches", bn.num_batches_tracked.item())
print("running var", [round(v, 5) for v in bn.running_var[:4].tolist()])
model.eval()
with torch.no_grad():
    print(f"eval loss {F.cross_entropy(model(X), Y).item():.6f}")
    probs = F.softmax(model(torch.tensor([[0] * block_size])), dim=1)
print(f"probabilities sum {probs.sum().item():.6f} top {probs.max().item():.6f}")
