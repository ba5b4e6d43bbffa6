"""`tinygrad_edu.utils`: PyTorch's module paths, so `from torch.utils.data import DataLoader` runs
with `import tinygrad_edu as torch` (the classes themselves live in `tinygrad_edu.data`)."""

from . import data

__all__ = ["data"]
