"""Moving models and tensors to PyTorch and back: `tg.to_torch(obj)` and `tg.from_torch(obj)`.

A model prototyped here moves to PyTorch (and so to its GPUs and distributed training) in one
call. A layer is rebuilt from its constructor arguments, which both libraries store under the
same attribute names, and then given copies of the same parameters and buffers, its children and
its train/eval mode. PyTorch is imported only inside these functions: it is not a dependency.

A module with a forward() of its own is refused with a TypeError rather than translated: its
code may use NumPy-meaning spellings (`x.var(axis=0)`) that PyTorch would run with another
meaning, silently. Define the same class with PyTorch and move its state dict instead:
`torch_model.load_state_dict(tg.to_torch(model.state_dict()))`.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from .autograd import Tensor

# The constructor arguments of every convertible class, by class name: each is read from the
# module's attribute of the same name. `bias` is the exception: True when the module has a bias
# parameter. A tensor argument (a loss's class weights) is converted too. Containers and plain
# `Module`s take no arguments: their children, parameters and buffers are copied after building.
LAYER_ARGUMENTS: dict[str, tuple[str, ...]] = {
    "Module": (), "Sequential": (), "ModuleList": (), "ModuleDict": (), "Identity": (),
    "Linear": ("in_features", "out_features", "bias"),
    "Conv2d": ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias",
               "padding_mode"),
    "MaxPool2d": ("kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"),
    "AvgPool2d": ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"),
    "AdaptiveAvgPool1d": ("output_size",),
    "AdaptiveAvgPool2d": ("output_size",),
    "Flatten": ("start_dim", "end_dim"),
    "BatchNorm1d": ("num_features", "eps", "momentum", "affine", "track_running_stats", "bias"),
    "BatchNorm2d": ("num_features", "eps", "momentum", "affine", "track_running_stats", "bias"),
    "LayerNorm": ("normalized_shape", "eps", "elementwise_affine", "bias"),
    "Dropout": ("p", "inplace"),
    "Embedding": ("num_embeddings", "embedding_dim", "padding_idx"),
    "ReLU": ("inplace",), "Sigmoid": (), "Tanh": (),
    "LeakyReLU": ("negative_slope", "inplace"),
    "GELU": ("approximate",),
    "ELU": ("alpha", "inplace"),
    "Softplus": ("beta", "threshold"),
    "Softmax": ("dim",), "LogSoftmax": ("dim",),
    "MSELoss": ("reduction",), "L1Loss": ("reduction",),
    "HuberLoss": ("reduction", "delta"), "SmoothL1Loss": ("reduction", "beta"),
    "CrossEntropyLoss": ("weight", "ignore_index", "reduction", "label_smoothing"),
    "NLLLoss": ("weight", "ignore_index", "reduction"),
    "BCELoss": ("weight", "reduction"),
    "BCEWithLogitsLoss": ("weight", "reduction", "pos_weight"),
    "KLDivLoss": ("reduction", "log_target"),
}

# Options PyTorch's layers have and tinygrad_edu's do not, with the value that switches them off:
# a PyTorch module that uses one has no equivalent here.
TORCH_ONLY_OPTIONS: dict[str, dict[str, Any]] = {
    "Embedding": {"max_norm": None, "scale_grad_by_freq": False, "sparse": False},
}


# PyTorch's registries of forward and backward hooks: code that runs around forward, not converted
_HOOKS = ("_forward_pre_hooks", "_forward_hooks", "_backward_pre_hooks", "_backward_hooks")


def _import_torch(caller: str) -> Any:
    """PyTorch, imported on first use; a clear ImportError when it is not installed."""
    try:
        import torch
    except ImportError as err:
        raise ImportError(f"tg.{caller} needs PyTorch, which is not installed (tinygrad_edu does not depend on "
                          "it): install PyTorch (see https://pytorch.org/get-started/locally/), "
                          "then call it again") from err
    return torch


@dataclass(frozen=True)
class _Direction:
    """One way of converting: where the model's classes come from, where the new ones come from,
    and how one tensor crosses over."""

    caller: str  # "to_torch" or "from_torch", for messages
    source: Any  # the nn namespace of the model being converted
    target: Any  # the nn namespace the converted model is built from
    source_tensor: type  # the tensor class of the source library
    convert_tensor: Callable[[Any], Any]  # one tensor (or Parameter) into the target library
    weights_advice: str  # how to move the weights of a model that does not convert

    @property
    def source_library(self) -> str:
        return self.source.__name__.partition(".")[0]

    @property
    def target_library(self) -> str:
        return self.target.__name__.partition(".")[0]


def _tensor_to_torch(torch: Any, nn: Any, tensor: Tensor) -> Any:
    """A PyTorch copy of `tensor`: same values, dtype and requires_grad; a Parameter stays one."""
    copy = torch.from_numpy(np.array(tensor.detach().numpy(), order="C"))
    if isinstance(tensor, nn.Parameter):
        return torch.nn.Parameter(copy, requires_grad=tensor.requires_grad)
    return copy.requires_grad_(tensor.requires_grad)


def _tensor_from_torch(torch: Any, nn: Any, tensor: Any) -> Tensor:
    """A tinygrad_edu copy of a PyTorch tensor (on any device): same values, dtype and requires_grad."""
    try:
        array = tensor.detach().cpu().numpy()
    except TypeError as err:
        raise TypeError(f"from_torch: PyTorch dtype {tensor.dtype} has no NumPy counterpart; convert the tensor "
                        "first, e.g. tensor.float()") from err
    if isinstance(tensor, torch.nn.Parameter):
        return nn.Parameter(array, requires_grad=tensor.requires_grad)
    return Tensor(array, requires_grad=tensor.requires_grad)


def _memoized(convert: Callable[..., Any]) -> Callable[..., Any]:
    """`convert` that gives the same result for the same first argument, so a module or tensor that
    a model holds twice (a reused layer, tied weights) is converted once and stays shared."""
    done: dict[int, tuple[Any, Any]] = {}

    def convert_once(value: Any, *args: Any) -> Any:
        if id(value) not in done:
            done[id(value)] = (value, convert(value, *args))  # the source is kept so that its id stays unique
        return done[id(value)][1]

    return convert_once


def _known_class(module: Any, path: str, way: _Direction) -> str:
    """The name of the convertible class `module` is (or inherits from without a forward of its own)."""
    cls = type(module)
    known = next(base for base in cls.__mro__  # Module itself is in the table, so one is found
                 if base.__name__ in LAYER_ARGUMENTS and getattr(way.source, base.__name__, None) is base)
    name = known.__name__
    where = f"{path} ({cls.__module__}.{cls.__qualname__})"
    if cls.forward is not known.forward:
        defines_forward = next(base for base in cls.__mro__ if "forward" in base.__dict__)
        if defines_forward.__module__.startswith(way.source_library + "."):
            raise TypeError(f"{way.caller}: {where} is a {way.source_library} layer with no conversion rule; "
                            f"the convertible classes are {', '.join(sorted(LAYER_ARGUMENTS))}")
        raise TypeError(
            f"{way.caller}: {where} defines its own forward(), which is not translated: its code may use "
            f"spellings that mean something else in {way.target_library} (x.var(axis=0) divides by n in "
            "tinygrad_edu, by n - 1 in torch). Build it from nn layers and containers (nn.Sequential, ...), or "
            f"define the same class with {way.target_library}.nn and copy the weights: {way.weights_advice}")
    if getattr(way.target, name, None) is None:
        raise TypeError(f"{way.caller}: {where} has no counterpart in {way.target.__name__} (no class {name})")
    hooks = [kind for kind in _HOOKS if getattr(module, kind, None)]
    if hooks:
        raise TypeError(f"{way.caller}: {where} has hooks ({', '.join(hooks)}), which are not converted; remove "
                        "them (handle.remove()) before converting and register them again on the result")
    for option, off in TORCH_ONLY_OPTIONS.get(name, {}).items():
        value = getattr(module, option, off)
        if value != off:
            raise TypeError(f"{way.caller}: {where} uses {option}={value!r}, which tinygrad_edu's {name} does not "
                            f"support; only {option}={off!r} converts")
    return name


def _argument(module: Any, argument: str, way: _Direction) -> Any:
    """One constructor argument of the rebuilt module, read from the source module."""
    if argument == "bias":
        return getattr(module, "bias", None) is not None
    value = getattr(module, argument)
    if isinstance(value, way.source_tensor):
        return way.convert_tensor(value)
    return value


def _persistent(module: Any, buffer: str) -> bool:
    """Whether `buffer` goes into the state dict (the two libraries name the set of exceptions differently)."""
    exceptions = getattr(module, "_non_persistent_buffers_set", None)
    if exceptions is None:
        exceptions = module._non_persistent_buffers
    return buffer not in exceptions


def _convert_module(module: Any, path: str, way: _Direction, convert_module: Callable[[Any, str], Any]) -> Any:
    """Rebuild `module` in the target library: constructor arguments, then children, parameters,
    buffers and train/eval mode, each copied in the source's order."""
    name = _known_class(module, path, way)
    converted = getattr(way.target, name)(**{arg: _argument(module, arg, way) for arg in LAYER_ARGUMENTS[name]})
    for child_name, child in module._modules.items():
        converted.add_module(child_name, None if child is None else convert_module(child, f"{path}.{child_name}"))
    for param_name, param in module._parameters.items():
        converted.register_parameter(param_name, None if param is None else way.convert_tensor(param))
    for buffer_name, buffer in module._buffers.items():
        converted.register_buffer(buffer_name, None if buffer is None else way.convert_tensor(buffer),
                                  persistent=_persistent(module, buffer_name))
    for registry in ("_parameters", "_buffers"):
        left_over = [key for key, value in getattr(converted, registry).items()
                     if value is not None and key not in getattr(module, registry)]
        if left_over:
            raise TypeError(f"{way.caller}: {path} ({type(module).__qualname__}) has no {', '.join(left_over)}, "
                            f"which a new {name} has: it was changed after construction and cannot be rebuilt")
    converted.training = module.training
    return converted


