"""animate_backward: one frame per step of the backward walk with the engine's gradients, a layout
that does not jump, the graph and `.grad` left alone, and the three outputs (an offline HTML page
tested in a real headless Chromium, a GIF, a folder of frames)."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import html

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.animate import backward_frames
from tinygrad_edu.autograd import walk_order
from tinygrad_edu.opinfo import REGISTRY, all_cases, bind, make_inputs

from chromium_pipe import Chromium, find_chromium

SVG = "{http://www.w3.org/2000/svg}"


def micrograd_neuron():
    """o = tanh(x1*w1 + x2*w2 + b), micrograd's example, with its leaves."""
    leaves = [tg.tensor(v, requires_grad=True, dtype=tg.float64, name=n) for n, v in
              (("x1", 2.0), ("x2", 0.0), ("w1", -3.0), ("w2", 1.0), ("b", 6.8813735870195432))]
    x1, x2, w1, w2, b = leaves
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.name = "o"
    return o, leaves


def mlp_loss():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    x = tg.randn(8, 2, name="x")
    loss = nn.functional.cross_entropy(model(x), tg.tensor(np.arange(8) % 3))
    loss.name = "loss"
    return loss, model


def svg_nodes(drawing) -> dict[str, dict]:
    """title -> {texts, shape geometry, fill} of every node of a rendered frame."""
    nodes = {}
    for g in ET.fromstring(drawing.pipe("svg")).iter(f"{SVG}g"):
        if g.get("class") == "node":
            shapes = [e for e in g if e.tag in (f"{SVG}path", f"{SVG}polygon")]
            nodes[g.findtext(f"{SVG}title")] = {
                "texts": " | ".join(t.text or "" for t in g.iter(f"{SVG}text")),
                "geometry": [e.get("d") or e.get("points") for e in shapes],
                "fill": shapes[0].get("fill"),
            }
    return nodes


def node_texts(drawing, title_text: str) -> str:
    found = [n["texts"] for n in svg_nodes(drawing).values() if n["texts"].startswith(title_text)]
    assert len(found) == 1, (title_text, found)
    return found[0]


# ----------------------------------------------------------------------------------------------
# the frames


def test_one_frame_per_step_of_the_walk_in_its_order():
    o, _ = micrograd_neuron()
    order = walk_order([o])
    frames = backward_frames(o)
    assert len(frames) == len(order) + 1  # each step, then the finished state
    for step, ((_, caption), node) in enumerate(zip(frames, order), 1):
        assert caption[0] == f"step {step} of {len(order)}: {node.name()}Backward runs"
    assert frames[-1][1][0].startswith(f"done after {len(order)} steps")


def test_the_running_node_is_highlighted_and_pending_ones_are_greyed():
    o, _ = micrograd_neuron()
    frames = backward_frames(o)
    first = svg_nodes(frames[0][0])
    tanh = next(n for n in first.values() if n["texts"].startswith("TanhBackward"))
    assert tanh["fill"] == "#ffd54f" and "grad 1.0000" in tanh["texts"]  # running, with d o/d o = 1
    x1 = next(n for n in first.values() if n["texts"].startswith("x1"))
    assert "waiting for its gradient" in x1["texts"] and not re.search(r"grad -?\d", x1["texts"])  # no value yet
    assert x1["fill"] == "#f4f4f4"
    last = svg_nodes(frames[-1][0])
    assert all(n["fill"] == "#c8f0c8" for title, n in last.items() if not title.startswith("root"))


def test_gradients_shown_are_the_chain_rule_values():
    o, (x1, x2, w1, w2, b) = micrograd_neuron()
    n = 2.0 * -3.0 + 0.0 * 1.0 + 6.8813735870195432
    do_dn = 1 - math.tanh(n) ** 2  # d tanh(n)/dn = 1 - tanh(n)^2 (= 0.5 here)
    expected = {"x1": -3.0 * do_dn, "w1": 2.0 * do_dn, "x2": 1.0 * do_dn, "w2": 0.0 * do_dn, "b": do_dn}
    final = backward_frames(o)[-1][0]
    for name, value in expected.items():
        assert f"grad {value:.4f}" in node_texts(final, name), name
    assert all(leaf.grad is None for leaf in (x1, x2, w1, w2, b))  # .grad untouched


