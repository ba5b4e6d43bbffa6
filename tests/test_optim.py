"""Optimizers: hand-computed first steps, NumPy references of every update rule, the classic
optimizer-comparison bowl, textbook equivalences, param groups, checkpoints and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, optim

OPTIMIZERS = ["SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW"]


def leaf(values, dtype=np.float64) -> tg.Tensor:
    return tg.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def one_step(optimizer_cls, p0, g, **options) -> np.ndarray:
    """Parameter values after a single step from `p0` with gradient `g`."""
    p = leaf(p0)
    opt = optimizer_cls([p], **options)
    p.grad = tg.tensor(np.asarray(g, dtype=np.float64))
    opt.step()
    return p.numpy()


P0 = np.array([1.0, -2.0, 0.5, 3.0])
G = np.array([0.5, 3.0, -0.2, -4.0])


# ----------------------------------------------------------------------------------------------
# first steps computed by hand


def test_sgd_first_step_is_p_minus_lr_g():
    np.testing.assert_allclose(one_step(optim.SGD, P0, G, lr=0.1), P0 - 0.1 * G, rtol=1e-15)


def test_sgd_default_lr_is_1e_3():
    np.testing.assert_allclose(one_step(optim.SGD, P0, G), P0 - 1e-3 * G, rtol=1e-15)


def test_momentum_first_step_equals_plain_sgd_even_with_dampening():
    # the buffer starts as the first gradient itself, undampened
    np.testing.assert_allclose(one_step(optim.SGD, P0, G, lr=0.1, momentum=0.9, dampening=0.5), P0 - 0.1 * G,
                               rtol=1e-15)


def test_momentum_second_step_by_hand():
    p = leaf(P0)
    opt = optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.5)
    g2 = np.array([1.0, 1.0, 1.0, 1.0])
    for g in (G, g2):
        p.grad = tg.tensor(g)
        opt.step()
    buffer = 0.9 * G + 0.5 * g2
    np.testing.assert_allclose(p.numpy(), P0 - 0.1 * G - 0.1 * buffer, rtol=1e-14)


def test_nesterov_first_step_looks_ahead():
    # g + momentum * buffer with buffer = g
    np.testing.assert_allclose(one_step(optim.SGD, P0, G, lr=0.1, momentum=0.9, nesterov=True),
                               P0 - 0.1 * 1.9 * G, rtol=1e-14)


def test_sgd_weight_decay_first_step():
    np.testing.assert_allclose(one_step(optim.SGD, P0, G, lr=0.1, weight_decay=0.01),
                               P0 - 0.1 * (G + 0.01 * P0), rtol=1e-14)


def test_adagrad_first_step_is_lr_g_over_abs_g():
    eps = 1e-10
    np.testing.assert_allclose(one_step(optim.Adagrad, P0, G, lr=0.1), P0 - 0.1 * G / (np.abs(G) + eps), rtol=1e-14)
    np.testing.assert_allclose(one_step(optim.Adagrad, P0, G, lr=0.1), P0 - 0.1 * np.sign(G), rtol=1e-9)


def test_adagrad_initial_accumulator_enters_the_first_step():
    expected = P0 - 0.1 * G / (np.sqrt(0.5 + G**2) + 1e-10)
    np.testing.assert_allclose(one_step(optim.Adagrad, P0, G, lr=0.1, initial_accumulator_value=0.5), expected,
                               rtol=1e-14)


def test_rmsprop_first_step():
    alpha, eps = 0.99, 1e-8
    expected = P0 - 0.01 * G / (np.sqrt(1 - alpha) * np.abs(G) + eps)
    np.testing.assert_allclose(one_step(optim.RMSprop, P0, G), expected, rtol=1e-12)


def test_centered_rmsprop_first_step_uses_the_variance():
    # E[g^2] - E[g]^2 after one step: (1-a) g^2 - (1-a)^2 g^2 = a (1-a) g^2
    alpha = 0.9
    expected = P0 - 0.01 * G / (np.sqrt(alpha * (1 - alpha)) * np.abs(G) + 1e-8)
    np.testing.assert_allclose(one_step(optim.RMSprop, P0, G, alpha=alpha, centered=True), expected, rtol=1e-10)


def test_adadelta_first_step():
    rho, eps = 0.9, 1e-6
    delta = math.sqrt(eps) / np.sqrt((1 - rho) * G**2 + eps) * G
    np.testing.assert_allclose(one_step(optim.Adadelta, P0, G), P0 - delta, rtol=1e-12)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_first_step_is_lr_times_sign_of_g(amsgrad):
    # bias correction makes m_hat = g and v_hat = g^2
    p1 = one_step(optim.Adam, P0, G, lr=0.1, amsgrad=amsgrad)
    np.testing.assert_allclose(p1, P0 - 0.1 * G / (np.abs(G) + 1e-8), rtol=1e-14)
    np.testing.assert_allclose(p1, P0 - 0.1 * np.sign(G), rtol=1e-7)


def test_adamw_first_step_shrinks_then_takes_the_sign_step():
    p1 = one_step(optim.AdamW, P0, G, lr=0.1, weight_decay=0.5)
    np.testing.assert_allclose(p1, P0 * (1 - 0.1 * 0.5) - 0.1 * np.sign(G), rtol=1e-7)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_maximize_is_minimizing_the_negated_objective(name):
    cls = getattr(optim, name)
    options = {"lr": 0.05, "weight_decay": 0.1}
    up, down = leaf(P0), leaf(P0)
    opt_up, opt_down = cls([up], maximize=True, **options), cls([down], **options)
    rng = np.random.default_rng(0)
    for _ in range(5):
        g = rng.standard_normal(4)
        up.grad, down.grad = tg.tensor(g), tg.tensor(-g)
        opt_up.step()
        opt_down.step()
    np.testing.assert_array_equal(up.numpy(), down.numpy())


# ----------------------------------------------------------------------------------------------
# NumPy references of the update rules (PyTorch's documented algorithms), several steps


def ref_sgd(p, g, s, t, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    g = g + weight_decay * p
    if momentum:
        s["b"] = g.copy() if t == 1 else momentum * s["b"] + (1 - dampening) * g
        g = g + momentum * s["b"] if nesterov else s["b"]
    return p - lr * g


def ref_adagrad(p, g, s, t, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
    g = g + weight_decay * p
    s.setdefault("sum", np.full_like(p, initial_accumulator_value))
    s["sum"] = s["sum"] + g * g
    return p - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(s["sum"]) + eps)


def ref_rmsprop(p, g, s, t, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    g = g + weight_decay * p
    s["v"] = alpha * s.get("v", 0.0) + (1 - alpha) * g * g
    v = s["v"]
    if centered:
        s["g_ave"] = alpha * s.get("g_ave", 0.0) + (1 - alpha) * g
        v = v - s["g_ave"] ** 2
    if momentum > 0:
        s["b"] = momentum * s.get("b", 0.0) + g / (np.sqrt(v) + eps)
        return p - lr * s["b"]
    return p - lr * g / (np.sqrt(v) + eps)


def ref_adadelta(p, g, s, t, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    g = g + weight_decay * p
    s["v"] = rho * s.get("v", 0.0) + (1 - rho) * g * g
    dx = np.sqrt(s.get("u", 0.0) + eps) / np.sqrt(s["v"] + eps) * g
    s["u"] = rho * s.get("u", 0.0) + (1 - rho) * dx * dx
    return p - lr * dx


def ref_adam(p, g, s, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, decoupled=False):
    b1, b2 = betas
    if decoupled:
        p = p * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * p
    s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
    s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
    v = s["v"]
    if amsgrad:
        s["vmax"] = v = np.maximum(s.get("vmax", 0.0), v)
    m_hat, v_hat = s["m"] / (1 - b1**t), v / (1 - b2**t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps)


def ref_adamw(p, g, s, t, weight_decay=1e-2, **options):
    return ref_adam(p, g, s, t, weight_decay=weight_decay, decoupled=True, **options)


REFERENCE_CASES = [
    ("SGD", ref_sgd, {"lr": 0.1}),
    ("SGD", ref_sgd, {"lr": 0.05, "momentum": 0.9, "dampening": 0.2, "weight_decay": 0.01}),
    ("SGD", ref_sgd, {"lr": 0.05, "momentum": 0.8, "nesterov": True}),
    ("Adagrad", ref_adagrad, {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.01, "initial_accumulator_value": 0.1}),
    ("RMSprop", ref_rmsprop, {"lr": 0.01}),
    ("RMSprop", ref_rmsprop, {"lr": 0.01, "centered": True, "momentum": 0.7, "weight_decay": 0.05}),
    ("Adadelta", ref_adadelta, {"lr": 0.8, "rho": 0.7, "weight_decay": 0.02}),
    ("Adam", ref_adam, {"lr": 0.02}),
    ("Adam", ref_adam, {"lr": 0.02, "betas": (0.7, 0.95), "amsgrad": True, "weight_decay": 0.1}),
    ("AdamW", ref_adamw, {"lr": 0.02}),
    ("AdamW", ref_adamw, {"lr": 0.02, "weight_decay": 0.3, "amsgrad": True}),
]


@pytest.mark.parametrize("name,reference,options", REFERENCE_CASES,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(REFERENCE_CASES)])
def test_update_rule_matches_numpy_reference(name, reference, options):
    rng = np.random.default_rng(1)
    start = rng.standard_normal((3, 2))
    p = leaf(start)
    opt = getattr(optim, name)([p], **options)
    expected, state = start.copy(), {}
    for t in range(1, 13):
        g = 2.0 * expected + rng.standard_normal(expected.shape)  # a noisy bowl: gradient depends on p
        p.grad = tg.tensor(g)
        opt.step()
        expected = reference(expected, g, state, t, **options)
        np.testing.assert_allclose(p.numpy(), expected, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_float32_parameters_and_state_stay_float32(name):
    p = leaf([[0.5, -1.0], [2.0, 0.25]], dtype=np.float32)
    opt = getattr(optim, name)([p], lr=np.float64(0.01), weight_decay=np.float64(0.1))
    for _ in range(3):
        opt.zero_grad()
        (p * p).sum().backward()
        opt.step()
    assert p.dtype == np.float32 and p.data.dtype == np.float32
    for value in opt.state[p].values():
        if isinstance(value, tg.Tensor):
            assert value.dtype == np.float32


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_updates_are_in_place_on_the_parameter_array(name):
    p = leaf([1.0, 2.0])
    array = p.detach().numpy()
    opt = getattr(optim, name)([p], lr=0.1)
    (p * p).sum().backward()
    opt.step()
    assert p.detach().numpy() is array
    assert p.is_leaf and p.requires_grad and p.grad_fn is None


# ----------------------------------------------------------------------------------------------
# the classic comparison: f(x, y) = x^2/20 + y^2 from (-7, 2), 30 steps at the textbook rates


def bowl_path(opt_factory, steps: int = 30) -> np.ndarray:
    p = leaf([-7.0, 2.0])
    opt = opt_factory([p])
    path = [p.numpy().copy()]
    for _ in range(steps):
        opt.zero_grad()
        (p[0] ** 2 / 20 + p[1] ** 2).backward()
        opt.step()
        path.append(p.numpy().copy())
    return np.array(path)


def test_bowl_sgd_follows_its_closed_form_and_zigzags_in_y():
    path = bowl_path(lambda ps: optim.SGD(ps, lr=0.95))
    t = np.arange(31)
    # x <- x - 0.95 * x/10 and y <- y - 0.95 * 2y: geometric sequences, y's ratio is negative
    np.testing.assert_allclose(path[:, 0], -7.0 * 0.905**t, rtol=1e-12)
    np.testing.assert_allclose(path[:, 1], 2.0 * (-0.9) ** t, rtol=1e-12)
    assert np.all(np.sign(path[1:, 1]) != np.sign(path[:-1, 1]))


def test_bowl_adam_ends_nearer_the_minimum_than_plain_sgd():
    sgd = bowl_path(lambda ps: optim.SGD(ps, lr=0.95))
    adam = bowl_path(lambda ps: optim.Adam(ps, lr=0.3))
    assert np.linalg.norm(adam[-1]) < np.linalg.norm(sgd[-1])
    # Adam's first step moves each coordinate by lr towards the minimum, whatever the curvature
    np.testing.assert_allclose(adam[1], [-7.0 + 0.3, 2.0 - 0.3], rtol=1e-7)


def test_bowl_adagrad_ends_nearest_and_never_overshoots_in_x():
    finals = {
        "SGD": bowl_path(lambda ps: optim.SGD(ps, lr=0.95))[-1],
        "Momentum": bowl_path(lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9))[-1],
        "AdaGrad": bowl_path(lambda ps: optim.Adagrad(ps, lr=1.5))[-1],
        "Adam": bowl_path(lambda ps: optim.Adam(ps, lr=0.3))[-1],
    }
    distances = {k: np.linalg.norm(v) for k, v in finals.items()}
    assert min(distances, key=distances.get) == "AdaGrad"
    x = bowl_path(lambda ps: optim.Adagrad(ps, lr=1.5))[:, 0]
    assert np.all(x < 0) and np.all(np.diff(x) > 0)  # x creeps monotonically up to 0
    for distance in distances.values():
        assert distance < np.linalg.norm([-7.0, 2.0]) / 5  # everyone makes real progress


# ----------------------------------------------------------------------------------------------
# the textbook (Deep Learning from Scratch) classes written in NumPy, mapped onto these classes


def textbook_run(update, steps: int = 20) -> np.ndarray:
    rng = np.random.default_rng(2)
    w = np.array([-7.0, 2.0, 0.3])
    for _ in range(steps):
        w = update(w, w * np.array([0.1, 2.0, 1.0]) + 0.1 * rng.standard_normal(3))
    return w


def library_run(opt_factory, steps: int = 20) -> np.ndarray:
    rng = np.random.default_rng(2)
    p = leaf([-7.0, 2.0, 0.3])
    opt = opt_factory([p])
    for _ in range(steps):
        p.grad = tg.tensor(p.numpy() * np.array([0.1, 2.0, 1.0]) + 0.1 * rng.standard_normal(3))
        opt.step()
    return p.numpy()


def test_textbook_momentum_equals_sgd_momentum_at_constant_lr():
    lr, a, state = 0.1, 0.9, {"v": np.zeros(3)}

    def momentum(w, g):  # v = a*v - lr*g; w += v
        state["v"] = a * state["v"] - lr * g
        return w + state["v"]

    np.testing.assert_allclose(textbook_run(momentum), library_run(lambda ps: optim.SGD(ps, lr=lr, momentum=a)),
                               rtol=1e-12)


def test_textbook_adagrad_equals_adagrad_with_eps_1e_7():
    lr, state = 1.5, {"h": np.zeros(3)}

    def adagrad(w, g):  # h += g*g; w -= lr*g/(sqrt(h)+1e-7)
        state["h"] = state["h"] + g * g
        return w - lr * g / (np.sqrt(state["h"]) + 1e-7)

    np.testing.assert_allclose(textbook_run(adagrad), library_run(lambda ps: optim.Adagrad(ps, lr=lr, eps=1e-7)),
                               rtol=1e-12)


def test_textbook_rmsprop_equals_rmsprop_with_eps_1e_7():
    lr, decay, state = 0.01, 0.99, {"h": np.zeros(3)}

    def rmsprop(w, g):  # h = decay*h + (1-decay)*g*g; w -= lr*g/(sqrt(h)+1e-7)
        state["h"] = decay * state["h"] + (1 - decay) * g * g
        return w - lr * g / (np.sqrt(state["h"]) + 1e-7)

    np.testing.assert_allclose(textbook_run(rmsprop),
                               library_run(lambda ps: optim.RMSprop(ps, lr=lr, alpha=decay, eps=1e-7)), rtol=1e-12)


def test_textbook_momentum_differs_once_the_learning_rate_changes():
    """The textbook velocity stores lr*g, PyTorch's buffer stores g: a schedule breaks the equivalence."""
    state = {"v": np.zeros(3), "t": 0}

    def momentum(w, g):
        state["t"] += 1
        lr = 0.1 if state["t"] <= 10 else 0.01
        state["v"] = 0.9 * state["v"] - lr * g
        return w + state["v"]

    class Scheduled:
        """SGD whose lr drops to 0.01 after 10 steps, like the textbook run above."""

        def __init__(self, ps):
            self.opt, self.t = optim.SGD(ps, lr=0.1, momentum=0.9), 0

        def step(self):
            self.t += 1
            self.opt.param_groups[0]["lr"] = 0.1 if self.t <= 10 else 0.01
            self.opt.step()

    difference = np.abs(textbook_run(momentum) - library_run(Scheduled)).max()
    assert difference > 1e-3


