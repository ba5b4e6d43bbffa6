"""tg.to_torch / tg.from_torch: every nn layer goes to PyTorch and back with the same outputs, input
and parameter gradients, buffers and train/eval mode; tensors and state dicts keep dtype and
requires_grad; what cannot convert is refused with a TypeError that says what to do.

PyTorch is the independent implementation the converted models are compared with; the tests that
need it skip when it is not installed (the meta-tests and the ImportError test run without it).
"""

from __future__ import annotations

import inspect
import sys
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.interop import LAYER_ARGUMENTS

RTOL, ATOL = 1e-7, 1e-9


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def randn(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed + sum(shape)).standard_normal(shape)


def probabilities(*shape: int) -> np.ndarray:
    p = np.random.default_rng(3).random(shape) + 0.05
    return p / p.sum(axis=1, keepdims=True)


def labels(*shape: int, classes: int = 4) -> np.ndarray:
    return np.random.default_rng(5).integers(0, classes, shape)


def close(ours, theirs, what: str) -> None:
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    np.testing.assert_allclose(np.asarray(ours), theirs, rtol=RTOL, atol=ATOL, err_msg=what)


WEIGHT = np.array([0.2, 1.0, 2.5, 0.7])

# (class name, args, kwargs, inputs): float inputs get gradients, integer ones (indices) do not
LAYER_CASES = [
    ("Identity", (), {}, [randn(3, 4)]),
    ("Linear", (4, 3), {}, [randn(5, 4)]),
    ("Linear", (4, 3), {"bias": False}, [randn(2, 6, 4)]),
    ("Conv2d", (4, 6, (3, 2)), {"stride": 2, "padding": 1, "dilation": (1, 2), "groups": 2}, [randn(2, 4, 7, 8)]),
    ("Conv2d", (2, 3, 3), {"padding": "same", "bias": False}, [randn(1, 2, 5, 5)]),
    ("Conv2d", (2, 3, 3), {"padding": 1, "padding_mode": "reflect"}, [randn(2, 2, 5, 4)]),
    ("MaxPool2d", (3,), {"stride": 2, "padding": 1}, [randn(2, 3, 7, 6)]),
    ("MaxPool2d", (3,), {"stride": 2, "ceil_mode": True}, [randn(1, 2, 8, 7)]),
    ("AvgPool2d", (3,), {"stride": 2, "padding": 1, "count_include_pad": False}, [randn(2, 3, 7, 6)]),
    ("AvgPool2d", (2,), {"divisor_override": 3}, [randn(1, 2, 4, 4)]),
    ("AdaptiveAvgPool1d", (3,), {}, [randn(2, 3, 7)]),
    ("AdaptiveAvgPool2d", ((2, 3),), {}, [randn(2, 3, 7, 6)]),
    ("Flatten", (0, 2), {}, [randn(2, 3, 4, 5)]),
    ("BatchNorm1d", (3,), {}, [randn(6, 3)]),
    ("BatchNorm1d", (3,), {"affine": False, "momentum": 0.3}, [randn(4, 3, 5)]),
    ("BatchNorm1d", (3,), {"momentum": None}, [randn(4, 3)]),
    ("BatchNorm1d", (3,), {"track_running_stats": False}, [randn(4, 3)]),
    ("BatchNorm2d", (2,), {"eps": 1e-3, "bias": False}, [randn(3, 2, 4, 5)]),
    ("LayerNorm", ((4, 5),), {"eps": 1e-3}, [randn(2, 3, 4, 5)]),
    ("LayerNorm", (5,), {"elementwise_affine": False}, [randn(3, 5)]),
    ("LayerNorm", (5,), {"bias": False}, [randn(3, 5)]),
    ("Dropout", (0.0,), {}, [randn(4, 5)]),
    ("Dropout", (1.0,), {}, [randn(4, 5)]),
    ("Dropout", (0.3,), {}, [randn(4, 5)]),  # compared in eval mode only: the two engines draw other masks
    ("Embedding", (7, 3), {"padding_idx": 2}, [np.array([[0, 2, 6], [2, 1, 0]])]),
    ("ReLU", (), {}, [randn(3, 4)]),
    ("Sigmoid", (), {}, [randn(3, 4)]),
    ("Tanh", (), {}, [randn(3, 4)]),
    ("LeakyReLU", (0.2,), {}, [randn(3, 4)]),
    ("GELU", (), {"approximate": "tanh"}, [randn(3, 4)]),
    ("ELU", (), {"alpha": 0.7}, [randn(3, 4)]),
    ("Softplus", (), {"beta": 2.0, "threshold": 1.0}, [randn(3, 4)]),
    ("Softmax", (1,), {}, [randn(3, 4, 2)]),
    ("LogSoftmax", (-1,), {}, [randn(3, 4)]),
    ("MSELoss", (), {"reduction": "sum"}, [randn(3, 4), randn(3, 4, seed=1)]),
    ("L1Loss", (), {}, [randn(3, 4), randn(3, 4, seed=1)]),
    ("HuberLoss", (), {"delta": 0.5}, [randn(3, 4) * 2, randn(3, 4, seed=1)]),
    ("SmoothL1Loss", (), {"beta": 0.3, "reduction": "none"}, [randn(3, 4) * 2, randn(3, 4, seed=1)]),
    ("CrossEntropyLoss", (), {"weight": tg.tensor(WEIGHT), "ignore_index": 1, "label_smoothing": 0.1},
     [randn(6, 4), labels(6)]),
    ("NLLLoss", (), {"weight": tg.tensor(WEIGHT)}, [randn(6, 4), labels(6)]),
    ("BCELoss", (), {"weight": tg.tensor(np.abs(randn(3)))},
     [np.random.default_rng(1).uniform(0.02, 0.98, (4, 3)), np.random.default_rng(2).uniform(0, 1, (4, 3))]),
    ("BCEWithLogitsLoss", (), {"pos_weight": tg.tensor(np.array([0.5, 2.0, 3.0]))},
     [randn(4, 3) * 3, np.random.default_rng(2).uniform(0, 1, (4, 3))]),
    ("KLDivLoss", (), {"reduction": "batchmean"}, [np.log(probabilities(4, 3)), probabilities(4, 3)]),
]


