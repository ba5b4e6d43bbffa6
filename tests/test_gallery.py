"""The gallery of docs/graphs.md stays true: every `tinygrad-edu graph ... -o docs/gallery/NAME.png`
command listed there is run again, and its DOT text must equal the committed docs/gallery/NAME.dot."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tinygrad_edu.cli import main

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "graphs.md"
COMMAND = re.compile(r"^`tinygrad-edu graph (.+) -o docs/gallery/(\w+)\.png`$", re.M)


def gallery_commands() -> list[tuple[str, list[str]]]:
    """(image name, the command's arguments without -o) for every gallery image of the guide."""
    return [(name, shlex.split(arguments)) for arguments, name in COMMAND.findall(GUIDE.read_text())]


def test_the_guide_lists_a_command_for_every_gallery_image():
    named = {name for name, _ in gallery_commands()}
    assert {"scalar", "mlp", "mlp_backward", "cnn", "cnn_backward"} <= named
    images = {path.stem for path in (ROOT / "docs" / "gallery").glob("*.png")}
    assert images == named, "each image of docs/gallery needs its command in docs/graphs.md (and vice versa)"
    shown = set(re.findall(r"\]\(gallery/(\w+)\.png\)", GUIDE.read_text()))
    assert named <= shown


@pytest.mark.parametrize("name, arguments", gallery_commands(), ids=[name for name, _ in gallery_commands()])
def test_gallery_image_matches_its_command(name, arguments, tmp_path, capsys):
    committed = ROOT / "docs" / "gallery" / f"{name}.dot"
    assert committed.is_file(), f"docs/gallery/{name}.dot is missing: run the command with -o docs/gallery/{name}.dot"
    assert main(["graph", *arguments, "-o", str(tmp_path / f"{name}.dot")]) == 0
    command = f"tinygrad-edu graph {' '.join(arguments)} -o docs/gallery/{name}"
    assert (tmp_path / f"{name}.dot").read_text() == committed.read_text(), (
        f"docs/gallery/{name} is stale; regenerate with `{command}.dot` and `{command}.png`, then look at the image"
    )
