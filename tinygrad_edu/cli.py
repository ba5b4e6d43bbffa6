"""The `tinygrad-edu` command: `demo`, `gradcheck` and `graph`, each a thin layer over the
library (the demo, the op registry, draw_graph)."""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any, Sequence

from . import __version__
from .autograd import Tensor
from .demo import add_demo_arguments, run_demo

GRAPH_RETURNS = "a Tensor, a list of Tensors or a (Tensor, Module) pair"


# ----------------------------------------------------------------------------------------------
# tinygrad-edu gradcheck


def run_gradcheck_command(args: argparse.Namespace) -> int:
    from .opinfo import REGISTRY, REGISTRY_BY_NAME, all_cases, worst_errors

    """`tinygrad-edu gradcheck`: a table of the worst gradient error per registered op."""
    if args.list:
        print("\n".join(info.name for info in REGISTRY))
        return 0
    names = args.op or [info.name for info in REGISTRY]
    unknown = [n for n in names if n not in REGISTRY_BY_NAME]
    if unknown:
        print(f"gradcheck: unknown op(s) {', '.join(unknown)}; `tinygrad-edu gradcheck --list` lists them")
        return 2
    print(f"{'op':<22} {'cases':>5} {'1st-order err':>14} {'2nd-order err':>14}  verdict")
    failures = 0
    for name in names:
        info = REGISTRY_BY_NAME[name]
        try:
            first, second, passed = worst_errors(info, args.seed)
        except Exception as err:  # an op that crashes is reported as a failure, the table goes on
            failures += 1
            print(f"{name:<22} {len(all_cases(info)):>5}  error: {type(err).__name__}: {err}  FAIL")
            continue
        failures += not passed
        second_text = f"{second:14.2e}" if info.second_order else f"{'-':>14}"
        print(f"{name:<22} {len(all_cases(info)):>5} {first:14.2e} {second_text}  {'PASS' if passed else 'FAIL'}")
    print(f"{len(names) - failures} passed, {failures} failed (float64, eps=1e-6, atol=1e-5, rtol=1e-3, seed={args.seed})")
    return 1 if failures else 0


# ----------------------------------------------------------------------------------------------
# tinygrad-edu graph


def add_graph_arguments(parser: Any) -> None:
    """The options of `tinygrad-edu graph` (one flag per draw_graph view option)."""
    from .graph import RANKDIRS, VIEWS

    parser.add_argument("example", help="a built-in example (mlp, cnn, scalar) or path/to/file.py:function returning "
                                        f"{GRAPH_RETURNS}")
    parser.add_argument("-o", "--output", help="output file: .png, .svg, .pdf (system Graphviz only) or .dot; '-' "
                                               "prints the DOT text (default: EXAMPLE.png)")
    parser.add_argument("--view", choices=VIEWS, default="forward",
                        help="forward: tensors and ops; backward: backward nodes and saved tensors (default forward)")
    parser.add_argument("--show-data", action="store_true", help="show tensor values (summaries for large ones)")
    parser.add_argument("--show-grad", action="store_true", help="show gradients (summaries for large ones)")
    parser.add_argument("--color-grad", action="store_true", help="colour nodes by gradient RMS on a log scale")
    parser.add_argument("--no-saved", action="store_true", help="backward view: hide saved tensors")
    parser.add_argument("--max-depth", type=int, metavar="N", help="draw only the N ops nearest the output")
    parser.add_argument("--rankdir", choices=RANKDIRS, help="layout direction (default TB)")
    parser.add_argument("--highlight", action="append", metavar="NAME",
                        help="highlight the path from the tensor of this name (e.g. fc1.weight) to the output")
    parser.add_argument("--collapse", action="append", default=[], metavar="MODULE",
                        help="draw this submodule as one box (repeatable)")
    parser.add_argument("--collapse-repeats", action="store_true", help="collapse runs of identical numbered blocks")
    parser.add_argument("--no-clusters", action="store_true", help="do not group ops by module")
    parser.add_argument("--compact", action="store_true", help="draw each op and its output as one node")


