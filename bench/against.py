"""`python -m bench --against REV_OR_PATH`: time the engine of two checkouts side by side.

Both engines are the package `tinygrad_edu`, so they cannot share a process. Each tree is copied
into a temporary folder (a git revision through `git archive`, a checkout by copying its engine
folders), and per workload fresh worker processes (bench/tree_worker.py) alternate between the
trees, ABAB..., the tree that goes first alternating every round. Each worker times a fixed number
of steps of the workload's NumPy and tinygrad_edu engines interleaved. The bench code (workloads,
NumPy baselines) comes from this checkout for both trees, so only the engine differs.
"""

from __future__ import annotations

import io
import json
import os
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .harness import (ENGINE, NUMPY, REPO_ROOT, THREAD_VARIABLES, CheckError, Options, Table, heading, log,
                      machine_environment, render_table, timed_columns, timed_row)
from .workloads import WORKLOADS, chosen_rounds

try:
    import tomllib
except ImportError:  # Python 3.10: assume the present layout (see DEFAULT_PACKAGE_DIRS)
    tomllib = None

OLD, NEW = "old", "new"
ENGINES = (NUMPY, ENGINE)
DEFAULT_PACKAGE_DIRS = {"tinygrad_edu.nn": "nn", "tinygrad_edu.optim": "optim"}


@dataclass(frozen=True)
class Plan:
    """Steps that one worker run times, and rounds (one run per tree each) in full and quick mode."""

    steps: int
    rounds: int
    quick_rounds: int


PLANS = {
    "mlp": Plan(steps=50, rounds=40, quick_rounds=3),
    "mlp_big": Plan(steps=3, rounds=12, quick_rounds=2),
    "cnn": Plan(steps=10, rounds=20, quick_rounds=2),
    "overhead": Plan(steps=40, rounds=30, quick_rounds=3),
    "deep": Plan(steps=2, rounds=8, quick_rounds=2),
    "gradcheck": Plan(steps=10, rounds=15, quick_rounds=2),
}


class TreeError(RuntimeError):
    """A tree named on the command line cannot be prepared (unknown revision, not a checkout...)."""


class WorkerError(RuntimeError):
    """A worker process failed: its engine crashed, disagreed with NumPy or was not its tree's."""


@dataclass(frozen=True)
class Tree:
    """One engine checkout prepared for the workers: `root`/tinygrad_edu, with nn/ and optim/ inside."""

    label: str
    spec: str
    description: str
    root: Path


@dataclass
class Comparison:
    """One workload's old-vs-new result: its table, each tree's median per engine (in the table's
    unit), quartiles of the per-round new/old ratios per engine, and what the workers reported."""

    name: str
    unit: str
    table: Table
    medians: dict[str, dict[str, float]] = field(default_factory=dict)
    round_ratios: dict[str, np.ndarray] = field(default_factory=dict)
    workers: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str | None = None

    def ratio(self, engine: str) -> float:
        """new/old of the engine's pooled medians."""
        return self.medians[NEW][engine] / self.medians[OLD][engine]

    def ratio_to_numpy(self, tree: str) -> float:
        return self.medians[tree][ENGINE] / self.medians[tree][NUMPY]


# ----------------------------------------------------------------------------------------------
# trees


def package_dirs(pyproject: str | None) -> dict[str, str]:
    """Subpackages of tinygrad_edu kept in other folders, from [tool.setuptools.package-dir] of
    pyproject.toml (e.g. "tinygrad_edu.nn" -> "nn"); the present layout when it cannot be read."""
    if pyproject is None or tomllib is None:
        return dict(DEFAULT_PACKAGE_DIRS)
    mapping = tomllib.loads(pyproject).get("tool", {}).get("setuptools", {}).get("package-dir", {})
    return {package: folder for package, folder in mapping.items() if package.startswith(ENGINE + ".")}


def link_subpackages(root: Path, mapping: dict[str, str]) -> None:
    """Symlink each mapped subpackage where the installed package has it (root/tinygrad_edu/nn -> ../nn)."""
    for package, folder in mapping.items():
        link, target = root.joinpath(*package.split(".")), root / folder
        if link == target:
            continue
        if link.exists():
            raise TreeError(f"{link} exists, but pyproject.toml maps {package} to {folder}/")
        link.symlink_to(os.path.relpath(target, link.parent), target_is_directory=True)


