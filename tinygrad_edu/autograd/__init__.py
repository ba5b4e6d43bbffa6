"""The autograd core, in reading order: each module imports only those listed before it.

    mode      grad mode, anomaly mode and saved-as-constants mode (per thread)
    dtypes    the default float dtype and PyTorch's result dtypes
    versions  in-place write tracking, views and their bases
    tensor    Tensor: data, grad, grad_fn, the Python protocol, hooks
    several_outputs  a user Function's tuple of outputs, packed into one array
    function  Function (an op's definition) and Node (one recorded call)
    backprop  the chain rule over the graph: backward() and grad()

No op logic lives here: ops are in `tinygrad_edu/ops/`, Tensor's methods are attached in
`tinygrad_edu/methods.py`.
"""

from .backprop import backward, grad, input_gradients, node_gradients, unbroadcast, walk_order
from .dtypes import get_default_dtype, set_default_dtype
from .function import Function, Node
from .mode import (detect_anomaly, enable_grad, inference_mode, is_anomaly_enabled, is_grad_enabled, no_grad,
                   saved_as_constants, set_grad_enabled)
from .tensor import Size, Tensor
from .versions import mark_written

__all__ = ["Function", "Node", "Size", "Tensor", "backward", "detect_anomaly", "enable_grad", "get_default_dtype", "grad",
           "inference_mode", "input_gradients", "is_anomaly_enabled", "is_grad_enabled", "mark_written", "no_grad",
           "node_gradients", "saved_as_constants", "set_default_dtype", "set_grad_enabled", "unbroadcast",
           "walk_order"]
