"""tg.data: Dataset, TensorDataset, DataLoader, random_split and the toy datasets."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.data import DataLoader, Dataset, Subset, TensorDataset, datasets, default_collate, random_split


class ListDataset(Dataset):
    """A plain map-style dataset over a list, to exercise the general (non-TensorDataset) path."""

    def __init__(self, items):
        self.items = items

    def __getitem__(self, index):
        return self.items[index]

    def __len__(self):
        return len(self.items)


@pytest.fixture(autouse=True)
def restore_numpy_global_state():
    """The nnfs-style constructions seed NumPy's global RandomState; leave it as other tests found it."""
    state = np.random.get_state()
    yield
    np.random.set_state(state)


def epoch_indices(loader):
    return np.concatenate([batch[0].numpy() for batch in loader])


# ---- Dataset / TensorDataset ---------------------------------------------------------------------------


def test_dataset_is_abstract():
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Dataset()[0]
    with pytest.raises(NotImplementedError, match="__len__"):
        len(Dataset())


def test_tensor_dataset_rows_and_length():
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    y = np.arange(6)
    ds = TensorDataset(tg.tensor(x), y)
    assert len(ds) == 6
    xi, yi = ds[4]
    np.testing.assert_array_equal(xi.numpy(), x[4])
    assert yi.item() == 4 and yi.dtype == np.int64


def test_tensor_dataset_size_mismatch_names_shapes():
    with pytest.raises(ValueError, match=r"first dimension.*\(5, 2\).*\(4,\)"):
        TensorDataset(tg.zeros(5, 2), tg.zeros(4))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()
    with pytest.raises(ValueError, match="scalar"):
        TensorDataset(tg.tensor(3.0))


# ---- DataLoader: batching ------------------------------------------------------------------------------


@pytest.mark.parametrize("n, batch_size, drop_last, sizes", [
    (10, 3, False, [3, 3, 3, 1]),
    (10, 3, True, [3, 3, 3]),
    (9, 3, False, [3, 3, 3]),
    (9, 3, True, [3, 3, 3]),
    (2, 5, False, [2]),
    (2, 5, True, []),
])
def test_batch_sizes_and_len(n, batch_size, drop_last, sizes):
    for dataset in (TensorDataset(tg.arange(n)), ListDataset(list(range(n)))):
        loader = DataLoader(dataset, batch_size=batch_size, drop_last=drop_last)
        batches = list(loader)
        assert len(loader) == len(sizes)
        got = [len(b[0]) if isinstance(b, tuple) else len(b) for b in batches]
        assert got == sizes


def test_unshuffled_order_and_values():
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10) % 3
    batches = list(DataLoader(TensorDataset(x, y), batch_size=4))
    assert all(isinstance(b, tuple) and len(b) == 2 for b in batches)
    np.testing.assert_array_equal(np.concatenate([b[0].numpy() for b in batches]), x)
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in batches]), y)


def test_bad_batch_size():
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="batch_size"):
            DataLoader(TensorDataset(tg.zeros(3)), batch_size=bad)


# ---- DataLoader: shuffling -----------------------------------------------------------------------------


def test_shuffle_is_a_permutation_and_reproducible_with_manual_seed():
    loader = DataLoader(TensorDataset(tg.arange(50)), batch_size=8, shuffle=True)
    tg.manual_seed(123)
    first, second = epoch_indices(loader), epoch_indices(loader)
    tg.manual_seed(123)
    again_first, again_second = epoch_indices(loader), epoch_indices(loader)
    assert sorted(first.tolist()) == list(range(50))
    assert sorted(second.tolist()) == list(range(50))
    assert not np.array_equal(first, np.arange(50))
    assert not np.array_equal(first, second)  # a new permutation each epoch
    np.testing.assert_array_equal(first, again_first)
    np.testing.assert_array_equal(second, again_second)