@pytest.mark.parametrize("textbook_eps,library_eps,atol", [(0.0, 0.0, 1e-12), (1e-7, 1e-8, 1e-5)])
def test_textbook_adam_with_lr_t_equals_adam(textbook_eps, library_eps, atol):
    lr, b1, b2, state = 0.3, 0.9, 0.999, {"m": np.zeros(3), "v": np.zeros(3), "t": 0}

    def adam(w, g):  # lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t); w -= lr_t * m / (sqrt(v) + eps)
        state["t"] += 1
        lr_t = lr * math.sqrt(1 - b2 ** state["t"]) / (1 - b1 ** state["t"])
        state["m"] += (1 - b1) * (g - state["m"])
        state["v"] += (1 - b2) * (g**2 - state["v"])
        return w - lr_t * state["m"] / (np.sqrt(state["v"]) + textbook_eps)

    # only the eps placement differs: the textbook's eps acts like eps / sqrt(1 - b2^t) here
    np.testing.assert_allclose(textbook_run(adam), library_run(lambda ps: optim.Adam(ps, lr=lr, eps=library_eps)),
                               rtol=0, atol=atol)


# ----------------------------------------------------------------------------------------------
# base-class behaviour


def test_param_groups_hold_every_option_and_their_own_lr():
    a, b = leaf([1.0, 1.0]), leaf([1.0, 1.0])
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.01}], lr=0.1, momentum=0.5)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01]
    for group in opt.param_groups:
        assert set(group) == {"params", "lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize"}
        assert group["momentum"] == 0.5
    a.grad, b.grad = tg.tensor([1.0, 2.0]), tg.tensor([1.0, 2.0])
    opt.step()
    np.testing.assert_allclose(a.numpy(), [0.9, 0.8])
    np.testing.assert_allclose(b.numpy(), [0.99, 0.98])


