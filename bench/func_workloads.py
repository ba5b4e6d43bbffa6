"""The function-transform workloads (the func issue): Jacobians under vmap, a Hessian, a jvp and
per-sample gradients, each by hand in NumPy (the limit), with tinygrad_edu.func, torch.func and
HIPS autograd (each peer only when installed). bench/workloads.py registers them."""

from __future__ import annotations

import importlib.util
from typing import Any, Callable

import numpy as np

from . import numpy_baselines as npb
from . import peers
from .harness import ENGINE, NUMPY, TORCH, Engine, Options, SummaryRow, WorkloadResult

HIPS = "hips autograd"
SEED = 1
JAC_SIZES, JAC_BATCH = (3, 64, 5), 128
HESSIAN_PARAMS, HESSIAN_ROWS = 50, 100
JVP_OPS, JVP_SIZE = 100, 64
PER_SAMPLE_SIZES, PER_SAMPLE_BATCH = (784, 256, 10), 64


def _rng() -> np.random.Generator:
    return np.random.default_rng(SEED)


def _mlp(sizes: tuple, batch: int, dtype: Any) -> tuple[list[np.ndarray], np.ndarray]:
    rng = _rng()
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / np.sqrt(fan_in)
        params += [rng.uniform(-bound, bound, (fan_out, fan_in)).astype(dtype),
                   rng.uniform(-bound, bound, fan_out).astype(dtype)]
    return params, rng.standard_normal((batch, sizes[0])).astype(dtype)


# ----------------------------------------------------------------------------------------------
# the problems and their by-hand NumPy solutions


def jac_problem() -> tuple:
    return _mlp(JAC_SIZES, JAC_BATCH, np.float64)


def numpy_jac(params: list, x: np.ndarray) -> Callable[[], tuple]:
    w1, b1, w2, b2 = params

    def step() -> tuple[float]:
        h = np.tanh(x @ w1.T + b1)
        jac = np.einsum("oh,bh,hi->boi", w2, 1 - h * h, w1, optimize=True)  # W2 diag(1 - h^2) W1 per sample
        return (float((jac * jac).sum()),)

    return step


def hessian_problem() -> tuple:
    rng = _rng()
    return rng.standard_normal((HESSIAN_ROWS, HESSIAN_PARAMS)) / 5, rng.standard_normal(HESSIAN_PARAMS)


def numpy_hessian(a: np.ndarray, x: np.ndarray) -> Callable[[], tuple]:
    """f(x) = sum(softplus(A x)) + sum(x^4) / 4: H = A^T diag(s (1 - s)) A + diag(3 x^2)."""

    def step() -> tuple[float]:
        s = 1 / (1 + np.exp(-(a @ x)))
        hess = (a.T * (s * (1 - s))) @ a + np.diag(3 * x * x)
        return (float(hess.sum()),)

    return step


def jvp_problem() -> tuple:
    rng = _rng()
    return rng.uniform(-1, 1, JVP_SIZE), rng.standard_normal(JVP_SIZE)


def numpy_jvp(x: np.ndarray, v: np.ndarray) -> Callable[[], tuple]:
    """The chain of bench's overhead workload, its tangent carried along (forward mode by hand)."""

    def step() -> tuple[float, float]:
        y, t = x, v
        for i in range(JVP_OPS):
            kind = i % 4
            if kind == 0:
                y, t = y * npb.CHAIN_MUL_1, t * npb.CHAIN_MUL_1
            elif kind == 1:
                y = y + npb.CHAIN_ADD
            elif kind == 2:
                y = np.tanh(y)
                t = t * (1 - y * y)
            else:
                y, t = y * npb.CHAIN_MUL_2, t * npb.CHAIN_MUL_2
        return float(y.sum()), float(t.sum())

    return step


def per_sample_problem() -> tuple:
    params, x = _mlp(PER_SAMPLE_SIZES, PER_SAMPLE_BATCH, np.float32)
    labels = _rng().integers(0, PER_SAMPLE_SIZES[-1], PER_SAMPLE_BATCH)
    return params, x, np.eye(PER_SAMPLE_SIZES[-1], dtype=np.float32)[labels]


