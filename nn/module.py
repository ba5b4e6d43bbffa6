"""Module and Parameter: the containers that hold a model's parameters, buffers and submodules.

Attribute assignment registers a `Parameter`, a `Module` or (via `register_buffer`) a buffer, in
the order of assignment, so `state_dict` keys and layouts equal PyTorch's (`fc1.weight`, ...).
Registered values are also kept in the instance dict, so `self.weight` is a plain attribute lookup.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable, Iterator, NamedTuple

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import Tensor


class Parameter(Tensor):
    """A Tensor that a Module registers as a learnable parameter (requires grad by default).

    Python data becomes the default float dtype in force when the Parameter is created; Tensors
    and NumPy arrays keep their dtype.
    """

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        super().__init__(np.zeros(0, dtype=tg.get_default_dtype()) if data is None else data,
                         requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class _IncompatibleKeys(NamedTuple):
    """What `load_state_dict(strict=False)` could not match."""

    missing_keys: list[str]
    unexpected_keys: list[str]


def _count(n: int) -> str:
    return f"{n:,} parameter" + ("" if n == 1 else "s")


class Module:
    """Base class of every layer and model: subclasses set attributes in `__init__` and define `forward`."""

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", OrderedDict())

    # -- registration --------------------------------------------------------------------------

    def _check_initialized(self, name: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() call; call super().__init__() first "
                f"in {type(self).__name__}.__init__"
            )

    def __setattr__(self, name: str, value: Any) -> None:
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            self._check_initialized(name)
            self._forget(name)
            self._store(params, name, value)
        elif isinstance(value, Module):
            self._check_initialized(name)
            self._forget(name)
            self._store(self._modules, name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as parameter {name!r} of {type(self).__name__} "
                    "(a Parameter or None is expected); wrap it with nn.Parameter(...)"
                )
            self._store(params, name, None)
        elif params is not None and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module {name!r} (Module or None expected)")
            self._store(self._modules, name, None)
        elif params is not None and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} as buffer {name!r} (Tensor or None expected)")
            self._store(self._buffers, name, value)
        else:
            object.__setattr__(self, name, value)

    def _store(self, registry: dict, name: str, value: Any) -> None:
        """Put `value` in `registry` and, unless the class defines `name`, in the instance dict, where
        attribute lookup finds it without the `__getattr__` fallback. Every change of a registry goes
        through `_store` or `_drop`, so the two always agree."""
        registry[name] = value
        if not hasattr(type(self), name):
            self.__dict__[name] = value

    def _drop(self, registry: dict, name: str) -> None:
        """Remove `name` from `registry` (KeyError if absent) and from the instance dict."""
        del registry[name]
        self.__dict__.pop(name, None)

    def _forget(self, name: str) -> None:
        """Remove `name` from every registry and the instance dict before re-registering it."""
        self.__dict__.pop(name, None)
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        self._non_persistent_buffers.discard(name)

    def __getattr__(self, name: str) -> Any:
        for registry in ("_parameters", "_buffers", "_modules"):
            values = self.__dict__.get(registry)
            if values is not None and name in values:
                return values[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                self._drop(registry, name)
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def _check_name(self, name: Any, kind: str) -> None:
        self._check_initialized(str(name))
        if not isinstance(name, str):
            raise TypeError(f"{kind} name must be a string, got {type(name).__name__}")
        if "." in name or name == "":
            raise KeyError(f"{kind} name can't be empty or contain '.', got {name!r}")
        if name in self.__dict__ and not any(name in r for r in (self._parameters, self._buffers, self._modules)):
            raise KeyError(f"attribute {name!r} already exists on {type(self).__name__}")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register `param` (or None, a declared but absent parameter) under `name`."""
        self._check_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign {type(param).__name__} as parameter {name!r} (nn.Parameter or None expected)")
        self._forget(name)
        self._store(self._parameters, name, param)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register state that is not learned (e.g. BatchNorm's running mean); persistent buffers
        go into the state_dict."""
        self._check_name(name, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign {type(tensor).__name__} as buffer {name!r} (Tensor or None expected)")
        self._forget(name)
        self._store(self._buffers, name, tensor)
        if not persistent:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register `module` as a child under `name`."""
        self._check_name(name, "module")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._forget(name)
        self._store(self._modules, name, module)

    register_module = add_module

    # -- running -------------------------------------------------------------------------------

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no forward(); define forward(self, ...) in the subclass")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def train(self, mode: bool = True) -> Module:
        """Set training mode (Dropout active, BatchNorm uses batch statistics) recursively."""
        if not isinstance(mode, bool):
            raise ValueError(f"train: mode is expected to be a bool, got {mode!r}")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """Set evaluation mode (Dropout is the identity, BatchNorm uses running statistics)."""
        return self.train(False)

    # -- traversal -----------------------------------------------------------------------------

    def named_modules(self, memo: set | None = None, prefix: str = "", remove_duplicate: bool = True
                      ) -> Iterator[tuple[str, Module]]:
        """This module and all descendants with dotted names, each once."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(memo, prefix + ("." if prefix else "") + name, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry: str, prefix: str, recurse: bool, remove_duplicate: bool = True
                       ) -> Iterator[tuple[str, Tensor]]:
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield module_prefix + ("." if module_prefix else "") + name, value

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
                         ) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs; a parameter shared between modules appears once."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
                      ) -> Iterator[tuple[str, Tensor]]:
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call `fn` on every submodule (children first) and then on this module, e.g. for init."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Switch gradient tracking of every parameter (freeze with False)."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def to(self, *args: Any, dtype: Any = None, device: Any = None, non_blocking: bool = False) -> Module:
        """Convert floating-point parameters, gradients and buffers to `dtype`, in place, as
        PyTorch's `to(dtype)`, `to(device)`, `to(device, dtype)` or `to(tensor)`; the only device
        is the CPU, so a device argument changes nothing (a GPU one raises)."""
        for arg in args:
            if isinstance(arg, Tensor):
                dtype = arg.dtype
            elif isinstance(arg, (str, tg.device)):
                device = arg
            else:
                dtype = arg
        if device is not None:
            tg.device(device)  # raises, naming what to do, for anything but the CPU
        if dtype is None:
            return self
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"{type(self).__name__}.to: only floating dtypes are supported, got {dtype}")
        for tensor in list(self.parameters()) + list(self.buffers()):
            if tensor.dtype.kind == "f":
                tensor.data = tensor.data.astype(dtype)
                if tensor.grad is not None:
                    tensor.grad = tensor.grad.detach().astype(dtype)
        return self

    def cpu(self) -> Module:
        """The module itself: it lives on the CPU."""
        return self

    def double(self) -> Module:
        return self.to(np.float64)

    def float(self) -> Module:
        return self.to(np.float32)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget accumulated gradients: set `.grad` to None (default) or fill it with zeros."""
        for param in self.parameters():
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                param.grad = param.grad.detach()
                with tg.no_grad():
                    param.grad.zero_()

    # -- state dict ----------------------------------------------------------------------------

    def state_dict(self, destination: dict | None = None, prefix: str = "", keep_vars: bool = False
                   ) -> OrderedDict:
        """Parameters and persistent buffers by dotted name (each module's parameters, then its
        buffers, then its children), as detached tensors sharing memory with the model."""
        if destination is None:
            destination = OrderedDict()
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers:
                destination[prefix + name] = buffer if keep_vars else buffer.detach()
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination, prefix + name + ".", keep_vars)
        return destination

    def load_state_dict(self, state_dict: dict, strict: bool = True) -> _IncompatibleKeys:
        """Copy values (Tensors, NumPy arrays, anything array-like) into the parameters and buffers.

        Shape mismatches always raise; missing and unexpected keys raise when `strict`, else they
        are returned. Nothing is modified when an error is raised.
        """
        if not isinstance(state_dict, dict):
            raise TypeError(f"load_state_dict: expected a dict, got {type(state_dict).__name__}")
        own = self.state_dict(keep_vars=True)
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        mismatched = []
        values = {}
        for key, target in own.items():
            if key not in state_dict:
                continue
            source = state_dict[key]
            array = np.asarray(source)
            if array.shape != target.shape:
                mismatched.append(
                    f"size mismatch for {key}: copying a param with shape {array.shape} from checkpoint, "
                    f"the shape in current model is {target.shape}"
                )
            elif array.dtype.kind not in "fiub":
                mismatched.append(f"invalid value for {key}: dtype {array.dtype} cannot be loaded")
            values[key] = array
        errors = []
        if strict and unexpected:
            errors.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ".")
        if strict and missing:
            errors.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ".")
        errors.extend(mismatched)
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(errors)
            )
        with tg.no_grad():
            for key, array in values.items():
                own[key].copy_(array)
        return _IncompatibleKeys(missing, unexpected)

    # -- repr ----------------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr (its constructor arguments)."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        if not self._modules:
            return f"{type(self).__name__}({extra})"
        lines = extra.split("\n") if extra else []
        for name, module in self._modules.items():
            child = repr(module).replace("\n", "\n  ")
            lines.append(f"({name}): {child}")
        total = sum(p.size for p in self.parameters())
        body = "\n  ".join(lines)
        return f"{type(self).__name__}(  # {_count(total)}\n  {body}\n)"

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))
