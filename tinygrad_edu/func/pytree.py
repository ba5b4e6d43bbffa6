"""Pytrees: nested tuples, lists and dicts of tensors, flattened to a list of leaves and back.

Every transform of `tinygrad_edu.func` accepts and returns pytrees, as torch.func does: a model's
parameters as a dict, several outputs as a tuple. A transform flattens its arguments, works on the
leaves (the tensors) and rebuilds the same structure around its results.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

@dataclass(frozen=True)
class TreeSpec:
    """The shape of a pytree without its leaves: a container type, its keys and children specs
    (`kind` None marks a leaf)."""

    kind: type | None
    keys: tuple = ()
    children: tuple = ()

    @property
    def num_leaves(self) -> int:
        return 1 if self.kind is None else sum(child.num_leaves for child in self.children)


LEAF = TreeSpec(None)


def tree_flatten(tree: Any) -> tuple[list, TreeSpec]:
    """The leaves of `tree` in order (dicts by insertion order) and the spec that rebuilds it."""
    if isinstance(tree, dict):
        keys = tuple(tree)
        flat = [tree_flatten(tree[k]) for k in keys]
        return [leaf for leaves, _ in flat for leaf in leaves], TreeSpec(dict, keys, tuple(s for _, s in flat))
    if isinstance(tree, (tuple, list)) and not hasattr(tree, "_fields"):  # named tuples stay leaves
        flat = [tree_flatten(child) for child in tree]
        return [leaf for leaves, _ in flat for leaf in leaves], TreeSpec(type(tree), (), tuple(s for _, s in flat))
    return [tree], LEAF


def tree_unflatten(leaves: list, spec: TreeSpec) -> Any:
    """The pytree of structure `spec` holding `leaves` (the inverse of tree_flatten)."""
    if len(leaves) != spec.num_leaves:
        raise ValueError(f"tree_unflatten: the spec has {spec.num_leaves} leaves but {len(leaves)} were given")
    return _build(iter(leaves), spec)


def _build(leaves: Any, spec: TreeSpec) -> Any:
    if spec.kind is None:
        return next(leaves)
    children = [_build(leaves, child) for child in spec.children]
    if spec.kind is dict:
        return dict(zip(spec.keys, children))
    return spec.kind(children)


def tree_map(fn: Callable[..., Any], tree: Any, *others: Any) -> Any:
    """Apply `fn` to every leaf of `tree` (and the matching leaves of `others`, of the same structure)."""
    leaves, spec = tree_flatten(tree)
    rest = []
    for other in others:
        other_leaves, other_spec = tree_flatten(other)
        if other_spec != spec:
            raise ValueError("tree_map: the pytrees do not have the same structure")
        rest.append(other_leaves)
    return tree_unflatten([fn(*xs) for xs in zip(leaves, *rest)], spec)
