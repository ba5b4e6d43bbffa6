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
# # 9. A convolutional network
#
# A convolution slides a small filter over the image and takes a weighted sum at every position: the
# same few weights are reused everywhere, so a feature (an edge, a stroke) is detected wherever it
# is. It is computed as one matrix product by laying every patch of the image out as a column
# (*im2col*). Max-pooling then keeps the strongest response of each small window. You write both,
# then train a small network on scikit-learn's 8x8 digits.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.data import DataLoader, TensorDataset
from tinygrad_edu.exercises import check_conv, check_max_pool

tg.manual_seed(0)
QUICK = os.environ.get("TINYGRAD_EDU_QUICK") == "1"  # the test suite runs every notebook with small sizes
EXAMPLES, EPOCHS = (4, 2) if QUICK else (30, 15)


# %% [markdown]
# ## Exercise: convolution as im2col + one matrix product
#
# For each kernel offset $(i, j)$, the strided slice `padded[:, :, i::stride, j::stride]` (cut to the
# output size) holds what that filter tap sees at every output position: stack those slices as
# rows and each column is one patch. Then `weight.reshape(F, -1) @ columns` is the whole
# convolution. Backward: the matrix product's gradients, then *col2im*, adding each column's
# gradient back to the pixels it was copied from (overlapping patches add up). The loops run over
# the $k_h k_w$ kernel offsets, never over pixels.

# %%
def im2col(padded, kh, kw, stride, out_h, out_w):
    n, c = padded.shape[:2]
    columns = np.empty((n, c, kh, kw, out_h, out_w))
    for i in range(kh):
        for j in range(kw):
            columns[:, :, i, j] = padded[:, :, i:i + stride * out_h:stride, j:j + stride * out_w:stride]
    return columns.reshape(n, c * kh * kw, out_h * out_w)


def col2im(grad_columns, padded_shape, kh, kw, stride, out_h, out_w):
    n, c = padded_shape[:2]
    grad_columns = grad_columns.reshape(n, c, kh, kw, out_h, out_w)
    grad_padded = np.zeros(padded_shape)
    for i in range(kh):
        for j in range(kw):
            grad_padded[:, :, i:i + stride * out_h:stride, j:j + stride * out_w:stride] += grad_columns[:, :, i, j]
    return grad_padded


def my_conv_forward(x, weight, bias, stride, padding):
    f, _, kh, kw = weight.shape
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    out_h = (padded.shape[2] - kh) // stride + 1
    out_w = (padded.shape[3] - kw) // stride + 1
    columns = im2col(padded, kh, kw, stride, out_h, out_w)
    out = weight.reshape(f, -1) @ columns + bias[:, None]
    return out.reshape(len(x), f, out_h, out_w), (columns, weight, padded.shape, stride, padding)


def my_conv_backward(grad_out, cache):
    columns, weight, padded_shape, stride, padding = cache
    n, f, out_h, out_w = grad_out.shape
    kh, kw = weight.shape[2:]
    grad_flat = grad_out.reshape(n, f, -1)
    grad_weight = sum(g @ cols.T for g, cols in zip(grad_flat, columns)).reshape(weight.shape)
    grad_padded = col2im(weight.reshape(f, -1).T @ grad_flat, padded_shape, kh, kw, stride, out_h, out_w)
    grad_x = grad_padded[:, :, padding:padded_shape[2] - padding, padding:padded_shape[3] - padding]
    return grad_x, grad_weight, grad_flat.sum(axis=(0, 2))


check_conv(my_conv_forward, my_conv_backward, examples=EXAMPLES)


# %% [markdown]
# ## Exercise: max-pooling
#
# Non-overlapping $k \times k$ windows: reshape (N, C, H, W) to (N, C, H/k, k, W/k, k) and take the
# maximum over the two window axes. Backward sends each window's gradient to the element that was
# the maximum (a mask) and zero to the others.

# %%
def my_max_pool_forward(x, kernel_size):
    n, c, h, w = x.shape
    k = kernel_size
    windows = x.reshape(n, c, h // k, k, w // k, k)
    out = windows.max(axis=(3, 5))
    return out, (windows == out[:, :, :, None, :, None], x.shape)


def my_max_pool_backward(grad_out, cache):
    is_max, shape = cache
    return (is_max * grad_out[:, :, :, None, :, None]).reshape(shape)


check_max_pool(my_max_pool_forward, my_max_pool_backward, examples=EXAMPLES)

# %% [markdown]
# ## A small CNN on the digits
#
# Conv (8 filters of 3x3, padding 1) - ReLU - 2x2 max-pool - Linear to the 10 classes: 8x8 images
# become 8 maps of 4x4.

# %%
digits = load_digits()
images = (digits.images / 16).astype(np.float32)[:, None]  # (N, 1, 8, 8)
x_train, x_test, y_train, y_test = train_test_split(images, digits.target, test_size=0.3, random_state=0)
if QUICK:
    x_train, y_train = x_train[:200], y_train[:200]

model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 4 * 4, 10))
with tg.graph.trace_modules(model) as trace:
    sample_loss = nn.functional.cross_entropy(model(tg.tensor(x_train[:2])), tg.tensor(y_train[:2]))
tg.draw_graph(sample_loss, trace=trace)

# %% [markdown]
# The trace, from the loss back to the filters. Follow the shapes: max-pooling hands back a
# gradient with four times as many elements, (2, 8, 8, 8), and the same norm, because each window's
# gradient goes to its one maximum and the other three get 0. The convolution is one matrix product
# (`ConvProduct`): the filters reshaped to (8, 9) times `c`, the columns im2col made of the images
# (they need no gradient, so `c` is no edge of the graph); the filters' gradient is reshaped back
# to (8, 1, 3, 3). Most arrays here are too large to print and are summarised by shape, mean and
# norm.

# %%
for name, parameter in zip(("filters", "filter_bias", "W", "b"), model.parameters()):
    parameter.name = name
sample_loss.name = "loss"
print(tg.explain(sample_loss))

# %%
optimizer = optim.Adam(model.parameters(), lr=3e-3)
loader = DataLoader(TensorDataset(tg.tensor(x_train), tg.tensor(y_train)), batch_size=64, shuffle=True)
test_accuracy = []
for epoch in range(EPOCHS):
    for xb, yb in loader:
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(xb), yb).backward()
        optimizer.step()
    with tg.no_grad():
        test_accuracy.append((model(tg.tensor(x_test)).argmax(axis=1).numpy() == y_test).mean())
print(f"test accuracy after {EPOCHS} epochs: {test_accuracy[-1]:.3f}")

# %% [markdown]
# The learnt filters, one box each (red: positive weights, blue: negative), and the curve:

# %%
filters = model[0].weight.detach().numpy()[:, 0]
fig, axes = plt.subplots(1, len(filters) + 1, figsize=(15, 2.4), gridspec_kw={"width_ratios": [1] * len(filters) + [3]})
limit = np.abs(filters).max()
for k, (ax, kernel) in enumerate(zip(axes, filters)):
    ax.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.set(title=f"filter {k}", xticks=[], yticks=[])
axes[-1].plot(range(1, EPOCHS + 1), test_accuracy, marker=".")
axes[-1].set(xlabel="epoch", ylabel="test accuracy")
fig.tight_layout()
plt.show()
