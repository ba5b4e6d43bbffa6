"""Run every example script in --quick mode and check what it prints and the figures it writes."""

from __future__ import annotations

import gzip
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("sklearn")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
INSTALL_HINT = 'pip install "tinygrad-edu[examples]"'


def quiet_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment for a child run: one BLAS thread (no oversubscription), no downloads, Agg backend."""
    data_root = tmp_path / "data"
    data_root.mkdir(exist_ok=True)
    return {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "MPLBACKEND": "Agg", "TINYGRAD_EDU_DATA": str(data_root), **extra}


def run_example(name: str, tmp_path: Path, *args: str, env: dict[str, str] | None = None,
                check: bool = True) -> subprocess.CompletedProcess:
    """Run examples/<name>.py --quick --out <tmp> from tmp_path and return the finished process."""
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), "--quick", "--out", str(tmp_path / "out"), *args],
        cwd=tmp_path, env=env or quiet_env(tmp_path), capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, f"{name} failed:\n{result.stdout}\n{result.stderr}"
    return result


def figures(stdout: str) -> list[Path]:
    """The figure paths an example printed, each checked to exist as a PNG file."""
    paths = [Path(line.split("figure: ", 1)[1]) for line in stdout.splitlines() if line.startswith("figure: ")]
    assert paths, f"no figure reported in:\n{stdout}"
    for path in paths:
        assert path.read_bytes()[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    return paths


def number(stdout: str, pattern: str) -> float:
    """The float captured by `pattern` (one group) in the printed summary."""
    match = re.search(pattern, stdout)
    assert match, f"{pattern!r} not found in:\n{stdout}"
    return float(match.group(1))


def test_every_example_has_help() -> None:
    scripts = sorted(p.stem for p in EXAMPLES.glob("*.py") if not p.stem.startswith("_"))
    assert len(scripts) == 11
    for name in scripts:
        result = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py"), "--help"], capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert "--quick" in result.stdout and "--out" in result.stdout


def test_random_search_vs_gradient_descent(tmp_path: Path) -> None:
    out = run_example("random_search_vs_gradient_descent", tmp_path).stdout
    figures(out)
    chance = math.log(3)  # three classes: near-zero weights give equal scores, cross-entropy ln 3
    for hidden in (3, 64):
        assert number(out, rf"2-{hidden}-3 start: loss ([\d.]+)") == pytest.approx(chance, abs=2e-3)
    search = number(out, r"2-64-3 random search: loss ([\d.]+)")
    descent = number(out, r"2-64-3 gradient descent: loss ([\d.]+)")
    # keep-if-better never goes up, but in 387 dimensions a random step rarely goes down: it stays near
    # the start, while the gradient points downhill at every step
    assert search <= chance
    assert descent < search - 0.1
    assert number(out, r"2-64-3 gradient descent: .* accuracy ([\d.]+)") > number(
        out, r"2-64-3 random search: .* accuracy ([\d.]+)") + 0.05
    assert number(out, r"2-3-3 random search: loss ([\d.]+)") < chance


def test_numerical_derivative(tmp_path: Path) -> None:
    out = run_example("numerical_derivative", tmp_path).stdout
    assert len(figures(out)) == 2
    secant = number(out, r"secant slope at x=1 \(delta 0.0001\): ([\d.]+)")
    assert secant != 4.0 and abs(secant - 4.0) < 3e-4
    assert abs(number(out, r"secant slope at x=2 \(delta 0.0001\): ([\d.]+)") - 8.0) < 3e-4
    assert number(out, r"autograd derivative at x=1: ([\d.]+)") == 4.0
    assert number(out, r"autograd derivative at x=2: ([\d.]+)") == 8.0
    assert re.search(r"gradcheck on a 3-4-2 network \(41 values\): passed", out)
    # sin at 1: the error delta |f''| / 2 + eps |f| / delta of a forward difference is smallest at
    # delta = sqrt(2 eps |f| / |f''|), that of a central one, delta^2 |f'''| / 6 + eps |f| / delta, at
    # (3 eps |f| / |f'''|)^(1/3); rounding is random, so the measured minimum lies within a factor 10
    eps = float(np.finfo(np.float64).eps)
    assert number(out, r"sin at x=1: autograd derivative ([\d.]+)") == pytest.approx(math.cos(1.0), rel=1e-15)
    best_forward = number(out, r"sin at x=1, forward difference: .* at delta ([\d.e+-]+)")
    best_central = number(out, r"sin at x=1, central difference: .* at delta ([\d.e+-]+)")
    assert 0.1 < best_forward / math.sqrt(2 * eps) < 10
    assert 0.1 < best_central / (3 * eps * math.sin(1.0) / math.cos(1.0)) ** (1 / 3) < 10
    # the central rule's best error is about eps^(2/3), the forward rule's about eps^(1/2): far smaller
    forward_error = number(out, r"sin at x=1, forward difference: smallest error ([\d.e+-]+)")
    assert number(out, r"sin at x=1, central difference: smallest error ([\d.e+-]+)") < forward_error / 100


def test_optimizer_paths(tmp_path: Path) -> None:
    out = run_example("optimizer_paths", tmp_path).stdout
    figures(out)
    distance = {name: number(out, rf"{name}: final .* distance ([\d.]+)")
                for name in ("SGD", "Momentum", "AdaGrad", "RMSprop", "Adam")}
    assert distance["Adam"] < distance["SGD"]
    # Plain SGD on x^2/20 + y^2 multiplies x by (1 - 0.95/10) and y by (1 - 2 * 0.95) each step.
    assert distance["SGD"] == pytest.approx(math.hypot(7 * 0.905 ** 30, 2 * 0.9 ** 30), abs=1e-4)
    assert all(d < 1.0 for d in distance.values())


def layer_spreads(stdout: str, name: str) -> list[float]:
    line = next(line for line in stdout.splitlines() if line.startswith(f"{name}: activation std per layer"))
    return [float(v) for v in line.split("per layer ")[1].split()]


def test_weight_init_histograms(tmp_path: Path) -> None:
    out = run_example("weight_init_histograms", tmp_path).stdout
    figures(out)
    he, small = layer_spreads(out, "relu, He"), layer_spreads(out, "relu, std 0.01")
    assert len(he) == len(small) == 5
    assert 0.5 < he[-1] / he[0] < 2.0
    assert small[-1] < 1e-4 and he[-1] > 1e3 * small[-1]
    assert layer_spreads(out, "sigmoid, std 0.01")[-1] < 0.05
    assert layer_spreads(out, "sigmoid, std 1")[-1] > 0.4


def test_batchnorm_comparison(tmp_path: Path) -> None:
    out = run_example("batchnorm_comparison", tmp_path, "--dataset", "digits").stdout
    figures(out)
    match = re.search(r"BatchNorm ahead at (\d+) of (\d+) scales", out)
    assert match and int(match.group(1)) > int(match.group(2)) / 2


def test_overfitting(tmp_path: Path) -> None:
    result = run_example("overfitting", tmp_path, "--dataset", "digits")
    out = result.stdout
    figures(out)
    for label in ("baseline", "weight decay 0.1", "dropout 0.2"):  # a progress bar over each run's epochs
        assert re.search(rf"{label}: +\d+%\|", result.stderr), result.stderr
    labels = ("baseline", "weight decay 0.1", "dropout 0.2")
    train = {label: number(out, rf"{label}: train ([\d.]+)") for label in labels}
    gap = {label: number(out, rf"{label}: .* gap ([-\d.]+)") for label in labels}
    # about 57,000 weights against 300 images: the plain network can fit its training set exactly, and
    # what it then learns is the training images, not the digits: test accuracy clearly lower
    assert train["baseline"] >= 0.98
    assert gap["baseline"] > 0.05
    assert train["baseline"] > train["weight decay 0.1"]
    assert gap["weight decay 0.1"] < gap["baseline"]
    assert gap["dropout 0.2"] < gap["baseline"]
    # dropout slows learning but the net still learns: far above the 10% of guessing among ten digits
    assert number(out, r"dropout 0.2: .* test ([\d.]+)") > 0.5


def test_mnist_two_layer_on_digits(tmp_path: Path) -> None:
    out = run_example("mnist_two_layer", tmp_path, "--dataset", "digits").stdout
    figures(out)
    assert "data: digits" in out
    assert number(out, r"test accuracy: ([\d.]+)") >= 0.95


def write_idx(path: Path, array: np.ndarray) -> None:
    """A gzipped IDX file of unsigned bytes (magic 0x0000 08 ndim, big-endian sizes, then the data)."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))


