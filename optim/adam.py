"""Adam and AdamW: bias-corrected running averages of the gradient and of its square."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import tinygrad_edu as tg

from .optimizer import Optimizer, ParamsT


class Adam(Optimizer):
    """PyTorch's Adam: `m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g*g;
    p -= lr/(1-b1**t) * m / (sqrt(v)/sqrt(1-b2**t) + eps)` (amsgrad uses the running max of v).

    `weight_decay` adds `wd*p` to the gradient (L2); with `decoupled_weight_decay=True` it instead
    shrinks `p *= 1 - lr*wd` before the update, which is AdamW.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool = False) -> None:
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _check_options(self, options: dict[str, Any]) -> None:
        for key in ("lr", "eps", "weight_decay"):
            self._check_range(options, key)
        if "betas" in options:
            betas = options["betas"]
            if len(betas) != 2:
                raise ValueError(f"{type(self).__name__}: betas must be a pair (beta1, beta2), got {betas!r}")
            for i, beta in enumerate(betas):
                if not 0.0 <= beta < 1.0:
                    raise ValueError(f"{type(self).__name__}: invalid beta parameter at index {i}: {beta!r}; "
                                     "expected a value in [0, 1)")

    def _update(self, values: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["exp_avg"] = tg.zeros_like(values)
            state["exp_avg_sq"] = tg.zeros_like(values)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = tg.zeros_like(values)
        state["step"] += 1
        step = state["step"]
        lr, eps, weight_decay = float(group["lr"]), float(group["eps"]), float(group["weight_decay"])
        beta1, beta2 = (float(b) for b in group["betas"])
        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                values *= 1 - lr * weight_decay
            else:
                grad = grad + weight_decay * values
        exp_avg, exp_avg_sq = state["exp_avg"].numpy(), state["exp_avg_sq"].numpy()
        exp_avg += (1 - beta1) * (grad - exp_avg)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        bias_correction1 = 1 - beta1**step
        bias_correction2_sqrt = math.sqrt(1 - beta2**step)
        if group["amsgrad"]:
            max_exp_avg_sq = state["max_exp_avg_sq"].numpy()
            np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
            denom = np.sqrt(max_exp_avg_sq) / bias_correction2_sqrt + eps
        else:
            denom = np.sqrt(exp_avg_sq) / bias_correction2_sqrt + eps
        values -= lr / bias_correction1 * exp_avg / denom


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): `p *= 1 - lr*wd`, then the Adam step
    on the plain gradient, so the decay is not rescaled by the adaptive denominator."""

    def __init__(self, params: ParamsT, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)
