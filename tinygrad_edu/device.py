"""The device layer of a CPU-only engine, so that PyTorch's device lines run unchanged.

Everything lives in NumPy arrays on the CPU: `device("cpu")` is the one device, `cuda.is_available()`
answers False, and asking for a GPU raises an error that says what to do instead.
"""

from __future__ import annotations

from typing import Any


class device:  # noqa: N801 (PyTorch's name)
    """A device as PyTorch names it: `device("cpu")`, `device("cpu", 0)`, `device("cpu:0")`."""

    __slots__ = ("type", "index")

    def __init__(self, type: Any, index: int | None = None) -> None:  # noqa: A002 (PyTorch's name)
        if isinstance(type, device):
            type, index = type.type, type.index
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string such as 'cpu', got {type!r}")
        name, _, number = type.partition(":")
        if number:
            if not number.isdigit() or index is not None:
                raise RuntimeError(f"device: invalid device string {type!r}")
            index = int(number)
        if name != "cpu":
            raise RuntimeError(
                f"device: {type!r} is not available: tinygrad_edu computes on the CPU with NumPy "
                "(cuda.is_available() is False); use 'cpu', or move a model to PyTorch for a GPU"
            )
        self.type = name
        self.index = index

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except RuntimeError:
                return False
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"


CPU = device("cpu")


def check_device(where: Any, op: str) -> None:
    """Accept None, "cpu" or a cpu device for a `device=` argument; refuse anything else."""
    if where is None or where is CPU:
        return
    try:
        device(where)
    except (RuntimeError, TypeError) as err:
        raise type(err)(f"{op}: {err}") from None


def is_device(value: Any) -> bool:
    """Whether `value` names a device (a device or a string such as "cpu" or "cuda:0")."""
    return isinstance(value, device) or (isinstance(value, str) and value.split(":")[0] in
                                         ("cpu", "cuda", "mps", "xla", "meta", "xpu"))


def tensor_device(x: Any) -> device:
    """`x.device`: always the CPU."""
    return CPU


def tensor_is_cuda(x: Any) -> bool:
    """`x.is_cuda`: always False."""
    return False


class cuda:  # noqa: N801 (PyTorch's module name)
    """`tg.cuda`: PyTorch's CUDA queries, answered for a machine without one."""

    @staticmethod
    def is_available() -> bool:
        return False

    @staticmethod
    def device_count() -> int:
        return 0

    @staticmethod
    def manual_seed(seed: int) -> None:
        """Nothing to seed: there is no CUDA generator (tg.manual_seed seeds everything)."""

    manual_seed_all = manual_seed


class accelerator:  # noqa: N801 (PyTorch's module name)
    """`tg.accelerator`: PyTorch's device-agnostic queries (`torch.accelerator.is_available()`),
    answered for a machine with no accelerator, so the tutorials' device line picks "cpu"."""

    @staticmethod
    def is_available() -> bool:
        return False

    @staticmethod
    def device_count() -> int:
        return 0

    @staticmethod
    def current_accelerator() -> None:
        """None: there is no accelerator (PyTorch answers the same on a CPU-only machine)."""
        return None
