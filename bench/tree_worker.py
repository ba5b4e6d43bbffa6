"""Child process of `python -m bench --against`: `python -m bench.tree_worker ROOT WORKLOAD STEPS [--quick]`
times STEPS interleaved steps of one workload's NumPy and tinygrad_edu engines, with the engine
imported from the prepared tree ROOT, and prints the step times and check values as one JSON line.

The parent (bench/against.py) runs it with ROOT first on PYTHONPATH and ROOT as working directory,
so `tinygrad_edu` comes from ROOT while `bench` (workloads, NumPy baselines) comes from the checkout
the command was started in; the worker refuses to time anything if an engine module lies elsewhere.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Sequence

from .harness import ENGINE, NUMPY, Options, blas_libraries, check_agreement, one_blas_thread, time_interleaved
from .workloads import NO_PEERS_NOTE, WORKLOADS


def engine_modules_outside(root: Path) -> list[str]:
    """Loaded tinygrad_edu modules whose file does not lie in `root` (namespace packages included)."""
    outside = []
    for name, module in list(sys.modules.items()):
        if name == ENGINE or name.startswith(ENGINE + "."):
            file = getattr(module, "__file__", None)
            if file is None or not Path(file).resolve().is_relative_to(root):
                outside.append(f"{name} from {file}")
    return outside


def require_engine_in(root: Path) -> None:
    """Raise RuntimeError unless every loaded tinygrad_edu module comes from the tree `root`."""
    outside = engine_modules_outside(root)
    if outside:
        raise RuntimeError(f"engine modules outside the tree {root}: {', '.join(outside)}")


def time_tree(root: Path, name: str, steps: int, quick: bool) -> dict[str, Any]:
    """Check and time `steps` steps of workload `name`'s NumPy and tinygrad_edu engines (peers off)."""
    import tinygrad_edu
    import tinygrad_edu.nn
    import tinygrad_edu.optim  # noqa: F401  (imported so that their location is checked before timing)

    require_engine_in(root)
    timing = WORKLOADS[name].timing
    if timing is None:
        raise ValueError(f"workload {name} has no timed steps")
    engines, notes = timing.build(Options(quick=quick, peers=False))
    engines = [e for e in engines if e.name in (NUMPY, ENGINE)]
    checks = check_agreement(engines, timing.check_steps, rtol=timing.rtol, atol=0.0)
    times, gc_share = time_interleaved(engines, steps)
    require_engine_in(root)  # again: the workload may have imported more of the engine lazily
    return {
        "engine_file": tinygrad_edu.__file__,
        "engine_version": tinygrad_edu.__version__,
        "blas": blas_libraries(),
        "notes": [note for note in notes if note != NO_PEERS_NOTE],
        "checks": checks,
        "times": {n: t.tolist() for n, t in times.items()},
        "gc_seconds": {n: gc_share[n] * float(t.sum()) for n, t in times.items()},
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.tree_worker", description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="prepared tree: ROOT/tinygrad_edu with nn/ and optim/ inside")
    parser.add_argument("workload", choices=[n for n, w in WORKLOADS.items() if w.timing is not None])
    parser.add_argument("steps", type=int)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    with one_blas_thread():
        result = time_tree(args.root.resolve(), args.workload, args.steps, args.quick)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