def _git(*args: str, cwd: Path = REPO_ROOT) -> str:
    """stdout of `git args` in `cwd`; TreeError with git's message when it fails."""
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise TreeError(f"git {' '.join(args)}: {proc.stderr.strip()}")
    return proc.stdout


def _export_revision(rev: str, root: Path) -> str:
    """Extract the engine folders of git revision `rev` of this repository into `root`; its description."""
    try:
        commit = _git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").strip()
    except TreeError:
        raise TreeError(f"bench --against: {rev!r} is neither a folder nor a git revision of {REPO_ROOT}") from None
    try:
        pyproject: str | None = _git("show", f"{commit}:pyproject.toml")
    except TreeError:
        pyproject = None
    mapping = package_dirs(pyproject)
    archive = subprocess.run(["git", "archive", "--format=tar", commit, "--", ENGINE, *mapping.values()],
                             cwd=REPO_ROOT, capture_output=True)
    if archive.returncode != 0:
        raise TreeError(f"git archive {rev}: {archive.stderr.decode().strip()}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tar.extractall(root, **safe)
    link_subpackages(root, mapping)
    return f"git revision {rev} = {_git('log', '-1', '--format=%h %s', commit).strip()}"


def _copy_checkout(path: Path, root: Path) -> str:
    """Copy the engine folders of the checkout at `path` into `root`; its description."""
    pyproject = path / "pyproject.toml"
    mapping = package_dirs(pyproject.read_text() if pyproject.is_file() else None)
    folders = [ENGINE, *mapping.values()]
    for folder in folders:
        shutil.copytree(path / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    link_subpackages(root, mapping)
    try:
        head = _git("log", "-1", "--format=%h %s", cwd=path).strip()
        changed = _git("status", "--porcelain", "--", *folders, cwd=path).strip()
    except TreeError:
        return f"the folder {path.name} (not a git checkout)"
    where = "this checkout's working tree" if path.resolve() == REPO_ROOT.resolve() else f"the checkout {path.name}"
    return f"{where} at {head}" + (", with uncommitted engine changes" if changed else "")


def prepare_tree(label: str, spec: str, workdir: Path) -> Tree:
    """Copy the tree `spec` (an existing folder: a checkout; otherwise a git revision of this
    repository) into workdir/label, laid out as the installed package is."""
    root = workdir / label
    root.mkdir()
    path = Path(spec).expanduser()
    if path.is_dir():
        if not (path / ENGINE / "__init__.py").is_file():
            raise TreeError(f"{path} is not a checkout of tinygrad_edu (no {ENGINE}/__init__.py)")
        description = _copy_checkout(path.resolve(), root)
    else:
        description = _export_revision(spec, root)
    return Tree(label, spec, description, root.resolve())


# ----------------------------------------------------------------------------------------------
# workers


def worker_environment(tree: Tree) -> dict[str, str]:
    """This environment with the tree first on the import path (then this checkout, for `bench`)
    and one BLAS thread."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tree.root), str(REPO_ROOT)])
    env.update({variable: "1" for variable in THREAD_VARIABLES})
    return env


def run_worker(tree: Tree, name: str, steps: int, quick: bool) -> dict[str, Any]:
    """One worker process timing `steps` steps of workload `name` with `tree`'s engine (its JSON)."""
    command = [sys.executable, "-m", "bench.tree_worker", str(tree.root), name, str(steps)]
    proc = subprocess.run(command + (["--quick"] if quick else []), cwd=tree.root, env=worker_environment(tree),
                          capture_output=True, text=True)
    if proc.returncode != 0:
        log(proc.stderr.rstrip())
        last_line = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        raise WorkerError(f"the {tree.label} tree's worker failed: {last_line}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_rounds(trees: Sequence[Tree], name: str, steps: int, rounds: int, quick: bool) -> dict[str, list[dict]]:
    """`rounds` rounds of one worker run per tree, the tree that goes first alternating every round."""
    runs: dict[str, list[dict]] = {tree.label: [] for tree in trees}
    order = list(trees)
    for _ in range(rounds):
        for tree in order:
            runs[tree.label].append(run_worker(tree, name, steps, quick))
        order.reverse()
    return runs


def check_trees(runs: dict[str, list[dict]], rtol: float) -> None:
    """Raise CheckError unless every run of both trees gives the check values of the old tree's
    first NumPy run (each worker already compared its engine with its NumPy)."""
    reference = runs[OLD][0]["checks"][NUMPY]
    for label, tree_runs in runs.items():
        for run in tree_runs:
            for engine, values in run["checks"].items():
                if not np.allclose(values, reference, rtol=rtol, atol=0.0):
                    raise CheckError(f"the {label} tree's {engine} gives check values {values} but the old tree's "
                                     f"{NUMPY} gives {reference} (rtol={rtol}): the trees compute different things")


# ----------------------------------------------------------------------------------------------
# statistics and tables


def _pooled(runs: list[dict], engine: str) -> np.ndarray:
    """Seconds per step of `engine` over all of a tree's runs."""
    return np.concatenate([run["times"][engine] for run in runs])


def _gc_share(runs: list[dict], engine: str) -> float:
    return sum(run["gc_seconds"][engine] for run in runs) / float(_pooled(runs, engine).sum())


def _round_ratios(runs: dict[str, list[dict]], engine: str) -> np.ndarray:
    """new/old of the engine's median step time in each round (the two runs of a round are adjacent)."""
    return np.array([np.median(new["times"][engine]) / np.median(old["times"][engine])
                     for old, new in zip(runs[OLD], runs[NEW])])


def _quartiles(values: np.ndarray) -> str:
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    return f"{median:.3f} (IQR {q1:.3f} - {q3:.3f})"


def _table(name: str, rows: list[list[str]]) -> Table:
    """Workload `name`'s old-vs-new table: a tree column, then the columns of `python -m bench`."""
    timing = WORKLOADS[name].timing
    return Table(f"{timing.title}: old vs new", ["tree"] + timed_columns(timing.unit, timing.check_label), rows)


def comparison(name: str, runs: dict[str, list[dict]], steps: int) -> Comparison:
    """The table of both trees' NumPy and tinygrad_edu rows, with the new/old ratios in its notes."""
    timing = WORKLOADS[name].timing
    rows, medians = [], {}
    for label, tree_runs in runs.items():
        scaled = {engine: _pooled(tree_runs, engine) * timing.scale for engine in ENGINES}
        medians[label] = {engine: float(np.median(t)) for engine, t in scaled.items()}
        for engine in ENGINES:
            rows.append([label] + timed_row(engine, scaled[engine], medians[label][NUMPY],
                                            _gc_share(tree_runs, engine), tree_runs[0]["checks"][engine]))
    table = _table(name, rows)
    workers = {label: tree_runs[0] for label, tree_runs in runs.items()}
    result = Comparison(name, timing.unit, table, medians, {e: _round_ratios(runs, e) for e in ENGINES}, workers)
    rounds = len(runs[OLD])
    table.notes = runs[OLD][0]["notes"] + [
        f"{rounds} round(s) of one worker process per tree timing {steps} step(s) of each engine, interleaved; "
        f"{2 * rounds} processes, the tree going first alternating every round",
        f"new/old of {ENGINE}: {result.ratio(ENGINE):.3f}; per round {_quartiles(result.round_ratios[ENGINE])}",
        f"new/old of {NUMPY} (the same code in both trees: the noise floor): {result.ratio(NUMPY):.3f}; "
        f"per round {_quartiles(result.round_ratios[NUMPY])}",
    ]
    return result


def compare(name: str, trees: Sequence[Tree], options: Options) -> Comparison:
    """Run workload `name` on both trees and compare them; an aborted comparison carries `error`."""
    timing, plan = WORKLOADS[name].timing, PLANS[name]
    rounds = chosen_rounds(options, plan.rounds, plan.quick_rounds)
    log(f"[{name}] {rounds} round(s) x {len(trees)} trees, {plan.steps} step(s) per worker run")
    start = time.perf_counter()
    try:
        runs = run_rounds(trees, name, plan.steps, rounds, options.quick)
        check_trees(runs, timing.rtol)
    except (WorkerError, CheckError) as err:
        log(f"  ABORTED: {err}")
        return Comparison(name, timing.unit, _table(name, []), error=str(err))
    log(f"  {time.perf_counter() - start:.1f} s")
    return comparison(name, runs, plan.steps)


def summary_table(comparisons: Sequence[Comparison]) -> Table:
    """One row per workload: both trees' medians of tinygrad_edu, new/old, and the NumPy control."""
    columns = ["workload", "old", "new", "new/old", "new/old per round", "old / NumPy", "new / NumPy",
               "NumPy new/old (same code)"]
    rows = []
    for c in comparisons:
        if c.error:
            rows.append([c.name, "aborted"] + ["-"] * (len(columns) - 2))
            continue
        rows.append([c.name, f"{c.medians[OLD][ENGINE]:.4g} {c.unit}", f"{c.medians[NEW][ENGINE]:.4g} {c.unit}",
                     f"{c.ratio(ENGINE):.3f}", _quartiles(c.round_ratios[ENGINE]), f"{c.ratio_to_numpy(OLD):.2f}x",
                     f"{c.ratio_to_numpy(NEW):.2f}x", f"{c.ratio(NUMPY):.3f}"])
    notes = [f"old and new: median time of a {ENGINE} step over all runs of the tree; new/old < 1 means the new "
             "tree is faster; per round: the ratio of the two adjacent runs of each round",
             "the NumPy column runs the same code in both trees: how far it lies from 1.000 is this run's noise; when "
             "it is far off (load that comes and goes), trust the per-round column, whose pairs saw the same load"]
    return Table("Summary: new tree / old tree", columns, rows, notes)


# ----------------------------------------------------------------------------------------------
# report


def environment(trees: Sequence[Tree], comparisons: Sequence[Comparison]) -> list[tuple[str, str]]:
    """The machine, plus what the workers reported: their BLAS and where each tree's engine came from."""
    items = machine_environment()
    reported = next((c.workers for c in comparisons if c.workers), {})
    if reported:
        items.append(("workers' BLAS", "; ".join(reported[OLD]["blas"])))
    for tree in trees:
        items.append((f"{tree.label} tree", tree.description))
        if tree.label in reported:
            worker = reported[tree.label]
            items.append((f"{tree.label} engine", f"tinygrad_edu {worker['engine_version']} imported from the "
                                                   f"{tree.label} tree's copy (every engine module checked)"))
    return items


def render(comparisons: Sequence[Comparison], trees: Sequence[Tree], command: str, options: Options,
           markdown: bool, note: str | None = None) -> str:
    """The report: a section meant for bench/RESULTS.md under the heading "Old tree vs new tree"."""
    out = [heading(2, "Old tree vs new tree", markdown), ""]
    if note:
        out += [note, ""]
    out += [f"Generated by `{command}`" + (" (quick mode: a quick look, not a result)" if options.quick else "")
            + ". Each tree's engine ran in its own fresh worker processes, alternating between the trees, one BLAS "
            "thread; workloads and NumPy baselines come from the checkout that ran the command. Workers load no "
            "PyTorch, so the garbage collector has fewer objects to walk than in `python -m bench`.", ""]
    out += [f"- {tree.label}: {tree.description}" for tree in trees] + [""]
    out += [heading(3, "Summary", markdown), "", render_table(summary_table(comparisons), markdown), ""]
    for c in comparisons:
        out += [heading(3, c.table.title, markdown), ""]
        if c.error:
            out += [f"ABORTED: {c.error}", ""]
        if c.table.rows:
            out += [render_table(c.table, markdown), ""]
    out += [heading(3, "Machine", markdown), ""] + [f"- {k}: {v}" for k, v in environment(trees, comparisons)]
    return "\n".join(out) + "\n"


def timed_names(names: Sequence[str]) -> list[str]:
    """`names` checked against the workloads that can be compared (ValueError otherwise)."""
    unknown = [n for n in names if n not in PLANS]
    if unknown:
        raise ValueError(f"bench --against: cannot compare workload(s) {unknown}; choose from {', '.join(PLANS)}")
    return list(names)


def main(old: str, new: str, names: Sequence[str], options: Options, markdown: bool, note: str | None,
         argv: Sequence[str]) -> int:
    """Compare the trees `old` and `new` on `names` and print the report; 1 when a workload aborted,
    2 when a workload or a tree is unusable."""
    try:
        names = timed_names(names)
        with tempfile.TemporaryDirectory(prefix="bench_against_") as workdir:
            trees = [prepare_tree(OLD, old, Path(workdir)), prepare_tree(NEW, new, Path(workdir))]
            for tree in trees:
                log(f"{tree.label}: {tree.description}")
            start = time.perf_counter()
            comparisons = [compare(name, trees, options) for name in names]
            log(f"all workloads: {time.perf_counter() - start:.1f} s")
    except (ValueError, TreeError) as err:
        print(err, file=sys.stderr)
        return 2
    print(render(comparisons, trees, "python -m bench " + shlex.join(argv), options, markdown, note), end="")
    return 1 if any(c.error for c in comparisons) else 0