def test_fan_out_contributions_arrive_one_by_one_and_are_summed():
    a = tg.tensor(2.0, requires_grad=True, dtype=tg.float64, name="a")
    e = a * a + a.sin()  # a reaches the output along three edges
    frames = backward_frames(e)
    seen = [node_texts(drawing, "a") for drawing, _ in frames]
    assert "waiting for its gradient" in seen[0] and "(a sum of 3 contributions)" in seen[0]
    assert any("1 of 3 contributions arrived" in text or "2 of 3 contributions arrived" in text for text in seen)
    assert f"grad {2 * 2.0 + math.cos(2.0):.4f}" in seen[-1] and "= sum of 3 contributions" in seen[-1]
    assert 'peripheries="2"' in frames[0][0].source  # the fan-out is marked in every frame


def shown_gradient(source: str, name: str) -> np.ndarray:
    """The gradient a frame's DOT source shows on the leaf called `name` (values in full)."""
    label = re.search(rf"\[label=<<b>{re.escape(name)}</b>(.*?)> \w+=", source).group(1)
    text = html.unescape(label.replace("<br/>", " "))
    values = text.partition("grad ")[2].partition("=")[0]
    return np.array([float(v) for v in re.findall(r"-?\d+\.\d+(?:e[+-]?\d+)?|-?nan|-?inf", values)])


def check_final_frame_against_the_engine(output: tg.Tensor, inputs: list[tg.Tensor]) -> None:
    """Every input's gradient in the finished frame equals tg.grad's (to the 4 decimals shown)."""
    for i, x in enumerate(inputs):
        x.name = f"in{i}"
    final = backward_frames(output, max_elements=10_000)[-1][0].source
    expected = tg.grad(output, inputs, allow_unused=True)
    for x, g in zip(inputs, expected):
        if g is None:
            assert "waiting for its gradient" in final
            continue
        shown = shown_gradient(final, x.name)
        assert shown.size == g.size, (x.name, shown, g)
        np.testing.assert_allclose(shown, g.data.reshape(-1), atol=1e-4, rtol=0, err_msg=x.name)


@pytest.mark.parametrize("info", REGISTRY, ids=[info.name for info in REGISTRY])
def test_animation_shows_the_engines_gradients_for_every_registered_op(info):
    rng = np.random.default_rng(0)
    shapes, kwargs = all_cases(info)[0]
    inputs = make_inputs(info, shapes, rng)
    out = bind(info, kwargs)(*inputs)
    weights = tg.tensor(rng.uniform(0.5, 1.5, out.shape))  # a scalar that weighs every output element differently
    check_final_frame_against_the_engine((out * weights).sum(), inputs)


COMPOSITIONS = {
    "fan-out": lambda x, w: (x * x + x.sin() * x).sum() + (x @ w).tanh().mean(),
    "broadcasting": lambda x, w: ((x[:, :1] + w.T[:1]) * w.sum(axis=1)).sum(),
    "reductions": lambda x, w: x.max(axis=1).sum() + (x.var(axis=0) * w.mean()).sum(),
    "indexing": lambda x, w: (x[[0, 0, 1]] * 2).sum() + x[1:, ::2].exp().sum() + w[2, 1],
    "conv": lambda x, w: tg.conv2d(x.reshape(1, 1, 3, 3), w[:2].reshape(1, 1, 2, 2), padding=1).relu().sum(),
}


@settings(max_examples=10)
@given(st.sampled_from(sorted(COMPOSITIONS)), st.integers(0, 2 ** 16))
def test_animation_shows_the_engines_gradients_on_compositions(name, seed):
    rng = np.random.default_rng(seed)
    x = tg.tensor(rng.uniform(-1, 1, (3, 3)), requires_grad=True)
    w = tg.tensor(rng.uniform(-1, 1, (3, 2)), requires_grad=True)
    check_final_frame_against_the_engine(COMPOSITIONS[name](x, w), [x, w])


def test_the_layout_does_not_jump_between_frames():
    loss, model = mlp_loss()
    frames = backward_frames(loss, module=model)
    geometry = [{title: n["geometry"] for title, n in svg_nodes(drawing).items()} for drawing, _ in frames]
    assert all(g == geometry[0] for g in geometry[1:])


def test_the_graph_stays_usable_and_grad_untouched(tmp_path):
    loss, model = mlp_loss()
    tg.animate_backward(loss, tmp_path / "a.html", module=model)
    assert all(p.grad is None for p in model.parameters())
    loss.backward()  # nothing was freed
    reference = [p.grad.numpy().copy() for p in model.parameters()]
    loss2, model2 = mlp_loss()
    grads = tg.grad(loss2, list(model2.parameters()))
    for g, r in zip(grads, reference):
        np.testing.assert_allclose(g.data, r, rtol=1e-6)


