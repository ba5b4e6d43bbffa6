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
# # 10. Hyperparameter search
#
# The learning rate and the weight decay are not learnt by backprop: they are chosen by trying.
# Three rules from Deep Learning from Scratch: judge each try on a **validation** split (the test
# set is looked at once, at the very end, or it stops measuring generalisation); sample on a **log
# scale** (a learning rate of 0.001 and 0.01 differ as much as 0.01 and 0.1); and sample
# **randomly** rather than on a grid (with the same budget, random points try more distinct values
# of the hyperparameter that matters most). Then the same search with scikit-learn's
# `RandomizedSearchCV` on this engine's `MLPClassifier`.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import loguniform
from sklearn.datasets import load_digits
from sklearn.model_selection import RandomizedSearchCV, train_test_split

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.sklearn import MLPClassifier

tg.manual_seed(0)
QUICK = os.environ.get("TINYGRAD_EDU_QUICK") == "1"  # the test suite runs every notebook with small sizes
TRIALS, EPOCHS = (4, 3) if QUICK else (40, 30)

digits = load_digits()
x_rest, x_test, y_rest, y_test = train_test_split((digits.data / 16).astype(np.float32), digits.target,
                                                  test_size=0.25, random_state=0)
x_train, x_val, y_train, y_val = train_test_split(x_rest, y_rest, test_size=0.2, random_state=0)
print(f"train {len(x_train)}, validation {len(x_val)}, test {len(x_test)} (the test set waits until the end)")


# %% [markdown]
# ## Random search by hand

# %%
def two_layer_network():
    first = nn.Linear(64, 100)
    nn.init.kaiming_normal_(first.weight, nonlinearity="relu")
    return nn.Sequential(first, nn.ReLU(), nn.Linear(100, 10))


def validation_accuracy(lr, weight_decay, seed=0):
    """Train with mini-batch SGD for EPOCHS epochs and return the accuracy on the validation split."""
    tg.manual_seed(seed)
    model = two_layer_network()
    optimizer = optim.SGD(model.parameters(), lr=lr, weight_decay=weight_decay)
    x, y = tg.tensor(x_train), tg.tensor(y_train)
    for _ in range(EPOCHS):
        order = tg.randperm(len(y)).numpy()
        for start in range(0, len(y), 50):
            batch = order[start:start + 50]
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(x[batch]), y[batch]).backward()
            optimizer.step()
    with tg.no_grad():
        return (model(tg.tensor(x_val)).argmax(axis=1).numpy() == y_val).mean()


rng = np.random.default_rng(0)
trials = []
for _ in range(TRIALS):
    lr, weight_decay = 10 ** rng.uniform(-4, 0), 10 ** rng.uniform(-8, -2)
    trials.append((lr, weight_decay, validation_accuracy(lr, weight_decay)))
best_lr, best_decay, best = max(trials, key=lambda t: t[2])
print(f"best of {TRIALS}: lr {best_lr:.3g}, weight decay {best_decay:.2g}, validation accuracy {best:.3f}")

# %%
lrs, decays, accuracies = map(np.array, zip(*trials))
fig, ax = plt.subplots(figsize=(6, 4.5))
points = ax.scatter(lrs, decays, c=accuracies, cmap="viridis", vmin=0, vmax=1, s=40)
ax.scatter([best_lr], [best_decay], s=200, facecolors="none", edgecolors="red", label="best")
ax.set(xscale="log", yscale="log", xlabel="learning rate", ylabel="weight decay",
       title=f"{TRIALS} random trials, {EPOCHS} epochs each")
fig.colorbar(points, label="validation accuracy")
ax.legend()
plt.show()

# %% [markdown]
# The picture is typical: the learning rate decides almost everything (too small and nothing is
# learnt in the budget), the weight decay hardly matters in this range. A second, narrower search
# around the best region would follow.
#
# The graph of one training step's loss, for the network the search tunes:

# %%
model = two_layer_network()
with tg.graph.trace_modules(model) as trace:
    step_loss = nn.functional.cross_entropy(model(tg.tensor(x_train[:3])), tg.tensor(y_train[:3]))
tg.draw_graph(step_loss, trace=trace)

# %% [markdown]
# Its trace is the chain rule of notebook 5 again: cross-entropy's softmax minus one-hot, then each
# Linear step hands its weight and bias a gradient of their own shape. What the search tunes acts
# on exactly these arrays: an SGD step moves each weight by lr $\times$ its gradient, and weight
# decay adds $\lambda W$ to the gradient. Compare the sizes printed below: $W_1$'s norm is about
# 14 (He's initialisation) and its gradient's below 1, so with lr $= 10^{-4}$ a step changes $W_1$
# by less than a hundred-thousandth of its size and a few epochs learn nothing; even the largest
# decay tried, $\lambda = 10^{-2}$, adds a term of norm only $\lambda |W_1| \approx 0.14$.

# %%
for name, parameter in zip(("W1", "b1", "W2", "b2"), model.parameters()):
    parameter.name = name
step_loss.name = "loss"
trace = tg.explain(step_loss)
print(trace)
for result in trace.inputs:
    print(f"{result.operand.name}: |gradient| {np.linalg.norm(result.grad):.3g}, "
          f"|weights| {np.linalg.norm(result.tensor.numpy()):.3g}")

# %% [markdown]
# ## The same search with scikit-learn
#
# `tinygrad_edu.sklearn.MLPClassifier` is a scikit-learn estimator, so `RandomizedSearchCV` can
# search it, with cross-validation on the training data standing in for the validation split.

# %%
search = RandomizedSearchCV(
    MLPClassifier(hidden_layer_sizes=(100,), epochs=EPOCHS, random_state=0),
    {"learning_rate": loguniform(1e-4, 1e-1), "alpha": loguniform(1e-8, 1e-2)},
    n_iter=2 if QUICK else 12, cv=2 if QUICK else 3, random_state=0,
)
search.fit(x_rest, y_rest)
print("best parameters:", {k: float(f"{v:.3g}") for k, v in search.best_params_.items()},
      f"cross-validated accuracy {search.best_score_:.3f}")
print(f"test accuracy of the chosen model, looked at once: {search.score(x_test, y_test):.3f}")
