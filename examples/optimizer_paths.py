"""Optimizer paths on the bowl f(x, y) = x^2/20 + y^2 (Deep Learning from Scratch, ch. 6).

Every optimizer starts at (-7, 2) and takes 30 steps with the book's learning rates (SGD 0.95,
Momentum 0.1 with momentum 0.9, AdaGrad 1.5, Adam 0.3; RMSprop, not in the book's figure, gets
0.1). The book's rules equal `optim.SGD`, `optim.Adagrad` and `optim.Adam` up to where the tiny
epsilon sits. The contour plot shows SGD's zig-zag, and the summary gives each final distance to the
minimum at (0, 0).
"""

from __future__ import annotations

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import optim

from _common import parse_args, pyplot, save_figure

START = (-7.0, 2.0)
OPTIMIZERS = {
    "SGD": lambda params: optim.SGD(params, lr=0.95),
    "Momentum": lambda params: optim.SGD(params, lr=0.1, momentum=0.9),
    "AdaGrad": lambda params: optim.Adagrad(params, lr=1.5),
    "RMSprop": lambda params: optim.RMSprop(params, lr=0.1),
    "Adam": lambda params: optim.Adam(params, lr=0.3),
}


def bowl(x, y):
    """The book's elongated bowl: gentle along x, steep along y."""
    return x ** 2 / 20.0 + y ** 2


def path(make_optimizer, steps: int) -> np.ndarray:
    """The (steps + 1, 2) positions visited by an optimizer from START, gradients from autograd (float64)."""
    x = tg.tensor(START[0], dtype=np.float64, requires_grad=True)
    y = tg.tensor(START[1], dtype=np.float64, requires_grad=True)
    optimizer = make_optimizer([x, y])
    visited = [START]
    for _ in range(steps):
        optimizer.zero_grad()
        bowl(x, y).backward()
        optimizer.step()
        visited.append((x.item(), y.item()))
    return np.array(visited)


def main() -> None:
    args = parse_args("optimizer_paths", __doc__.splitlines()[0])
    steps = 30
    plt = pyplot()
    paths = {name: path(make, steps) for name, make in OPTIMIZERS.items()}

    grid_x, grid_y = np.meshgrid(np.arange(-10, 10, 0.01), np.arange(-5, 5, 0.01))
    heights = bowl(grid_x, grid_y)
    fig, axes = plt.subplots(2, 3, figsize=(12, 7))
    for ax, (name, visited) in zip(axes.flat, paths.items()):
        ax.contour(grid_x, grid_y, np.where(heights > 7, 0, heights), levels=12, linewidths=0.7)
        ax.plot(visited[:, 0], visited[:, 1], "o-", color="red", markersize=3)
        ax.plot(0, 0, "+", color="black", markersize=10)
        ax.set(title=name, xlim=(-10, 10), ylim=(-10, 10), xlabel="x", ylabel="y")
    axes.flat[-1].axis("off")
    fig.suptitle("f(x, y) = x²/20 + y², 30 steps from (-7, 2)")
    fig.tight_layout()
    save_figure(fig, args.out, "optimizer_paths.png")

    print(f"steps: {steps}")
    for name, visited in paths.items():
        x, y = visited[-1]
        print(f"{name}: final ({x:+.4f}, {y:+.4f}) distance {np.hypot(x, y):.4f}")


if __name__ == "__main__":
    main()
