"""`DataLoader`: iterate a dataset in (optionally shuffled) mini-batches collated into Tensors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from .. import random
from ..creation import from_numpy, tensor
from ..ops.shape import stack
from ..autograd.tensor import Tensor
from .dataset import Dataset, TensorDataset


def default_collate(batch: list) -> Any:
    """Stack a list of samples into a batch, keeping the samples' structure (tuple, list, dict).

    Tensors are stacked keeping their dtype, NumPy arrays and scalars likewise; Python floats become the
    default float dtype, ints int64, bools bool; strings and other objects stay a list.
    """
    if not batch:
        raise ValueError("default_collate: cannot collate an empty batch")
    first = batch[0]
    if isinstance(first, Tensor):
        return stack(batch)
    if isinstance(first, (np.ndarray, np.generic)):
        return from_numpy(np.stack(batch))
    if isinstance(first, (bool, int, float)):
        return tensor(batch)
    if isinstance(first, Mapping):
        return {key: default_collate([sample[key] for sample in batch]) for key in first}
    if isinstance(first, (tuple, list)):
        if any(len(sample) != len(first) for sample in batch):
            raise ValueError(f"default_collate: samples in a batch must have the same number of fields, "
                             f"got {sorted({len(sample) for sample in batch})}")
        return tuple(default_collate(list(field)) for field in zip(*batch))
    return list(batch)


class DataLoader:
    """Iterate `dataset` in batches of `batch_size`, like PyTorch's DataLoader, with its arguments.

    A dataset whose samples are tuples (e.g. `TensorDataset(X, y)`) yields tuples of Tensors `(xb, yb)`.
    `shuffle=True` draws a new permutation every epoch from `generator` (a `tg.Generator` or a NumPy
    one), by default the library generator, so `tg.manual_seed` makes the epochs reproducible.
    `sampler` (indices) or `batch_sampler` (lists of indices) choose the order instead. Batches are
    loaded in this process: `num_workers`, `pin_memory` and the other worker options are accepted
    and change nothing. `len(loader)` is the number of batches.
    """

    def __init__(self, dataset: Dataset, batch_size: int | None = 1, shuffle: bool | None = False,
                 sampler: Iterable[int] | None = None, batch_sampler: Iterable[list] | None = None,
                 num_workers: int = 0, collate_fn: Callable[[list], Any] | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn: Callable | None = None, *,
                 generator: Any = None, prefetch_factor: int | None = None, persistent_workers: bool = False) -> None:
        if batch_sampler is not None:
            if sampler is not None or shuffle or drop_last or batch_size not in (1, None):
                raise ValueError("DataLoader: batch_sampler excludes batch_size, shuffle, sampler and drop_last")
            batch_size = 1
        elif isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler and shuffle=True exclude each other; the sampler sets the order")
        if isinstance(num_workers, bool) or not isinstance(num_workers, (int, np.integer)) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be a non-negative int, got {num_workers!r}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = int(num_workers)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn
        self.generator = generator

    def __len__(self) -> int:
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _batch_indices(self) -> Iterator[np.ndarray]:
        if self.batch_sampler is not None:
            for batch in self.batch_sampler:
                yield np.asarray(list(batch), dtype=np.int64)
            return
        if self.sampler is not None:
            order = np.asarray([int(i) for i in self.sampler], dtype=np.int64)
        elif self.shuffle:
            order = random.generator(self.generator).permutation(len(self.dataset))
        else:
            order = np.arange(len(self.dataset))
        n = len(order)
        stop = n - n % self.batch_size if self.drop_last else n
        for start in range(0, stop, self.batch_size):
            yield order[start:start + self.batch_size]

    def __iter__(self) -> Iterator[Any]:
        if self.collate_fn is None and isinstance(self.dataset, TensorDataset):
            for indices in self._batch_indices():
                yield tuple(t[indices] for t in self.dataset.tensors)
            return
        collate = self.collate_fn or default_collate
        for indices in self._batch_indices():
            yield collate([self.dataset[int(i)] for i in indices])
