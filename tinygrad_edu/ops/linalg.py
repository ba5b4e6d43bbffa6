"""Linear algebra: the matrix product (1-D, 2-D, batched, broadcast) and what is built on it:
dot, mm, bmm, mv, outer, diag and trace."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from .axes import shape_of
from .indexing import IndexAdd, getitem


class MatMul(Function):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return np.matmul(x, y)

    formula = "d(x @ y)/dx = y (g @ y.T); d(x @ y)/dy = x (x.T @ g)"
    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        # 1-D operands are promoted to matrices as in np.matmul; the results are squeezed back.
        x2 = x.reshape(1, -1) if x.ndim == 1 else x
        y2 = y.reshape(-1, 1) if y.ndim == 1 else y
        if x.ndim == 1 and y.ndim == 1:
            g2 = g.reshape(1, 1)
        else:
            g2 = g.unsqueeze(-2) if x.ndim == 1 else g
            g2 = g2.unsqueeze(-1) if y.ndim == 1 else g2
        gx = gy = None
        if need_x:
            gx = g2 @ y2.swapaxes(-1, -2)
            if x.ndim == 1:
                gx = gx.squeeze(-2)
        if need_y:
            gy = x2.swapaxes(-1, -2) @ g2
            if y.ndim == 1:
                gy = gy.squeeze(-1)
        return gx, gy


def matmul(x: Any, y: Any) -> Tensor:
    """Matrix product with NumPy's rules: 1-D vectors, 2-D matrices, broadcast batches."""
    xs, ys = shape_of(x), shape_of(y)
    if len(xs) == 0 or len(ys) == 0:
        raise ValueError(f"matmul: both operands need at least one dimension, got shapes {xs} and {ys}")
    if xs[-1] != ys[-2 if len(ys) > 1 else -1]:
        raise ValueError(
            f"matmul: shapes {xs} and {ys} do not match: the last dim of the first ({xs[-1]}) must equal "
            f"the {'second-to-last' if len(ys) > 1 else 'only'} dim of the second "
            f"({ys[-2 if len(ys) > 1 else -1]})"
        )
    return MatMul.apply(x, y)


def dot(x: Any, y: Any) -> Tensor:
    """Inner product of two 1-D tensors (matrix product for 2-D, as np.dot)."""
    if len(shape_of(x)) > 2 or len(shape_of(y)) > 2:
        raise ValueError(f"dot: expects 1-D or 2-D tensors, got shapes {shape_of(x)} and {shape_of(y)}; use matmul")
    return matmul(x, y)


def rmatmul(x: Any, y: Any) -> Tensor:
    """y @ x (the reflected operator)."""
    return matmul(y, x)


def _checked_matmul(x: Tensor, y: Tensor, ndims: tuple, op: str) -> Tensor:
    if (x.ndim, np.ndim(y)) != ndims:
        raise ValueError(f"{op}: expects tensors with {ndims[0]} and {ndims[1]} dimensions, got shapes "
                         f"{x.shape} and {np.shape(y)}")
    return matmul(x, y)


def mm(x: Tensor, y: Tensor) -> Tensor:
    """Matrix product of two matrices (no broadcasting, as torch.mm)."""
    return _checked_matmul(x, y, (2, 2), "mm")


def bmm(x: Tensor, y: Tensor) -> Tensor:
    """Batched matrix product of (B, n, m) and (B, m, p) (no broadcasting, as torch.bmm)."""
    if x.ndim == np.ndim(y) == 3 and x.shape[0] != np.shape(y)[0]:
        raise ValueError(f"bmm: batch sizes differ: {x.shape} and {np.shape(y)}")
    return _checked_matmul(x, y, (3, 3), "bmm")


def mv(x: Tensor, vec: Tensor) -> Tensor:
    """Matrix times vector."""
    return _checked_matmul(x, vec, (2, 1), "mv")


def outer(x: Tensor, y: Any) -> Tensor:
    """Outer product of two vectors."""
    if x.ndim != 1 or np.ndim(y) != 1:
        raise ValueError(f"outer: expects two vectors, got shapes {x.shape} and {np.shape(y)}")
    return x.reshape(-1, 1) * (y.reshape(1, -1) if isinstance(y, Tensor) else np.reshape(y, (1, -1)))


def diag(x: Tensor, diagonal: int = 0) -> Tensor:
    """A vector's diagonal matrix, or a matrix's `diagonal`-th diagonal (torch.diag)."""
    if x.ndim == 1:
        n = x.shape[0] + abs(diagonal)
        rows = np.arange(x.shape[0]) + max(-diagonal, 0)
        return IndexAdd.apply(x, index=(rows, rows + diagonal), shape=(n, n))
    if x.ndim != 2:
        raise ValueError(f"diag: expects a vector or a matrix, got shape {x.shape}")
    rows = np.arange(max(0, -diagonal), min(x.shape[0], x.shape[1] - diagonal))
    return getitem(x, (rows, rows + diagonal))


def trace(x: Tensor) -> Tensor:
    """Sum of a matrix's diagonal."""
    if x.ndim != 2:
        raise ValueError(f"trace: expects a matrix, got shape {x.shape}")
    return diag(x).sum()
