"""Datasets: the abstract `Dataset`, `TensorDataset` over equally long tensors, `Subset` and `random_split`."""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from .. import random
from ..autograd.tensor import Tensor


class Dataset:
    """A map-style dataset: `dataset[i]` gives sample `i` and `len(dataset)` how many there are."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index)")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__()")


class TensorDataset(Dataset):
    """Samples are the rows of several tensors sharing their first dimension, e.g. `TensorDataset(X, y)`.

    Arrays and nested lists are converted with `tg.tensor`'s dtype rules.
    """

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset: pass at least one tensor, e.g. TensorDataset(X, y)")
        self.tensors = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in tensors)
        for position, t in enumerate(self.tensors):
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: tensor {position} is a scalar; every tensor needs a first "
                                 "dimension that indexes the samples")
        sizes = [t.shape[0] for t in self.tensors]
        if len(set(sizes)) != 1:
            shapes = ", ".join(str(t.shape) for t in self.tensors)
            raise ValueError(f"TensorDataset: all tensors must have the same size in their first dimension, "
                             f"got shapes {shapes}")

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = [int(i) for i in indices]

    def __getitem__(self, index: int) -> Any:
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


def random_split(dataset: Dataset, lengths: Sequence[float], generator: np.random.Generator | None = None
                 ) -> list[Subset]:
    """Split `dataset` into non-overlapping random subsets of the given lengths (or fractions summing to 1).

    Like PyTorch: fractions are floored and the remaining samples go one each to the first subsets.
    Randomness comes from `generator`, by default the library generator (`tg.manual_seed`).
    """
    total = len(dataset)
    if lengths and all(0 <= f <= 1 for f in lengths) and math.isclose(sum(lengths), 1) and sum(lengths) != total:
        sizes = [int(math.floor(total * f)) for f in lengths]
        for i in range(total - sum(sizes)):
            sizes[i % len(sizes)] += 1
    else:
        sizes = [int(n) for n in lengths]
        if any(n != length or n < 0 for n, length in zip(sizes, lengths)) or sum(sizes) != total:
            raise ValueError(f"random_split: lengths {list(lengths)} must be non-negative ints summing to the "
                             f"dataset size {total}, or fractions summing to 1")
    order = (generator or random.generator()).permutation(total)
    subsets, start = [], 0
    for size in sizes:
        subsets.append(Subset(dataset, order[start:start + size]))
        start += size
    return subsets
