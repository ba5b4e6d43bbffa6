"""Losses: NumPy references written here, every reduction, gradchecks in float64, and the
cross-entropy options (indices vs probabilities, ignore_index, label_smoothing, weight)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn

rng = np.random.default_rng(0)


pytestmark = pytest.mark.usefixtures("float64_default")  # every test here runs in float64


def reduce(values: np.ndarray, reduction: str) -> np.ndarray:
    return {"mean": values.mean, "sum": values.sum, "none": lambda: values}[reduction]()


def np_log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def np_cross_entropy(logits, labels, weight=None, ignore_index=-100, smoothing=0.0, reduction="mean"):
    """Reference for (N, C) logits and (N,) labels, written from PyTorch's documented formula."""
    n, c = logits.shape
    logp = np_log_softmax(logits, 1)
    w = np.ones(c) if weight is None else weight
    keep = labels != ignore_index
    safe = np.where(keep, labels, 0)
    per_sample = np.zeros(n)
    for i in range(n):
        if keep[i]:
            nll = -w[safe[i]] * logp[i, safe[i]]
            uniform = -(w * logp[i]).sum() / c
            per_sample[i] = (1 - smoothing) * nll + smoothing * uniform
    if reduction == "mean":
        return per_sample.sum() / w[safe[keep]].sum()
    return reduce(per_sample, reduction)


def np_bce(p, t, weight=1.0):
    with np.errstate(divide="ignore"):
        return -weight * (t * np.maximum(np.log(p), -100) + (1 - t) * np.maximum(np.log(1 - p), -100))


REDUCTIONS = ["mean", "sum", "none"]
x_data, t_data = rng.normal(size=(4, 3)) * 2, rng.normal(size=(4, 3))
diff = x_data - t_data


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("loss, reference", [
    (lambda r: nn.MSELoss(r), diff**2),
    (lambda r: nn.L1Loss(r), np.abs(diff)),
    (lambda r: nn.HuberLoss(r, delta=1.5), np.where(np.abs(diff) < 1.5, 0.5 * diff**2, 1.5 * (np.abs(diff) - 0.75))),
    (lambda r: nn.SmoothL1Loss(r, beta=0.5), np.where(np.abs(diff) < 0.5, diff**2, np.abs(diff) - 0.25)),
    (lambda r: nn.BCEWithLogitsLoss(reduction=r), np_bce(1 / (1 + np.exp(-x_data)), 1 / (1 + np.exp(-t_data)))),
], ids=["mse", "l1", "huber", "smooth_l1", "bce_logits"])
def test_regression_losses_against_numpy(loss, reference, reduction):
    target = 1 / (1 + np.exp(-t_data)) if isinstance(loss(reduction), nn.BCEWithLogitsLoss) else t_data
    out = loss(reduction)(tg.tensor(x_data), tg.tensor(target))
    np.testing.assert_allclose(out.numpy(), reduce(reference, reduction))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_against_numpy_and_clamps_log(reduction):
    p = np.array([[0.0, 0.3], [1.0, 0.999]])
    t = np.array([[0.0, 1.0], [0.0, 1.0]])
    out = nn.BCELoss(reduction=reduction)(tg.tensor(p), tg.tensor(t))
    np.testing.assert_allclose(out.numpy(), reduce(np_bce(p, t), reduction))
    assert np.isfinite(out.numpy()).all()


def test_bce_gradient_is_finite_when_probabilities_saturate():
    p = tg.tensor([1.0, 0.0, 0.5], requires_grad=True)
    nn.BCELoss()(p, tg.tensor([0.0, 1.0, 1.0])).backward()
    assert np.isfinite(p.grad.numpy()).all()


def test_bce_with_logits_is_stable_for_huge_logits():
    x = tg.tensor([1000.0, -1000.0, 0.0], requires_grad=True)
    loss = nn.BCEWithLogitsLoss(reduction="none")(x, tg.tensor([0.0, 1.0, 0.0]))
    np.testing.assert_allclose(loss.numpy(), [1000.0, 1000.0, np.log(2)])
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, -1.0, 0.5])