def _case_id(case) -> str:
    name, args, kwargs, _ = case
    options = {key: "tensor" if isinstance(value, tg.Tensor) else value for key, value in kwargs.items()}
    return f"{name}{args}{options}"


def _scrambled(module: nn.Module) -> nn.Module:
    """Fill every float parameter and buffer with random values (running variances positive), so a
    conversion that forgets or reorders one cannot pass."""
    rng = np.random.default_rng(11)
    with tg.no_grad():
        for tensor in list(module.parameters()) + list(module.buffers()):
            if tensor.dtype.kind == "f":
                tensor.copy_(tg.tensor(rng.uniform(0.5, 1.5, tensor.shape)))
    return module


def _compare_runs(ours, theirs, back, inputs: list[np.ndarray], torch, what: str) -> None:
    """Run the three modules on the same inputs; outputs, input and parameter gradients, and the
    state afterwards (running statistics) must agree."""
    our_inputs = [tg.tensor(a, requires_grad=a.dtype.kind == "f") for a in inputs]
    back_inputs = [tg.tensor(a, requires_grad=a.dtype.kind == "f") for a in inputs]
    torch_inputs = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in inputs]
    out, back_out, torch_out = ours(*our_inputs), back(*back_inputs), theirs(*torch_inputs)
    close(out.numpy(), torch_out, f"{what}: forward, PyTorch copy")
    close(out.numpy(), back_out.numpy(), f"{what}: forward, copy back")
    seed = randn(*torch_out.shape, seed=2)
    out.backward(tg.tensor(seed))
    back_out.backward(tg.tensor(seed))
    torch_out.backward(torch.tensor(seed))
    for i, (x, x_back, x_torch) in enumerate(zip(our_inputs, back_inputs, torch_inputs)):
        if x.requires_grad:
            close(x.grad.numpy(), x_torch.grad, f"{what}: gradient of input {i}, PyTorch copy")
            close(x.grad.numpy(), x_back.grad.numpy(), f"{what}: gradient of input {i}, copy back")
    for (key, p), (_, p_back), (_, p_torch) in zip(ours.named_parameters(), back.named_parameters(),
                                                   theirs.named_parameters()):
        close(p.grad.numpy(), p_torch.grad, f"{what}: gradient of {key}, PyTorch copy")
        close(p.grad.numpy(), p_back.grad.numpy(), f"{what}: gradient of {key}, copy back")
    for key, value in ours.state_dict().items():
        close(value.numpy(), theirs.state_dict()[key], f"{what}: {key} afterwards, PyTorch copy")
        close(value.numpy(), back.state_dict()[key].numpy(), f"{what}: {key} afterwards, copy back")


