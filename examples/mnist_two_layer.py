"""The classic two-layer network on MNIST: He init, ReLU, softmax cross-entropy, Adam or SGD.

784 -> 100 -> 10 (the hidden width is an option), trained in mini-batches; the classic tutorial's
version of this network reports 97.55% test accuracy. Without MNIST (no copy in the cache and no
download possible) it says so and trains the same network on scikit-learn's bundled 8x8 digits.
"""

from __future__ import annotations

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.data import DataLoader, TensorDataset

from _common import (accuracy, add_dataset_argument, load_images, parse_args, progress, pyplot, save_figure,
                     train_epoch)


def add_arguments(parser) -> None:
    add_dataset_argument(parser)
    parser.add_argument("--hidden", type=int, default=100, help="hidden units (default 100)")
    parser.add_argument("--optimizer", choices=("adam", "sgd"), default="adam", help="adam (lr 1e-3) or sgd (lr 0.1)")
    parser.add_argument("--epochs", type=int, default=None, help="epochs (default 15 on MNIST, 60 on digits)")
    parser.add_argument("--batch-size", type=int, default=100, help="mini-batch size (default 100)")


def build(inputs: int, hidden: int, classes: int) -> nn.Sequential:
    """Linear-ReLU-Linear with He-normal weights and zero biases (softmax lives in the loss)."""
    model = nn.Sequential(nn.Linear(inputs, hidden), nn.ReLU(), nn.Linear(hidden, classes))
    for layer in (model[0], model[2]):
        nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
        nn.init.zeros_(layer.bias)
    return model


def main() -> None:
    args = parse_args("mnist_two_layer", __doc__.splitlines()[0], add_arguments)
    plt = pyplot()
    tg.manual_seed(args.seed)
    x_train, y_train, x_test, y_test, name = load_images(args.dataset, args.quick)
    x_train, x_test = x_train.reshape(len(x_train), -1), x_test.reshape(len(x_test), -1)
    epochs = args.epochs or (60 if name == "digits" else 3 if args.quick else 15)

    model = build(x_train.shape[1], args.hidden, 10)
    optimizer = (optim.Adam(model.parameters(), lr=1e-3) if args.optimizer == "adam"
                 else optim.SGD(model.parameters(), lr=0.1))
    loader = DataLoader(TensorDataset(tg.tensor(x_train), tg.tensor(y_train)), batch_size=args.batch_size,
                        shuffle=True)
    losses, train_accuracies, test_accuracies = [], [], []
    for _ in progress(range(epochs), total=epochs, desc="epochs"):
        losses.append(train_epoch(model, optimizer, loader))
        train_accuracies.append(accuracy(model, x_train, y_train))
        test_accuracies.append(accuracy(model, x_test, y_test))

    fig, (ax_loss, ax_accuracy) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(range(1, epochs + 1), losses)
    ax_loss.set(title="training loss", xlabel="epoch", ylabel="cross-entropy")
    ax_accuracy.plot(range(1, epochs + 1), train_accuracies, label="train")
    ax_accuracy.plot(range(1, epochs + 1), test_accuracies, label="test")
    ax_accuracy.set(title="accuracy", xlabel="epoch")
    ax_accuracy.legend()
    fig.suptitle(f"{x_train.shape[1]}-{args.hidden}-10 network on {name} ({args.optimizer})")
    fig.tight_layout()
    save_figure(fig, args.out, "mnist_two_layer.png")

    print(f"data: {name}, {len(x_train)} training and {len(x_test)} test samples, {epochs} epochs")
    print(f"train accuracy: {train_accuracies[-1]:.4f}")
    print(f"test accuracy: {test_accuracies[-1]:.4f}")


if __name__ == "__main__":
    main()
