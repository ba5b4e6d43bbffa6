"""`tinygrad-edu demo` (what `make demo` runs): train a small MLP on spiral data and draw what happened.

Spiral data (100 points per class, 3 classes), a 2-64-64-3 ReLU network from `nn`, `optim.Adam` with
its learning rate annealed to 0 along a cosine (at a constant 0.01, Adam's steps stay long and can
throw the model out of its minimum late in training), a progress bar; then the loss curve, the
decision boundary (both need matplotlib) and the model's computation graph (graphviz-pure, always)
are written as PNG images to the output folder, and the backward pass through that graph as an
animation (`backward.html`, one offline page).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

import tinygrad_edu as tg

EXTRA_HINT = 'pip install "tinygrad-edu[examples]"'


def add_demo_arguments(parser: argparse.ArgumentParser) -> None:
    """The demo's options: output folder, training steps, hidden width, learning rate and seed."""
    parser.add_argument("--out", type=Path, default=Path("demo_out"), help="folder for the images (default ./demo_out)")
    parser.add_argument("--steps", type=int, default=1500, help="full-batch training steps (default 1500)")
    parser.add_argument("--hidden", type=int, default=64, help="units in each of the two hidden layers (default 64)")
    parser.add_argument("--lr", type=float, default=0.01,
                        help="Adam's starting learning rate, annealed to 0 along a cosine (default 0.01)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data and the initial weights (default 0)")


def _progress(steps: int) -> tuple[Iterable[int], Callable[[str], None]]:
    """The steps under a tqdm progress bar when tqdm is installed (else a plain range), and a
    function that prints a line without breaking the bar."""
    try:
        from tqdm import tqdm
    except ImportError:
        return range(steps), print
    return tqdm(range(steps), desc="training", file=sys.stderr, mininterval=0.25), tqdm.write


def _one_blas_thread() -> Any:
    """Limit NumPy's BLAS to one thread while training, so the printed numbers do not depend on the
    machine's core count (with threadpoolctl, which comes with scikit-learn; else a no-op)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _matplotlib() -> Any:
    """matplotlib.pyplot on the Agg backend, or None when matplotlib is not installed."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def build_model(hidden: int) -> Any:
    """The demo network: 2 inputs, two hidden ReLU layers of `hidden` units, 3 class scores."""
    from . import nn

    return nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 3))


def _plot_loss(plt: Any, losses: Iterable[float], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(list(losses))
    ax.set(xlabel="step", ylabel="cross-entropy loss", yscale="log",
           title="training loss (Adam, learning rate annealed along a cosine)")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def _plot_boundary(plt: Any, model: Any, x: np.ndarray, y: np.ndarray, path: Path) -> None:
    grid_x, grid_y = np.meshgrid(np.linspace(-1.1, 1.1, 200), np.linspace(-1.1, 1.1, 200))
    points = np.c_[grid_x.ravel(), grid_y.ravel()].astype(x.dtype)
    with tg.no_grad():
        regions = model(tg.tensor(points)).numpy().argmax(axis=1).reshape(grid_x.shape)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.contourf(grid_x, grid_y, regions, levels=[-0.5, 0.5, 1.5, 2.5], cmap="brg", alpha=0.25)
    ax.scatter(x[:, 0], x[:, 1], c=y, cmap="brg", s=12, edgecolors="k", linewidths=0.3)
    ax.set(title="decision boundary", xticks=[], yticks=[], aspect="equal")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def run_demo(args: argparse.Namespace) -> int:
    """Train, print the final accuracy, write the images and print their paths; returns the exit code."""
    from . import nn, optim
    from .graph import trace_modules

    tg.manual_seed(args.seed)
    x_np, y_np = tg.data.datasets.spiral(100, 3, rng=args.seed, as_numpy=True)
    x, y = tg.tensor(x_np), tg.tensor(y_np)
    model = build_model(args.hidden)
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.steps)
    print(f"spiral data: {len(y_np)} points, 3 classes; "
          f"model: 2-{args.hidden}-{args.hidden}-3 MLP, Adam lr {args.lr:g} annealed to 0 (cosine)")
    losses = []
    report_every = max(1, args.steps // 5)
    steps, write = _progress(args.steps)
    with _one_blas_thread():
        for step in steps:
            loss = nn.functional.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            losses.append(loss.item())
            if step % report_every == 0:
                write(f"step {step:5d}  loss {losses[-1]:.4f}")
    with tg.no_grad():
        accuracy = float((model(x).numpy().argmax(axis=1) == y_np).mean())
    print(f"final loss: {losses[-1]:.4f}")
    print(f"final training accuracy: {accuracy:.4f}")

    args.out.mkdir(parents=True, exist_ok=True)
    with trace_modules(model) as trace:
        loss = nn.functional.cross_entropy(model(x), y)
    loss.name = "loss"
    graph_path = tg.draw_graph(loss, module=model, trace=trace).render(args.out / "graph.png", format="png")
    animation_path = tg.animate_backward(loss, args.out / "backward.html", trace=trace)
    plt = _matplotlib()
    if plt is None:
        print(f"matplotlib is not installed, so no loss curve or decision boundary; for the plots: {EXTRA_HINT}")
    else:
        _plot_loss(plt, losses, args.out / "loss_curve.png")
        _plot_boundary(plt, model, x_np, y_np, args.out / "decision_boundary.png")
        print(f"loss curve: {args.out / 'loss_curve.png'}")
        print(f"decision boundary: {args.out / 'decision_boundary.png'}")
    print(f"computation graph: {graph_path}")
    print(f"backward pass, step by step: {animation_path} (open it in a browser)")
    return 0