def _convert(obj: Any, way: _Direction, module_class: type) -> Any:
    """Convert a module tree, a tensor or a mapping of tensors (a state dict), keeping what is
    shared shared."""
    convert_module = _memoized(lambda module, path: _convert_module(module, path, way, convert_module))
    if isinstance(obj, module_class):
        return convert_module(obj, "model")
    if isinstance(obj, way.source_tensor):
        return way.convert_tensor(obj)
    if isinstance(obj, Mapping) and all(isinstance(v, way.source_tensor) for v in obj.values()):
        return OrderedDict((key, way.convert_tensor(value)) for key, value in obj.items())
    raise TypeError(f"{way.caller}: expected a Module, a Tensor or a state dict of Tensors of "
                    f"{way.source_library}, got {type(obj).__name__}")


def to_torch(obj: Any) -> Any:
    """A PyTorch copy of a tinygrad_edu Module (an equivalent `torch.nn.Module`), Tensor (same dtype
    and requires_grad, a leaf) or state dict, so a model prototyped here trains on in PyTorch."""
    torch = _import_torch("to_torch")
    from . import nn

    way = _Direction("to_torch", nn, torch.nn, Tensor, _memoized(lambda t: _tensor_to_torch(torch, nn, t)),
                     "torch_model.load_state_dict(tg.to_torch(model.state_dict()))")
    return _convert(obj, way, nn.Module)


def from_torch(obj: Any) -> Any:
    """A tinygrad_edu copy of a PyTorch `nn.Module`, tensor (same dtype and requires_grad, a leaf) or
    state dict: the reverse of `to_torch`, to look inside a PyTorch model with this engine's tools."""
    torch = _import_torch("from_torch")
    from . import nn

    way = _Direction("from_torch", torch.nn, nn, torch.Tensor, _memoized(lambda t: _tensor_from_torch(torch, nn, t)),
                     "model.load_state_dict(tg.from_torch(torch_model.state_dict()))")
    return _convert(obj, way, torch.nn.Module)
