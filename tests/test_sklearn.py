"""tinygrad_edu.sklearn: scikit-learn's estimator contract, searches, pipelines and accuracy with defaults."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_digits, make_blobs  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import check_estimator  # noqa: E402

from tinygrad_edu.sklearn import MLPClassifier, MLPRegressor  # noqa: E402

# Checks of sklearn.utils.estimator_checks that fail, with the reason (also listed in docs/experiments.md).
KNOWN_FAILURES: dict[str, str] = {}


def test_import_tinygrad_edu_does_not_import_sklearn() -> None:
    code = ("import sys, tinygrad_edu, tinygrad_edu.nn, tinygrad_edu.optim, tinygrad_edu.data, tinygrad_edu.demo; "
            "assert 'sklearn' not in sys.modules, 'sklearn was imported'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("estimator", [MLPClassifier(), MLPRegressor()], ids=lambda e: type(e).__name__)
def test_check_estimator(estimator) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(estimator, on_fail=None)
    failed = {r["check_name"]: str(r["exception"]) for r in results if r["status"] == "failed"}
    assert set(failed) <= set(KNOWN_FAILURES), failed
    assert len(results) > 40


def digits_split():
    x, y = load_digits(return_X_y=True)
    return train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)


def test_defaults_reach_95_percent_on_digits() -> None:
    x_train, x_test, y_train, y_test = digits_split()
    assert MLPClassifier(random_state=0).fit(x_train, y_train).score(x_test, y_test) >= 0.95


def test_constructor_only_stores_parameters_and_clone_copies_them() -> None:
    model = MLPClassifier(hidden_layer_sizes=(7, 5), learning_rate=0.5, epochs=3, random_state=4)
    assert model.get_params()["hidden_layer_sizes"] == (7, 5)
    assert not [name for name in vars(model) if name.endswith("_")]
    copy = clone(model.set_params(alpha=0.25))
    assert copy.get_params() == model.get_params() and copy is not model


def test_invalid_parameters_are_reported_at_fit() -> None:
    x, y = make_blobs(n_samples=30, random_state=0)
    for params in ({"activation": "swish"}, {"optimizer": "lbfgs"}, {"hidden_layer_sizes": (0,)},
                   {"epochs": 0}, {"learning_rate": -1.0}):
        model = MLPClassifier(**params)
        with pytest.raises(ValueError, match="MLPClassifier"):
            model.fit(x, y)


def test_random_state_makes_fits_reproducible() -> None:
    x, y = make_blobs(n_samples=60, centers=3, random_state=0)
    first = MLPClassifier(hidden_layer_sizes=(8,), epochs=5, random_state=3).fit(x, y)
    second = MLPClassifier(hidden_layer_sizes=(8,), epochs=5, random_state=3).fit(x, y)
    other = MLPClassifier(hidden_layer_sizes=(8,), epochs=5, random_state=4).fit(x, y)
    for a, b in zip(first.coefs_, second.coefs_):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first.coefs_[0], other.coefs_[0])


def numpy_forward(model, x: np.ndarray) -> np.ndarray:
    """The fitted network's outputs written directly in NumPy from coefs_ and intercepts_ (ReLU)."""
    h = x
    for i, (weight, bias) in enumerate(zip(model.coefs_, model.intercepts_)):
        h = h @ weight + bias
        if i < len(model.coefs_) - 1:
            h = np.maximum(h, 0)
    return h


def test_string_labels_and_predict_proba_match_a_numpy_forward_pass() -> None:
    x, y = make_blobs(n_samples=90, centers=3, random_state=1)
    labels = np.array(["cat", "dog", "eel"])[y]
    model = MLPClassifier(hidden_layer_sizes=(16,), epochs=20, random_state=0).fit(x, labels)
    np.testing.assert_array_equal(model.classes_, ["cat", "dog", "eel"])
    assert model.n_features_in_ == 2
    logits = numpy_forward(model, x)
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict_proba(x), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(model.predict(x), model.classes_[expected.argmax(axis=1)])
    assert model.score(x, labels) > 0.9
    with pytest.raises(ValueError, match="features"):
        model.predict(x[:, :1])


def test_unfitted_estimators_raise_not_fitted() -> None:
    with pytest.raises(NotFittedError):
        MLPClassifier().predict(np.zeros((2, 3)))
    with pytest.raises(NotFittedError):
        MLPRegressor().predict(np.zeros((2, 3)))


def test_regressor_learns_a_sine_and_keeps_target_shapes() -> None:
    x = np.linspace(0, 1, 200).reshape(-1, 1)
    y = np.sin(2 * np.pi * x[:, 0])
    model = MLPRegressor(hidden_layer_sizes=(64, 64), learning_rate=5e-3, epochs=150, random_state=0).fit(x, y)
    assert model.predict(x).shape == (200,)
    assert model.score(x, y) > 0.95
    np.testing.assert_allclose(model.predict(x), numpy_forward(model, x)[:, 0], rtol=1e-10, atol=1e-12)
    two = MLPRegressor(epochs=2, random_state=0).fit(x, np.c_[y, -y])
    assert two.predict(x).shape == (200, 2) and two.n_outputs_ == 2


def test_grid_search_over_a_pipeline() -> None:
    x, y = make_blobs(n_samples=120, centers=3, random_state=2)
    pipeline = make_pipeline(StandardScaler(), MLPClassifier(epochs=10, random_state=0))
    search = GridSearchCV(pipeline, {"mlpclassifier__hidden_layer_sizes": [(4,), (16,)],
                                     "mlpclassifier__learning_rate": [1e-3, 1e-2]}, cv=2)
    search.fit(x, y)
    assert set(search.best_params_) == {"mlpclassifier__hidden_layer_sizes", "mlpclassifier__learning_rate"}
    assert search.score(x, y) > 0.9


def test_randomized_search_on_digits() -> None:
    x_train, x_test, y_train, y_test = digits_split()
    search = RandomizedSearchCV(MLPClassifier(random_state=0),
                                {"hidden_layer_sizes": [(32,), (64,)], "learning_rate": [1e-3, 3e-3],
                                 "epochs": [5, 10], "batch_size": [32, 64]},
                                n_iter=3, cv=2, random_state=0)
    search.fit(x_train, y_train)
    assert search.best_estimator_.n_features_in_ == 64
    assert search.score(x_test, y_test) > 0.9
