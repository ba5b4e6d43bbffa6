"""Data loading: `Dataset`, `TensorDataset`, `DataLoader`, and `datasets` (toy sets, MNIST, FashionMNIST).

    from tinygrad_edu.data import DataLoader, TensorDataset, datasets
    X, y = datasets.spiral(100, 3)
    for xb, yb in DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True): ...
"""

from . import datasets
from .dataloader import DataLoader, default_collate
from .dataset import Dataset, Subset, TensorDataset, random_split
from .mnist import read_idx

__all__ = ["DataLoader", "Dataset", "Subset", "TensorDataset", "datasets", "default_collate", "random_split",
           "read_idx"]
