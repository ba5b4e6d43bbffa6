"""Random weight search against gradient descent on the spiral data (Neural Networks from Scratch, ch. 6).

The book's 2-3-3 network (Dense 2->3, ReLU, Dense 3->3, softmax cross-entropy) on 100 spiral points per
class and 3 classes, starting from 0.01 * randn weights and zero biases. Random search adds 0.05 * randn
to every parameter and keeps the change only when the loss drops (10,000 iterations); gradient descent
(plain SGD, lr 1.0, full batch) follows autograd's gradient from the same start for as many steps.
The same race is then run on the 2-64-3 network the book trains from chapter 10 on. Seeding NumPy's
legacy generator with 0, as `nnfs.init()` does, draws the book's data and perturbations. `--quick` runs
3,000 iterations: gradient descent needs about 2,000 to leave the plateau that the tiny initial
weights start it on (their gradients are products of two 0.01-sized weights), so fewer would not show the lesson.
"""

from __future__ import annotations

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import nn, optim

from _common import parse_args, progress, pyplot, save_figure


def add_arguments(parser) -> None:
    parser.add_argument("--iterations", type=int, default=10_000, help="iterations of each method (default 10000)")
    parser.add_argument("--lr", type=float, default=1.0, help="gradient-descent learning rate (default 1.0)")


def build_network(hidden: int, source: np.random.RandomState) -> nn.Sequential:
    """A 2-hidden-3 network with the book's initial weights, 0.01 * randn drawn as inputs x neurons."""
    w1, w2 = 0.01 * source.randn(2, hidden), 0.01 * source.randn(hidden, 3)
    model = nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, 3))
    with tg.no_grad():
        model[0].weight.copy_(tg.tensor(w1.T.copy()))
        model[2].weight.copy_(tg.tensor(w2.T.copy()))
        model[0].bias.zero_()
        model[2].bias.zero_()
    return model


def evaluate(model: nn.Module, x: tg.Tensor, y: tg.Tensor) -> tuple[float, float]:
    """Mean cross-entropy loss and accuracy of `model` on the whole data set."""
    logits = model(x)
    loss = nn.functional.cross_entropy(logits, y)
    return loss.item(), float((logits.argmax(axis=1) == y).float().mean().item())


def perturbation(param: tg.Tensor, source: np.random.RandomState) -> np.ndarray:
    """0.05 * randn drawn in the book's layout (weights as inputs x neurons, biases as 1 x neurons)."""
    if param.ndim == 2:
        return 0.05 * source.randn(param.shape[1], param.shape[0]).T
    return 0.05 * source.randn(1, param.shape[0])[0]


def random_search(model: nn.Module, x: tg.Tensor, y: tg.Tensor, iterations: int,
                  source: np.random.RandomState) -> tuple[list[float], list[float]]:
    """Keep-if-better random perturbation of every parameter; returns the best loss/accuracy per iteration."""
    params = list(model.parameters())
    best_loss, best_accuracy = np.inf, 0.0
    best = [p.numpy().copy() for p in params]
    losses, accuracies = [], []
    with tg.no_grad():
        for _ in progress(range(iterations), total=iterations, desc="random search"):
            for p in params:
                p.data += perturbation(p, source).astype(p.dtype)
            loss, accuracy = evaluate(model, x, y)
            if loss < best_loss:
                best_loss, best_accuracy = loss, accuracy
                best = [p.numpy().copy() for p in params]
            else:
                for p, saved in zip(params, best):
                    p.data[...] = saved
            losses.append(best_loss)
            accuracies.append(best_accuracy)
    return losses, accuracies


def gradient_descent(model: nn.Module, x: tg.Tensor, y: tg.Tensor, iterations: int, lr: float
                     ) -> tuple[list[float], list[float]]:
    """Full-batch gradient descent (plain SGD on the whole data set); returns loss/accuracy per iteration."""
    optimizer = optim.SGD(model.parameters(), lr=lr)
    losses, accuracies = [], []
    for _ in progress(range(iterations), total=iterations, desc="gradient descent"):
        logits = model(x)
        loss = nn.functional.cross_entropy(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        accuracies.append(float((logits.argmax(axis=1) == y).float().mean().item()))
    return losses, accuracies


def main() -> None:
    args = parse_args("random_search_vs_gradient_descent", __doc__.splitlines()[0], add_arguments)
    iterations = 3000 if args.quick and args.iterations == 10_000 else args.iterations
    plt = pyplot()
    source = np.random.RandomState(args.seed)
    x_np, y_np = tg.data.datasets.spiral(100, 3, rng=source, as_numpy=True)
    x, y = tg.tensor(x_np), tg.tensor(y_np)

    fig, axes = plt.subplots(2, 2, figsize=(10, 7))
    summary = []
    for row, hidden in enumerate((3, 64)):
        model = build_network(hidden, source)
        start = {name: value.clone() for name, value in model.state_dict().items()}
        with tg.no_grad():
            summary.append(f"2-{hidden}-3 start: loss {evaluate(model, x, y)[0]:.7f}")
        search = random_search(model, x, y, iterations, source)
        model.load_state_dict(start)
        descent = gradient_descent(model, x, y, iterations, args.lr)
        for label, (losses, accuracies) in (("random search (keep if better)", search),
                                            (f"gradient descent (SGD, lr {args.lr:g})", descent)):
            axes[row, 0].plot(losses, label=label)
            axes[row, 1].plot(accuracies, label=label)
            method = label.split(" (")[0]
            summary.append(f"2-{hidden}-3 {method}: loss {losses[-1]:.7f} accuracy {accuracies[-1]:.3f}")
        axes[row, 0].set(title=f"2-{hidden}-3 network: loss", xlabel="iteration", ylabel="cross-entropy")
        axes[row, 1].set(title=f"2-{hidden}-3 network: accuracy", xlabel="iteration", ylabel="accuracy")
    axes[0, 0].legend()
    fig.suptitle("spiral data, 100 points x 3 classes")
    fig.tight_layout()
    save_figure(fig, args.out, "random_search_vs_gradient_descent.png")

    print(f"iterations: {iterations}")
    print("\n".join(summary))


if __name__ == "__main__":
    main()