def _round_trip_matches(ours: nn.Module, inputs: list[np.ndarray], torch, what: str, modes=("train", "eval")):
    """Convert `ours` in each mode, check the mode, the classes and the state dict keys, then compare
    two successive runs (running statistics carry over between them)."""
    for mode in modes:
        ours.train(mode == "train")
        theirs = tg.to_torch(ours)
        back = tg.from_torch(theirs)
        for (key, m), (_, m_torch), (_, m_back) in zip(ours.named_modules(), theirs.named_modules(),
                                                       back.named_modules()):
            assert m_torch.training is m_back.training is m.training, f"{what}: mode of {key!r}"
        assert list(theirs.state_dict()) == list(ours.state_dict()) == list(back.state_dict())
        for _ in range(2):
            _compare_runs(ours, theirs, back, inputs, torch, f"{what} ({mode})")
            for module in (ours, back, theirs):
                module.zero_grad()


@pytest.mark.usefixtures("float64_default")
@pytest.mark.parametrize("case", LAYER_CASES, ids=_case_id)
def test_every_layer_round_trips(case, torch):
    name, args, kwargs, inputs = case
    ours = _scrambled(getattr(nn, name)(*args, **kwargs))
    theirs = tg.to_torch(ours)
    assert type(theirs) is getattr(torch.nn, name)
    back = tg.from_torch(theirs)
    assert type(back) is getattr(nn, name)
    assert repr(theirs) == repr(ours) == repr(back)  # the same constructor arguments
    modes = ("eval",) if name == "Dropout" and 0 < args[0] < 1 else ("train", "eval")
    _round_trip_matches(ours, inputs, torch, name, modes)


def _exported_module_classes() -> list[type]:
    return sorted({value for value in vars(nn).values()
                   if isinstance(value, type) and issubclass(value, nn.Module) and not value.__name__.startswith("_")},
                  key=lambda cls: cls.__name__)


# exported classes whose round trip is tested below rather than in LAYER_CASES (they have no forward)
TESTED_BELOW = {"Module", "Sequential", "ModuleList", "ModuleDict"}


@pytest.mark.parametrize("cls", _exported_module_classes(), ids=lambda cls: cls.__name__)
def test_every_exported_module_class_has_a_conversion_rule_and_a_case(cls):
    name = cls.__name__
    assert name in LAYER_ARGUMENTS, (f"nn.{name} has no conversion rule: add its constructor arguments to "
                                     "LAYER_ARGUMENTS in tinygrad_edu/interop.py")
    assert name in TESTED_BELOW or any(case[0] == name for case in LAYER_CASES), \
        f"nn.{name} has no round-trip case in LAYER_CASES of tests/test_interop.py"
    parameters = inspect.signature(cls).parameters
    assert all(arg in parameters for arg in LAYER_ARGUMENTS[name]), \
        f"LAYER_ARGUMENTS[{name!r}] names an argument nn.{name} does not take"


@pytest.mark.parametrize("name", sorted(LAYER_ARGUMENTS))
def test_conversion_rules_name_real_constructor_arguments_of_torch(name, torch):
    parameters = inspect.signature(getattr(torch.nn, name)).parameters
    assert all(arg in parameters for arg in LAYER_ARGUMENTS[name])


@pytest.mark.usefixtures("float64_default")
def test_a_convolutional_model_round_trips(torch):
    model = nn.Sequential(OrderedDict(
        conv=nn.Conv2d(2, 4, 3, padding=1), norm=nn.BatchNorm2d(4), act=nn.ReLU(), pool=nn.MaxPool2d(2),
        flat=nn.Flatten(), drop=nn.Dropout(0.0), head=nn.Sequential(nn.Linear(16, 5), nn.LayerNorm(5), nn.GELU()),
    ))
    _scrambled(model)
    assert [key for key, _ in tg.to_torch(model).named_children()] == ["conv", "norm", "act", "pool", "flat", "drop",
                                                                        "head"]
    _round_trip_matches(model, [randn(3, 2, 4, 4)], torch, "convolutional model")


class MLP(nn.Sequential):
    """A user subclass that adds a constructor but keeps Sequential's forward."""

    def __init__(self, sizes: list[int]) -> None:
        layers = []
        for n_in, n_out in zip(sizes, sizes[1:]):
            layers += [nn.Linear(n_in, n_out), nn.BatchNorm1d(n_out), nn.Tanh()]
        super().__init__(*layers)


@pytest.mark.usefixtures("float64_default")
def test_a_subclass_that_keeps_its_bases_forward_converts_as_the_base(torch):
    model = _scrambled(MLP([3, 5, 2]))
    assert type(tg.to_torch(model)) is torch.nn.Sequential
    _round_trip_matches(model, [randn(6, 3)], torch, "MLP(nn.Sequential)")


