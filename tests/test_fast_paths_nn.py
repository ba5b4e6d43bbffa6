"""Fast paths of nn, optim and the fused losses keep PyTorch's behaviour.

* Registered parameters, buffers and child modules are mirrored into the instance dict so that
  `self.weight` skips the `__getattr__` fallback: every way of setting, replacing, deleting or
  renumbering must keep the mirror equal to the registries.
* `cross_entropy` passes `ignore_index=None` to the fused op when no target is ignored, and the op
  keeps its gradient from the forward pass: both must match the general path and PyTorch.
* `Optimizer.step` keeps no state entry for stateless rules and reads `maximize` per group.
"""

from __future__ import annotations

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn, optim

REGISTRIES = ("_parameters", "_buffers", "_modules")


def assert_mirrored(model: nn.Module) -> None:
    """Every registered name that the class does not define is in the instance dict as the registry's
    own object (so attribute lookup finds it directly); names the class defines are not shadowed."""
    for module in model.modules():
        names = [name for registry in REGISTRIES for name in getattr(module, registry)]
        assert len(names) == len(set(names)), "a name is registered twice"
        for registry in REGISTRIES:
            for name, value in getattr(module, registry).items():
                if hasattr(type(module), name):
                    assert name not in module.__dict__, (type(module).__name__, name)
                else:
                    assert module.__dict__[name] is value and getattr(module, name) is value, name


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.scale = nn.Parameter(tg.ones(1))
        self.register_buffer("steps", tg.zeros(1))
        self.register_buffer("cache", None, persistent=False)

    def forward(self, x):
        return self.fc(x) * self.scale


# -- attribute mirror ------------------------------------------------------------------------------


def test_registered_values_are_found_directly():
    net = Net()
    assert_mirrored(net)
    assert net.fc.weight is net.fc._parameters["weight"]
    assert net.steps is net._buffers["steps"] and net.cache is None
    assert net.fc is net._modules["fc"]


def test_replacing_and_clearing_a_parameter():
    net = Net()
    new = nn.Parameter(tg.zeros(1))
    net.scale = new
    assert net.scale is new and net._parameters["scale"] is new
    net.scale = None
    assert net.scale is None and "scale" in net._parameters
    assert [n for n, _ in net.named_parameters()] == ["fc.weight", "fc.bias"]
    with pytest.raises(TypeError, match="cannot assign Tensor as parameter 'scale'"):
        net.scale = tg.ones(1)
    assert net.scale is None
    net.scale = new
    assert net.scale is new
    assert_mirrored(net)


def test_deleting_a_parameter_then_assigning_a_plain_tensor():
    """The weight-norm pattern: the name stops being a parameter and becomes a plain attribute."""
    lin = nn.Linear(3, 2)
    del lin.weight
    with pytest.raises(AttributeError, match="has no attribute 'weight'"):
        lin.weight
    assert "weight" not in lin._parameters
    plain = tg.ones(2, 3)
    lin.weight = plain
    assert lin.weight is plain and "weight" not in lin._parameters
    assert [n for n, _ in lin.named_parameters()] == ["bias"]
    assert lin(tg.ones(1, 3)).shape == (1, 2)
    lin.weight = nn.Parameter(tg.zeros(2, 3))
    assert lin._parameters["weight"] is lin.weight
    assert list(lin.state_dict()) == ["bias", "weight"]
    assert_mirrored(lin)


def test_register_methods_and_kind_changes():
    m = nn.Module()
    m.register_parameter("a", nn.Parameter(tg.ones(1)))
    m.register_buffer("b", tg.zeros(1))
    m.add_module("c", nn.ReLU())
    assert_mirrored(m)
    m.a = nn.ReLU()  # a parameter name rebound to a module
    assert isinstance(m.a, nn.ReLU) and "a" not in m._parameters and m._modules["a"] is m.a
    m.b = tg.ones(3)  # a buffer stays a buffer when given a new tensor
    assert m.b is m._buffers["b"] and m.b.shape == (3,)
    m.b = None
    assert m.b is None and "b" in m._buffers
    m.c = None
    assert m.c is None and "c" in m._modules
    m.register_buffer("a", tg.zeros(2))  # a module name re-registered as a buffer
    assert m.a is m._buffers["a"] and "a" not in m._modules
    del m.a
    with pytest.raises(AttributeError):
        m.a
    assert_mirrored(m)


def test_register_parameter_none_then_assign():
    lin = nn.Linear(3, 2, bias=False)
    assert lin.bias is None and "bias" in lin.__dict__
    lin.bias = nn.Parameter(tg.zeros(2))
    assert lin.bias is lin._parameters["bias"]
    assert_mirrored(lin)


