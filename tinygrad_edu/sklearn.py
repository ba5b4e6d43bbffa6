"""scikit-learn compatible estimators built on this engine: `MLPClassifier` and `MLPRegressor`.

They follow scikit-learn's estimator rules (the constructor only stores parameters, `fit` validates
and learns, fitted attributes end in `_`), so `clone`, pipelines, `GridSearchCV` and
`RandomizedSearchCV` work with them. This module needs scikit-learn; `import tinygrad_edu` does not.

    from tinygrad_edu.sklearn import MLPClassifier
    MLPClassifier(hidden_layer_sizes=(64,), epochs=30, random_state=0).fit(X, y).score(X_test, y_test)
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.utils import check_random_state
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import check_is_fitted, validate_data
except ImportError as err:
    raise ImportError('tinygrad_edu.sklearn needs scikit-learn >= 1.6: pip install "tinygrad-edu[examples]" '
                      "(or pip install scikit-learn)") from err

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.data import DataLoader, TensorDataset

__all__ = ["MLPClassifier", "MLPRegressor"]

_ACTIVATIONS = {"relu": "relu", "tanh": "tanh", "logistic": "sigmoid", "identity": None}
_OPTIMIZERS = ("adam", "sgd")


class _BaseMLP(BaseEstimator):
    """What both estimators share: parameters, validation, the training loop and the forward pass."""

    def __init__(self, hidden_layer_sizes: Sequence[int] = (100,), activation: str = "relu",
                 optimizer: str = "adam", learning_rate: float = 1e-3, alpha: float = 1e-4, batch_size: int = 32,
                 epochs: int = 50, random_state: Any = None, verbose: bool = False,
                 epoch_callback: Callable[[int, float], None] | None = None) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.alpha = alpha
        self.batch_size = batch_size
        self.epochs = epochs
        self.random_state = random_state
        self.verbose = verbose
        self.epoch_callback = epoch_callback

    def _check_parameters(self) -> tuple[int, ...]:
        """Validate the hyperparameters (at fit time, as scikit-learn asks); returns the hidden sizes."""
        name = type(self).__name__
        sizes = (self.hidden_layer_sizes,) if np.isscalar(self.hidden_layer_sizes) else self.hidden_layer_sizes
        sizes = tuple(sizes)
        if any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1 for s in sizes):
            raise ValueError(f"{name}: hidden_layer_sizes must be positive ints, got {self.hidden_layer_sizes!r}")
        if self.activation not in _ACTIVATIONS:
            raise ValueError(f"{name}: activation must be one of {sorted(_ACTIVATIONS)}, got {self.activation!r}")
        if self.optimizer not in _OPTIMIZERS:
            raise ValueError(f"{name}: optimizer must be one of {list(_OPTIMIZERS)}, got {self.optimizer!r}")
        for key in ("batch_size", "epochs"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name}: {key} must be a positive int, got {value!r}")
        if not self.learning_rate > 0:
            raise ValueError(f"{name}: learning_rate must be > 0, got {self.learning_rate!r}")
        if not self.alpha >= 0:
            raise ValueError(f"{name}: alpha (the L2 penalty) must be >= 0, got {self.alpha!r}")
        return tuple(int(s) for s in sizes)

    def _build(self, inputs: int, outputs: int, hidden: tuple[int, ...]) -> nn.Sequential:
        """Linear layers of widths inputs -> hidden... -> outputs with the activation between them."""
        layers: list[nn.Module] = []
        widths = (inputs,) + hidden
        activation = {"relu": nn.ReLU, "tanh": nn.Tanh, "logistic": nn.Sigmoid, "identity": nn.Identity}
        for width_in, width_out in zip(widths, widths[1:]):
            layers += [nn.Linear(width_in, width_out), activation[self.activation]()]
        layers.append(nn.Linear(widths[-1], outputs))
        return nn.Sequential(*layers)

    def _train(self, x: np.ndarray, target: np.ndarray, outputs: int) -> None:
        """Seed the library generator from random_state, train, and keep the weights as NumPy arrays."""
        hidden = self._check_parameters()
        tg.manual_seed(int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max)))
        model = self._build(x.shape[1], outputs, hidden)
        weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
        biases = [p for name, p in model.named_parameters() if name.endswith("bias")]
        groups = [{"params": weights, "weight_decay": self.alpha}, {"params": biases}]
        optimizer = (optim.Adam(groups, lr=self.learning_rate) if self.optimizer == "adam"
                     else optim.SGD(groups, lr=self.learning_rate, momentum=0.9))
        data = TensorDataset(tg.tensor(x.astype(tg.get_default_dtype())), tg.tensor(target))
        loader = DataLoader(data, batch_size=self.batch_size, shuffle=True)
        self.loss_curve_ = []
        for epoch in range(self.epochs):
            total = 0.0
            for xb, yb in loader:
                loss = self._loss(model(xb), yb)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item() * len(yb)
            self.loss_curve_.append(total / len(x))
            if self.verbose:
                print(f"epoch {epoch + 1}/{self.epochs}: loss {self.loss_curve_[-1]:.6f}")
            if self.epoch_callback is not None:
                self.epoch_callback(epoch, self.loss_curve_[-1])
        linears = [layer for layer in model if isinstance(layer, nn.Linear)]
        self.coefs_ = [layer.weight.numpy().T.astype(np.float64) for layer in linears]
        self.intercepts_ = [layer.bias.numpy().astype(np.float64) for layer in linears]
        self.n_iter_ = self.epochs
        self.loss_ = self.loss_curve_[-1]

    def _forward(self, X: Any) -> np.ndarray:
        """The network's raw outputs for X, computed in float64 with the fitted weights."""
        check_is_fitted(self)
        x = validate_data(self, X, reset=False, dtype=np.float64)
        activation = _ACTIVATIONS[self.activation]
        with tg.no_grad():
            h = tg.tensor(x)
            for layer, (weight, bias) in enumerate(zip(self.coefs_, self.intercepts_)):
                h = h @ tg.tensor(weight) + tg.tensor(bias)
                if activation is not None and layer < len(self.coefs_) - 1:
                    h = getattr(h, activation)()
        return h.numpy()


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """A multilayer perceptron classifier trained with softmax cross-entropy on this engine.

    Parameters: `hidden_layer_sizes`, `activation` (relu, tanh, logistic, identity), `optimizer`
    (adam, or sgd with momentum 0.9), `learning_rate`, `alpha` (L2 weight decay on the weights),
    `batch_size`, `epochs`, `random_state` (seeds the library generator), `verbose`, `epoch_callback`
    (called as `epoch_callback(epoch, mean_training_loss)` after each epoch; an exception it raises,
    such as optuna's `TrialPruned`, stops training and propagates: `tinygrad_edu.tune` prunes this way).
    """

    def fit(self, X: Any, y: Any) -> MLPClassifier:
        """Learn the classes of y from X (n_samples, n_features); returns self."""
        x, y = validate_data(self, X, y, dtype=[np.float64, np.float32])
        check_classification_targets(y)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        self._train(x, encoded.astype(np.int64), len(self.classes_))
        return self

    @staticmethod
    def _loss(logits: tg.Tensor, target: tg.Tensor) -> tg.Tensor:
        return nn.functional.cross_entropy(logits, target)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (n_samples, n_classes), columns in the order of `classes_`."""
        return tg.tensor(self._forward(X)).softmax(axis=1).numpy()

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Log of `predict_proba`, computed stably."""
        return tg.tensor(self._forward(X)).log_softmax(axis=1).numpy()

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each sample."""
        scores = self._forward(X)
        return self.classes_[scores.argmax(axis=1)]


class MLPRegressor(RegressorMixin, _BaseMLP):
    """A multilayer perceptron regressor trained with mean squared error on this engine.

    Same parameters as `MLPClassifier`; y may have one target (1-D) or several (2-D).
    """

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def fit(self, X: Any, y: Any) -> MLPRegressor:
        """Learn to predict y (n_samples,) or (n_samples, n_targets) from X; returns self."""
        x, y = validate_data(self, X, y, dtype=[np.float64, np.float32], multi_output=True, y_numeric=True)
        target = y.reshape(len(y), -1).astype(tg.get_default_dtype())
        self.n_outputs_ = target.shape[1]
        self._single_target = y.ndim == 1
        self._train(x, target, self.n_outputs_)
        return self

    @staticmethod
    def _loss(prediction: tg.Tensor, target: tg.Tensor) -> tg.Tensor:
        return nn.functional.mse_loss(prediction, target)

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets: (n_samples,) when fitted on a 1-D y, else (n_samples, n_targets)."""
        output = self._forward(X)
        return output[:, 0] if self._single_target else output