@pytest.mark.usefixtures("float64_default")
def test_module_lists_dicts_and_plain_holders_keep_their_structure(torch):
    holder = nn.Module()
    holder.blocks = nn.ModuleList([nn.Linear(3, 3), nn.Tanh()])
    holder.heads = nn.ModuleDict({"mean": nn.Linear(3, 1), "scale": nn.Sequential(nn.Linear(3, 1), nn.Softplus())})
    holder.register_buffer("steps", tg.tensor(7))
    theirs = tg.to_torch(holder)
    back = tg.from_torch(theirs)
    assert type(theirs) is torch.nn.Module and type(back) is nn.Module
    assert type(theirs.blocks) is torch.nn.ModuleList and type(theirs.heads) is torch.nn.ModuleDict
    assert type(back.blocks) is nn.ModuleList and type(back.heads) is nn.ModuleDict
    assert list(theirs.heads) == ["mean", "scale"] == list(back.heads)
    assert list(theirs.state_dict()) == list(holder.state_dict()) == list(back.state_dict())
    assert theirs.steps.item() == back.steps.item() == 7 and theirs.steps.dtype == torch.int64
    x = randn(4, 3)
    for ours, torch_module, back_module in ((holder.blocks[0], theirs.blocks[0], back.blocks[0]),
                                            (holder.heads["scale"], theirs.heads["scale"], back.heads["scale"])):
        close(ours(tg.tensor(x)).numpy(), torch_module(torch.tensor(x)), "holder child")
        close(ours(tg.tensor(x)).numpy(), back_module(tg.tensor(x)).numpy(), "holder child, copy back")


@pytest.mark.usefixtures("float64_default")
def test_shared_layers_and_tied_weights_stay_shared(torch):
    shared = nn.Linear(3, 3)
    embedding, output = nn.Embedding(5, 3), nn.Linear(3, 5, bias=False)
    output.weight = embedding.weight
    model = nn.Sequential(shared, nn.Tanh(), shared)
    theirs = tg.to_torch(model)
    back = tg.from_torch(theirs)
    assert theirs[0] is theirs[2] and back[0] is back[2]
    _round_trip_matches(model, [randn(2, 3)], torch, "shared layer", modes=("train",))  # gradients accumulate
    tied = tg.to_torch(nn.ModuleList([embedding, output]))
    assert tied[0].weight is tied[1].weight
    tied_back = tg.from_torch(tied)
    assert tied_back[0].weight is tied_back[1].weight


def test_frozen_parameters_non_persistent_buffers_and_dtypes_are_kept(torch):
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    model[0].weight.requires_grad_(False)
    model[1].register_buffer("scratch", tg.zeros(3), persistent=False)
    theirs = tg.to_torch(model)
    assert not theirs[0].weight.requires_grad and theirs[0].bias.requires_grad
    assert isinstance(theirs[0].weight, torch.nn.Parameter)
    assert theirs[0].weight.dtype == torch.float32 and theirs[1].num_batches_tracked.dtype == torch.int64
    assert "1.scratch" not in theirs.state_dict() and theirs[1].scratch.shape == (3,)
    back = tg.from_torch(theirs.double())
    assert not back[0].weight.requires_grad and back[0].weight.dtype == np.float64
    assert "1.scratch" not in back.state_dict() and back[1].scratch.shape == (3,)


def test_a_model_built_and_trained_in_torch_comes_over(torch):
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Conv2d(1, 3, 3, padding=1), torch.nn.BatchNorm2d(3), torch.nn.ELU(),
                                 torch.nn.AvgPool2d(2), torch.nn.Flatten(), torch.nn.Linear(12, 2),
                                 torch.nn.LogSoftmax(dim=1))
    x = randn(4, 1, 4, 4).astype(np.float32)
    theirs(torch.tensor(x)).sum().backward()  # a training step moves the running statistics
    theirs.eval()
    ours = tg.from_torch(theirs)
    assert not ours.training and ours[1].num_batches_tracked.item() == 1
    np.testing.assert_allclose(ours(tg.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_state_dicts_convert_and_load_strictly(torch):
    ours = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(8, 2))
    theirs = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2), torch.nn.Flatten(),
                                 torch.nn.Linear(8, 2))
    theirs.load_state_dict(tg.to_torch(ours.state_dict()))
    for key, value in ours.state_dict().items():
        close(value.numpy(), theirs.state_dict()[key], key)
    with torch.no_grad():
        theirs[3].bias.add_(1.0)
    ours.load_state_dict(tg.from_torch(theirs.state_dict()))
    close(ours[3].bias.numpy(), theirs[3].bias, "bias loaded back")


