"""What a newcomer meets first: the README's first snippet, the command line, and the error messages
of the two most common slips (a Module given to an optimizer, a list given to a layer)."""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, optim

REPO = Path(__file__).resolve().parent.parent


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`python -m tinygrad_edu ARGS` in a child process."""
    return subprocess.run([sys.executable, "-m", "tinygrad_edu", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})


def first_python_block(markdown: str) -> str:
    return re.search(r"```python\n(.*?)```", markdown, re.S).group(1)


def test_readme_first_snippet_is_seeded_and_its_gradient_is_the_relu_mask() -> None:
    code = first_python_block((REPO / "README.md").read_text())
    runs = []
    for _ in range(2):
        namespace: dict = {}
        with contextlib.redirect_stdout(io.StringIO()):
            exec(code, namespace)  # noqa: S102 (the README's own code)
        runs.append(namespace)
    x, w = runs[0]["x"].numpy(), runs[0]["w"].numpy()
    np.testing.assert_array_equal(w, runs[1]["w"].numpy())  # seeded: the same weights every run
    alive = (x @ w > 0).astype(np.float32)  # d sum(relu(x w)) / d w = x^T [x w > 0]
    assert alive.any(), "the seeded snippet must not show all-zero gradients"
    np.testing.assert_allclose(runs[0]["w"].grad.numpy(), x.T @ alive)
    np.testing.assert_allclose(runs[0]["x"].grad.numpy(), alive @ w.T, rtol=1e-6)


def test_version_and_help_without_a_command() -> None:
    version = cli("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"tinygrad-edu {tg.__version__}"
    bare = cli()
    assert bare.returncode == 0
    assert "usage: tinygrad-edu" in bare.stdout and "demo" in bare.stdout and "gradcheck" in bare.stdout


def test_piping_into_head_prints_no_traceback() -> None:
    shell = f"{sys.executable} -m tinygrad_edu gradcheck | head -n 2"
    result = subprocess.run(shell, shell=True, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    assert len(result.stdout.splitlines()) == 2
    assert "Traceback" not in result.stderr and "BrokenPipeError" not in result.stderr, result.stderr


@pytest.mark.parametrize("returned", ["3", "None", "[tg.ones(2, requires_grad=True).sum(), 'loss']"])
def test_graph_of_a_function_that_returns_no_tensor_says_what_to_return(tmp_path: Path, returned: str) -> None:
    (tmp_path / "user.py").write_text(f"import tinygrad_edu as tg\n\n\ndef build():\n    return {returned}\n")
    result = cli("graph", "user.py:build", "-o", "-", cwd=tmp_path)
    assert result.returncode == 2
    assert "user.py:build returned" in result.stderr
    assert "must return a Tensor, a list of Tensors or a (Tensor, Module) pair" in result.stderr
    assert "Traceback" not in result.stderr


def test_graph_of_a_function_that_returns_a_tensor_still_works(tmp_path: Path) -> None:
    (tmp_path / "user.py").write_text("import tinygrad_edu as tg\n\n\ndef build():\n"
                                      "    return (tg.ones(2, requires_grad=True) * 3).sum()\n")
    result = cli("graph", "user.py:build", "-o", "-", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.startswith("digraph")


@pytest.mark.parametrize("optimizer", [optim.SGD, optim.Adam, optim.AdamW, optim.RMSprop, optim.Adagrad,
                                       optim.Adadelta])
def test_an_optimizer_given_the_module_says_to_pass_its_parameters(optimizer) -> None:
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    with pytest.raises(TypeError, match=r"pass its parameters: .*\(model\.parameters\(\)"):
        optimizer(model, lr=0.1)
    optimizer(model.parameters(), lr=0.1)  # the fix works


def test_linear_on_a_python_list_names_the_expected_tensor() -> None:
    layer = nn.Linear(3, 2)
    with pytest.raises(TypeError, match=r"linear\(\): argument 'input' must be Tensor, not list"):
        layer([1.0, 2.0, 3.0])
    assert layer(tg.tensor([1.0, 2.0, 3.0])).shape == (2,)


def test_warnings_print_above_the_progress_bar_not_inside_it(tmp_path: Path) -> None:
    pytest.importorskip("tqdm")
    script = ("import numpy as np\nfrom _common import progress\n"
              "for step in progress(range(3), total=3, desc='training'):\n"
              "    np.exp(np.float64(1000.0))\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO / "examples", capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    pieces = re.split(r"[\r\n]", result.stderr)
    warning_pieces = [piece for piece in pieces if "RuntimeWarning" in piece]
    assert warning_pieces, result.stderr
    assert all("training" not in piece for piece in warning_pieces), result.stderr
    assert any("training" in piece for piece in pieces)  # the bar itself was drawn


def test_examples_pin_blas_to_one_thread() -> None:
    pytest.importorskip("threadpoolctl")
    script = ("import numpy, threadpoolctl\nimport _common\n"
              "print(sorted({pool['num_threads'] for pool in threadpoolctl.threadpool_info()}))\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO / "examples", capture_output=True, text=True,
                            timeout=120, env={**os.environ, "OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "2"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() in ("[1]", "[]")


def test_architecture_doc_refers_only_to_files_in_the_repository() -> None:
    text = (REPO / "docs" / "architecture.md").read_text()
    assert not re.search(r"\.\./shared|DESIGN\.md|design contract|the seeds", text)
    for target in re.findall(r"\]\(([^)#]+)\)", text):
        if not target.startswith(("http://", "https://")):
            assert (REPO / "docs" / target).exists(), f"architecture.md links to {target}, not in the repository"
