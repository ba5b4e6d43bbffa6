"""Adadelta: step sizes from the ratio of running RMS of past updates to running RMS of gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_edu as tg

from .optimizer import Optimizer, ParamsT


class Adadelta(Optimizer):
    """PyTorch's Adadelta: `sq = rho*sq + (1-rho)*g*g; delta = sqrt(acc+eps)/sqrt(sq+eps) * g;
    acc = rho*acc + (1-rho)*delta**2; p -= lr*delta`."""

    def __init__(self, params: ParamsT, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, *, maximize: bool = False) -> None:
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_options(self, options: dict[str, Any]) -> None:
        for key in ("lr", "eps", "weight_decay"):
            self._check_range(options, key)
        self._check_range(options, "rho", 0.0, 1.0)

    def _update(self, values: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["square_avg"] = tg.zeros_like(values)
            state["acc_delta"] = tg.zeros_like(values)
        state["step"] += 1
        rho, eps, weight_decay = float(group["rho"]), float(group["eps"]), float(group["weight_decay"])
        if weight_decay != 0:
            grad = grad + weight_decay * values
        square_avg, acc_delta = state["square_avg"].numpy(), state["acc_delta"].numpy()
        square_avg *= rho
        square_avg += (1 - rho) * grad * grad
        delta = np.sqrt(acc_delta + eps) / np.sqrt(square_avg + eps) * grad
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        values -= float(group["lr"]) * delta
