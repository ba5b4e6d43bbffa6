"""Run the PyTorch programs of this folder unchanged under tinygrad_edu, and under PyTorch to compare.

Each program is ordinary PyTorch code (`import torch`, `import torch.nn as nn`, ...). Under the
engine `tinygrad_edu` an import hook answers every `torch` module path with the tinygrad_edu module
of the same path (`torch.nn.functional` is `tinygrad_edu.nn.functional`), so the file runs as it
is. The programs print their key numbers; two runs agree when every printed line has the same text
and its numbers are equal to float tolerance.

    python tests/programs/run.py makemore_bigram_counts.py     # run under both engines and compare
    python tests/programs/run.py --engine tinygrad_edu d2l_linreg_scratch.py   # just show the output
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.abc
import importlib.util
import io
import json
import math
import os
import re
import runpy
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

PROGRAMS_DIR = Path(__file__).resolve().parent
ENGINES = ("tinygrad_edu", "torch")
KINDS = ("tutorial", "blitz", "basics", "nntut", "micrograd", "makemore", "d2l")

# the programs `make test` runs (quick ones, one or more of every kind); `make programs` runs all
FAST = (
    "tutorial_tensor_polynomial", "tutorial_custom_function", "blitz_tensors", "blitz_autograd",
    "basics_build_model", "basics_dataloader", "nntut_from_scratch", "micrograd_engine_ops", "micrograd_neuron",
    "makemore_bigram_counts", "makemore_manual_backprop", "d2l_softmax_scratch",
)

# programs expected to fail under tinygrad_edu until an item the lead is implementing lands (the lead
# removes an entry when it is merged); a pending program that starts to pass is reported too
PENDING: dict[str, str] = {}

RTOL, ATOL = 1e-4, 1e-5  # how close two float32 engines' printed numbers must be

_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[-+]?\b(?:nan|inf)\b")


class TorchAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """An import hook that answers `import torch.x.y` with the module `tinygrad_edu.x.y`."""

    def find_spec(self, fullname: str, path: object = None, target: object = None):
        if fullname != "torch" and not fullname.startswith("torch."):
            return None
        engine_name = "tinygrad_edu" + fullname[len("torch"):]
        if importlib.util.find_spec(engine_name) is None:
            return None  # Python then raises ModuleNotFoundError naming the torch path
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        module = importlib.import_module("tinygrad_edu" + spec.name[len("torch"):])
        self._own_spec = module.__spec__  # the import system overwrites it with the alias's spec
        return module

    def exec_module(self, module) -> None:
        module.__spec__ = self._own_spec


def program_names() -> list[str]:
    """Every program of the folder, by name without `.py`."""
    return sorted(p.stem for p in PROGRAMS_DIR.glob("*.py") if p.stem.split("_")[0] in KINDS)


def _execute(name: str) -> dict:
    """Run one program in this process (in a fresh namespace and a scratch working directory)."""
    import torch  # the engine chosen by the caller (the real one, or tinygrad_edu through the hook)

    default_dtype = torch.get_default_dtype()
    output, here = io.StringIO(), os.getcwd()
    result = {"output": "", "error": None}
    with tempfile.TemporaryDirectory() as scratch:
        os.chdir(scratch)
        try:
            with contextlib.redirect_stdout(output):
                runpy.run_path(str(PROGRAMS_DIR / f"{name}.py"), run_name="__main__")
        except BaseException:  # noqa: BLE001  (a failing program is a result, reported with its traceback)
            result["error"] = traceback.format_exc(limit=-4)
        finally:
            os.chdir(here)
            torch.set_default_dtype(default_dtype)
    result["output"] = output.getvalue()
    return result


def run_in_process(names: list[str], engine: str) -> dict[str, dict]:
    """Run the programs one after another in this process under `engine`."""
    if engine == "tinygrad_edu":
        sys.meta_path.insert(0, TorchAlias())
    return {name: _execute(name) for name in names}


def start_batch(names: list[str], engine: str) -> subprocess.Popen:
    """Start running the programs under `engine` in one fresh subprocess (see finish_batch)."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    command = [sys.executable, str(Path(__file__).resolve()), "--engine", engine, "--json", *names]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def finish_batch(process: subprocess.Popen, timeout: float = 900) -> dict[str, dict]:
    """Wait for a batch started by start_batch; {name: {"output", "error"}}."""
    stdout, stderr = process.communicate(timeout=timeout)
    if process.returncode != 0:
        raise RuntimeError(f"the runner itself failed ({' '.join(process.args[2:4])}):\n{stderr}")
    return json.loads(stdout)


