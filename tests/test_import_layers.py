"""The import structure of tinygrad_edu, checked by reading its source with `ast` (nothing is imported).

Every import statement counts, at module level or inside a function (only those under
`if TYPE_CHECKING:` are skipped), so a lazy import inside a function hides neither a cycle nor a
layering violation. Checked:

(a) there is no import cycle between the package's modules;
(b) the autograd core (`tinygrad_edu/autograd/`) is layered: each of its modules imports only core
    modules listed before it in CORE_ORDER (its `__init__` may import them all), and nothing of
    tinygrad_edu outside the core;
(c) no file of `tinygrad_edu/` is longer than MAX_LINES lines;
(d) the top layers (TOP_LAYERS: the exercises of the course) are imported by no module outside
    themselves: they are built on the engine, nn and optim, and nothing is built on them.

How statements are read: `import a.b` imports `a.b` (and runs the packages `a` on the way);
`from M import n` imports `M`, and also `M.n` when that is a module file; `from . import n` with `n`
a submodule therefore imports just `n`, since `M` is the file's own package. Relative names are
resolved against the file's package. An edge to one of the file's own enclosing packages is not an
import the file makes (Python runs enclosing packages before the file), so it is left out of the
cycle check; the layer check only refuses an import that names the top-level package outright
(`import tinygrad_edu`, `from tinygrad_edu import Tensor`), which reaches everything it re-exports.
"""

from __future__ import annotations

import ast
import importlib.util
from collections import deque
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

# ----------------------------------------------------------------------------------------------
# the rules

REPO = Path(__file__).resolve().parent.parent
PACKAGE = "tinygrad_edu"
# where the package's source lives: tinygrad_edu/, plus the subpackages that pyproject.toml maps to
# top-level folders ([tool.setuptools.package-dir]), so that a cycle through them is seen too
SOURCE_DIRS = {"tinygrad_edu": "tinygrad_edu", "tinygrad_edu.nn": "nn", "tinygrad_edu.optim": "optim"}
CORE = "tinygrad_edu.autograd"
CORE_ORDER = ("mode", "dtypes", "versions", "tensor", "several_outputs", "function", "backprop")  # each may import only earlier ones
MAX_LINES = 500
LINE_LIMIT_DIR = "tinygrad_edu"  # the folder whose every .py file must stay within MAX_LINES
TOP_LAYERS = ("tinygrad_edu.exercises",)  # packages that only users (notebooks, tests) import


# ----------------------------------------------------------------------------------------------
# reading the source


@dataclass(frozen=True)
class Module:
    name: str  # dotted module name
    path: Path
    is_package: bool  # an __init__.py

    @property
    def package(self) -> str:
        """The package relative imports in this file are resolved against."""
        return self.name if self.is_package else self.name.rpartition(".")[0]

    @property
    def enclosing(self) -> set[str]:
        """The packages Python runs before this file: every proper prefix of its name."""
        parts = self.name.split(".")
        return {".".join(parts[:i]) for i in range(1, len(parts))}


@dataclass(frozen=True)
class Import:
    target: str  # dotted module name
    line: int
    named: bool  # the statement names this module (False: a package run on the way to it)


def discover(root: Path, source_dirs: dict[str, str]) -> dict[str, Module]:
    """Every module under the source folders, by dotted name."""
    modules = {}
    for package, folder in source_dirs.items():
        base = root / folder
        for path in sorted(base.rglob("*.py")):
            parts = path.relative_to(base).with_suffix("").parts
            is_package = parts[-1] == "__init__"
            name = ".".join((package, *(parts[:-1] if is_package else parts)))
            modules[name] = Module(name, path, is_package)
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


