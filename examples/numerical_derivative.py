"""Numerical derivatives against autograd (Neural Networks from Scratch, ch. 7-8).

f(x) = 2x^2: the secant slope over a small delta approximates the derivative 4x (the book prints
4.0001999999987845 at x = 1 and 8.000199999998785 at x = 2, with delta = 0.0001); autograd gives the
exact 4x. The finite-difference error against delta is plotted for 2x^2 and for sin x: truncation
error shrinks with delta (about delta |f''| / 2 for a forward difference, delta^2 |f'''| / 6 for a
central one) while rounding error grows as eps |f| / delta, so the error draws a V on log-log axes.
For 2x^2 the third derivative is 0, so the central difference has no truncation side at all.
`tg.gradcheck` then compares every gradient of a small network with central differences.
"""

from __future__ import annotations

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu.nn import functional as F

from _common import parse_args, pyplot, save_figure


def f(x):
    """The book's function 2x^2, for floats, arrays and Tensors alike."""
    return 2 * x ** 2


def sine(x):
    """sin x: its derivatives of every order are nonzero near x = 1, so both rules truncate."""
    return x.sin() if isinstance(x, tg.Tensor) else np.sin(x)


def secant_slope(x: float, delta: float) -> float:
    """The book's approximate derivative (y2 - y1) / (x2 - x1) with x2 = x + delta."""
    x2 = x + delta
    return (f(x2) - f(x)) / (x2 - x)


def forward_difference(fn, x: float, delta: float) -> float:
    """(fn(x + delta) - fn(x)) / delta: the one-sided slope, truncation error O(delta)."""
    return (fn(x + delta) - fn(x)) / delta


def central_difference(fn, x: float, delta: float) -> float:
    """(fn(x + delta) - fn(x - delta)) / (2 delta): gradcheck's symmetric slope, truncation error O(delta^2)."""
    return (fn(x + delta) - fn(x - delta)) / (2 * delta)


def autograd_derivative(x: float, fn=f) -> float:
    """d fn/dx at `x` from the engine's backward pass (float64)."""
    point = tg.tensor(x, dtype=np.float64, requires_grad=True)
    fn(point).backward()
    return point.grad.item()


def plot_errors(ax, fn, x: float, exact: float, deltas: np.ndarray, title: str) -> dict[str, np.ndarray]:
    """Plot the forward and central difference errors of `fn` at `x` against delta; returns them by rule."""
    errors = {name: np.array([abs(rule(fn, x, d) - exact) for d in deltas])
              for name, rule in (("forward", forward_difference), ("central", central_difference))}
    for name, error in errors.items():
        ax.loglog(deltas, np.maximum(error, 1e-17), marker=".", label=f"{name} difference")
    rounding = np.finfo(np.float64).eps * abs(float(fn(x))) / deltas
    ax.loglog(deltas, rounding, "k:", label="rounding ~ eps |f| / delta")
    ax.set(xlabel="delta", ylabel=f"|error| of the slope at x = {x:g}", title=title, ylim=(1e-17, 1e2))
    return errors


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
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 5.5), sharey=True)
    square = plot_errors(left, f, 2.0, exact_at_2, deltas, "f(x) = 2x²: no truncation error for central")
    exact_sine = autograd_derivative(1.0, sine)
    wave = plot_errors(right, sine, 1.0, exact_sine, deltas, "f(x) = sin x: both rules draw a V")
    right.loglog(deltas, deltas * abs(np.sin(1.0)) / 2, "C0--", label="truncation ~ delta |f''| / 2")
    right.loglog(deltas, deltas ** 2 * abs(np.cos(1.0)) / 6, "C1--", label="truncation ~ delta² |f'''| / 6")
    for ax in (left, right):
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    fig.suptitle("finite differences: truncation error falls as delta shrinks, rounding error rises")
    fig.tight_layout()
    save_figure(fig, args.out, "derivative_error.png")

    passed, checked = network_gradcheck(args.seed)
    best = int(np.argmin(square["forward"]))
    print(f"secant slope at x=1 (delta {delta:g}): {slope_at_1!r}")
    print(f"secant slope at x=2 (delta {delta:g}): {slope_at_2!r}")
    print(f"autograd derivative at x=1: {exact_at_1!r}")
    print(f"autograd derivative at x=2: {exact_at_2!r}")
    print(f"smallest forward-difference error: {square['forward'][best]:.2e} at delta {deltas[best]:.0e}")
    print(f"sin at x=1: autograd derivative {exact_sine!r}")
    for name, error in wave.items():
        low = int(np.argmin(error))
        print(f"sin at x=1, {name} difference: smallest error {error[low]:.2e} at delta {deltas[low]:.1e}")
    print(f"gradcheck on a 3-4-2 network ({checked} values): {'passed' if passed else 'FAILED'}")


if __name__ == "__main__":
    main()
