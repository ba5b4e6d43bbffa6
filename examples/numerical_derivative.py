"""Numerical derivatives against autograd (Neural Networks from Scratch, ch. 7-8).

f(x) = 2x^2: the secant slope over a small delta approximates the derivative 4x (the book prints
4.0001999999987845 at x = 1 and 8.000199999998785 at x = 2, with delta = 0.0001); autograd gives the
exact 4x. How the finite-difference error depends on delta (truncation against rounding) is plotted,
and `tg.gradcheck` compares every gradient of a small network with central differences.
"""

from __future__ import annotations

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu.nn import functional as F

from _common import parse_args, pyplot, save_figure


def f(x):
    """The book's function 2x^2, for floats, arrays and Tensors alike."""
    return 2 * x ** 2


def secant_slope(x: float, delta: float) -> float:
    """The book's approximate derivative (y2 - y1) / (x2 - x1) with x2 = x + delta."""
    x2 = x + delta
    return (f(x2) - f(x)) / (x2 - x)


def autograd_derivative(x: float) -> float:
    """df/dx at `x` from the engine's backward pass (float64)."""
    point = tg.tensor(x, dtype=np.float64, requires_grad=True)
    f(point).backward()
    return point.grad.item()


def network_gradcheck(seed: int) -> tuple[bool, int]:
    """gradcheck a 3-4-2 tanh network (inputs, weights and biases, float64); returns (passed, checked values)."""
    tg.manual_seed(seed)
    shapes = [(5, 3), (4, 3), (4,), (2, 4), (2,)]
    inputs = [tg.randn(*shape, dtype=np.float64, requires_grad=True) for shape in shapes]

    def network(x, w1, b1, w2, b2):
        return F.linear(F.linear(x, w1, b1).tanh(), w2, b2).log_softmax(axis=1)

    return tg.gradcheck(network, inputs), sum(t.size for t in inputs)


def main() -> None:
    args = parse_args("numerical_derivative", __doc__.splitlines()[0])
    plt = pyplot()
    delta = 0.0001
    slope_at_1, slope_at_2 = secant_slope(1.0, delta), secant_slope(2.0, delta)
    exact_at_1, exact_at_2 = autograd_derivative(1.0), autograd_derivative(2.0)

    xs = np.arange(0, 5, 0.001)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.plot(xs, f(xs), label="f(x) = 2x²")
    for x0, slope in ((1.0, slope_at_1), (2.0, slope_at_2)):
        span = np.array([x0 - 0.9, x0, x0 + 0.9])
        ax.plot(span, slope * (span - x0) + f(x0), label=f"tangent at x={x0:g}, slope {slope:.4f}")
    ax.set(xlabel="x", ylabel="f(x)", title="secant slopes as tangent lines")
    ax.legend()
    save_figure(fig, args.out, "tangent_lines.png")

    deltas = np.logspace(-15, -1, 57)
    forward_error = [abs((f(2.0 + d) - f(2.0)) / d - exact_at_2) for d in deltas]
    central_error = [abs((f(2.0 + d) - f(2.0 - d)) / (2 * d) - exact_at_2) for d in deltas]
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.loglog(deltas, np.maximum(forward_error, 1e-17), label="forward difference")
    ax.loglog(deltas, np.maximum(central_error, 1e-17), label="central difference")
    ax.set(xlabel="delta", ylabel="|error| at x = 2", title="finite differences: truncation vs rounding")
    ax.legend()
    save_figure(fig, args.out, "derivative_error.png")

    passed, checked = network_gradcheck(args.seed)
    best = int(np.argmin(forward_error))
    print(f"secant slope at x=1 (delta {delta:g}): {slope_at_1!r}")
    print(f"secant slope at x=2 (delta {delta:g}): {slope_at_2!r}")
    print(f"autograd derivative at x=1: {exact_at_1!r}")
    print(f"autograd derivative at x=2: {exact_at_2!r}")
    print(f"smallest forward-difference error: {forward_error[best]:.2e} at delta {deltas[best]:.0e}")
    print(f"gradcheck on a 3-4-2 network ({checked} values): {'passed' if passed else 'FAILED'}")


if __name__ == "__main__":
    main()