def _load_user_function(spec: str) -> dict[str, Any]:
    """Run `path/to/file.py:function` and turn what it returns into draw_graph arguments."""
    path, _, function = spec.rpartition(":")
    if not path or not function:
        raise ValueError(f"graph: {spec!r} is neither a built-in example (mlp, cnn, scalar) nor path/to/file.py:function")
    if not Path(path).is_file():
        raise FileNotFoundError(f"graph: no such file {path!r} (from {spec!r})")
    loader_spec = importlib.util.spec_from_file_location(Path(path).stem, path)
    user_module = importlib.util.module_from_spec(loader_spec)
    loader_spec.loader.exec_module(user_module)
    if not callable(getattr(user_module, function, None)):
        raise AttributeError(f"graph: {path} has no function {function!r}")
    result = getattr(user_module, function)()
    if isinstance(result, tuple) and len(result) == 2 and hasattr(result[1], "named_parameters"):
        roots, module = result
    else:
        roots, module = result, None
    tensors = list(roots) if isinstance(roots, (list, tuple)) else [roots]
    if not tensors or not all(isinstance(t, Tensor) for t in tensors):
        raise TypeError(f"graph: {spec} returned {_describe(result)}; it must return {GRAPH_RETURNS} "
                        f"(the output whose graph is drawn, e.g. `return loss` or `return loss, model`)")
    return {"roots": roots} if module is None else {"roots": roots, "module": module}


def _describe(value: Any) -> str:
    """What a value is, for an error message: 'int', or 'a list of Tensor, str'."""
    if isinstance(value, (list, tuple)):
        kinds = ", ".join(sorted({type(item).__name__ for item in value})) or "nothing"
        return f"a {type(value).__name__} of {kinds}"
    return type(value).__name__


def run_graph_command(args: Any) -> int:
    """`tinygrad-edu graph`: build the example, draw it with the chosen options and write the file."""
    from ._graph_examples import EXAMPLES
    from .graph import RendererNotFoundError, draw_graph

    try:
        kwargs = EXAMPLES[args.example]() if args.example in EXAMPLES else _load_user_function(args.example)
    except (ValueError, FileNotFoundError, AttributeError, TypeError) as err:
        print(err, file=sys.stderr)
        return 2
    kwargs["show_data"] = kwargs.get("show_data", False) or args.show_data
    kwargs["show_grad"] = kwargs.get("show_grad", False) or args.show_grad
    kwargs.update(view=args.view, color_by_grad=args.color_grad, show_saved=not args.no_saved,
                  max_depth=args.max_depth, highlight=args.highlight, collapse=args.collapse,
                  collapse_repeats=args.collapse_repeats, cluster=not args.no_clusters, compact=args.compact)
    if args.rankdir:
        kwargs["rankdir"] = args.rankdir
    try:
        drawing = draw_graph(kwargs.pop("roots"), **kwargs)
    except (ValueError, TypeError) as err:
        print(err, file=sys.stderr)
        return 2
    if args.output == "-":
        print(drawing.source)
        return 0
    output = args.output or (f"{args.example}.png" if args.example in EXAMPLES else "graph.png")
    try:
        written = drawing.render(output)
    except (RendererNotFoundError, ValueError, RuntimeError) as err:
        print(err, file=sys.stderr)
        return 1
    print(f"wrote {written}")
    return 0


# ----------------------------------------------------------------------------------------------
# the parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tinygrad-edu", description="A NumPy autograd engine for learning deep learning.")
    parser.add_argument("--version", action="version", version=f"tinygrad-edu {__version__}")
    commands = parser.add_subparsers(dest="command")

    demo = commands.add_parser("demo", help="train a small MLP on spiral data and write plots and its graph")
    add_demo_arguments(demo)
    demo.set_defaults(run=run_demo)

    check = commands.add_parser("gradcheck", help="gradient-check every registered op (float64, 1st and 2nd order)")
    check.add_argument("--op", action="append", metavar="NAME", help="check only this op (repeatable)")
    check.add_argument("--seed", type=int, default=0, help="seed of the random sample inputs (default 0)")
    check.add_argument("--list", action="store_true", help="list the registered ops and exit")
    check.set_defaults(run=run_gradcheck_command)

    graph = commands.add_parser("graph", help="render the computation graph of an example model or your function")
    add_graph_arguments(graph)
    graph.set_defaults(run=run_graph_command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command named in `argv` (default: the process arguments); no command prints the help."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            parser.print_help()
            return 0
        return int(args.run(args) or 0)
    except BrokenPipeError:  # the reader went away (`tinygrad-edu gradcheck | head`): stop quietly
        _silence_stdout()
        return 1


def _silence_stdout() -> None:
    """Point stdout at the null device, so that Python's final flush of the closed pipe raises nothing."""
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, sys.stdout.fileno())
    os.close(null)
