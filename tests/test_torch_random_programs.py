"""Differential tests of random straight-line programs against PyTorch (float64).

Hypothesis draws a small pool of leaf tensors (requires_grad, shapes that broadcast against each
other, values away from zero) and a sequence of steps; each step picks an op and operands from the
pool, so fan-out, shared inputs and a leaf used twice happen all the time. Ops: smooth unary
elementwise functions (log/sqrt/division only of values kept positive by construction), relu
(programs where torch meets a relu input near its kink are rejected), broadcasting + - * /,
sum/mean over dims with keepdim, matmul where shapes fit, views (reshape, permute, .T, indexing with
ints, slices, None, ... and int arrays, unsqueeze) and in-place writes into non-leaf tensors
(mul_, add_, exp_, +=, `c[idx] = v`), which includes writing a base after views of it were taken and
writing into a view (the base and its views see each other's values and history, as in PyTorch).

One interpreter runs the same program with `tinygrad_edu` and with `torch`; the tests compare the
final values of every tensor in the pool, leaf `.grad` after `backward()` (and after a second,
accumulating one), `tg.grad` against `torch.autograd.grad` (for leaves and intermediates), several
outputs at once with `grad_outputs` (one output being an intermediate of another), and
Hessian-vector products. Where PyTorch raises (an in-place write into a leaf or a view of one, a
backward through a tensor saved for backward and modified since), tinygrad_edu must raise too, at
the same step of the program or in the same gradient call; anything else it raises on fails the test.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import Phase, assume, given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg

torch = pytest.importorskip("torch")

RTOL = 1e-9
ATOL = 1e-11  # relative to the largest magnitude of the compared array (at least 1)
KINK = 1e-6  # relu inputs closer than this to 0 (in torch's run) reject the program
LARGEST = 1e4  # values beyond this (or not finite) in torch's run reject the program


# ----------------------------------------------------------------------------------------------
# programs


@dataclass(frozen=True)
class Step:
    """`op` applied to the pool entries `args` with op-specific `params`."""

    op: str
    args: tuple
    params: tuple = ()


@dataclass(frozen=True)
class Program:
    leaves: tuple  # float64 arrays
    steps: tuple  # Steps; a new tensor per step except for in-place ones
    outputs: tuple  # pool indices differentiated (sum of <output, weight>, or with grad_outputs)
    inputs: tuple  # pool indices to differentiate with respect to: every leaf, maybe intermediates
    seed: int  # for weights and directions

    def __repr__(self) -> str:
        lines = [f"t{i} = leaf(shape={leaf.shape}, {np.array2string(leaf, precision=3, separator=', ')})"
                 for i, leaf in enumerate(self.leaves)]
        n = len(self.leaves)
        for step in self.steps:
            code = describe(step)
            if step.op in INPLACE:
                lines.append(code)
            else:
                lines.append(f"t{n} = {code}")
                n += 1
        lines.append(f"outputs = [{', '.join(f't{i}' for i in self.outputs)}]")
        lines.append(f"inputs = [{', '.join(f't{i}' for i in self.inputs)}]  # seed={self.seed}")
        return "\n" + "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # how Hypothesis shows a failing example
        printer.text(repr(self))


UNARY = {
    "exp": lambda a: a.exp(),
    "tanh": lambda a: a.tanh(),
    "sin": lambda a: a.sin(),
    "cos": lambda a: a.cos(),
    "sigmoid": lambda a: a.sigmoid(),
    "relu": lambda a: a.relu(),
    "neg": lambda a: -a,
    "log": lambda a: (a * a + 0.5).log(),
    "sqrt": lambda a: (a * a + 0.25).sqrt(),
    "affine": lambda a: 1.5 - a * 0.5,
}
UNARY_CODE = {
    "exp": "{a}.exp()", "tanh": "{a}.tanh()", "sin": "{a}.sin()", "cos": "{a}.cos()", "sigmoid": "{a}.sigmoid()",
    "relu": "{a}.relu()", "neg": "-{a}", "log": "({a} * {a} + 0.5).log()", "sqrt": "({a} * {a} + 0.25).sqrt()",
    "affine": "1.5 - {a} * 0.5",
}
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 0.5),
    "matmul": lambda a, b: a @ b,
}
BINARY_CODE = {"add": "{a} + {b}", "sub": "{a} - {b}", "mul": "{a} * {b}", "div": "{a} / ({b} * {b} + 0.5)",
               "matmul": "{a} @ {b}"}
REDUCE = ("sum", "mean")
VIEWS = ("reshape", "permute", "T", "index", "unsqueeze")
INPLACE = ("mul_scalar", "mul_", "add_", "iadd", "exp_", "setitem")


def to_index(module: Any, spec: tuple) -> tuple:
    """An index spec (tuples of ("s", start, stop, step), ("i", k), ("a", ints), ("n",), ("e",)) as an
    index for `module`'s tensors (int arrays become int64 tensors of that module)."""
    items = []
    for item in spec:
        kind = item[0]
        if kind == "s":
            items.append(slice(*item[1:]))
        elif kind == "i":
            items.append(item[1])
        elif kind == "a":
            items.append(module.tensor(np.array(item[1], dtype=np.int64)))
        elif kind == "n":
            items.append(None)
        else:
            items.append(Ellipsis)
    return tuple(items)