def test_add_param_group_fills_defaults_and_is_updated():
    a, b = leaf([1.0]), leaf([1.0])
    opt = optim.Adam([a], lr=0.1)
    opt.add_param_group({"params": [b], "lr": 0.2})
    assert opt.param_groups[1]["betas"] == (0.9, 0.999)
    a.grad, b.grad = tg.tensor([1.0]), tg.tensor([1.0])
    opt.step()
    np.testing.assert_allclose([a.item(), b.item()], [0.9, 0.8], rtol=1e-7)


def test_parameters_without_grad_are_skipped_and_get_no_state():
    a, b = leaf([1.0, 2.0]), leaf([3.0])
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = tg.tensor([1.0, 1.0])
    opt.step()
    assert b.numpy().tolist() == [3.0]
    assert b not in opt.state and a in opt.state


def test_generator_of_parameters_is_accepted():
    ps = [leaf([1.0]), leaf([2.0])]
    opt = optim.SGD((p for p in ps), lr=0.1)
    assert len(opt.param_groups[0]["params"]) == 2


def test_tensor_subclass_parameters_work():
    p = nn.Parameter(tg.tensor(np.array([1.0, -1.0])))
    opt = optim.SGD([p], lr=0.5)
    p.grad = tg.tensor(np.array([1.0, 1.0]))
    opt.step()
    np.testing.assert_allclose(p.numpy(), [0.5, -1.5])


