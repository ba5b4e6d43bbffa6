"""The backward pass as an animation: `animate_backward(loss, "backward.html")` draws the graph once
per step of the walk that `backward()` runs, in the same order (`walk_order`), with the gradients
it computes (`node_gradients`): the node being run is highlighted, gradients that have arrived are
shown, pending ones greyed, and nodes used more than once (fan-out) are marked as sums.

Frames are made by the project's renderer (graphviz-pure, no system Graphviz needed) and written as
one offline HTML page (a slider and play/step buttons), an animated GIF, or a folder of SVG and PNG
files. Nothing of the user's graph changes: no `.grad` is touched and nothing is freed.
"""

from __future__ import annotations

import html
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._render import GraphDrawing
from .autograd import Node, Tensor, node_gradients, walk_order
from .graph import RANKDIRS, ModuleTrace, module_names, op_owners, walk_graph
from .graph_drawing import DotBuilder, DrawOptions, GraphWalk, _describe, _html

__all__ = ["animate_backward"]

PILLOW_HINT = 'pip install "tinygrad-edu[animation]"'
_STATE_STYLE = {  # fill, font and border colour of a node in each state of the walk
    "running": {"fillcolor": "#ffd54f", "fontcolor": "black", "color": "#d62728", "penwidth": "3"},
    "complete": {"fillcolor": "#c8f0c8", "fontcolor": "black", "color": "#2e7d32", "penwidth": "1.5"},
    "partial": {"fillcolor": "#f4f4f4", "fontcolor": "#555555", "color": "#8d8d8d", "penwidth": "1"},
    "pending": {"fillcolor": "#f4f4f4", "fontcolor": "#a0a0a0", "color": "#c4c4c4", "penwidth": "1"},
}
_LEGEND = (("running", "being run"), ("complete", "gradient complete"), ("partial", "partly arrived"),
           ("pending", "waiting"))
_SENDING = {"color": "#d62728", "penwidth": "2.5"}  # the edges the running node sends its shares along
MAX_STEPS = 400  # an animation is for graphs a learner can follow; bigger ones are drawn with draw_graph
_POINTS_PER_CHAR, _BOLD_POINTS_PER_CHAR, _LINE_POINTS = 6.2, 6.9, 12.5  # generous Helvetica 10pt text metrics


# ----------------------------------------------------------------------------------------------
# what each frame shows


@dataclass
class Frame:
    """The walk just before `current` runs (None: after the last node): how many of each node's
    and leaf's contributions have arrived, and a two-line caption."""

    current: Node | None
    arrived: dict[int, int]
    caption: tuple[str, str]


def _contributions_expected(walk: GraphWalk, root: Node) -> dict[int, int]:
    """id(node or leaf) -> how many gradient contributions it receives (edges into it; the root
    receives the starting gradient)."""
    counts = {id(root): 1}
    for op in walk.ops:
        for parent in op.parents:
            if parent is not None:
                counts[id(parent)] = counts.get(id(parent), 0) + 1
    return counts


def _frames(order: list[Node], consumers: dict[int, int]) -> list[Frame]:
    """One frame per step of the walk, then the finished state."""
    arrived = {id(order[0]): 1}
    frames = []
    for step, node in enumerate(order, 1):
        count = consumers[id(node)]
        source = ("the start: d output/d output = 1" if step == 1 else
                  f"the sum of {count} contributions" if count > 1 else "its one consumer")
        inputs = sum(p is not None for p in node.parents)
        caption = (f"step {step} of {len(order)}: {node.name()}Backward runs",
                   f"its gradient is complete ({source}); upstream x local derivative goes to its "
                   f"{inputs} input" + ("s" if inputs != 1 else ""))
        frames.append(Frame(node, dict(arrived), caption))
        for parent in node.parents:
            if parent is not None:
                arrived[id(parent)] = arrived.get(id(parent), 0) + 1
    frames.append(Frame(None, arrived, (f"done after {len(order)} steps: every leaf's gradient is complete",
                                        "(what backward() would add to .grad; this animation left .grad alone)")))
    return frames


