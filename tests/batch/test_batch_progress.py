"""A batch's progress: it advances on every item, shows rate-limit waits, and survives export."""

from __future__ import annotations

import math
import re
import textwrap
from pathlib import Path

import pytest
from _audio import write_silence

from mimo_openai_ext import ask_batch
from mimo_openai_ext._batch.progress import BatchProgress
from mimo_openai_ext.batch import RateLimiter


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_wait_is_shown_and_counts_down() -> None:
    clock = _Clock()
    bar = BatchProgress(total=3, initial=[], enabled=False, clock=clock)
    assert bar.wait_note() == ""
    bar.waiting("a", 12.0)
    bar.waiting("b", 30.0)
    assert bar.postfix().endswith(", waiting for rate limit: 12 s")  # the first slot to free up
    clock.now += 5.2
    assert bar.wait_note() == "waiting for rate limit: 7 s"
    bar.waited("a")
    assert bar.wait_note() == "waiting for rate limit: 25 s"
    bar.waited("b")
    bar.waiting("c", math.inf)
    assert bar.wait_note() == "waiting for rate limit: until a request in flight ends"
    bar.waited("c")
    assert "waiting" not in bar.postfix()


def test_the_limiter_reports_how_long_a_request_waits() -> None:
    limiter = RateLimiter(1, window_s=0.2)
    limiter.acquire_sync()
    limiter.release()
    waits: list[float] = []
    limiter.acquire_sync(on_wait=waits.append)
    limiter.release()
    assert waits
    assert 0 < waits[0] <= 0.2


@pytest.fixture
def clips(tmp_path: Path) -> list[Path]:
    return [write_silence(tmp_path / f"c{i}.wav", 0.2 + 0.1 * i, sample_rate=8000) for i in range(5)]


def test_the_terminal_bar_advances_on_every_item_and_shows_the_wait(
    mimo_emulator, client, clips: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    limiter = RateLimiter(2, window_s=0.6)  # 5 items at 2 per 0.6 s: the limiter holds 3 back
    results = ask_batch(client, clips, "q", concurrency=5, rate_limiter=limiter, progress=True)
    assert len(results.succeeded) == 5
    err = capsys.readouterr().err
    frames = [f for f in re.split(r"[\r\n]", err) if "/5" in f]
    shown = [int(re.search(r"(\d)/5", f).group(1)) for f in frames]  # type: ignore[union-attr]
    assert set(shown) == {0, 1, 2, 3, 4, 5}  # every completed item drawn, none skipped
    assert shown == sorted(shown)
    waiting = [f for f in frames if "waiting for rate limit: " in f]
    assert waiting, "the rate-limit wait was never shown"
    assert any(re.search(r"waiting for rate limit: \d+ s", f) for f in waiting)  # counted down
    assert "waiting" not in frames[-1]  # the final frame: all done, nothing waits


NOTEBOOK_CELLS = [
    """
    import sys

    sys.modules["ipywidgets"] = None  # no widgets: what a plain install or an exported notebook has
    """,
    """
    from pathlib import Path

    import numpy as np
    import soundfile as sf

    from mimo_openai_ext import ask_batch, mimo_client
    from mimo_openai_ext.emulator import start_emulator

    paths = []
    for i in range(13):
        paths.append(Path(f"clip{i}.wav"))
        sf.write(paths[-1], np.zeros(1600 + 160 * i, dtype="float32"), 16000)
    emulator = start_emulator()
    client = mimo_client(base_url=emulator.base_url, api_key=emulator.api_key)
    """,
    """
    results = ask_batch(client, paths, "q", concurrency=4, progress=True)
    """,
    """
    client.close()
    emulator.close()
    """,
]


def test_a_saved_notebook_keeps_the_final_progress(tmp_path: Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(textwrap.dedent(code).strip()) for code in NOTEBOOK_CELLS]
    )
    NotebookClient(
        notebook, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    saved = nbformat.reads(nbformat.writes(notebook), as_version=4)  # as it is written to disk
    outputs = saved.cells[2].outputs
    assert [o.output_type for o in outputs] == ["display_data"]  # one display, updated in place
    text, html = outputs[0].data["text/plain"], outputs[0].data["text/html"]
    assert text.startswith("13/13 files")
    assert "ok=13 failed=0" in text
    assert '<progress value="13" max="13"' in html
    assert "0/13" not in text + html