def index_code(spec: tuple) -> str:
    parts = []
    for item in spec:
        kind = item[0]
        if kind == "s":
            start, stop, step = item[1:]
            text = f"{'' if start is None else start}:{'' if stop is None else stop}"
            parts.append(text + ("" if step in (None, 1) else f":{step}"))
        elif kind == "i":
            parts.append(str(item[1]))
        elif kind == "a":
            parts.append(str(list(item[1])))
        else:
            parts.append("None" if kind == "n" else "...")
    return ", ".join(parts)


def describe(step: Step) -> str:
    """The step as Python source (pool entries named t0, t1, ...)."""
    names = [f"t{i}" for i in step.args]
    op, p = step.op, step.params
    if op in UNARY:
        return UNARY_CODE[op].format(a=names[0])
    if op in BINARY:
        return BINARY_CODE[op].format(a=names[0], b=names[1])
    if op in REDUCE:
        return f"{names[0]}.{op}(dim={p[0]}, keepdim={p[1]})"
    if op == "reshape":
        return f"{names[0]}.reshape({p[0]})"
    if op == "permute":
        return f"{names[0]}.permute({', '.join(map(str, p[0]))})"
    if op == "T":
        return f"{names[0]}.T"
    if op == "index":
        return f"{names[0]}[{index_code(p[0])}]"
    if op == "unsqueeze":
        return f"{names[0]}.unsqueeze({p[0]})"
    if op == "mul_scalar":
        return f"{names[0]}.mul_({p[0]})"
    if op in ("mul_", "add_"):
        return f"{names[0]}.{op}({names[1]})"
    if op == "iadd":
        return f"{names[0]} += {names[1]}"
    if op == "exp_":
        return f"{names[0]}.exp_()"
    value = f"{names[1]}.mean()" if p[1] else names[1]
    return f"{names[0]}[{index_code(p[0])}] = {value}"


class Guard:
    """What torch's run saw: the smallest |relu input| and the largest |value| (inf if not finite)."""

    def __init__(self) -> None:
        self.kink = math.inf
        self.largest = 0.0

    def value(self, t: Any) -> None:
        arr = t.detach().numpy()
        if arr.size:
            self.largest = max(self.largest, float(np.abs(arr).max()) if np.isfinite(arr).all() else math.inf)

    def acceptable(self) -> bool:
        return self.kink > KINK and self.largest < LARGEST


