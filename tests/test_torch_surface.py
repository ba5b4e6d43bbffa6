"""PyTorch spellings that tutorials use on their first lines: dtype names on the module, the
CPU-only device layer, Generator objects with generator=, randperm, multinomial, the *_like
factories and meshgrid. Expected values come from NumPy or from what the functions promise."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn


@pytest.mark.parametrize("name, expected", [("float", np.float32), ("float32", np.float32), ("double", np.float64),
                                            ("half", np.float16), ("long", np.int64), ("int", np.int32),
                                            ("short", np.int16), ("uint8", np.uint8), ("bool", np.bool_)])
def test_dtype_names_on_the_module(name, expected):
    assert np.dtype(getattr(tg, name)) == np.dtype(expected)
    assert tg.zeros(2, dtype=getattr(tg, name)).dtype == np.dtype(expected)


def test_to_takes_a_dtype_a_device_both_or_a_tensor():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    assert x.to("cpu") is x and x.to(tg.device("cpu")) is x
    y = x.to("cpu", tg.double)
    assert y.dtype == np.float64 and x.to(dtype=tg.float64).dtype == np.float64
    assert x.to(tg.tensor([1], dtype=tg.long)).dtype == np.int64
    (y * y).sum().backward()  # the cast stays differentiable
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


def test_the_only_device_is_the_cpu():
    assert not tg.cuda.is_available() and tg.cuda.device_count() == 0
    cpu = tg.device("cuda" if tg.cuda.is_available() else "cpu")
    assert cpu == "cpu" and cpu == tg.device("cpu") and str(tg.device("cpu:0")) == "cpu:0"
    x = tg.ones(2, 3, device=cpu)
    assert x.device == cpu and x.cpu() is x and not x.is_cuda
    for make in (lambda: tg.zeros(2, device="cuda"), lambda: tg.tensor([1.0], device="cuda:0"),
                 lambda: tg.device("mps"), lambda: x.cuda()):
        with pytest.raises(RuntimeError, match="CPU"):
            make()


def test_module_to_device_and_dtype():
    model = nn.Linear(3, 2)
    assert model.to(tg.device("cpu")) is model and model.cpu() is model
    model.to("cpu", tg.float64)
    assert model.weight.dtype == np.float64
    with pytest.raises(RuntimeError, match="CPU"):
        model.to("cuda")


def test_generator_objects_give_their_own_reproducible_stream():
    g1, g2 = tg.Generator().manual_seed(3), tg.Generator().manual_seed(3)
    tg.manual_seed(0)
    expected_default = tg.randn(4).numpy()
    tg.manual_seed(0)
    a = tg.randn(4, generator=g1)
    assert np.array_equal(a.numpy(), tg.randn(4, generator=g2).numpy())
    assert np.array_equal(tg.randn(4).numpy(), expected_default)  # the default generator did not advance
    assert g1.initial_seed() == 3 and tg.manual_seed(5).initial_seed() == 5 == tg.initial_seed()
    for draw in (lambda g: tg.rand(3, generator=g), lambda g: tg.randint(0, 10, (5,), generator=g),
                 lambda g: tg.normal(0.0, 1.0, (3,), generator=g), lambda g: tg.randperm(6, generator=g)):
        assert np.array_equal(draw(tg.Generator().manual_seed(9)).numpy(), draw(tg.Generator().manual_seed(9)).numpy())


def test_randint_takes_pytorchs_high_size_form():
    values = tg.randint(4, (200,))
    assert values.dtype == np.int64 and values.shape == (200,)
    assert values.numpy().min() >= 0 and values.numpy().max() <= 3


def test_randperm_is_a_permutation():
    perm = tg.randperm(10).numpy()
    assert perm.dtype == np.int64 and sorted(perm.tolist()) == list(range(10))


def test_multinomial_draws_by_weight():
    tg.manual_seed(0)
    weights = tg.tensor([1.0, 0.0, 3.0])
    drawn = tg.multinomial(weights, 4000, replacement=True).numpy()
    assert drawn.dtype == np.int64 and 1 not in drawn  # a zero weight is never drawn
    assert abs(np.mean(drawn == 2) - 0.75) < 0.03  # frequencies follow the weights (not normalised)
    rows = tg.multinomial(tg.tensor([[1.0, 1.0, 1.0], [0.0, 5.0, 1.0]]), 2)
    assert rows.shape == (2, 2)
    for row in rows.numpy():
        assert len(set(row.tolist())) == 2  # without replacement: distinct
    with pytest.raises(ValueError, match="without replacement"):
        tg.multinomial(tg.tensor([1.0, 0.0]), 2)


def test_like_factories_keep_shape_and_dtype():
    x = tg.zeros(2, 3, dtype=tg.float64)
    for made in (tg.rand_like(x), tg.randn_like(x), tg.empty_like(x), tg.full_like(x, 2.0)):
        assert made.shape == (2, 3) and made.dtype == np.float64
    ints = tg.randint_like(tg.zeros(5, dtype=tg.long), 3)
    assert ints.dtype == np.int64 and ints.numpy().max() < 3
    assert np.all((tg.rand_like(x).numpy() >= 0) & (tg.rand_like(x).numpy() < 1))
    with pytest.raises(TypeError, match="float"):
        tg.randn_like(tg.zeros(2, dtype=tg.long))


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid_matches_numpy_and_is_differentiable(indexing):
    a = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = tg.tensor([10.0, 20.0], requires_grad=True)
    grid_a, grid_b = tg.meshgrid(a, b, indexing=indexing)
    expected_a, expected_b = np.meshgrid(a.data, b.data, indexing=indexing)
    np.testing.assert_array_equal(grid_a.numpy(), expected_a)
    np.testing.assert_array_equal(grid_b.numpy(), expected_b)
    (grid_a.sum() + 2.0 * grid_b.sum()).backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 2.0, 2.0])  # each a_i appears once per b
    np.testing.assert_array_equal(b.grad.numpy(), [6.0, 6.0])  # each b_j appears three times, weight 2


def test_size_is_the_element_count_and_called_the_shape():
    x = tg.zeros(2, 3)
    assert x.size == 6 and x.numel() == 6 and x.nelement() == 6  # NumPy's meaning still holds
    assert x.size() == (2, 3) and x.size(0) == 2 and x.size(-1) == 3 and x.size().numel() == 6
    with pytest.raises(IndexError, match="out of range"):
        x.size(2)


def test_max_and_min_with_dim_give_values_and_indices():
    data = np.array([[1.0, 5.0, 5.0], [7.0, 2.0, 0.0]])
    x = tg.tensor(data, requires_grad=True)
    values, indices = x.max(1)
    np.testing.assert_array_equal(values.numpy(), [5.0, 7.0])
    np.testing.assert_array_equal(indices.numpy(), [1, 0])  # the first of tied maxima, as np.argmax
    assert x.max(dim=0, keepdim=True).values.shape == (1, 3) and x.min(dim=1).indices.tolist() == [0, 2]
    values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0], [1, 0, 0]])  # to the index returned only
    assert x.max().item() == 7.0 and x.max(axis=1).shape == (2,)  # no dim: the value; axis=: NumPy's
    np.testing.assert_array_equal(tg.max(x, tg.full((2, 3), 3.0, dtype=tg.float64)).numpy(), np.maximum(data, 3.0))


def test_var_and_std_divide_as_pytorch_unless_numpy_spelling():
    data = np.array([[1.0, 2.0, 4.0], [3.0, 5.0, 9.0]])
    x = tg.tensor(data)
    np.testing.assert_allclose(x.var().item(), np.var(data, ddof=1))
    np.testing.assert_allclose(x.var(1).numpy(), np.var(data, axis=1, ddof=1))
    np.testing.assert_allclose(x.var(dim=0, unbiased=False).numpy(), np.var(data, axis=0))
    np.testing.assert_allclose(x.std(dim=1, correction=0).numpy(), np.std(data, axis=1))
    np.testing.assert_allclose(x.var(axis=0).numpy(), np.var(data, axis=0))  # NumPy's spelling, NumPy's ddof
    np.testing.assert_allclose(x.std(axis=1, ddof=1).numpy(), np.std(data, axis=1, ddof=1))


def test_repeat_tiles_as_pytorch_and_repeat_interleave_repeats_elements():
    data = np.array([[1.0, 2.0], [3.0, 4.0]])
    x = tg.tensor(data)
    np.testing.assert_array_equal(x.repeat(2, 1).numpy(), np.tile(data, (2, 1)))
    np.testing.assert_array_equal(x.repeat(1, 2, 1).numpy(), np.tile(data, (1, 2, 1)))
    np.testing.assert_array_equal(x.repeat_interleave(2, dim=1).numpy(), np.repeat(data, 2, axis=1))
    np.testing.assert_array_equal(x.repeat(2, axis=0).numpy(), np.repeat(data, 2, axis=0))  # NumPy's keywords
    with pytest.raises(ValueError, match="one per dimension"):
        x.repeat(2)


def test_data_updates_in_karpathys_idiom_write_into_the_parameter():
    p = tg.tensor([1.0, 2.0], requires_grad=True)
    array = p.detach().numpy()
    (p * p).sum().backward()  # grad = 2p = [2, 4]
    p.data += -0.1 * p.grad
    assert isinstance(p.data, tg.Tensor) and not p.data.requires_grad  # PyTorch's .data: detached
    np.testing.assert_allclose(p.numpy(), [0.8, 1.6])
    p.data -= 0.5 * p.grad
    np.testing.assert_allclose(p.numpy(), [-0.2, -0.4])
    assert p.detach().numpy() is array  # updated in place, never replaced
    assert p.requires_grad and p.grad_fn is None and p.grad is not None


def test_data_is_a_tensor_as_pytorch_code_uses_it():
    p = tg.tensor([3.0, 4.0], requires_grad=True)
    assert p.data.norm().item() == 5.0  # sqrt(3**2 + 4**2)
    p.data.mul_(2.0)
    np.testing.assert_array_equal(p.numpy(), [6.0, 8.0])
    p.data = tg.tensor([1.0, 1.0])  # rebinding .data swaps the values, keeps the leaf
    np.testing.assert_array_equal(p.numpy(), [1.0, 1.0])
    assert p.requires_grad and p.is_leaf
    p.data.zero_()
    np.testing.assert_array_equal(p.numpy(), [0.0, 0.0])


def test_an_array_on_the_left_of_a_tensor_records_the_tensor_op():
    x = tg.tensor([1.0, 2.0], requires_grad=True, dtype=tg.float64)
    y = np.array([3.0, 4.0]) * x - np.array([1.0, 1.0])
    assert isinstance(y, tg.Tensor) and y.grad_fn is not None
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])
    mask = np.array([0.0, 5.0]) < x
    assert isinstance(mask, tg.Tensor) and mask.tolist() == [True, False]
    assert isinstance(np.exp(x), np.ndarray)  # other ufuncs compute on the array, outside the graph


def test_hyperbolic_and_other_logarithms_match_numpy():
    data = np.array([0.3, 1.2, 2.5])
    x = tg.tensor(data)
    for method, expected in (("sinh", np.sinh), ("cosh", np.cosh), ("expm1", np.expm1), ("log2", np.log2),
                             ("log10", np.log10)):
        np.testing.assert_allclose(getattr(x, method)().numpy(), expected(data), rtol=1e-12)


def test_next_functions_format_and_type_as_pytorch():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2.0).sum()
    (mul_node, _), = y.grad_fn.next_functions
    (leaf, index), (constant, _) = mul_node.next_functions  # x and the constant 2.0, as PyTorch's MulBackward0
    assert leaf.variable is x and index == 0 and leaf.name() == "AccumulateGrad" and constant is None
    assert f"{y:.2f}" == "6.00" and format(tg.tensor(0.5), ".1%") == "50.0%"
    with pytest.raises(TypeError, match="one-element"):
        format(x, ".2f")
    assert x.type() == "torch.FloatTensor" and x.type(tg.double).dtype == np.float64
    assert x.type("torch.LongTensor").dtype == np.int64


def test_dataloader_takes_pytorchs_arguments():
    from tinygrad_edu.data import DataLoader, TensorDataset

    data = TensorDataset(tg.arange(10))
    loader = DataLoader(data, batch_size=4, num_workers=2, pin_memory=True, sampler=[9, 8, 7, 6, 5])
    assert [batch[0].tolist() for batch in loader] == [[9, 8, 7, 6], [5]] and len(loader) == 2
    batches = DataLoader(data, batch_sampler=[[0, 1], [5]])
    assert [batch[0].tolist() for batch in batches] == [[0, 1], [5]]
    first = [b[0].tolist() for b in DataLoader(data, batch_size=5, shuffle=True, generator=tg.Generator().manual_seed(1))]
    again = [b[0].tolist() for b in DataLoader(data, batch_size=5, shuffle=True, generator=tg.Generator().manual_seed(1))]
    assert first == again and sorted(sum(first, [])) == list(range(10))
    with pytest.raises(ValueError, match="exclude"):
        DataLoader(data, sampler=[0], shuffle=True)


class ClampAtZero(tg.autograd.Function):
    """A custom function written as PyTorch's tutorials write them: tensor methods in forward."""

    @staticmethod
    def forward(ctx, inputs):
        ctx.save_for_backward(inputs)
        return inputs.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        (inputs,) = ctx.saved_tensors
        grad = grad_output.clone()
        grad[inputs < 0] = 0
        return grad


