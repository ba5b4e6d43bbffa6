"""Overfitting on a small training set, and weight decay and dropout against it (Deep Learning from Scratch, ch. 6).

The book's setup: only 300 training images, a deep network (six hidden layers of 100 ReLU units, He
init), SGD with lr 0.01 and batches of 100 for 201 epochs. The baseline fits the training set
perfectly while test accuracy lags far behind; weight decay (lambda 0.1 on the weights, as the book's
0.5 * lambda * ||W||^2 penalty, i.e. SGD's weight_decay=0.1 on weights only) and dropout (p 0.2)
narrow the gap between training and test accuracy. `--quick` trains a third of the epochs (67) at three
times the learning rate (0.03): the same lr x steps, so it travels about as far and shows the same lesson.
"""

from __future__ import annotations

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.data import DataLoader, TensorDataset

from _common import (accuracy, add_dataset_argument, load_images, parse_args, progress, pyplot, save_figure,
                     train_epoch)

TRAIN_SAMPLES, HIDDEN, DEPTH = 300, 100, 6
SETTINGS = {"baseline": (0.0, 0.0), "weight decay 0.1": (0.1, 0.0), "dropout 0.2": (0.0, 0.2)}


def add_arguments(parser) -> None:
    add_dataset_argument(parser)
    parser.add_argument("--epochs", type=int, default=None, help="epochs per run (default 201, 67 with --quick)")
    parser.add_argument("--lr", type=float, default=None, help="SGD learning rate (default 0.01, 0.03 with --quick)")


def build(inputs: int, classes: int, dropout: float) -> nn.Sequential:
    """Six hidden ReLU layers of 100 units with He-initialised weights, dropout after each if `dropout`."""
    layers: list[nn.Module] = []
    widths = [inputs] + [HIDDEN] * DEPTH
    for width_in, width_out in zip(widths, widths[1:]):
        layers += [nn.Linear(width_in, width_out), nn.ReLU()]
        if dropout:
            layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(HIDDEN, classes))
    for layer in layers:
        if isinstance(layer, nn.Linear):
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            nn.init.zeros_(layer.bias)
    return nn.Sequential(*layers)


def train(model: nn.Module, weight_decay: float, data: tuple, epochs: int, lr: float,
          label: str) -> tuple[list[float], list[float]]:
    """SGD (batches of 100, weight decay on weights only); train and test accuracy per epoch."""
    x_train, y_train, x_test, y_test = data
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    biases = [p for name, p in model.named_parameters() if name.endswith("bias")]
    optimizer = optim.SGD([{"params": weights, "weight_decay": weight_decay}, {"params": biases}], lr=lr)
    loader = DataLoader(TensorDataset(tg.tensor(x_train), tg.tensor(y_train)), batch_size=100, shuffle=True)
    train_history, test_history = [], []
    for _ in progress(range(epochs), total=epochs, desc=label):
        train_epoch(model, optimizer, loader)
        train_history.append(accuracy(model, x_train, y_train))
        test_history.append(accuracy(model, x_test, y_test))
    return train_history, test_history


def main() -> None:
    args = parse_args("overfitting", __doc__.splitlines()[0], add_arguments)
    epochs = args.epochs or (67 if args.quick else 201)
    lr = args.lr or (0.03 if args.quick else 0.01)
    plt = pyplot()
    tg.manual_seed(args.seed)
    x_train, y_train, x_test, y_test, name = load_images(args.dataset, args.quick)
    data = (x_train[:TRAIN_SAMPLES].reshape(TRAIN_SAMPLES, -1), y_train[:TRAIN_SAMPLES],
            x_test.reshape(len(x_test), -1), y_test)
    classes = int(y_train.max()) + 1

    results = {}
    for label, (weight_decay, dropout) in SETTINGS.items():
        results[label] = train(build(data[0].shape[1], classes, dropout), weight_decay, data, epochs, lr, label)

    fig, axes = plt.subplots(1, len(results), figsize=(4 * len(results), 3.6), sharey=True)
    for ax, (label, (train_history, test_history)) in zip(axes, results.items()):
        ax.plot(train_history, label="train")
        ax.plot(test_history, label="test")
        ax.set(title=label, xlabel="epoch", ylim=(0, 1.02))
    axes[0].set_ylabel("accuracy")
    axes[0].legend()
    fig.suptitle(f"{TRAIN_SAMPLES} {name} training images, {len(x_test)} test images, SGD lr {lr:g}")
    fig.tight_layout()
    save_figure(fig, args.out, "overfitting.png")

    print(f"data: {name}, {TRAIN_SAMPLES} training samples, {len(x_test)} test samples, {epochs} epochs, lr {lr:g}")
    for label, (train_history, test_history) in results.items():
        gap = train_history[-1] - test_history[-1]
        print(f"{label}: train {train_history[-1]:.3f} test {test_history[-1]:.3f} gap {gap:.3f}")


if __name__ == "__main__":
    main()