def test_zero_grad_sets_none_by_default_or_zeros():
    p = leaf([1.0, 2.0])
    opt = optim.SGD([p], lr=0.1)
    (p * p).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert p.grad is not None and np.all(p.grad.numpy() == 0)
    opt.zero_grad()
    assert p.grad is None


def test_step_returns_the_closure_loss_evaluated_with_grad_enabled():
    p = leaf([3.0])
    opt = optim.SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with tg.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 9.0
    np.testing.assert_allclose(p.numpy(), [3.0 - 0.1 * 6.0])


def test_step_runs_without_recording_a_graph():
    p = leaf([1.0, 2.0])
    opt = optim.Adam([p], lr=0.1)
    (p * p).sum().backward()
    opt.step()
    assert p.grad_fn is None and p.is_leaf
    for value in opt.state[p].values():
        if isinstance(value, tg.Tensor):
            assert not value.requires_grad


# ----------------------------------------------------------------------------------------------
# checkpoints


def train(opt, params, rng, steps):
    for _ in range(steps):
        for p in params:
            p.grad = tg.tensor(p.numpy() + rng.standard_normal(p.shape))
        opt.step()


@pytest.mark.parametrize("name,options", [("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adagrad", {"lr": 0.1}),
                                          ("RMSprop", {"centered": True, "momentum": 0.5}), ("Adadelta", {}),
                                          ("Adam", {"amsgrad": True}), ("AdamW", {"lr": 0.01})])
