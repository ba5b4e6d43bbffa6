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
# # 8. Overfitting, weight decay and dropout
#
# A network with many more parameters than training examples can memorise them: training accuracy
# reaches 100% while accuracy on new data stalls. Deep Learning from Scratch provokes this with
# 300 training images and a six-layer network, then fights it with weight decay (penalise large
# weights: add $\frac{\lambda}{2}\sum W^2$ to the loss) and dropout (drop a random share of the
# units at every training step, so no unit can rely on another).
#
# scikit-learn's 8x8 digits are easy enough that 300 clean images barely overfit, so a quarter of
# the training labels are replaced by random ones. A network that memorises learns those wrong
# labels too (training accuracy 1.0, measured on the noisy labels) and gets worse on the clean test
# images; a regularised one cannot afford to memorise them.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import tinygrad_edu as tg
from tinygrad_edu import nn, optim

tg.manual_seed(0)
QUICK = os.environ.get("TINYGRAD_EDU_QUICK") == "1"  # the test suite runs every notebook with small sizes
EPOCHS = 10 if QUICK else 200
TRAIN, BATCH, HIDDEN, NOISY = 300, 100, 6, 0.25

digits = load_digits()
x_train, x_test, y_train, y_test = train_test_split((digits.data / 16).astype(np.float32), digits.target,
                                                    train_size=TRAIN, random_state=0)
rng = np.random.default_rng(0)
relabelled = rng.random(TRAIN) < NOISY
y_train = np.where(relabelled, rng.integers(0, 10, TRAIN), y_train)
x_train, x_test = tg.tensor(x_train), tg.tensor(x_test)
y_train, y_test = tg.tensor(y_train), tg.tensor(y_test)
print(f"{len(y_train)} training images ({relabelled.sum()} given a random label) and {len(y_test)} test images")


# %%
def network(dropout=0.0):
    """Six hidden layers of 100 ReLU units, He-initialised (notebook 7: nn.Linear's default scale,
    PyTorch's, would shrink the signal at every layer), with optional dropout."""
    layers, fan_in = [], 64
    for _ in range(HIDDEN):
        linear = nn.Linear(fan_in, 100)
        nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
        nn.init.zeros_(linear.bias)
        layers += [linear, nn.ReLU()] + ([nn.Dropout(dropout)] if dropout else [])
        fan_in = 100
    return nn.Sequential(*layers, nn.Linear(fan_in, 10))


def penalty(model):
    """The sum of the squared weights (biases are not penalised)."""
    return sum((p * p).sum() for name, p in model.named_parameters() if name.endswith("weight"))


def accuracy(model, x, y):
    model.eval()
    with tg.no_grad():
        result = (model(x).argmax(axis=1) == y).float().mean().item()
    model.train()
    return result


# %% [markdown]
# The loss with weight decay is an ordinary graph: the penalty's branch joins the cross-entropy's
# at the final addition, so every weight receives $\lambda W$ on top of its data gradient
# (`optim.SGD(..., weight_decay=λ)` adds exactly this term inside the optimizer instead).

# %%
small = nn.Sequential(nn.Linear(64, 3), nn.ReLU(), nn.Linear(3, 10))
with tg.graph.trace_modules(small) as trace:
    regularised = nn.functional.cross_entropy(small(x_train[:2]), y_train[:2]) + 0.1 / 2 * penalty(small)
tg.draw_graph(regularised, trace=trace)

# %% [markdown]
# The trace of that loss: the first Add splits it into the penalty's branch (steps 1 to 7) and the
# data's (steps 8 to 11). Look at the last lines: each weight's gradient is a sum of three
# contributions, two from its square $W \cdot W$ (each $\frac{\lambda}{2} W$) and one from the
# data, while a bias, which the penalty leaves out, has only the data's. The penalty's share is
# exactly $\lambda W$:

# %%
for name, parameter in zip(("W1", "b1", "W2", "b2"), small.parameters()):
    parameter.name = name
regularised.name = "loss"
trace = tg.explain(regularised)
print(trace)
W2_gradient = next(result for result in trace.inputs if result.operand.name == "W2")
from_penalty = sum(trace[i].contributions[j] for i, j in W2_gradient.summed_from if trace[i].op == "Mul")
print("the penalty's share of W2's gradient is λ W2:", np.allclose(from_penalty, 0.1 * small[2].weight.numpy()))

# %% [markdown]
# ## Three trainings on the same 300 images

# %%
def train(model, weight_decay=0.0):
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    history = {"train": [], "test": [], "test loss": []}
    for epoch in range(EPOCHS):
        order = tg.randperm(TRAIN).numpy()
        for start in range(0, TRAIN, BATCH):
            batch = order[start:start + BATCH]
            loss = nn.functional.cross_entropy(model(x_train[batch]), y_train[batch])
            if weight_decay:
                loss = loss + weight_decay / 2 * penalty(model)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        history["train"].append(accuracy(model, x_train, y_train))
        history["test"].append(accuracy(model, x_test, y_test))
        model.eval()
        with tg.no_grad():
            history["test loss"].append(nn.functional.cross_entropy(model(x_test), y_test).item())
        model.train()
    return history


runs = {}
for name, make, weight_decay in (("no regularisation", network, 0.0),
                                 ("weight decay λ = 0.03", network, 0.03),
                                 ("dropout 0.2", lambda: network(0.2), 0.0)):
    tg.manual_seed(0)
    runs[name] = train(make(), weight_decay)
    gap = runs[name]["train"][-1] - runs[name]["test"][-1]
    print(f"{name}: train {runs[name]['train'][-1]:.3f}, test {runs[name]['test'][-1]:.3f}, gap {gap:.3f}")

fig, axes = plt.subplots(1, 4, figsize=(17, 4))
for ax, (name, history) in zip(axes, runs.items()):
    ax.plot(history["train"], label="train (noisy labels)")
    ax.plot(history["test"], label="test")
    ax.set(title=name, xlabel="epoch", ylabel="accuracy", ylim=(0, 1.02))
    ax.legend(loc="lower right")
for name, history in runs.items():
    axes[3].plot(history["test loss"], label=name)
axes[3].set(title="test loss", xlabel="epoch", ylabel="cross-entropy on the test images")
axes[3].legend()
fig.tight_layout()
plt.show()
if QUICK:
    print(f"(quick run: {EPOCHS} epochs are too few for the training accuracy to reach 1 and the gap to open)")

# %% [markdown]
# Without regularisation the training accuracy reaches 1.0: the network has learnt the random labels
# too, and its test loss climbs after its early minimum (it grows confidently wrong). With weight
# decay or dropout the training accuracy stays near the share of correct labels (about 0.8) and the
# test accuracy ends higher: the gap between the two, the overfitting, is gone. (At this learning
# rate the weight-decay run's curves are jumpy from epoch to epoch; the dropout run's are smooth.)
