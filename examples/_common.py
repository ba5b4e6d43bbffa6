"""What every example shares: its command line, optional extras, progress bars, figures and datasets.

The examples import this module by name (a script's own folder is on `sys.path` when it runs).
Importing it pins BLAS to one thread: a matrix product split over several threads adds its terms in
another order, and over thousands of steps those last-bit differences change the printed numbers.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings
from pathlib import Path
from typing import Any, Iterable, Iterator

BLAS_THREADS = 1
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = str(BLAS_THREADS)  # read by BLAS when NumPy is first imported

import numpy as np  # noqa: E402  (after the thread variables, on purpose)

import tinygrad_edu as tg  # noqa: E402

INSTALL_HINT = 'pip install "tinygrad-edu[examples]"'


def pin_blas_threads(threads: int = BLAS_THREADS) -> None:
    """Limit the BLAS that NumPy already loaded to `threads` threads (threadpoolctl, which comes with
    scikit-learn); the environment variables above only act when NumPy was not imported yet."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(limits=threads, user_api="blas")


pin_blas_threads()


def parse_args(name: str, description: str, add_arguments: Any = None) -> argparse.Namespace:
    """Parse `--quick`, `--out DIR`, `--seed` and the example's own options (`add_arguments(parser)`)."""
    parser = argparse.ArgumentParser(prog=f"{name}.py", description=description)
    parser.add_argument("--quick", action="store_true", help="a few-second run with smaller sizes (used by the tests)")
    parser.add_argument("--out", type=Path, default=Path("out") / name,
                        help=f"folder for the figures (default: ./out/{name})")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    if add_arguments is not None:
        add_arguments(parser)
    return parser.parse_args()


def require(module: str, what: str) -> Any:
    """Import an optional extra, or exit with a message saying how to install it (no traceback)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        sys.exit(f"This example needs {module} ({what}). Install the examples extra: {INSTALL_HINT}")


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend (files only, no window)."""
    matplotlib = require("matplotlib", "for the figures")
    matplotlib.use("Agg")
    return importlib.import_module("matplotlib.pyplot")


def save_figure(fig: Any, out: Path, filename: str, dpi: int = 80) -> Path:
    """Save `fig` as a PNG in `out` (created if needed), close it and return the path."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / filename
    fig.savefig(path, dpi=dpi)
    fig.clear()
    importlib.import_module("matplotlib.pyplot").close(fig)
    print(f"figure: {path}")
    return path


def progress(iterable: Iterable[Any], total: int | None = None, desc: str = "training") -> Iterator[Any]:
    """A tqdm progress bar over `iterable` when tqdm is installed, else the plain iterable (and a hint).

    While the bar runs, warnings (NumPy's overflow warnings, say) are printed above it with
    `tqdm.write` instead of being written into the middle of the bar's line.
    """
    try:
        from tqdm import tqdm
    except ImportError:
        print(f"(install tqdm for a progress bar: {INSTALL_HINT})", file=sys.stderr)
        yield from iterable
        return

    def write_warning(message, category, filename, lineno, file=None, line=None) -> None:
        tqdm.write(warnings.formatwarning(message, category, filename, lineno, line).rstrip("\n"), file=sys.stderr)

    with warnings.catch_warnings():
        warnings.showwarning = write_warning
        yield from tqdm(iterable, total=total, desc=desc, file=sys.stderr, leave=False, mininterval=0.5)


def load_images(dataset: str, quick: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
    """`(X_train, y_train, X_test, y_test, name)` with X as (N, 1, H, W) floats in [0, 1].

    `dataset` is "mnist", "digits" (scikit-learn's bundled 8x8 digits) or "auto": MNIST when it can be
    loaded or downloaded, else digits with a message saying why. `quick` keeps a small MNIST subset.
    """
    if dataset in ("auto", "mnist"):
        try:
            train = tg.data.datasets.MNIST(train=True)
            test = tg.data.datasets.MNIST(train=False)
        except (OSError, ValueError) as err:
            if dataset == "mnist":
                raise
            first_line = str(err).splitlines()[0]
            print(f"MNIST is not available ({first_line}); using scikit-learn's bundled 8x8 digits instead.")
        else:
            x_train, y_train = train.to_arrays(flatten=False)
            x_test, y_test = test.to_arrays(flatten=False)
            if quick:
                x_train, y_train, x_test, y_test = x_train[:5000], y_train[:5000], x_test[:1000], y_test[:1000]
            return x_train[:, None], y_train, x_test[:, None], y_test, "MNIST"
    datasets = require("sklearn.datasets", "for the bundled digits data set")
    model_selection = require("sklearn.model_selection", "for the train/test split")
    digits = datasets.load_digits()
    images = (digits.images / 16.0).astype(tg.get_default_dtype())[:, None]
    x_train, x_test, y_train, y_test = model_selection.train_test_split(
        images, digits.target.astype(np.int64), test_size=0.25, random_state=0, stratify=digits.target)
    return x_train, y_train, x_test, y_test, "digits"


def add_dataset_argument(parser: argparse.ArgumentParser) -> None:
    """`--dataset auto|mnist|digits` for the examples that train on images."""
    parser.add_argument("--dataset", choices=("auto", "mnist", "digits"), default="auto",
                        help="auto (default): MNIST if it can be loaded or downloaded, else scikit-learn's digits")


def train_epoch(model: Any, optimizer: Any, loader: Any) -> float:
    """One pass over `loader` minimising softmax cross-entropy; returns the mean training loss."""
    total, count = 0.0, 0
    for xb, yb in loader:
        loss = tg.nn.functional.cross_entropy(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(yb)
        count += len(yb)
    return total / count


def accuracy(model: Any, x: np.ndarray, y: np.ndarray, batch_size: int = 2000) -> float:
    """Fraction of `x` that `model` (in eval mode, without recording a graph) classifies as `y`."""
    model.eval()
    correct = 0
    with tg.no_grad():
        for start in range(0, len(x), batch_size):
            logits = model(tg.tensor(x[start:start + batch_size]))
            correct += int((logits.numpy().argmax(axis=1) == y[start:start + batch_size]).sum())
    model.train()
    return correct / len(x)
