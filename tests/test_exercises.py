"""The exercise checkers: every reference solution passes, and planted mistakes fail with a message
naming the wrong element (the expected values come from the formulas, not from the checkers)."""

from __future__ import annotations

import re

import numpy as np
import pytest

pytest.importorskip("hypothesis")

import tinygrad_edu as tg  # noqa: E402
from tinygrad_edu import exercises  # noqa: E402
from tinygrad_edu.exercises import ExerciseFailed, solutions  # noqa: E402
from tinygrad_edu.exercises.grading import check_with_gradcheck  # noqa: E402

REFERENCES = {
    "sigmoid": (exercises.check_sigmoid, solutions.sigmoid_forward, solutions.sigmoid_backward),
    "softmax cross-entropy": (exercises.check_softmax_cross_entropy, solutions.softmax_cross_entropy_forward,
                              solutions.softmax_cross_entropy_backward),
    "linear": (exercises.check_linear, solutions.linear_forward, solutions.linear_backward),
    "max-pool": (exercises.check_max_pool, solutions.max_pool_forward, solutions.max_pool_backward),
    "conv": (exercises.check_conv, solutions.conv_forward, solutions.conv_backward),
    "SGD with momentum": (exercises.check_momentum, solutions.momentum_step),
    "Adam": (exercises.check_adam, solutions.adam_step),
}


@pytest.mark.parametrize("name", list(REFERENCES))
def test_reference_solution_passes(name, capsys):
    check, *solution = REFERENCES[name]
    check(*solution)
    assert capsys.readouterr().out.startswith(f"{name}: passed on ")


# -- planted mistakes: each is one a learner makes -------------------------------------------------

def sigmoid_backward_without_one_minus(grad_out, out):
    return grad_out * out


def tanh_forward_for_sigmoid(x):
    out = np.tanh(x)
    return out, out


def tanh_backward_for_sigmoid(grad_out, out):  # consistent with the wrong forward: gradcheck passes
    return grad_out * (1.0 - out * out)


def cross_entropy_backward_not_averaged(grad_loss, cache):
    return solutions.softmax_cross_entropy_backward(grad_loss, cache) * len(cache[1])


def linear_backward_bias_not_summed(grad_out, cache):
    grad_x, grad_weight, _ = solutions.linear_backward(grad_out, cache)
    return grad_x, grad_weight, grad_out


def linear_backward_weight_transposed(grad_out, cache):
    x, _ = cache
    grad_x, _, grad_bias = solutions.linear_backward(grad_out, cache)
    return grad_x, x.T @ grad_out, grad_bias


def max_pool_backward_spread_evenly(grad_out, cache):
    is_max, shape = cache
    k = shape[2] // grad_out.shape[2]
    return (np.ones_like(is_max) * grad_out[:, :, :, None, :, None] / (k * k)).reshape(shape)


def conv_backward_bias_averaged(grad_out, cache):
    grad_x, grad_weight, _ = solutions.conv_backward(grad_out, cache)
    return grad_x, grad_weight, grad_out.mean(axis=(0, 2, 3))


def momentum_step_ignoring_velocity(param, grad, state, lr, momentum):
    state["velocity"] = momentum * state.get("velocity", 0.0) + grad
    return param - lr * grad


def adam_step_without_bias_correction(param, grad, state, lr, betas, eps):
    beta1, beta2 = betas
    state["m"] = beta1 * state.get("m", 0.0) + (1 - beta1) * grad
    state["v"] = beta2 * state.get("v", 0.0) + (1 - beta2) * grad * grad
    return param - lr * state["m"] / (np.sqrt(state["v"]) + eps)


