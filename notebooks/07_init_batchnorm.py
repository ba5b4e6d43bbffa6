# ---
# jupyter:
#   jupytext:
#     formats: py:percent,ipynb
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 7. Initialisation and BatchNorm
#
# Before any training, the initial weights decide whether a signal survives a deep network. Deep
# Learning from Scratch pushes random data through five layers of 100 units and looks at each
# layer's activations: with weights of standard deviation 1 the sigmoid saturates at 0 and 1 (where
# its gradient vanishes); with 0.01 every unit outputs nearly the same value (the units are
# redundant). Xavier's scale $1/\sqrt{n}$ keeps the spread for sigmoid and tanh, He's
# $\sqrt{2/n}$ for ReLU. BatchNorm makes the network much less sensitive to this choice.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.data import DataLoader, TensorDataset

tg.manual_seed(0)
QUICK = os.environ.get("TINYGRAD_EDU_QUICK") == "1"  # the test suite runs every notebook with small sizes
SAMPLES, EPOCHS, LAYERS = (200, 2, 3) if QUICK else (1000, 30, 5)
UNITS = 100

# %% [markdown]
# ## Activations layer by layer

# %%
def activations(init, activation):
    """The outputs of each of LAYERS linear + activation layers for SAMPLES random inputs."""
    x = tg.randn(SAMPLES, UNITS)
    outputs = []
    with tg.no_grad():
        for _ in range(LAYERS):
            layer = nn.Linear(UNITS, UNITS, bias=False)
            init(layer.weight)
            x = activation(layer(x))
            outputs.append(x.numpy().ravel())
    return outputs


SETTINGS = {
    "sigmoid, std 1": (lambda w: nn.init.normal_(w, std=1.0), tg.sigmoid),
    "sigmoid, std 0.01": (lambda w: nn.init.normal_(w, std=0.01), tg.sigmoid),
    "sigmoid, Xavier": (nn.init.xavier_normal_, tg.sigmoid),
    "ReLU, He": (lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"), tg.relu),
}
fig, axes = plt.subplots(len(SETTINGS), LAYERS, figsize=(2.6 * LAYERS, 9), sharey="row")
for row, (name, (init, activation)) in zip(axes, SETTINGS.items()):
    for layer, (ax, values) in enumerate(zip(row, activations(init, activation)), start=1):
        ax.hist(values, bins=30, range=(0, 1) if "sigmoid" in name else (0, values.max() + 1e-9))
        ax.set_title(f"{name}\nlayer {layer}", fontsize=10)
        ax.tick_params(labelsize=8)
    row[0].set_ylabel("count")
fig.supxlabel("activation value")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## BatchNorm
#
# `nn.BatchNorm1d` standardises each unit over the batch (mean 0, variance 1), then scales and
# shifts it by two learnt parameters; it keeps running averages of the statistics for evaluation
# (`model.eval()`). Its graph: mean, variance, normalisation, scale and shift, all ordinary
# operations, so backward needs nothing special.

# %%
block = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
with tg.graph.trace_modules(block) as trace:
    block_out = block(tg.randn(4, 3)).sum()
tg.draw_graph(block_out, trace=trace)

# %% [markdown]
# The trace of that sum is long (BatchNorm is a dozen small ops) but has a lesson at each end. The
# shift `beta` gets gradient 4 per unit (one per row of the batch), and everything else about 0:
# each unit's standardised outputs sum to zero whatever the input, so the sum cannot depend on the
# scale `gamma`, nor on the Linear layer. Watch how the zero comes about: the Linear's output is
# used four times (a mean and a difference from it, once to normalise and once inside the
# variance), so the last step's upstream is a FAN-OUT sum of four contributions, and they cancel
# up to float32 rounding ($10^{-6}$ or less).

# %%
for name, parameter in zip(("W", "b", "gamma", "beta"), block.parameters()):
    parameter.name = name
block_out.name = "total"
print(tg.explain(block_out))

# %% [markdown]
# Train a deep network (five hidden layers of 100 units) on scikit-learn's handwritten digits, with
# and without BatchNorm, starting from weights that are too small (std 0.01). Without it the signal
# has all but vanished at the output and SGD barely moves; with it every layer sees standardised
# inputs.

# %%
digits = load_digits()
x_train, x_test, y_train, y_test = train_test_split((digits.data / 16).astype(np.float32), digits.target,
                                                    test_size=0.3, random_state=0)
if QUICK:
    x_train, y_train = x_train[:300], y_train[:300]


def deep_network(batch_norm):
    layers, fan_in = [], 64
    for _ in range(LAYERS):
        linear = nn.Linear(fan_in, UNITS)
        nn.init.normal_(linear.weight, std=0.01)
        layers += [linear, nn.BatchNorm1d(UNITS), nn.ReLU()] if batch_norm else [linear, nn.ReLU()]
        fan_in = UNITS
    return nn.Sequential(*layers, nn.Linear(fan_in, 10))


def test_accuracy(model):
    model.eval()
    with tg.no_grad():
        result = (model(tg.tensor(x_test)).argmax(axis=1).numpy() == y_test).mean()
    model.train()
    return result


curves = {}
for batch_norm in (False, True):
    tg.manual_seed(0)
    model = deep_network(batch_norm)
    optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loader = DataLoader(TensorDataset(tg.tensor(x_train), tg.tensor(y_train)), batch_size=64, shuffle=True)
    curve = []
    for epoch in range(EPOCHS):
        for xb, yb in loader:
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(xb), yb).backward()
            optimizer.step()
        curve.append(test_accuracy(model))
    curves["with BatchNorm" if batch_norm else "without BatchNorm"] = curve

fig, ax = plt.subplots(figsize=(6, 4))
for name, curve in curves.items():
    ax.plot(range(1, EPOCHS + 1), curve, marker=".", label=f"{name} (final {curve[-1]:.3f})")
ax.set(xlabel="epoch", ylabel="test accuracy", title=f"{LAYERS} hidden layers, weights of std 0.01", ylim=(0, 1))
ax.legend()
plt.show()