def test_state_dict_round_trip_resumes_exactly(name, options):
    cls = getattr(optim, name)
    params = [leaf([[1.0, -2.0], [0.5, 0.0]]), leaf([3.0])]
    opt = cls([{"params": params[:1]}, {"params": params[1:], "lr": 0.003}], **options)
    train(opt, params, np.random.default_rng(3), 4)

    snapshot = opt.state_dict()
    copies = [leaf(p.numpy()) for p in params]
    resumed = cls([{"params": copies[:1]}, {"params": copies[1:]}], **options)
    resumed.load_state_dict(snapshot)
    assert resumed.param_groups[1]["lr"] == 0.003

    train(opt, params, np.random.default_rng(4), 5)
    train(resumed, copies, np.random.default_rng(4), 5)
    for p, q in zip(params, copies):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


def test_state_dict_layout_is_pytorchs():
    a, b, c = leaf([1.0]), leaf([2.0]), leaf([3.0])
    opt = optim.Adam([{"params": [a, b]}, {"params": [c], "lr": 0.5}], lr=0.1)
    for p in (a, c):
        p.grad = tg.tensor([1.0])
    opt.step()
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert sorted(sd["state"]) == [0, 2]  # b had no gradient: no state
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    assert sd["state"][0]["step"] == 1
    assert sd["param_groups"][1]["lr"] == 0.5 and sd["param_groups"][0]["betas"] == (0.9, 0.999)


