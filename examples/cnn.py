"""A small convolutional network: conv-pool-conv-pool-linear on MNIST (or scikit-learn's digits offline).

Conv2d(1, 16, 3, padding 1), ReLU, 2x2 max-pool, Conv2d(16, 32, 3, padding 1), ReLU, 2x2 max-pool,
then one Linear layer to the 10 classes; Adam (lr 3e-3) in mini-batches of 64. The first layer's 16
filters are plotted next to the learning curves.
"""

from __future__ import annotations

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.data import DataLoader, TensorDataset

from _common import (accuracy, add_dataset_argument, load_images, parse_args, progress, pyplot, save_figure,
                     train_epoch)


def add_arguments(parser) -> None:
    add_dataset_argument(parser)
    parser.add_argument("--epochs", type=int, default=None, help="epochs (default 5 on MNIST, 30 on digits)")


def build(image_size: int, classes: int = 10) -> nn.Sequential:
    """conv-pool-conv-pool-linear for square single-channel images of side `image_size` (divisible by 4)."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * (image_size // 4) ** 2, classes),
    )


def main() -> None:
    args = parse_args("cnn", __doc__.splitlines()[0], add_arguments)
    plt = pyplot()
    tg.manual_seed(args.seed)
    x_train, y_train, x_test, y_test, name = load_images(args.dataset, args.quick)
    epochs = args.epochs or (30 if name == "digits" else 1 if args.quick else 5)

    model = build(x_train.shape[-1])
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    loader = DataLoader(TensorDataset(tg.tensor(x_train), tg.tensor(y_train)), batch_size=64, shuffle=True)
    losses, test_accuracies = [], []
    for _ in progress(range(epochs), total=epochs, desc="epochs"):
        losses.append(train_epoch(model, optimizer, loader))
        test_accuracies.append(accuracy(model, x_test, y_test, batch_size=500))
    train_accuracy = accuracy(model, x_train, y_train, batch_size=500)

    fig = plt.figure(figsize=(14, 4.4))
    grid = fig.add_gridspec(1, 3, width_ratios=(1, 1, 0.9))
    loss_ax, accuracy_ax = fig.add_subplot(grid[0]), fig.add_subplot(grid[1])
    loss_ax.plot(range(1, epochs + 1), losses, marker=".")
    loss_ax.set(title="training loss", xlabel="epoch", ylabel="cross-entropy")
    accuracy_ax.plot(range(1, epochs + 1), test_accuracies, marker=".")
    accuracy_ax.set(title="test accuracy", xlabel="epoch", ylabel="accuracy")
    filters = model[0].weight.numpy()[:, 0]
    filter_grid = grid[2].subgridspec(4, 4, wspace=0.12, hspace=0.12)
    for index, weights in enumerate(filters):
        ax = fig.add_subplot(filter_grid[index // 4, index % 4])
        limit = np.abs(weights).max()
        ax.imshow(weights, cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set(xticks=[], yticks=[])
        if index == 0:
            ax.set_title("16 first-layer 3x3 filters (red > 0 > blue)", loc="left", fontsize=10)
    fig.suptitle(f"conv-pool-conv-pool-linear on {name}")
    fig.tight_layout()
    save_figure(fig, args.out, "cnn.png")

    print(f"data: {name}, {len(x_train)} training and {len(x_test)} test images, {epochs} epochs")
    print(f"parameters: {sum(p.size for p in model.parameters())}")
    print(f"train accuracy: {train_accuracy:.4f}")
    print(f"test accuracy: {test_accuracies[-1]:.4f}")


if __name__ == "__main__":
    main()