def test_shuffle_drop_last_keeps_full_batches_only():
    tg.manual_seed(0)
    loader = DataLoader(TensorDataset(tg.arange(10)), batch_size=4, shuffle=True, drop_last=True)
    seen = epoch_indices(loader)
    assert len(seen) == 8 and len(set(seen.tolist())) == 8


def test_shuffle_explicit_generator():
    dataset = TensorDataset(tg.arange(30))
    a = epoch_indices(DataLoader(dataset, batch_size=7, shuffle=True, generator=np.random.default_rng(4)))
    b = epoch_indices(DataLoader(dataset, batch_size=7, shuffle=True, generator=np.random.default_rng(4)))
    np.testing.assert_array_equal(a, b)


def test_tensor_dataset_fast_path_matches_general_collate():
    x = np.random.default_rng(0).standard_normal((23, 3)).astype(np.float32)
    y = np.arange(23) % 4
    fast_ds = TensorDataset(x, y)
    slow_ds = ListDataset([fast_ds[i] for i in range(len(fast_ds))])
    tg.manual_seed(7)
    fast = list(DataLoader(fast_ds, batch_size=5, shuffle=True))
    tg.manual_seed(7)
    slow = list(DataLoader(slow_ds, batch_size=5, shuffle=True))
    assert len(fast) == len(slow) == 5
    for (fx, fy), (sx, sy) in zip(fast, slow):
        assert fx.dtype == sx.dtype == np.float32 and fy.dtype == sy.dtype == np.int64
        np.testing.assert_array_equal(fx.numpy(), sx.numpy())
        np.testing.assert_array_equal(fy.numpy(), sy.numpy())


# ---- collation -----------------------------------------------------------------------------------------


def test_collate_python_numbers_follow_library_dtype_rules():
    floats, ints, flags = default_collate([(1.5, 2, True), (2.5, 3, False)])
    assert floats.dtype == np.float32 and ints.dtype == np.int64 and flags.dtype == np.bool_
    np.testing.assert_array_equal(floats.numpy(), [1.5, 2.5])
    tg.set_default_dtype(np.float64)
    try:
        assert default_collate([0.5, 1.0]).dtype == np.float64
    finally:
        tg.set_default_dtype(np.float32)


def test_collate_keeps_array_and_tensor_dtypes():
    arrays = default_collate([np.zeros(3, np.float64), np.ones(3, np.float64)])
    assert arrays.dtype == np.float64 and arrays.shape == (2, 3)
    scalars = default_collate([np.float64(1.0), np.float64(2.0)])
    assert scalars.dtype == np.float64 and scalars.shape == (2,)
    small = default_collate([np.uint8(1), np.uint8(200)])
    assert small.dtype == np.uint8
    tensors = default_collate([tg.tensor(np.array([1, 2], np.int32)), tg.tensor(np.array([3, 4], np.int32))])
    assert tensors.dtype == np.int32
    np.testing.assert_array_equal(tensors.numpy(), [[1, 2], [3, 4]])


def test_collate_structure():
    batch = default_collate([{"x": np.ones(2), "name": "a"}, {"x": np.zeros(2), "name": "b"}])
    assert set(batch) == {"x", "name"} and batch["x"].shape == (2, 2) and batch["name"] == ["a", "b"]
    nested = default_collate([(1, (2.0, [3])), (4, (5.0, [6]))])
    np.testing.assert_array_equal(nested[0].numpy(), [1, 4])
    np.testing.assert_array_equal(nested[1][0].numpy(), [2.0, 5.0])
    np.testing.assert_array_equal(nested[1][1][0].numpy(), [3, 6])
    with pytest.raises(ValueError, match="same number of fields"):
        default_collate([(1, 2), (3,)])


def test_loader_over_single_value_samples_yields_tensors():
    batches = list(DataLoader(ListDataset([0.5, 1.5, 2.5]), batch_size=2))
    assert isinstance(batches[0], tg.Tensor) and batches[0].dtype == np.float32
    np.testing.assert_array_equal(batches[1].numpy(), [2.5])


