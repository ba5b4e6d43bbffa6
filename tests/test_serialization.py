"""tg.save / tg.load: round trips of state dicts, no pickle ever, atomic writes, clear errors."""

from __future__ import annotations

import io
import os
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu import serialization


def test_round_trip_of_nested_structures(tmp_path):
    obj = {
        "model": OrderedDict(weight=tg.tensor([[1.5, -2.0]]), steps=tg.tensor(3)),
        "array": np.arange(6, dtype=np.int32).reshape(2, 3),
        "scalar": np.float64(2.5),
        "state": {0: {"step": 7, "exp_avg": tg.zeros(2, dtype=np.float64)}, 1: {}},
        "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "params": [0, 1], "nesterov": False,
                          "maximize": None, "name": "head", "eps": float("inf")}],
        "empty": [], "flag": True, "big": 2**70,
    }
    path = tmp_path / "checkpoint.tg"
    tg.save(obj, path)
    back = tg.load(path)
    assert isinstance(back["model"], OrderedDict) and list(back["model"]) == ["weight", "steps"]
    assert isinstance(back["model"]["weight"], tg.Tensor)
    assert back["model"]["weight"].dtype == np.float32 and back["model"]["steps"].dtype == np.int64
    np.testing.assert_array_equal(back["model"]["weight"].numpy(), [[1.5, -2.0]])
    assert isinstance(back["array"], np.ndarray) and back["array"].dtype == np.int32
    assert back["scalar"] == 2.5 and isinstance(back["scalar"], np.float64)
    assert list(back["state"]) == [0, 1] and back["state"][0]["step"] == 7
    assert back["state"][0]["exp_avg"].dtype == np.float64
    group = back["param_groups"][0]
    assert group == {"lr": 1e-3, "betas": (0.9, 0.999), "params": [0, 1], "nesterov": False, "maximize": None,
                     "name": "head", "eps": float("inf")}
    assert isinstance(group["betas"], tuple)
    assert back["empty"] == [] and back["flag"] is True and back["big"] == 2**70


def test_model_state_dict_round_trip(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(16, 2))
    model(tg.randn(3, 1, 4, 6))
    tg.save(model.state_dict(), tmp_path / "m.tg")
    fresh = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(16, 2))
    fresh.load_state_dict(tg.load(tmp_path / "m.tg"))
    for (k, a), (_, b) in zip(model.state_dict().items(), fresh.state_dict().items()):
        assert np.array_equal(a.numpy(), b.numpy()) and a.dtype == b.dtype, k


def test_file_objects_work():
    buffer = io.BytesIO()
    tg.save({"w": tg.ones(2)}, buffer)
    buffer.seek(0)
    np.testing.assert_array_equal(tg.load(buffer)["w"].numpy(), [1, 1])


def test_unsupported_objects_are_refused_before_writing(tmp_path):
    path = tmp_path / "x.tg"
    with pytest.raises(TypeError, match="cannot store object at root\\['bad'\\]"):
        tg.save({"bad": object()}, path)
    with pytest.raises(TypeError, match="dict key"):
        tg.save({(1, 2): 3}, path)
    assert not path.exists() and os.listdir(tmp_path) == []


