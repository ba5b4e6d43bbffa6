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
# # 1. Derivatives and numerical differentiation
#
# A derivative says how much a function's output moves when its input moves a little:
# $f'(x) = \lim_{h \to 0} \frac{f(x + h) - f(x)}{h}$. A computer cannot take the limit, but it can
# take a small $h$. This notebook measures how small is small enough, and then lets the engine
# compute the same derivative exactly, by the chain rule. Everything later in the course (backprop,
# `gradcheck`, the exercise checkers) rests on the two ideas here.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

import tinygrad_edu as tg

tg.manual_seed(0)
QUICK = os.environ.get("TINYGRAD_EDU_QUICK") == "1"  # the test suite runs every notebook with small sizes

# %% [markdown]
# ## Two difference quotients
#
# The forward difference $\frac{f(x+h) - f(x)}{h}$ is off by about $\frac{h}{2} f''(x)$ (Taylor's
# theorem), the central difference $\frac{f(x+h) - f(x-h)}{2h}$ by about $\frac{h^2}{6} f'''(x)$:
# the even terms cancel. Try both on $f = \sin$ at $x = 1$, whose derivative we know: $\cos 1$.


# %%
def forward_difference(f, x, h):
    return (f(x + h) - f(x)) / h


def central_difference(f, x, h):
    return (f(x + h) - f(x - h)) / (2 * h)


x0 = 1.0
for h in (1e-1, 1e-3, 1e-5):
    print(f"h = {h:g}: forward error {abs(forward_difference(np.sin, x0, h) - np.cos(x0)):.2e}, "
          f"central error {abs(central_difference(np.sin, x0, h) - np.cos(x0)):.2e}")

# %% [markdown]
# Smaller $h$ is not always better: $f(x+h)$ and $f(x)$ are stored with a relative rounding error of
# about $10^{-16}$, and dividing their difference by $h$ magnifies it by $1/h$. The total error is
# truncation plus rounding, so on a log-log plot each method draws a V: the forward difference is
# best near $h \approx 10^{-8}$, the central one near $h \approx 10^{-5}$ (this is why `gradcheck`
# uses central differences with `eps=1e-6`, in float64).
#
# A function whose third derivative is zero, such as $2x^2$, has no truncation error under central
# differences, only the rounding arm of the V: pick test functions with curvature of every order.

# %%
steps = np.logspace(-15, -1, 15 if QUICK else 57)
fig, ax = plt.subplots(figsize=(6, 4))
for name, method in (("forward", forward_difference), ("central", central_difference)):
    errors = [abs(method(np.sin, x0, h) - np.cos(x0)) for h in steps]
    ax.loglog(steps, np.maximum(errors, 1e-17), marker=".", label=name)
ax.set(xlabel="step h", ylabel="|error| of the derivative of sin at 1",
       title="truncation (right) against rounding (left)")
ax.legend()
plt.show()

# %% [markdown]
# ## Tangent lines
#
# Neural Networks from Scratch (chapter 7) draws tangents of $f(x) = 2x^2$ from numerical
# derivatives: at each point the line $y = f'(x_0)(x - x_0) + f(x_0)$ touches the curve.

# %%
def parabola(x):
    return 2 * x**2


xs = np.linspace(0, 5, 200)
fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(xs, parabola(xs), color="black", label="f(x) = 2x²")
for point in (1, 2, 3, 4):
    slope = central_difference(parabola, point, 1e-5)
    near = np.linspace(point - 0.9, point + 0.9, 10)
    ax.plot(near, slope * (near - point) + parabola(point), label=f"slope {slope:.3f} at x = {point}")
ax.set(xlabel="x", ylabel="y")
ax.legend()
plt.show()

# %% [markdown]
# ## The engine's derivative: exact, from the chain rule
#
# A `Tensor` with `requires_grad=True` records every operation applied to it. `backward()` walks
# that record in reverse and multiplies local derivatives (the chain rule). For
# $y = 2x^2 + 3x$ at $x = 1$: $y' = 4x + 3 = 7$, with no step size and no rounding trade-off.

# %%
x = tg.tensor(1.0, dtype=tg.float64, requires_grad=True)
x.name = "x"
y = 2 * x**2 + 3 * x
y.name = "y"
y.backward(retain_graph=True)  # keep the graph: it is drawn (with every gradient) below
print("engine:", x.grad.item(), " formula 4x + 3:", 4 * 1.0 + 3,
      " central difference:", central_difference(lambda v: 2 * v**2 + 3 * v, 1.0, 1e-6))

# %% [markdown]
# The graph the engine recorded: tensors (boxes) and the operations between them. With
# `show_grad=True` each tensor shows $\partial y / \partial \text{tensor}$.

# %%
tg.draw_graph(y, show_data=True, show_grad=True)

# %% [markdown]
# `tg.explain(y)` replays that backward pass step by step. Read the last line first: $x$ is used
# twice (in $2x^2$ and in $3x$), so its gradient is the sum of two contributions, 3 from step 1
# and $2 \cdot 2x = 4$ from steps 2 and 3: $3 + 4 = 7$. The constants 2 and 3 are not tensors of the
# graph (nothing flows back to them), so the formulas show them as numbers: d(3 * x)/dx = 3.

# %%
trace = tg.explain(y)
print(trace)

# %% [markdown]
# ## Several inputs: partial derivatives and the gradient
#
# For $f(x, y) = x^2/20 + y^2$ (the bowl the optimizers notebook descends) the gradient is the
# vector of partial derivatives, $(x/10, 2y)$. Numerically: move one input at a time.
# `tg.gradcheck` does exactly this for every element of every input and compares with backward.

# %%
def bowl(p):
    return p[0] ** 2 / 20 + p[1] ** 2


p = tg.tensor([-7.0, 2.0], dtype=tg.float64, requires_grad=True)
bowl(p).backward()
numerical = [central_difference(lambda v: bowl(np.array([v, 2.0])), -7.0, 1e-6),
             central_difference(lambda v: bowl(np.array([-7.0, v])), 2.0, 1e-6)]
print("engine:", p.grad.numpy(), " numerical:", np.round(numerical, 8), " formula:", [-7.0 / 10, 2 * 2.0])
print("gradcheck:", tg.gradcheck(bowl, [tg.tensor([-7.0, 2.0], dtype=tg.float64, requires_grad=True)]))
