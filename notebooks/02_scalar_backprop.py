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

import numpy as np

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
# `tg.explain(out)` records the pass the engine just made, one step per operation, in the order it
# ran them: each step's upstream gradient, its local derivative (formula and value) and the product
# handed to each input. Compare it line by line with the hand-written cell: step 0 computes
# `grad_n` (the trace calls $n$ `h4`: the graph keeps no intermediate tensor, so it numbers them),
# the two Add steps pass 0.5 on unchanged, and the two Mul steps send each input the *other*
# factor times 0.5 (so $w_2$ gets $x_2 \cdot 0.5 = 0$).

# %%
trace = tg.explain(out)
print(trace)

# %% [markdown]
# `trace.code()` writes the same pass as straight-line NumPy, much like the hand-written cell;
# executing it gives the engine's gradients again.

# %%
source = trace.code()
print(source)
namespace = {}
exec(source, namespace)
for name, leaf in leaves.items():
    assert math.isclose(float(namespace["grads"][name]), leaf.grad.item(), abs_tol=1e-12)
print("the generated code's gradients equal the engine's")

# %% [markdown]
# A tensor operation stands for many operations on numbers. `tg.scalarize` runs tensor code with
# every element as a scalar `Value` (micrograd's kind of node) and backpropagates through that
# graph. The neuron on vectors $x = (x_1, x_2)$, $w = (w_1, w_2)$ gives the gradients of the hand
# computation again, one per element, and `.check()` compares them with the tensor engine's. The
# drawing is micrograd's picture of this neuron, one box per number:

# %%
def vector_neuron(x, w, bias):
    return ((x * w).sum() + bias).tanh()


x_vector = tg.tensor([x1, x2], dtype=tg.float64)
x_vector.name = "x"
w_vector = tg.tensor([w1, w2], dtype=tg.float64)
w_vector.name = "w"
bias = tg.tensor(b, dtype=tg.float64)
bias.name = "b"
scalar_view = tg.scalarize(vector_neuron, x_vector, w_vector, bias)
for name, gradient in zip(("x", "w", "b"), scalar_view.grads):
    print(f"d o/d{name}:", np.round(gradient, 6))
print(f"{len(scalar_view)} scalar operations; equal to the tensor engine's gradients: {scalar_view.check()}")
scalar_view.draw()

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
a.name, bb.name = "a", "b"
d = a * bb + a
d.name = "d"
d.backward(retain_graph=True)
print("d(a b + a)/da =", a.grad.item(), "= b + 1")
tg.draw_graph(d, show_grad=True, rankdir="LR")

# %% [markdown]
# The trace shows where the sum happens: $a$ reaches $d$ along two paths, directly through the
# Add (step 0, contribution 1) and through the product (step 1, contribution $b = -2$). The last
# lines list each input's gradient with the steps it is summed from: $-2 + 1 = -1$ for $a$. That
# sum is the multivariable chain rule.

# %%
print(tg.explain(d))
