"""MNIST and FashionMNIST: an IDX-format reader and a downloader with mirrors, SHA-256 checks and a cache.

Files are looked up in `<root>/MNIST` (or `<root>/FashionMNIST`), gzipped or unpacked, where `root` is the
argument, else the `TINYGRAD_EDU_DATA` environment variable, else the platform cache directory.
"""

from __future__ import annotations

import gzip
import http.client
import hashlib
import os
import sys
import urllib.request
import zlib
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..autograd.dtypes import get_default_dtype
from ..autograd.tensor import Tensor
from .dataset import Dataset

IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801

# IDX type code (third byte of the magic number) -> big-endian NumPy dtype.
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}

_DOWNLOAD_CHUNK = 1 << 16


def read_idx(path: str | os.PathLike, expected_magic: int | None = None) -> np.ndarray:
    """Read an IDX file (gzipped or raw) into an array of its shape, in native byte order.

    Raises ValueError naming the file for a bad magic number, a truncated or oversized body, or a
    corrupt gzip stream.
    """
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (EOFError, OSError, zlib.error) as err:
            raise ValueError(f"read_idx: {path} is not a valid gzip file ({err}); delete it and download it again"
                             ) from None
    if len(raw) < 4:
        raise ValueError(f"read_idx: {path} is truncated: {len(raw)} bytes, too short for an IDX header")
    magic = int.from_bytes(raw[:4], "big")
    if expected_magic is not None and magic != expected_magic:
        raise ValueError(f"read_idx: {path} has bad magic number 0x{magic:08X}, expected 0x{expected_magic:08X}; "
                         "it is not the IDX file it should be (wrong file, or corrupt)")
    type_code, ndim = raw[2], raw[3]
    if raw[:2] != b"\x00\x00" or type_code not in _IDX_DTYPES or ndim == 0:
        raise ValueError(f"read_idx: {path} has bad magic number 0x{magic:08X}: not an IDX file "
                         "(expected 0x0000TTDD with a known type TT and DD >= 1 dimensions)")
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise ValueError(f"read_idx: {path} is truncated inside its header ({len(raw)} of {header_size} bytes)")
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_DTYPES[type_code])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    found = len(raw) - header_size
    if found != expected:
        problem = "is truncated" if found < expected else "has trailing bytes"
        raise ValueError(f"read_idx: {path} {problem}: its header promises shape {shape} ({expected} bytes of "
                         f"data) but the body has {found} bytes; delete it and download it again")
    return np.frombuffer(raw, dtype=dtype, offset=header_size).reshape(shape).astype(dtype.newbyteorder("="))


def default_data_root() -> Path:
    """Where datasets are cached: $TINYGRAD_EDU_DATA, else the platform cache dir (~/.cache/tinygrad_edu)."""
    if os.environ.get("TINYGRAD_EDU_DATA"):
        return Path(os.environ["TINYGRAD_EDU_DATA"]).expanduser()
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local")) / "tinygrad_edu" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "tinygrad_edu"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tinygrad_edu"


class _PlainProgress:
    """Fallback progress report when tqdm is not installed: one line at the start and one at the end."""

    def __init__(self, total: int | None, desc: str) -> None:
        self.done = 0
        size = f" ({total} bytes)" if total else ""
        print(f"{desc}{size} ...", file=sys.stderr, flush=True)

    def update(self, count: int) -> None:
        self.done += count

    def close(self) -> None:
        print(f"  done, {self.done} bytes", file=sys.stderr, flush=True)


def _progress(total: int | None, desc: str) -> Any:
    try:
        from tqdm import tqdm
    except ImportError:
        return _PlainProgress(total, desc)
    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr)


def _download(url: str, destination: Path) -> None:
    """Stream `url` into `destination`, showing a progress bar."""
    request = urllib.request.Request(url, headers={"User-Agent": "tinygrad-edu"})
    with urllib.request.urlopen(request, timeout=30) as response, open(destination, "wb") as out:
        length = response.headers.get("Content-Length")
        bar = _progress(int(length) if length else None, f"Downloading {url}")
        try:
            while chunk := response.read(_DOWNLOAD_CHUNK):
                out.write(chunk)
                bar.update(len(chunk))
        finally:
            bar.close()


