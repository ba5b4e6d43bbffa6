"""Training with and without Batch Normalization over many weight scales (Deep Learning from Scratch, ch. 6).

The book's setup: 1000 training images, five hidden layers of 100 ReLU units, weights drawn as
scale * randn for 16 scales from 1 down to 1e-4, SGD with lr 0.01, batches of 100, 20 epochs; the
training accuracy per epoch with and without a BatchNorm layer before every ReLU. Without BatchNorm
most scales barely learn; with it the network learns fast at nearly every scale.
"""

from __future__ import annotations

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.data import DataLoader, TensorDataset

from _common import (accuracy, add_dataset_argument, load_images, parse_args, progress, pyplot, save_figure,
                     train_epoch)

HIDDEN, DEPTH, TRAIN_SAMPLES = 100, 5, 1000


def add_arguments(parser) -> None:
    add_dataset_argument(parser)
    parser.add_argument("--epochs", type=int, default=20, help="epochs per run (default 20)")
    parser.add_argument("--scales", type=int, default=16, help="weight scales between 1 and 1e-4 (default 16)")


def build(inputs: int, classes: int, scale: float, batchnorm: bool) -> nn.Sequential:
    """Five hidden ReLU layers (BatchNorm before each ReLU if asked), weights scale * randn, zero biases."""
    layers: list[nn.Module] = []
    for width_in, width_out in [(inputs, HIDDEN)] + [(HIDDEN, HIDDEN)] * (DEPTH - 1) + [(HIDDEN, classes)]:
        linear = nn.Linear(width_in, width_out)
        nn.init.normal_(linear.weight, std=scale)
        nn.init.zeros_(linear.bias)
        layers.append(linear)
        if width_out == HIDDEN:
            layers += [nn.BatchNorm1d(HIDDEN), nn.ReLU()] if batchnorm else [nn.ReLU()]
    return nn.Sequential(*layers)


def train(model: nn.Module, x: np.ndarray, y: np.ndarray, epochs: int) -> list[float]:
    """SGD (lr 0.01, batches of 100); returns the training accuracy after each epoch."""
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    loader = DataLoader(TensorDataset(tg.tensor(x), tg.tensor(y)), batch_size=100, shuffle=True)
    history = []
    for _ in range(epochs):
        train_epoch(model, optimizer, loader)
        history.append(accuracy(model, x, y))
    return history


def main() -> None:
    args = parse_args("batchnorm_comparison", __doc__.splitlines()[0], add_arguments)
    epochs = min(args.epochs, 10) if args.quick else args.epochs
    count = min(args.scales, 4) if args.quick else args.scales
    plt = pyplot()
    tg.manual_seed(args.seed)
    x_train, y_train, _, _, name = load_images(args.dataset, args.quick)
    x = x_train[:TRAIN_SAMPLES].reshape(min(TRAIN_SAMPLES, len(x_train)), -1)
    y = y_train[:TRAIN_SAMPLES]
    classes = int(y_train.max()) + 1
    scales = np.logspace(0, -4, num=count)

    runs = {}
    for scale in progress(scales, total=count, desc="weight scales"):
        runs[scale] = {batchnorm: train(build(x.shape[1], classes, scale, batchnorm), x, y, epochs)
                       for batchnorm in (True, False)}

    columns = 4
    rows = -(-count // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3 * columns, 2.4 * rows), squeeze=False)
    for ax, (scale, histories) in zip(axes.flat, runs.items()):
        epoch_numbers = range(1, len(histories[True]) + 1)
        ax.plot(epoch_numbers, histories[True], label="BatchNorm")
        ax.plot(epoch_numbers, histories[False], "--", label="no BatchNorm")
        ax.set_title(f"w = {scale:.2e} * randn", fontsize=9)
        ax.set_ylim(0, 1.05)
        ax.tick_params(labelsize=7)
    for ax in axes[-1]:
        ax.set_xlabel("epoch", fontsize=9)
    for ax in axes[:, 0]:
        ax.set_ylabel("training accuracy", fontsize=9)
    for ax in axes.flat[count:]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(f"training accuracy per epoch, {len(x)} {name} training images")
    fig.tight_layout()
    save_figure(fig, args.out, "batchnorm_comparison.png")

    print(f"data: {name}, {len(x)} training samples, {epochs} epochs")
    for scale, histories in runs.items():
        print(f"scale {scale:.2e}: train accuracy with BatchNorm {histories[True][-1]:.3f} "
              f"without {histories[False][-1]:.3f}")
    ahead = sum(histories[True][-1] > histories[False][-1] for histories in runs.values())
    print(f"BatchNorm ahead at {ahead} of {count} scales")


if __name__ == "__main__":
    main()
