"""Optimizers and schedulers against PyTorch: same start, same gradient stream, same numbers.

Skips cleanly when torch is not installed. Gradients depend on the current parameters (a noisy
quadratic bowl), so a wrong update compounds over the 25 steps instead of hiding.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import optim
from tinygrad_edu.optim import lr_scheduler

torch = pytest.importorskip("torch")

STEPS = 25
SHAPES = [(3, 4), (4,), ()]

OPTIMIZER_CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "maximize": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.1, "maximize": True}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01}),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.1, "initial_accumulator_value": 0.5}),
    ("Adagrad", {"lr": 0.1, "eps": 1e-3, "maximize": True}),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.1, "maximize": True}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-3, "maximize": True}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.5}),
    ("Adadelta", {"weight_decay": 0.1, "eps": 1e-4}),
    ("Adadelta", {"maximize": True, "weight_decay": 0.1}),
    ("Adam", {}),
    ("Adam", {"lr": 0.1, "betas": (0.8, 0.99)}),
    ("Adam", {"lr": 0.05, "amsgrad": True}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True, "maximize": True}),
    ("Adam", {"lr": 0.05, "eps": 1e-2}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.5}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}),
    ("AdamW", {"lr": 0.05, "maximize": True}),
]


def _initial_values(seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for shape in SHAPES]


def _noisy_bowl(seed: int, values: list[np.ndarray]):
    """A function giving, per call, gradients of a noisy bowl at the parameters: curvature * p + noise."""
    rng = np.random.default_rng(seed)
    curvature = [rng.uniform(0.5, 3.0, np.shape(v)) for v in values]

    def gradients(params: list[np.ndarray]) -> list[np.ndarray]:
        return [c * p + 0.3 * rng.standard_normal(np.shape(p)) for c, p in zip(curvature, params)]

    return gradients


def _run_both(name: str, options: dict, dtype=np.float64, steps: int = STEPS, seed: int = 0):
    values = _initial_values(seed)
    ours = [tg.tensor(v.astype(dtype), requires_grad=True) for v in values]
    theirs = [torch.tensor(v.astype(dtype), requires_grad=True) for v in values]
    opt_ours = getattr(optim, name)(ours, **options)
    opt_theirs = getattr(torch.optim, name)(theirs, foreach=False, **options)
    gradients = _noisy_bowl(seed + 1, values)
    for _ in range(steps):
        grads = gradients([t.detach().numpy().astype(np.float64) for t in theirs])
        for p, q, g in zip(ours, theirs, grads):
            p.grad = tg.tensor(g.astype(dtype))
            q.grad = torch.tensor(g.astype(dtype))
        opt_ours.step()
        opt_theirs.step()
    return ours, theirs, opt_ours, opt_theirs


@pytest.mark.parametrize("name,options", OPTIMIZER_CASES, ids=[f"{n}-{o}" for n, o in OPTIMIZER_CASES])
def test_optimizer_matches_torch_float64(name, options):
    ours, theirs, _, _ = _run_both(name, options)
    for p, q in zip(ours, theirs):
        assert p.dtype == np.float64
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name,options", OPTIMIZER_CASES[::3], ids=[f"{n}-{o}" for n, o in OPTIMIZER_CASES[::3]])
def test_optimizer_matches_torch_float32_and_keeps_dtype(name, options):
    ours, theirs, _, _ = _run_both(name, options, dtype=np.float32)
    for p, q in zip(ours, theirs):
        assert p.dtype == np.float32
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name,options", OPTIMIZER_CASES, ids=[f"{n}-{o}" for n, o in OPTIMIZER_CASES])
def test_state_matches_torch(name, options):
    _, _, opt_ours, opt_theirs = _run_both(name, options, steps=4)
    ours, theirs = opt_ours.state_dict(), opt_theirs.state_dict()
    assert sorted(ours["state"]) == sorted(theirs["state"])
    for index, state in theirs["state"].items():
        assert set(ours["state"][index]) == set(state)
        for key, value in state.items():
            np.testing.assert_allclose(np.asarray(ours["state"][index][key], dtype=np.float64),
                                       value.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=key)
    for ours_group, their_group in zip(ours["param_groups"], theirs["param_groups"]):
        assert ours_group["params"] == their_group["params"]
        for key, value in ours_group.items():
            assert their_group.get(key, value) == value, key


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW"])
def test_defaults_and_signature_match_torch(name):
    import inspect

    ours = getattr(optim, name)([tg.zeros(2, requires_grad=True)])
    theirs = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)])
    for key, value in ours.defaults.items():
        assert theirs.defaults.get(key, value) == value, key
    ours_positional = [p.name for p in inspect.signature(getattr(optim, name)).parameters.values()
                       if p.kind is p.POSITIONAL_OR_KEYWORD]
    theirs_positional = [p.name for p in inspect.signature(getattr(torch.optim, name)).parameters.values()
                         if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert theirs_positional[:len(ours_positional)] == ours_positional


def test_param_groups_and_skipped_parameters_match_torch():
    values = _initial_values(3)
    ours = [tg.tensor(v, requires_grad=True) for v in values]
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    groups_ours = [{"params": ours[:1], "lr": 0.02, "betas": (0.5, 0.9)}, {"params": ours[1:], "weight_decay": 0.2}]
    groups_theirs = [{"params": theirs[:1], "lr": 0.02, "betas": (0.5, 0.9)},
                     {"params": theirs[1:], "weight_decay": 0.2}]
    opt_ours = optim.Adam(groups_ours, lr=0.1)
    opt_theirs = torch.optim.Adam(groups_theirs, lr=0.1, foreach=False)
    rng = np.random.default_rng(4)
    for step in range(STEPS):
        for i, (p, q) in enumerate(zip(ours, theirs)):
            if (step + i) % 3 == 0:  # this parameter gets no gradient this step
                p.grad, q.grad = None, None
            else:
                g = rng.standard_normal(p.shape)
                p.grad, q.grad = tg.tensor(g), torch.tensor(g)
        opt_ours.step()
        opt_theirs.step()
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_training_with_autograd_matches_torch():
    """A least-squares fit trained with real backward passes in both libraries."""
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((16, 3)), rng.standard_normal((16, 1))
    w0, b0 = rng.standard_normal((3, 1)), np.zeros(1)
    w, b = tg.tensor(w0, requires_grad=True), tg.tensor(b0, requires_grad=True)
    tw, tb = torch.tensor(w0, requires_grad=True), torch.tensor(b0, requires_grad=True)
    opt = optim.SGD([w, b], lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)
    topt = torch.optim.SGD([tw, tb], lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)
    xs, ys, txs, tys = tg.tensor(x), tg.tensor(y), torch.tensor(x), torch.tensor(y)

    def closure():
        opt.zero_grad()
        loss = ((xs @ w + b - ys) ** 2).mean()
        loss.backward()
        return loss

    def tclosure():
        topt.zero_grad()
        loss = ((txs @ tw + tb - tys) ** 2).mean()
        loss.backward()
        return loss

    for _ in range(STEPS):
        loss, tloss = opt.step(closure), topt.step(tclosure)
        np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-10)
    np.testing.assert_allclose(w.numpy(), tw.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b.numpy(), tb.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_our_state_dict_loads_into_torch_and_training_continues_identically():
    ours, theirs, opt_ours, _ = _run_both("Adam", {"lr": 0.05, "amsgrad": True}, steps=5)
    fresh = [torch.tensor(p.numpy(), requires_grad=True) for p in ours]
    opt_theirs = torch.optim.Adam(fresh, lr=0.05, amsgrad=True, foreach=False)
    sd = opt_ours.state_dict()
    converted = {"state": {i: {k: torch.tensor(np.asarray(v)) if k != "step" else torch.tensor(float(v))
                               for k, v in s.items()} for i, s in sd["state"].items()},
                 "param_groups": sd["param_groups"]}
    opt_theirs.load_state_dict(converted)
    rng = np.random.default_rng(6)
    for _ in range(5):
        for p, q in zip(ours, fresh):
            g = rng.standard_normal(p.shape)
            p.grad, q.grad = tg.tensor(g), torch.tensor(g)
        opt_ours.step()
        opt_theirs.step()
    for p, q in zip(ours, fresh):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------------------------
# schedulers


SCHEDULER_CASES = [
    ("StepLR", {"step_size": 3}),
    ("StepLR", {"step_size": 4, "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [2, 5, 5, 11], "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [0, 7]}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("CosineAnnealingLR", {"T_max": 10}),
    ("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.01}),
    ("LinearLR", {}),
    ("LinearLR", {"start_factor": 0.1, "end_factor": 0.5, "total_iters": 8}),
    ("LambdaLR", {"lr_lambda": lambda epoch: 0.95**epoch / (1 + epoch % 4)}),
]


def _two_group_optimizers():
    ours = optim.SGD([{"params": [tg.zeros(2, requires_grad=True)]},
                      {"params": [tg.zeros(2, requires_grad=True)], "lr": 0.3}], lr=0.1, momentum=0.9)
    theirs = torch.optim.SGD([{"params": [torch.zeros(2, requires_grad=True)]},
                              {"params": [torch.zeros(2, requires_grad=True)], "lr": 0.3}], lr=0.1, momentum=0.9)
    return ours, theirs


def _lr_sequences(scheduler_ours, scheduler_theirs, opt_ours, opt_theirs, steps=30):
    ours, theirs = [scheduler_ours.get_last_lr()], [scheduler_theirs.get_last_lr()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(steps):
            opt_ours.step()
            opt_theirs.step()
            scheduler_ours.step()
            scheduler_theirs.step()
            ours.append(scheduler_ours.get_last_lr())
            theirs.append(scheduler_theirs.get_last_lr())
            assert [g["lr"] for g in opt_ours.param_groups] == ours[-1]
    return np.array(ours), np.array(theirs)


@pytest.mark.parametrize("name,options", SCHEDULER_CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SCHEDULER_CASES)])
def test_scheduler_matches_torch(name, options):
    opt_ours, opt_theirs = _two_group_optimizers()
    ours, theirs = _lr_sequences(getattr(lr_scheduler, name)(opt_ours, **options),
                                 getattr(torch.optim.lr_scheduler, name)(opt_theirs, **options),
                                 opt_ours, opt_theirs)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def test_sequential_warmup_then_cosine_matches_torch():
    opt_ours, opt_theirs = _two_group_optimizers()

    def build(module, opt):
        warmup = module.LinearLR(opt, start_factor=0.2, total_iters=4)
        decay = module.CosineAnnealingLR(opt, T_max=12, eta_min=0.001)
        step = module.StepLR(opt, step_size=3, gamma=0.5)
        return module.SequentialLR(opt, [warmup, decay, step], milestones=[5, 17])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pair = build(lr_scheduler, opt_ours), build(torch.optim.lr_scheduler, opt_theirs)
    ours, theirs = _lr_sequences(*pair, opt_ours, opt_theirs)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


PLATEAU_CASES = [
    {},
    {"patience": 2},
    {"patience": 1, "factor": 0.5, "cooldown": 2},
    {"mode": "max", "patience": 2, "threshold": 0.05},
    {"patience": 0, "threshold_mode": "abs", "threshold": 0.1, "min_lr": 0.004},
    {"patience": 1, "min_lr": [0.02, 0.05], "eps": 1e-3},
]


@pytest.mark.parametrize("options", PLATEAU_CASES, ids=[str(o) for o in PLATEAU_CASES])
def test_reduce_lr_on_plateau_matches_torch(options):
    metrics = [1.0, 0.9, 0.95, 0.9, 0.899995, 0.91, 0.85, 0.86, 0.87, 0.88, 0.8, 0.8, 0.8, 0.8, 0.7] * 3
    opt_ours, opt_theirs = _two_group_optimizers()
    ours = lr_scheduler.ReduceLROnPlateau(opt_ours, **options)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(opt_theirs, **options)
    for metric in metrics:
        ours.step(metric)
        theirs.step(metric)
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-12)
        assert ours.num_bad_epochs == theirs.num_bad_epochs
        assert ours.cooldown_counter == theirs.cooldown_counter


@pytest.mark.parametrize("name,options", [("SGD", {"lr": 0.05, "momentum": 0.9}), ("RMSprop", {"centered": True}),
                                          ("Adagrad", {"lr": 0.1}), ("Adadelta", {}),
                                          ("AdamW", {"lr": 0.05, "amsgrad": True})])
def test_torch_state_dict_loads_into_ours_and_training_continues_identically(name, options):
    ours, theirs, _, opt_theirs = _run_both(name, options, steps=5)
    fresh = [tg.tensor(q.detach().numpy(), requires_grad=True) for q in theirs]
    opt_ours = getattr(optim, name)(fresh, **options)
    sd = opt_theirs.state_dict()
    opt_ours.load_state_dict({"state": {i: {k: v.detach().numpy() for k, v in s.items()}
                                        for i, s in sd["state"].items()},
                              "param_groups": sd["param_groups"]})
    rng = np.random.default_rng(7)
    for _ in range(5):
        for p, q in zip(fresh, theirs):
            g = rng.standard_normal(p.shape)
            p.grad, q.grad = tg.tensor(g), torch.tensor(g)
        opt_ours.step()
        opt_theirs.step()
    for p, q in zip(fresh, theirs):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-10, atol=1e-12)
