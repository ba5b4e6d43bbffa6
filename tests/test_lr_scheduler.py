"""Learning-rate schedulers: sequences against their closed forms, hand-traced plateaus,
construction semantics, checkpoints and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import optim
from tinygrad_edu.optim import lr_scheduler

BASE_LRS = (0.1, 0.4)


def make_optimizer(lrs=BASE_LRS) -> optim.SGD:
    groups = [{"params": [tg.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    return optim.SGD(groups, momentum=0.9)


def lr_sequence(scheduler, epochs: int) -> np.ndarray:
    """Rates of every group for epochs 0..epochs, read from the optimizer after each step."""
    rates = [[g["lr"] for g in scheduler.optimizer.param_groups]]
    for _ in range(epochs):
        scheduler.optimizer.step()
        scheduler.step()
        rates.append([g["lr"] for g in scheduler.optimizer.param_groups])
        assert scheduler.get_last_lr() == rates[-1]
    return np.array(rates)


def closed_form(factor, epochs: int) -> np.ndarray:
    return np.array([[base * factor(e) for base in BASE_LRS] for e in range(epochs + 1)])


def test_module_is_reachable_both_ways():
    assert optim.lr_scheduler is lr_scheduler
    assert optim.lr_scheduler.StepLR is lr_scheduler.StepLR


def test_step_lr():
    rates = lr_sequence(lr_scheduler.StepLR(make_optimizer(), step_size=3, gamma=0.5), 20)
    np.testing.assert_allclose(rates, closed_form(lambda e: 0.5 ** (e // 3), 20), rtol=1e-12)


def test_multi_step_lr_counts_repeated_milestones():
    rates = lr_sequence(lr_scheduler.MultiStepLR(make_optimizer(), milestones=[3, 7, 7, 12], gamma=0.1), 20)
    passed = lambda e: sum(m <= e for m in (3, 7, 7, 12))  # noqa: E731
    np.testing.assert_allclose(rates, closed_form(lambda e: 0.1 ** passed(e), 20), rtol=1e-12)


def test_exponential_lr():
    rates = lr_sequence(lr_scheduler.ExponentialLR(make_optimizer(), gamma=0.9), 30)
    np.testing.assert_allclose(rates, closed_form(lambda e: 0.9**e, 30), rtol=1e-12)


@pytest.mark.parametrize("T_max,eta_min", [(10, 0.0), (7, 0.01)])
def test_cosine_annealing_follows_the_cosine_down_and_back_up(T_max, eta_min):
    rates = lr_sequence(lr_scheduler.CosineAnnealingLR(make_optimizer(), T_max=T_max, eta_min=eta_min), 3 * T_max)
    expected = np.array([[eta_min + (base - eta_min) * (1 + math.cos(math.pi * e / T_max)) / 2 for base in BASE_LRS]
                         for e in range(3 * T_max + 1)])
    np.testing.assert_allclose(rates, expected, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(rates[T_max], [eta_min, eta_min], atol=1e-14)
    np.testing.assert_allclose(rates[2 * T_max], BASE_LRS, rtol=1e-10)


def test_lambda_lr_with_one_function_per_group():
    scheduler = lr_scheduler.LambdaLR(make_optimizer(), [lambda e: 1 / (e + 1), lambda e: 0.5**e])
    rates = lr_sequence(scheduler, 10)
    expected = [[0.1 / (e + 1), 0.4 * 0.5**e] for e in range(11)]
    np.testing.assert_allclose(rates, expected, rtol=1e-12)


@pytest.mark.parametrize("start,end,total", [(1 / 3, 1.0, 5), (0.1, 0.5, 8), (1.0, 0.2, 4)])
def test_linear_lr_warm_up(start, end, total):
    rates = lr_sequence(lr_scheduler.LinearLR(make_optimizer(), start_factor=start, end_factor=end,
                                              total_iters=total), 15)
    np.testing.assert_allclose(rates, closed_form(lambda e: start + (end - start) * min(e, total) / total, 15),
                               rtol=1e-12)


def test_linear_lr_defaults_warm_up_from_a_third_over_five_epochs():
    opt = make_optimizer()
    lr_scheduler.LinearLR(opt)
    np.testing.assert_allclose([g["lr"] for g in opt.param_groups], [b / 3 for b in BASE_LRS], rtol=1e-12)


def test_sequential_warm_up_then_exponential_decay():
    opt = make_optimizer()
    warmup = lr_scheduler.LinearLR(opt, start_factor=0.2, total_iters=4)
    decay = lr_scheduler.ExponentialLR(opt, gamma=0.9)
    rates = lr_sequence(lr_scheduler.SequentialLR(opt, [warmup, decay], milestones=[4]), 15)
    factor = lambda e: 0.2 + 0.8 * e / 4 if e < 4 else 0.9 ** (e - 4)  # noqa: E731
    np.testing.assert_allclose(rates, closed_form(factor, 15), rtol=1e-12)


def test_construction_stores_initial_lr_and_takes_the_first_step():
    opt = make_optimizer()
    scheduler = lr_scheduler.StepLR(opt, step_size=2)
    assert scheduler.last_epoch == 0
    assert [g["initial_lr"] for g in opt.param_groups] == list(BASE_LRS)
    assert scheduler.base_lrs == list(BASE_LRS)
    assert scheduler.get_last_lr() == list(BASE_LRS)


def test_resuming_with_last_epoch_needs_initial_lr():
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(make_optimizer(), step_size=2, last_epoch=4)


@pytest.mark.parametrize("build", [
    lambda opt: lr_scheduler.StepLR(opt, step_size=3, gamma=0.5),
    lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=6, eta_min=0.001),
    lambda opt: lr_scheduler.LinearLR(opt, start_factor=0.25, total_iters=8),
    lambda opt: lr_scheduler.SequentialLR(opt, [lr_scheduler.LinearLR(opt, total_iters=3),
                                                lr_scheduler.ExponentialLR(opt, gamma=0.8)], milestones=[3]),
], ids=["StepLR", "CosineAnnealingLR", "LinearLR", "SequentialLR"])
def test_checkpoint_resumes_the_schedule_exactly(build):
    opt = make_optimizer()
    scheduler = build(opt)
    lr_sequence(scheduler, 5)
    opt_state, scheduler_state = opt.state_dict(), scheduler.state_dict()
    expected = lr_sequence(scheduler, 12)

    new_opt = make_optimizer()
    new_scheduler = build(new_opt)  # build first: construction writes the epoch-0 rates
    new_opt.load_state_dict(opt_state)
    new_scheduler.load_state_dict(scheduler_state)
    np.testing.assert_allclose(lr_sequence(new_scheduler, 12), expected, rtol=1e-15)


def test_lambda_lr_state_dict_keeps_callable_objects_state():
    class Warmup:
        def __init__(self, epochs):
            self.epochs = epochs

        def __call__(self, epoch):
            return min(1.0, (epoch + 1) / self.epochs)

    opt = make_optimizer()
    state = lr_scheduler.LambdaLR(opt, Warmup(4)).state_dict()
    assert state["lr_lambdas"] == [{"epochs": 4}, {"epochs": 4}]
    fresh = Warmup(10)
    lr_scheduler.LambdaLR(make_optimizer(), fresh).load_state_dict(state)
    assert fresh.epochs == 4


# ----------------------------------------------------------------------------------------------
# ReduceLROnPlateau, traced by hand


def plateau_rates(scheduler, metrics) -> list[float]:
    rates = []
    for metric in metrics:
        scheduler.step(metric)
        rates.append(scheduler.optimizer.param_groups[0]["lr"])
    return rates


def test_plateau_reduces_after_patience_bad_epochs():
    # epoch 1 improves on inf; every later epoch is bad; patience 2 -> reduce on the 3rd bad epoch
    scheduler = lr_scheduler.ReduceLROnPlateau(make_optimizer(), patience=2, factor=0.5)
    rates = plateau_rates(scheduler, [1.0] * 10)
    np.testing.assert_allclose(rates, [0.1] * 3 + [0.05] * 3 + [0.025] * 3 + [0.0125], rtol=1e-12)


def test_plateau_improvement_resets_the_count_and_threshold_is_relative():
    scheduler = lr_scheduler.ReduceLROnPlateau(make_optimizer(), patience=1, threshold=0.1)
    # 0.95 is not below 1.0 * (1 - 0.1): bad; 0.85 is: good; then two bad epochs -> reduce
    rates = plateau_rates(scheduler, [1.0, 0.95, 0.85, 0.84, 0.83])
    np.testing.assert_allclose(rates, [0.1, 0.1, 0.1, 0.1, 0.01], rtol=1e-12)
    assert scheduler.best == 0.85


def test_plateau_cooldown_ignores_bad_epochs():
    scheduler = lr_scheduler.ReduceLROnPlateau(make_optimizer(), patience=0, cooldown=2, factor=0.5)
    rates = plateau_rates(scheduler, [1.0] * 8)
    np.testing.assert_allclose(rates, [0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125], rtol=1e-12)


def test_plateau_max_mode_min_lr_and_per_group_floors():
    scheduler = lr_scheduler.ReduceLROnPlateau(make_optimizer(), mode="max", patience=0, min_lr=[0.02, 0.3])
    for metric in [0.5, 0.4, 0.4, 0.4]:
        scheduler.step(metric)
    assert scheduler.get_last_lr() == [0.02, 0.3]


def test_plateau_skips_changes_smaller_than_eps():
    scheduler = lr_scheduler.ReduceLROnPlateau(make_optimizer((1e-8, 1e-8)), patience=0, eps=1e-8)
    plateau_rates(scheduler, [1.0, 1.0, 1.0])
    assert scheduler.get_last_lr() == [1e-8, 1e-8]


def test_plateau_accepts_a_scalar_tensor_metric_and_round_trips():
    scheduler = lr_scheduler.ReduceLROnPlateau(make_optimizer(), patience=1)
    scheduler.step(tg.tensor(2.0))
    scheduler.step(tg.tensor(2.0))
    state = scheduler.state_dict()
    other = lr_scheduler.ReduceLROnPlateau(make_optimizer(), mode="max")
    other.load_state_dict(state)
    assert (other.mode, other.best, other.num_bad_epochs, other.last_epoch) == ("min", 2.0, 1, 2)


# ----------------------------------------------------------------------------------------------
# bad input


def test_refuses_things_that_are_not_optimizers():
    with pytest.raises(TypeError, match="Optimizer"):
        lr_scheduler.StepLR(object(), step_size=2)
    with pytest.raises(TypeError, match="Optimizer"):
        lr_scheduler.ReduceLROnPlateau(object())


@pytest.mark.parametrize("build,match", [
    (lambda opt: lr_scheduler.StepLR(opt, step_size=0), "step_size"),
    (lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=0), "T_max"),
    (lambda opt: lr_scheduler.LinearLR(opt, start_factor=0.0), "start_factor"),
    (lambda opt: lr_scheduler.LinearLR(opt, end_factor=1.5), "end_factor"),
    (lambda opt: lr_scheduler.LambdaLR(opt, [lambda e: 1.0]), "lr_lambdas"),
    (lambda opt: lr_scheduler.ReduceLROnPlateau(opt, factor=1.0), "factor"),
    (lambda opt: lr_scheduler.ReduceLROnPlateau(opt, mode="avg"), "mode"),
    (lambda opt: lr_scheduler.ReduceLROnPlateau(opt, threshold_mode="pct"), "threshold_mode"),
    (lambda opt: lr_scheduler.ReduceLROnPlateau(opt, min_lr=[0.1]), "min_lrs"),
    (lambda opt: lr_scheduler.SequentialLR(opt, [lr_scheduler.StepLR(opt, 2)], milestones=[3]), "milestone"),
    (lambda opt: lr_scheduler.SequentialLR(opt, [lr_scheduler.StepLR(make_optimizer(), 2)], milestones=[]),
     "different optimizer"),
])
def test_refuses_invalid_arguments(build, match):
    with pytest.raises(ValueError, match=match):
        build(make_optimizer())
