"""Build the course's notebooks (.ipynb) from their jupytext percent scripts and execute them.

    python notebooks/build.py                # every notebook, full size, executed in place
    python notebooks/build.py --quick 05     # small sizes (TINYGRAD_EDU_QUICK=1), names matching 05
    python notebooks/build.py --no-execute   # only convert

The .py scripts are the source (reviewable diffs); the .ipynb files are built output.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
QUICK_VARIABLE = "TINYGRAD_EDU_QUICK"


def scripts(patterns: list[str] | None = None) -> list[Path]:
    """The course's scripts (NN_topic.py) in order, those whose name contains one of `patterns`."""
    found = sorted(p for p in HERE.glob("[0-9][0-9]_*.py"))
    return [p for p in found if not patterns or any(pattern in p.name for pattern in patterns)]


def execute(notebook: nbformat.NotebookNode, workdir: Path, quick: bool, timeout: int = 600,
            env: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """Run every cell in a fresh kernel started in `workdir` (with `env` added to the environment
    and the quick sizes when `quick`); a cell that raises stops the run with CellExecutionError."""
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(workdir)}})
    return client.execute(env={**os.environ, **(env or {}), QUICK_VARIABLE: "1" if quick else "0"})


def build(script: Path, run: bool = True, quick: bool = False) -> Path:
    """Write script's .ipynb beside it, executed (outputs included) when `run`."""
    notebook = jupytext.read(script)
    if run:
        notebook = execute(notebook, script.parent, quick)
    target = script.with_suffix(".ipynb")
    nbformat.write(notebook, target)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="build only notebooks whose file name contains one of these")
    parser.add_argument("--quick", action="store_true", help=f"small sizes ({QUICK_VARIABLE}=1)")
    parser.add_argument("--no-execute", action="store_true", help="convert without running")
    args = parser.parse_args()
    chosen = scripts(args.names)
    if not chosen:
        sys.exit(f"build.py: no notebook matches {args.names}; scripts: {[p.name for p in scripts()]}")
    for script in chosen:
        start = time.perf_counter()
        target = build(script, run=not args.no_execute, quick=args.quick)
        print(f"{target.relative_to(HERE.parent)}  ({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
