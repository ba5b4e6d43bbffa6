"""Timing, like-with-like checks, tables, targets and profiles shared by every workload."""

from __future__ import annotations

import contextlib
import cProfile
import datetime
import gc
import os
import platform
import pstats
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
ENGINE = "tinygrad_edu"
NUMPY = "numpy (by hand)"
TORCH = "pytorch"
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class CheckError(RuntimeError):
    """The engines of a workload disagree on the loss of the same weights and batch."""


@dataclass
class Options:
    """What the command line chose: `repeats` overrides every workload's default when set."""

    quick: bool = False
    repeats: int | None = None
    peers: bool = True


@dataclass
class Engine:
    """One implementation of a workload: `step()` runs one timed unit and returns check values."""

    name: str
    step: Callable[[], tuple[float, ...]]


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)


@dataclass
class SummaryRow:
    workload: str
    target: str
    measured: str
    met: bool | None  # None: no target, or not measurable in this run


@dataclass
class WorkloadResult:
    """A workload's table plus the numbers its target is judged on; `error` is set when it aborted."""

    name: str
    table: Table
    values: dict[str, float] = field(default_factory=dict)
    error: str | None = None


def log(message: str) -> None:
    """Progress goes to stderr so that stdout holds only the report (e.g. for --markdown > RESULTS.md)."""
    print(message, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------
# timing


def check_agreement(engines: list[Engine], check_steps: int, rtol: float, atol: float) -> dict[str, list[float]]:
    """Run `check_steps` untimed steps of every engine (also the warm-up) and require that their
    check values (losses) agree with the first engine's; raise CheckError otherwise."""
    values = {}
    for engine in engines:
        values[engine.name] = [float(v) for _ in range(check_steps) for v in engine.step()]
    reference_name = engines[0].name
    reference = np.array(values[reference_name])
    for name, vals in values.items():
        if not np.allclose(vals, reference, rtol=rtol, atol=atol):
            raise CheckError(f"{name} gives check values {vals} but {reference_name} gives {list(reference)} on the "
                             f"same weights and batch (rtol={rtol}); the engines do not compute the same thing")
    return values


class _GcClock:
    """Seconds spent in the garbage collector since `reset()` (through gc.callbacks)."""

    def __init__(self) -> None:
        self.total = 0.0
        self._start = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.total += time.perf_counter() - self._start

    def reset(self) -> None:
        self.total = 0.0


def time_interleaved(engines: list[Engine], repeats: int) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Seconds per step of every engine, run round-robin (one step of each in turn, the starting
    engine rotating every round) so that machine noise hits all of them alike; also the share of
    each engine's time spent in the garbage collector (which stays on)."""
    times: dict[str, list[float]] = {e.name: [] for e in engines}
    in_gc = {e.name: 0.0 for e in engines}
    clock = _GcClock()
    gc.callbacks.append(clock)
    try:
        order = list(engines)
        for _ in range(repeats):
            for engine in order:
                clock.reset()
                start = time.perf_counter()
                engine.step()
                times[engine.name].append(time.perf_counter() - start)
                in_gc[engine.name] += clock.total
            order = order[1:] + order[:1]
    finally:
        gc.callbacks.remove(clock)
    gc_share = {name: in_gc[name] / sum(t) for name, t in times.items()}
    return {name: np.array(t) for name, t in times.items()}, gc_share


def format_checks(values: list[float]) -> str:
    return ", ".join(f"{v:.6g}" for v in values)


def timed_table(title: str, unit: str, scale: float, engines: list[Engine], checks: dict[str, list[float]],
                times: dict[str, np.ndarray], gc_share: dict[str, float], check_label: str,
                notes: list[str]) -> tuple[Table, dict[str, float]]:
    """The per-engine table (median, IQR, ratio to the NumPy limit, time in gc, check values) and the medians."""
    medians = {name: float(np.median(t)) * scale for name, t in times.items()}
    numpy_median = medians.get(NUMPY, float("nan"))
    rows = [timed_row(e.name, times[e.name] * scale, numpy_median, gc_share[e.name], checks[e.name]) for e in engines]
    return Table(title, timed_columns(unit, check_label), rows, notes), medians


def timed_row(name: str, scaled: np.ndarray, numpy_median: float, gc_share: float, checks: list[float]) -> list[str]:
    """One engine's row of a timed table from its step times (already in the table's unit)."""
    median = float(np.median(scaled))
    q1, q3 = np.percentile(scaled, [25, 75])
    return [name, f"{median:.4g}", f"{q1:.4g} - {q3:.4g}", f"{median / numpy_median:.2f}x", f"{100 * gc_share:.1f}%",
            format_checks(checks)]


def timed_columns(unit: str, check_label: str) -> list[str]:
    return ["engine", f"median ({unit})", f"IQR ({unit})", "ratio to NumPy", "time in gc", check_label]


# ----------------------------------------------------------------------------------------------
# environment


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Limit BLAS/OpenMP pools to one thread for the run (threadpoolctl when installed; otherwise the
    environment variables set by bench/__init__.py before NumPy was imported do it)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1):
        yield


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def blas_libraries() -> list[str]:
    """BLAS libraries with their thread counts (threadpoolctl when installed, else NumPy's build info)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        blas = np.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
        return [f"{blas.get('name', '?')} {blas.get('version', '?')} (threadpoolctl not installed: thread "
                "count from the environment variables)"]
    return [f"{i.get('internal_api')} {i.get('version')} ({i.get('user_api')}, {i.get('num_threads')} thread(s), "
            f"{Path(i.get('filepath', '')).name})" for i in threadpool_info()]


def machine_environment() -> list[tuple[str, str]]:
    """Date, machine, Python, NumPy, BLAS and thread settings of this process, as (label, value) pairs."""
    return [
        ("date", datetime.datetime.now().astimezone().isoformat(timespec="minutes")),
        ("machine", f"{platform.platform()}, {_cpu_model()}, {os.cpu_count()} logical CPU(s)"),
        ("python", sys.version.split()[0]),
        ("numpy", np.__version__),
        ("BLAS", "; ".join(blas_libraries())),
        ("thread variables", ", ".join(f"{v}={os.environ.get(v, 'unset')}" for v in THREAD_VARIABLES)),
    ]


def environment(torch: object | None, peer_notes: list[str]) -> list[tuple[str, str]]:
    """The machine, tinygrad_edu's version and the peers, as (label, value) pairs."""
    import tinygrad_edu

    items = machine_environment() + [("tinygrad_edu", tinygrad_edu.__version__)]
    if torch is not None:
        items.append(("pytorch", f"{torch.__version__}, {torch.get_num_threads()} intra-op thread(s), "
                                 f"{torch.get_num_interop_threads()} inter-op thread(s)"))
    else:
        items.append(("pytorch", "not run (not installed, or --no-peers)"))
    items.append(("other peers", "; ".join(peer_notes)))
    return items