def run_batches(names: list[str]) -> tuple[dict[str, dict], dict[str, dict] | None]:
    """The programs under tinygrad_edu and, when PyTorch is installed, under torch (side by side)."""
    ours = start_batch(names, "tinygrad_edu")
    theirs = start_batch(names, "torch") if torch_installed() else None
    return finish_batch(ours), (finish_batch(theirs) if theirs is not None else None)


def _split(line: str) -> tuple[str, list[float]]:
    """A printed line as its text (numbers replaced by #) and its numbers."""
    return _NUMBER.sub("#", line), [float(n) for n in _NUMBER.findall(line)]


def compare(ours: str, theirs: str) -> list[str]:
    """The differences between a program's output under tinygrad_edu and under torch (empty when
    every line has the same text and numbers within RTOL/ATOL)."""
    ours_lines, theirs_lines = ours.splitlines(), theirs.splitlines()
    if len(ours_lines) != len(theirs_lines):
        return [f"{len(ours_lines)} lines printed under tinygrad_edu, {len(theirs_lines)} under torch"]
    problems = []
    for number, (a, b) in enumerate(zip(ours_lines, theirs_lines), 1):
        (text_a, nums_a), (text_b, nums_b) = _split(a), _split(b)
        close = len(nums_a) == len(nums_b) and all(
            math.isclose(x, y, rel_tol=RTOL, abs_tol=ATOL) or (math.isnan(x) and math.isnan(y))
            for x, y in zip(nums_a, nums_b))
        if text_a != text_b or not close:
            problems.append(f"line {number}: tinygrad_edu {a!r} != torch {b!r}")
    return problems


def torch_installed() -> bool:
    return importlib.util.find_spec("torch") is not None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("programs", nargs="*", help="program names or files (default: all)")
    parser.add_argument("--engine", choices=ENGINES, help="run under this engine only and print the output")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # the batch protocol
    args = parser.parse_args(argv)
    names = [Path(p).stem for p in args.programs] or program_names()
    if args.json:
        with contextlib.redirect_stdout(sys.stderr):  # stray prints of the engines stay out of the JSON
            results = run_in_process(names, args.engine)
        print(json.dumps(results))
        return 0
    if args.engine:
        results = run_in_process(names, args.engine)
        for name, result in results.items():
            print(f"== {name} ({args.engine})\n{result['output']}{result['error'] or ''}", end="")
        return int(any(r["error"] for r in results.values()))
    ours, theirs = run_batches(names)
    theirs = theirs or {}
    failures = 0
    for name in names:
        problems = [ours[name]["error"]] if ours[name]["error"] else []
        if name in theirs:
            problems += [f"under torch: {theirs[name]['error']}"] if theirs[name]["error"] else \
                compare(ours[name]["output"], theirs[name]["output"])
        if name in PENDING:
            status = "pending: " + PENDING[name] if problems else "PASSES: remove its PENDING entry"
        else:
            status = "FAIL" if problems else "ok"
        failures += status == "FAIL" or status.startswith("PASSES")
        print(f"{name}: {status}")
        for problem in problems if status == "FAIL" else ():
            print("    " + problem.replace("\n", "\n    "))
    return int(failures > 0)


if __name__ == "__main__":
    sys.exit(main())
