"""makemore part 1, counting: a 27x27 int32 table of bigram counts filled with N[ix1, ix2] += 1,
smoothed probabilities P = (N + 1).float() normalised with keepdims, sampling with
torch.multinomial and a seeded torch.Generator, and the average negative log-likelihood."""
import torch

words = ["emma", "olivia", "ava", "isabella", "sophia", "charlotte", "mia", "amelia", "harper", "evelyn",
         "abigail", "emily", "elizabeth", "mila", "ella", "avery", "sofia", "camila", "aria", "scarlett"]
chars = sorted(list(set("".join(words))))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi["."] = 0
itos = {i: s for s, i in stoi.items()}
V = len(stoi)

N = torch.zeros((V, V), dtype=torch.int32)
for w in words:
    chs = ["."] + list(w) + ["."]
    for ch1, ch2 in zip(chs, chs[1:]):
        N[stoi[ch1], stoi[ch2]] += 1
print("vocabulary", V, "dtype int32", N.dtype == torch.int32, "bigrams", N.sum().item())
print("after '.'", {itos[i]: N[0, i].item() for i in range(V) if N[0, i] > 0})
print("most common", N.max().item(), "at", divmod(N.argmax().item(), V))

p = N[0].float()
p = p / p.sum()
print(f"p[a] {p[stoi['a']].item():.6f} sums to {p.sum().item():.6f}")
g = torch.Generator().manual_seed(2147483647)
ix = torch.multinomial(p, num_samples=1, replacement=True, generator=g).item()
print("a sampled first letter starts a word", N[0, ix].item() > 0)

P = (N + 1).float()
P /= P.sum(1, keepdims=True)
print(f"row sums {P.sum(1).min().item():.6f} {P.sum(1).max().item():.6f}")
for i in range(3):
    out, ix = [], 0
    while True:
        ix = torch.multinomial(P[ix], num_samples=1, replacement=True, generator=g).item()
        out.append(itos[ix])
        if ix == 0 or len(out) > 30:
            break
    print("sample ends with '.' or is cut", out[-1] == "." or len(out) > 30)

log_likelihood, n = 0.0, 0
for w in words:
    chs = ["."] + list(w) + ["."]
    for ch1, ch2 in zip(chs, chs[1:]):
        log_likelihood += torch.log(P[stoi[ch1], stoi[ch2]])
        n += 1
nll = -log_likelihood
print(f"log_likelihood={log_likelihood.item():.4f} nll={nll.item():.4f} average={nll.item() / n:.6f}")