def test_state_dict_is_a_snapshot():
    p = leaf([1.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = tg.tensor([1.0])
    opt.step()
    sd = opt.state_dict()
    opt.step()
    opt.param_groups[0]["lr"] = 1.0
    assert sd["state"][0]["momentum_buffer"].numpy().tolist() == [1.0]
    assert sd["param_groups"][0]["lr"] == 0.1


def test_load_state_dict_accepts_arrays_and_casts_to_the_parameter_dtype():
    p = leaf([1.0, 2.0], dtype=np.float32)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    sd = {"state": {0: {"momentum_buffer": np.array([0.5, 0.5])}}, "param_groups": [dict(opt.state_dict()
                                                                                          ["param_groups"][0])]}
    opt.load_state_dict(sd)
    assert opt.state[p]["momentum_buffer"].dtype == np.float32


def test_load_state_dict_refuses_a_different_model():
    a, b = leaf([1.0, 2.0]), leaf([1.0])
    opt = optim.Adam([a, b])
    a.grad = tg.tensor([1.0, 1.0])
    opt.step()
    sd = opt.state_dict()
    with pytest.raises(ValueError, match="param group"):
        optim.Adam([a]).load_state_dict(sd)
    with pytest.raises(ValueError, match="param groups"):
        optim.Adam([{"params": [a]}, {"params": [b]}]).load_state_dict(sd)
    with pytest.raises(ValueError, match="shape"):
        optim.Adam([leaf([1.0, 2.0, 3.0]), leaf([1.0])]).load_state_dict(sd)


# ----------------------------------------------------------------------------------------------
# bad input


def test_refuses_non_leaf_parameter():
    p = leaf([1.0])
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2])