def test_mnist_two_layer_reads_mnist_files_when_present(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "MNIST"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, count in (("train", 200), ("t10k", 50)):
        labels = rng.integers(0, 10, count)
        images = np.zeros((count, 28, 28), dtype=np.uint8)
        images[np.arange(count), 2 * labels + 4, 4:24] = 255  # a horizontal bar whose row encodes the label
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels)
    out = run_example("mnist_two_layer", tmp_path, "--dataset", "mnist", "--epochs", "20").stdout
    assert "data: MNIST, 200 training and 50 test samples" in out
    assert number(out, r"test accuracy: ([\d.]+)") > 0.9


def test_cnn_on_digits(tmp_path: Path) -> None:
    out = run_example("cnn", tmp_path, "--dataset", "digits").stdout
    figures(out)
    assert number(out, r"test accuracy: ([\d.]+)") >= 0.95


def test_hyperparameter_search(tmp_path: Path) -> None:
    pytest.importorskip("optuna")
    out = run_example("hyperparameter_search", tmp_path, "--dataset", "digits").stdout
    assert {p.name for p in figures(out)} == {"hyperparameter_search.png", "hyperparameter_samplers.png"}
    for sampler in ("grid", "random", "tpe", "nsga2"):  # each learns: far above the 10% of guessing
        assert number(out, rf"{sampler}: best validation accuracy ([\d.]+) after 6 trials") > 0.5
    assert re.search(r"best parameters: \{.*'batch_size'.*'epochs'.*'hidden_layer_sizes'.*'learning_rate'", out)
    assert number(out, r"test accuracy: ([\d.]+)") > 0.85