# ----------------------------------------------------------------------------------------------
# profiles


def profile(step: Callable[[], object], steps: int, top: int = 15) -> str:
    """cProfile of `steps` calls of `step` (after one warm-up call): the top functions by own time."""
    step()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps):
        step()
    profiler.disable()
    stats = pstats.Stats(profiler)
    entries = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)  # type: ignore[attr-defined]
    total = sum(v[2] for _, v in entries) or 1.0
    lines = [f"{steps} step(s), {total * 1e3 / steps:.3f} ms of profiled time per step; top {top} by own time",
             f"{'own %':>6} {'own ms/step':>11} {'cum ms/step':>11} {'calls/step':>10}  function"]
    for (filename, line, func), (_, ncalls, tottime, cumtime, _) in entries[:top]:
        where = _short_path(filename)
        name = f"{where}:{line}({func})" if line else func
        lines.append(f"{100 * tottime / total:6.1f} {tottime * 1e3 / steps:11.3f} {cumtime * 1e3 / steps:11.3f} "
                     f"{ncalls / steps:10.1f}  {name}")
    return "\n".join(lines)


def _short_path(filename: str) -> str:
    path = Path(filename)
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except (ValueError, OSError):
        parts = path.parts
        return "/".join(parts[-2:]) if len(parts) >= 2 else filename


# ----------------------------------------------------------------------------------------------
# rendering


def heading(level: int, text: str, markdown: bool) -> str:
    """A Markdown heading of `level`, or `== text ==` in plain text."""
    return f"{'#' * level} {text}" if markdown else f"== {text} =="


def render_table(table: Table, markdown: bool) -> str:
    """A table as a Markdown pipe table or as aligned plain text, followed by its notes."""
    lines = []
    if markdown:
        lines.append("| " + " | ".join(table.columns) + " |")
        lines.append("|" + "|".join("---" for _ in table.columns) + "|")
        lines += ["| " + " | ".join(row) + " |" for row in table.rows]
        lines += [""] + [f"- {note}" for note in table.notes] if table.notes else []
    else:
        widths = [max(len(str(c)) for c in col) for col in zip(table.columns, *table.rows)]
        lines.append("  ".join(c.ljust(w) for c, w in zip(table.columns, widths)))
        lines.append("  ".join("-" * w for w in widths))
        lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in table.rows]
        lines += [f"  note: {note}" for note in table.notes]
    return "\n".join(lines)


def summary_table(rows: list[SummaryRow]) -> Table:
    met_text = {True: "met", False: "NOT MET", None: "-"}
    return Table("Summary: targets from the benchmark issue", ["workload", "target", "measured", "met"],
                 [[r.workload, r.target, r.measured, met_text[r.met]] for r in rows])