class _Payload:
    """Unpickling this creates a marker file: proof that a loader ran code from the file."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("protocol", [0, 2, pickle.HIGHEST_PROTOCOL])
def test_pickle_file_is_refused_without_running_it(tmp_path, protocol):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps({"weight": _Payload(str(marker))}, protocol=protocol))
    with pytest.raises(ValueError, match="evil.pt.*pickle"):
        tg.load(path)
    assert not marker.exists()


def test_zip_with_pickle_inside_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "torch_like.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps(_Payload(str(marker))))
    with pytest.raises(ValueError, match="torch_like.pt.*no manifest.json.*PyTorch"):
        tg.load(path)
    assert not marker.exists()


def test_object_array_inside_checkpoint_is_not_unpickled(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "sneaky.tg"
    tg.save({"w": tg.ones(2)}, path)
    buffer = io.BytesIO()
    np.save(buffer, np.array([_Payload(str(marker))], dtype=object), allow_pickle=True)
    with zipfile.ZipFile(path) as archive:
        manifest = archive.read("manifest.json")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("manifest.json", manifest)
        archive.writestr("arrays/0.npy", buffer.getvalue())
    with pytest.raises(ValueError, match="sneaky.tg.*arrays/0.npy.*unreadable"):
        tg.load(path)
    assert not marker.exists()


def test_truncated_file_gives_clear_error(tmp_path):
    path = tmp_path / "cut.tg"
    tg.save({"w": tg.ones(100, 100)}, path)
    data = path.read_bytes()
    for length in (0, 10, len(data) // 2, len(data) - 5):
        path.write_bytes(data[:length])
        with pytest.raises(ValueError, match="cut.tg.*(truncated|corrupt)"):
            tg.load(path)


def test_corrupted_bytes_give_clear_error(tmp_path):
    path = tmp_path / "flip.tg"
    tg.save({"w": tg.ones(100, 100)}, path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="flip.tg"):
        tg.load(path)


@pytest.mark.parametrize("manifest, message", [
    (b"not json", "not valid JSON"),
    (b'{"format": "other", "version": 1, "root": null}', "does not declare format"),
    (b'{"format": "tinygrad_edu.checkpoint", "version": 99, "root": null}', "version 99 is not supported"),
    (b'{"format": "tinygrad_edu.checkpoint", "version": 1, "root": {"type": "code", "value": "x"}}',
     "unknown entry type 'code'"),
    (b'{"format": "tinygrad_edu.checkpoint", "version": 1, "root": {"type": "tensor", "ref": "arrays/9.npy"}}',
     "missing array"),
])
def test_mismatched_manifest_is_refused(tmp_path, manifest, message):
    path = tmp_path / "odd.tg"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("manifest.json", manifest)
    with pytest.raises(ValueError, match=f"odd.tg.*{message}"):
        tg.load(path)


def test_array_that_disagrees_with_manifest_is_refused(tmp_path):
    path = tmp_path / "swap.tg"
    tg.save([tg.ones(2), tg.ones(3)], path)
    with zipfile.ZipFile(path) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    entries["arrays/0.npy"], entries["arrays/1.npy"] = entries["arrays/1.npy"], entries["arrays/0.npy"]
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    with pytest.raises(ValueError, match="swap.tg.*manifest says"):
        tg.load(path)


def test_npy_and_text_files_are_refused(tmp_path):
    npy = tmp_path / "a.npy"
    np.save(npy, np.ones(3))
    with pytest.raises(ValueError, match="single .npy array"):
        tg.load(npy)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ValueError, match="notes.txt.*not a zip archive"):
        tg.load(text)


def test_failure_mid_save_leaves_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.tg"
    tg.save({"w": tg.ones(3)}, path)
    original = path.read_bytes()
    calls = {"n": 0}
    real_save = np.save

    def failing_save(file, array, allow_pickle=False):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        real_save(file, array, allow_pickle=allow_pickle)

    monkeypatch.setattr(serialization.np, "save", failing_save)
    with pytest.raises(OSError, match="disk full"):
        tg.save({"a": tg.zeros(1000), "b": tg.zeros(1000)}, path)
    assert path.read_bytes() == original
    assert os.listdir(tmp_path) == ["model.tg"]
    np.testing.assert_array_equal(tg.load(path)["w"].numpy(), [1, 1, 1])


def test_save_replaces_existing_file(tmp_path):
    path = tmp_path / "model.tg"
    tg.save({"v": 1}, path)
    tg.save({"v": 2}, str(path))
    assert tg.load(str(path)) == {"v": 2}
    assert os.listdir(tmp_path) == ["model.tg"]


def test_compressed_entries_are_refused_so_nothing_can_expand(tmp_path):
    """A zip bomb: a few hundred kilobytes that would inflate to a 256 MB array."""
    path = tmp_path / "bomb.tg"
    tg.save({"w": tg.ones(2)}, path)
    with zipfile.ZipFile(path) as archive:
        manifest = archive.read("manifest.json")
    header = b"\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (67108864,), }"
    header = header.ljust(10 + 0x76 - 1) + b"\n"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", manifest)
        archive.writestr("arrays/0.npy", header + bytes(1 << 28))
    assert path.stat().st_size < 1_000_000
    with pytest.raises(ValueError, match="bomb.tg.*compressed"):
        tg.load(path)


def test_a_manifest_nested_too_deeply_is_refused(tmp_path):
    path = tmp_path / "deep.tg"
    tg.save({"w": 1}, path)
    with zipfile.ZipFile(path) as archive:
        manifest = archive.read("manifest.json").decode()
    depth = 100_000
    nested = manifest.replace('"root":', '"root":' + '{"list": [' * depth, 1)
    nested = nested[:-1] + "]}" * depth + "}"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("manifest.json", nested)
    with pytest.raises(ValueError, match="deep.tg"):
        tg.load(path)
