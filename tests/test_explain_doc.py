"""docs/explain.md stays true: its examples run in order, print the tables it shows, its generated
code is what `trace.code()` writes, and that code gives the gradients of the lecture and the engine."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg

DOC = Path(__file__).resolve().parent.parent / "docs" / "explain.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
MICROGRAD_GRADIENTS = {"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5}  # the lecture's, derived by hand


def doc_blocks() -> list[tuple[str, str]]:
    """(language, text) of every fenced block after the cheat sheet, in order (from section 1 on)."""
    examples = DOC.read_text(encoding="utf-8").split("\n## 1.", 1)[1]
    return FENCE.findall(examples)


def is_generated_code(block: str) -> bool:
    """A block the doc shows as `trace.code()`'s output (compared with it, not run as an example)."""
    return block.startswith(("import numpy as np\n\n# the inputs", "# the backward pass"))


def assert_printed_as_shown(printed: str, shown: str) -> None:
    """The doc's table equals what the example printed; a line `...` in the doc stands for the rows
    it leaves out."""
    printed_lines, shown_lines = printed.rstrip("\n").splitlines(), shown.rstrip("\n").splitlines()
    if "..." not in shown_lines:
        assert printed_lines == shown_lines
        return
    cut = shown_lines.index("...")
    head, tail = shown_lines[:cut], shown_lines[cut + 1:]
    assert printed_lines[:len(head)] == head
    assert printed_lines[len(printed_lines) - len(tail):] == tail


@pytest.fixture
def doc_run(tmp_path, monkeypatch):
    """Every Python example of the doc run in one namespace (in tmp_path, where they write their
    pictures), with what each printed; the default dtype the doc sets is restored afterwards."""
    monkeypatch.chdir(tmp_path)
    previous = tg.get_default_dtype()
    namespace: dict = {}
    runs = []
    try:
        for language, block in doc_blocks():
            if language != "python" or is_generated_code(block):
                continue
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                exec(block, namespace)
            runs.append((block, printed.getvalue()))
        yield namespace, runs
    finally:
        tg.set_default_dtype(previous)


def test_every_printed_table_is_the_one_the_doc_shows(doc_run):
    _, runs = doc_run
    blocks = doc_blocks()
    printing = [(block, printed) for block, printed in runs if printed]
    assert len(printing) == 2, "the neuron and the MLP print their traces"
    for block, printed in printing:
        position = blocks.index(("python", block))
        language, shown = blocks[position + 1]
        assert language == "", "a printing example is followed by its output"
        assert_printed_as_shown(printed, shown)


def test_the_neuron_code_is_what_trace_code_writes_and_gives_the_lecture_gradients(doc_run):
    namespace, _ = doc_run
    shown = next(block for language, block in doc_blocks() if is_generated_code(block) and "# the inputs" in block)
    assert namespace["trace"].code().strip() == shown.strip()
    generated: dict = {}
    exec(shown, generated)
    assert {name: float(g) for name, g in generated["grads"].items()} == pytest.approx(MICROGRAD_GRADIENTS, abs=1e-12)
    assert float(np.tanh(0.8813735870195432)) == pytest.approx(0.7071067811865476)  # o = 1/sqrt(2)


def test_the_mlp_code_is_what_trace_code_writes_and_gives_the_engine_gradients(doc_run):
    namespace, _ = doc_run
    loss, parameters = namespace["loss"], [namespace["w2"], namespace["b1"], namespace["w1"]]
    code = tg.explain(loss).code()
    shown = next(block for language, block in doc_blocks() if block.startswith("# the backward pass"))
    assert code[code.index("# the backward pass"):].strip() == shown.strip()
    generated: dict = {}
    exec(code, generated)
    for tensor, engine in zip(parameters, tg.grad(loss, parameters, retain_graph=True)):
        np.testing.assert_allclose(generated["grads"][tensor.name], engine.numpy(), rtol=1e-10)


def test_the_fan_out_lines_are_what_the_trace_and_the_code_write(doc_run):
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x.tanh()
    trace = tg.explain((h * h).sum() + h.sum())
    shown = next(block for language, block in doc_blocks() if "FAN-OUT" in block and language == "")
    table_line, code_line = shown.rstrip("\n").splitlines()
    assert table_line in str(trace).splitlines() and code_line in trace.code().splitlines()
    np.testing.assert_allclose(next(s for s in trace if s.op == "Tanh").upstream, 2 * np.tanh([1.0, 2.0]) + 1)


def test_the_scalar_view_matches_the_tensor_engine(doc_run):
    namespace, _ = doc_run
    assert Path("value.png").read_bytes().startswith(b"\x89PNG")
    a, b = namespace["a"], namespace["b"]  # out = tanh(a b + a) at a = 2, b = -3: tanh(-4)
    assert a.grad == pytest.approx((1 - np.tanh(-4.0) ** 2) * (-3.0 + 1.0))  # d out/da = (1 - out**2)(b + 1)
    assert b.grad == pytest.approx((1 - np.tanh(-4.0) ** 2) * 2.0)  # d out/db = (1 - out**2) a
    scalar = namespace["s"]
    counted = re.search(r"from (\d+) scalar operations", DOC.read_text(encoding="utf-8"))
    assert scalar.check() and len(scalar) == int(counted.group(1))
    engine = tg.grad(namespace["loss"], [namespace["w1"]], retain_graph=True)[0]
    np.testing.assert_allclose(scalar.grads[1], engine.numpy(), rtol=1e-10)
