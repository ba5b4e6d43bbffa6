"""The engine's backward walk against a plain reference implementation of reverse mode.

`reference_grads` below is reverse-mode autodiff at its simplest, written to be read: a topological
order of the graph found by an iterative depth-first search over `node.parents`, then one sweep from
the output back to the leaves calling each node's `node.op.backward(node, grad)`, reducing every
gradient to its input's shape and summing what each node and leaf receives. It uses only the
public read interface of `Node` (`parents`, `op`, and `shape`, the shape of the node's output).

A hypothesis test draws random graphs (broadcasting leaves, fan-out, shared and repeated operands,
inputs that need no gradient, unused leaves) and requires `tg.grad` to agree with the reference for
every leaf; a few hand-made graphs with gradients derived by hand show that the reference is right.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu.autograd import unbroadcast


def reference_grads(output: tg.Tensor, leaves: list[tg.Tensor]) -> list[tg.Tensor | None]:
    """d(output.sum())/d(leaf) for each leaf, or None for a leaf the output does not depend on."""
    # 1. every node reachable from the output, each after all the nodes its inputs come from
    order, visited = [], set()
    stack = [(output.grad_fn, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))  # comes back after every input node pushed below
            stack += [(p, False) for p in node.parents if isinstance(p, tg.Node)]
    # 2. from the output back: each node passes its summed gradient on to its inputs
    grads = {output.grad_fn: tg.ones_like(output)}
    for node in reversed(order):
        grad = grads.pop(node, None)
        if grad is None:  # no gradient reached this node
            continue
        input_grads = node.op.backward(node, grad)
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        for parent, g in zip(node.parents, input_grads, strict=True):
            if parent is None or g is None:
                continue
            g = unbroadcast(g if isinstance(g, tg.Tensor) else tg.from_numpy(np.asarray(g)), parent.shape)
            grads[parent] = grads[parent] + g if parent in grads else g
    return [grads.get(leaf) for leaf in leaves]


def reference_and_engine(output: tg.Tensor, leaves: list[tg.Tensor]) -> tuple[list, list]:
    """Both gradients of `output`: the engine's first, keeping the saved tensors the reference reads."""
    engine = tg.grad(output, leaves, grad_outputs=[tg.ones_like(output)], retain_graph=True, allow_unused=True)
    with tg.no_grad():
        reference = reference_grads(output, leaves)
    return reference, list(engine)


def assert_same_grads(actual: list, expected: list) -> None:
    assert len(actual) == len(expected)
    for i, (a, e) in enumerate(zip(actual, expected)):
        if e is None or a is None:
            assert a is None and e is None, f"leaf {i}: {a!r} vs {e!r}"
            continue
        np.testing.assert_allclose(a.numpy(), e.numpy(), rtol=1e-10, atol=1e-12, err_msg=f"leaf {i}")


def f64(values, requires_grad: bool = True) -> tg.Tensor:
    return tg.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


# ----------------------------------------------------------------------------------------------
# the reference itself, on graphs with gradients derived by hand


def test_reference_product_rule():
    x, y = f64([1.0, -2.0, 0.5]), f64([3.0, 4.0, -1.0])
    gx, gy = reference_grads(x * y + x, [x, y])  # d/dx (xy + x) = y + 1, d/dy = x
    np.testing.assert_allclose(gx.numpy(), [4.0, 5.0, 0.0])
    np.testing.assert_allclose(gy.numpy(), [1.0, -2.0, 0.5])


def test_reference_broadcasting_sums_over_the_stretched_axes():
    x, b = f64(np.linspace(-1, 1, 6).reshape(2, 3)), f64([0.1, -0.2, 0.3])
    gx, gb = reference_grads((x + b).tanh(), [x, b])  # d tanh(u) = 1 - tanh(u)^2
    local = 1 - np.tanh(x.numpy() + b.numpy()) ** 2
    np.testing.assert_allclose(gx.numpy(), local)
    np.testing.assert_allclose(gb.numpy(), local.sum(axis=0))


def test_reference_sums_the_paths_of_a_diamond():
    x = f64([0.3, -0.7])
    e = x.exp()
    (gx,) = reference_grads(e * e.sin(), [x])  # d/dx e^x sin(e^x) = e^x sin(e^x) + e^2x cos(e^x)
    ex = np.exp(x.numpy())
    np.testing.assert_allclose(gx.numpy(), ex * np.sin(ex) + ex**2 * np.cos(ex))


def test_reference_leaves_unused_and_constant_inputs_alone():
    x, c, unused = f64([1.0, 2.0]), f64([4.0, -8.0], requires_grad=False), f64([5.0])
    gx, gu = reference_grads(x / c - x * x, [x, unused])  # d/dx (x/c - x^2) = 1/c - 2x
    np.testing.assert_allclose(gx.numpy(), [0.25 - 2.0, -0.125 - 4.0])
    assert gu is None


