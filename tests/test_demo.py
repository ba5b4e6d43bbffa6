"""`tinygrad-edu demo`: it trains the spiral MLP to >= 0.95 training accuracy and writes its images."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run_demo(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """`python -m tinygrad_edu demo --out <tmp>/demo_out` in a child process (one BLAS thread)."""
    result = subprocess.run(
        [sys.executable, "-m", "tinygrad_edu", "demo", "--out", str(tmp_path / "demo_out"), *args],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg", **env})
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    return result


def final_accuracy(stdout: str) -> float:
    match = re.search(r"final training accuracy: ([\d.]+)", stdout)
    assert match, stdout
    return float(match.group(1))


def test_demo_trains_and_writes_images(tmp_path: Path) -> None:
    out = run_demo(tmp_path).stdout
    assert final_accuracy(out) >= 0.95
    reported = [float(v) for v in re.findall(r"step +\d+  loss ([\d.]+)", out)]
    assert len(reported) >= 5 and reported[-1] < reported[0] / 4, out  # the printed loss goes down
    # the learning rate is annealed to 0, so late steps are small: no jump back up in the printed loss
    assert all(later < earlier for earlier, later in zip(reported, reported[1:])), out
    for label, name in (("loss curve", "loss_curve.png"), ("decision boundary", "decision_boundary.png"),
                        ("computation graph", "graph.png")):
        path = tmp_path / "demo_out" / name
        assert f"{label}: {path}" in out
        assert path.read_bytes()[:8] == PNG_SIGNATURE
    animation = tmp_path / "demo_out" / "backward.html"
    assert f"backward pass, step by step: {animation}" in out
    page = animation.read_text()
    assert page.startswith("<!DOCTYPE html>") and page.count('class="frame"') == 7  # 6 ops of the MLP, then done


def test_demo_without_matplotlib_still_trains(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker" / "matplotlib"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('matplotlib is hidden by the test')\n")
    out = run_demo(tmp_path, "--steps", "200", PYTHONPATH=str(blocker.parent)).stdout
    assert 'pip install "tinygrad-edu[examples]"' in out
    assert 0.0 < final_accuracy(out) <= 1.0
    assert (tmp_path / "demo_out" / "graph.png").read_bytes()[:8] == PNG_SIGNATURE
    assert not (tmp_path / "demo_out" / "loss_curve.png").exists()


def test_demo_help_lists_its_options() -> None:
    result = subprocess.run([sys.executable, "-m", "tinygrad_edu", "demo", "--help"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0
    for option in ("--out", "--steps", "--hidden", "--lr", "--seed"):
        assert option in result.stdout
