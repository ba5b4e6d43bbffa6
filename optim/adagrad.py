"""Adagrad: per-coordinate learning rates shrinking with the accumulated squared gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_edu as tg

from .optimizer import Optimizer, ParamsT


class Adagrad(Optimizer):
    """PyTorch's Adagrad: `sum += g*g; p -= clr * g / (sqrt(sum) + eps)` with
    `clr = lr / (1 + (step-1)*lr_decay)`; the state exists from construction on, as in PyTorch."""

    def __init__(self, params: ParamsT, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, *, maximize: bool = False) -> None:
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, maximize=maximize)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, self.state[p], group)

    def _check_options(self, options: dict[str, Any]) -> None:
        for key in ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            self._check_range(options, key)

    @staticmethod
    def _init_state(values: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["step"] = 0
        state["sum"] = tg.full_like(values, float(group["initial_accumulator_value"]))

    def _update(self, values: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        if not state:
            self._init_state(values, state, group)
        state["step"] += 1
        weight_decay = float(group["weight_decay"])
        if weight_decay != 0:
            grad = grad + weight_decay * values
        clr = float(group["lr"]) / (1 + (state["step"] - 1) * float(group["lr_decay"]))
        total = state["sum"].numpy()
        total += grad * grad
        std = np.sqrt(total) + float(group["eps"])
        values -= clr * grad / std