def test_reference_indexing_reshape_and_reductions():
    x, w = f64(np.arange(6.0)), f64([1.0, 10.0, 100.0])
    out = x.reshape(3, 2)[[0, 0, 2]].sum(axis=1) * w  # rows 0, 0, 2 of x as 3x2, weighted
    gx, gw = reference_grads(out, [x, w])
    np.testing.assert_allclose(gx.numpy(), [11.0, 11.0, 0.0, 0.0, 100.0, 100.0])
    np.testing.assert_allclose(gw.numpy(), [1.0, 1.0, 9.0])


def test_reference_walk_needs_no_recursion():
    x = f64([0.5])
    y = x
    for _ in range(3000):  # deeper than Python's recursion limit
        y = y * 1.0001
    (gx,) = reference_grads(y, [x])
    np.testing.assert_allclose(gx.numpy(), [1.0001**3000])


# ----------------------------------------------------------------------------------------------
# the engine against the reference, on random graphs

UNARY = {"exp": tg.Tensor.exp, "tanh": tg.Tensor.tanh, "sin": tg.Tensor.sin}
BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / (b * b + 0.5),  # a denominator kept away from zero
}
OPS = [*UNARY, *BINARY, "sum", "reshape", "index"]


@st.composite
def leaf_tensors(draw) -> list[tg.Tensor]:
    """2 to 4 float64 leaves whose shapes all broadcast together; some need no gradient."""
    full = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    leaves = []
    for _ in range(draw(st.integers(2, 4))):
        shape = full[draw(st.integers(0, len(full))):]  # drop leading axes ...
        shape = [1 if draw(st.booleans()) else n for n in shape]  # ... and stretch others
        values = draw(st.lists(st.floats(-1, 1), min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
        leaves.append(f64(np.reshape(values, shape), requires_grad=draw(st.booleans())))
    if not any(t.requires_grad for t in leaves):
        leaves[0].requires_grad = True
    return leaves


def apply_random_op(draw, pool: list[tg.Tensor]) -> tg.Tensor:
    """One drawn op on operands drawn from `pool` (so a tensor may be used again, even twice at once)."""
    op = draw(st.sampled_from(OPS))
    a = pool[draw(st.integers(0, len(pool) - 1))]
    if op in UNARY:
        return UNARY[op](a)
    if op in BINARY:
        b = pool[draw(st.integers(0, len(pool) - 1))]
        try:
            np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            b = b.sum()  # a scalar broadcasts with anything
        return BINARY[op](a, b)
    if a.ndim == 0:
        return a.reshape(1, 1)
    if op == "sum":
        return a.sum(axis=draw(st.integers(0, a.ndim - 1)))
    if op == "reshape":
        return a.reshape(draw(st.sampled_from([(-1,), (*a.shape, 1), a.shape[::-1]])))
    i = draw(st.integers(0, a.shape[0] - 1))
    return draw(st.sampled_from([a[i], a[i:], a[[i, i, 0]], a[..., ::-1]]))


@given(st.data())
def test_engine_matches_reference_walk(data):
    leaves = data.draw(leaf_tensors(), label="leaves")
    pool = list(leaves)
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(data.draw(st.integers(2, 8), label="number of ops")):
            pool.append(apply_random_op(data.draw, pool))
        # the output depends on every result that needs a gradient, so every node is reached
        output = sum(t.sum() for t in pool[len(leaves):] if t.requires_grad)
        if not isinstance(output, tg.Tensor):  # every operand was a constant: bring in a leaf
            output = next(t for t in leaves if t.requires_grad).sum()
        assume(np.isfinite(output.numpy()).all())
        reference, engine = reference_and_engine(output, [t for t in leaves if t.requires_grad])
    assume(all(g is None or np.isfinite(g.numpy()).all() for g in engine))
    assert_same_grads(engine, reference)


@pytest.mark.parametrize("build", [
    pytest.param(lambda x, y: (x * y + x).exp(), id="shared-leaf"),
    pytest.param(lambda x, y: x * x - x / (y * y + 0.5), id="leaf-twice"),
    pytest.param(lambda x, y: (x.sin() + y)[[1, 1, 0]].sum(axis=0), id="repeated-index"),
])
def test_engine_matches_reference_on_fixed_graphs(build):
    x = f64(np.linspace(-1, 1, 6).reshape(2, 3))
    y = f64([0.5, -0.25, 2.0])
    unused = f64([1.0])
    reference, engine = reference_and_engine(build(x, y), [x, y, unused])
    assert_same_grads(engine, reference)
    assert engine[2] is None
