"""`tinygrad-edu demo`: train a tiny MLP written with raw Tensor ops on spiral data."""

from __future__ import annotations

import argparse

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu.data.datasets import spiral


def add_demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--steps", type=int, default=2000, help="training steps (default 2000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")


def run_demo(args: argparse.Namespace) -> int:
    tg.manual_seed(args.seed)
    x_np, y_np = spiral(100, 3, rng=np.random.default_rng(args.seed), as_numpy=True)
    x, y = tg.tensor(x_np), tg.tensor(y_np)
    w1 = (tg.randn(2, 64) * np.sqrt(2 / 2)).detach().requires_grad_()
    b1 = tg.zeros(64, requires_grad=True)
    w2 = (tg.randn(64, 3) * np.sqrt(2 / 64)).detach().requires_grad_()
    b2 = tg.zeros(3, requires_grad=True)
    params = [w1, b1, w2, b2]
    lr = 1.0
    for step in range(args.steps + 1):
        logits = (x @ w1 + b1).relu() @ w2 + b2
        loss = -logits.log_softmax(axis=1)[np.arange(len(y_np)), y_np].mean()
        for p in params:
            p.grad = None
        loss.backward()
        with tg.no_grad():
            for p in params:
                p -= lr * p.grad
        if step % (args.steps // 10 or 1) == 0:
            accuracy = (logits.argmax(axis=1) == y).float().mean().item()
            print(f"step {step:5d}  loss {loss.item():.4f}  accuracy {accuracy:.3f}")
    return 0