def test_plain_attributes_are_not_registered():
    m = nn.Module()
    m.value = 3
    assert m.value == 3 and all("value" not in getattr(m, r) for r in REGISTRIES)
    m.value = nn.Parameter(tg.ones(1))  # a plain attribute turned into a parameter
    assert m._parameters["value"] is m.value
    del m.value
    assert "value" not in m.__dict__ and "value" not in m._parameters


def test_class_attributes_win_over_registered_names_as_in_pytorch():
    class WithProperty(nn.Module):
        @property
        def weight(self):
            return "property"

    m = WithProperty()
    m.weight = nn.Parameter(tg.ones(1))
    assert m.weight == "property" and "weight" in m._parameters and "weight" not in m.__dict__
    assert [n for n, _ in m.named_parameters()] == ["weight"]

    d = nn.ModuleDict({"keys": nn.ReLU(), "forward": nn.Tanh(), "x": nn.ReLU()})
    assert list(d.keys()) == ["keys", "forward", "x"]  # the methods are not shadowed
    assert d.x is d["x"]
    assert_mirrored(d)


def test_sequential_edits_keep_numbered_attributes():
    a, b, c, d = nn.ReLU(), nn.Tanh(), nn.Sigmoid(), nn.Identity()
    seq = nn.Sequential(a, b, c)
    assert getattr(seq, "2") is c
    seq[1] = d
    assert getattr(seq, "1") is d
    del seq[0]
    assert [getattr(seq, "0"), getattr(seq, "1")] == [d, c]
    with pytest.raises(AttributeError):
        getattr(seq, "2")
    seq.insert(0, a)
    seq.append(b)
    assert [getattr(seq, str(i)) for i in range(4)] == [a, d, c, b]
    del seq[1:3]
    assert [getattr(seq, str(i)) for i in range(2)] == [a, b]
    assert not hasattr(seq, "2") and not hasattr(seq, "3")
    assert_mirrored(seq)
    named = nn.Sequential(OrderedDict(first=a, second=b))
    assert named.first is a and named[1] is b
    assert_mirrored(named)


def test_module_list_and_dict_edits():
    layers = nn.ModuleList([nn.ReLU(), nn.Tanh()])
    layers += [nn.Sigmoid()]
    del layers[0]
    assert isinstance(getattr(layers, "0"), nn.Tanh) and not hasattr(layers, "2")
    assert_mirrored(layers)

    d = nn.ModuleDict({"a": nn.ReLU(), "b": nn.Tanh()})
    d["c"] = nn.Sigmoid()
    del d["a"]
    assert not hasattr(d, "a") and isinstance(d.c, nn.Sigmoid)
    popped = d.pop("b")
    assert isinstance(popped, nn.Tanh) and not hasattr(d, "b")
    d.clear()
    assert len(d) == 0 and not hasattr(d, "c")
    with pytest.raises(KeyError):
        del d["missing"]
    assert_mirrored(d)


@pytest.mark.parametrize("duplicate", [copy.deepcopy, lambda m: pickle.loads(pickle.dumps(m))],
                         ids=["deepcopy", "pickle"])
def test_copies_keep_their_own_consistent_mirror(duplicate):
    net = Net()
    twin = duplicate(net)
    assert_mirrored(twin)
    assert twin.fc.weight is not net.fc.weight
    np.testing.assert_array_equal(twin.fc.weight.numpy(), net.fc.weight.numpy())
    twin.fc.weight = nn.Parameter(tg.zeros(2, 3))
    assert twin.fc.weight is twin.fc._parameters["weight"]
    assert net.fc.weight is net.fc._parameters["weight"] and net.fc.weight.numpy().any()


def test_load_state_dict_and_to_keep_the_same_objects():
    net = Net()
    weight = net.fc.weight
    net.load_state_dict({k: v.numpy() * 0 for k, v in net.state_dict().items()})
    net.double()
    assert net.fc.weight is weight and net.fc.weight.dtype == np.float64 and not net.fc.weight.numpy().any()
    assert_mirrored(net)


def test_state_dict_and_named_parameters_unchanged():
    net = Net()
    assert list(net.state_dict()) == ["scale", "steps", "fc.weight", "fc.bias"]
    assert [n for n, _ in net.named_parameters()] == ["scale", "fc.weight", "fc.bias"]
    assert [n for n, _ in net.named_buffers()] == ["steps"]
    assert "scale" in dir(net) and "fc" in dir(net)


def test_linear_reports_the_layer_for_a_bad_input_and_linear_for_a_bad_bias():
    lin = nn.Linear(3, 2)
    with pytest.raises(ValueError, match=r"Linear\(in_features=3, out_features=2, bias=True\) expects input"):
        lin(tg.ones(4, 5))
    with pytest.raises(ValueError, match="Linear.* expects input"):
        lin(tg.tensor(1.0))
    lin.bias = nn.Parameter(tg.zeros(5))
    with pytest.raises(ValueError, match=r"linear: bias must have shape \(2,\)"):
        lin(tg.ones(4, 3))


