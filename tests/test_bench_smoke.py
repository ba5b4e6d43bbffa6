"""Smoke test of the benchmark harness (bench/): every workload runs one timed round, its engines
agree on the loss of the same weights and batch, and the tables print; `--against` prepares a tree,
its workers import that tree's engine only, and the comparison prints. No timing is asserted."""

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ lives at the repository root

from bench import against  # noqa: E402
from bench.harness import NUMPY, REPO_ROOT, CheckError, Engine, Options, check_agreement  # noqa: E402
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


# ----------------------------------------------------------------------------------------------
# --against: two trees in alternating worker processes (bench/against.py, bench/tree_worker.py)

PUBLIC_ENGINE_MODULES = {"tinygrad_edu", "tinygrad_edu.nn", "tinygrad_edu.nn.functional", "tinygrad_edu.optim"}
in_git_checkout = pytest.mark.skipif(
    subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True).returncode != 0,
    reason="--against HEAD needs a git checkout")


def test_bench_reaches_the_engine_only_through_its_public_modules():
    """--against runs this checkout's bench code on another tree's engine: it must not use internals."""
    for path in (REPO_ROOT / "bench").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules, names = [a.name for a in node.names], []
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules, names = [node.module], [a.name for a in node.names]
            else:
                continue
            for module in modules:
                if module.split(".")[0] == "tinygrad_edu":
                    assert module in PUBLIC_ENGINE_MODULES, f"{path.name} imports {module}"
                    assert not any(n.startswith("_") for n in names), f"{path.name} imports {names} from {module}"


@in_git_checkout
def test_prepared_tree_has_the_subpackages_inside_and_a_worker_refuses_a_broken_one(tmp_path):
    tree = against.prepare_tree("old", "HEAD", tmp_path)
    link = tree.root / "tinygrad_edu" / "nn"
    assert link.is_symlink() and link.resolve() == tree.root / "nn"
    run = against.run_worker(tree, "overhead", steps=2, quick=True)
    assert Path(run["engine_file"]).is_relative_to(tree.root)
    assert len(run["times"]["tinygrad_edu"]) == 2
    link.unlink()  # now the editable install would supply this checkout's nn/: the worker must notice
    with pytest.raises(against.WorkerError, match="outside the tree"):
        against.run_worker(tree, "mlp", steps=1, quick=True)


@in_git_checkout
def test_against_head_reports_both_trees(capsys):
    assert main(["--against", "HEAD", "--workloads", "overhead", "--quick", "--repeats", "1", "--markdown"]) == 0
    out = capsys.readouterr().out
    assert "## Old tree vs new tree" in out and "| overhead |" in out
    assert "| old | tinygrad_edu |" in out and "| new | tinygrad_edu |" in out


def test_against_rejects_unknown_trees_and_untimed_workloads(capsys):
    assert main(["--against", "no-such-revision-or-folder"]) == 2
    assert "neither a folder nor a git revision" in capsys.readouterr().err
    assert main(["--against", "HEAD", "--workloads", "memory"]) == 2
    assert "cannot compare" in capsys.readouterr().err