class _ImportStatements(ast.NodeVisitor):
    """Collects every import statement of a file, wherever it is, except under `if TYPE_CHECKING:`."""

    def __init__(self) -> None:
        self.found: list[ast.Import | ast.ImportFrom] = []

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for statement in node.orelse:
                self.visit(statement)
        else:
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        self.found.append(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self.found.append(node)


def _with_packages(name: str, line: int) -> list[Import]:
    """`name` itself, and the packages Python runs to reach it."""
    parts = name.split(".")
    return [Import(".".join(parts[:i]), line, named=i == len(parts)) for i in range(1, len(parts) + 1)]


def imports_of(module: Module, modules: dict[str, Module]) -> list[Import]:
    """The modules of its own top-level package that `module`'s import statements import."""
    collector = _ImportStatements()
    collector.visit(ast.parse(module.path.read_text(encoding="utf-8"), filename=str(module.path)))
    found = []
    for statement in collector.found:
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                found += _with_packages(alias.name, statement.lineno)
            continue
        base = importlib.util.resolve_name("." * statement.level + (statement.module or ""), module.package)
        submodules = [f"{base}.{alias.name}" for alias in statement.names if f"{base}.{alias.name}" in modules]
        takes_attributes = len(submodules) < len(statement.names)  # some names come from base's __init__
        found += [Import(i.target, i.line, i.named and takes_attributes)
                  for i in _with_packages(base, statement.lineno)]
        found += [Import(sub, statement.lineno, named=True) for sub in submodules]
    top = module.name.partition(".")[0]
    return [i for i in found if i.target == top or i.target.startswith(top + ".")]


def import_graph(modules: dict[str, Module]) -> dict[str, dict[str, int]]:
    """module -> {module it imports: line of the first such import}, within the package."""
    graph: dict[str, dict[str, int]] = {}
    for name, module in modules.items():
        edges = graph[name] = {}
        for i in imports_of(module, modules):
            if i.target in modules and i.target != name and i.target not in module.enclosing:
                edges.setdefault(i.target, i.line)
    return graph


@cache
def package_modules() -> dict[str, Module]:
    return discover(REPO, SOURCE_DIRS)


def _file(module: Module) -> str:
    return module.path.relative_to(REPO).as_posix() if module.path.is_relative_to(REPO) else str(module.path)


# ----------------------------------------------------------------------------------------------
# (a) cycles


def _shortest_path(graph: dict[str, dict[str, int]], source: str, target: str) -> list[str] | None:
    """The shortest path of at least one edge from `source` to `target` (breadth-first), or None."""
    came_from: dict[str, str] = {}
    queue = deque([source])
    while queue:
        node = queue.popleft()
        for successor in graph.get(node, {}):
            if successor not in came_from:
                came_from[successor] = node
                if successor == target:
                    path = [target]
                    while path[-1] != source or len(path) == 1:
                        path.append(came_from[path[-1]])
                    return path[::-1]
                queue.append(successor)
    return None


def find_cycles(graph: dict[str, dict[str, int]]) -> list[tuple[list[str], list[str]]]:
    """For each group of mutually importing modules: one shortest cycle through it, as [a, b, ..., a],
    and the whole group."""
    found, seen = [], set()
    for start in sorted(graph):
        if start in seen:
            continue
        cycle = _shortest_path(graph, start, start)
        if cycle is None:
            continue
        group = [n for n in sorted(graph)
                 if n == start or (_shortest_path(graph, start, n) and _shortest_path(graph, n, start))]
        seen.update(group)
        found.append((cycle, group))
    return found


def describe_cycle(cycle: list[str], group: list[str], graph: dict[str, dict[str, int]],
                   modules: dict[str, Module]) -> str:
    lines = [" -> ".join(cycle)]
    lines += [f"    {_file(modules[a])}:{graph[a][b]} imports {b}" for a, b in zip(cycle, cycle[1:])]
    if len(group) > len(cycle) - 1:
        lines.append(f"    (one of {len(group)} modules that all import each other: {', '.join(group)})")
    return "\n".join(lines)


def test_no_import_cycles():
    modules = package_modules()
    graph = import_graph(modules)
    cycles = find_cycles(graph)
    if cycles:
        pytest.fail("import cycles (imports inside functions count):\n" + "\n".join(
            describe_cycle(cycle, group, graph, modules) for cycle, group in cycles), pytrace=False)


# ----------------------------------------------------------------------------------------------
# (b) the layers of the autograd core

CORE_RANK = {f"{CORE}.{name}": rank for rank, name in enumerate(CORE_ORDER)} | {CORE: len(CORE_ORDER)}


def in_core(name: str) -> bool:
    return name == CORE or name.startswith(CORE + ".")


def layer_violations(module: Module, modules: dict[str, Module]) -> list[str]:
    """What `module` (a core module) imports that its rank does not allow."""
    rank = CORE_RANK[module.name]
    problems = []
    for i in imports_of(module, modules):
        where = f"{_file(module)}:{i.line} imports {i.target}"
        if i.target == module.name:
            continue
        if i.target in module.enclosing:
            if i.named and not in_core(i.target):  # e.g. `import tinygrad_edu as tg`
                problems.append(f"{where}: the top-level package, which re-exports everything outside the core")
        elif not in_core(i.target):
            problems.append(f"{where}: the core must not import anything of {PACKAGE} outside {CORE}")
        elif i.target not in CORE_RANK:
            problems.append(f"{where}: not a core module listed in CORE_ORDER")
        elif CORE_RANK[i.target] >= rank:
            problems.append(f"{where}: a core module may import only modules before it in {CORE_ORDER}")
    return problems


def core_modules() -> dict[str, Module]:
    modules = package_modules()
    core = {name: m for name, m in modules.items() if in_core(name)}
    if CORE not in core or not core[CORE].is_package:
        found = ", ".join(_file(m) for m in core.values()) or "nothing"
        pytest.fail(f"{CORE} is not a package: expected tinygrad_edu/autograd/__init__.py, found {found}",
                    pytrace=False)
    return core


def test_core_consists_of_the_listed_modules():
    core = core_modules()
    unlisted = sorted(_file(m) for name, m in core.items() if name not in CORE_RANK)
    missing = sorted(name for name in CORE_RANK if name not in core)
    assert not unlisted, f"core modules missing from CORE_ORDER (give them a place in the order): {unlisted}"
    assert not missing, f"modules of CORE_ORDER with no file in tinygrad_edu/autograd/: {missing}"


def test_core_imports_only_earlier_core_modules():
    modules = package_modules()
    problems = [p for name, m in sorted(core_modules().items()) if name in CORE_RANK
                for p in layer_violations(m, modules)]
    if problems:
        pytest.fail("layering violations in the autograd core:\n  " + "\n  ".join(problems), pytrace=False)


# ----------------------------------------------------------------------------------------------
# (c) file length


def test_no_file_exceeds_the_line_limit():
    too_long = []
    for path in sorted((REPO / LINE_LIMIT_DIR).rglob("*.py")):
        count = len(path.read_text(encoding="utf-8").splitlines())
        if count > MAX_LINES:
            too_long.append(f"{path.relative_to(REPO).as_posix()}: {count} lines")
    if too_long:
        pytest.fail(f"files longer than {MAX_LINES} lines:\n  " + "\n  ".join(too_long), pytrace=False)


# ----------------------------------------------------------------------------------------------
# (d) the top layers


def in_package(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def top_layer_violations(modules: dict[str, Module]) -> list[str]:
    """Imports of a top-layer package made from a module outside it."""
    return [f"{_file(module)}:{i.line} imports {i.target}"
            for name, module in sorted(modules.items())
            for i in imports_of(module, modules)
            for top in TOP_LAYERS
            if in_package(i.target, top) and not in_package(name, top)]


def test_top_layers_are_imported_by_nothing_below():
    modules = package_modules()
    assert all(top in modules for top in TOP_LAYERS), f"missing top-layer packages: {TOP_LAYERS}"
    problems = top_layer_violations(modules)
    if problems:
        pytest.fail(f"modules below {', '.join(TOP_LAYERS)} import it:\n  " + "\n  ".join(problems), pytrace=False)


# ----------------------------------------------------------------------------------------------
# the checker itself, on a small made-up package


def make_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_checker_resolves_imports_and_finds_the_cycle(tmp_path):
    make_tree(tmp_path, {
        "pkg/__init__.py": "from .a import f\n",
        "pkg/a.py": "from . import b\nimport pkg\n",  # `import pkg`: its own package, not an edge
        "pkg/b.py": "def g():\n    from .sub.c import h\n",  # a lazy import counts
        "pkg/sub/__init__.py": "",
        "pkg/sub/c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..a import f\n"
                        "else:\n    from .. import b\n",
    })
    modules = discover(tmp_path, {"pkg": "pkg"})
    graph = import_graph(modules)
    assert graph == {"pkg": {"pkg.a": 1}, "pkg.a": {"pkg.b": 1}, "pkg.b": {"pkg.sub": 2, "pkg.sub.c": 2},
                     "pkg.sub": {}, "pkg.sub.c": {"pkg.b": 5}}
    [(cycle, group)] = find_cycles(graph)
    assert cycle == ["pkg.b", "pkg.sub.c", "pkg.b"] and group == ["pkg.b", "pkg.sub.c"]
    assert describe_cycle(cycle, group, graph, modules).splitlines() == [
        "pkg.b -> pkg.sub.c -> pkg.b",
        f"    {modules['pkg.b'].path}:2 imports pkg.sub.c",
        f"    {modules['pkg.sub.c'].path}:5 imports pkg.b",
    ]


def test_checker_enforces_the_core_layers(tmp_path):
    make_tree(tmp_path, {
        "tinygrad_edu/__init__.py": "", "tinygrad_edu/ops.py": "",
        "tinygrad_edu/autograd/__init__.py": "from .backprop import grad\n",
        "tinygrad_edu/autograd/mode.py": "",
        "tinygrad_edu/autograd/tensor.py": "from . import mode\nfrom tinygrad_edu.autograd.mode import x\n"
                                           "def f():\n    from .backprop import grad\n    from .. import ops\n"
                                           "    import tinygrad_edu as tg\n",
        "tinygrad_edu/autograd/backprop.py": "from .tensor import Tensor\nfrom .mode import no_grad\n",
    })
    modules = discover(tmp_path, {"tinygrad_edu": "tinygrad_edu"})
    problems = {name: layer_violations(modules[name], modules) for name in modules if in_core(name)}
    assert problems[CORE] == problems[f"{CORE}.backprop"] == problems[f"{CORE}.mode"] == []
    assert [p.split(": ")[0].rpartition("/")[2] for p in problems[f"{CORE}.tensor"]] == [
        "tensor.py:4 imports tinygrad_edu.autograd.backprop",
        "tensor.py:5 imports tinygrad_edu.ops",
        "tensor.py:6 imports tinygrad_edu",
    ]


def test_checker_finds_an_import_of_the_top_layer(tmp_path):
    make_tree(tmp_path, {
        "tinygrad_edu/__init__.py": "", "tinygrad_edu/ops.py": "def f():\n    from .exercises import grading\n",
        "tinygrad_edu/exercises/__init__.py": "from . import grading\nimport tinygrad_edu.ops\n",
        "tinygrad_edu/exercises/grading.py": "from .. import ops\n",
    })
    modules = discover(tmp_path, {"tinygrad_edu": "tinygrad_edu"})
    assert [p.rpartition("/")[2] for p in top_layer_violations(modules)] == [
        "ops.py:2 imports tinygrad_edu.exercises", "ops.py:2 imports tinygrad_edu.exercises.grading"]


# ----------------------------------------------------------------------------------------------
# (d) the function transforms sit above the ops and below everything else

FUNC = "tinygrad_edu.func"
FUNC_MAY_IMPORT = (CORE, "tinygrad_edu.ops", "tinygrad_edu.methods", "tinygrad_edu.random", FUNC)


def test_func_imports_only_the_layers_below_it():
    modules = package_modules()
    problems = []
    for name, module in sorted(modules.items()):
        if name != FUNC and not name.startswith(FUNC + "."):
            continue
        for i in imports_of(module, modules):
            if i.target in module.enclosing or any(i.target == a or i.target.startswith(a + ".")
                                                   for a in FUNC_MAY_IMPORT):
                continue
            problems.append(f"{_file(module)}:{i.line} imports {i.target}")
    assert FUNC in modules, f"{FUNC} is missing"
    assert not problems, f"{FUNC} may import only {FUNC_MAY_IMPORT}:\n  " + "\n  ".join(problems)