# -- cross_entropy ---------------------------------------------------------------------------------


LOGITS = np.random.default_rng(0).standard_normal((6, 4))
TARGET = np.array([0, 3, 1, 1, 2, 3])


def _loss_and_grad(target, create_graph=False, **options):
    logits = tg.tensor(LOGITS, requires_grad=True)
    loss = F.cross_entropy(logits, tg.tensor(target), **options)
    (grad,) = tg.grad(loss.sum(), [logits], create_graph=create_graph)
    return loss, grad


@pytest.mark.usefixtures("float64_default")
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weight", [None, np.array([0.5, 2.0, 1.0, 3.0])], ids=["unweighted", "weighted"])
def test_cross_entropy_without_ignored_targets_equals_the_general_path(reduction, weight):
    """ignore_index=-100 (no target can be ignored: the fast path) against an ignore_index inside the
    targets' range that no target uses (the general path, with its keep mask)."""
    target = np.array([1, 3, 1, 1, 3, 3])
    w = None if weight is None else tg.tensor(weight)
    fast, fast_grad = _loss_and_grad(target, weight=w, reduction=reduction)
    general, general_grad = _loss_and_grad(target, weight=w, reduction=reduction, ignore_index=2)
    np.testing.assert_allclose(fast.numpy(), general.numpy(), rtol=1e-14)
    np.testing.assert_allclose(fast_grad.numpy(), general_grad.numpy(), rtol=1e-14, atol=1e-16)


@pytest.mark.usefixtures("float64_default")
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("options", [{}, {"weight": [0.5, 2.0, 1.0, 3.0]}, {"ignore_index": 1},
                                     {"ignore_index": -1, "weight": [0.5, 2.0, 1.0, 3.0]}],
                         ids=["plain", "weighted", "ignore", "ignore-negative-weighted"])