class Cubic(tg.autograd.Function):
    """p(x) = (5x^3 - 3x) / 2 with p'(x) = 1.5 (5x^2 - 1)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return 0.5 * (5 * x ** 3 - 3 * x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * x ** 2 - 1)


def test_pytorch_style_custom_functions_get_tensors_in_forward():
    assert tg.autograd.Function is tg.Function
    x = tg.tensor([-1.0, 0.5, 2.0], requires_grad=True, dtype=tg.float64)
    y = ClampAtZero.apply(x)
    np.testing.assert_array_equal(y.numpy(), [0.0, 0.5, 2.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 1.0])
    x.grad = None
    z = Cubic.apply(x)
    np.testing.assert_allclose(z.numpy(), 0.5 * (5 * x.data ** 3 - 3 * x.data))
    z.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 1.5 * (5 * x.data ** 2 - 1))
    assert tg.gradcheck(Cubic.apply, [x]) and tg.gradgradcheck(Cubic.apply, [x])
    assert Cubic.apply(tg.tensor([2.0], dtype=tg.float64)).grad_fn is None  # nothing recorded without grad


def test_torch_utils_data_path():
    from tinygrad_edu.utils.data import DataLoader, TensorDataset

    assert DataLoader is tg.data.DataLoader and tg.utils.data.TensorDataset is TensorDataset
