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
# # 6. Optimizers on $f(x, y) = x^2/20 + y^2$
#
# Deep Learning from Scratch compares four update rules on this bowl: it is 20 times steeper in $y$
# than in $x$, so the gradient points mostly across the valley, not along it towards the minimum at
# (0, 0). From (-7, 2): plain SGD zigzags, Momentum gathers speed along the valley, AdaGrad and Adam
# rescale each coordinate by the size of its past gradients.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import optim
from tinygrad_edu.exercises import check_adam, check_momentum

tg.manual_seed(0)
QUICK = os.environ.get("TINYGRAD_EDU_QUICK") == "1"  # the test suite runs every notebook with small sizes
STEPS = 30
EXAMPLES = 5 if QUICK else 50


def bowl(p):
    return p[0] ** 2 / 20 + p[1] ** 2


start = tg.tensor([-7.0, 2.0], dtype=tg.float64, requires_grad=True)
start.name = "p"
value = bowl(start)
value.name = "f"
tg.draw_graph(value, show_data=True)

# %% [markdown]
# The gradient every optimizer below is fed, built by the chain rule. Each indexing step (GetItem)
# sends its gradient back into a vector of $p$'s shape, zero at the element it did not select: $(0, 4)$
# from $p_1^2$, $(-0.7, 0)$ from $p_0^2/20$. The last line adds them: $\nabla f = (-0.7, 4)$, steep
# across the valley, shallow along it. (The exponent 2 and the divisor 20 are constants: the
# formulas show them as numbers, and no gradient flows back to them.)

# %%
print(tg.explain(value))

# %% [markdown]
# ## The four optimizers of the book, with its learning rates

# %%
def descend(make_optimizer, steps=STEPS):
    """The path of p under the optimizer, from (-7, 2)."""
    p = tg.tensor([-7.0, 2.0], dtype=tg.float64, requires_grad=True)
    optimizer = make_optimizer([p])
    path = [p.detach().numpy().copy()]
    for _ in range(steps):
        optimizer.zero_grad()
        bowl(p).backward()
        optimizer.step()
        path.append(p.detach().numpy().copy())
    return np.array(path)


OPTIMIZERS = {
    "SGD (lr 0.95)": lambda params: optim.SGD(params, lr=0.95),
    "Momentum (lr 0.1, 0.9)": lambda params: optim.SGD(params, lr=0.1, momentum=0.9),
    "AdaGrad (lr 1.5)": lambda params: optim.Adagrad(params, lr=1.5),
    "Adam (lr 0.3)": lambda params: optim.Adam(params, lr=0.3),
}
paths = {name: descend(make) for name, make in OPTIMIZERS.items()}

gx, gy = np.meshgrid(np.linspace(-10, 10, 200), np.linspace(-5, 5, 100))
fig, axes = plt.subplots(2, 2, figsize=(10, 7), sharex=True, sharey=True)
for ax, (name, path) in zip(axes.flat, paths.items()):
    ax.contour(gx, gy, gx**2 / 20 + gy**2, levels=np.logspace(-1, 1.5, 8), colors="lightgray")
    ax.plot(path[:, 0], path[:, 1], "o-", color="tab:red", markersize=3)
    ax.plot(0, 0, "+", color="black", markersize=12)
    ax.set(title=f"{name}: f = {bowl(path[-1]):.2g} after {STEPS} steps", xlabel="x", ylabel="y")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Exercise: write the update rules yourself
#
# Momentum keeps a velocity, $v \leftarrow \mu v + g$, and steps along it, $p \leftarrow p - \eta v$
# (PyTorch's convention; the book's $v \leftarrow \mu v - \eta g$, $p \leftarrow p + v$ gives the
# same path). Adam keeps running means of $g$ and $g^2$ and divides the first by the square root of
# the second, after correcting both for starting at zero. The checker runs the engine's optimizer on
# the same parameter and gradients and compares after every step.

# %%
def my_momentum_step(param, grad, state, lr, momentum):
    state["v"] = momentum * state.get("v", 0.0) + grad
    return param - lr * state["v"]


def my_adam_step(param, grad, state, lr, betas, eps):
    beta1, beta2 = betas
    state["t"] = state.get("t", 0) + 1
    state["m"] = beta1 * state.get("m", 0.0) + (1 - beta1) * grad
    state["s"] = beta2 * state.get("s", 0.0) + (1 - beta2) * grad**2
    m_hat = state["m"] / (1 - beta1 ** state["t"])
    s_hat = state["s"] / (1 - beta2 ** state["t"])
    return param - lr * m_hat / (np.sqrt(s_hat) + eps)


check_momentum(my_momentum_step, examples=EXAMPLES)
check_adam(my_adam_step, examples=EXAMPLES)

# %% [markdown]
# Your momentum step retraces the engine's path on the bowl:

# %%
p, state = np.array([-7.0, 2.0]), {}
mine = [p]
for _ in range(STEPS):
    p = my_momentum_step(p, np.array([p[0] / 10, 2 * p[1]]), state, lr=0.1, momentum=0.9)
    mine.append(p)
print("largest distance from the engine's Momentum path:",
      np.abs(np.array(mine) - paths["Momentum (lr 0.1, 0.9)"]).max())