def test_frozen_parameters_are_accepted_and_left_alone():
    """As in PyTorch: optimizing model.parameters() after freezing some of them must work."""
    frozen, trained = tg.tensor([1.0, 2.0]), tg.tensor([3.0], requires_grad=True)
    opt = optim.Adam([frozen, trained], lr=0.1)
    (trained * 2.0).sum().backward()
    opt.step()
    np.testing.assert_array_equal(frozen.data, [1.0, 2.0])
    np.testing.assert_allclose(trained.data, [2.9], rtol=1e-6)  # Adam's first step: lr * sign(g)


def test_refuses_integer_tensor():
    with pytest.raises(TypeError, match="int64"):
        optim.SGD([tg.tensor([1, 2])])


def test_refuses_non_tensors_and_sets_and_a_bare_tensor():
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        optim.SGD([np.zeros(2)])
    with pytest.raises(TypeError, match="set"):
        optim.SGD([{"params": {leaf([1.0])}}])
    with pytest.raises(TypeError, match="list"):
        optim.SGD(leaf([1.0]))


def test_refuses_duplicate_parameters():
    p, q = leaf([1.0]), leaf([2.0])
    with pytest.raises(ValueError, match="twice"):
        optim.SGD([p, q, p])
    with pytest.raises(ValueError, match="only one group"):
        optim.SGD([{"params": [p]}, {"params": [q, p]}])
    opt = optim.SGD([p])
    with pytest.raises(ValueError, match="only one group"):
        opt.add_param_group({"params": [p]})


def test_refuses_empty_parameter_list():
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])