def numpy_per_sample(params: list, x: np.ndarray, onehot: np.ndarray) -> Callable[[], tuple]:
    """Per-sample gradients of cross-entropy through Linear-ReLU-Linear, by hand."""
    w1, b1, w2, b2 = params

    def step() -> tuple[float, float]:
        h = np.maximum(x @ w1.T + b1, 0)
        logits = h @ w2.T + b2
        p = np.exp(logits - logits.max(1, keepdims=True))
        dlogits = p / p.sum(1, keepdims=True) - onehot
        dh = (dlogits @ w2) * (h > 0)
        g_w1 = dh[:, :, None] * x[:, None, :]
        g_w2 = dlogits[:, :, None] * h[:, None, :]
        return float((g_w1 * g_w1).sum()), float((g_w2 * g_w2).sum() + (dlogits * dlogits).sum())

    return step


# ----------------------------------------------------------------------------------------------
# one function of the samples, written for any engine's tensors


def mlp_out(p: list, x: Any) -> Any:
    return (x @ p[0].T + p[1]).tanh() @ p[2].T + p[3]


def hessian_fn(a: Any, x: Any, log: Callable, exp: Callable) -> Any:
    return log(1 + exp(a @ x)).sum() + (x ** 4).sum() / 4


def chain(x: Any, tanh: Callable) -> Any:
    return npb.chain_forward(x, JVP_OPS, tanh)


def per_sample_loss(p: list, x: Any, onehot: Any, relu: Callable, logsumexp: Callable) -> Any:
    logits = relu(x @ p[0].T + p[1]) @ p[2].T + p[3]
    return logsumexp(logits) - (logits * onehot).sum()


def _sum_sq(tensors: list) -> float:
    return float(sum((np.asarray(t) ** 2).sum() for t in tensors))


# ----------------------------------------------------------------------------------------------
# tinygrad_edu.func


def tg_engine(kind: str, problem: tuple) -> Callable[[], tuple]:
    import tinygrad_edu as tg

    func = tg.func
    if kind == "jac":
        params, x = [tg.tensor(p) for p in problem[0]], tg.tensor(problem[1])
        jac = func.vmap(func.jacrev(lambda xi: mlp_out(params, xi)))
        return lambda: (_sum_sq([jac(x).numpy()]),)
    if kind == "hessian":
        a, x = tg.tensor(problem[0]), tg.tensor(problem[1])
        hess = func.hessian(lambda xi: hessian_fn(a, xi, lambda z: z.log(), lambda z: z.exp()))
        return lambda: (float(hess(x).numpy().sum()),)
    if kind == "jvp":
        x, v = tg.tensor(problem[0]), tg.tensor(problem[1])

        def jvp_step() -> tuple[float, float]:
            out, tangent = func.jvp(lambda xi: chain(xi, tg.Tensor.tanh), (x,), (v,))
            return float(out.numpy().sum()), float(tangent.numpy().sum())

        return jvp_step
    params, x, onehot = [tg.tensor(p) for p in problem[0]], tg.tensor(problem[1]), tg.tensor(problem[2])
    per_sample = func.vmap(func.grad(lambda p, xi, yi: per_sample_loss(p, xi, yi, lambda z: z.relu(),
                                                                       lambda z: z.logsumexp(-1))),
                           in_dims=(None, 0, 0))

    def per_sample_step() -> tuple[float, float]:
        g = per_sample(params, x, onehot)
        return _sum_sq([g[0].numpy()]), _sum_sq([g[2].numpy(), g[3].numpy()])

    return per_sample_step


# ----------------------------------------------------------------------------------------------
# torch.func


def torch_engine(kind: str, problem: tuple) -> Callable[[], tuple]:
    torch = peers.torch_module()
    tf = torch.func
    if kind == "jac":
        params, x = [torch.tensor(p) for p in problem[0]], torch.tensor(problem[1])
        jac = tf.vmap(tf.jacrev(lambda xi: mlp_out(params, xi)))
        return lambda: (_sum_sq([jac(x).numpy()]),)
    if kind == "hessian":
        a, x = torch.tensor(problem[0]), torch.tensor(problem[1])
        hess = tf.hessian(lambda xi: hessian_fn(a, xi, torch.log, torch.exp))
        return lambda: (float(hess(x).sum()),)
    if kind == "jvp":
        x, v = torch.tensor(problem[0]), torch.tensor(problem[1])

        def jvp_step() -> tuple[float, float]:
            out, tangent = tf.jvp(lambda xi: chain(xi, torch.tanh), (x,), (v,))
            return float(out.sum()), float(tangent.sum())

        return jvp_step
    params, x, onehot = [torch.tensor(p) for p in problem[0]], torch.tensor(problem[1]), torch.tensor(problem[2])
    per_sample = tf.vmap(tf.grad(lambda p, xi, yi: per_sample_loss(p, xi, yi, torch.relu,
                                                                   lambda z: z.logsumexp(-1))),
                         in_dims=(None, 0, 0))

    def per_sample_step() -> tuple[float, float]:
        g = per_sample(params, x, onehot)
        return _sum_sq([g[0].numpy()]), _sum_sq([g[2].numpy(), g[3].numpy()])

    return per_sample_step


