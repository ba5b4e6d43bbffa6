"""Save model + optimizer (+ scheduler) mid-training with tg.save, load into fresh objects, continue:
the resumed run equals uninterrupted training exactly."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, optim

STEPS, SPLIT = 10, 4
_rng = np.random.default_rng(0)
BATCHES = [(_rng.normal(size=(8, 3)).astype(np.float32), _rng.integers(0, 3, 8)) for _ in range(STEPS)]


def make_model(seed: int) -> nn.Module:
    tg.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 16), nn.BatchNorm1d(16), nn.Tanh(), nn.Linear(16, 3))


OPTIMIZERS = {
    "sgd_nesterov": lambda params: optim.SGD(params, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "adam_amsgrad": lambda params: optim.Adam(params, lr=0.01, amsgrad=True),
    "adamw": lambda params: optim.AdamW(params, lr=0.01),
}


def train(model: nn.Module, optimizer, scheduler, batches) -> None:
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    for x, y in batches:
        optimizer.zero_grad()
        loss_fn(model(tg.tensor(x)), tg.tensor(y)).backward()
        optimizer.step()
        scheduler.step()


def snapshot(model: nn.Module) -> dict:
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_resumed_training_matches_uninterrupted(tmp_path, name):
    straight = make_model(0)
    opt = OPTIMIZERS[name](straight.parameters())
    train(straight, opt, optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5), BATCHES)

    first = make_model(0)
    opt = OPTIMIZERS[name](first.parameters())
    sched = optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    train(first, opt, sched, BATCHES[:SPLIT])
    path = tmp_path / "ckpt.tg"
    tg.save({"model": first.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
             "step": SPLIT}, path)
    del first, opt, sched

    checkpoint = tg.load(path)
    resumed = make_model(123)  # different initial weights: everything must come from the file
    opt = OPTIMIZERS[name](resumed.parameters())
    sched = optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    resumed.load_state_dict(checkpoint["model"])
    opt.load_state_dict(checkpoint["optimizer"])
    sched.load_state_dict(checkpoint["scheduler"])
    train(resumed, opt, sched, BATCHES[checkpoint["step"]:])

    expected, actual = snapshot(straight), snapshot(resumed)
    assert list(expected) == list(actual)
    for key in expected:
        assert expected[key].dtype == actual[key].dtype, key
        assert np.array_equal(expected[key], actual[key]), key
