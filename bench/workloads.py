"""The benchmark workloads: each builds the same computation for every engine on the same initial
weights and batch, checks that they agree, times them interleaved and judges the issue's target."""

from __future__ import annotations

import gc
import inspect
import json
import os
import resource
import subprocess
import sys
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from . import func_workloads as fw
from . import numpy_baselines as npb
from . import peers
from .harness import (ENGINE, NUMPY, REPO_ROOT, TORCH, Engine, Options, SummaryRow, Table, WorkloadResult,
                      check_agreement, format_checks, log, time_interleaved, timed_columns, timed_table)

LR = 0.01
SEED = 0
MLP_SIZES, MLP_BATCH = (784, 256, 128, 10), 128
MLP_BIG_SIZES, MLP_BIG_BATCH = (784, 1024, 1024, 10), 1024
CNN_BATCH = 64
OVERHEAD_OPS = 1_000
DEEP_OPS, DEEP_OPS_QUICK = 100_000, 10_000
MEMORY_STEPS, MEMORY_STEPS_QUICK = 1_000, 200
GRADCHECK_SIZES, GRADCHECK_BATCH = (6, 10, 3), 8
GRADCHECK_TOLERANCES = dict(eps=1e-6, atol=1e-5, rtol=1e-3)
FLOAT32_RTOL, FLOAT64_RTOL = 1e-4, 1e-9
NO_PEERS_NOTE = "peers disabled (--no-peers)"

Builder = Callable[[list[np.ndarray], np.ndarray, np.ndarray], Callable[[], tuple]]


@dataclass
class Timing:
    """How a timed workload runs: its table's title and unit (seconds times `scale`), the builder of
    its engines, its interleaved rounds (full, quick), its untimed check steps and their tolerance."""

    title: str
    unit: str
    scale: float
    build: Callable[[Options], tuple[list[Engine], list[str]]]
    repeats: tuple[int, int]
    check_steps: int
    rtol: float
    check_label: str


@dataclass
class Workload:
    """A named benchmark: `run` produces its table, `summarize` judges its target, `engine_step`
    gives tinygrad_edu's step alone (for profiles; None when another workload's profile covers it)
    with how many steps a profile should run; `timing` is set for the timed workloads."""

    name: str
    description: str
    run: Callable[[Options], WorkloadResult]
    summarize: Callable[[WorkloadResult], SummaryRow]
    engine_step: Callable[[Options], Callable[[], tuple]] | None
    profile_steps: int
    timing: Timing | None = None


# ----------------------------------------------------------------------------------------------
# problems: initial weights (PyTorch layout and initialisation ranges) and batches, all seeded


def _uniform(rng: np.random.Generator, fan_in: int, shape: tuple, dtype: Any) -> np.ndarray:
    bound = 1 / np.sqrt(fan_in)
    return rng.uniform(-bound, bound, shape).astype(dtype)


def mlp_problem(sizes: tuple, batch: int, dtype: Any = np.float32) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """[W1, b1, W2, b2, ...], inputs (batch, sizes[0]) and integer labels."""
    rng = np.random.default_rng(SEED)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        params += [_uniform(rng, fan_in, (fan_out, fan_in), dtype), _uniform(rng, fan_in, (fan_out,), dtype)]
    x = rng.standard_normal((batch, sizes[0])).astype(dtype)
    return params, x, rng.integers(0, sizes[-1], batch)


def _mlp_problem() -> tuple:
    return mlp_problem(MLP_SIZES, MLP_BATCH)


def _mlp_big_problem() -> tuple:
    return mlp_problem(MLP_BIG_SIZES, MLP_BIG_BATCH)