def test_custom_collate_fn():
    loader = DataLoader(ListDataset(list(range(7))), batch_size=3, collate_fn=sum)
    assert list(loader) == [3, 12, 6]
    tensor_loader = DataLoader(TensorDataset(tg.arange(4)), batch_size=2, collate_fn=len)
    assert list(tensor_loader) == [2, 2]


# ---- Subset / random_split ---------------------------------------------------------------------------


def test_subset_and_random_split():
    dataset = ListDataset(list(range(10)))
    assert [Subset(dataset, [3, 1])[i] for i in range(2)] == [3, 1]
    tg.manual_seed(0)
    parts = random_split(dataset, [7, 3])
    assert [len(p) for p in parts] == [7, 3]
    assert sorted([p[i] for p in parts for i in range(len(p))]) == list(range(10))
    tg.manual_seed(0)
    assert random_split(dataset, [7, 3])[0].indices == parts[0].indices
    # fractions: floor(5.5), floor(3.3), floor(2.2) = 5, 3, 2, and the one left over goes to the first subset
    assert [len(p) for p in random_split(ListDataset(list(range(11))), [0.5, 0.3, 0.2])] == [6, 3, 2]
    with pytest.raises(ValueError, match="random_split"):
        random_split(dataset, [5, 4])


# ---- toy datasets ----------------------------------------------------------------------------------------


def nnfs_spiral(samples, classes):
    """The Neural Networks from Scratch construction, written independently with the global RandomState."""
    X = np.zeros((samples * classes, 2))
    y = np.zeros(samples * classes, dtype="uint8")
    for class_number in range(classes):
        ix = range(samples * class_number, samples * (class_number + 1))
        r = np.linspace(0.0, 1, samples)
        t = np.linspace(class_number * 4, (class_number + 1) * 4, samples) + np.random.randn(samples) * 0.2
        X[ix] = np.c_[r * np.sin(t * 2.5), r * np.cos(t * 2.5)]
        y[ix] = class_number
    return X, y


def nnfs_vertical(samples, classes):
    X = np.zeros((samples * classes, 2))
    y = np.zeros(samples * classes, dtype="uint8")
    for class_number in range(classes):
        ix = range(samples * class_number, samples * (class_number + 1))
        X[ix] = np.c_[np.random.randn(samples) * .1 + class_number / 3, np.random.randn(samples) * .1 + 0.5]
        y[ix] = class_number
    return X, y


def test_spiral_shape_labels_and_radius():
    tg.manual_seed(0)
    X, y = datasets.spiral(100, 3)
    assert isinstance(X, tg.Tensor) and X.shape == (300, 2) and X.dtype == np.float32
    assert y.shape == (300,) and y.dtype == np.int64
    np.testing.assert_array_equal(y.numpy(), np.repeat([0, 1, 2], 100))
    radius = np.linalg.norm(X.numpy().astype(np.float64), axis=1)
    np.testing.assert_allclose(radius, np.tile(np.linspace(0, 1, 100), 3), atol=1e-6)
    assert radius.min() >= 0 and radius.max() <= 1 + 1e-6


def test_spiral_reproduces_nnfs_with_numpy_seed():
    np.random.seed(0)
    expected_x, expected_y = nnfs_spiral(100, 3)
    X, y = datasets.spiral(100, 3, rng=0, as_numpy=True)
    assert isinstance(X, np.ndarray) and X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(X, expected_x.astype(np.float32))
    np.testing.assert_array_equal(y, expected_y)
    np.random.seed(0)  # the global legacy state itself can be the source, as in nnfs
    np.testing.assert_array_equal(datasets.spiral(100, 3, rng=np.random, as_numpy=True)[0],
                                  expected_x.astype(np.float32))
    np.testing.assert_array_equal(datasets.spiral(100, 3, rng=np.random.RandomState(0), as_numpy=True)[0],
                                  expected_x.astype(np.float32))


