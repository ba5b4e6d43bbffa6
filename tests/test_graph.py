"""draw_graph: DOT content, renderer choice (system dot / graphviz-pure / none), views, clusters,
gradient colours, depth limits, Jupyter display and the `tinygrad-edu graph` command."""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.cli import main
from tinygrad_edu.graph import RendererNotFoundError, draw_graph, find_renderer, trace_modules

SVG = "{http://www.w3.org/2000/svg}"
ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


class MLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(2, 16)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(16, 3)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


def mlp_loss(traced: bool = True):
    tg.manual_seed(0)
    model = MLP()
    x = tg.randn(8, 2)
    target = tg.tensor(np.arange(8) % 3)
    if not traced:
        loss, trace = nn.CrossEntropyLoss()(model(x), target), None
    else:
        with trace_modules(model) as trace:
            loss = nn.CrossEntropyLoss()(model(x), target)
    loss.name = "loss"
    return loss, model, trace


def parse_source(source: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Node id -> its whole statement, and the (src, dst) edges, from DOT text."""
    nodes = dict(re.findall(r"^\s*(\w+) \[label=(.*)\]$", source, re.M))
    edges = re.findall(r"^\s*(\w+) -> (\w+)", source, re.M)
    return nodes, edges


def node_with(nodes: dict[str, str], *texts: str) -> str:
    found = [key for key, stmt in nodes.items() if all(t in stmt for t in texts)]
    assert len(found) == 1, (texts, found)
    return found[0]


def parse_svg(data: bytes) -> tuple[dict[str, dict], set[str], set[tuple[str, str]]]:
    """Node id -> {texts, fill}, cluster titles and edges, read from rendered SVG."""
    root = ET.fromstring(data)
    nodes, clusters, edges = {}, set(), set()
    for g in root.iter(f"{SVG}g"):
        kind = g.get("class")
        title = g.findtext(f"{SVG}title")
        if kind == "node":
            shapes = [e for e in g if e.tag in (f"{SVG}path", f"{SVG}polygon", f"{SVG}ellipse")]
            fills = [e.get("fill") for e in shapes if e.get("fill") not in (None, "none")]
            nodes[title] = {"texts": [t.text or "" for t in g.iter(f"{SVG}text")], "fill": fills[0] if fills else None}
        elif kind == "cluster":
            clusters.add(title)
        elif kind == "edge":
            edges.add(tuple(title.split("->")))
    return nodes, clusters, edges


def svg_node_with(nodes: dict[str, dict], text: str) -> str:
    found = [key for key, n in nodes.items() if text in n["texts"]]
    assert len(found) == 1, (text, found)
    return found[0]


@pytest.fixture
def no_system_dot(monkeypatch, tmp_path):
    """PATH without any `dot`: only graphviz-pure beside sys.executable can render."""
    empty = tmp_path / "empty_path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


@pytest.fixture
def no_renderer(monkeypatch, tmp_path):
    """Neither `dot` on PATH nor `graphviz-pure` beside the (pretend) Python executable."""
    empty = tmp_path / "nothing_here"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setattr(sys, "executable", str(empty / "python"))


# ----------------------------------------------------------------------------------------------
# rendering the 2-layer MLP


def check_mlp_svg(data: bytes) -> None:
    nodes, clusters, edges = parse_svg(data)
    assert {"cluster_fc1", "cluster_fc2", "cluster_act"} <= clusters
    w1 = svg_node_with(nodes, "fc1.weight")
    assert "(16, 2) float32" in nodes[w1]["texts"]
    b2 = svg_node_with(nodes, "fc2.bias")
    assert "(3,) float32" in nodes[b2]["texts"]
    relu = svg_node_with(nodes, "Relu")
    consumers_of_w1 = [dst for src, dst in edges if src == w1]
    assert len(consumers_of_w1) == 1 and "Linear" in nodes[consumers_of_w1[0]]["texts"]
    assert any(dst == relu for _, dst in edges)
    assert "() float32" in nodes[svg_node_with(nodes, "loss")]["texts"]


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_mlp_renders_with_graphviz_pure_when_dot_is_not_on_path(no_system_dot, tmp_path, fmt):
    assert shutil.which("dot") is None
    assert "graphviz-pure" in os.path.basename(find_renderer(fmt))
    loss, model, trace = mlp_loss()
    written = draw_graph(loss, trace=trace).render(tmp_path / f"mlp.{fmt}")
    data = written.read_bytes()
    if fmt == "png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        check_mlp_svg(data)


@pytest.mark.skipif(shutil.which("dot") is None, reason="no system Graphviz dot on PATH")
@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_mlp_renders_with_system_dot(tmp_path, fmt):
    assert find_renderer(fmt) == shutil.which("dot")
    loss, model, trace = mlp_loss()
    data = draw_graph(loss, trace=trace).render(tmp_path / f"mlp.{fmt}").read_bytes()
    if fmt == "svg":
        check_mlp_svg(data)
    else:
        assert data[:4] in (b"\x89PNG", b"%PDF")


def test_source_has_parameter_names_shapes_clusters_and_edges():
    loss, model, trace = mlp_loss()
    source = draw_graph(loss, trace=trace).source
    nodes, edges = parse_source(source)
    w1 = node_with(nodes, "fc1.weight", "(16, 2) float32", "requires_grad=True")
    x = node_with(nodes, "<b>input</b>", "(8, 2) float32", "requires_grad=False")
    linears = [k for k, s in nodes.items() if "<b>Linear</b>" in s]
    assert len(linears) == 2
    first = next(m for m in linears if (x, m) in edges)
    assert (w1, first) in edges and (node_with(nodes, "fc1.bias"), first) in edges
    assert 'subgraph "cluster_fc1"' in source or "subgraph cluster_fc1" in source
    assert "fc1: Linear" in source and "act: ReLU" in source and "fc2: Linear" in source
    cluster_fc1 = source[source.index("cluster_fc1"):source.index("}", source.index("cluster_fc1"))]
    assert w1 in cluster_fc1 and first in cluster_fc1
    assert loss.shape == () and "<b>loss</b><br/>() float32" in source


def test_clusters_from_parameters_without_a_trace():
    loss, model, _ = mlp_loss(traced=False)
    source = draw_graph(loss, module=model).source
    nodes, _ = parse_source(source)
    fc1 = source[source.index("cluster_fc1"):source.index("}", source.index("cluster_fc1"))]
    assert node_with(nodes, "fc1.weight") in fc1 and node_with(nodes, "fc1.bias") in fc1
    assert "cluster_act" not in source  # a module without parameters cannot be found without a trace
    assert "cluster" not in draw_graph(loss, module=model, cluster=False).source


def cluster_of_nodes(source: str) -> dict[str, str | None]:
    """Node id -> the innermost module box (cluster name without `cluster_`) it is drawn in."""
    where: dict[str, str | None] = {}
    stack: list[str] = []
    for line in source.splitlines():
        opened = re.match(r"\s*subgraph \"?cluster_([\w.]+)\"? \{", line)
        if opened:
            stack.append(opened.group(1))
        elif line.strip() == "}" and stack:
            stack.pop()
        else:
            node = re.match(r"\s*(\w+) \[label=", line)
            if node:
                where[node.group(1)] = stack[-1] if stack else None
    return where


def test_without_a_trace_each_op_is_in_the_box_of_the_parameters_it_consumes():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    loss = nn.functional.cross_entropy(model(tg.randn(8, 2)), tg.tensor(np.arange(8) % 3))
    source = draw_graph(loss, module=model).source
    nodes, edges = parse_source(source)
    where = cluster_of_nodes(source)
    first, second = ([dst for src, dst in edges if src == node_with(nodes, weight)][0]
                     for weight in ("0.weight", "2.weight"))
    assert where[first] == "0" and where[second] == "2"
    assert nodes[first].startswith("<<b>Linear</b>") and nodes[second].startswith("<<b>Linear</b>")
    assert where[node_with(nodes, "<b>Relu</b>")] is None  # parameter-free ops stay outside the boxes
    assert where[node_with(nodes, "<b>CrossEntropy</b>")] is None


def test_ops_on_values_computed_from_parameters_alone_join_their_module():
    class Affine(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.weight = nn.Parameter(tg.ones(3, 2))
            self.bias = nn.Parameter(tg.zeros(3))

        def forward(self, x):
            return x @ self.weight.T + self.bias.reshape(1, 3)

    model = nn.Sequential(Affine(), nn.Tanh())
    source = draw_graph(model(tg.ones(4, 2)).sum(), module=model).source
    nodes, _ = parse_source(source)
    where = cluster_of_nodes(source)
    for op in ("Permute", "MatMul", "Add", "Reshape"):  # weight.T is a Permute
        assert where[node_with(nodes, f"<b>{op}</b>")] == "0", op
    assert where[node_with(nodes, "<b>Tanh</b>")] is None and where[node_with(nodes, "<b>Sum</b>")] is None


def test_unnamed_tensors_get_short_ids_and_names_are_used():
    a = tg.ones(2, requires_grad=True)
    b = tg.tensor([1.0, 1.0], requires_grad=True, name="bias")
    source = draw_graph((a * 3 + b).sum()).source
    assert "tensor #" in source and "<b>bias</b>" in source
    assert "+ 1 constant input" in source


# ----------------------------------------------------------------------------------------------
# values, gradients and colours


def micrograd_neuron():
    x1, x2, w1, w2, b = (tg.tensor(v, requires_grad=True, dtype=tg.float64, name=n) for n, v in
                         (("x1", 2.0), ("x2", 0.0), ("w1", -3.0), ("w2", 1.0), ("b", 6.8813735870195432)))
    n = x1 * w1 + x2 * w2 + b
    n.name = "n"
    o = n.tanh()
    o.name = "o"
    return o, n, (x1, x2, w1, w2, b)


def test_scalar_values_and_gradients_follow_the_chain_rule():
    o, n, (x1, x2, w1, w2, b) = micrograd_neuron()
    source = draw_graph(o, tensors=[n], show_data=True, show_grad=True).source
    nodes, _ = parse_source(source)
    do_dn = 1 - math.tanh(float(n.data)) ** 2  # d tanh(n)/dn
    assert node_with(nodes, "<b>x1</b>", "data 2.0000", f"grad {float(w1.data) * do_dn:.4f}")
    assert node_with(nodes, "<b>w1</b>", f"grad {float(x1.data) * do_dn:.4f}")
    assert node_with(nodes, "<b>n</b>", f"data {float(n.data):.4f}", f"grad {do_dn:.4f}")
    assert node_with(nodes, "<b>o</b>", f"data {math.tanh(float(n.data)):.4f}", "grad 1.0000")


def test_gradients_are_computed_without_touching_grad_or_hooks():
    o, n, leaves = micrograd_neuron()
    calls = []
    leaves[0].register_hook(lambda g: calls.append(g))
    n.retain_grad()
    draw_graph(o, show_grad=True, color_by_grad=True)
    assert calls == [] and all(leaf.grad is None for leaf in leaves) and n.grad is None
    o.backward()  # the graph is intact
    assert len(calls) == 1 and leaves[0].grad is not None


def test_gradients_after_backward_come_from_grad():
    o, n, (x1, *_ ) = micrograd_neuron()
    o.backward()
    source = draw_graph(o, show_grad=True).source
    assert f"grad {float(x1.grad.data):.4f}" in source
    # op outputs: the freed graph cannot give their gradients, and the image says why
    assert "grad freed by backward()" in source and "grad None" not in source
    assert "backward() already freed this graph" in source and "retain_graph=True" in source


def test_drawing_after_backward_with_retain_graph_shows_every_gradient():
    o, n, (x1, x2, w1, w2, b) = micrograd_neuron()
    o.backward(retain_graph=True)
    source = draw_graph(o, tensors=[n], show_grad=True).source
    do_dn = 1 - math.tanh(float(n.data)) ** 2
    nodes, _ = parse_source(source)
    assert node_with(nodes, "<b>n</b>", f"grad {do_dn:.4f}") and node_with(nodes, "<b>o</b>", "grad 1.0000")
    assert f"grad {float(x1.data) * do_dn:.4f}" in source  # dn/dw1 = x1, not doubled by the earlier backward
    assert "grad None" not in source and "freed" not in source


def test_gallery_scalar_expression_is_drawn_with_every_value_and_gradient(monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES))
    from graph_gallery import scalar_expression

    e, (a, b, *intermediates) = scalar_expression()
    source = draw_graph(e, tensors=intermediates, show_data=True, show_grad=True).source
    inner = 2.0 * -3.0 + math.sin(2.0)
    nodes, _ = parse_source(source)
    assert node_with(nodes, "<b>e</b>", f"data {inner ** 2:.4f}", "grad 1.0000")
    assert node_with(nodes, "<b>a*b + sin a</b>", f"grad {2 * inner:.4f}")  # de/d(inner) = 2 inner
    assert node_with(nodes, "<b>a*b</b>", f"grad {2 * inner:.4f}") and node_with(nodes, "<b>sin a</b>")
    assert node_with(nodes, "<b>a</b>", f"grad {2 * inner * (-3.0 + math.cos(2.0)):.4f}")
    assert "grad None" not in source


def test_large_tensors_are_summarised():
    tg.manual_seed(0)
    w = tg.randn(10, 10, requires_grad=True)
    w.name = "w"
    source = draw_graph((w * 2).sum(), show_data=True, show_grad=True, max_elements=16).source
    values = w.numpy().astype(np.float64)
    line = f"data mean {values.mean():.4g} std {values.std():.4g}"
    assert line in source
    assert f"norm {np.linalg.norm(values):.4g}" in source
    assert "grad mean 2 std 0" in source  # d(sum(2w))/dw = 2 everywhere


def fill_of(source: str, title: str) -> str:
    nodes, _ = parse_source(source)
    return re.search(r'fillcolor="(#[0-9a-f]{6})"', nodes[node_with(nodes, f"<b>{title}</b>")]).group(1)


def test_colour_by_gradient_magnitude_on_a_log_scale_with_legend():
    tiny, huge, dead = (tg.tensor(np.ones(4), requires_grad=True, name=n) for n in ("tiny", "huge", "dead"))
    loss = (tiny * 1e-7).sum() + (huge * 50.0).sum() + (dead * 0.0).sum()
    source = draw_graph(loss, color_by_grad=True).source
    rgb = {name: tuple(int(fill_of(source, name)[i:i + 2], 16) for i in (1, 3, 5)) for name in ("tiny", "huge")}
    assert rgb["tiny"][2] > rgb["tiny"][0]  # small gradients: the blue end
    assert rgb["huge"][0] > rgb["huge"][2]  # large gradients: the red end
    assert fill_of(source, "dead") == "#9e9e9e"  # exactly zero: grey, as documented
    assert "gradient RMS (log scale)" in source


# ----------------------------------------------------------------------------------------------
# backward view, ops, highlight, collapsing


def test_backward_view_shows_backward_nodes_and_saved_tensors():
    loss, model, trace = mlp_loss()
    source = draw_graph(loss, module=model, view="backward").source
    nodes, edges = parse_source(source)
    loss_node = node_with(nodes, "CrossEntropyBackward", "reduction=")
    saved_logits = node_with(nodes, "saved: input (8, 3)", "float32", "output of Linear")
    assert (saved_logits, loss_node) in edges
    # each saved box says what it is: the data input by its name, ReLU's mask, the logits above
    saved_x = node_with(nodes, "saved: input (8, 2)", "needs no grad")
    assert any(src == saved_x and "LinearBackward" in nodes[dst] for src, dst in edges)
    assert node_with(nodes, "saved: mask (8, 16)", "bool")
    assert "saved array" not in source and "saved input" not in source
    root = node_with(nodes, "<b>loss</b>")
    assert any(src == root for src, _ in edges)
    w1 = node_with(nodes, "fc1.weight")
    assert any(dst == w1 and "LinearBackward" in nodes[src] for src, dst in edges)
    loss.backward()
    assert "saved values freed" in draw_graph(loss, view="backward").source
    assert "saved:" not in draw_graph(loss, view="backward", show_saved=False).source


def test_saved_boxes_name_the_input_they_keep():
    x = tg.ones(4, 16, name="x")
    w = tg.ones(16, 2, requires_grad=True, name="w")
    source = draw_graph((x @ w).relu().sum(), view="backward").source
    assert "<b>saved: input x (4, 16)</b>" in source and "<b>saved: mask (4, 2)</b>" in source


def test_a_convolution_on_data_draws_the_image_and_its_unfold():
    tg.manual_seed(0)
    conv = nn.Conv2d(1, 4, 3, padding=1)
    images = tg.randn(2, 1, 8, 8, name="images")  # needs no grad, so the engine records no Unfold node
    loss = conv(images).relu().sum()
    nodes, edges = parse_source(draw_graph(loss, module=conv).source)
    image = node_with(nodes, "<b>images</b>", "(2, 1, 8, 8) float32")
    unfold = node_with(nodes, "Unfold (im2col)", "kernel=(3, 3) stride=(1, 1)", "padding=(1, 1)")
    columns = node_with(nodes, "<b>columns</b>", "(9, 128) float32")  # 1*3*3 rows, 2*8*8 window positions
    product = node_with(nodes, "<b>ConvProduct</b>")
    assert {(image, unfold), (unfold, columns), (columns, product)} <= set(edges)
    assert not any("<b>input</b>" in stmt for stmt in nodes.values())
    nodes, edges = parse_source(draw_graph(loss, module=conv, compact=True).source)
    unfold = node_with(nodes, "Unfold (im2col)", "(9, 128) float32")
    assert (node_with(nodes, "<b>images</b>"), unfold) in edges and (unfold, node_with(nodes, "ConvProduct")) in edges
    backward = draw_graph(loss, module=conv, view="backward").source
    assert "saved: im2col columns (9, 128)" in backward and "unfolded from images" in backward
    grouped = nn.Conv2d(2, 4, 3, groups=2)
    nodes, edges = parse_source(draw_graph(grouped(tg.randn(1, 2, 5, 5, name="pair")).sum(), module=grouped).source)
    unfold = node_with(nodes, "Unfold (im2col)")
    assert (node_with(nodes, "<b>pair</b>", "(1, 2, 5, 5)"), unfold) in edges
    assert (unfold, node_with(nodes, "<b>columns</b>", "(2, 9, 9)")) in edges  # per group: C/groups*3*3 rows
    frozen = nn.Conv2d(1, 2, 3)
    frozen.weight.requires_grad = False  # a constant weight is not mistaken for the columns
    nodes, _ = parse_source(draw_graph(frozen(images).sum(), module=frozen).source)
    assert len([k for k, stmt in nodes.items() if "Unfold (im2col)" in stmt]) == 1


def test_op_arguments_are_shown():
    x = tg.ones(1, 2, 6, 6, requires_grad=True)
    w = tg.ones(3, 2, 3, 3, requires_grad=True)
    out = tg.conv2d(x, w, stride=2, padding=1).sum(axis=1, keepdims=True)
    source = draw_graph(out.mean()).source
    assert "kernel=(3, 3) stride=(2, 2)" in source
    assert "pad before=(0, 0, 1, 1)" in source
    assert "axis=1<br/>keepdims=True" in source


def test_highlight_marks_the_path_from_an_input_to_the_output():
    loss, model, trace = mlp_loss()
    nodes, edges = parse_source(draw_graph(loss, trace=trace, highlight="fc2.weight").source)
    red = {k for k, s in nodes.items() if "#d62728" in s}
    assert node_with(nodes, "fc2.weight") in red and node_with(nodes, "<b>loss</b>") in red
    assert node_with(nodes, "fc1.weight") not in red and node_with(nodes, "Relu") not in red
    same = draw_graph(loss, trace=trace, highlight=model.fc2.weight).source
    assert same == draw_graph(loss, trace=trace, highlight="fc2.weight").source
    with pytest.raises(ValueError, match="fc3.weight"):
        draw_graph(loss, module=model, highlight="fc3.weight")


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.act = nn.Tanh()

    def forward(self, x):
        return self.act(self.fc(x))


class Deep(nn.Module):
    def __init__(self, depth: int) -> None:
        super().__init__()
        self.layers = nn.Sequential(*[Block() for _ in range(depth)])

    def forward(self, x):
        return self.layers(x)


def test_collapse_repeated_blocks_and_named_modules():
    tg.manual_seed(0)
    model = Deep(6)
    with trace_modules(model) as trace:
        loss = model(tg.randn(2, 4)).sum()
    assert "forward" not in model.layers[0].__dict__  # the trace is undone
    source = draw_graph(loss, trace=trace, collapse_repeats=True).source
    nodes, edges = parse_source(source)
    group = node_with(nodes, "layers.1 ... layers.4", "4 x Block collapsed")
    assert "layers.0.fc.weight" in source and "layers.5.fc.weight" in source
    assert "layers.2.fc.weight" not in source
    assert any(dst == group for _, dst in edges) and any(src == group for src, _ in edges)
    one = draw_graph(loss, trace=trace, collapse=["layers.3"]).source
    assert "layers.3.fc.weight" not in one and "layers.2.fc.weight" in one
    with pytest.raises(ValueError, match="layers.9"):
        draw_graph(loss, trace=trace, collapse=["layers.9"])


def test_long_chain_builds_source_and_renders_with_max_depth(tmp_path):
    x = tg.ones(3, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    nodes, edges = parse_source(draw_graph(y).source)
    assert sum("<b>Mul</b>" in s for s in nodes.values()) == 10_000
    limited = draw_graph(y, max_depth=10)
    nodes, edges = parse_source(limited.source)
    assert len(nodes) <= 2 * 11 + 1 and "9989 more ops" in nodes["more"]
    assert b"9989 more ops" in limited.pipe("svg")


def test_jupyter_mimebundle_contains_svg():
    loss, model, trace = mlp_loss()
    drawing = draw_graph(loss, trace=trace)
    bundle = drawing._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"]
    assert "fc1.weight" in drawing._repr_svg_()


# ----------------------------------------------------------------------------------------------
# renderers and errors


def test_no_renderer_raises_the_documented_error_and_source_still_works(no_renderer, tmp_path):
    loss, model, trace = mlp_loss()
    drawing = draw_graph(loss, trace=trace)
    assert "fc1.weight" in drawing.source
    with pytest.raises(RendererNotFoundError, match="pip install graphviz-pure") as err:
        drawing.render(tmp_path / "g.png")
    assert "apt-get install graphviz" in str(err.value) and ".source" in str(err.value)
    assert drawing.render(tmp_path / "g.dot").read_text() == drawing.source
    assert "pip install graphviz-pure" in drawing._repr_mimebundle_()["text/plain"]


def test_pdf_needs_the_system_dot(no_system_dot, tmp_path):
    with pytest.raises(RendererNotFoundError, match="pdf output needs the system Graphviz"):
        draw_graph(tg.ones(1, requires_grad=True).sum()).render(tmp_path / "g.pdf")


def test_render_format_from_suffix_and_errors(tmp_path):
    drawing = draw_graph(tg.ones(1, requires_grad=True).sum())
    assert drawing.render(tmp_path / "g", format="svg").name == "g.svg"
    with pytest.raises(ValueError, match="bmp"):
        drawing.render(tmp_path / "g.bmp")
    with pytest.raises(ValueError, match="view"):
        draw_graph(tg.ones(1), view="sideways")
    with pytest.raises(TypeError, match="roots"):
        draw_graph(np.ones(3))
    with pytest.raises(TypeError, match="module="):
        draw_graph(tg.ones(1), module=object())
    with pytest.raises(ValueError, match="max_depth"):
        draw_graph(tg.ones(1), max_depth=-1)


def test_import_needs_no_graphviz():
    code = "import sys, tinygrad_edu; print('graphviz' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# ----------------------------------------------------------------------------------------------
# the command


def test_cli_renders_builtin_examples(tmp_path, capsys):
    assert main(["graph", "mlp", "-o", str(tmp_path / "mlp.svg")]) == 0
    nodes, clusters, _ = parse_svg((tmp_path / "mlp.svg").read_bytes())
    assert "cluster_fc1" in clusters and svg_node_with(nodes, "fc1.weight")
    assert main(["graph", "cnn", "-o", str(tmp_path / "cnn.png"), "--color-grad", "--max-depth", "6"]) == 0
    assert (tmp_path / "cnn.png").read_bytes()[:4] == b"\x89PNG"
    assert main(["graph", "scalar", "-o", str(tmp_path / "s.dot"), "--view", "backward"]) == 0
    assert "TanhBackward" in (tmp_path / "s.dot").read_text()
    assert "wrote" in capsys.readouterr().out


def test_cli_user_function_and_stdout(tmp_path, capsys):
    script = tmp_path / "model.py"
    script.write_text(
        "import tinygrad_edu as tg\n"
        "def build():\n"
        "    w = tg.tensor([1.0, 1.0, 1.0], requires_grad=True, name='my_weight')\n"
        "    return (w * 2).sum()\n"
    )
    assert main(["graph", f"{script}:build", "-o", "-", "--show-data", "--highlight", "my_weight"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("digraph") and "my_weight" in out and "data [1.0000, 1.0000, 1.0000]" in out
    assert main(["graph", f"{script}:missing", "-o", "-"]) == 2
    assert main(["graph", "nonsense", "-o", "-"]) == 2
    assert "neither a built-in example" in capsys.readouterr().err


def test_cli_reports_a_missing_renderer(no_renderer, tmp_path, capsys):
    assert main(["graph", "scalar", "-o", str(tmp_path / "s.png")]) == 1
    assert "pip install graphviz-pure" in capsys.readouterr().err