def cnn_problem() -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """[conv1.w, conv1.b, conv2.w, conv2.b, fc.w, fc.b], a batch of 28x28 images and labels."""
    rng = np.random.default_rng(SEED)
    f32 = np.float32
    params = [_uniform(rng, 9, (16, 1, 3, 3), f32), _uniform(rng, 9, (16,), f32),
              _uniform(rng, 144, (32, 16, 3, 3), f32), _uniform(rng, 144, (32,), f32),
              _uniform(rng, 32 * 7 * 7, (10, 32 * 7 * 7), f32), _uniform(rng, 32 * 7 * 7, (10,), f32)]
    x = rng.standard_normal((CNN_BATCH, 1, 28, 28)).astype(f32)
    return params, x, rng.integers(0, 10, CNN_BATCH)


def chain_input() -> np.ndarray:
    return np.random.default_rng(SEED).uniform(-1, 1, 16)


# ----------------------------------------------------------------------------------------------
# tinygrad_edu implementations (nn, optim and the public Tensor API)


def _load(module: Any, arrays: list[np.ndarray]) -> None:
    """Copy `arrays` into the module's parameters (in registration order)."""
    for param, array in zip(module.parameters(), arrays):
        param.data[...] = array


def _tg_training_step(model: Any, x: np.ndarray, labels: np.ndarray) -> Callable[[], tuple]:
    import tinygrad_edu as tg
    from tinygrad_edu import nn, optim

    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=LR)
    inputs, targets = tg.tensor(x), tg.tensor(labels)

    def step() -> tuple[float]:
        optimizer.zero_grad()
        loss = criterion(model(inputs), targets)
        loss.backward()
        optimizer.step()
        return (loss.item(),)

    return step


def tg_mlp(params: list[np.ndarray], x: np.ndarray, labels: np.ndarray) -> Callable[[], tuple]:
    from tinygrad_edu import nn

    layers: list[Any] = []
    for w in params[0::2]:
        layers += [nn.Linear(w.shape[1], w.shape[0]), nn.ReLU()]
    model = nn.Sequential(*layers[:-1])
    _load(model, params)
    return _tg_training_step(model, x, labels)


def tg_cnn(params: list[np.ndarray], x: np.ndarray, labels: np.ndarray) -> Callable[[], tuple]:
    from tinygrad_edu import nn

    model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(32 * 7 * 7, 10))
    _load(model, params)
    return _tg_training_step(model, x, labels)


def tg_chain(x: np.ndarray, n_ops: int) -> Callable[[], tuple]:
    import tinygrad_edu as tg

    leaf = tg.tensor(x.copy(), requires_grad=True)

    def step() -> tuple[float, float]:
        leaf.grad = None
        total = npb.chain_forward(leaf, n_ops, tg.Tensor.tanh).sum()
        total.backward()
        return total.item(), float(leaf.grad.data.sum())

    return step


def _tg_small_mlp(x: np.ndarray, labels: np.ndarray) -> Callable[..., Any]:
    import tinygrad_edu as tg
    import tinygrad_edu.nn.functional as F

    inputs, targets = tg.tensor(x), tg.tensor(labels)

    def loss_fn(w1: Any, b1: Any, w2: Any, b2: Any) -> Any:
        return F.cross_entropy(F.linear(F.linear(inputs, w1, b1).tanh(), w2, b2), targets)

    return loss_fn


def tg_gradcheck(params: list[np.ndarray], x: np.ndarray, labels: np.ndarray, **extra: Any) -> Callable[[], tuple]:
    import tinygrad_edu as tg

    tensors = [tg.tensor(p.copy(), requires_grad=True) for p in params]
    loss_fn = _tg_small_mlp(x, labels)

    def step() -> tuple[float]:
        if not tg.gradcheck(loss_fn, tensors, **GRADCHECK_TOLERANCES, **extra):
            raise RuntimeError("gradcheck workload: tg.gradcheck failed on the small MLP")
        return (loss_fn(*tensors).item(),)

    return step


def _gradcheck_has_fast_mode() -> bool:
    import tinygrad_edu as tg

    return "fast_mode" in inspect.signature(tg.gradcheck).parameters


# ----------------------------------------------------------------------------------------------
# NumPy and PyTorch builders with one signature