@pytest.mark.parametrize("name,options", [
    ("SGD", {"lr": -0.1}), ("SGD", {"momentum": -0.5}), ("SGD", {"weight_decay": -1e-4}),
    ("SGD", {"nesterov": True}), ("SGD", {"nesterov": True, "momentum": 0.9, "dampening": 0.1}),
    ("Adagrad", {"lr_decay": -1.0}), ("Adagrad", {"initial_accumulator_value": -1.0}), ("Adagrad", {"eps": -1.0}),
    ("RMSprop", {"alpha": -0.1}), ("RMSprop", {"momentum": -0.1}), ("RMSprop", {"eps": -1e-8}),
    ("Adadelta", {"rho": 1.5}), ("Adadelta", {"lr": -1.0}),
    ("Adam", {"betas": (1.0, 0.999)}), ("Adam", {"betas": (0.9, -0.1)}), ("Adam", {"eps": -1e-8}),
    ("Adam", {"lr": -1e-3}), ("AdamW", {"weight_decay": -0.01}), ("AdamW", {"betas": (0.9,)}),
])
def test_refuses_invalid_hyperparameters(name, options):
    with pytest.raises(ValueError, match=name):
        getattr(optim, name)([leaf([1.0])], **options)


def test_refuses_invalid_hyperparameters_in_a_param_group():
    with pytest.raises(ValueError, match="lr"):
        optim.Adam([{"params": [leaf([1.0])], "lr": -1.0}])


def test_refuses_a_gradient_of_the_wrong_shape():
    p = leaf([1.0, 2.0])
    opt = optim.SGD([p], lr=0.1)
    p.grad = tg.tensor([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match=r"shape \(3,\)"):
        opt.step()


def test_checkpoint_through_tg_save_resumes_exactly(tmp_path):
    params = [leaf([[1.0, -2.0], [0.5, 0.0]], dtype=np.float32), leaf([3.0], dtype=np.float32)]
    opt = optim.Adam([{"params": params[:1]}, {"params": params[1:], "lr": 0.003}], amsgrad=True)
    scheduler = optim.lr_scheduler.StepLR(opt, step_size=2)
    train(opt, params, np.random.default_rng(3), 3)
    scheduler.step()
    tg.save({"params": [p.detach() for p in params], "optimizer": opt.state_dict(),
             "scheduler": scheduler.state_dict()}, tmp_path / "ckpt")

    checkpoint = tg.load(tmp_path / "ckpt")
    copies = [tg.tensor(p, requires_grad=True) for p in checkpoint["params"]]
    resumed = optim.Adam([{"params": copies[:1]}, {"params": copies[1:]}], amsgrad=True)
    resumed_scheduler = optim.lr_scheduler.StepLR(resumed, step_size=2)
    resumed.load_state_dict(checkpoint["optimizer"])
    resumed_scheduler.load_state_dict(checkpoint["scheduler"])
    for run_opt, run_sched, run_params in ((opt, scheduler, params), (resumed, resumed_scheduler, copies)):
        rng = np.random.default_rng(4)
        for _ in range(4):
            train(run_opt, run_params, rng, 1)
            run_sched.step()
    for p, q in zip(params, copies):
        assert q.dtype == np.float32
        np.testing.assert_array_equal(p.numpy(), q.numpy())


def test_trains_an_nn_model():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1))
    opt = optim.AdamW(model.parameters(), lr=0.02)
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.uniform(-1, 1, (64, 2)).astype(np.float32))
    y = x[:, :1] * x[:, 1:]
    losses = []
    for _ in range(200):
        opt.zero_grad()
        loss = nn.MSELoss()(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]
    assert all(p.dtype == np.float32 for p in model.parameters())


# ----------------------------------------------------------------------------------------------
# a step between forward and backward


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_backward_through_a_graph_saved_before_a_step_raises(name):
    """As in PyTorch: the step changes the parameters in place, so a graph that saved them (here
    Mul saves w for x's gradient) would otherwise backpropagate with the new values."""
    w, x = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    loss = (x * w).sum()
    loss.backward(retain_graph=True)
    getattr(optim, name)([w], lr=0.1).step()
    with pytest.raises(RuntimeError, match="Mul.*in-place"):
        loss.backward()


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_training_loop_with_steps_between_iterations_is_fine(name):
    w = leaf([1.0, 2.0])
    opt = getattr(optim, name)([w], lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
    assert np.all(np.abs(w.numpy()) < [1.0, 2.0])
