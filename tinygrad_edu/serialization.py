"""Checkpoints without pickle: `tg.save(obj, path)` / `tg.load(path)`.

The file is a zip archive holding `manifest.json` (the structure of the object: dicts, lists,
numbers, strings, None, with arrays referenced by name) and one `.npy` file per array, read back
with `allow_pickle=False`. Loading therefore never executes code, so checkpoints from strangers
are safe to open. Saving writes a temporary file in the target directory and renames it over the
target (`os.replace`), so a crash mid-save never leaves a half-written checkpoint.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from collections import OrderedDict
from typing import Any, BinaryIO

import numpy as np

from .autograd.tensor import Tensor
from .device import check_device

FORMAT = "tinygrad_edu.checkpoint"
VERSION = 1
_MANIFEST = "manifest.json"
_PICKLE_PROTOCOL_MARK = b"\x80"


class _Encoder:
    """Turns a Python object into a JSON-able description plus a dict of named arrays."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def _array(self, kind: str, array: np.ndarray) -> dict:
        if array.dtype.kind not in "fiub":
            raise TypeError(f"save: cannot store an array of dtype {array.dtype} (only numbers and bools)")
        name = f"arrays/{len(self.arrays)}.npy"
        self.arrays[name] = array
        return {"type": kind, "ref": name, "dtype": array.dtype.str, "shape": list(array.shape)}

    def encode(self, obj: Any, where: str) -> Any:
        if isinstance(obj, np.generic):  # before int/float: np.float64 subclasses float
            return self._array("scalar", np.asarray(obj))
        if obj is None or isinstance(obj, (bool, str)):
            return {"type": "value", "value": obj}
        if isinstance(obj, int):
            return {"type": "int", "value": str(obj)}
        if isinstance(obj, float):
            return {"type": "float", "value": repr(obj)}
        if isinstance(obj, Tensor):
            return self._array("tensor", obj._data)
        if isinstance(obj, np.ndarray):
            return self._array("ndarray", obj)
        if isinstance(obj, dict):
            items = []
            for key, value in obj.items():
                if not (key is None or isinstance(key, (str, int, float, bool))):
                    raise TypeError(f"save: dict key {key!r} at {where} must be a str, int, float, bool or None")
                items.append([self.encode(key, where), self.encode(value, f"{where}[{key!r}]")])
            return {"type": "ordereddict" if isinstance(obj, OrderedDict) else "dict", "items": items}
        if isinstance(obj, (list, tuple)):
            return {"type": type(obj).__name__,
                    "items": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]}
        raise TypeError(
            f"save: cannot store {type(obj).__name__} at {where}; checkpoints hold Tensors, NumPy arrays, "
            "numbers, strings, bools, None and dicts/lists/tuples of them (e.g. model.state_dict())"
        )


def _write(file: BinaryIO, manifest: dict, arrays: dict[str, np.ndarray]) -> None:
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(_MANIFEST, json.dumps(manifest))
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.save(buffer, array, allow_pickle=False)
            archive.writestr(name, buffer.getvalue())


