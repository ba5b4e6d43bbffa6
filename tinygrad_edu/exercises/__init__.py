"""Exercises with checkers: write a forward and a backward on NumPy arrays, and a checker grades
them with hypothesis-drawn inputs, against the engine and with gradcheck.

    from tinygrad_edu.exercises import check_sigmoid
    def sigmoid_forward(x): out = 1 / (1 + np.exp(-x)); return out, out
    def sigmoid_backward(grad_out, out): return grad_out * out * (1 - out)
    check_sigmoid(sigmoid_forward, sigmoid_backward)   # prints "passed", or raises ExerciseFailed

A failure names the element and by how much ("linear backward: grad of weight[1, 0]: expected
0.25, got 0.5 (difference 0.25)") and the small drawn input it failed on. `as_function` turns a
forward/backward pair into a Function, so your op can be used, drawn and traced in graphs.
Reference solutions: `tinygrad_edu.exercises.solutions`. Needs `hypothesis` (the `notebooks` extra).
"""

from .convolution import check_conv
from .grading import ExerciseFailed, as_function, compare
from .linear import check_linear
from .max_pool import check_max_pool
from .optimizers import check_adam, check_momentum
from .sigmoid import check_sigmoid
from .softmax_cross_entropy import check_softmax_cross_entropy

__all__ = ["ExerciseFailed", "as_function", "check_adam", "check_conv", "check_linear", "check_max_pool",
           "check_momentum", "check_sigmoid", "check_softmax_cross_entropy", "compare"]
