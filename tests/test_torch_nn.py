"""Every layer and loss against PyTorch: forward, input and parameter gradients, running statistics.

Weights move from tinygrad_edu to torch with a plain loop over the state dict, which checks that
names, shapes and layouts match. Skips cleanly when torch is not installed.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn

torch = pytest.importorskip("torch")

RTOL, ATOL = 1e-7, 1e-9


pytestmark = pytest.mark.usefixtures("float64_default")  # every test here runs in float64


def to_torch_state(module: nn.Module) -> dict:
    return {key: torch.from_numpy(np.array(value.numpy())) for key, value in module.state_dict().items()}


def close(ours, theirs, what: str) -> None:
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    np.testing.assert_allclose(np.asarray(ours), theirs, rtol=RTOL, atol=ATOL, err_msg=what)


def randn(*shape: int) -> np.ndarray:
    return np.random.default_rng(sum(shape) + len(shape)).standard_normal(shape)


# (constructor name, args, kwargs, input shape, modes); the same constructor call builds both modules
LAYERS = [
    ("Linear", (4, 3), {}, (5, 4), ("train",)),
    ("Linear", (4, 3), {"bias": False}, (2, 6, 4), ("train",)),
    ("Linear", (4, 3), {}, (4,), ("train",)),
    ("Conv2d", (3, 4, 3), {}, (2, 3, 6, 5), ("train",)),
    ("Conv2d", (4, 6, (3, 2)), {"stride": 2, "padding": 1, "dilation": (1, 2), "groups": 2}, (2, 4, 7, 8), ("train",)),
    ("Conv2d", (2, 3, 3), {"padding": "same", "bias": False}, (1, 2, 5, 5), ("train",)),
    ("Conv2d", (2, 3, 3), {"padding": 1, "padding_mode": "reflect"}, (2, 2, 5, 4), ("train",)),
    ("Conv2d", (2, 3, 3), {"padding": 2, "padding_mode": "circular"}, (2, 2, 5, 4), ("train",)),
    ("Conv2d", (2, 3, 3), {"padding": 1, "padding_mode": "replicate"}, (2, 5, 4), ("train",)),
    ("MaxPool2d", (2,), {}, (2, 3, 6, 6), ("train",)),
    ("MaxPool2d", (3,), {"stride": 2, "padding": 1}, (2, 3, 7, 6), ("train",)),
    ("MaxPool2d", (3,), {"stride": 2, "ceil_mode": True}, (1, 2, 8, 7), ("train",)),
    ("MaxPool2d", ((2, 3),), {"dilation": 2}, (1, 2, 8, 9), ("train",)),
    ("AvgPool2d", (2,), {}, (2, 3, 6, 6), ("train",)),
    ("AvgPool2d", (3,), {"stride": 2, "padding": 1}, (2, 3, 7, 6), ("train",)),
    ("AvgPool2d", (3,), {"stride": 2, "padding": 1, "count_include_pad": False}, (2, 3, 7, 6), ("train",)),
    ("AvgPool2d", (2,), {"divisor_override": 3}, (1, 2, 4, 4), ("train",)),
    ("Flatten", (), {}, (2, 3, 4, 5), ("train",)),
    ("Flatten", (0, 2), {}, (2, 3, 4, 5), ("train",)),
    ("BatchNorm1d", (3,), {}, (6, 3), ("train", "eval")),
    ("BatchNorm1d", (3,), {"affine": False, "momentum": 0.3}, (4, 3, 5), ("train", "eval")),
    ("BatchNorm1d", (3,), {"momentum": None}, (4, 3), ("train", "eval")),
    ("BatchNorm1d", (3,), {"track_running_stats": False}, (4, 3), ("train", "eval")),
    ("BatchNorm2d", (2,), {}, (3, 2, 4, 5), ("train", "eval")),
    ("BatchNorm2d", (2,), {"eps": 1e-3}, (3, 2, 4, 5), ("train", "eval")),
    ("LayerNorm", (5,), {}, (3, 5), ("train",)),
    ("LayerNorm", ((4, 5),), {"eps": 1e-3}, (2, 3, 4, 5), ("train",)),
    ("LayerNorm", (5,), {"elementwise_affine": False}, (3, 5), ("train",)),
    ("LayerNorm", (5,), {"bias": False}, (3, 5), ("train",)),
    ("Dropout", (0.3,), {}, (4, 5), ("eval",)),
    ("Identity", (), {}, (3, 4), ("train",)),
    ("ReLU", (), {}, (3, 4), ("train",)),
    ("Sigmoid", (), {}, (3, 4), ("train",)),
    ("Tanh", (), {}, (3, 4), ("train",)),
    ("LeakyReLU", (), {}, (3, 4), ("train",)),
    ("LeakyReLU", (0.2,), {}, (3, 4), ("train",)),
    ("GELU", (), {}, (3, 4), ("train",)),
    ("GELU", (), {"approximate": "tanh"}, (3, 4), ("train",)),
    ("ELU", (), {"alpha": 0.7}, (3, 4), ("train",)),
    ("Softplus", (), {"beta": 2.0, "threshold": 1.0}, (3, 4), ("train",)),
    ("Softmax", (1,), {}, (3, 4, 2), ("train",)),
    ("LogSoftmax", (-1,), {}, (3, 4), ("train",)),
]


def _case_id(case) -> str:
    name, args, kwargs, shape, _ = case
    return f"{name}{args}{kwargs}{shape}"


@pytest.mark.parametrize("case", LAYERS, ids=_case_id)
def test_layer_matches_torch(case):
    name, args, kwargs, shape, modes = case
    ours = getattr(nn, name)(*args, **kwargs)
    theirs = getattr(torch.nn, name)(*args, **kwargs).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict(to_torch_state(ours))
    assert repr(ours) == repr(theirs)
    for step, mode in enumerate(modes * 2):  # twice: running statistics carry over between calls
        ours.train(mode == "train")
        theirs.train(mode == "train")
        data = randn(*shape) + step
        x = tg.tensor(data, requires_grad=True)
        tx = torch.tensor(data, requires_grad=True)
        out, tout = ours(x), theirs(tx)
        close(out.numpy(), tout, f"{name} forward ({mode})")
        seed = randn(*tout.shape)
        out.backward(tg.tensor(seed))
        tout.backward(torch.tensor(seed))
        close(x.grad.numpy(), tx.grad, f"{name} input grad ({mode})")
        for (key, p), (tkey, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
            assert key == tkey
            close(p.grad.numpy(), tp.grad, f"{name} grad of {key} ({mode})")
            p.grad, tp.grad = None, None
        for key, value in theirs.state_dict().items():
            close(ours.state_dict()[key].numpy(), value, f"{name} state {key} after {mode}")


def test_dropout_train_mode_scales_kept_elements():
    x = tg.ones(200, 50)
    out = nn.Dropout(0.3)(x).numpy()
    kept = out != 0
    np.testing.assert_allclose(out[kept], 1 / 0.7)
    assert abs(kept.mean() - 0.7) < 0.02


def test_embedding_matches_torch():
    ours = nn.Embedding(7, 3, padding_idx=2)
    theirs = torch.nn.Embedding(7, 3, padding_idx=2).double()
    theirs.load_state_dict(to_torch_state(ours))
    index = np.array([[0, 2, 6], [2, 1, 0]])
    out, tout = ours(tg.tensor(index)), theirs(torch.tensor(index))
    close(out.numpy(), tout, "embedding forward")
    seed = randn(2, 3, 3)
    out.backward(tg.tensor(seed))
    tout.backward(torch.tensor(seed))
    close(ours.weight.grad.numpy(), theirs.weight.grad, "embedding weight grad")


def test_init_of_layers_matches_torch_bounds():
    """Linear and Conv2d draw from the same ranges as torch (uniform bounds 1/sqrt(fan_in))."""
    for ours in (nn.Linear(50, 40), nn.Conv2d(6, 8, 3, groups=2)):
        fan_in = ours.weight.size // ours.weight.shape[0]
        bound = 1 / np.sqrt(fan_in)
        for p in (ours.weight, ours.bias):
            assert np.abs(p.numpy()).max() <= bound
            assert np.abs(p.numpy()).max() > 0.8 * bound


def _logits(shape):
    return randn(*shape) * 2


def _indices(shape, classes, ignore=None):
    labels = np.random.default_rng(7).integers(0, classes, shape)
    if ignore is not None:
        labels.flat[::3] = ignore
    return labels


def _probs(shape):
    p = np.random.default_rng(3).random(shape) + 0.05
    return p / p.sum(axis=1, keepdims=True)


WEIGHT = np.array([0.2, 1.0, 2.5, 0.7])

# (loss name, kwargs, input array, target array, whether the target needs grad too)
LOSSES = [
    ("MSELoss", {}, randn(3, 4), randn(4, 3).T, True),
    ("L1Loss", {}, randn(3, 4), randn(4, 3).T, True),
    ("HuberLoss", {}, randn(3, 4) * 2, randn(4, 3).T, True),
    ("HuberLoss", {"delta": 0.5}, randn(3, 4) * 2, randn(4, 3).T, True),
    ("SmoothL1Loss", {}, randn(3, 4) * 2, randn(4, 3).T, True),
    ("SmoothL1Loss", {"beta": 0.3}, randn(3, 4) * 2, randn(4, 3).T, True),
    ("SmoothL1Loss", {"beta": 0.0}, randn(3, 4) * 2, randn(4, 3).T, True),
    ("CrossEntropyLoss", {}, _logits((5, 4)), _indices(5, 4), False),
    ("CrossEntropyLoss", {}, _logits((4,)), np.array(2), False),
    ("CrossEntropyLoss", {}, _logits((3, 4, 2, 5)), _indices((3, 2, 5), 4), False),
    ("CrossEntropyLoss", {"ignore_index": 1}, _logits((6, 4)), _indices(6, 4, ignore=1), False),
    ("CrossEntropyLoss", {"weight": WEIGHT}, _logits((6, 4)), _indices(6, 4), False),
    ("CrossEntropyLoss", {"weight": WEIGHT, "ignore_index": -100}, _logits((6, 4)), _indices(6, 4, ignore=-100), False),
    ("CrossEntropyLoss", {"label_smoothing": 0.2}, _logits((6, 4)), _indices(6, 4, ignore=-100), False),
    ("CrossEntropyLoss", {"label_smoothing": 0.1, "weight": WEIGHT}, _logits((6, 4, 3)),
     _indices((6, 3), 4, ignore=-100), False),
    ("CrossEntropyLoss", {}, _logits((5, 4)), _probs((5, 4)), True),
    ("CrossEntropyLoss", {"weight": WEIGHT, "label_smoothing": 0.3}, _logits((5, 4, 2)), _probs((5, 4, 2)), True),
    ("NLLLoss", {}, _logits((5, 4)), _indices(5, 4), False),
    ("NLLLoss", {"weight": WEIGHT, "ignore_index": 0}, _logits((6, 4, 2)), _indices((6, 2), 4), False),
    ("BCELoss", {}, np.random.default_rng(1).uniform(0.02, 0.98, (4, 3)),
     np.random.default_rng(2).uniform(0, 1, (4, 3)), True),
    ("BCELoss", {"weight": randn(3)}, np.random.default_rng(1).uniform(0.02, 0.98, (4, 3)),
     (randn(4, 3) > 0).astype(float), False),
    ("BCEWithLogitsLoss", {}, randn(4, 3) * 5, np.random.default_rng(2).uniform(0, 1, (4, 3)), True),
    ("BCEWithLogitsLoss", {"weight": np.abs(randn(3)), "pos_weight": np.array([0.5, 2.0, 3.0])},
     randn(4, 3) * 30, (randn(4, 3) > 0).astype(float), True),
    ("KLDivLoss", {}, np.log(_probs((4, 3))), _probs((4, 3)), True),
    ("KLDivLoss", {}, np.log(_probs((4, 3))), _probs((4, 3)) * (randn(4, 3) > -1), False),  # 0 log 0 = 0
    ("KLDivLoss", {"log_target": True}, np.log(_probs((4, 3))), np.log(_probs((3, 4)).T), True),
]


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss")
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("case", LOSSES, ids=lambda c: f"{c[0]}{sorted(c[1])}{c[2].shape}")
def test_loss_matches_torch(case, reduction):
    name, kwargs, input_data, target_data, target_grad = case
    ours_kwargs = {k: tg.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    theirs_kwargs = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    ours = getattr(nn, name)(reduction=reduction, **ours_kwargs)
    theirs = getattr(torch.nn, name)(reduction=reduction, **theirs_kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = tg.tensor(input_data, requires_grad=True)
    tx = torch.tensor(input_data, requires_grad=True)
    t = tg.tensor(target_data, requires_grad=target_grad)
    tt = torch.tensor(target_data, requires_grad=target_grad)
    out, tout = ours(x, t), theirs(tx, tt)
    close(out.numpy(), tout, f"{name} {reduction} forward")
    seed = randn(*tout.shape) if tout.ndim else np.array(1.7)
    out.backward(tg.tensor(seed))
    tout.backward(torch.tensor(seed))
    close(x.grad.numpy(), tx.grad, f"{name} {reduction} input grad")
    if target_grad:
        close(t.grad.numpy(), tt.grad, f"{name} {reduction} target grad")


def test_kl_div_batchmean_matches_torch():
    x, t = np.log(_probs((4, 3))), _probs((4, 3))
    ours = F.kl_div(tg.tensor(x), tg.tensor(t), reduction="batchmean")
    theirs = torch.nn.functional.kl_div(torch.tensor(x), torch.tensor(t), reduction="batchmean")
    close(ours.numpy(), theirs, "kl_div batchmean")


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_matches_torch(mode):
    data = randn(2, 3, 4, 5)
    pad = (1, 2, 3, 1)
    x = tg.tensor(data, requires_grad=True)
    tx = torch.tensor(data, requires_grad=True)
    out = F.pad(x, pad, mode=mode)
    tout = torch.nn.functional.pad(tx, pad, mode=mode)
    close(out.numpy(), tout, f"pad {mode}")
    seed = randn(*tout.shape)
    out.backward(tg.tensor(seed))
    tout.backward(torch.tensor(seed))
    close(x.grad.numpy(), tx.grad, f"pad {mode} grad")


def test_pad_constant_negative_and_value():
    data = randn(3, 4)
    out = F.pad(tg.tensor(data), (-1, 2, 1, 0), value=2.5)
    close(out.numpy(), torch.nn.functional.pad(torch.tensor(data), (-1, 2, 1, 0), value=2.5), "negative pad")


def test_unfold_fold_one_hot_match_torch():
    data = randn(2, 3, 5, 6)
    ours = F.unfold(tg.tensor(data), (2, 3), dilation=1, padding=1, stride=2)
    theirs = torch.nn.functional.unfold(torch.tensor(data), (2, 3), dilation=1, padding=1, stride=2)
    close(ours.numpy(), theirs, "unfold")
    close(F.fold(ours, (5, 6), (2, 3), padding=1, stride=2).numpy(),
          torch.nn.functional.fold(theirs, (5, 6), (2, 3), padding=1, stride=2), "fold")
    labels = np.array([[0, 3], [2, 1]])
    close(F.one_hot(tg.tensor(labels)).numpy(), torch.nn.functional.one_hot(torch.tensor(labels)), "one_hot")
    assert F.one_hot(tg.tensor(labels), 6).dtype == np.int64


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
def test_clip_grad_norm_matches_torch(norm_type):
    grads = [randn(3, 4) * 3, randn(5)]
    ours = [nn.Parameter(tg.zeros(*g.shape)) for g in grads]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, tp, g in zip(ours, theirs, grads):
        p.grad, tp.grad = tg.tensor(g), torch.tensor(g)
    total = nn.utils.clip_grad_norm_(ours, 1.5, norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(theirs, 1.5, norm_type)
    close(total.numpy(), ttotal, "total norm")
    for p, tp in zip(ours, theirs):
        close(p.grad.numpy(), tp.grad, "clipped grad")


def test_clip_grad_value_matches_torch():
    g = randn(4, 5) * 2
    p, tp = nn.Parameter(tg.zeros(4, 5)), torch.zeros(4, 5, dtype=torch.float64, requires_grad=True)
    p.grad, tp.grad = tg.tensor(g), torch.tensor(g)
    nn.utils.clip_grad_value_([p], 0.7)
    torch.nn.utils.clip_grad_value_([tp], 0.7)
    close(p.grad.numpy(), tp.grad, "clip value")


def test_state_dict_converts_both_ways_with_a_plain_loop():
    ours = nn.Sequential(nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 3))
    theirs = torch.nn.Sequential(torch.nn.Conv2d(2, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
                                 torch.nn.Flatten(), torch.nn.Linear(4 * 4 * 4, 3)).double()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    data = randn(2, 2, 6, 6)
    ours.eval()
    theirs.eval()
    close(ours(tg.tensor(data)).numpy(), theirs(torch.tensor(data)), "converted model")
    assert repr(ours).split("\n")[1:] == repr(theirs).split("\n")[1:]