class FrameBuilder(DotBuilder):
    """The backward view of draw_graph, coloured and labelled for one frame of the walk."""

    def __init__(self, walk: GraphWalk, opts: DrawOptions, names: dict[int, str], owners: dict[int, str],
                 param_module: dict[int, str], grads: dict[int, Any], frame: Frame,
                 consumers: dict[int, int]) -> None:
        super().__init__(walk, opts, names, owners, param_module, grads, set())
        self.frame, self.consumers = frame, consumers
        self.texts: dict[str, tuple[str, list[str]]] = {}  # key -> (title, lines), to size the node

    def state(self, key: int) -> str:
        if self.frame.current is not None and key == id(self.frame.current):
            return "running"
        arrived, needed = self.frame.arrived.get(key, 0), self.consumers.get(key, 1)
        return "complete" if arrived >= needed else "partial" if arrived else "pending"

    def values(self, data: Any, grad_key: int) -> list[str]:
        """The gradient lines of a node: its value once complete, else how much has arrived."""
        if data is not None and grad_key in self.op_index:  # the box of the output itself
            return ["grad 1 (backward starts here)"]
        needed = self.consumers.get(grad_key, 1)
        state = self.state(grad_key)
        if state in ("running", "complete"):
            g = self.grads.get(grad_key)
            lines = _describe(g, "grad", self.opts.max_elements) if g is not None else ["no gradient flows here"]
            return lines + ([f"= sum of {needed} contributions"] if needed > 1 else [])
        if state == "partial":
            return [f"{self.frame.arrived[grad_key]} of {needed} contributions arrived", "(their sum is pending)"]
        return ["waiting for its gradient"] + ([f"(a sum of {needed} contributions)"] if needed > 1 else [])

    def node(self, key: str, title: str, lines: list[str], kind: str, obj: Any = None, cluster: str | None = None,
             grad_key: int | None = None, **attrs: str) -> None:
        if grad_key is not None:
            attrs.update(_STATE_STYLE[self.state(grad_key)])
            if self.consumers.get(grad_key, 1) > 1:
                attrs["peripheries"] = "2"  # fan-out: its gradient is a sum
        self.texts[key] = (title, lines)
        super().node(key, title, lines, kind, cluster=cluster, **attrs)

    def edge(self, src: str, dst: str, src_obj: Any = None, dst_obj: Any = None, **attrs: str) -> None:
        if src_obj is not None and src_obj is self.frame.current:
            attrs.update(_SENDING)
        super().edge(src, dst, **attrs)


def _text_size(title: str, lines: list[str]) -> tuple[float, float]:
    """An upper bound of a label's width and height in points (so every frame's node is as big)."""
    width = max([len(title) * _BOLD_POINTS_PER_CHAR] + [len(line) * _POINTS_PER_CHAR for line in lines])
    return width, (len(lines) + bool(title)) * _LINE_POINTS


def _fix_sizes(builders: list[FrameBuilder]) -> None:
    """Give every node the size of its largest label over all frames: the layout never jumps."""
    sizes: dict[str, tuple[float, float]] = {}
    for builder in builders:
        for key, text in builder.texts.items():
            width, height = _text_size(*text)
            old = sizes.get(key, (0.0, 0.0))
            sizes[key] = (max(old[0], width), max(old[1], height))
    for builder in builders:
        for key, (width, height) in sizes.items():
            builder.nodes[key]["attrs"].update(width=f"{width / 72 + 0.25:.3f}", height=f"{height / 72 + 0.15:.3f}")


def _caption_label(caption: tuple[str, str], width: float) -> str:
    """The caption and the colour legend as an HTML-like graph label of a fixed minimum width."""
    legend = "".join(f'<td bgcolor="{_STATE_STYLE[s]["fillcolor"]}" border="1" color="{_STATE_STYLE[s]["color"]}">'
                     f'<font color="{_STATE_STYLE[s]["fontcolor"]}">{text}</font></td>' for s, text in _LEGEND)
    legend += '<td border="1" color="#777777">double border: a sum (fan-out)</td>'
    return (f'<<table border="0" cellspacing="4" cellpadding="3"><tr><td colspan="{len(_LEGEND) + 1}" '
            f'width="{width:.0f}" height="{2 * _LINE_POINTS + 8:.0f}">{_html("", list(caption))[1:-1]}</td></tr>'
            f"<tr>{legend}</tr></table>>")


# ----------------------------------------------------------------------------------------------
# building the frames


def _check_output(output: Any) -> tuple[Node, list[Node]]:
    if not isinstance(output, Tensor):
        raise TypeError(f"animate_backward: output must be a Tensor, got {type(output).__name__}")
    if output.grad_fn is None:
        raise ValueError(
            f"animate_backward: the output (shape {output.shape}) has no graph to walk: it was not computed from "
            "tensors that require grad (create an input with requires_grad=True, outside no_grad())"
        )
    if output.size != 1:
        raise ValueError(
            f"animate_backward: the output has shape {output.shape}; backward starts from a scalar, so animate "
            "a scalar such as output.sum() or a loss"
        )
    order = walk_order([output])
    if len(order) > MAX_STEPS:
        raise ValueError(
            f"animate_backward: the graph has {len(order)} nodes, more than the {MAX_STEPS} steps an animation "
            "shows; animate a smaller model or batch, or draw the whole graph with tg.draw_graph(..., max_depth=N)"
        )
    freed = [node.name() for node in order if node.released]
    if freed:
        raise RuntimeError(
            f"animate_backward: backward() already freed this graph (the saved values of {', '.join(freed[:3])}"
            f"{', ...' if len(freed) > 3 else ''} are gone); animate before backward(), or call "
            "backward(retain_graph=True)"
        )
    return output.grad_fn, order