def test_spiral_library_generator_reproducible():
    tg.manual_seed(3)
    a = datasets.spiral(20, 4, as_numpy=True)[0]
    tg.manual_seed(3)
    b = datasets.spiral(20, 4)[0].numpy()
    c = datasets.spiral(20, 4, as_numpy=True)[0]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


def test_spiral_float64_default_dtype_and_bad_arguments():
    tg.set_default_dtype(np.float64)
    try:
        np.random.seed(1)
        expected, _ = nnfs_spiral(10, 2)
        X, _ = datasets.spiral(10, 2, rng=1)
        assert X.dtype == np.float64
        np.testing.assert_array_equal(X.numpy(), expected)
    finally:
        tg.set_default_dtype(np.float32)
    with pytest.raises(ValueError, match="samples"):
        datasets.spiral(0, 3)
    with pytest.raises(ValueError, match="classes"):
        datasets.spiral(10, 2.5)
    with pytest.raises(TypeError, match="rng"):
        datasets.spiral(10, 2, rng="seed")


def test_vertical_reproduces_nnfs():
    np.random.seed(0)
    expected_x, expected_y = nnfs_vertical(100, 3)
    X, y = datasets.vertical(100, 3, rng=0)
    np.testing.assert_array_equal(X.numpy(), expected_x.astype(np.float32))
    np.testing.assert_array_equal(y.numpy(), expected_y)
    assert y.dtype == np.int64


def test_sine():
    X, y = datasets.sine(1000)
    assert X.shape == (1000, 1) and y.shape == (1000, 1) and X.dtype == y.dtype == np.float32
    x_expected = np.arange(1000).reshape(-1, 1) / 1000
    np.testing.assert_array_equal(X.numpy(), x_expected.astype(np.float32))
    np.testing.assert_array_equal(y.numpy(), np.sin(2 * np.pi * x_expected).astype(np.float32))


def test_moons_geometry_without_noise():
    X, y = datasets.moons(50, noise=0.0, as_numpy=True)
    assert X.shape == (100, 2) and y.dtype == np.int64
    np.testing.assert_array_equal(y, np.repeat([0, 1], 50))
    upper, lower = X[:50].astype(np.float64), X[50:].astype(np.float64)
    np.testing.assert_allclose(np.linalg.norm(upper, axis=1), 1, atol=1e-6)  # unit half circle, y >= 0
    assert upper[:, 1].min() >= -1e-7
    np.testing.assert_allclose(np.linalg.norm(lower - [1.0, 0.5], axis=1), 1, atol=1e-6)  # centred (1, 0.5)
    assert lower[:, 1].max() <= 0.5 + 1e-7


def test_moons_matches_scikit_learn_without_noise():
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    expected_x, expected_y = sklearn_datasets.make_moons(n_samples=60, shuffle=False)
    X, y = datasets.moons(30, noise=0, as_numpy=True)
    np.testing.assert_allclose(X, expected_x.astype(np.float32), atol=1e-7)
    np.testing.assert_array_equal(y, expected_y)


def test_moons_noise_is_seeded():
    clean = datasets.moons(40, noise=0, as_numpy=True)[0].astype(np.float64)
    noisy = datasets.moons(40, noise=0.1, rng=np.random.default_rng(2), as_numpy=True)[0].astype(np.float64)
    expected = clean + np.random.default_rng(2).standard_normal(clean.shape) * 0.1
    np.testing.assert_allclose(noisy, expected, atol=1e-6)
    with pytest.raises(ValueError, match="noise"):
        datasets.moons(10, noise=-1)


def test_toys_train_through_dataloader():
    tg.manual_seed(0)
    X, y = datasets.spiral(50, 3)
    xb, yb = next(iter(DataLoader(TensorDataset(X, y), batch_size=16, shuffle=True)))
    assert xb.shape == (16, 2) and xb.dtype == np.float32 and yb.dtype == np.int64


def test_lazy_attribute():
    assert tg.data.DataLoader is DataLoader
