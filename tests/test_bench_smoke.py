"""Smoke test of the benchmark harness (bench/): every workload runs one timed round, its engines
agree on the loss of the same weights and batch, and the tables print. No timing is asserted."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ lives at the repository root

from bench.harness import NUMPY, CheckError, Engine, Options, check_agreement  # noqa: E402
from bench.runner import main, render, run  # noqa: E402
from bench.workloads import WORKLOADS  # noqa: E402

QUICK = Options(quick=True, repeats=1, peers=True)


@pytest.mark.parametrize("name", list(WORKLOADS))
def test_workload_runs_and_engines_agree(name):
    report = run([name], QUICK)
    (result,) = report.results
    assert result.error is None, result.error
    engines = [row[0] for row in result.table.rows]
    assert engines[0] == ("tinygrad_edu" if name == "memory" else NUMPY)
    assert "tinygrad_edu" in engines
    checks = np.array([[float(v) for v in row[-1].split(",")] for row in result.table.rows])
    np.testing.assert_allclose(checks, np.broadcast_to(checks[0], checks.shape), rtol=1e-4)
    text = render(report, markdown=False)
    assert result.table.title in text
    assert report.summary[0].workload == name
    markdown = render(report, markdown=True)
    assert "| engine |" in markdown and "## Summary" in markdown


def test_disagreeing_engines_abort_the_workload():
    engines = [Engine("a", lambda: (2.0,)), Engine("b", lambda: (2.5,))]
    with pytest.raises(CheckError, match="b gives check values"):
        check_agreement(engines, check_steps=1, rtol=1e-4, atol=0.0)


def test_cli_help_and_unknown_workload(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "--workloads" in capsys.readouterr().out
    assert main(["--workloads", "nonexistent"]) == 2
    assert "unknown workload" in capsys.readouterr().err