def test_convolution_filters(tmp_path: Path) -> None:
    out = run_example("convolution_filters", tmp_path).stdout
    assert len(figures(out)) == 2
    assert number(out, r"conv2d vs NumPy loop: max difference ([\d.e+-]+)") < 1e-12
    # Sobel weights sum to 4 on each side, so a unit step gives |response| 4 across edges of its orientation.
    assert number(out, r"Sobel x .* vertical edges ([\d.]+)") == pytest.approx(4.0)
    assert number(out, r"Sobel x .* horizontal edges ([\d.]+)") == pytest.approx(0.0)
    assert number(out, r"Sobel y .* vertical edges ([\d.]+)") == pytest.approx(0.0)
    assert number(out, r"Sobel y .* horizontal edges ([\d.]+)") == pytest.approx(4.0)
    assert number(out, r"network test accuracy ([\d.]+)") > 0.85


def test_graph_gallery(tmp_path: Path) -> None:
    out = run_example("graph_gallery", tmp_path).stdout
    assert {p.name for p in figures(out)} == {"scalar_expression.png", "mlp.png", "cnn.png", "cnn_backward.png"}
    a, b = 2.0, -3.0
    inner = a * b + math.sin(a)
    assert number(out, r"e = ([-\d.]+)") == pytest.approx(inner ** 2, abs=1e-6)
    assert number(out, r"de/da = ([-\d.]+)") == pytest.approx(2 * inner * (b + math.cos(a)), abs=1e-6)
    assert number(out, r"de/db = ([-\d.]+)") == pytest.approx(2 * inner * a, abs=1e-6)


def test_missing_matplotlib_gives_install_hint(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    (blocker / "matplotlib").mkdir(parents=True)
    (blocker / "matplotlib" / "__init__.py").write_text("raise ImportError('matplotlib is hidden by the test')\n")
    env = quiet_env(tmp_path, PYTHONPATH=str(blocker))
    result = run_example("optimizer_paths", tmp_path, env=env, check=False)
    assert result.returncode != 0
    assert INSTALL_HINT in result.stderr
    assert "Traceback" not in result.stderr
