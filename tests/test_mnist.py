"""MNIST / FashionMNIST and the IDX reader, on tiny IDX files written here (no network)."""

import gzip
import hashlib
import struct
import sys

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.data import DataLoader, read_idx
from tinygrad_edu.data.datasets import MNIST, FashionMNIST

IDX_TYPE_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int32): 0x0C, np.dtype(np.float64): 0x0E}
STANDARD_NAMES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                  "t10k-labels-idx1-ubyte"]


def idx_bytes(array):
    """Encode an array as IDX: two zero bytes, type code, ndim, big-endian uint32 dims, big-endian data."""
    array = np.asarray(array)
    header = bytes([0, 0, IDX_TYPE_CODES[array.dtype], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write(path, payload, gz):
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        path = path.with_name(path.name + ".gz")
        payload = gzip.compress(payload)
    path.write_bytes(payload)
    return path


def tiny_split(count, seed):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (count, 28, 28), dtype=np.uint8), rng.integers(0, 10, count).astype(np.uint8)


def write_dataset(folder, gz=True):
    """Write the four standard files (5 training and 3 test samples) into `folder`; return the arrays."""
    train, test = tiny_split(5, 0), tiny_split(3, 1)
    arrays = dict(zip(STANDARD_NAMES, [*train, *test]))
    for name, array in arrays.items():
        write(folder / name, idx_bytes(array), gz)
    return arrays


def digests(folder):
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in folder.glob("*.gz")}


# ---- read_idx ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("array", [np.arange(24, dtype=np.uint8).reshape(2, 3, 4),
                                   np.array([-5, 70000, 3], dtype=np.int32),
                                   np.linspace(-1, 1, 6).reshape(3, 2)])
def test_read_idx_round_trip(tmp_path, array, gz):
    path = write(tmp_path / "x.idx", idx_bytes(array), gz)
    out = read_idx(path)
    assert out.dtype == array.dtype and out.dtype.isnative and out.shape == array.shape
    np.testing.assert_array_equal(out, array)


def test_read_idx_bad_magic(tmp_path):
    labels = write(tmp_path / "labels", idx_bytes(np.zeros(4, np.uint8)), gz=False)
    with pytest.raises(ValueError, match=r"labels.*bad magic number 0x00000801, expected 0x00000803"):
        read_idx(labels, 0x00000803)
    garbage = write(tmp_path / "garbage.txt", b"hello, world", gz=False)
    with pytest.raises(ValueError, match=r"garbage\.txt.*bad magic number"):
        read_idx(garbage)


def test_read_idx_truncated_and_trailing(tmp_path):
    payload = idx_bytes(np.ones((3, 28, 28), np.uint8))
    short = write(tmp_path / "short", payload[:-10], gz=True)
    with pytest.raises(ValueError, match=r"short\.gz is truncated.*\(3, 28, 28\).*2352 bytes.*2342"):
        read_idx(short, 0x00000803)
    long = write(tmp_path / "long", payload + b"\0", gz=False)
    with pytest.raises(ValueError, match="long has trailing bytes"):
        read_idx(long)
    header = write(tmp_path / "header", payload[:9], gz=False)
    with pytest.raises(ValueError, match="header is truncated inside its header"):
        read_idx(header)
    tiny = write(tmp_path / "tiny", b"\0\0", gz=False)
    with pytest.raises(ValueError, match="tiny is truncated"):
        read_idx(tiny)


def test_read_idx_cut_gzip_stream(tmp_path):
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.arange(1000, dtype=np.int32)))[:-20])
    with pytest.raises(ValueError, match=r"cut\.gz is not a valid gzip file"):
        read_idx(path)


# ---- loading local files ---------------------------------------------------------------------------------


