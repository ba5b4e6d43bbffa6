"""Exercise: one optimizer step, SGD with momentum or Adam, written on NumPy arrays.

    def momentum_step(param, grad, state, lr, momentum):
        # state: a dict that is yours, empty at the first step (keep the velocity in it)
        return new_param
    def adam_step(param, grad, state, lr, betas, eps):
        return new_param
    check_momentum(momentum_step)
    check_adam(adam_step)

There is no derivative to gradcheck here: the checker runs the engine's optimizer on the same
parameter and gradients and compares the parameter after every step. Any convention for the
velocity works (PyTorch's `v = m v + g; p -= lr v`, or the book's `v = m v - lr g; p += v`).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import optim, testing

from .grading import call_learner, compare, run_cases

StepFn = Callable[..., Any]


@st.composite
def step_cases(draw: st.DrawFn) -> dict:
    """A parameter of drawn shape, 1 to 4 gradients for it (one per step) and a learning rate."""
    shape = draw(testing.shapes(min_dims=1, max_dims=2))
    steps = draw(st.integers(1, 4))
    param = draw(testing.tensors(shape, requires_grad=False)).numpy()
    grads = [draw(testing.tensors(shape, requires_grad=False)).numpy() for _ in range(steps)]
    return {"param": param, "grads": grads, "lr": draw(testing.floats(0.001, 0.5))}


def compare_steps(exercise: str, learner_step: Callable[[np.ndarray, np.ndarray, dict], Any],
                  engine_optimizer: Callable[[list], optim.Optimizer], case: dict) -> None:
    """Run the learner's step and the engine's optimizer side by side; compare after every step."""
    engine_param = tg.tensor(case["param"].copy(), requires_grad=True)
    optimizer = engine_optimizer([engine_param])
    param, state = case["param"].copy(), {}
    for step, grad in enumerate(case["grads"], start=1):
        param = call_learner(f"{exercise} step {step}", learner_step, param.copy(), grad.copy(), state)
        engine_param.grad = tg.tensor(grad.copy())
        optimizer.step()
        compare(f"{exercise} after step {step}: param", engine_param.detach().numpy(), param, atol=1e-9, rtol=1e-7)


def check_momentum(step: StepFn, examples: int = 20) -> None:
    """Grade `step(param, grad, state, lr, momentum) -> new_param` against optim.SGD(momentum=...)."""
    cases = st.tuples(step_cases(), testing.floats(0.0, 0.99)).map(lambda pair: {**pair[0], "momentum": pair[1]})

    def check_case(case: dict) -> None:
        compare_steps("SGD with momentum",
                      lambda p, g, state: step(p, g, state, lr=case["lr"], momentum=case["momentum"]),
                      lambda params: optim.SGD(params, lr=case["lr"], momentum=case["momentum"]), case)

    run_cases("SGD with momentum", cases, check_case, examples)


def check_adam(step: StepFn, examples: int = 20) -> None:
    """Grade `step(param, grad, state, lr, betas, eps) -> new_param` against optim.Adam."""
    betas = st.tuples(testing.floats(0.0, 0.95), testing.floats(0.9, 0.9999))
    cases = st.tuples(step_cases(), betas).map(lambda pair: {**pair[0], "betas": pair[1], "eps": 1e-8})

    def check_case(case: dict) -> None:
        compare_steps("Adam",
                      lambda p, g, state: step(p, g, state, lr=case["lr"], betas=case["betas"], eps=case["eps"]),
                      lambda params: optim.Adam(params, lr=case["lr"], betas=case["betas"], eps=case["eps"]), case)

    run_cases("Adam", cases, check_case, examples)