def apply_step(module: Any, pool: list, step: Step, guard: Guard | None = None) -> None:
    """Run one step on `pool` (a list of `module`'s tensors): append its result, or write in place."""
    op, p = step.op, step.params
    xs = [pool[i] for i in step.args]
    if op in UNARY:
        if op == "relu" and guard is not None and xs[0].numel():
            guard.kink = min(guard.kink, float(xs[0].detach().abs().min()))
        out = UNARY[op](xs[0])
    elif op in BINARY:
        out = BINARY[op](xs[0], xs[1])
    elif op in REDUCE:
        out = getattr(xs[0], op)(dim=p[0], keepdim=p[1])
    elif op == "reshape":
        out = xs[0].reshape(p[0])
    elif op == "permute":
        out = xs[0].permute(*p[0])
    elif op == "T":
        out = xs[0].T
    elif op == "index":
        out = xs[0][to_index(module, p[0])]
    elif op == "unsqueeze":
        out = xs[0].unsqueeze(p[0])
    else:
        target = xs[0]
        if op == "mul_scalar":
            target.mul_(p[0])
        elif op == "mul_":
            target.mul_(xs[1])
        elif op == "add_":
            target.add_(xs[1])
        elif op == "iadd":
            target += xs[1]
            pool[step.args[0]] = target
        elif op == "exp_":
            target.exp_()
        else:  # setitem
            target[to_index(module, p[0])] = xs[1].mean() if p[1] else xs[1]
        if guard is not None:
            guard.value(target)
        return
    if guard is not None:
        guard.value(out)
    pool.append(out)


def run(module: Any, program: Program, guard: Guard | None = None) -> tuple[list, tuple | None]:
    """Interpret `program` with `module` (tg or torch): the pool of tensors and, if a step raised,
    (step number, exception); the steps after it are not run."""
    pool = [module.tensor(leaf.copy(), requires_grad=True) for leaf in program.leaves]
    for k, step in enumerate(program.steps):
        try:
            apply_step(module, pool, step, guard)
        except Exception as err:  # noqa: BLE001 (compared with the other library's behaviour)
            return pool, (k, err)
    return pool, None


# ----------------------------------------------------------------------------------------------
# drawing programs


SHADOW = torch.float64


def _zeros(shape: tuple) -> Any:
    return torch.zeros(shape, dtype=SHADOW)


def _broadcasts_into(small: tuple, big: tuple) -> bool:
    try:
        return np.broadcast_shapes(small, big) == tuple(big)
    except ValueError:
        return False


def _broadcastable(a: tuple, b: tuple) -> bool:
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


@functools.lru_cache(maxsize=None)
def _matmul_ok(a: tuple, b: tuple) -> bool:
    if not a or not b:
        return False
    try:
        torch.matmul(torch.empty(a, dtype=SHADOW), torch.empty(b, dtype=SHADOW))
        return True
    except RuntimeError:
        return False


