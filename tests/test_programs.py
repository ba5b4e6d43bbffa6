"""The corpus of PyTorch programs in tests/programs/: each runs unchanged under tinygrad_edu (aliased
as `torch`) and, where PyTorch is installed, prints the same numbers as under PyTorch.

`make test` runs the quick subset `FAST` of tests/programs/run.py; `make programs` sets
TINYGRAD_EDU_PROGRAMS=all and runs every program. Programs listed in `PENDING` wait for an engine
feature: they are strict expected failures, so one that starts to pass fails here until its entry goes.
"""

import importlib.util
import os
from pathlib import Path

import pytest

_RUNNER_PATH = Path(__file__).resolve().parent / "programs" / "run.py"
_spec = importlib.util.spec_from_file_location("programs_runner", _RUNNER_PATH)
runner = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(runner)

ALL = runner.program_names()
SELECTED = ALL if os.environ.get("TINYGRAD_EDU_PROGRAMS") == "all" else list(runner.FAST)


def test_the_corpus_covers_the_material():
    kinds = {name.split("_")[0] for name in ALL}
    assert len(ALL) >= 40 and len(ALL) - len(runner.PENDING) >= 35 and len(kinds) >= 5, (len(ALL), kinds)
    assert set(runner.FAST) <= set(ALL) and set(runner.PENDING) <= set(ALL)
    assert not set(runner.FAST) & set(runner.PENDING), "the quick subset holds programs that pass"
    assert {name.split("_")[0] for name in runner.FAST} == kinds, "the quick subset covers every kind"


def test_compare_accepts_float_noise_and_reports_real_differences():
    assert runner.compare("loss 0.1234560 [1, 2.5]\nok True", "loss 0.1234565 [1, 2.5]\nok True") == []
    assert runner.compare("loss 0.1240", "loss 0.1234") != []
    assert runner.compare("ok True", "ok False") != []
    assert runner.compare("a 1\nb 2", "a 1") != []


@pytest.fixture(scope="module")
def outputs():
    """Every selected program run once per engine (one subprocess each), as {name: result}."""
    return runner.run_batches(SELECTED)


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=f"pending: {runner.PENDING[name]}"))
    if name in runner.PENDING else name for name in SELECTED])
def test_program_runs_unchanged_and_agrees_with_torch(name, outputs):
    ours, theirs = outputs
    assert ours[name]["error"] is None, f"{name} fails under tinygrad_edu:\n{ours[name]['error']}"
    assert ours[name]["output"].strip(), f"{name} printed nothing"
    if theirs is not None:
        assert theirs[name]["error"] is None, f"{name} fails under PyTorch itself:\n{theirs[name]['error']}"
        problems = runner.compare(ours[name]["output"], theirs[name]["output"])
        assert not problems, f"{name} prints other numbers than under PyTorch:\n" + "\n".join(problems)
