"""The `tinygrad-edu` command: `demo`, `gradcheck` and `graph`."""

from __future__ import annotations

import argparse
from typing import Sequence


def _demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(args)


def _gradcheck(args: argparse.Namespace) -> int:
    from .opinfo import run_gradcheck_command

    return run_gradcheck_command(args)


def _graph(args: argparse.Namespace) -> int:
    from .graph import run_graph_command

    return run_graph_command(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tinygrad-edu", description="A NumPy autograd engine for learning deep learning.")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="train a small MLP on spiral data and write plots and its graph")
    from .demo import add_demo_arguments

    add_demo_arguments(demo)
    demo.set_defaults(run=_demo)

    check = commands.add_parser("gradcheck", help="gradient-check every registered op (float64, 1st and 2nd order)")
    check.add_argument("--op", action="append", metavar="NAME", help="check only this op (repeatable)")
    check.add_argument("--seed", type=int, default=0, help="seed of the random sample inputs (default 0)")
    check.add_argument("--list", action="store_true", help="list the registered ops and exit")
    check.set_defaults(run=_gradcheck)

    graph = commands.add_parser("graph", help="render the computation graph of an example model or your function")
    from .graph import add_graph_arguments

    add_graph_arguments(graph)
    graph.set_defaults(run=_graph)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.run(args) or 0)