def save(obj: Any, f: str | os.PathLike | BinaryIO) -> None:
    """Write `obj` (e.g. a state_dict) to `f` (a path, written atomically, or a binary file object)."""
    encoder = _Encoder()
    manifest = {"format": FORMAT, "version": VERSION, "root": encoder.encode(obj, "root")}
    if hasattr(f, "write"):
        _write(f, manifest, encoder.arrays)
        return
    path = os.fspath(f)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as file:
            _write(file, manifest, encoder.arrays)
            file.flush()
            os.fsync(file.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


class _Decoder:
    """Rebuilds the object from a manifest, reading each referenced array without pickle."""

    def __init__(self, archive: zipfile.ZipFile, source: str) -> None:
        self.archive = archive
        self.source = source
        self.names = set(archive.namelist())
        for info in archive.infolist():  # `save` stores entries uncompressed: no entry can expand (zip bombs)
            if info.compress_type != zipfile.ZIP_STORED or info.file_size != info.compress_size:
                raise self.fail(f"entry {info.filename!r} is compressed; checkpoints store their entries "
                                "uncompressed, so a file that does not is not one of ours")

    def fail(self, what: str) -> ValueError:
        return ValueError(f"load: {self.source} is not a valid tinygrad_edu checkpoint: {what}")

    def array(self, node: dict) -> np.ndarray:
        ref = node.get("ref")
        if ref not in self.names:
            raise self.fail(f"the manifest refers to a missing array {ref!r}")
        try:
            array = np.load(io.BytesIO(self.archive.read(ref)), allow_pickle=False)
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as err:
            raise self.fail(f"array {ref!r} is unreadable ({err})") from None
        if array.dtype.str != node.get("dtype") or list(array.shape) != node.get("shape"):
            raise self.fail(f"array {ref!r} has dtype {array.dtype.str} and shape {list(array.shape)}, the manifest "
                            f"says {node.get('dtype')} and {node.get('shape')}")
        return array

    def decode(self, node: Any) -> Any:
        if not isinstance(node, dict) or "type" not in node:
            raise self.fail(f"malformed manifest entry {str(node)[:80]!r}")
        kind = node["type"]
        try:
            if kind == "value":
                value = node["value"]
                if not (value is None or isinstance(value, (bool, str))):
                    raise self.fail(f"unexpected value {value!r}")
                return value
            if kind == "int":
                return int(node["value"])
            if kind == "float":
                return float(node["value"])
            if kind == "tensor":
                return Tensor(self.array(node))
            if kind == "ndarray":
                return self.array(node)
            if kind == "scalar":
                return self.array(node)[()]
            if kind in ("dict", "ordereddict"):
                result = OrderedDict() if kind == "ordereddict" else {}
                for key, value in node["items"]:
                    result[self.decode(key)] = self.decode(value)
                return result
            if kind in ("list", "tuple"):
                items = [self.decode(v) for v in node["items"]]
                return items if kind == "list" else tuple(items)
        except (KeyError, TypeError, ValueError) as err:
            if isinstance(err, ValueError) and str(err).startswith("load:"):
                raise
            raise self.fail(f"malformed {kind!r} entry ({type(err).__name__}: {err})") from None
        raise self.fail(f"unknown entry type {kind!r}")


def _describe_foreign(head: bytes) -> str:
    if head.startswith(_PICKLE_PROTOCOL_MARK) or head[:1] in (b"(", b"c", b"]", b"}"):
        return ("it looks like a pickle file (pickle.dump or legacy torch.save); tinygrad_edu never unpickles, "
                "because unpickling can run arbitrary code. Convert it with its own library to a dict of arrays "
                "and tg.save that")
    if head.startswith(b"\x93NUMPY"):
        return "it is a single .npy array, not a checkpoint; read it with np.load"
    return "it is not a zip archive (the file is truncated, corrupt or of a different format)"


def load(f: str | os.PathLike | BinaryIO, map_location: Any = None, weights_only: bool | None = None) -> Any:
    """Read an object written by `save`. Raises ValueError naming the file when it is truncated,
    corrupt or not a tinygrad_edu checkpoint; never unpickles and never executes anything (so
    PyTorch's `weights_only=` and `map_location=`, for the CPU, are accepted and change nothing)."""
    if not callable(map_location) and not isinstance(map_location, dict):
        check_device(map_location, "load")
    if hasattr(f, "read"):
        data = f.read()
        source = repr(getattr(f, "name", "<file object>"))
    else:
        source = repr(os.fspath(f))
        with open(f, "rb") as file:
            data = file.read()
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ValueError(f"load: {source} is not a tinygrad_edu checkpoint: {_describe_foreign(data[:8])}")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        decoder = _Decoder(archive, source)
        if _MANIFEST not in decoder.names:
            hint = " (it looks like a PyTorch torch.save file: load it with torch.load(weights_only=True) " \
                   "and convert tensors with .numpy())" if any(n.endswith("data.pkl") for n in decoder.names) else ""
            raise decoder.fail(f"it has no {_MANIFEST}{hint}")
        try:
            manifest = json.loads(archive.read(_MANIFEST).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise decoder.fail(f"its manifest is not valid JSON ({err})") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise decoder.fail(f"its manifest does not declare format {FORMAT!r}")
        if manifest.get("version") != VERSION:
            raise decoder.fail(f"format version {manifest.get('version')!r} is not supported (this tinygrad_edu "
                               f"reads version {VERSION}; upgrade tinygrad_edu)")
        if "root" not in manifest:
            raise decoder.fail("its manifest has no root entry")
        return decoder.decode(manifest["root"])
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as err:
        raise ValueError(f"load: {source} is corrupt or truncated ({err})") from None
    except RecursionError:
        raise ValueError(f"load: {source} is not a valid tinygrad_edu checkpoint: its manifest nests too "
                         "deeply") from None