@pytest.mark.parametrize("gz", [True, False])
def test_mnist_loads_local_files(tmp_path, gz):
    arrays = write_dataset(tmp_path / "MNIST", gz=gz)
    train = MNIST(root=tmp_path, train=True, download=False)
    test = MNIST(root=tmp_path, train=False, download=False)
    assert len(train) == 5 and len(test) == 3
    assert isinstance(train.data, tg.Tensor) and train.data.dtype == np.uint8 and train.data.shape == (5, 28, 28)
    assert train.targets.dtype == np.int64
    np.testing.assert_array_equal(train.data.numpy(), arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(train.targets.numpy(), arrays["train-labels-idx1-ubyte"])
    np.testing.assert_array_equal(test.data.numpy(), arrays["t10k-images-idx3-ubyte"])
    image, label = test[2]
    np.testing.assert_array_equal(image.numpy(), arrays["t10k-images-idx3-ubyte"][2])
    assert label == arrays["t10k-labels-idx1-ubyte"][2] and isinstance(label, int)
    assert "split=test" in repr(test) and "samples=3" in repr(test)


def test_transforms_and_dataloader(tmp_path):
    arrays = write_dataset(tmp_path / "MNIST")
    ds = MNIST(root=tmp_path, download=False, transform=lambda img: img.float() / 255,
               target_transform=lambda t: t + 100)
    image, label = ds[1]
    np.testing.assert_allclose(image.numpy(), arrays["train-images-idx3-ubyte"][1] / 255, rtol=1e-6)
    assert label == arrays["train-labels-idx1-ubyte"][1] + 100
    xb, yb = next(iter(DataLoader(MNIST(root=tmp_path, download=False), batch_size=4)))
    assert xb.shape == (4, 28, 28) and xb.dtype == np.uint8 and yb.dtype == np.int64
    np.testing.assert_array_equal(yb.numpy(), arrays["train-labels-idx1-ubyte"][:4])


def test_to_arrays(tmp_path):
    arrays = write_dataset(tmp_path / "MNIST")
    ds = MNIST(root=tmp_path, download=False)
    images, labels = arrays["train-images-idx3-ubyte"], arrays["train-labels-idx1-ubyte"]
    x, y = ds.to_arrays()
    assert x.shape == (5, 784) and x.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_allclose(x, images.reshape(5, -1) / 255.0, rtol=1e-6)
    assert 0 <= x.min() and x.max() <= 1
    np.testing.assert_array_equal(y, labels)
    raw, onehot = ds.to_arrays(flatten=False, normalize=False, one_hot=True)
    assert raw.dtype == np.uint8 and raw.shape == (5, 28, 28)
    np.testing.assert_array_equal(onehot, np.eye(10)[labels])


def test_fashion_mnist_uses_its_own_folder(tmp_path):
    arrays = write_dataset(tmp_path / "FashionMNIST", gz=False)
    ds = FashionMNIST(root=tmp_path, download=False)
    np.testing.assert_array_equal(ds.data.numpy(), arrays["train-images-idx3-ubyte"])
    assert len(ds.classes) == 10 and ds.classes[9] == "Ankle boot"
    with pytest.raises(FileNotFoundError, match="MNIST"):
        MNIST(root=tmp_path, download=False)


def test_env_variable_sets_the_cache_dir(tmp_path, monkeypatch):
    write_dataset(tmp_path / "cache" / "MNIST")
    monkeypatch.setenv("TINYGRAD_EDU_DATA", str(tmp_path / "cache"))
    ds = MNIST(download=False)
    assert ds.folder == tmp_path / "cache" / "MNIST" and len(ds) == 5


def test_bad_files_are_rejected_with_the_file_name(tmp_path):
    folder = tmp_path / "MNIST"
    arrays = write_dataset(folder)
    # labels where the images should be: bad magic
    (folder / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(arrays["train-labels-idx1-ubyte"])))
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte\.gz has bad magic number 0x00000801"):
        MNIST(root=tmp_path, download=False)
    # truncated images body
    (folder / "train-images-idx3-ubyte.gz").write_bytes(
        gzip.compress(idx_bytes(arrays["train-images-idx3-ubyte"])[:-1]))
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte\.gz is truncated"):
        MNIST(root=tmp_path, download=False)
    # 5 images but 4 labels
    write(folder / "train-images-idx3-ubyte", idx_bytes(arrays["train-images-idx3-ubyte"]), gz=True)
    write(folder / "train-labels-idx1-ubyte", idx_bytes(arrays["train-labels-idx1-ubyte"][:4]), gz=True)
    with pytest.raises(ValueError, match=r"inconsistent counts.*5 images.*4 labels"):
        MNIST(root=tmp_path, download=False)
    write(folder / "train-labels-idx1-ubyte", idx_bytes(np.array([0, 1, 2, 3, 12], np.uint8)), gz=True)
    with pytest.raises(ValueError, match="label 12"):
        MNIST(root=tmp_path, download=False)


