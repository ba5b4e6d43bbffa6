"""docs/experiments.md's numbers, rerun: the cheap experiments at their full size, compared with the page.

The expected values are read from the page itself (its tables and summary lines), so the page and
this test cannot drift apart. They were produced under the conditions the page states (NumPy and
BLAS versions, one BLAS thread); on another NumPy or BLAS build the last digits may differ, so the
test skips there and says why.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

REPO = Path(__file__).resolve().parent.parent
PAGE = (REPO / "docs" / "experiments.md").read_text()


def documented_conditions() -> tuple[str, str]:
    """The NumPy and OpenBLAS versions the page says its numbers were produced with."""
    match = re.search(r"NumPy (\d+\.\d+\.\d+) with OpenBLAS (\d+\.\d+\.\d+)", PAGE)
    assert match, "docs/experiments.md must state the NumPy and OpenBLAS versions of its numbers"
    return match.group(1), match.group(2)


def blas_version() -> str | None:
    """The version of the BLAS NumPy was built with (not of another library's, e.g. SciPy's, BLAS)."""
    blas = np.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
    return blas.get("version") if "openblas" in blas.get("name", "") else None


@pytest.fixture(autouse=True)
def documented_machine() -> None:
    numpy_version, openblas_version = documented_conditions()
    blas = blas_version()
    if np.__version__ != numpy_version or not (blas or "").startswith(openblas_version):
        pytest.skip(f"docs/experiments.md's numbers are from NumPy {numpy_version} with OpenBLAS {openblas_version}; "
                    f"this is NumPy {np.__version__} with BLAS {blas}")


def run(*command: str, cwd: Path) -> str:
    """Run a command with the page's conditions (one BLAS thread) and return what it printed."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "MPLBACKEND": "Agg"}
    result = subprocess.run([sys.executable, *command], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return result.stdout


def agrees(documented: str, value: float) -> bool:
    """Whether `value` rounds to the documented figure: within half a unit of its last digit."""
    digits = Decimal(documented)
    return abs(Decimal(repr(value)) - digits) <= Decimal(5).scaleb(digits.as_tuple().exponent - 1)


def row(first_cells: str) -> list[str]:
    """The cells of the page's table row that starts with `first_cells` (e.g. '| 2-64-3 | gradient descent |')."""
    line = next((line for line in PAGE.splitlines() if line.startswith(first_cells)), None)
    assert line, f"no table row starting with {first_cells!r} in docs/experiments.md"
    return cells(line)


def cells(line: str) -> list[str]:
    """The cells of one Markdown table line."""
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def printed(stdout: str, pattern: str) -> float:
    match = re.search(pattern, stdout)
    assert match, f"{pattern!r} not in:\n{stdout}"
    return float(match.group(1))


def test_random_search_and_gradient_descent_as_documented(tmp_path: Path) -> None:
    out = run(str(REPO / "examples" / "random_search_vs_gradient_descent.py"), "--out", str(tmp_path), cwd=tmp_path)
    for network, method in (("2-3-3", "random search"), ("2-3-3", "gradient descent"),
                            ("2-64-3", "random search"), ("2-64-3", "gradient descent")):
        ours = re.fullmatch(r"loss ([\d.]+), acc ([\d.]+)", row(f"| {network} | {method} |")[-1])
        assert ours, row(f"| {network} | {method} |")
        assert agrees(ours.group(1), printed(out, rf"{network} {method}: loss ([\d.]+)"))
        assert agrees(ours.group(2), printed(out, rf"{network} {method}: .* accuracy ([\d.]+)"))


def test_demo_as_documented(tmp_path: Path) -> None:
    out = run("-m", "tinygrad_edu", "demo", "--out", str(tmp_path), cwd=tmp_path)
    match = re.search(r"final training accuracy (\d+\.\d+)\*\*, loss\s+(\d+\.\d+)", PAGE)
    assert match, "the demo's section must give its final training accuracy and loss"
    assert agrees(match.group(1), printed(out, r"final training accuracy: ([\d.]+)"))
    assert agrees(match.group(2), printed(out, r"final loss: ([\d.]+)"))


def test_optimizer_paths_and_activation_spreads_as_documented(tmp_path: Path) -> None:
    out = run(str(REPO / "examples" / "optimizer_paths.py"), "--out", str(tmp_path), cwd=tmp_path)
    lines = PAGE.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| SGD | Momentum |"))
    names, distances = (cells(lines[i]) for i in (header, header + 2))  # the line between is the rule
    for name, documented in zip(names, distances):
        assert agrees(documented, printed(out, rf"{name}: final .* distance ([\d.]+)")), name

    out = run(str(REPO / "examples" / "weight_init_histograms.py"), "--out", str(tmp_path), cwd=tmp_path)
    for setting in ("sigmoid, std 1", "sigmoid, std 0.01", "sigmoid, Xavier", "tanh, Xavier", "ReLU, std 0.01",
                    "ReLU, Xavier", "ReLU, He"):
        layer_1, layer_3, layer_5 = row(f"| {setting} |")[1:4]
        line = next(line for line in out.splitlines() if line.lower().startswith(f"{setting.lower()}: "))
        spreads = [float(v) for v in line.split("per layer ")[1].split()]
        for documented, value in ((layer_1, spreads[0]), (layer_3, spreads[2]), (layer_5, spreads[4])):
            assert agrees(documented, value), (setting, documented, value)


def test_finite_differences_as_documented(tmp_path: Path) -> None:
    out = run(str(REPO / "examples" / "numerical_derivative.py"), "--out", str(tmp_path), cwd=tmp_path)
    secant_at_1 = printed(out, r"at x=1 \(delta 0.0001\): ([\d.]+)")
    assert row("| secant slope of 2x² at x=1, delta 1e-4 |")[-1] == repr(secant_at_1)
    assert row("| secant slope at x=2 |")[-1] == repr(printed(out, r"at x=2 \(delta 0.0001\): ([\d.]+)"))
    for label, pattern in (("| best forward-difference error of 2x² at x=2 |", "smallest forward-difference error"),
                           ("| best forward-difference error of sin x at x=1 |", "sin at x=1, forward difference"),
                           ("| best central-difference error of sin x at x=1 |", "sin at x=1, central difference")):
        error, delta = re.fullmatch(r"([\d.e-]+) at delta ([\d.e-]+)", row(label)[-1]).groups()
        assert agrees(error, printed(out, pattern + r": (?:smallest error )?([\d.e+-]+)"))
        assert agrees(delta, printed(out, pattern + r".* at delta ([\d.e+-]+)"))