def test_clear_errors():
    x = tg.ones(3, requires_grad=True)
    with pytest.raises(ValueError, match=r"shape \(3,\).*output.sum\(\)"):
        backward_frames(x * 2)
    with pytest.raises(ValueError, match="no graph to walk"):
        backward_frames(tg.ones(1))
    with pytest.raises(TypeError, match="must be a Tensor"):
        backward_frames(3.0)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="already freed.*retain_graph=True"):
        backward_frames(y)
    with pytest.raises(ValueError, match="rankdir must be one of"):
        backward_frames((x * x).sum(), rankdir="up")
    with pytest.raises(ValueError, match=r"\.html or \.gif"):
        tg.animate_backward((x * x).sum(), "walk.mp4")
    chain = x
    for _ in range(401):
        chain = chain * 1.0
    with pytest.raises(ValueError, match="402 nodes, more than the 400 steps"):
        backward_frames(chain.sum())


# ----------------------------------------------------------------------------------------------
# the files


def test_html_is_one_offline_file_under_2_mb_for_a_two_layer_mlp(tmp_path):
    loss, model = mlp_loss()
    path = tg.animate_backward(loss, tmp_path / "backward.html", module=model)
    page = path.read_text()
    assert path.stat().st_size < 2_000_000
    frames = page.count('class="frame"')
    assert frames == len(walk_order([loss])) + 1 and page.count("<svg") == frames
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)  # nothing is fetched
    assert "<link" not in page and "@import" not in page
    assert len(set(re.findall(r'\bid="([^"]+)"', page))) == len(re.findall(r'\bid="([^"]+)"', page))


def test_gif_has_every_frame(tmp_path):
    image_module = pytest.importorskip("PIL.Image", reason="the GIF writer needs Pillow (the animation extra)")
    o, _ = micrograd_neuron()
    path = tg.animate_backward(o, tmp_path / "walk.gif", frame_ms=300)
    with image_module.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames == len(walk_order([o])) + 1
        assert gif.info["duration"] == 300


def test_folder_gets_svg_and_png_frames(tmp_path):
    o, _ = micrograd_neuron()
    folder = tg.animate_backward(o, tmp_path / "frames")
    count = len(walk_order([o])) + 1
    assert sorted(p.name for p in folder.glob("*.svg")) == [f"frame_{i:03d}.svg" for i in range(count)]
    assert all((folder / f"frame_{i:03d}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for i in range(count))


def test_html_page_in_a_headless_chromium(tmp_path):
    binary = find_chromium()
    if binary is None:
        pytest.skip("no Chromium on PATH (or no posix_spawn): install it (apt-get install chromium) to test the "
                    "HTML page in a real headless browser")
    loss, model = mlp_loss()
    path = tg.animate_backward(loss, tmp_path / "backward.html", module=model, frame_ms=100)
    count = len(walk_order([loss])) + 1
    with Chromium(binary) as browser:
        browser.open(path)
        visible = "[...document.querySelectorAll('.frame')].map(f => f.getBoundingClientRect().height > 0)"
        assert browser.evaluate("document.querySelectorAll('.frame svg').length") == count
        for i in range(count):  # the slider moves through every frame
            browser.evaluate(f"(() => {{ const s = document.getElementById('slider'); s.value = '{i}';"
                             "s.dispatchEvent(new Event('input')); })()")
            assert browser.evaluate(visible) == [k == i for k in range(count)]
            assert browser.evaluate("document.getElementById('counter').textContent") == f"{i + 1} / {count}"
        browser.evaluate("document.getElementById('first').click()")
        browser.evaluate("document.getElementById('next').click()")
        assert browser.evaluate("document.body.dataset.frame") == "1"
        browser.evaluate("document.getElementById('prev').click()")
        assert browser.evaluate("document.body.dataset.frame") == "0"
        browser.evaluate("document.getElementById('play').click()")
        browser.evaluate(f"new Promise(done => setTimeout(done, {100 * count + 600}))")
        assert browser.evaluate("document.body.dataset.frame") == str(count - 1)  # played to the end, then stopped
        assert browser.evaluate("document.getElementById('slider').value") == str(count - 1)
        assert browser.errors() == []
        assert browser.requested_urls() == [path.resolve().as_uri()]  # works offline: nothing else is fetched
