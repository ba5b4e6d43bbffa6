"""SeveralOutputs: how a user's Function returns a tuple, as `torch.autograd.Function` allows.

The engine's node produces one array; the float outputs are packed into it and handed out as views
(their gradients meet there), and the packed gradient is cut back into one gradient per output.
"""

from __future__ import annotations

import numpy as np

from .tensor import Tensor


class SeveralOutputs:
    """A Function whose forward returns a tuple, as `torch.autograd.Function` allows: the float
    outputs are flattened into the one array its node produces, and handed out as views of it, so
    their gradients meet there (zeros for an unused one); outputs of other dtypes (indices) are
    returned as constants. Backward then receives one gradient per output, as in PyTorch."""

    def __init__(self, outputs: tuple) -> None:
        arrays = [o._data if isinstance(o, Tensor) else np.asarray(o) for o in outputs]
        self.shapes = [a.shape for a in arrays]
        self.dtypes = [a.dtype for a in arrays]
        self.differentiable = [a.dtype.kind == "f" for a in arrays]
        self.constants = [None if d else a for a, d in zip(arrays, self.differentiable)]
        floats = [a.ravel() for a, d in zip(arrays, self.differentiable) if d]
        self.packed = np.concatenate(floats) if floats else np.zeros(0)

    def split(self, packed: Tensor) -> list:
        """The packed tensor (or its gradient) cut back into one tensor per output."""
        parts, start = [], 0
        for shape, dtype, differentiable in zip(self.shapes, self.dtypes, self.differentiable):
            if not differentiable:
                parts.append(None)
                continue
            size = int(np.prod(shape))
            part = packed[start:start + size].reshape(shape)
            parts.append(part if part.dtype == dtype else part.astype(dtype))
            start += size
        return parts

    def unpack(self, packed: Tensor) -> tuple:
        parts = self.split(packed)
        outputs = tuple(Tensor._make(c) if p is None else p for p, c in zip(parts, self.constants))
        self.packed = self.constants = None  # the node keeps only the layout
        return outputs

    def gradients(self, packed_grad: Tensor) -> list:
        """One gradient per output; an output of integer dtype gets zeros of its shape (PyTorch's
        materialized gradient of a non-differentiable output)."""
        return [Tensor._make(np.zeros(shape)) if g is None else g
                for g, shape in zip(self.split(packed_grad), self.shapes)]
