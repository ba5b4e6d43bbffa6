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
# # 2. Backpropagation on scalars: by hand, then with the engine
#
# A neuron with two inputs (micrograd's example): $n = x_1 w_1 + x_2 w_2 + b$, $o = \tanh(n)$.
# Backpropagation computes $\partial o / \partial$ every input by walking the expression from the
# output back, multiplying each step's *local* derivative into the *upstream* gradient.

# %%
import math
import os

import tinygrad_edu as tg

tg.manual_seed(0)
QUICK = os.environ.get("TINYGRAD_EDU_QUICK") == "1"  # nothing here is large: quick mode changes nothing

x1, x2, w1, w2, b = 2.0, 0.0, -3.0, 1.0, 6.8813735870195432

# %% [markdown]
# ## By hand
#
# Forward, keeping every intermediate value:

# %%
x1w1 = x1 * w1
x2w2 = x2 * w2
n = x1w1 + x2w2 + b
o = math.tanh(n)
print(f"x1*w1 = {x1w1}, x2*w2 = {x2w2}, n = {n:.6f}, o = {o:.6f}")

# %% [markdown]
# Backward, from $o$ to the leaves. $\frac{d}{dn}\tanh n = 1 - \tanh^2 n = 1 - o^2$; a sum passes
# its upstream gradient unchanged to each term; a product $a b$ sends $b \cdot$upstream to $a$ and
# $a \cdot$upstream to $b$.

# %%
grad_o = 1.0
grad_n = grad_o * (1 - o**2)
grad_x1w1 = grad_x2w2 = grad_b = grad_n
grad_x1, grad_w1 = w1 * grad_x1w1, x1 * grad_x1w1
grad_x2, grad_w2 = w2 * grad_x2w2, x2 * grad_x2w2
by_hand = {"x1": grad_x1, "w1": grad_w1, "x2": grad_x2, "w2": grad_w2, "b": grad_b}
print({name: round(value, 6) for name, value in by_hand.items()})

# %% [markdown]
# ## With the engine
#
# The same expression on 0-d tensors. `backward()` does what the cell above did, in the same order.

# %%
leaves = {name: tg.tensor(value, dtype=tg.float64, requires_grad=True)
          for name, value in {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b}.items()}
for name, leaf in leaves.items():
    leaf.name = name
neuron = leaves["x1"] * leaves["w1"] + leaves["x2"] * leaves["w2"] + leaves["b"]
neuron.name = "n"
out = neuron.tanh()
out.name = "o"
out.backward(retain_graph=True)  # keep the graph to draw it with its gradients
for name, leaf in leaves.items():
    print(f"d o / d {name}: engine {leaf.grad.item(): .6f}, by hand {by_hand[name]: .6f}")
    assert math.isclose(leaf.grad.item(), by_hand[name], abs_tol=1e-12)

# %% [markdown]
# The graph, with values and gradients on each tensor:

# %%
tg.draw_graph(out, tensors=[neuron], show_data=True, show_grad=True, rankdir="LR")

# %% [markdown]
# <!-- trace cell: tg.explain(out) of the neuron o = tanh(x1 w1 + x2 w2 + b) -->

# %% [markdown]
# ## Same function, different graph
#
# Writing $\tanh n = \frac{e^{2n} - 1}{e^{2n} + 1}$ builds a longer graph, but the chain rule gives
# the same gradients: backprop only needs each operation's local derivative.

# %%
leaves2 = {name: tg.tensor(t.item(), dtype=tg.float64, requires_grad=True) for name, t in leaves.items()}
n2 = leaves2["x1"] * leaves2["w1"] + leaves2["x2"] * leaves2["w2"] + leaves2["b"]
e = (2 * n2).exp()
out2 = (e - 1) / (e + 1)
out2.backward()
print({name: round(t.grad.item(), 6) for name, t in leaves2.items()})
tg.draw_graph(out2, rankdir="LR")

# %% [markdown]
# ## A value used twice: gradients add up
#
# In $c = a + a$ the tensor $a$ feeds two inputs of one operation; in $d = a \cdot b + a$ it feeds
# two operations. Either way $\partial / \partial a$ is the *sum* of what arrives along every path
# (the multivariable chain rule). An engine that overwrote instead of adding would report 1, not 2.

# %%
a = tg.tensor(3.0, dtype=tg.float64, requires_grad=True)
(a + a).backward()
print("d(a + a)/da =", a.grad.item())
a = tg.tensor(3.0, dtype=tg.float64, requires_grad=True)
bb = tg.tensor(-2.0, dtype=tg.float64, requires_grad=True)
d = a * bb + a
d.backward(retain_graph=True)
print("d(a b + a)/da =", a.grad.item(), "= b + 1")
tg.draw_graph(d, show_grad=True, rankdir="LR")

# %% [markdown]
# <!-- trace cell: tg.explain(d) of d = a b + a, where a's gradient is a sum over two paths -->
