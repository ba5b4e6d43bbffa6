"""d2l 5.6, dropout from scratch: dropout_layer with a (torch.rand(X.shape) > dropout).float() mask,
its edge cases on torch.arange(16).reshape((2, 8)), a Net with an is_training switch, and
nn.Dropout inside nn.Sequential (identity in eval mode)."""
import numpy as np
import torch
from torch import nn


def dropout_layer(X, dropout):
    assert 0 <= dropout <= 1
    if dropout == 1:
        return torch.zeros_like(X)
    mask = (torch.rand(X.shape) > dropout).float()
    return mask * X / (1.0 - dropout)


torch.manual_seed(0)
X = torch.arange(16, dtype=torch.float32).reshape((2, 8))
print("p=0", dropout_layer(X, 0.0).tolist())
print("p=1", dropout_layer(X, 1.0).tolist())
half = dropout_layer(X, 0.5)
print("p=0.5 keeps scaled values only", bool(((half == 0) | (half == 2 * X)).all()))
big = dropout_layer(torch.ones(100000), 0.3)
print(f"kept fraction {(big > 0).float().mean().item():.2f} mean {big.mean().item():.1f}")


class Net(nn.Module):
    def __init__(self, num_inputs, num_outputs, num_hiddens, is_training=True):
        super().__init__()
        self.num_inputs = num_inputs
        self.training_flag = is_training
        self.lin1 = nn.Linear(num_inputs, num_hiddens)
        self.lin2 = nn.Linear(num_hiddens, num_outputs)
        self.relu = nn.ReLU()

    def forward(self, X):
        H1 = self.relu(self.lin1(X.reshape((-1, self.num_inputs))))
        if self.training_flag:
            H1 = dropout_layer(H1, 0.2)
        return self.lin2(H1)


net = Net(8, 2, 6, is_training=False)
with torch.no_grad():
    for p in net.parameters():
        p.copy_(torch.linspace(-0.4, 0.4, p.numel()).reshape(tuple(p.shape)))
print("no dropout", [round(v, 6) for v in net(X).flatten().tolist()])
seq = nn.Sequential(nn.Flatten(), nn.Linear(8, 6), nn.ReLU(), nn.Dropout(0.5), nn.Linear(6, 2))
seq.load_state_dict({"1.weight": net.lin1.weight, "1.bias": net.lin1.bias, "4.weight": net.lin2.weight,
                     "4.bias": net.lin2.bias})
seq.eval()
print("eval Sequential equals", torch.allclose(seq(X), net(X)), "training", seq.training, seq[3].training)
seq.train()
print("train mode output shape", tuple(seq(X).shape), "p", seq[3].p)
