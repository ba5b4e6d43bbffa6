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
# # 3. Tensors, and broadcasting in backward
#
# A layer works on a whole batch at once: $Y = X W^\top + b$ with $X$ of shape (batch, in), $W$ of
# shape (out, in) and $b$ of shape (out,). NumPy *broadcasts* $b$ to every row. In backward that
# copy must be undone: the gradient of $b$ is the gradient of $Y$ summed over the rows it was
# copied to. This notebook derives each gradient's shape rule and checks it against the engine.

# %%
import os

import numpy as np

import tinygrad_edu as tg

tg.manual_seed(0)
QUICK = os.environ.get("TINYGRAD_EDU_QUICK") == "1"  # sizes here are small either way
batch, fan_in, fan_out = (3, 2, 2) if QUICK else (4, 3, 2)

# %%
X = tg.randn(batch, fan_in, dtype=tg.float64, requires_grad=True)
W = tg.randn(fan_out, fan_in, dtype=tg.float64, requires_grad=True)
b = tg.zeros(fan_out, dtype=tg.float64, requires_grad=True)
X.name, W.name, b.name = "X", "W", "b"
Y = X @ W.T + b
Y.name = "Y"
loss = (Y * Y).sum()
loss.name = "loss"
loss.backward(retain_graph=True)  # keep the graph to draw it with its gradients

# %% [markdown]
# ## The rules, by hand
#
# With $G = \partial L / \partial Y = 2Y$ (same shape as $Y$):
# - $\partial L / \partial X = G W$: (batch, out) @ (out, in) = (batch, in), the shape of $X$;
# - $\partial L / \partial W = G^\top X$: (out, batch) @ (batch, in) = (out, in), the shape of $W$;
# - $\partial L / \partial b = \sum_{\text{rows}} G$: $b$ was broadcast over the batch axis, so the
#   gradient is summed over it, back to shape (out,).
#
# A gradient always has its tensor's shape; writing down the shapes tells you where the transposes
# and sums go.

# %%
G = 2 * Y.detach().numpy()
expected = {"X": G @ W.detach().numpy(), "W": G.T @ X.detach().numpy(), "b": G.sum(axis=0)}
for name, tensor in (("X", X), ("W", W), ("b", b)):
    print(f"{name}: shape {tensor.grad.shape}, matches the rule: {np.allclose(tensor.grad.numpy(), expected[name])}")

# %%
tg.draw_graph(loss, show_grad=True)

# %% [markdown]
# The trace of the same pass. Three things to find in it:
# - step 2's upstream is $G = 2Y$, the sum of two contributions (FAN-OUT): $Y$ is both inputs of
#   the product $Y \cdot Y$;
# - the Add step's local derivative for $b$ is a Jacobian of shape (batch, out) + (out,), a 1 for
#   each row $b$ was copied to, and its contribution `-> b` has $b$'s shape (out,): $G$ summed over
#   the rows;
# - the matrix product hands $X$ the gradient $G W$ and `h1` ($W^\top$, undone by the Permute step)
#   $X^\top G$; their Jacobians are too big to print, so they show as shape, mean and norm.

# %%
print(tg.explain(loss))

# %% [markdown]
# ## Broadcasting in both directions
#
# For $c = u \cdot v$ with $u$ of shape (3, 1) and $v$ of shape (1, 4), $c$ is (3, 4): $u$ is
# copied along axis 1, $v$ along axis 0. So $\partial L / \partial u$ sums over axis 1 (keeping a
# size-1 axis) and $\partial L / \partial v$ over axis 0. The engine does this in one place
# (`unbroadcast`), for every operation.

# %%
u = tg.tensor(np.arange(3.0).reshape(3, 1), requires_grad=True)
v = tg.tensor(np.arange(4.0).reshape(1, 4) + 1, requires_grad=True)
c = u * v
c.sum().backward()
print("c shape", c.shape)
print("grad of u:", u.grad.numpy().ravel(), "each the sum of v's row:", v.numpy().sum())
print("grad of v:", v.grad.numpy().ravel(), "each the sum of u's column:", u.numpy().sum())

# %% [markdown]
# ## Reductions spread the gradient back
#
# `sum` gives every element gradient 1; `mean` over $N$ elements gives $1/N$; `max` gives 1 to the
# maximum and 0 elsewhere. A reduction with `keepdims=False` removed an axis, so its backward puts
# it back before broadcasting.

# %%
m = tg.tensor([[1.0, 5.0, 2.0], [4.0, 0.0, 3.0]], requires_grad=True)
m.mean(axis=1).sum().backward()
print("mean over axis 1:\n", m.grad.numpy())
m.grad = None
m.max(axis=1).sum().backward()
print("max over axis 1:\n", m.grad.numpy())

# %% [markdown]
# `gradcheck` confirms the whole layer against central differences, element by element:

# %%
def layer(x, w, bias):
    return ((x @ w.T + bias) ** 2).sum()


print(tg.gradcheck(layer, [tg.randn(batch, fan_in, dtype=tg.float64, requires_grad=True),
                           tg.randn(fan_out, fan_in, dtype=tg.float64, requires_grad=True),
                           tg.randn(fan_out, dtype=tg.float64, requires_grad=True)]))
