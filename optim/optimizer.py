"""The `Optimizer` base: parameter groups, per-parameter state, `step`, `zero_grad` and state dicts.

Subclasses implement `_update(values, grad, state, group)` for one parameter, on NumPy arrays: the
base class walks the groups, skips parameters without a gradient and hands over the parameter's
own array (`p.detach().numpy()`, updated in place, in the parameter's dtype) and its gradient's. Layouts and semantics follow `torch.optim.Optimizer`.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from typing import Any, Callable, Iterable

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import Tensor

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]]


class Optimizer:
    """Base of all optimizers: holds `param_groups` (lists of parameters with their options) and `state`."""

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        name = type(self).__name__
        self.defaults = dict(defaults)
        self._check_options(self.defaults)
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        if callable(getattr(params, "parameters", None)):  # a Module given where its parameters belong
            raise TypeError(f"{name}: got the module {type(params).__name__} itself; pass its parameters: "
                            f"{name}(model.parameters(), ...)")
        if isinstance(params, Tensor) or isinstance(params, (set, frozenset, dict)):
            raise TypeError(
                f"{name}: params should be an ordered iterable (list, tuple, generator) of Tensors or of "
                f"dicts, got {type(params).__name__}; wrap a single tensor in a list: [tensor]"
            )
        groups = list(params)
        if not groups:
            raise ValueError(f"{name}: got an empty parameter list; pass model.parameters() or a list of tensors")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # -- hooks for subclasses ------------------------------------------------------------------

    def _check_options(self, options: dict[str, Any]) -> None:
        """Raise ValueError when a hyperparameter is out of range (subclasses check their own)."""

    def _update(self, values: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Update one parameter in place from its gradient (already negated when maximizing)."""
        raise NotImplementedError(f"{type(self).__name__} must implement _update (or override step)")

    def _check_range(self, options: dict[str, Any], key: str, low: float = 0.0, high: float | None = None,
                     high_inclusive: bool = True) -> None:
        """Refuse `options[key]` below `low` or above `high` with a message naming the optimizer."""
        if key not in options:
            return
        value = options[key]
        too_high = high is not None and (value > high if high_inclusive else value >= high)
        if value < low or too_high:
            bound = "" if high is None else (f", {high}]" if high_inclusive else f", {high})")
            expected = f"in [{low}{bound}" if high is not None else f">= {low}"
            raise ValueError(f"{type(self).__name__}: invalid {key} {value!r}; expected a value {expected}")

    # -- parameter groups ----------------------------------------------------------------------

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (missing options take the defaults)."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}.add_param_group: a param group must be a dict with a 'params' key, "
                            f"got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"{name}.add_param_group: the param group has no 'params' key "
                             f"(keys: {sorted(param_group)})")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(f"{name}: parameters must be in an ordered collection (list, tuple), not a set, "
                            "so that the order (and state_dict indices) is the same on every run")
        else:
            params = list(params)
        seen: set[int] = set()
        for i, p in enumerate(params):
            self._check_param(p, i)
            if id(p) in seen:
                raise ValueError(f"{name}: parameter {i} (shape {p.shape}) appears twice in the same param "
                                 "group; pass every parameter once")
            seen.add(id(p))
        for j, group in enumerate(self.param_groups):
            if any(id(p) in seen for p in group["params"]):
                raise ValueError(f"{name}: some parameters already belong to param group {j}; a parameter may "
                                 "appear in only one group")
        group = {"params": params}
        group.update((k, v) for k, v in param_group.items() if k != "params")
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._check_options(group)
        self.param_groups.append(group)

    def _check_param(self, p: Any, index: int) -> None:
        name = type(self).__name__
        if not isinstance(p, Tensor):
            raise TypeError(f"{name}: can only optimize Tensors, but parameter {index} is a {type(p).__name__}")
        if p.dtype.kind != "f":
            raise TypeError(f"{name}: parameter {index} has dtype {p.dtype}; only floating point tensors can "
                            "be optimized (create it with a float dtype)")
        if not p.is_leaf:
            raise ValueError(f"{name}: can't optimize a non-leaf tensor (parameter {index}, shape {p.shape}, "
                             f"made by {p.grad_fn.name()}); optimize the leaf it was computed from, or "
                             "use .detach().requires_grad_() to make a new leaf")

    # -- the update ----------------------------------------------------------------------------

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of all parameters: set them to None (default) or fill them with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                elif grad.grad_fn is None and grad.detach().numpy().flags.writeable:
                    grad.detach().numpy().fill(0)
                else:
                    p.grad = tg.zeros_like(grad)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; `closure` re-evaluates the loss first and its
        value is returned (needed by optimizers that evaluate the loss several times)."""
        loss = None
        if closure is not None:
            with tg.enable_grad():
                loss = closure()
        states = self.state
        with tg.no_grad():
            for group in self.param_groups:
                maximize = group.get("maximize", False)
                for p in group["params"]:
                    grad = p.grad
                    if grad is None:
                        continue
                    grad, data = grad.detach().numpy(), p.detach().numpy()
                    if grad.shape != data.shape:
                        raise RuntimeError(f"{type(self).__name__}.step: a gradient of shape {grad.shape} for a "
                                           f"parameter of shape {data.shape}; gradients must match their parameter")
                    if grad.dtype != data.dtype:
                        grad = grad.astype(data.dtype)
                    if maximize:
                        grad = -grad
                    state = states.get(p) or {}
                    self._update(data, grad, state, group)
                    tg.autograd.mark_written(p)  # graphs that saved p before this step must not backprop
                    if state:
                        states[p] = state
                    else:  # stateless rules (plain SGD) leave no entry, as in PyTorch
                        states.pop(p, None)
        return loss

    # -- checkpoints ---------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """A snapshot in PyTorch's layout: {'state': {index: {...}}, 'param_groups': [{..., 'params': [index]}]}.

        Parameters are numbered in group order; state tensors are copies, so the snapshot does not
        change as training goes on.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {
            index[id(p)]: {k: tg.tensor(v.data) if isinstance(v, Tensor) else copy.deepcopy(v) for k, v in s.items()}
            for p, s in self.state.items() if id(p) in index
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore options and state saved by `state_dict` so that training resumes exactly.

        The optimizer must have been built over the same parameters (same group sizes, same order).
        """
        name = type(self).__name__
        if not isinstance(state_dict, dict) or "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError(f"{name}.load_state_dict: expected a dict with 'state' and 'param_groups' keys")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the state dict has {len(saved_groups)} param groups, this "
                             f"optimizer has {len(self.param_groups)}")
        by_index: dict[int, Tensor] = {}
        for j, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(f"{name}.load_state_dict: param group {j} has {len(saved['params'])} parameters "
                                 f"in the state dict but {len(group['params'])} in this optimizer")
            for saved_index, p in zip(saved["params"], group["params"]):
                by_index[int(saved_index)] = p
        new_state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for key, values in state_dict["state"].items():
            if int(key) not in by_index:
                raise ValueError(f"{name}.load_state_dict: state for parameter index {key}, which no param group "
                                 f"lists (known indices: {sorted(by_index)})")
            p = by_index[int(key)]
            new_state[p] = {k: self._load_state_value(k, v, p) for k, v in values.items()}
        new_options = []
        for saved in saved_groups:
            options = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
            for key, value in self.defaults.items():  # options newer than the checkpoint
                options.setdefault(key, value)
            self._check_options(options)
            new_options.append(options)
        for group, options in zip(self.param_groups, new_options):
            params = group["params"]
            group.clear()
            group["params"] = params
            group.update(options)
        self.state = new_state

    def _load_state_value(self, key: str, value: Any, p: Tensor) -> Any:
        """Copy one saved state entry: counts stay numbers, arrays become tensors of the parameter's dtype."""
        if key == "step":
            return int(value)
        if not isinstance(value, Tensor) and not hasattr(value, "__array__"):
            return copy.deepcopy(value)
        arr = np.array(np.asarray(value), copy=True)
        if arr.dtype.kind == "f":
            arr = arr.astype(p.dtype, copy=False)
        if arr.shape != p.shape:
            raise ValueError(f"{type(self).__name__}.load_state_dict: state '{key}' has shape {arr.shape} but its "
                             f"parameter has shape {p.shape}; the state dict belongs to a different model")
        return tg.tensor(arr)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {key}: {group[key]}" for key in sorted(group) if key != "params")
        lines.append(")")
        return "\n".join(lines)
