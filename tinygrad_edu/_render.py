"""Turning DOT text into images: renderer lookup (system `dot`, else `graphviz-pure`) and the
object `draw_graph` returns (`.source`, `.render`, `.pipe`, Jupyter display)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

FORMATS = ("png", "svg", "pdf", "dot")
_PURE_FORMATS = ("png", "svg")


class RendererNotFoundError(RuntimeError):
    """No program that can turn DOT text into the requested image format was found."""


def _pure_candidates() -> list[Path]:
    """Where `graphviz-pure` may live: beside this environment's Python (not on PATH when the venv
    is not activated), then on PATH."""
    here = Path(sys.executable).parent
    names = ("graphviz-pure.exe", "graphviz-pure") if os.name == "nt" else ("graphviz-pure",)
    candidates = [here / name for name in names] + [here / "Scripts" / name for name in names]
    found = shutil.which("graphviz-pure")
    if found:
        candidates.append(Path(found))
    return candidates


def find_renderer(format: str = "png") -> str:
    """Path of the program that renders `format`: the system `dot` when on PATH, else `graphviz-pure`
    (png and svg only). Raises RendererNotFoundError saying how to install one."""
    if format not in FORMATS or format == "dot":
        raise ValueError(f"find_renderer: format must be one of png, svg, pdf, got {format!r}")
    system_dot = shutil.which("dot")
    if system_dot:
        return system_dot
    pure = next((str(p) for p in _pure_candidates() if p.is_file() and os.access(p, os.X_OK)), None)
    if format == "pdf":
        raise RendererNotFoundError(
            "draw_graph: pdf output needs the system Graphviz `dot` program, which is not on PATH "
            + ("(graphviz-pure, found here, renders png and svg only)" if pure else "")
            + "; install Graphviz (apt-get install graphviz, brew install graphviz or conda install graphviz) "
            "or render png/svg instead. `.source` always gives the DOT text."
        )
    if pure is None:
        raise RendererNotFoundError(
            f"draw_graph: cannot render {format}: no Graphviz renderer found (looked for `dot` on PATH and "
            f"`graphviz-pure` beside {sys.executable} and on PATH). Install one: `pip install graphviz-pure` "
            "(no system packages needed; png and svg) or the system Graphviz (apt-get install graphviz, "
            "brew install graphviz, conda install graphviz). `.source` always gives the DOT text."
        )
    return pure


class GraphDrawing:
    """A rendered-on-demand computation graph: `.source` is the DOT text, `.digraph` the underlying
    `graphviz.Digraph`; `.render()`/`.pipe()` produce images, and Jupyter displays it as SVG."""

    def __init__(self, digraph: Any) -> None:
        self.digraph = digraph

    @property
    def source(self) -> str:
        """The DOT text of the graph (needs no renderer)."""
        return self.digraph.source

    def pipe(self, format: str = "svg") -> bytes:
        """Render to `format` (png, svg, pdf or dot) and return the bytes."""
        if format not in FORMATS:
            raise ValueError(f"render: format must be one of {', '.join(FORMATS)}, got {format!r}")
        if format == "dot":
            return self.source.encode()
        program = find_renderer(format)
        result = subprocess.run([program, f"-T{format}"], input=self.source.encode(), capture_output=True)
        if result.returncode != 0:
            raise RuntimeError(
                f"render: {Path(program).name} failed to render {format} (exit code {result.returncode}): "
                f"{result.stderr.decode(errors='replace').strip()}"
            )
        return result.stdout

    def render(self, path: str | os.PathLike, format: str | None = None) -> Path:
        """Write the graph to `path` as png, svg, pdf or dot; the format comes from the suffix unless
        given (a path without that suffix gets it appended). Returns the written path."""
        path = Path(path)
        if format is None:
            format = path.suffix.lstrip(".").lower() or "png"
        if format not in FORMATS:
            raise ValueError(
                f"render: format must be one of {', '.join(FORMATS)}, got {format!r} (from {str(path)!r}); "
                "pass format= or use a .png, .svg, .pdf or .dot file name"
            )
        if path.suffix.lower() != f".{format}":
            path = path.with_name(path.name + f".{format}")
        data = self.pipe(format)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    def _repr_svg_(self) -> str:
        return self.pipe("svg").decode()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """Jupyter display: the SVG image, or the DOT text with the reason when nothing can render."""
        try:
            return {"image/svg+xml": self._repr_svg_()}
        except RendererNotFoundError as err:
            return {"text/plain": f"{err}\n\n{self.source}"}

    def __repr__(self) -> str:
        return f"<GraphDrawing: {self.source.count(' -> ')} edges; .source for DOT, .render(path) for an image>"
