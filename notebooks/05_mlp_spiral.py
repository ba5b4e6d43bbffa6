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
# # 5. A multilayer perceptron on spiral data
#
# Neural Networks from Scratch builds `Layer_Dense`, ReLU, softmax and cross-entropy by hand and
# trains them on three interleaved spirals, which no straight line separates. Here the same network
# is `nn.Linear`, `nn.ReLU` and `nn.CrossEntropyLoss`; the exercises of notebook 4 are the same
# layers written by you, and give the same loss and gradients.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.data import datasets
from tinygrad_edu.exercises import as_function, solutions

tg.manual_seed(0)
QUICK = os.environ.get("TINYGRAD_EDU_QUICK") == "1"  # the test suite runs every notebook with small sizes
SAMPLES, STEPS = (50, 150) if QUICK else (100, 2000)

X, y = datasets.spiral(SAMPLES, 3)
fig, ax = plt.subplots(figsize=(4, 4))
ax.scatter(X.numpy()[:, 0], X.numpy()[:, 1], c=y.numpy(), cmap="brg", s=10)
ax.set(title="spiral data: 3 classes", xlabel="x1", ylabel="x2")
plt.show()

# %% [markdown]
# ## The model
#
# Two features in, 64 ReLU units, three class scores (logits) out. Cross-entropy takes logits and
# class indices and applies the softmax itself (stable, and its gradient is softmax minus one-hot).

# %%
model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 3))
loss_fn = nn.CrossEntropyLoss()
print(model)
loss = loss_fn(model(X), y)
print(f"loss before training: {loss.item():.4f} (ln 3 = {np.log(3):.4f}: a uniform guess)")

# %% [markdown]
# The graph of the loss, with the parameters named and the layers' operations clustered:

# %%
with tg.graph.trace_modules(model) as trace:
    small_loss = loss_fn(model(X[:4]), y[:4])
tg.draw_graph(small_loss, trace=trace)

# %% [markdown]
# The trace of that small loss, with the parameters named so that it can say whose gradient it ends
# with. Step 0 is cross-entropy's lesson: its local derivative is (softmax $-$ one-hot) / 4, and
# all four points are of class 0, so each row is about $(p_0 - 1, p_1, p_2) / 4$. Each Linear step
# then hands on one contribution per input, each in that input's shape: the weight's is
# (out, in) and the bias's is the upstream summed over the 4 points. The hidden layer is too big
# to print, so its arrays are summarised by shape, mean and norm.

# %%
names = {"W1": model[0].weight, "b1": model[0].bias, "W2": model[2].weight, "b2": model[2].bias}
for name, parameter in names.items():
    parameter.name = name
small_loss.name = "loss"
print(tg.explain(small_loss))

# %% [markdown]
# ## Your layers give the same numbers
#
# `as_function` turns a forward/backward pair from the exercises into an operation. The reference
# solutions stand in for yours here; with your own functions from notebook 4 the result is the same.

# %%
MyLinear = as_function(solutions.linear_forward, solutions.linear_backward)
MyCrossEntropy = as_function(solutions.softmax_cross_entropy_forward, solutions.softmax_cross_entropy_backward,
                             differentiable=1)
first, second = model[0], model[2]
hidden = MyLinear.apply(X.double(), first.weight, first.bias).relu()
my_loss = MyCrossEntropy.apply(MyLinear.apply(hidden, second.weight, second.bias), y.numpy())
engine_loss = loss_fn(model(X), y)
mine = tg.grad(my_loss, [first.weight])[0].numpy()
engine = tg.grad(engine_loss, [first.weight])[0].numpy()
print(f"loss with your layers {my_loss.item():.6f}, with nn {engine_loss.item():.6f}; "
      f"largest difference in the first weight's gradient: {np.abs(mine - engine).max():.1e}")

# %% [markdown]
# ## Training
#
# Full-batch Adam: each step computes the loss, backpropagates, and moves every parameter.

# %%
optimizer = optim.Adam(model.parameters(), lr=0.02)
history = []
for step in range(STEPS):
    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.step()
    history.append(loss.item())
accuracy = (model(X).argmax(axis=1) == y).float().mean().item()
print(f"after {STEPS} steps: loss {history[-1]:.4f}, training accuracy {accuracy:.3f}")

# %%
grid = np.linspace(-1.1, 1.1, 120 if not QUICK else 40)
gx, gy = np.meshgrid(grid, grid)
with tg.no_grad():
    regions = model(tg.tensor(np.c_[gx.ravel(), gy.ravel()])).argmax(axis=1).numpy().reshape(gx.shape)
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
left.plot(history)
left.set(title="training loss", xlabel="step", ylabel="cross-entropy", yscale="log")
right.contourf(gx, gy, regions, alpha=0.3, cmap="brg", levels=[-0.5, 0.5, 1.5, 2.5])
right.scatter(X.numpy()[:, 0], X.numpy()[:, 1], c=y.numpy(), cmap="brg", s=10)
right.set(title=f"decision regions (training accuracy {accuracy:.2f})", xlabel="x1", ylabel="x2")
plt.show()

# %% [markdown]
# Training accuracy only says the network can fit these points. Whether it has learnt the spirals,
# rather than memorised them, takes data it has not seen: notebook 8.

# %%
X_new, y_new = datasets.spiral(SAMPLES, 3)
with tg.no_grad():
    new_accuracy = (model(X_new).argmax(axis=1) == y_new).float().mean().item()
print(f"accuracy on freshly drawn spiral points: {new_accuracy:.3f}")
