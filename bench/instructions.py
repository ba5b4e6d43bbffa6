"""Small workloads to count instructions with, where wall-clock times are too noisy to compare.

    valgrind --tool=callgrind python bench/instructions.py WORKLOAD STEPS

runs WORKLOAD once to warm up, then STEPS times. The instructions of one step are the difference
between the totals of a run with STEPS and one with 0 steps, divided by STEPS (imports and the
warm-up cancel out). Unlike seconds, the count is the same on a busy and on a quiet machine, so
two checkouts can be compared one after the other: run as a script, this file imports whichever
`tinygrad_edu` the interpreter finds (another checkout's, with PYTHONPATH pointing at it).
"""

from __future__ import annotations

import sys
from typing import Callable

import numpy as np

import tinygrad_edu as tg


def _leaf(values: np.ndarray) -> tg.Tensor:
    return tg.tensor(values, requires_grad=True, dtype=np.float64)


def chain(n_ops: int = 1000) -> None:
    """The overhead workload's shape: mul, add, tanh, mul on 16 float64 elements, then backward."""
    y = x = _leaf(np.linspace(0.1, 0.9, 16))
    for i in range(n_ops):
        kind = i % 4
        y = y * 1.001 if kind == 0 else y + 0.001 if kind == 1 else y.tanh() if kind == 2 else y * 0.999
    (y.sum() + x.sum()).backward()


def mixed(n_ops: int = 1000) -> None:
    """A chain that reuses its leaf (fan-out) and mixes output-saving ops (tanh, sigmoid)."""
    y = x = _leaf(np.linspace(0.1, 0.9, 16))
    for _ in range(n_ops // 4):
        y = (y * 1.01).tanh() + x
        y = y.sigmoid() * 0.5
    y.sum().backward()


def deep() -> None:
    """A 20,000-op chain (the garbage collector's share grows with the graph)."""
    chain(20_000)


def mlp() -> None:
    """20 steps of a float32 32-64-10 MLP with cross-entropy, forward and backward."""
    rng = np.random.default_rng(0)
    w1 = tg.tensor(rng.standard_normal((64, 32)) * 0.1, requires_grad=True, dtype=np.float32)
    w2 = tg.tensor(rng.standard_normal((10, 64)) * 0.1, requires_grad=True, dtype=np.float32)
    x = tg.tensor(rng.standard_normal((32, 32)), dtype=np.float32)
    for _ in range(20):
        tg.ops.cross_entropy(tg.linear(tg.linear(x, w1).relu(), w2), np.arange(32) % 10).backward()


def train() -> None:
    """20 steps of an nn.Sequential 32-64-10 MLP trained with Adam: the layers' and the optimizer's
    overhead on top of the engine's."""
    tg.manual_seed(0)
    model = tg.nn.Sequential(tg.nn.Linear(32, 64), tg.nn.ReLU(), tg.nn.Linear(64, 10))
    opt = tg.optim.Adam(model.parameters(), lr=1e-3)
    x = tg.tensor(np.random.default_rng(0).standard_normal((32, 32)), dtype=np.float32)
    labels = tg.tensor(np.arange(32) % 10)
    for _ in range(20):
        opt.zero_grad()
        tg.nn.functional.cross_entropy(model(x), labels).backward()
        opt.step()


def gradcheck() -> None:
    """tg.gradcheck of a small float64 MLP: many recorded forwards of a few ops each."""
    rng = np.random.default_rng(0)
    params = [_leaf(rng.standard_normal(shape) * 0.5) for shape in ((6, 4), (6,), (3, 6), (3,))]
    x, labels = tg.tensor(rng.standard_normal((5, 4))), tg.tensor(np.arange(5) % 3)

    def loss(w1: tg.Tensor, b1: tg.Tensor, w2: tg.Tensor, b2: tg.Tensor) -> tg.Tensor:
        return tg.ops.cross_entropy(tg.linear(tg.linear(x, w1, b1).tanh(), w2, b2), labels.data)

    tg.gradcheck(loss, params)


WORKLOADS: dict[str, Callable[[], None]] = {"chain": chain, "mixed": mixed, "deep": deep, "mlp": mlp, "train": train,
                                           "gradcheck": gradcheck}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in WORKLOADS or not argv[1].isdigit():
        print(f"usage: python bench/instructions.py {{{','.join(WORKLOADS)}}} STEPS", file=sys.stderr)
        return 2
    workload = WORKLOADS[argv[0]]
    workload()
    for _ in range(int(argv[1])):
        workload()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
