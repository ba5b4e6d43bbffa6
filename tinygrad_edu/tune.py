"""Hyperparameter search with optuna: grid, random, Bayesian (TPE) and genetic (NSGA-II) side by side.

Each search tunes `tinygrad_edu.sklearn.MLPClassifier` (hidden units, learning rate, L2 penalty) on
the same data with the same budget of trials, and minimises the validation error. The training loop
reports every epoch's mean training loss to optuna, whose pruner stops a trial whose loss lags
behind the other trials' at the same epoch. Studies live in a SQLite file, so a killed search
resumes where it stopped and several processes can work on one study at once. Needs optuna:
`pip install "tinygrad-edu[tune]"`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np

try:
    import optuna
except ImportError as err:
    raise ImportError('tinygrad_edu.tune needs optuna: pip install "tinygrad-edu[tune]" '
                      "(or pip install optuna)") from err

from .sklearn import MLPClassifier

__all__ = ["SAMPLERS", "SPACE", "Range", "best_so_far", "finished_trials", "grid", "make_sampler",
           "mlp_objective", "run_search", "sqlite_storage"]

SAMPLERS = ("grid", "random", "tpe", "nsga2")
FINISHED = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)


@dataclass(frozen=True)
class Range:
    """One hyperparameter: drawn between `low` and `high`, on a log scale (all three here span decades)."""

    low: float
    high: float
    integer: bool = False


SPACE = {
    "hidden_units": Range(8, 128, integer=True),
    "learning_rate": Range(1e-4, 1e-1),
    "alpha": Range(1e-6, 1e-1),
}


def grid(budget: int) -> dict[str, list[float]]:
    """The grid sampler's points: `levels` log-spaced values per hyperparameter, levels^3 <= budget."""
    levels = max(2, math.floor(budget ** (1 / len(SPACE)) + 1e-9))
    points = {}
    for name, span in SPACE.items():
        values = np.geomspace(span.low, span.high, levels)
        points[name] = [int(round(v)) for v in values] if span.integer else [float(v) for v in values]
    return points


def make_sampler(name: str, budget: int, seed: int) -> optuna.samplers.BaseSampler:
    """The optuna sampler called `name` (one of SAMPLERS), sized for `budget` trials."""
    if name == "grid":
        return optuna.samplers.GridSampler(grid(budget), seed=seed)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "tpe":  # random start-up trials, then a density model of the good and the bad trials
        return optuna.samplers.TPESampler(n_startup_trials=max(2, budget // 4), seed=seed)
    if name == "nsga2":  # generations of a small population: selection, crossover and mutation
        return optuna.samplers.NSGAIISampler(population_size=max(4, budget // 4), seed=seed)
    raise ValueError(f"make_sampler: unknown sampler {name!r}; choose one of {', '.join(SAMPLERS)}")


def suggest(trial: optuna.Trial) -> dict[str, float]:
    """One point of SPACE drawn by the trial's sampler."""
    return {name: (trial.suggest_int(name, span.low, span.high, log=True) if span.integer
                   else trial.suggest_float(name, span.low, span.high, log=True))
            for name, span in SPACE.items()}


def mlp_objective(x_train: np.ndarray, y_train: np.ndarray, x_valid: np.ndarray, y_valid: np.ndarray,
                  epochs: int, seed: int = 0) -> Callable[[optuna.Trial], float]:
    """An objective that fits an MLPClassifier with the trial's hyperparameters and returns its
    validation error (1 - accuracy); each epoch's training loss goes to the pruner."""

    def objective(trial: optuna.Trial) -> float:
        params = suggest(trial)

        def report(epoch: int, loss: float) -> None:
            trial.report(loss, epoch)
            if not math.isfinite(loss) or trial.should_prune():
                raise optuna.TrialPruned(f"epoch {epoch}: training loss {loss:.4f}")

        model = MLPClassifier(hidden_layer_sizes=(params["hidden_units"],), learning_rate=params["learning_rate"],
                              alpha=params["alpha"], epochs=epochs, random_state=seed, epoch_callback=report)
        return 1.0 - model.fit(x_train, y_train).score(x_valid, y_valid)

    return objective


def sqlite_storage(path: str) -> optuna.storages.RDBStorage:
    """Study storage in the SQLite file `path`; a heartbeat marks the trials of a killed process failed
    (after a minute) so that they do not stay 'running' forever."""
    with warnings.catch_warnings():  # the heartbeat is marked experimental in optuna
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.storages.RDBStorage(f"sqlite:///{path}", heartbeat_interval=20, grace_period=60)


def finished_trials(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    """The trials that count against the budget: completed or pruned."""
    return study.get_trials(deepcopy=False, states=FINISHED)


def run_search(sampler: str, objective: Callable[[optuna.Trial], float], budget: int,
               storage: optuna.storages.BaseStorage | str | None = None, study_name: str | None = None,
               seed: int = 0, pruner: optuna.pruners.BasePruner | None = None) -> optuna.Study:
    """Run (or resume) the study `study_name` in `storage` until `budget` trials are finished.

    Resuming keeps the finished trials and runs only the missing ones; several processes may call
    this on one study at once (each stops when the shared count reaches the budget).
    """
    study = optuna.create_study(study_name=study_name or f"mlp-{sampler}", storage=storage, direction="minimize",
                                load_if_exists=True,
                                pruner=pruner or optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1))
    done = len(finished_trials(study))
    # a resumed sampler is seeded anew (seed + trials done), so that it does not repeat its first points
    study.sampler = make_sampler(sampler, budget, seed + done)
    if done < budget:
        study.optimize(objective, n_trials=budget - done,
                       callbacks=[optuna.study.MaxTrialsCallback(budget, states=FINISHED)])
    return study


def best_so_far(study: optuna.Study) -> list[float]:
    """Best validation accuracy after each finished trial (in trial order; a pruned trial keeps the best)."""
    best, curve = 0.0, []
    for trial in sorted(finished_trials(study), key=lambda t: t.number):
        if trial.state == optuna.trial.TrialState.COMPLETE:
            best = max(best, 1.0 - trial.value)
        curve.append(best)
    return curve
