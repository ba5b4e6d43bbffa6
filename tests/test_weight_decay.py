"""Weight decay three ways: an L2 term added to the loss, the optimizers' `weight_decay` (added to the
gradient), and AdamW's decoupled decay. Where they coincide and where they do not."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import optim

WD = 0.1
STEPS = 20


def regression_data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 3))
    y = x @ np.array([[1.5], [-2.0], [0.5]]) + 0.1 * rng.standard_normal((32, 1))
    return tg.tensor(x), tg.tensor(y), rng.standard_normal((3, 1))


def train(make_optimizer, l2_in_loss: float = 0.0, data_loss: bool = True) -> np.ndarray:
    """Fit a linear model; `l2_in_loss` adds (l2/2) * ||w||^2 to the loss (the L2 recipe)."""
    x, y, w0 = regression_data()
    w = tg.tensor(w0, requires_grad=True)
    opt = make_optimizer([w])
    for _ in range(STEPS):
        opt.zero_grad()
        loss = ((x @ w - y) ** 2).mean() if data_loss else (w * 0.0).sum()
        if l2_in_loss:
            loss = loss + l2_in_loss / 2 * (w * w).sum()
        loss.backward()
        opt.step()
    return w.numpy()


@pytest.mark.parametrize("options", [{"lr": 0.05}, {"lr": 0.05, "momentum": 0.9}, {"lr": 0.05, "momentum": 0.9,
                                                                                   "nesterov": True}])
def test_sgd_weight_decay_is_l2_in_the_loss(options):
    decayed = train(lambda ps: optim.SGD(ps, weight_decay=WD, **options))
    l2 = train(lambda ps: optim.SGD(ps, **options), l2_in_loss=WD)
    np.testing.assert_allclose(decayed, l2, rtol=1e-12)


def test_plain_sgd_decoupled_decay_is_also_the_same():
    """For plain SGD, shrinking w by (1 - lr*wd) then stepping equals stepping on g + wd*w."""
    decayed = train(lambda ps: optim.SGD(ps, lr=0.05, weight_decay=WD))
    x, y, w0 = regression_data()
    w = tg.tensor(w0, requires_grad=True)
    opt = optim.SGD([w], lr=0.05)
    for _ in range(STEPS):
        opt.zero_grad()
        ((x @ w - y) ** 2).mean().backward()
        with tg.no_grad():
            w.data *= 1 - 0.05 * WD
        opt.step()
    np.testing.assert_allclose(w.numpy(), decayed, rtol=1e-12)


@pytest.mark.parametrize("name", ["Adam", "Adagrad", "RMSprop", "Adadelta"])
def test_adaptive_weight_decay_is_l2_in_the_loss(name):
    cls = getattr(optim, name)
    decayed = train(lambda ps: cls(ps, lr=0.05, weight_decay=WD))
    l2 = train(lambda ps: cls(ps, lr=0.05), l2_in_loss=WD)
    np.testing.assert_allclose(decayed, l2, rtol=1e-10)


def test_adamw_differs_from_adam_with_weight_decay():
    adamw = train(lambda ps: optim.AdamW(ps, lr=0.05, weight_decay=WD))
    adam_l2 = train(lambda ps: optim.Adam(ps, lr=0.05, weight_decay=WD))
    assert np.abs(adamw - adam_l2).max() > 1e-3


def test_adamw_without_decay_is_adam():
    np.testing.assert_array_equal(train(lambda ps: optim.AdamW(ps, lr=0.05, weight_decay=0.0)),
                                  train(lambda ps: optim.Adam(ps, lr=0.05)))


def test_with_no_data_gradient_adamw_shrinks_geometrically_but_adam_steps_by_lr():
    """With a zero data gradient AdamW only applies w *= (1 - lr*wd); Adam's L2 gradient wd*w is
    normalised by its own RMS, so every weight moves by about lr per step, whatever its size."""
    _, _, w0 = regression_data()
    lr = 0.01
    adamw = train(lambda ps: optim.AdamW(ps, lr=lr, weight_decay=WD), data_loss=False)
    np.testing.assert_allclose(adamw, w0 * (1 - lr * WD) ** STEPS, rtol=1e-12)
    adam = train(lambda ps: optim.Adam(ps, lr=lr, weight_decay=WD), data_loss=False)
    moved = np.abs(w0) - np.abs(adam)
    assert np.all(moved <= STEPS * lr * (1 + 1e-9)) and np.all(moved > 0.9 * STEPS * lr)
    # so the relative shrink depends on the weight's size under Adam, not under AdamW
    assert np.ptp(adam / w0) > 10 * np.ptp(adamw / w0) + 0.01