def test_bce_with_logits_pos_weight_and_weight():
    x, t = rng.normal(size=(5, 3)), (rng.random((5, 3)) > 0.5).astype(float)
    pos_weight, weight = np.array([1.0, 2.0, 0.5]), np.array([0.3, 1.0, 2.0])
    s = 1 / (1 + np.exp(-x))
    expected = -weight * (pos_weight * t * np.log(s) + (1 - t) * np.log(1 - s))
    out = nn.BCEWithLogitsLoss(weight=tg.tensor(weight), pos_weight=tg.tensor(pos_weight), reduction="none")(
        tg.tensor(x), tg.tensor(t))
    np.testing.assert_allclose(out.numpy(), expected)


LOGITS = rng.normal(size=(7, 4)) * 2
LABELS = np.array([0, 3, 1, 1, 2, 3, 0])
WEIGHT = np.array([0.5, 2.0, 1.0, 3.0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", [
    {}, {"ignore_index": 1}, {"weight": WEIGHT}, {"weight": WEIGHT, "ignore_index": 3}, {"smoothing": 0.2},
    {"smoothing": 0.1, "weight": WEIGHT, "ignore_index": 0},
], ids=lambda o: ",".join(o) or "plain")
def test_cross_entropy_against_numpy(options, reduction):
    weight = options.get("weight")
    loss = nn.CrossEntropyLoss(weight=None if weight is None else tg.tensor(weight),
                               ignore_index=options.get("ignore_index", -100), reduction=reduction,
                               label_smoothing=options.get("smoothing", 0.0))
    out = loss(tg.tensor(LOGITS), tg.tensor(LABELS))
    expected = np_cross_entropy(LOGITS, LABELS, weight, options.get("ignore_index", -100),
                                options.get("smoothing", 0.0), reduction)
    np.testing.assert_allclose(out.numpy(), expected)


@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_cross_entropy_indices_equal_one_hot_probabilities(smoothing):
    by_index = F.cross_entropy(tg.tensor(LOGITS), tg.tensor(LABELS), label_smoothing=smoothing)
    probs = F.one_hot(tg.tensor(LABELS), 4).double()
    by_probs = F.cross_entropy(tg.tensor(LOGITS), probs, label_smoothing=smoothing)
    np.testing.assert_allclose(by_index.numpy(), by_probs.numpy())


def test_cross_entropy_soft_targets_against_numpy():
    p = rng.random((7, 4))
    p /= p.sum(1, keepdims=True)
    out = F.cross_entropy(tg.tensor(LOGITS), tg.tensor(p), weight=tg.tensor(WEIGHT), reduction="none")
    np.testing.assert_allclose(out.numpy(), -(np_log_softmax(LOGITS, 1) * p * WEIGHT).sum(1))


def test_cross_entropy_spatial_equals_flattened():
    logits = rng.normal(size=(2, 4, 3, 2))
    labels = rng.integers(0, 4, (2, 3, 2))
    spatial = F.cross_entropy(tg.tensor(logits), tg.tensor(labels), weight=tg.tensor(WEIGHT))
    flat = np_cross_entropy(logits.transpose(0, 2, 3, 1).reshape(-1, 4), labels.reshape(-1), WEIGHT)
    np.testing.assert_allclose(spatial.numpy(), flat)


def test_cross_entropy_is_stable_for_huge_logits():
    logits = tg.tensor([[1000.0, 0.0, -1000.0]], requires_grad=True)
    loss = F.cross_entropy(logits, tg.tensor([1]))
    np.testing.assert_allclose(loss.numpy(), 1000.0)
    loss.backward()
    np.testing.assert_allclose(logits.grad.numpy(), [[1.0, -1.0, 0.0]], atol=1e-12)


