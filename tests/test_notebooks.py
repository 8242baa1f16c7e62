"""The notebooks run top to bottom (a failing cell fails the test), are stored clean, show
pictures and tables drawn by the library, and hold no hand-rolled HTML or SVG."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks() -> None:
    assert [p.name for p in NOTEBOOKS][:2] == ["01-quickstart.ipynb", "02-batch.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path: Path) -> None:
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code
    assert [cell.outputs for cell in code] == [[] for _ in code]
    assert {cell.execution_count for cell in code} == {None}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_holds_no_hand_rolled_html_or_svg(path: Path) -> None:
    import nbformat

    code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    assert re.findall(r"<\s*/?\s*[a-zA-Z][\w-]*[\s>/]", code) == []  # no tags: <table>, <svg ...>, <tr>
    assert re.findall(r"\b(?:HTML|SVG|Markdown|Javascript)\(", code) == []  # no IPython.display builders
    assert "IPython" not in code


# What each notebook must show, beyond the rich displays every one has.
SHOWN = {
    "01-quickstart.ipynb": ("AudioChat(", "the cache saved $"),
    "02-batch.ipynb": ("13/13 files", "cached_tokens"),
    "03-long-audio.ipynb": ("4 chunks", "over the whole recording ("),
    "04-transcripts-and-speech.ipynb": ("00:00:01,", "Good morning.", "-> 'Good evening", "<audio controls"),
}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path: Path, tmp_path: Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    html = "".join(str(o.get("data", {}).get("text/html", "")) for o in outputs)
    assert "<table" in html  # the rich displays rendered
    pictures = [o["data"]["image/svg+xml"] for o in outputs if "image/svg+xml" in o.get("data", {})]
    assert pictures, "no picture drawn"
    assert all("<svg" in str(svg) for svg in pictures)
    text = "".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert [s for s in SHOWN[path.name] if s not in text + html] == []
    assert "0/13" not in text  # a progress display keeps its final state, not its first frame
    assert "I received no audio" not in text
