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
# # 4. Writing a Function, and proving it right
#
# Every operation of the engine is a `Function`: a `forward` that computes the output and saves what
# the derivative needs, and a `backward` that turns the upstream gradient into one gradient per
# input. You write your own the same way (as with `torch.autograd.Function`). A backward is easy to
# get subtly wrong, so we prove it three ways: `gradcheck` (central differences), hypothesis (many
# drawn inputs, shrunk to a small failing one), and the exercise checkers (which also compare with
# the engine and name the wrong element).

# %%
import os

import numpy as np
from hypothesis import given, settings

import tinygrad_edu as tg
from tinygrad_edu import testing
from tinygrad_edu.exercises import ExerciseFailed, as_function, check_linear, check_sigmoid, check_softmax_cross_entropy

tg.manual_seed(0)
QUICK = os.environ.get("TINYGRAD_EDU_QUICK") == "1"  # the test suite runs every notebook with small sizes
EXAMPLES = 5 if QUICK else 50  # hypothesis examples per property


# %% [markdown]
# ## A Function: the sigmoid
#
# $\sigma(x) = 1 / (1 + e^{-x})$ and $\sigma'(x) = \sigma(x)(1 - \sigma(x))$: backward needs only
# the output, so forward saves it.

# %%
class Sigmoid(tg.Function):
    @staticmethod
    def forward(ctx, x):
        out = 1 / (1 + (-x).exp())
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved_tensors
        return grad_out * out * (1 - out)


x = tg.tensor([-2.0, 0.0, 3.0], dtype=tg.float64, requires_grad=True)
y = Sigmoid.apply(x)
y.sum().backward()
print("sigmoid:", y.numpy(), " gradient:", x.grad.numpy())

# %% [markdown]
# ## gradcheck
#
# `tg.gradcheck(fn, inputs)` builds the full Jacobian twice, from backward and from central
# differences of forward, and compares every entry (in float64, where central differences are
# accurate to about $10^{-10}$). It returns True, or raises with a table of the worst entries.

# %%
print(tg.gradcheck(Sigmoid.apply, [tg.randn(2, 3, dtype=tg.float64, requires_grad=True)]))


# %% [markdown]
# A backward that forgets the factor $(1 - \sigma)$ is caught, element by element:

# %%
class SigmoidWithABug(Sigmoid):
    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved_tensors
        return grad_out * out


try:
    tg.gradcheck(SigmoidWithABug.apply, [tg.randn(2, 2, dtype=tg.float64, requires_grad=True)])
except tg.GradcheckError as err:
    print(err)


# %% [markdown]
# ## Hypothesis: many inputs, drawn for you
#
# One input proves little. `tinygrad_edu.testing` has hypothesis strategies for tensors of drawn
# shapes and values; `assert_grads_close` runs gradcheck (and, with `second_order=True`, the check
# of second derivatives, which works because backward is written with tensor operations).

# %%
@settings(max_examples=EXAMPLES, deadline=None, database=None)
@given(testing.tensors(low=-5.0, high=5.0))
def sigmoid_gradients_are_right(x):
    testing.assert_grads_close(Sigmoid.apply, [x], second_order=True)


sigmoid_gradients_are_right()
print(f"gradcheck and gradgradcheck passed on {EXAMPLES} drawn tensors")

# %% [markdown]
# ## Exercise 1: the sigmoid on NumPy arrays
#
# The exercises ask for a forward and a backward on plain NumPy arrays: `forward(inputs) -> (out,
# cache)` and `backward(grad_out, cache) -> gradients`. The checker draws inputs with hypothesis,
# compares your forward with the engine's, your gradients with the engine's, and runs gradcheck on
# your pair. Write your own in the cell below (this one is one possible answer; the reference
# solutions are in `tinygrad_edu.exercises.solutions`).

# %%
def my_sigmoid_forward(x):
    out = 1 / (1 + np.exp(-x))
    return out, out


def my_sigmoid_backward(grad_out, out):
    return grad_out * out * (1 - out)


check_sigmoid(my_sigmoid_forward, my_sigmoid_backward, examples=EXAMPLES)


# %% [markdown]
# A wrong backward fails with the element, the expected and the received value, and the small input
# hypothesis shrank the failure to:

# %%
def wrong_sigmoid_backward(grad_out, out):
    return grad_out * out


try:
    check_sigmoid(my_sigmoid_forward, wrong_sigmoid_backward, examples=EXAMPLES)
except ExerciseFailed as failure:
    print(failure)

# %% [markdown]
# Your pair is an operation like any other: `as_function` makes it a `Function`, so it can sit in a
# bigger expression, be differentiated through and drawn.

# %%
MySigmoid = as_function(my_sigmoid_forward, my_sigmoid_backward)
w = tg.tensor([[0.5, -1.0], [2.0, 0.1]], dtype=tg.float64, requires_grad=True)
w.name = "w"
inputs = tg.tensor([1.0, 2.0], dtype=tg.float64)
inputs.name = "inputs"
score = MySigmoid.apply(w @ inputs).sum()
score.name = "score"
score.backward(retain_graph=True)  # keep the graph to draw it with its gradients
print("gradient of w through your sigmoid:\n", w.grad.numpy())
tg.draw_graph(score, show_grad=True)

# %% [markdown]
# Your Function is one step of the trace like any built-in op. The formula column is the class's
# `formula` attribute (every engine op declares one beside its backward; without it the trace says
# none is declared); the value beside it is measured by running *your* backward on unit gradients,
# so it shows $\sigma(z)(1 - \sigma(z))$ at each element only if your backward is right. The
# MatMul's formula names `inputs`, which needs no gradient: it is data, not an edge the gradient
# flows along. The trace runs the same steps as `backward()`, so the gradient it ends with must be
# the engine's:

# %%
MySigmoid.formula = "d sigmoid(x)/dx = sigmoid(x) * (1 - sigmoid(x))"
trace = tg.explain(score)
print(trace)
(w_gradient,) = trace.grads
print("the trace's gradient of w equals the engine's:", np.allclose(w_gradient, w.grad.numpy()))

# %% [markdown]
# ## Exercise 2: softmax cross-entropy
#
# For logits $z$ (N, C) and labels $y$: $L = -\frac{1}{N}\sum_i \log \mathrm{softmax}(z_i)_{y_i}$.
# Its gradient is remarkably simple: $\partial L / \partial z = (\mathrm{softmax}(z) - \mathrm{onehot}(y)) / N$.
# Subtract each row's maximum before `exp` (the result is unchanged and nothing overflows).

# %%
def my_cross_entropy_forward(logits, labels):
    shifted = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(len(labels)), labels]).mean()
    return loss, (probs, labels)


def my_cross_entropy_backward(grad_loss, cache):
    probs, labels = cache
    one_hot = np.eye(probs.shape[1])[labels]
    return grad_loss * (probs - one_hot) / len(labels)


check_softmax_cross_entropy(my_cross_entropy_forward, my_cross_entropy_backward, examples=EXAMPLES)


# %% [markdown]
# ## Exercise 3: a Linear layer
#
# $Y = X W^\top + b$, PyTorch's layout ($W$ is (out, in)). The shapes from notebook 3 give the three
# gradients.

# %%
def my_linear_forward(x, weight, bias):
    return x @ weight.T + bias, (x, weight)


def my_linear_backward(grad_out, cache):
    x, weight = cache
    return grad_out @ weight, grad_out.T @ x, grad_out.sum(axis=0)


check_linear(my_linear_forward, my_linear_backward, examples=EXAMPLES)
