"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_edu as tg

from .optimizer import Optimizer, ParamsT


class RMSprop(Optimizer):
    """PyTorch's RMSprop: `sq = alpha*sq + (1-alpha)*g*g`; `avg = sqrt(sq - mean_g**2 if centered else sq) + eps`;
    `p -= lr * g/avg`, or through a momentum buffer `buf = momentum*buf + g/avg; p -= lr*buf`."""

    def __init__(self, params: ParamsT, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, *,
                 maximize: bool = False) -> None:
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                        centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _check_options(self, options: dict[str, Any]) -> None:
        for key in ("lr", "eps", "momentum", "weight_decay", "alpha"):
            self._check_range(options, key)

    def _update(self, values: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        momentum, alpha = float(group["momentum"]), float(group["alpha"])
        if not state:
            state["step"] = 0
            state["square_avg"] = tg.zeros_like(values)
            if momentum > 0:
                state["momentum_buffer"] = tg.zeros_like(values)
            if group["centered"]:
                state["grad_avg"] = tg.zeros_like(values)
        state["step"] += 1
        weight_decay = float(group["weight_decay"])
        if weight_decay != 0:
            grad = grad + weight_decay * values
        square_avg = state["square_avg"].numpy()
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = state["grad_avg"].numpy()
            grad_avg += (1 - alpha) * (grad - grad_avg)
            avg = np.sqrt(square_avg - grad_avg * grad_avg)
        else:
            avg = np.sqrt(square_avg)
        avg += float(group["eps"])
        lr = float(group["lr"])
        if momentum > 0:
            buf = state["momentum_buffer"].numpy()
            buf *= momentum
            buf += grad / avg
            values -= lr * buf
        else:
            values -= lr * grad / avg
