"""Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and weight decay."""

from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_edu as tg

from .optimizer import Optimizer, ParamsT


class SGD(Optimizer):
    """PyTorch's SGD: `g += wd*p; buf = momentum*buf + (1-dampening)*g` (the first buffer is `g` itself);
    `g = g + momentum*buf` with Nesterov else `g = buf`; `p -= lr*g`."""

    def __init__(self, params: ParamsT, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False) -> None:
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _check_options(self, options: dict[str, Any]) -> None:
        for key in ("lr", "momentum", "weight_decay"):
            self._check_range(options, key)
        if options.get("nesterov") and (options.get("momentum", 0) <= 0 or options.get("dampening", 0) != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum > 0 and zero dampening, got "
                             f"momentum={options.get('momentum')}, dampening={options.get('dampening')}")

    def _update(self, values: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        weight_decay, momentum = group["weight_decay"], group["momentum"]
        if weight_decay != 0:
            grad = grad + float(weight_decay) * values
        if momentum != 0:
            momentum = float(momentum)
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = tg.tensor(grad)
                buf = state["momentum_buffer"].numpy()
            else:
                buf = state["momentum_buffer"].numpy()
                buf *= momentum
                buf += (1 - float(group["dampening"])) * grad
            grad = grad + momentum * buf if group["nesterov"] else buf
        values -= float(group["lr"]) * grad
