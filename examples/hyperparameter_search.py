"""Hyperparameter search on `tinygrad_edu.sklearn.MLPClassifier`: RandomizedSearchCV, grid, random, TPE, NSGA-II.

First the classic tutorial's search with scikit-learn's RandomizedSearchCV: hidden size, learning
rate, epochs and batch size drawn at random (10 candidates, 5-fold cross-validation), the best
candidate refitted on the whole training set and scored on the test set (the tutorial reports
97.55% on MNIST with {'batch_size': 46, 'epochs': 39, 'hidden_size': 73, 'learning_rate': 0.1}).
Then four optuna samplers (`tinygrad_edu.tune`) tune hidden units, learning rate and L2 penalty on
one validation split with the same budget of trials: a grid, random draws, Bayesian optimisation
(TPE) and a genetic algorithm (NSGA-II); the pruner stops trials whose epoch losses lag behind.
The studies are kept in a SQLite file: run the command again after an interruption and it resumes.
Here on MNIST when available, else on scikit-learn's digits.
"""

from __future__ import annotations

from pathlib import Path

from _common import add_dataset_argument, load_images, parse_args, pyplot, require, save_figure


def add_arguments(parser) -> None:
    add_dataset_argument(parser)
    parser.add_argument("--candidates", type=int, default=10, help="random candidates to try (default 10)")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    parser.add_argument("--search", choices=("randomized", "optuna", "both"), default="both",
                        help="RandomizedSearchCV, the four optuna samplers, or both (default)")
    parser.add_argument("--trials", type=int, default=None,
                        help="optuna trials per sampler (default 27, 6 with --quick)")
    parser.add_argument("--storage", type=Path, default=None,
                        help="SQLite file of the optuna studies, resumed when it exists (default OUT/studies.sqlite3)")


def candidate_label(params: dict) -> str:
    """A short bar label: hidden units, learning rate, epochs and batch size of one candidate."""
    hidden = "-".join(str(units) for units in params["hidden_layer_sizes"])
    return (f"hidden {hidden}, lr {params['learning_rate']:g}, "
            f"{params['epochs']} epochs, batch {params['batch_size']}")


def randomized_search(args, plt, data: tuple, name: str) -> None:
    """The tutorial's RandomizedSearchCV, its bar chart and its summary."""
    model_selection = require("sklearn.model_selection", "for RandomizedSearchCV")
    stats = require("scipy.stats", "for the random distributions (it comes with scikit-learn)")
    from tinygrad_edu.sklearn import MLPClassifier

    x_train, y_train, x_test, y_test = data
    if args.quick:
        candidates, folds = min(args.candidates, 3), min(args.folds, 2)
        distributions = {"hidden_layer_sizes": [(32,), (64,)], "learning_rate": [1e-3, 3e-3],
                         "epochs": stats.randint(5, 10), "batch_size": stats.randint(32, 64)}
    else:
        candidates, folds = args.candidates, args.folds
        distributions = {"hidden_layer_sizes": [(h,) for h in range(32, 257, 16)],
                         "learning_rate": [1e-4, 1e-3, 1e-2], "epochs": stats.randint(10, 50),
                         "batch_size": stats.randint(32, 128)}
    search = model_selection.RandomizedSearchCV(
        MLPClassifier(random_state=args.seed), distributions, n_iter=candidates, cv=folds, scoring="accuracy",
        random_state=args.seed, verbose=1)
    search.fit(x_train, y_train)
    test_accuracy = search.score(x_test, y_test)

    results = search.cv_results_
    order = results["mean_test_score"].argsort()
    fig, ax = plt.subplots(figsize=(9, 0.5 * candidates + 1.8))
    labels = [candidate_label(results["params"][i]) for i in order]
    ax.barh(range(candidates), results["mean_test_score"][order], xerr=results["std_test_score"][order])
    ax.set_yticks(range(candidates), labels, fontsize=10)
    ax.set(xlabel=f"{folds}-fold cross-validated accuracy", xlim=(0, 1), title=f"RandomizedSearchCV on {name}")
    fig.tight_layout()
    save_figure(fig, args.out, "hyperparameter_search.png")

    print(f"candidates: {candidates}, folds: {folds}")
    print(f"best parameters: {search.best_params_}")
    print(f"best cross-validated accuracy: {search.best_score_:.4f}")
    print(f"test accuracy: {test_accuracy:.4f}")


