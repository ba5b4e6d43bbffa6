"""tinygrad_edu.tune: the four optuna samplers, pruning from epoch losses, and a killed search that resumes."""

from __future__ import annotations

import contextlib
import math
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

optuna = pytest.importorskip("optuna")
pytest.importorskip("sklearn")

from sklearn.datasets import load_digits  # noqa: E402

from tinygrad_edu import tune  # noqa: E402

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
FINISHED = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, ...]:
    """A small slice of scikit-learn's digits: 240 training and 120 validation images, pixels in [0, 1]."""
    data = load_digits()
    x, y = data.data / 16.0, data.target
    return x[:240], y[:240], x[240:360], y[240:360]


def test_grid_spans_the_space_with_levels_cubed_within_the_budget() -> None:
    points = tune.grid(27)
    assert [len(values) for values in points.values()] == [3, 3, 3]
    assert points["learning_rate"] == pytest.approx([1e-4, math.sqrt(1e-4 * 1e-1), 1e-1])
    assert points["hidden_units"] == [8, 32, 128]  # geometric: 8 * 4 * 4
    assert all(len(values) == 2 for values in tune.grid(8).values())
    assert all(len(values) == 2 for values in tune.grid(26).values())  # 3^3 would exceed 26


@pytest.mark.parametrize("sampler", tune.SAMPLERS)
def test_each_sampler_runs_a_tiny_budget(sampler: str, digits: tuple, tmp_path: Path) -> None:
    objective = tune.mlp_objective(*digits, epochs=2, seed=0)
    study = tune.run_search(sampler, objective, budget=4, storage=tune.sqlite_storage(str(tmp_path / "s.db")),
                            seed=0, pruner=optuna.pruners.NopPruner())
    trials = tune.finished_trials(study)
    assert len(trials) == 4 and all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    for trial in trials:
        for name, span in tune.SPACE.items():
            assert span.low <= trial.params[name] <= span.high
        assert 0.0 <= trial.value <= 1.0  # an error rate
    if sampler == "grid":  # a 2 x 2 x 2 grid for 4 trials: every value drawn is a grid point
        for trial in trials:
            assert all(trial.params[name] in values for name, values in tune.grid(4).items())
    curve = tune.best_so_far(study)
    assert len(curve) == 4 and curve == sorted(curve)
    assert curve[-1] == pytest.approx(1.0 - study.best_value)


def test_pruning_stops_a_trial_whose_loss_lags(digits: tuple) -> None:
    objective = tune.mlp_objective(*digits, epochs=6, seed=0)
    study = optuna.create_study(direction="minimize",
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1))
    good = {"hidden_units": 32, "learning_rate": 1e-2, "alpha": 1e-4}
    # lr 1e-4 for 6 epochs of 8 steps moves each weight by at most about 5e-3 (Adam's step is bounded by
    # lr): the loss stays near its start ln(10) while the good trials' loss falls far below it
    slow = {"hidden_units": 8, "learning_rate": 1e-4, "alpha": 1e-4}
    for params in (good, good, slow):
        study.enqueue_trial(params)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study.optimize(objective, n_trials=3)
    first, second, third = study.trials
    assert first.state == second.state == optuna.trial.TrialState.COMPLETE
    assert len(first.intermediate_values) == 6
    assert first.intermediate_values[5] < math.log(10) / 2
    assert third.state == optuna.trial.TrialState.PRUNED
    assert len(third.intermediate_values) < 6
    assert min(third.intermediate_values.values()) > math.log(10) * 0.9


def finished_counts(storage_path: Path) -> dict[str, int]:
    """Finished (completed or pruned) trials per study, read straight from optuna's tables in the
    SQLite file (read-only, so that polling never takes a lock the running search needs)."""
    if not storage_path.exists():
        return {}
    try:
        with contextlib.closing(sqlite3.connect(f"file:{storage_path}?mode=ro", uri=True, timeout=1)) as db:
            rows = db.execute("SELECT studies.study_name, COUNT(*) FROM trials JOIN studies "
                              "ON trials.study_id = studies.study_id WHERE trials.state IN ('COMPLETE', 'PRUNED') "
                              "GROUP BY studies.study_name").fetchall()
    except sqlite3.OperationalError:  # the tables are not created yet, or a write is in progress
        return {}
    return dict(rows)