def sha256_of(path: Path) -> str:
    """The SHA-256 hex digest of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class MNIST(Dataset):
    """The MNIST handwritten digits: 60,000 training or 10,000 test images (uint8, 28x28) with labels 0-9.

    `.data` is a uint8 Tensor (N, 28, 28), `.targets` an int64 Tensor (N,); `ds[i]` gives
    `(image, label)` (a uint8 (28, 28) Tensor and an int, each passed through its transform if given);
    `to_arrays()` gives normalised float arrays for training.
    Missing files are downloaded (if `download`) from `mirrors` in turn and checked against SHA-256.
    """

    folder_name = "MNIST"
    mirrors: Sequence[str] = (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    )
    # SHA-256 of the four gzipped files as distributed.
    sha256: dict[str, str] = {
        "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    }
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]

    def __init__(self, root: str | os.PathLike | None = None, train: bool = True, download: bool = True,
                 transform: Callable[[Tensor], Any] | None = None,
                 target_transform: Callable[[int], Any] | None = None,
                 mirrors: Sequence[str] | None = None) -> None:
        self.root = Path(root).expanduser() if root is not None else default_data_root()
        self.folder = self.root / self.folder_name
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        if mirrors is not None:
            self.mirrors = [mirrors] if isinstance(mirrors, str) else list(mirrors)
        prefix = "train" if train else "t10k"
        images_path, labels_path = self._locate([f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"],
                                                download)
        images = read_idx(images_path, IMAGES_MAGIC)
        labels = read_idx(labels_path, LABELS_MAGIC)
        if images.shape[0] != labels.shape[0]:
            raise ValueError(f"{self.folder_name}: inconsistent counts: {images_path} holds {images.shape[0]} "
                             f"images but {labels_path} holds {labels.shape[0]} labels")
        if labels.size and labels.max() >= len(self.classes):
            raise ValueError(f"{self.folder_name}: {labels_path} holds label {labels.max()}, but there are only "
                             f"{len(self.classes)} classes")
        self.data = Tensor._make(images)
        self.targets = Tensor._make(labels.astype(np.int64))

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image, target = self.data[index], int(self.targets._data[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __len__(self) -> int:
        return self.data.shape[0]

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return f"{type(self).__name__}(split={split}, samples={len(self)}, folder={str(self.folder)!r})"

    def to_arrays(self, flatten: bool = True, normalize: bool = True, one_hot: bool = False
                  ) -> tuple[np.ndarray, np.ndarray]:
        """`(X, y)` as NumPy arrays: X (N, 784) or (N, 28, 28), scaled to [0, 1] in the default float dtype
        when `normalize` (else raw uint8); y int64 labels, or (N, 10) one-hot rows when `one_hot`."""
        x = self.data._data
        if flatten:
            x = x.reshape(len(x), -1)
        if normalize:
            x = x.astype(get_default_dtype()) / np.array(255, dtype=get_default_dtype())
        y = self.targets._data.copy()
        if one_hot:
            y = np.eye(len(self.classes), dtype=get_default_dtype())[y]
        return x, y

    def _local_file(self, name: str) -> Path | None:
        for candidate in (self.folder / f"{name}.gz", self.folder / name):
            if candidate.is_file():
                return candidate
        return None

    def _locate(self, names: list[str], download: bool) -> list[Path]:
        """Paths of the files `names` (gz or raw), downloading the missing ones when allowed."""
        failures: list[str] = []
        if download:
            for name in names:
                if self._local_file(name) is None:
                    failures += self._fetch(f"{name}.gz")
        missing = [name for name in names if self._local_file(name) is None]
        if missing:
            wanted = ", ".join(f"{name}.gz" for name in missing)
            if download:
                tried = "\n".join(f"  - {failure}" for failure in failures)
                how = f"Downloading failed from every mirror:\n{tried}\n"
            else:
                how = f"download=False, so no mirror was tried (mirrors: {', '.join(self.mirrors)}).\n"
            raise FileNotFoundError(
                f"{self.folder_name}: missing {wanted} in {self.folder}\n{how}"
                f"Fetch the file(s) yourself (gzipped or unpacked) and put them in {self.folder}, or pass root= "
                f"(or set TINYGRAD_EDU_DATA) to a folder holding {self.folder_name}/ with them.")
        return [self._local_file(name) for name in names]

    def _fetch(self, filename: str) -> list[str]:
        """Download `filename` from the first mirror that serves it intact; return the failures met."""
        self.folder.mkdir(parents=True, exist_ok=True)
        destination = self.folder / filename
        partial = self.folder / f"{filename}.part"
        failures = []
        for mirror in self.mirrors:
            url = f"{mirror.rstrip('/')}/{filename}"
            try:
                _download(url, partial)
                problem = self._verify(filename, partial)
            except (OSError, ValueError, http.client.HTTPException) as err:
                problem = f"{type(err).__name__}: {err}"
            if problem is None:
                os.replace(partial, destination)
                return failures
            partial.unlink(missing_ok=True)
            failures.append(f"{url}: {problem}")
        return failures

    def _verify(self, filename: str, path: Path) -> str | None:
        """Why the downloaded file is unacceptable (None if it is fine): SHA-256, else a valid IDX header."""
        expected = self.sha256.get(filename)
        if expected is not None:
            actual = sha256_of(path)
            return None if actual == expected else f"SHA-256 mismatch (got {actual}, expected {expected})"
        read_idx(path, IMAGES_MAGIC if "images" in filename else LABELS_MAGIC)
        return None


class FashionMNIST(MNIST):
    """Fashion-MNIST (Zalando): 28x28 grey clothing images in 10 classes, a drop-in replacement for MNIST."""

    folder_name = "FashionMNIST"
    mirrors: Sequence[str] = (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://fashion-mnist.s3.eu-central-1.amazonaws.com/",
    )
    sha256: dict[str, str] = {
        "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    }
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]