# ---- downloading (file:// mirrors) ------------------------------------------------------------------------


class TinyMNIST(MNIST):
    """MNIST whose checksum table is filled by the test with the digests of its own tiny files."""

    sha256 = {}


def test_download_verifies_and_caches(tmp_path, monkeypatch):
    source = tmp_path / "mirror"
    arrays = write_dataset(source)
    monkeypatch.setattr(TinyMNIST, "sha256", digests(source))
    root = tmp_path / "root"
    mirrors = [(tmp_path / "missing-mirror").as_uri(), source.as_uri()]
    ds = TinyMNIST(root=root, mirrors=mirrors)
    cached = sorted(p.name for p in (root / "MNIST").iterdir())
    assert cached == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
    np.testing.assert_array_equal(ds.data.numpy(), arrays["train-images-idx3-ubyte"])
    for path in source.iterdir():  # the mirror goes away: the cache serves the next load
        path.unlink()
    again = TinyMNIST(root=root, mirrors=mirrors)
    np.testing.assert_array_equal(again.targets.numpy(), arrays["train-labels-idx1-ubyte"])


def test_wrong_checksum_is_rejected(tmp_path):
    source = tmp_path / "mirror"
    write_dataset(source)
    root = tmp_path / "root"
    # the real MNIST digests cannot match these tiny files
    with pytest.raises(FileNotFoundError, match="SHA-256 mismatch") as info:
        MNIST(root=root, train=False, mirrors=[source.as_uri()])
    message = str(info.value)
    assert f"{source.as_uri()}/t10k-images-idx3-ubyte.gz" in message
    assert "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6" in message
    assert list((root / "MNIST").iterdir()) == []  # nothing bad left in the cache


def test_without_known_digest_the_idx_header_is_checked(tmp_path):
    good, bad = tmp_path / "good", tmp_path / "bad"
    arrays = write_dataset(good)
    for name in STANDARD_NAMES:
        write(bad / name, b"<html>not found</html>", gz=True)
    ds = TinyMNIST(root=tmp_path / "root", train=False, mirrors=[bad.as_uri(), good.as_uri()])
    np.testing.assert_array_equal(ds.data.numpy(), arrays["t10k-images-idx3-ubyte"])
    with pytest.raises(FileNotFoundError, match="bad magic number"):
        TinyMNIST(root=tmp_path / "root2", mirrors=[bad.as_uri()])


def test_offline_error_lists_files_folder_and_mirrors(tmp_path):
    nowhere = [(tmp_path / "mirror-a").as_uri(), (tmp_path / "mirror-b").as_uri()]
    with pytest.raises(FileNotFoundError) as info:
        MNIST(root=tmp_path, mirrors=nowhere)
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz" in message and "train-labels-idx1-ubyte.gz" in message
    assert str(tmp_path / "MNIST") in message
    for mirror in nowhere:
        assert f"{mirror}/train-images-idx3-ubyte.gz" in message
    with pytest.raises(FileNotFoundError) as info:
        FashionMNIST(root=tmp_path, train=False, download=False)
    message = str(info.value)
    assert "t10k-images-idx3-ubyte.gz" in message and str(tmp_path / "FashionMNIST") in message
    assert "download=False" in message and FashionMNIST.mirrors[0] in message


def test_download_progress_without_tqdm(tmp_path, monkeypatch, capsys):
    source = tmp_path / "mirror"
    write_dataset(source)
    monkeypatch.setattr(TinyMNIST, "sha256", digests(source))
    monkeypatch.setitem(sys.modules, "tqdm", None)  # makes `import tqdm` fail
    TinyMNIST(root=tmp_path / "root", train=False, mirrors=[source.as_uri()])
    err = capsys.readouterr().err
    assert f"Downloading {source.as_uri()}/t10k-images-idx3-ubyte.gz" in err and "done" in err


def test_default_tables():
    assert set(MNIST.sha256) == set(FashionMNIST.sha256) == {f"{name}.gz" for name in STANDARD_NAMES}
    assert all(len(digest) == 64 for digest in [*MNIST.sha256.values(), *FashionMNIST.sha256.values()])
    assert MNIST.mirrors and FashionMNIST.mirrors
