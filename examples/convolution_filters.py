"""Convolution explained: fixed edge-detection kernels applied with `conv2d`, and what a trained first layer learns.

A synthetic image (a bright square and a disk) goes through four hand-made 3x3 kernels with
`tg.conv2d`: Sobel x (vertical edges), Sobel y (horizontal edges), a Laplacian and a box blur. The
result equals a plain NumPy loop (slide, multiply, sum), and each edge kernel answers only to edges
of its own orientation. Then the conv-pool-conv-pool-linear network of `cnn.py` is trained on
scikit-learn's digits and its first-layer filters and their responses to one digit are shown.
"""

from __future__ import annotations

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import optim
from tinygrad_edu.data import DataLoader, TensorDataset

from _common import accuracy, load_images, parse_args, progress, pyplot, save_figure, train_epoch
from cnn import build

KERNELS = {
    "Sobel x (vertical edges)": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "Sobel y (horizontal edges)": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "Laplacian": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    "box blur": [[1 / 9] * 3] * 3,
}
SQUARE = slice(16, 48)


def synthetic_image() -> np.ndarray:
    """64 x 112 grey image: a bright square (rows and columns 16-47) and a disk to its right."""
    image = np.zeros((64, 112))
    image[SQUARE, SQUARE] = 1.0
    rows, columns = np.mgrid[:64, :112]
    image[(rows - 32) ** 2 + (columns - 84) ** 2 <= 18 ** 2] = 0.6
    return image


def loop_correlation(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """What conv2d computes, written as the textbook loop: slide the kernel, multiply, sum (zero padding 1)."""
    padded = np.pad(image, 1)
    out = np.zeros_like(image)
    for row in range(image.shape[0]):
        for column in range(image.shape[1]):
            out[row, column] = np.sum(padded[row:row + 3, column:column + 3] * kernel)
    return out


def edge_responses(response: np.ndarray) -> tuple[float, float]:
    """Mean |response| along the square's left/right edges and along its top/bottom edges (corners left out)."""
    inner = slice(SQUARE.start + 4, SQUARE.stop - 4)
    vertical = np.abs(response[inner, [SQUARE.start - 1, SQUARE.start, SQUARE.stop - 1, SQUARE.stop]]).mean()
    horizontal = np.abs(response[[SQUARE.start - 1, SQUARE.start, SQUARE.stop - 1, SQUARE.stop], inner]).mean()
    return float(vertical), float(horizontal)


def main() -> None:
    args = parse_args("convolution_filters", __doc__.splitlines()[0])
    plt = pyplot()
    image = synthetic_image()
    kernels = np.array(list(KERNELS.values()), dtype=np.float64)[:, None]
    responses = tg.conv2d(tg.tensor(image[None, None]), tg.tensor(kernels), padding=1).numpy()[0]
    loop_error = max(np.abs(responses[i] - loop_correlation(image, kernels[i, 0])).max() for i in range(len(kernels)))

    fig, axes = plt.subplots(1, len(KERNELS) + 1, figsize=(18, 2.9))
    axes[0].imshow(image, cmap="gray", vmin=0, vmax=1)
    axes[0].set_title("input")
    for ax, (title, kernel), response in zip(axes[1:], KERNELS.items(), responses):
        if np.min(kernel) >= 0:  # an averaging kernel: its output is an image like the input, grey 0..1
            shown = ax.imshow(response, cmap="gray", vmin=0, vmax=1)
        else:  # an edge kernel: signed output, white at 0, red and blue for the two signs
            limit = np.abs(response).max()
            shown = ax.imshow(response, cmap="RdBu_r", vmin=-limit, vmax=limit)
        fig.colorbar(shown, ax=ax, fraction=0.035, pad=0.02)
        ax.set_title(title, fontsize=10)
    for ax in axes:
        ax.set(xticks=[], yticks=[])
    fig.tight_layout()
    save_figure(fig, args.out, "fixed_kernels.png")

    tg.manual_seed(args.seed)
    x_train, y_train, x_test, y_test, _ = load_images("digits", args.quick)
    model = build(x_train.shape[-1])
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    loader = DataLoader(TensorDataset(tg.tensor(x_train), tg.tensor(y_train)), batch_size=64, shuffle=True)
    epochs = 8 if args.quick else 30
    for _ in progress(range(epochs), total=epochs, desc="epochs"):
        train_epoch(model, optimizer, loader)
    test_accuracy = accuracy(model, x_test, y_test)
    filters = model[0].weight.numpy()[:, 0]
    with tg.no_grad():
        feature_maps = model[1](model[0](tg.tensor(x_test[:1]))).numpy()[0]

    fig, axes = plt.subplots(3, 16, figsize=(16, 3.4))
    for i in range(16):
        limit = np.abs(filters[i]).max()
        axes[0, i].imshow(filters[i], cmap="RdBu_r", vmin=-limit, vmax=limit)
        axes[1, i].imshow(feature_maps[i], cmap="gray")
        axes[2, i].axis("off")
    axes[2, 0].axis("on")
    axes[2, 0].imshow(x_test[0, 0], cmap="gray")
    for ax in axes.flat:
        ax.set(xticks=[], yticks=[])
    axes[0, 0].set_ylabel("filter\n(red > 0 > blue)", fontsize=8)
    axes[1, 0].set_ylabel("ReLU map", fontsize=8)
    axes[2, 0].set_ylabel("input", fontsize=8)
    fig.suptitle("first-layer filters learned on digits and their responses to one test digit")
    save_figure(fig, args.out, "learned_filters.png")

    print(f"conv2d vs NumPy loop: max difference {loop_error:.1e}")
    for title, response in zip(KERNELS, responses):
        vertical, horizontal = edge_responses(response)
        print(f"{title}: mean |response| on vertical edges {vertical:.3f}, on horizontal edges {horizontal:.3f}")
    print(f"trained first layer: {len(filters)} filters of 3x3, network test accuracy {test_accuracy:.4f}")


if __name__ == "__main__":
    main()
