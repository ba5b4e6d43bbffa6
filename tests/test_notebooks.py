"""Every notebook of the course runs from top to bottom in a fresh kernel, with the quick sizes
(TINYGRAD_EDU_QUICK=1), and keeps the course's conventions: it draws its graph, prints the
chain-rule trace of `tg.explain` and has a quick mode."""

from __future__ import annotations

import importlib.util
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
SCRIPTS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))
PLACEHOLDER = re.compile(r"<!-- trace cell:")  # where a trace cell was to go, before tg.explain existed
MISSING = [name for name in ("jupytext", "nbclient", "nbformat", "ipykernel")
           if importlib.util.find_spec(name) is None]


def load_build_script():
    """notebooks/build.py, the script `make notebooks` runs, imported by path."""
    spec = importlib.util.spec_from_file_location("notebook_build", NOTEBOOKS / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_course_has_eight_to_twelve_numbered_notebooks():
    numbers = [int(path.name[:2]) for path in SCRIPTS]
    assert 8 <= len(SCRIPTS) <= 12, [p.name for p in SCRIPTS]
    assert numbers == list(range(1, len(SCRIPTS) + 1)), "notebooks are numbered 01, 02, ... without gaps"


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_notebook_follows_the_course_conventions(script):
    text = script.read_text(encoding="utf-8")
    assert text.count("# %%") >= 4, "a jupytext percent script: cells start with '# %%'"
    assert "tg.draw_graph(" in text, "every notebook draws the graph of what it builds"
    assert re.search(r"^[^#\n]*tg\.explain\(", text, re.MULTILINE), "every notebook traces its graph in a code cell"
    assert not PLACEHOLDER.search(text), "a trace placeholder is left: replace it with a tg.explain cell"
    assert 'os.environ.get("TINYGRAD_EDU_QUICK") == "1"' in text, "every notebook has the quick mode"
    assert "/work/" not in text and "/tmp/" not in text, "no machine-specific paths"


@pytest.fixture(scope="module")
def quick_runs(tmp_path_factory):
    """Every notebook started at once on two workers (the kernels are separate processes, so two
    run side by side); each test then waits for its own."""
    pytest.importorskip("matplotlib")
    pytest.importorskip("sklearn")
    import jupytext

    build = load_build_script()
    one_thread = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    pool = ThreadPoolExecutor(max_workers=2)
    runs = {script: pool.submit(build.execute, jupytext.read(script), tmp_path_factory.mktemp(script.stem),
                                quick=True, timeout=120, env=one_thread) for script in SCRIPTS}
    yield runs
    pool.shutdown(cancel_futures=True)


@pytest.mark.skipif(bool(MISSING), reason=f"running notebooks needs {', '.join(MISSING)} "
                    "(pip install -e '.[notebooks]' or '.[dev]')")
@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_notebook_runs_in_a_fresh_kernel(script, quick_runs):
    notebook = quick_runs[script].result()  # a cell that raised re-raises here, naming the cell
    assert all(cell.get("execution_count") for cell in notebook.cells if cell.cell_type == "code")
    printed = "".join(output.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                      for output in cell.get("outputs", ()))
    assert "backward pass of" in printed, "the notebook prints a tg.explain trace (print(tg.explain(...)))"