def backward_frames(output: Tensor, module: Any = None, trace: ModuleTrace | None = None, rankdir: str = "TB",
                    max_elements: int = 8) -> list[tuple[GraphDrawing, tuple[str, str]]]:
    """The drawings of every step of the backward walk from `output` (and the finished state),
    each with its caption; the user's graph and every `.grad` stay as they were."""
    root, order = _check_output(output)
    if rankdir not in RANKDIRS:
        raise ValueError(f"animate_backward: rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    if module is None and trace is not None:
        module = trace.module
    names, param_module, classes = module_names(module)
    walk = walk_graph([output], ())
    owners = op_owners(walk, trace, param_module) if module is not None else {}
    grads = {id(key): g._data for key, g in node_gradients([output], set(order)).items() if g is not None}
    consumers = _contributions_expected(walk, root)
    opts = DrawOptions("backward", show_data=False, show_grad=True, show_saved=False, color_by_grad=False,
                       grad_range=(1e-8, 1e2), max_depth=None, compact=False, max_elements=max_elements)
    frames = _frames(order, consumers)
    builders = [FrameBuilder(walk, opts, names, owners, param_module, grads, frame, consumers) for frame in frames]
    for builder in builders:
        builder.backward()
    _fix_sizes(builders)
    width = max(max(_text_size("", list(frame.caption))[0] for frame in frames), 560.0)
    drawings = []
    for builder, frame in zip(builders, frames):
        digraph = builder.finish(rankdir, classes, [])
        digraph.graph_attr.update(label=_caption_label(frame.caption, width), labelloc="t", labeljust="c")
        drawings.append((GraphDrawing(digraph), frame.caption))
    return drawings


# ----------------------------------------------------------------------------------------------
# writing them


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: Helvetica, Arial, sans-serif; margin: 1em 2em; color: #222; }}
#controls {{ display: flex; gap: 0.5em; align-items: center; flex-wrap: wrap; margin: 0.5em 0; }}
#controls button {{ font-size: 1em; padding: 0.2em 0.8em; }}
#slider {{ flex: 1; min-width: 12em; }}
.frame svg {{ max-width: 100%; height: auto; }}
</style>
</head>
<body>
<h1>{title}</h1>
<p>One frame per step of the walk <code>backward()</code> runs: the node being run is yellow with a red
border, gradients that have arrived are green, pending ones grey; a double border marks a sum over
several consumers (fan-out). Keys: left/right arrows step, space plays.</p>
<div id="controls">
<button id="first" type="button" title="first frame">first</button>
<button id="prev" type="button" title="previous step">&#x25C0; step</button>
<button id="play" type="button" title="play or pause">&#x25B6; play</button>
<button id="next" type="button" title="next step">step &#x25B6;</button>
<button id="last" type="button" title="last frame">last</button>
<input id="slider" type="range" min="0" max="{last}" value="0" step="1" aria-label="frame">
<span id="counter"></span>
</div>
<div id="frames">
{frames}
</div>
<script>
"use strict";
const frames = Array.from(document.querySelectorAll(".frame"));
const slider = document.getElementById("slider");
const counter = document.getElementById("counter");
const playButton = document.getElementById("play");
const frameMs = {frame_ms};
let current = 0;
let timer = null;

function show(index) {{
  current = Math.max(0, Math.min(frames.length - 1, index));
  frames.forEach((frame, k) => {{ frame.hidden = k !== current; }});
  slider.value = String(current);
  counter.textContent = (current + 1) + " / " + frames.length;
  document.body.dataset.frame = String(current);
}}

function pause() {{
  if (timer !== null) {{ clearInterval(timer); timer = null; }}
  playButton.innerHTML = "&#x25B6; play";
}}

function play() {{
  if (current === frames.length - 1) {{ show(0); }}
  playButton.textContent = "pause";
  timer = setInterval(() => {{
    if (current === frames.length - 1) {{ pause(); }} else {{ show(current + 1); }}
  }}, frameMs);
}}

slider.addEventListener("input", () => {{ pause(); show(Number(slider.value)); }});
document.getElementById("first").addEventListener("click", () => {{ pause(); show(0); }});
document.getElementById("prev").addEventListener("click", () => {{ pause(); show(current - 1); }});
document.getElementById("next").addEventListener("click", () => {{ pause(); show(current + 1); }});
document.getElementById("last").addEventListener("click", () => {{ pause(); show(frames.length - 1); }});
playButton.addEventListener("click", () => {{ if (timer === null) {{ play(); }} else {{ pause(); }} }});
document.addEventListener("keydown", (event) => {{
  if (event.target === slider) {{ return; }}
  if (event.key === "ArrowRight") {{ pause(); show(current + 1); }}
  else if (event.key === "ArrowLeft") {{ pause(); show(current - 1); }}
  else if (event.key === " ") {{ event.preventDefault(); playButton.click(); }}
}});
show(0);
</script>
</body>
</html>
"""


def _inline_svg(svg: bytes, index: int) -> str:
    """Graphviz's SVG without its XML prologue, its ids made unique within the page."""
    text = svg.decode()
    text = text[text.index("<svg"):]
    text = re.sub(r"<!--.*?-->\n?", "", text, flags=re.S)
    return re.sub(r'\bid="([^"]*)"', lambda m: f'id="f{index}_{m.group(1)}"', text)


def write_html(drawings: list[tuple[GraphDrawing, tuple[str, str]]], path: Path, title: str, frame_ms: int) -> None:
    """One self-contained page: every frame as inline SVG, a slider, play and step buttons."""
    frames = "\n".join(
        f'<figure class="frame" aria-label="{html.escape(" ".join(caption))}"{"" if i == 0 else " hidden"}>\n'
        f"{_inline_svg(drawing.pipe('svg'), i)}</figure>" for i, (drawing, caption) in enumerate(drawings))
    page = _PAGE.format(title=html.escape(title), frames=frames, last=len(drawings) - 1, frame_ms=json.dumps(frame_ms))
    path.write_text(page, encoding="utf-8")


def _png_frames(drawings: list[tuple[GraphDrawing, tuple[str, str]]]) -> list[Any]:
    """The frames as Pillow images on one white canvas size (the largest frame's)."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(f"animate_backward: a .gif needs Pillow; install it with {PILLOW_HINT}") from None
    images = [Image.open(io.BytesIO(drawing.pipe("png"))).convert("RGB") for drawing, _ in drawings]
    size = (max(im.width for im in images), max(im.height for im in images))
    canvases = []
    for image in images:
        canvas = Image.new("RGB", size, "white")
        canvas.paste(image, ((size[0] - image.width) // 2, 0))
        canvases.append(canvas)
    return canvases


def write_gif(drawings: list[tuple[GraphDrawing, tuple[str, str]]], path: Path, frame_ms: int) -> None:
    """An animated GIF that loops, resting longer on the finished state."""
    from PIL import Image

    # a fast 256-colour palette per frame: Pillow's default quantizer takes seconds per frame
    images = [image.quantize(colors=256, method=Image.Quantize.FASTOCTREE) for image in _png_frames(drawings)]
    durations = [frame_ms] * (len(images) - 1) + [3 * frame_ms]
    images[0].save(path, save_all=True, append_images=images[1:], duration=durations, loop=0)


def write_folder(drawings: list[tuple[GraphDrawing, tuple[str, str]]], folder: Path) -> None:
    """frame_000.svg, frame_000.png, ... : each frame in both formats."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, (drawing, _) in enumerate(drawings):
        drawing.render(folder / f"frame_{i:03d}.svg")
        drawing.render(folder / f"frame_{i:03d}.png")


def animate_backward(output: Tensor, path: str | Path, *, module: Any = None, trace: ModuleTrace | None = None,
                     rankdir: str = "TB", max_elements: int = 8, frame_ms: int = 1200) -> Path:
    """Animate the backward pass from the scalar `output` and write it to `path`: `.html` (one
    offline page with a slider), `.gif`, or a folder (SVG and PNG frames). `module=`/`trace=` name
    parameters and group ops as in draw_graph. No `.grad` is touched and the graph is not freed."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in ("", ".html", ".htm", ".gif") and not path.is_dir():
        raise ValueError(
            f"animate_backward: cannot tell what to write from {str(path)!r}; use a .html or .gif file name, "
            "or a folder (no suffix) for SVG and PNG frames"
        )
    if not isinstance(frame_ms, int) or frame_ms <= 0:
        raise ValueError(f"animate_backward: frame_ms must be a positive int (milliseconds), got {frame_ms!r}")
    drawings = backward_frames(output, module, trace, rankdir, max_elements)
    if path.is_dir() or suffix == "":
        write_folder(drawings, path)
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".gif":
        write_gif(drawings, path, frame_ms)
    else:
        name = output.name or "the output"
        write_html(drawings, path, f"The backward pass of {name}, step by step", frame_ms)
    return path