def optuna_search(args, plt, data: tuple, name: str) -> None:
    """The four optuna samplers on one validation split and budget, resumable from a SQLite file."""
    optuna = require("optuna", "for grid, random, TPE and NSGA-II search")
    model_selection = require("sklearn.model_selection", "for the validation split")
    from tinygrad_edu import tune
    from tinygrad_edu.sklearn import MLPClassifier

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    x_train, y_train, x_test, y_test = data
    x_fit, x_valid, y_fit, y_valid = model_selection.train_test_split(
        x_train, y_train, test_size=0.25, random_state=args.seed, stratify=y_train)
    budget = args.trials or (6 if args.quick else 27)
    epochs = 3 if args.quick else 20
    storage_path = args.storage or args.out / "studies.sqlite3"
    storage_path.parent.mkdir(parents=True, exist_ok=True)
    storage = tune.sqlite_storage(str(storage_path))
    objective = tune.mlp_objective(x_fit, y_fit, x_valid, y_valid, epochs=epochs, seed=args.seed)
    print(f"optuna: {budget} trials per sampler, {epochs} epochs each, {len(x_fit)} training and "
          f"{len(x_valid)} validation samples; studies in {storage_path}")

    studies = {}
    for index, sampler in enumerate(tune.SAMPLERS):  # seeds differ, else all but the grid start alike
        study = tune.run_search(sampler, objective, budget, storage=storage, study_name=f"{name}-{sampler}",
                                seed=args.seed + index)
        studies[sampler] = study
        pruned = sum(t.state == optuna.trial.TrialState.PRUNED for t in tune.finished_trials(study))
        print(f"{sampler}: best validation accuracy {1 - study.best_value:.4f} after "
              f"{len(tune.finished_trials(study))} trials ({pruned} pruned), best {study.best_params}")

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for sampler, study in studies.items():
        curve = tune.best_so_far(study)
        ax.plot(range(1, len(curve) + 1), curve, marker=".", drawstyle="steps-post", label=sampler)
    ax.set(xlabel="trial", ylabel="best validation accuracy so far",
           title=f"{budget} trials per sampler on {name} (MLPClassifier, {epochs} epochs)")
    ax.legend(title="sampler")
    fig.tight_layout()
    save_figure(fig, args.out, "hyperparameter_samplers.png")

    winner = min(studies, key=lambda sampler: studies[sampler].best_value)
    best = studies[winner].best_params
    model = MLPClassifier(hidden_layer_sizes=(best["hidden_units"],), learning_rate=best["learning_rate"],
                          alpha=best["alpha"], epochs=epochs, random_state=args.seed).fit(x_train, y_train)
    print(f"best sampler: {winner}; refitted on all training data: test accuracy {model.score(x_test, y_test):.4f}")


def main() -> None:
    args = parse_args("hyperparameter_search", __doc__.splitlines()[0], add_arguments)
    plt = pyplot()
    x_train, y_train, x_test, y_test, name = load_images(args.dataset, args.quick)
    data = (x_train.reshape(len(x_train), -1), y_train, x_test.reshape(len(x_test), -1), y_test)
    print(f"data: {name}, {len(x_train)} training and {len(x_test)} test samples")
    if args.search in ("randomized", "both"):
        randomized_search(args, plt, data, name)
    if args.search in ("optuna", "both"):
        optuna_search(args, plt, data, name)


if __name__ == "__main__":
    main()