ELEMENT = r"\[\d+(, \d+)*\]: expected -?[\d.e+-]+, got -?[\d.e+-]+ \(difference [\d.e+-]+\)"
PLANTED = [
    (exercises.check_sigmoid, (solutions.sigmoid_forward, sigmoid_backward_without_one_minus),
     "sigmoid backward: grad of x" + ELEMENT),
    (exercises.check_sigmoid, (tanh_forward_for_sigmoid, tanh_backward_for_sigmoid),
     "sigmoid forward: out" + ELEMENT),
    (exercises.check_softmax_cross_entropy, (solutions.softmax_cross_entropy_forward,
                                             cross_entropy_backward_not_averaged),
     "softmax cross-entropy backward: grad of logits" + ELEMENT),
    (exercises.check_linear, (solutions.linear_forward, linear_backward_bias_not_summed),
     r"linear backward: grad of bias: expected shape \(\d+,\), got shape \(\d+, \d+\)"),
    (exercises.check_linear, (solutions.linear_forward, linear_backward_weight_transposed),
     r"linear backward: grad of weight(: expected shape|" + ELEMENT + ")"),
    (exercises.check_max_pool, (solutions.max_pool_forward, max_pool_backward_spread_evenly),
     "max-pool backward: grad of x" + ELEMENT),
    (exercises.check_conv, (solutions.conv_forward, conv_backward_bias_averaged),
     "conv backward: grad of bias" + ELEMENT),
    (exercises.check_momentum, (momentum_step_ignoring_velocity,),
     r"SGD with momentum after step \d: param" + ELEMENT),
    (exercises.check_adam, (adam_step_without_bias_correction,), r"Adam after step 1: param" + ELEMENT),
]


@pytest.mark.parametrize("check, solution, message", PLANTED, ids=[p[1][-1].__name__ for p in PLANTED])
def test_planted_mistake_fails_naming_the_element(check, solution, message):
    with pytest.raises(ExerciseFailed) as failure:
        check(*solution)
    text = str(failure.value)
    assert re.match(message, text), text
    assert "on the drawn input" in text


# -- the grading steps on their own ---------------------------------------------------------------

def test_compare_names_the_worst_element_and_the_difference():
    expected = np.array([[0.0, 0.0, 0.0], [0.0, 0.1, 0.25]])
    got = np.array([[0.0, 0.0, 0.0], [0.0, 0.2, 0.5]])
    with pytest.raises(ExerciseFailed, match=re.escape(
            "grad of x[1, 2]: expected 0.25, got 0.5 (difference 0.25); 1 more of 6 elements differ")):
        exercises.compare("grad of x", expected, got)
    with pytest.raises(ExerciseFailed, match=re.escape("grad of x: expected shape (2, 3), got shape (3, 2)")):
        exercises.compare("grad of x", expected, got.T)
    with pytest.raises(ExerciseFailed, match=re.escape("out[0]: expected 1, got nan")):
        exercises.compare("out", [1.0, 2.0], [np.nan, 2.0])
    exercises.compare("out", [1.0, 2.0], [1.0, 2.0 + 1e-9])


def test_gradcheck_step_names_output_and_input_elements():
    """A backward missing the factor (1 - out): the Jacobian is diagonal, analytic out against
    numerical out (1 - out), so the worst entry is at the largest x."""
    op = exercises.as_function(solutions.sigmoid_forward, sigmoid_backward_without_one_minus)
    x = tg.tensor(np.array([[0.0, 0.1, 0.2], [0.3, 0.4, 2.0]]), requires_grad=True)
    out = 1 / (1 + np.exp(-2.0))
    with pytest.raises(ExerciseFailed) as failure:
        check_with_gradcheck("sigmoid", op, [x], ["x"])
    assert str(failure.value).startswith(
        f"sigmoid: gradcheck: d out[1, 2] / d x[1, 2]: central differences of your forward give "
        f"{out * (1 - out):.6g}, your backward gives {out:.6g}")


def test_as_function_makes_an_op_of_the_learners_pair():
    op = exercises.as_function(solutions.sigmoid_forward, solutions.sigmoid_backward)
    x = tg.tensor(np.array([0.0, np.log(3.0)]), requires_grad=True)
    y = op.apply(x)
    y.sum().backward()
    np.testing.assert_allclose(y.numpy(), [0.5, 0.75])
    np.testing.assert_allclose(x.grad.numpy(), [0.25, 0.75 * 0.25])
    with tg.no_grad():
        np.testing.assert_allclose(op.apply(x).numpy(), [0.5, 0.75])


def test_an_exception_in_the_learners_code_is_reported_as_a_failed_check():
    def forward_with_a_shape_error(x):
        return x @ np.ones((7, 7)), None

    with pytest.raises(ExerciseFailed, match=r"sigmoid forward raised ValueError: .*\(array arguments of shapes"):
        exercises.check_sigmoid(forward_with_a_shape_error, solutions.sigmoid_backward)
