"""functional_call: run a Module with parameters and buffers given as a dict, not its own.

This is how the transforms meet modules: `grad(lambda p: loss(functional_call(model, p, (x,))))`
differentiates with respect to the dict. The module's own tensors are put back afterwards. The
module is used through its registries only (`_parameters`, `_buffers`, mirrored in the instance
dict for fast lookup), so the engine needs no import of nn.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Tensor


def _registry_of(module: Any, dotted: str) -> tuple[Any, dict, str]:
    """The submodule and its dict (parameters or buffers) that hold the tensor named `dotted`."""
    *path, name = dotted.split(".")
    owner = module
    for part in path:
        owner = getattr(owner, part, None)
        if owner is None or not hasattr(owner, "_parameters"):
            raise KeyError(f"functional_call: {type(module).__name__} has no submodule {'.'.join(path)!r} "
                           f"(for {dotted!r})")
    for registry in (owner._parameters, owner._buffers):
        if name in registry:
            return owner, registry, name
    raise KeyError(f"functional_call: {type(module).__name__} has no parameter or buffer {dotted!r}; its names are "
                   "those of named_parameters() and named_buffers()")


def functional_call(module: Any, parameter_and_buffer_dicts: dict | tuple | list, args: Any = (),
                    kwargs: dict | None = None, *, tie_weights: bool = True, strict: bool = False) -> Any:
    """torch.func.functional_call: `module(*args, **kwargs)` computed with the tensors of
    `parameter_and_buffer_dicts` (one dict or several) in place of the module's own."""
    dicts = parameter_and_buffer_dicts if isinstance(parameter_and_buffer_dicts, (tuple, list)) else [
        parameter_and_buffer_dicts]
    replacements: dict[str, Any] = {}
    for d in dicts:
        for name, value in d.items():
            if name in replacements:
                raise ValueError(f"functional_call: {name!r} appears in more than one of the dicts")
            if not isinstance(value, Tensor):
                raise TypeError(f"functional_call: {name!r} must be a tensor, got {type(value).__name__}")
            replacements[name] = value
    if strict:
        expected = {n for n, _ in module.named_parameters()} | {n for n, _ in module.named_buffers()}
        missing, unexpected = sorted(expected - replacements.keys()), sorted(replacements.keys() - expected)
        if missing or unexpected:
            raise RuntimeError(f"functional_call: strict=True and the dicts miss {missing}, have unexpected "
                               f"{unexpected}")
    saved: list = []
    try:
        for name, value in replacements.items():
            _swap(*_registry_of(module, name), value, saved)
        if tie_weights:
            _tie(module, replacements, saved)
        return module(*(args if isinstance(args, tuple) else (args,)), **(kwargs or {}))
    finally:
        for owner, registry, key, original, in_dict in reversed(saved):
            registry[key] = original
            if in_dict:
                owner.__dict__[key] = original


def _swap(owner: Any, registry: dict, key: str, value: Tensor, saved: list) -> None:
    """Put `value` under `key` (the registry and its mirror in the instance dict), noting the old one."""
    in_dict = key in owner.__dict__
    saved.append((owner, registry, key, registry[key], in_dict))
    registry[key] = value
    if in_dict:
        owner.__dict__[key] = value


def _tie(module: Any, replacements: dict, saved: list) -> None:
    """A tensor shared under several names (tied weights) is replaced under all of them."""
    by_identity = {id(original): registry[key] for _, registry, key, original, _ in saved}
    for name, param in module.named_parameters(remove_duplicate=False):
        if name not in replacements and id(param) in by_identity:
            _swap(*_registry_of(module, name), by_identity[id(param)], saved)


def stack_module_state(models: Any) -> tuple[dict, dict]:
    """torch.func.stack_module_state: the parameters and buffers of models of one architecture,
    each stacked along a new first axis, for `vmap(functional_call)` over the ensemble. The stacked
    parameters are new leaves (requiring grad where the originals do), the buffers plain tensors."""
    models = list(models)
    if not models:
        raise ValueError("stack_module_state: expects at least one model")
    names = [[n for n, _ in m.named_parameters()] for m in models], [[n for n, _ in m.named_buffers()] for m in models]
    for kind, per_model in zip(("parameters", "buffers"), names):
        if any(n != per_model[0] for n in per_model):
            raise ValueError(f"stack_module_state: the models' {kind} differ ({per_model[0]} and others); stack "
                             "models of one architecture")
    params = {name: _stacked([dict(m.named_parameters())[name] for m in models]) for name in names[0][0]}
    buffers = {name: _stacked([dict(m.named_buffers())[name] for m in models]) for name in names[1][0]}
    for name, value in params.items():
        value.requires_grad_(dict(models[0].named_parameters())[name].requires_grad)
    return params, buffers


def _stacked(tensors: list) -> Tensor:
    return Tensor._make(np.stack([t.detach().numpy() for t in tensors]))