def test_cross_entropy_against_torch_first_and_second_order(reduction, options):
    torch = pytest.importorskip("torch")
    target = TARGET.copy()
    if options.get("ignore_index") == -1:
        target[2] = -1
    weight = options.get("weight")
    kwargs = {"ignore_index": options.get("ignore_index", -100), "reduction": reduction}
    loss, grad = _loss_and_grad(target, create_graph=True,
                                weight=None if weight is None else tg.tensor(weight), **kwargs)
    logits_t = torch.tensor(LOGITS, requires_grad=True)
    weight_t = None if weight is None else torch.tensor(weight, dtype=torch.float64)
    loss_t = torch.nn.functional.cross_entropy(logits_t, torch.tensor(target), weight=weight_t, **kwargs)
    (grad_t,) = torch.autograd.grad(loss_t.sum(), [logits_t], create_graph=True)
    np.testing.assert_allclose(loss.numpy(), loss_t.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(grad.numpy(), grad_t.detach().numpy(), rtol=1e-10, atol=1e-14)
    probe = np.random.default_rng(1).standard_normal(LOGITS.shape)
    logits = tg.tensor(LOGITS, requires_grad=True)
    loss = F.cross_entropy(logits, tg.tensor(target), weight=None if weight is None else tg.tensor(weight), **kwargs)
    (g,) = tg.grad(loss.sum(), [logits], create_graph=True)
    (hvp,) = tg.grad((g * tg.tensor(probe)).sum(), [logits])
    (hvp_t,) = torch.autograd.grad((grad_t * torch.tensor(probe)).sum(), [logits_t])
    np.testing.assert_allclose(hvp.numpy(), hvp_t.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.usefixtures("float64_default")
def test_cross_entropy_gradient_scales_with_the_incoming_gradient():
    logits = tg.tensor(LOGITS, requires_grad=True)
    losses = F.cross_entropy(logits, tg.tensor(TARGET), reduction="none")
    upstream = np.arange(1.0, 7.0)
    (losses * tg.tensor(upstream)).sum().backward()
    _, plain = _loss_and_grad(TARGET, reduction="none")
    np.testing.assert_allclose(logits.grad.numpy(), plain.numpy() * upstream[:, None], rtol=1e-12)
    logits.grad = None
    loss = F.cross_entropy(logits, tg.tensor(TARGET))
    (loss * 3.0).backward(retain_graph=True)
    loss.backward()
    _, mean_grad = _loss_and_grad(TARGET)
    np.testing.assert_allclose(logits.grad.numpy(), 4 * mean_grad.numpy(), rtol=1e-12)


def test_cross_entropy_no_grad_forward_equals_recorded_forward():
    logits = tg.tensor(LOGITS.astype(np.float32), requires_grad=True)
    recorded = F.cross_entropy(logits, tg.tensor(TARGET))
    with tg.no_grad():
        plain = F.cross_entropy(logits, tg.tensor(TARGET))
    assert plain.grad_fn is None and plain.dtype == np.float32
    np.testing.assert_array_equal(plain.numpy(), recorded.numpy())


@pytest.mark.parametrize("target, ignore_index, message", [
    ([0, 4, 1], -100, "target 4 is out of bounds for 4 classes"),
    ([0, -1, 1], -100, "target -1 is out of bounds"),
    ([0, -5, 9], -5, "target 9 is out of bounds"),
    ([0, 7, -1], 7, "target -1 is out of bounds"),
])
def test_cross_entropy_bad_targets_still_raise(target, ignore_index, message):
    with pytest.raises(IndexError, match=message):
        F.cross_entropy(tg.tensor(LOGITS[:3]), tg.tensor(target), ignore_index=ignore_index)


def test_cross_entropy_targets_outside_the_classes_may_be_ignore_index():
    loss = F.cross_entropy(tg.tensor(LOGITS[:3]), tg.tensor([0, -7, 2]), ignore_index=-7, reduction="none")
    assert loss.numpy()[1] == 0
    loss = F.cross_entropy(tg.tensor(LOGITS[:3]), tg.tensor(np.array([0, 255, 2], dtype=np.uint8)),
                           ignore_index=255, reduction="none")
    assert loss.numpy()[1] == 0 and loss.numpy()[0] > 0


def test_cross_entropy_all_targets_ignored_or_empty_gives_nan_as_pytorch():
    with np.errstate(invalid="ignore", divide="ignore"):
        assert np.isnan(F.cross_entropy(tg.tensor(LOGITS[:2]), tg.tensor([-100, -100])).item())
        assert np.isnan(F.cross_entropy(tg.tensor(np.zeros((0, 4))), tg.tensor(np.zeros(0, dtype=np.int64))).item())


# -- optimizer loop --------------------------------------------------------------------------------


def _params():
    return [tg.tensor(np.ones((2, 2)), requires_grad=True), tg.tensor(np.ones(2), requires_grad=True)]


def test_plain_sgd_keeps_no_state_and_skips_parameters_without_grad():
    a, b = _params()
    opt = optim.SGD([a, b], lr=0.5)
    a.grad = tg.tensor(np.full((2, 2), 2.0))
    opt.step()
    np.testing.assert_array_equal(a.numpy(), np.zeros((2, 2)))
    np.testing.assert_array_equal(b.numpy(), np.ones(2))
    assert len(opt.state) == 0 and opt.state_dict()["state"] == {}


def test_momentum_state_is_created_once_and_kept():
    a, b = _params()
    opt = optim.SGD([a, b], lr=0.1, momentum=0.9)
    a.grad = tg.tensor(np.ones((2, 2)))
    opt.step()
    buffer = opt.state[a]["momentum_buffer"]
    opt.step()
    assert opt.state[a]["momentum_buffer"] is buffer and b not in opt.state
    np.testing.assert_allclose(buffer.numpy(), np.full((2, 2), 1.9))
    assert list(opt.state_dict()["state"]) == [0]


def test_maximize_is_read_per_group_including_groups_added_later():
    a, b = _params()
    opt = optim.SGD([a], lr=1.0)
    opt.add_param_group({"params": [b], "maximize": True, "lr": 0.5})
    a.grad = tg.tensor(np.ones((2, 2)))
    b.grad = tg.tensor(np.ones(2))
    opt.step()
    np.testing.assert_array_equal(a.numpy(), np.zeros((2, 2)))
    np.testing.assert_array_equal(b.numpy(), np.full(2, 1.5))


def test_empty_loaded_state_entries_are_dropped_after_a_step():
    a, b = _params()
    opt = optim.SGD([a, b], lr=0.1)
    opt.load_state_dict({"state": {0: {}}, "param_groups": opt.state_dict()["param_groups"]})
    a.grad = tg.tensor(np.ones((2, 2)))
    opt.step()
    assert len(opt.state) == 0


def test_weight_decay_with_numpy_scalar_options_keeps_the_parameter_dtype():
    p = tg.tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    opt = optim.SGD([p], lr=np.float64(0.1), weight_decay=np.float64(0.5), momentum=np.float64(0.5))
    p.grad = tg.tensor(np.ones(3, dtype=np.float32))
    opt.step()
    opt.step()
    assert p.dtype == np.float32
    np.testing.assert_allclose(p.numpy(), 1 - 0.15 - 0.1 * (0.5 * 1.5 + (1 + 0.5 * 0.85)), rtol=1e-6)