def _numpy_training(step_fn: Callable) -> Builder:
    def build(params: list[np.ndarray], x: np.ndarray, labels: np.ndarray) -> Callable[[], tuple]:
        own = [p.copy() for p in params]
        return lambda: (step_fn(own, x, labels, LR),)

    return build


def _torch_training(step_fn: Callable) -> Builder:
    def build(params: list[np.ndarray], x: np.ndarray, labels: np.ndarray) -> Callable[[], tuple]:
        return step_fn(peers.torch_module(), params, x, labels, LR)

    return build


MLP_BUILDERS: dict[str, Builder] = {NUMPY: _numpy_training(npb.mlp_step), ENGINE: tg_mlp,
                                    TORCH: _torch_training(peers.torch_mlp)}
CNN_BUILDERS: dict[str, Builder] = {NUMPY: _numpy_training(npb.cnn_step), ENGINE: tg_cnn,
                                    TORCH: _torch_training(peers.torch_cnn)}


def _with_peers(options: Options, builders: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Names of the engines to run (NumPy, tinygrad_edu, then PyTorch when wanted and installed) and notes."""
    names = [NUMPY, ENGINE]
    if not options.peers:
        return names, [NO_PEERS_NOTE]
    if TORCH in builders and peers.torch_module() is not None:
        return names + [TORCH], []
    return names, ["pytorch: skipped (not installed)"]


# ----------------------------------------------------------------------------------------------
# timed workloads


def chosen_rounds(options: Options, full: int, quick: int) -> int:
    """Rounds to run: --repeats when given, else the workload's quick or full default."""
    if options.repeats is not None:
        return options.repeats
    return quick if options.quick else full


def _timed_run(name: str, t: Timing) -> Callable[[Options], WorkloadResult]:
    def run(options: Options) -> WorkloadResult:
        gc.collect()
        engines, notes = t.build(options)
        columns = timed_columns(t.unit, t.check_label)
        try:
            checks = check_agreement(engines, t.check_steps, rtol=t.rtol, atol=0.0)
        except Exception as err:  # an engine failing must not stop the other workloads
            return WorkloadResult(name, Table(t.title, columns, [], notes), error=f"{type(err).__name__}: {err}")
        n = chosen_rounds(options, *t.repeats)
        log(f"  timing {', '.join(e.name for e in engines)}: {n} interleaved round(s)")
        times, gc_share = time_interleaved(engines, n)
        table, medians = timed_table(t.title, t.unit, t.scale, engines, checks, times, gc_share, t.check_label, notes)
        return WorkloadResult(name, table, medians)

    return run


def _timed_workload(name: str, description: str, timing: Timing, summarize: Callable[[WorkloadResult], SummaryRow],
                    engine_step: Callable[[Options], Callable[[], tuple]] | None, profile_steps: int) -> Workload:
    """A Workload whose `run` times `timing`'s engines interleaved in this process."""
    return Workload(name, description, _timed_run(name, timing), summarize, engine_step, profile_steps, timing)


def _training_build(builders: dict[str, Builder], problem: Callable[[], tuple]) -> Callable[[Options], tuple]:
    def build(options: Options) -> tuple[list[Engine], list[str]]:
        params, x, labels = problem()
        names, notes = _with_peers(options, builders)
        return [Engine(n, builders[n](params, x, labels)) for n in names], notes

    return build


def _deep_ops(options: Options) -> int:
    return DEEP_OPS_QUICK if options.quick else DEEP_OPS


def _chain_build(n_ops: Callable[[Options], int]) -> Callable[[Options], tuple]:
    def build(options: Options) -> tuple[list[Engine], list[str]]:
        x, n = chain_input(), n_ops(options)
        names, notes = _with_peers(options, {TORCH: None})
        builders = {NUMPY: lambda: (lambda: npb.chain(x, n)), ENGINE: lambda: tg_chain(x, n),
                    TORCH: lambda: peers.torch_chain(peers.torch_module(), x, n)}
        return [Engine(name, builders[name]()) for name in names], [f"{n:,} ops, garbage collector on"] + notes

    return build


def _gradcheck_build(options: Options) -> tuple[list[Engine], list[str]]:
    params, x, labels = mlp_problem(GRADCHECK_SIZES, GRADCHECK_BATCH, np.float64)
    numpy_params = [p.copy() for p in params]

    def numpy_step() -> tuple[float]:
        analytic = npb.small_mlp_grads(numpy_params, x, labels)
        if not npb.gradcheck(lambda: npb.small_mlp_loss(numpy_params, x, labels), numpy_params, analytic,
                             **GRADCHECK_TOLERANCES):
            raise RuntimeError("gradcheck workload: the hand-written NumPy gradient check failed")
        return (npb.small_mlp_loss(numpy_params, x, labels),)

    engines = [Engine(NUMPY, numpy_step), Engine(ENGINE, tg_gradcheck(params, x, labels))]
    names, notes = _with_peers(options, {TORCH: None})
    n_params = sum(p.size for p in params)
    notes = [f"{n_params} parameters, full element-wise mode (one backward, {2 * n_params} forward evaluations)"] + notes
    if _gradcheck_has_fast_mode():
        engines.append(Engine(f"{ENGINE} fast_mode", tg_gradcheck(params, x, labels, fast_mode=True)))
    else:
        notes.append("tg.gradcheck has no fast_mode yet: that row appears once it lands")
    if TORCH in names:
        engines.append(Engine(TORCH, peers.torch_gradcheck(peers.torch_module(), params, x, labels,
                                                           **GRADCHECK_TOLERANCES)))
    return engines, notes


# ----------------------------------------------------------------------------------------------
# memory: each engine in a fresh process, so RSS belongs to it alone


def rss_bytes() -> int:
    """Resident set size of this process now (/proc/self/statm; peak RSS from resource elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def memory_probe(engine: str, steps: int) -> dict[str, float]:
    """Run `steps` mlp training steps of `engine`; RSS and gc-tracked objects after a tenth and after all."""
    params, x, labels = _mlp_problem()
    step = MLP_BUILDERS[engine](params, x, labels)
    checkpoint = steps // 10
    result: dict[str, float] = {}
    for i in range(1, steps + 1):
        loss = step()[0]
        if i == 1:
            result["first_loss"] = loss
        if i == checkpoint:
            result["rss_checkpoint"] = rss_bytes()
            result["objects_checkpoint"] = len(gc.get_objects())
    result.update(rss_final=rss_bytes(), objects_final=len(gc.get_objects()), last_loss=loss)
    return result


def _memory_steps(options: Options) -> int:
    return MEMORY_STEPS_QUICK if options.quick else MEMORY_STEPS


def _memory_run(options: Options) -> WorkloadResult:
    steps = _memory_steps(options)
    checkpoint = steps // 10
    names, notes = _with_peers(options, MLP_BUILDERS)
    names = [ENGINE] + [n for n in names if n != ENGINE]
    title = f"memory: RSS over {steps} mlp training steps, each engine in a fresh process"
    columns = ["engine", f"RSS after step {checkpoint} (MB)", f"RSS after step {steps} (MB)", "ratio",
               f"gc-tracked objects (step {checkpoint} / {steps})", "loss at step 1, last step"]
    rows, values, first_losses = [], {}, {}
    for name in names:
        log(f"  {name}: {steps} steps in a subprocess")
        proc = subprocess.run([sys.executable, "-m", "bench.memory_probe", name, str(steps)], cwd=REPO_ROOT,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            error = f"memory probe of {name} failed:\n{proc.stderr.strip()}"
            return WorkloadResult("memory", Table(title, columns, rows, notes), values, error)
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        ratio = r["rss_final"] / r["rss_checkpoint"]
        values[name] = ratio
        first_losses[name] = r["first_loss"]
        rows.append([name, f"{r['rss_checkpoint'] / 2**20:.1f}", f"{r['rss_final'] / 2**20:.1f}", f"{ratio:.3f}",
                     f"{r['objects_checkpoint']:.0f} / {r['objects_final']:.0f}",
                     format_checks([r["first_loss"], r["last_loss"]])])
    reference = first_losses[ENGINE]
    disagree = [n for n, v in first_losses.items() if not np.isclose(v, reference, rtol=FLOAT32_RTOL)]
    table = Table(title, columns, rows, notes)
    if disagree:
        return WorkloadResult("memory", table, values, f"step-1 losses disagree with {ENGINE}: {disagree}")
    return WorkloadResult("memory", table, values)


# ----------------------------------------------------------------------------------------------
# targets


def _ratio_target(limit: float) -> Callable[[WorkloadResult], SummaryRow]:
    def summarize(result: WorkloadResult) -> SummaryRow:
        target = f"{ENGINE} <= {limit:.2f}x NumPy"
        if result.error:
            return SummaryRow(result.name, target, "aborted", False)
        ratio = result.values[ENGINE] / result.values[NUMPY]
        return SummaryRow(result.name, target, f"{ratio:.2f}x", ratio <= limit)

    return summarize


def _torch_target(unit: str) -> Callable[[WorkloadResult], SummaryRow]:
    def summarize(result: WorkloadResult) -> SummaryRow:
        target = f"{ENGINE} <= PyTorch"
        if result.error:
            return SummaryRow(result.name, target, "aborted", False)
        ours = result.values[ENGINE]
        if TORCH not in result.values:
            return SummaryRow(result.name, target, f"{ours:.3g} {unit} (PyTorch not run)", None)
        theirs = result.values[TORCH]
        return SummaryRow(result.name, target, f"{ours:.3g} vs {theirs:.3g} {unit} ({ours / theirs:.2f}x)",
                          ours <= theirs)

    return summarize


def _memory_target(result: WorkloadResult) -> SummaryRow:
    target = "RSS(last) / RSS(tenth) <= 1.05"
    if ENGINE not in result.values:
        return SummaryRow(result.name, target, "aborted", False)
    ratio = result.values[ENGINE]
    return SummaryRow(result.name, target, f"{ratio:.3f}", ratio <= 1.05 and result.error is None)


def _no_target(result: WorkloadResult) -> SummaryRow:
    if result.error:
        return SummaryRow(result.name, "no target", "aborted", False)
    return SummaryRow(result.name, "no target (reported)",
                      f"{result.values[ENGINE] / result.values[NUMPY]:.2f}x NumPy", None)


# ----------------------------------------------------------------------------------------------
# registry


def _engine_training_step(builders: dict[str, Builder], problem: Callable[[], tuple]) -> Callable[[Options], Callable]:
    return lambda options: builders[ENGINE](*problem())


WORKLOADS: dict[str, Workload] = {w.name: w for w in [
    _timed_workload("mlp", "MLP 784-256-128-10, batch 128, ReLU, softmax cross-entropy, one SGD step (float32)",
                    Timing("mlp: MLP 784-256-128-10, batch 128, one SGD step, float32", "ms", 1e3,
                           _training_build(MLP_BUILDERS, _mlp_problem), (500, 5), 2, FLOAT32_RTOL,
                           "loss at steps 1, 2"),
                    _ratio_target(1.10), _engine_training_step(MLP_BUILDERS, _mlp_problem), 50),
    _timed_workload("mlp_big", "MLP 784-1024-1024-10, batch 1024, one SGD step (float32)",
                    Timing("mlp_big: MLP 784-1024-1024-10, batch 1024, one SGD step, float32", "ms", 1e3,
                           _training_build(MLP_BUILDERS, _mlp_big_problem), (30, 2), 2, FLOAT32_RTOL,
                           "loss at steps 1, 2"),
                    _ratio_target(1.05), _engine_training_step(MLP_BUILDERS, _mlp_big_problem), 3),
    _timed_workload("cnn", "conv 1->16 3x3 pad 1, ReLU, maxpool 2, conv 16->32 3x3 pad 1, ReLU, maxpool 2, linear "
                           "1568->10, softmax cross-entropy, batch 64 of 28x28, one SGD step (float32)",
                    Timing("cnn: 2 conv + 2 maxpool + linear, batch 64 of 28x28, one SGD step, float32", "ms", 1e3,
                           _training_build(CNN_BUILDERS, cnn_problem), (100, 3), 2, FLOAT32_RTOL,
                           "loss at steps 1, 2"),
                    _ratio_target(1.30), _engine_training_step(CNN_BUILDERS, cnn_problem), 10),
    _timed_workload("overhead", f"{OVERHEAD_OPS}-op elementwise chain on 16 float64 elements, sum, backward; us per op",
                    Timing(f"overhead: {OVERHEAD_OPS}-op chain on 16 float64 elements, forward + backward", "us/op",
                           1e6 / OVERHEAD_OPS, _chain_build(lambda options: OVERHEAD_OPS), (200, 5), 1,
                           FLOAT64_RTOL, "sum, sum of grad"),
                    _torch_target("us/op"), lambda options: tg_chain(chain_input(), OVERHEAD_OPS), 20),
    _timed_workload("deep", f"the same chain with {DEEP_OPS:,} ops (garbage collector on); seconds",
                    Timing("deep: long elementwise chain on 16 float64 elements, forward + backward, gc on", "s", 1.0,
                           _chain_build(_deep_ops), (7, 1), 1, FLOAT64_RTOL, "sum, sum of grad"),
                    _torch_target("s"), lambda options: tg_chain(chain_input(), _deep_ops(options)), 1),
    Workload("memory", f"RSS after step {MEMORY_STEPS // 10} and after step {MEMORY_STEPS} of mlp training",
             _memory_run, _memory_target, None, 0),
    _timed_workload("gradcheck", "gradcheck of a small float64 MLP 6-10-3 (tanh), batch 8",
                    Timing("gradcheck: small MLP 6-10-3, tanh, batch 8, float64", "ms", 1e3, _gradcheck_build, (20, 2),
                           1, FLOAT64_RTOL, "loss"),
                    _no_target,
                    lambda options: tg_gradcheck(*mlp_problem(GRADCHECK_SIZES, GRADCHECK_BATCH, np.float64)), 2),
    # function transforms (bench/func_workloads.py)
    *[_timed_workload(name, description, Timing(title, "ms", 1e3, fw.build(kind), repeats, 1, rtol, check),
                      fw.target, lambda options, kind=kind: fw.tg_engine(kind, fw.PROBLEMS[kind][0]()), steps)
      for name, kind, description, title, repeats, rtol, check, steps in [
          ("func_jacobian", "jac", "vmap(jacrev) of a 3-64-5 tanh MLP over a batch of 128 (float64)",
           "func_jacobian: per-sample Jacobians of a 3-64-5 tanh MLP, batch 128, float64", (60, 1), FLOAT64_RTOL,
           "sum of squares", 20),
          ("func_hessian", "hessian", "hessian of a 50-parameter function (softplus of 100 rows, quartic; float64)",
           "func_hessian: Hessian of a 50-parameter function, float64", (60, 1), FLOAT64_RTOL, "sum", 20),
          ("func_jvp", "jvp", "jvp through a 100-op elementwise chain on 64 float64 elements",
           "func_jvp: jvp through a 100-op chain, 64 float64 elements", (100, 1), FLOAT64_RTOL,
           "sum, sum of tangent", 20),
          ("func_per_sample", "per_sample", "per-sample gradients of a 784-256-10 ReLU MLP, batch 64 (float32)",
           "func_per_sample: per-sample gradients of a 784-256-10 MLP, batch 64, float32", (20, 1), FLOAT32_RTOL,
           "sums of squares", 3),
      ]],
]}
