"""makemore part 1, the neural bigram: one-hot inputs with F.one_hot(xs, num_classes=27).float(),
logits = xenc @ W, softmax by hand, the loss -probs[torch.arange(num), ys].log().mean() plus
0.01 * (W**2).mean(), W.grad = None and W.data += -50 * W.grad."""
import numpy as np
import torch
import torch.nn.functional as F

words = ["emma", "olivia", "ava", "isabella", "sophia", "charlotte", "mia", "amelia", "harper", "evelyn",
         "abigail", "emily", "elizabeth", "mila", "ella", "avery", "sofia", "camila", "aria", "scarlett"]
chars = sorted(list(set("".join(words))))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi["."] = 0
V = len(stoi)

xs, ys = [], []
for w in words:
    chs = ["."] + list(w) + ["."]
    for ch1, ch2 in zip(chs, chs[1:]):
        xs.append(stoi[ch1])
        ys.append(stoi[ch2])
xs = torch.tensor(xs)
ys = torch.tensor(ys)
num = xs.nelement()
print("number of examples:", num, "int64", xs.dtype == torch.int64)

rng = np.random.default_rng(2147483647)
W = torch.tensor(rng.standard_normal((V, V)), dtype=torch.float32, requires_grad=True)
xenc = F.one_hot(xs, num_classes=V).float()
print("one-hot", tuple(xenc.shape), xenc.dtype == torch.float32, xenc.sum().item())
for k in range(30):
    logits = xenc @ W
    counts = logits.exp()
    probs = counts / counts.sum(1, keepdims=True)
    loss = -probs[torch.arange(num), ys].log().mean() + 0.01 * (W ** 2).mean()
    if k % 10 == 0:
        print(k, f"{loss.item():.6f}")
    W.grad = None
    loss.backward()
    W.data += -50 * W.grad
print(f"final {loss.item():.6f} grad norm {W.grad.norm().item():.6f}")
same = F.cross_entropy(xenc @ W, ys) + 0.01 * (W ** 2).mean()
by_hand = -(xenc @ W).log_softmax(1)[torch.arange(num), ys].mean() + 0.01 * (W ** 2).mean()
print(f"cross_entropy agrees {abs(same.item() - by_hand.item()) < 1e-5}")