class Net(nn.Module):
    """A user model with a forward of its own: not translated."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.fc2 = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc2(nn.functional.relu(self.fc1(x)))


def test_a_custom_forward_is_refused_with_the_way_out(torch):
    model = nn.Sequential(nn.Linear(3, 3), Net())
    with pytest.raises(TypeError, match=r"model\.1 \(.*test_interop\.Net\) defines its own forward\(\)") as error:
        tg.to_torch(model)
    assert "torch_model.load_state_dict(tg.to_torch(model.state_dict()))" in str(error.value)

    class TorchNet(torch.nn.Module):  # the way out: the same class written with PyTorch
        def __init__(self) -> None:
            super().__init__()
            self.fc1 = torch.nn.Linear(3, 4)
            self.fc2 = torch.nn.Linear(4, 2)

        def forward(self, x):
            return self.fc2(torch.relu(self.fc1(x)))

    ours, theirs = Net(), TorchNet()
    theirs.load_state_dict(tg.to_torch(ours.state_dict()))
    x = randn(5, 3).astype(np.float32)
    close_enough = dict(rtol=1e-5, atol=1e-6)  # float32
    np.testing.assert_allclose(ours(tg.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), **close_enough)
    with pytest.raises(TypeError, match=r"TorchNet\) defines its own forward\(\).*tinygrad_edu\.nn"):
        tg.from_torch(theirs)


def test_torch_layers_without_a_counterpart_are_refused(torch):
    with pytest.raises(TypeError, match=r"model\.1 \(torch\.nn\.modules\.rnn\.LSTM\) is a torch layer with no "
                                        r"conversion rule"):
        tg.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.LSTM(2, 3)))
    with pytest.raises(TypeError, match=r"Embedding\) uses max_norm=1\.0, which tinygrad_edu's Embedding does not"):
        tg.from_torch(torch.nn.Embedding(4, 2, max_norm=1.0))
    hooked = torch.nn.Linear(2, 2)
    hooked.register_forward_hook(lambda module, inputs, output: output * 2)
    with pytest.raises(TypeError, match=r"model \(torch.*Linear\) has hooks \(_forward_hooks\), which are not"):
        tg.from_torch(hooked)
    without_weight = torch.nn.Linear(2, 2)
    del without_weight.weight
    with pytest.raises(TypeError, match=r"model \(Linear\) has no weight, which a new Linear has"):
        tg.from_torch(without_weight)
    without_bias = torch.nn.Linear(2, 2)
    del without_bias.bias  # a layer without bias still converts: it is Linear(bias=False)
    assert tg.from_torch(without_bias).bias is None
    with pytest.raises(TypeError, match="to_torch: expected a Module, a Tensor or a state dict"):
        tg.to_torch([tg.zeros(2)])


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int64", "int32", "uint8", "bool"])
def test_tensors_keep_values_dtype_and_requires_grad(dtype, torch):
    values = np.arange(6).reshape(2, 3).astype(dtype)[:, ::-1]  # not contiguous
    ours = tg.tensor(values, requires_grad=dtype.startswith("float"))
    theirs = tg.to_torch(ours)
    assert theirs.dtype == getattr(torch, dtype) and theirs.requires_grad == ours.requires_grad and theirs.is_leaf
    np.testing.assert_array_equal(theirs.detach().numpy(), values)
    back = tg.from_torch(theirs)
    assert back.dtype == np.dtype(dtype) and back.requires_grad == ours.requires_grad
    np.testing.assert_array_equal(back.numpy(), values)


def test_tensor_copies_are_independent_leaves(torch):
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3  # not a leaf
    theirs = tg.to_torch(y)
    assert theirs.is_leaf and theirs.requires_grad
    with torch.no_grad():
        theirs.add_(1.0)
    np.testing.assert_array_equal(y.numpy(), [3.0, 6.0])
    assert isinstance(tg.to_torch(nn.Parameter(tg.ones(2))), torch.nn.Parameter)
    assert isinstance(tg.from_torch(torch.nn.Parameter(torch.ones(2))), nn.Parameter)
    assert type(tg.from_torch(torch.ones(2))) is tg.Tensor
    with pytest.raises(TypeError, match="dtype torch.bfloat16 has no NumPy counterpart.*tensor.float()"):
        tg.from_torch(torch.ones(2, dtype=torch.bfloat16))


@pytest.mark.parametrize("convert", ["to_torch", "from_torch"])
def test_without_torch_the_error_says_to_install_it(convert, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    with pytest.raises(ImportError, match=rf"tg\.{convert} needs PyTorch.*install PyTorch"):
        getattr(tg, convert)(tg.zeros(2))