def test_nll_loss_with_log_softmax_equals_cross_entropy():
    logp = nn.LogSoftmax(dim=1)(tg.tensor(LOGITS))
    nll = nn.NLLLoss(weight=tg.tensor(WEIGHT), ignore_index=2)(logp, tg.tensor(LABELS))
    np.testing.assert_allclose(nll.numpy(), np_cross_entropy(LOGITS, LABELS, WEIGHT, 2))


def test_kl_div_against_numpy():
    p = rng.random((3, 4))
    p /= p.sum(1, keepdims=True)
    q = rng.random((3, 4))
    q /= q.sum(1, keepdims=True)
    out = nn.KLDivLoss(reduction="batchmean")(tg.tensor(np.log(q)), tg.tensor(p))
    np.testing.assert_allclose(out.numpy(), (p * np.log(p / q)).sum() / 3)


# gradchecks: (name, function of (input, target), input array, target array, target differentiable)
GRADCHECKS = [
    ("mse", F.mse_loss, x_data, t_data, True),
    ("l1", F.l1_loss, x_data, t_data, True),
    ("huber", lambda x, t, r: F.huber_loss(x, t, r, delta=0.7), x_data, t_data, True),
    ("smooth_l1", lambda x, t, r: F.smooth_l1_loss(x, t, r, beta=0.6), x_data, t_data, True),
    ("bce", lambda x, t, r: F.binary_cross_entropy(x, t, reduction=r), rng.uniform(0.05, 0.95, (3, 2)), rng.uniform(0, 1, (3, 2)), True),
    ("bce_logits", lambda x, t, r: F.binary_cross_entropy_with_logits(
        x, t, reduction=r, pos_weight=tg.tensor([2.0, 0.5])), rng.normal(size=(3, 2)), rng.uniform(0, 1, (3, 2)), True),
    ("ce_index", lambda x, t, r: F.cross_entropy(x, t, weight=tg.tensor(WEIGHT), ignore_index=3, reduction=r,
                                                label_smoothing=0.1), LOGITS, LABELS, False),
    ("ce_probs", lambda x, t, r: F.cross_entropy(x, t, reduction=r, label_smoothing=0.2), LOGITS[:3],
     np.full((3, 4), 0.25), True),
    ("nll", lambda x, t, r: F.nll_loss(x, t, reduction=r), LOGITS, LABELS, False),
    ("kl", lambda x, t, r: F.kl_div(x, t, reduction=r), np.log(rng.uniform(0.1, 1, (2, 3))),
     rng.uniform(0.1, 1, (2, 3)), True),
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, fn, x, t, target_grad", GRADCHECKS, ids=[g[0] for g in GRADCHECKS])
def test_loss_gradcheck(name, fn, x, t, target_grad, reduction):
    x = tg.tensor(x, requires_grad=True)
    t = tg.tensor(t, requires_grad=target_grad)
    assert tg.gradcheck(lambda a, b: fn(a, b, reduction), [x, t])


@pytest.mark.parametrize("loss", [nn.MSELoss, nn.L1Loss, nn.CrossEntropyLoss, nn.BCELoss])
def test_invalid_reduction_is_refused(loss):
    with pytest.raises(ValueError, match="reduction must be one of"):
        loss(reduction="average")


def test_cross_entropy_bad_targets():
    with pytest.raises(IndexError, match="target 4 is out of bounds for 4 classes"):
        F.cross_entropy(tg.tensor(LOGITS), tg.tensor([4, 0, 0, 0, 0, 0, 0]))
    with pytest.raises(ValueError, match="expected target shape"):
        F.cross_entropy(tg.tensor(LOGITS), tg.tensor([0, 1]))
    with pytest.raises(ValueError, match="must have the input's shape"):
        F.cross_entropy(tg.tensor(LOGITS), tg.tensor(np.zeros((7, 3))))


def test_weighted_losses_keep_weight_buffers_like_pytorch():
    loss = nn.CrossEntropyLoss(weight=tg.tensor(WEIGHT))
    assert list(loss.state_dict()) == ["weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == []
    assert list(nn.BCEWithLogitsLoss(pos_weight=tg.tensor([1.0])).state_dict()) == ["pos_weight"]
