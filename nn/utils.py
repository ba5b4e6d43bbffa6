"""Gradient clipping (`nn.utils.clip_grad_norm_`, `clip_grad_value_`), applied in place to `.grad`."""

from __future__ import annotations

import math
from typing import Iterable

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import Tensor


def _grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p.grad for p in params if p.grad is not None]


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    """Scale all gradients together so their joint `norm_type` norm is at most `max_norm`.

    The scale is max_norm / (total + 1e-6), capped at 1, as in PyTorch; returns the total norm
    before clipping (a 0-d Tensor). `norm_type` may be float('inf').
    """
    grads = _grads(parameters)
    norm_type = float(norm_type)
    if not grads:
        return tg.tensor(0.0)
    arrays = [g.detach().numpy() for g in grads]
    if math.isinf(norm_type):
        per_grad = [np.abs(a).max() if a.size else 0.0 for a in arrays]
        total = np.max(per_grad)
    else:
        per_grad = [np.sum(np.abs(a) ** norm_type) ** (1.0 / norm_type) for a in arrays]
        total = np.sum(np.asarray(per_grad) ** norm_type) ** (1.0 / norm_type)
    total = np.asarray(total, dtype=np.result_type(*arrays))
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is non-finite "
                           "({total}); set error_if_nonfinite=False to clip anyway")
    coef = min(float(max_norm) / (float(total) + 1e-6), 1.0)
    with tg.no_grad():
        for g in grads:
            g.mul_(np.asarray(coef, dtype=g.dtype))
    return tg.tensor(total)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient element into [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    with tg.no_grad():
        for g in _grads(parameters):
            g.copy_(np.clip(g.detach().numpy(), -clip_value, clip_value))