# ----------------------------------------------------------------------------------------------
# HIPS autograd: no vmap, so per-sample work is a loop over the batch (as its users write it)


def hips_engine(kind: str, problem: tuple) -> Callable[[], tuple]:
    import autograd
    import autograd.numpy as anp
    from autograd.scipy.special import logsumexp

    if kind == "jac":
        params, x = problem
        jac = autograd.jacobian(lambda xi: anp.tanh(xi @ params[0].T + params[1]) @ params[2].T + params[3])
        return lambda: (_sum_sq([np.stack([jac(xi) for xi in x])]),)
    if kind == "hessian":
        a, x = problem
        hess = autograd.hessian(lambda xi: hessian_fn(a, xi, anp.log, anp.exp))
        return lambda: (float(hess(x).sum()),)
    if kind == "jvp":
        x, v = problem

        def jvp_step() -> tuple[float, float]:
            out, tangent = autograd.make_jvp(lambda xi: chain(xi, anp.tanh))(x)(v)
            return float(out.sum()), float(tangent.sum())

        return jvp_step
    params, x, onehot = problem
    gradient = autograd.grad(lambda p, xi, yi: per_sample_loss(p, xi, yi, lambda z: anp.maximum(z, 0), logsumexp))

    def per_sample_step() -> tuple[float, float]:
        grads = [gradient(params, xi, yi) for xi, yi in zip(x, onehot)]
        return _sum_sq([g[0] for g in grads]), _sum_sq([g[k] for g in grads for k in (2, 3)])

    return per_sample_step


# ----------------------------------------------------------------------------------------------
# building and judging


PROBLEMS = {"jac": (jac_problem, numpy_jac), "hessian": (hessian_problem, numpy_hessian),
            "jvp": (jvp_problem, numpy_jvp), "per_sample": (per_sample_problem, numpy_per_sample)}


def build(kind: str) -> Callable[[Options], tuple[list[Engine], list[str]]]:
    """The engines of one workload: NumPy by hand, tinygrad_edu.func, then the installed peers."""

    def build_engines(options: Options) -> tuple[list[Engine], list[str]]:
        problem_fn, by_hand = PROBLEMS[kind]
        problem = problem_fn()
        engines = [Engine(NUMPY, by_hand(*problem)), Engine(ENGINE, tg_engine(kind, problem))]
        notes = []
        if not options.peers:
            return engines, ["peers disabled (--no-peers)"]
        if peers.torch_module() is not None:
            engines.append(Engine(TORCH, torch_engine(kind, problem)))
        else:
            notes.append("pytorch: skipped (not installed)")
        if importlib.util.find_spec("autograd") is not None:
            engines.append(Engine(HIPS, hips_engine(kind, problem)))
        else:
            notes.append("hips autograd: skipped (not installed)")
        return engines, notes

    return build_engines


def target(result: WorkloadResult) -> SummaryRow:
    """The issue's target: ahead of HIPS autograd and within 2x of torch.func."""
    wanted = f"{ENGINE} <= HIPS autograd, <= 2x torch.func"
    if result.error:
        return SummaryRow(result.name, wanted, "aborted", False)
    ours = result.values[ENGINE]
    parts: list[str] = []
    met: bool | None = True
    for name, limit in ((HIPS, 1.0), (TORCH, 2.0)):
        if name in result.values:
            ratio = ours / result.values[name]
            parts.append(f"{ratio:.2f}x {name}")
            met = met and ratio <= limit
        else:
            parts.append(f"{name} not run")
            met = False if met is False else None
    return SummaryRow(result.name, wanted, ", ".join(parts), met)