def search_command(tmp_path: Path, storage_path: Path) -> list[str]:
    return [sys.executable, str(EXAMPLES / "hyperparameter_search.py"), "--quick", "--search", "optuna",
            "--dataset", "digits", "--trials", "4", "--storage", str(storage_path), "--out", str(tmp_path / "out")]


def test_a_killed_search_resumes_from_its_sqlite_file(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    storage_path = tmp_path / "studies.sqlite3"
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    log = tmp_path / "killed_search.log"
    with log.open("w") as output:
        process = subprocess.Popen(search_command(tmp_path, storage_path), cwd=tmp_path, env=env,
                                   stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 240
    try:
        while sum(finished_counts(storage_path).values()) < 2:
            assert process.poll() is None, f"the search ended before it could be killed:\n{log.read_text()}"
            assert time.monotonic() < deadline, "the search did not finish 2 trials in time"
            time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGKILL)  # as a crash or a power cut would: no clean-up runs
        process.wait()
    storage = optuna.storages.RDBStorage(f"sqlite:///{storage_path}")
    before = {summary.study_name: [(t.number, t.params, t.value, t.state)
                                   for t in optuna.load_study(study_name=summary.study_name, storage=storage).trials
                                   if t.state in FINISHED]
              for summary in optuna.get_all_study_summaries(storage)}
    assert 2 <= sum(len(trials) for trials in before.values()) < 4 * 4  # killed mid-run

    result = subprocess.run(search_command(tmp_path, storage_path), cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    counts = finished_counts(storage_path)
    assert sorted(counts) == sorted(f"digits-{sampler}" for sampler in tune.SAMPLERS)
    assert all(count == 4 for count in counts.values()), counts
    for name, trials in before.items():
        after = {t.number: (t.number, t.params, t.value, t.state)
                 for t in optuna.load_study(study_name=name, storage=storage).trials}
        for trial in trials:  # every trial finished before the kill is kept unchanged
            assert after[trial[0]] == trial


WORKER = """
import os, sys, time
import optuna
from sklearn.datasets import load_digits
from tinygrad_edu import tune

optuna.logging.set_verbosity(optuna.logging.WARNING)
data = load_digits()
x, y = data.data / 16.0, data.target
objective = tune.mlp_objective(x[:200], y[:200], x[200:300], y[200:300], epochs=2, seed=0)

def labelled(trial):
    trial.set_user_attr("worker", os.getpid())
    return objective(trial)

# start together (imports take a while): each worker says it is ready and waits for the other
ready = [f"{sys.argv[1]}.ready{seed}" for seed in (1, 2)]
open(ready[int(sys.argv[2]) - 1], "w").close()
while not all(os.path.exists(path) for path in ready):
    time.sleep(0.05)
tune.run_search("random", labelled, budget=6, storage=tune.sqlite_storage(sys.argv[1]), study_name="shared",
                seed=int(sys.argv[2]))
"""


def test_two_processes_share_one_study(tmp_path: Path) -> None:
    storage_path = tmp_path / "shared.sqlite3"
    tune.run_search("random", lambda trial: 0.5, budget=0, storage=tune.sqlite_storage(str(storage_path)),
                    study_name="shared")  # create the tables once, before the two workers race for them
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, str(storage_path), str(seed)], env=env,
                                stderr=subprocess.PIPE, text=True) for seed in (1, 2)]
    for worker in workers:
        _, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
    study = optuna.load_study(study_name="shared", storage=tune.sqlite_storage(str(storage_path)))
    finished = tune.finished_trials(study)
    # each worker stops once the shared count reaches 6; a trial the other was running then still ends
    assert 6 <= len(finished) <= 7
    assert len({trial.user_attrs["worker"] for trial in finished}) == 2  # both did part of the work