def _reshape_targets(shape: tuple) -> list:
    n = math.prod(shape)
    targets = [shape, (n,), (-1,), (1, n), (n, 1), (1,) + shape, shape + (1,)]
    targets += [(p, n // p) for p in range(2, n) if n % p == 0]
    targets += [(p, -1) for p in range(2, n) if n % p == 0]
    targets += [(2, p, n // (2 * p)) for p in range(2, n) if n % (2 * p) == 0]
    if n == 1:
        targets.append(())
    return list(dict.fromkeys(targets))


def pick(draw, options: Any) -> Any:
    """One of `options`, drawn as a position (cheaper to draw and to shrink than sampled_from
    of a fresh list)."""
    options = tuple(options)
    return options[draw(st.integers(0, len(options) - 1))]


def pick_some(draw, options: Any, min_size: int, max_size: int) -> list:
    """Between `min_size` and `max_size` distinct entries of `options`, in a drawn order."""
    left = list(options)
    count = draw(st.integers(min(min_size, len(left)), min(max_size, len(left))))
    return [left.pop(draw(st.integers(0, len(left) - 1))) for _ in range(count)]


def _slice(draw, n: int) -> tuple:
    start = draw(st.integers(0, n - 1))
    stop = draw(st.integers(start + 1, n))
    step = pick(draw, (1, 1, 2))
    if draw(st.booleans()):
        start -= n  # negative starts count from the end, in both libraries
    return ("s", start, None if stop == n else stop, step)


def _draw_index(draw, shape: tuple, unique_arrays: bool) -> tuple:
    """An index for `shape` that NumPy and PyTorch place the same way: at most one int array,
    never together with an int or None (PyTorch applies ints as selects first, NumPy does not)."""
    ndim = len(shape)
    if ndim == 0:
        return (("e",),)
    k = draw(st.integers(1, ndim))
    ellipsis = k < ndim and draw(st.booleans())
    axes = shape[ndim - k:] if ellipsis else shape[:k]
    array_at = pick(draw, (None,) + tuple(range(k)))
    items = []
    for axis, n in enumerate(axes):
        if axis == array_at:
            if unique_arrays:
                picks = pick_some(draw, range(n), 1, n)
            else:
                picks = [draw(st.integers(-n, n - 1)) for _ in range(draw(st.integers(1, 4)))]
            items.append(("a", tuple(picks)))
            continue
        kind = pick(draw, ("slice", "full", "int") if array_at is None else ("slice", "full"))
        if kind == "slice":
            items.append(_slice(draw, n))
        elif kind == "full":
            items.append(("s", None, None, None))
        else:
            items.append(("i", draw(st.integers(-n, n - 1))))
    if array_at is None and draw(st.booleans()):
        items.insert(draw(st.integers(0, len(items))), ("n",))
    return (("e",),) + tuple(items) if ellipsis else tuple(items)


class _Pool:
    """What the generator knows of the pool: torch tensors of zeros with the right shapes (to
    infer the shapes of results), the memory root of each entry (itself, or the entry it is a
    view of, conservatively), and what each entry depends on."""

    def __init__(self, shapes: list) -> None:
        self.n_leaves = len(shapes)
        self.shadow = [_zeros(s) for s in shapes]
        self.roots = list(range(len(shapes)))
        self.deps = [frozenset() for _ in shapes]

    def shape(self, i: int) -> tuple:
        return tuple(self.shadow[i].shape)

    def __len__(self) -> int:
        return len(self.shadow)

    def leaf_rooted(self, i: int) -> bool:
        return self.roots[i] < self.n_leaves

    def add(self, step: Step) -> None:
        apply_step(torch, self.shadow, step)
        if step.op in INPLACE:
            target = step.args[0]
            new = frozenset(step.args[1:]).union(*(self.deps[i] for i in step.args[1:]))
            for j in range(len(self.roots)):  # the views of the target's memory see the write
                if self.roots[j] == self.roots[target]:
                    self.deps[j] = self.deps[j] | new
            return
        args = step.args
        self.deps.append(frozenset(args).union(*(self.deps[i] for i in args)))
        self.roots.append(self.roots[args[0]] if step.op in VIEWS and not self._copies(step) else len(self.roots))

    @staticmethod
    def _copies(step: Step) -> bool:
        return step.op == "index" and any(item[0] == "a" for item in step.params[0])


KINDS = ("unary",) * 3 + ("binary",) * 3 + ("reduce",) * 2 + ("matmul",) + ("view",) * 5 + ("inplace",) * 5


def _draw_step(draw, pool: _Pool, kind: str, leaf_write: bool = False) -> Step | None:
    n = len(pool)
    if kind == "unary":
        return Step(pick(draw, UNARY), (draw(st.integers(0, n - 1)),))
    if kind == "binary":
        a = draw(st.integers(0, n - 1))
        partners = [b for b in range(n) if _broadcastable(pool.shape(a), pool.shape(b))]
        b = pick(draw, partners)
        return Step(pick(draw, ("add", "sub", "mul", "div")), (a, b))
    if kind == "matmul":
        pairs = [(a, b) for a in range(n) for b in range(n) if _matmul_ok(pool.shape(a), pool.shape(b))]
        return Step("matmul", pick(draw, pairs)) if pairs else None
    if kind == "reduce":
        a = draw(st.integers(0, n - 1))
        ndim = len(pool.shape(a))
        dims = [None] + list(range(-ndim, ndim)) + [(i, j) for i in range(ndim) for j in range(i + 1, ndim)]
        return Step(pick(draw, REDUCE), (a,), (pick(draw, dims), draw(st.booleans())))
    if kind == "view":
        computed = range(pool.n_leaves, n)
        # mostly views of computed tensors: those can be written in place later
        a = pick(draw, computed) if computed and pick(draw, (True, True, False)) else draw(st.integers(0, n - 1))
        shape = pool.shape(a)
        ops = ["reshape", "unsqueeze"] + (["index", "index"] if shape else [])
        ops += (["permute"] if len(shape) >= 2 else []) + (["T"] if len(shape) == 2 else [])
        op = pick(draw, ops)
        if op == "reshape":
            return Step(op, (a,), (pick(draw, _reshape_targets(shape)),))
        if op == "unsqueeze":
            return Step(op, (a,), (draw(st.integers(-len(shape) - 1, len(shape))),))
        if op == "index":
            return Step(op, (a,), (_draw_index(draw, shape, unique_arrays=False),))
        if op == "permute":
            return Step(op, (a,), (tuple(pick_some(draw, range(len(shape)), len(shape), len(shape))),))
        return Step("T", (a,))
    # in place: into a non-leaf tensor that is no view of a leaf (PyTorch refuses those), unless
    # `leaf_write` asks for exactly such a write
    targets = [i for i in range(n) if pool.leaf_rooted(i) == leaf_write]
    if not targets:
        return None
    # mostly a view, or a base that has views, when there is one: the interesting writes
    shared = [i for i in targets if any(pool.roots[j] == pool.roots[i] for j in range(n) if j != i)]
    t = pick(draw, shared if shared and pick(draw, (True, True, True, False)) else targets)
    shape = pool.shape(t)
    # operands never overlap the target's memory partially (PyTorch refuses that); the target
    # itself is fine (c.mul_(c))
    others = [o for o in range(n) if o == t or pool.roots[o] != pool.roots[t]]
    op = pick(draw, INPLACE)
    if op == "mul_scalar":
        return Step(op, (t,), (pick(draw, (0.5, -2.0, 1.5)),))
    if op == "exp_":
        return Step(op, (t,))
    if op != "setitem":
        fitting = [o for o in others if _broadcasts_into(pool.shape(o), shape)]
        return Step(op, (t, pick(draw, fitting)))
    spec = _draw_index(draw, shape, unique_arrays=True)  # repeated targets: which write wins is undefined
    region = tuple(pool.shadow[t][to_index(torch, spec)].shape)
    fitting = [o for o in others if o != t and _broadcasts_into(pool.shape(o), region)]
    if fitting and draw(st.booleans()):
        return Step(op, (t, pick(draw, fitting)), (spec, False))
    return Step(op, (t, pick(draw, [o for o in others if o != t])), (spec, True))  # o.mean()


@st.composite
def _steps(draw, pool: _Pool) -> Step:
    step = _draw_step(draw, pool, pick(draw, KINDS))
    if step is None:  # nothing fits this kind: a unary step instead
        step = _draw_step(draw, pool, "unary")
    return step


@st.composite
def programs(draw, min_steps: int = 3, max_steps: int = 10, related_outputs: bool = False,
             leaf_write: bool = False) -> Program:
    """A random program. `related_outputs`: the outputs include an intermediate of another output.
    `leaf_write`: the last step writes in place into a leaf or a view of one."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    dims = tuple(draw(st.integers(2, 4)) for _ in range(3))
    shapes = []
    for _ in range(draw(st.integers(2, 4))):
        ndim = pick(draw, (0, 1, 1, 2, 2, 2, 3))
        ones = draw(st.integers(0, 2**ndim - 1)) if draw(st.booleans()) else 0  # axes of size 1
        shapes.append(tuple(1 if ones >> i & 1 else d for i, d in enumerate(dims[3 - ndim:])))
    leaves = tuple(np.asarray(rng.choice((-1.0, 1.0), s) * rng.uniform(0.3, 1.5, s)) for s in shapes)
    pool = _Pool(shapes)
    steps = []
    # one "another step?" choice before each optional step, and each step drawn as one span, as
    # st.lists does: the shrinker can then delete a step (with its choices) in one go
    while len(steps) < max_steps and (len(steps) < min_steps or draw(st.booleans())):
        step = draw(_steps(pool))
        pool.add(step)
        steps.append(step)
    if leaf_write:
        step = _draw_step(draw, pool, "inplace", leaf_write=True)
        pool.add(step)
        steps.append(step)

    n = len(pool)
    computed = list(range(pool.n_leaves, n))
    if related_outputs:
        # an output together with one of its (non-leaf) intermediates, when the program has one
        pairs = [(o, d) for o in computed for d in sorted(pool.deps[o]) if d >= pool.n_leaves and d != o]
        if pairs:
            chosen = list(pick(draw, pairs))
        else:
            chosen = [pick(draw, computed)]
        extra = pick_some(draw, [c for c in computed if c not in chosen], 0, 1)
        outputs = pick_some(draw, chosen + extra, 3, 3)  # in a drawn order
    else:
        outputs = pick_some(draw, computed, 1, 3)
    intermediates = pick_some(draw, computed, 0, 2)
    inputs = tuple(range(pool.n_leaves)) + tuple(intermediates)
    return Program(leaves, tuple(steps), tuple(outputs), inputs, seed)


# ----------------------------------------------------------------------------------------------
# comparing


def assert_tensor_close(ours: Any, theirs: Any, what: str) -> None:
    """`ours` (a tg tensor or None) matches `theirs` (a torch tensor or None; None and zeros are
    the same gradient)."""
    if theirs is None or ours is None:
        present = theirs if ours is None else ours
        values = present if present is None else (present.detach().numpy() if present is theirs else present.numpy())
        assert values is None or not np.any(values), f"{what}: torch gives {theirs}, tinygrad_edu {ours}"
        return
    expected = theirs.detach().numpy()
    actual = ours.numpy()
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape}, torch {expected.shape}"
    assert actual.dtype == np.float64, f"{what}: dtype {actual.dtype}"
    scale = max(1.0, float(np.abs(expected).max())) if expected.size else 1.0
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL * scale, err_msg=what)


def forward_both(program: Program) -> tuple[list, list] | None:
    """Run `program` in both libraries and compare every tensor of the pool. None when torch
    refused a step (tinygrad_edu must have refused the same step)."""
    guard = Guard()
    theirs, their_error = run(torch, program, guard)
    assume(guard.acceptable())
    ours, our_error = run(tg, program)
    if their_error is None and our_error is not None:
        raise our_error[1]  # torch accepts this program
    if their_error is not None:
        assert our_error is not None, f"torch refused step {their_error[0]} ({their_error[1]}); tinygrad_edu did not"
        assert our_error[0] == their_error[0], (
            f"torch refused step {their_error[0]} ({their_error[1]}), "
            f"tinygrad_edu step {our_error[0]} ({our_error[1]})")
        assert isinstance(our_error[1], type(their_error[1])), (
            f"step {their_error[0]}: torch raised {their_error[1]!r}, tinygrad_edu {our_error[1]!r}")
        return None
    assert len(ours) == len(theirs)
    for i, (o, t) in enumerate(zip(ours, theirs)):
        assert_tensor_close(o, t, f"value of t{i}")
    return ours, theirs


def both_or_neither_raise(their_call, our_call) -> tuple:
    """(torch's result, ours), or (None, None) when torch refuses with a RuntimeError (an in-place
    write into something saved for backward). tinygrad_edu then refuses too, or computes a gradient
    when its op saved something else than torch's (relu keeps a mask, not its output), which leaves
    nothing to compare: a refusal must be an in-place error, never another one."""
    try:
        expected = their_call()
    except RuntimeError as err:
        assert "inplace" in str(err), err  # the only refusal these programs can meet in torch
        try:
            our_call()
        except RuntimeError as ours:
            assert re.search(r"in-?place", str(ours)), f"torch refused ({err}); tinygrad_edu raised {ours!r}"
        return None, None
    return expected, our_call()


def weights(program: Program, pool: list, tag: int) -> list:
    """One fixed random array per output (the same for both libraries)."""
    rng = np.random.default_rng([program.seed, tag])
    return [rng.standard_normal(tuple(pool[o].shape)) for o in program.outputs]


def loss(module: Any, program: Program, pool: list, ws: list) -> Any:
    """sum over the outputs of <output, weight>: a scalar."""
    terms = [(pool[o] * module.tensor(w)).sum() for o, w in zip(program.outputs, ws)]
    return sum(terms[1:], terms[0])


# ----------------------------------------------------------------------------------------------
# the tests
#
# Each test reports only the first failure it finds, shrunk, and skips Hypothesis' explain phase
# (which reruns the failing program under a tracer): with several distinct failures, shrinking
# and explaining take minutes, one shrink takes seconds. Fix it and rerun to see the next.

one_failure = settings(report_multiple_bugs=False, phases=tuple(p for p in Phase if p is not Phase.explain))


@one_failure
@given(programs())
def test_values_and_backward_into_leaves_match_torch(program):
    pools = forward_both(program)
    if pools is None:
        return
    ours, theirs = pools
    ws = weights(program, theirs, 0)
    our_loss, their_loss = loss(tg, program, ours, ws), loss(torch, program, theirs, ws)
    assert_tensor_close(our_loss, their_loss, "loss")
    done, _ = both_or_neither_raise(lambda: their_loss.backward(retain_graph=True) or True,
                                    lambda: our_loss.backward(retain_graph=True))
    if done is None:
        return
    for i in range(len(program.leaves)):
        assert_tensor_close(ours[i].grad, theirs[i].grad, f"t{i}.grad")
    their_loss.backward()  # a second backward through the retained graph accumulates
    our_loss.backward()
    for i in range(len(program.leaves)):
        assert_tensor_close(ours[i].grad, theirs[i].grad, f"t{i}.grad after a second backward")


@one_failure
@given(programs())
def test_grad_matches_torch_autograd_grad(program):
    pools = forward_both(program)
    if pools is None:
        return
    ours, theirs = pools
    ws = weights(program, theirs, 1)
    our_inputs, their_inputs = [ours[i] for i in program.inputs], [theirs[i] for i in program.inputs]
    expected, grads = both_or_neither_raise(
        lambda: torch.autograd.grad(loss(torch, program, theirs, ws), their_inputs, allow_unused=True),
        lambda: tg.grad(loss(tg, program, ours, ws), our_inputs, allow_unused=True))
    if expected is None:
        return
    assert len(grads) == len(expected)
    for i, g, e in zip(program.inputs, grads, expected):
        assert_tensor_close(g, e, f"gradient with respect to t{i}")
    for i in range(len(program.leaves)):  # grad() leaves .grad alone
        assert ours[i].grad is None


@one_failure
@given(programs(related_outputs=True))
def test_several_outputs_with_grad_outputs_match_torch(program):
    pools = forward_both(program)
    if pools is None:
        return
    ours, theirs = pools
    ws = weights(program, theirs, 2)
    our_outputs, their_outputs = [ours[o] for o in program.outputs], [theirs[o] for o in program.outputs]
    our_inputs, their_inputs = [ours[i] for i in program.inputs], [theirs[i] for i in program.inputs]
    expected, grads = both_or_neither_raise(
        lambda: torch.autograd.grad(their_outputs, their_inputs, grad_outputs=[torch.tensor(w) for w in ws],
                                    retain_graph=True, allow_unused=True),
        lambda: tg.grad(our_outputs, our_inputs, grad_outputs=[tg.tensor(w) for w in ws], retain_graph=True,
                        allow_unused=True))
    if expected is None:
        return
    for i, g, e in zip(program.inputs, grads, expected):
        assert_tensor_close(g, e, f"gradient of the outputs with respect to t{i}")
    torch.autograd.backward(their_outputs, grad_tensors=[torch.tensor(w) for w in ws])
    tg.autograd.backward(our_outputs, grad_tensors=[tg.tensor(w) for w in ws])
    for i in range(len(program.leaves)):
        assert_tensor_close(ours[i].grad, theirs[i].grad, f"t{i}.grad after autograd.backward of the outputs")


@one_failure
@given(programs(max_steps=7))
def test_hessian_vector_products_match_torch(program):
    pools = forward_both(program)
    if pools is None:
        return
    ours, theirs = pools
    ws = weights(program, theirs, 3)
    leaves = range(len(program.leaves))
    expected, grads = both_or_neither_raise(
        lambda: torch.autograd.grad(loss(torch, program, theirs, ws), [theirs[i] for i in leaves],
                                    create_graph=True, allow_unused=True),
        lambda: tg.grad(loss(tg, program, ours, ws), [ours[i] for i in leaves], create_graph=True,
                        allow_unused=True))
    if expected is None:
        return
    for i, g, e in zip(leaves, grads, expected):
        assert_tensor_close(g, e, f"gradient with respect to t{i}")
    rng = np.random.default_rng([program.seed, 4])
    directions = [rng.standard_normal(leaf.shape) for leaf in program.leaves]
    their_terms = [(e * torch.tensor(v)).sum() for e, v in zip(expected, directions)
                   if e is not None and e.requires_grad]
    our_terms = [(g * tg.tensor(v)).sum() for g, v in zip(grads, directions) if g is not None and g.requires_grad]
    if not their_terms:  # torch's gradient is constant in the leaves: ours must be too
        for term in our_terms:
            assert all(s is None or not np.any(s.numpy()) for s in tg.grad(term, [ours[i] for i in leaves],
                                                                          allow_unused=True))
        return
    expected_hvp, hvp = both_or_neither_raise(
        lambda: torch.autograd.grad(sum(their_terms[1:], their_terms[0]), [theirs[i] for i in leaves],
                                    allow_unused=True),
        lambda: tg.grad(sum(our_terms[1:], our_terms[0]), [ours[i] for i in leaves], allow_unused=True)
        if our_terms else (None,) * len(program.leaves))
    if expected_hvp is None:
        return
    for i, h, e in zip(leaves, hvp, expected_hvp):
        assert_tensor_close(h, e, f"Hessian-vector product, entry for t{i}")


@one_failure
@given(programs(min_steps=2, max_steps=6, leaf_write=True))
def test_writes_into_leaves_and_their_views_behave_like_torch(program):
    """The last step writes in place into a leaf or a view of one: PyTorch refuses (unless the
    "view" is really a copy, as a reshape of a transposed leaf), and so must tinygrad_edu."""
    pools = forward_both(program)
    if pools is None:
        return
    ours, theirs = pools
    ws = weights(program, theirs, 5)
    expected, grads = both_or_neither_raise(
        lambda: torch.autograd.grad(loss(torch, program, theirs, ws), [theirs[i] for i in program.inputs],
                                    allow_unused=True),
        lambda: tg.grad(loss(tg, program, ours, ws), [ours[i] for i in program.inputs], allow_unused=True))
    if expected is None:
        return
    for i, g, e in zip(program.inputs, grads, expected):
        assert_tensor_close(g, e, f"gradient with respect to t{i}")
