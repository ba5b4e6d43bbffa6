"""Every Python snippet of the README runs, in order, as a newcomer would paste them."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, re.S)


def test_the_readme_has_its_snippets():
    assert len(python_blocks(README.read_text())) >= 5


def test_every_readme_snippet_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # snippets save files (model.tgz, mlp.png)
    namespace: dict = {}
    for block in python_blocks(README.read_text()):
        if re.search(r"^import torch\b", block, re.M) and importlib.util.find_spec("torch") is None:
            continue  # the PyTorch hand-over needs PyTorch; tests/test_interop.py covers it
        exec(compile(block, str(README), "exec"), namespace)  # noqa: S102 (the README's own code)
    assert (tmp_path / "model.tgz").exists()

