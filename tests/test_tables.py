"""Tables for notebooks: batch results as a DataFrame, aligned HTML grids, answers side by side."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from _audio import write_silence

from mimo_openai_ext import (
    Answer,
    InvalidOptionError,
    InvalidTypeError,
    MissingExtraError,
    ask,
    ask_batch,
    compare_answers,
)
from mimo_openai_ext._format import grid


@pytest.fixture
def results(client, tmp_path: Path):
    paths = [write_silence(tmp_path / f"call-{i}.wav", 0.5 + i, sample_rate=8000) for i in range(3)]
    broken = tmp_path / "broken-recording-with-a-long-name.wav"
    broken.write_bytes(b"RIFF\0\0\0\0WAVE")
    return ask_batch(client, [*paths, broken], "What is said?")


def test_to_pandas_has_flat_columns_and_empty_cells_for_failures(results) -> None:
    frame = results.to_pandas()
    assert list(frame["source"]) == [r.source for r in results]
    for column in ("prompt_tokens", "audio_tokens", "cached_tokens", "completion_tokens", "total_tokens"):
        assert str(frame[column].dtype) == "Int64"
    assert "usage" not in frame.columns  # flattened, not a dict in a cell
    ok, failed = frame.iloc[0], frame.iloc[3]
    assert ok["audio_tokens"] == results[0].usage.audio_tokens == 4  # ceil(0.5 s x 6.25)
    assert ok["cost_usd"] == pytest.approx(results[0].cost_usd)
    assert bool(failed["ok"]) is False
    assert failed["error_type"] == "CorruptAudioError"
    assert frame[["audio_tokens", "total_tokens", "cost_usd"]].iloc[3].isna().all()  # empty, not 0
    assert frame["audio_tokens"].sum() == results.tokens("audio_tokens")
    assert results.rows()[3]["total_tokens"] is None


def test_to_pandas_without_pandas_names_the_extra(results, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # what an install without pandas has
    with pytest.raises(MissingExtraError, match=r"pip install 'mimo-openai-ext\[jupyter\]'") as exc:
        results.to_pandas()
    assert exc.value.extra == "jupyter"
    assert len(results.rows()) == 4  # the plain rows need nothing


def _cells(html: str) -> list[tuple[str, str]]:
    """(style, text) of every data cell."""
    return re.findall(r'<td style="([^"]*)"[^>]*>([^<]*)</td>', html)


def test_numbers_are_right_aligned_and_names_never_wrap(results) -> None:
    cells = _cells(results._repr_html_())
    by_text = {text: style for style, text in cells}
    assert "text-align:right" in by_text[f"{results[1].tokens('audio_tokens'):,}"]
    assert "white-space:nowrap" in by_text["broken-recording-with-a-long-name.wav"]
    answer_style = by_text[next(t for _, t in cells if t.startswith("I received"))]
    assert "text-align:left" in answer_style
    assert "nowrap" not in answer_style  # long text still wraps


def test_grid_alignment_letters() -> None:
    html = grid(["name", "n", "text"], [("a.wav", "12", "x")], align="nrl")
    styles = [style for style, _ in _cells(html)]
    assert "white-space:nowrap" in styles[0]
    assert "text-align:left" in styles[0]
    assert "text-align:right" in styles[1]
    assert "nowrap" not in styles[2]
    with pytest.raises(ValueError, match="l, r and n"):
        grid(["a"], [], align="x")


def test_answers_side_by_side_in_one_table(client, tmp_path: Path) -> None:
    path = write_silence(tmp_path / "a.wav", 2.0)
    first = ask(client, path, "Who is speaking?")
    second = ask(client, path, "What is decided?")
    table = compare_answers([first, second], labels=["Who?", "What?"])
    html = table._repr_html_()
    assert html.count("<table") == 1
    assert re.search(r"<th[^>]*>Who\?</th><th[^>]*>What\?</th>", html)
    rows = {row[0]: row[1:] for row in table.rows()}
    assert rows["answer"] == (first.text, second.text)
    assert rows["· audio"] == ("13", "13")
    assert "text-align:right" in dict((t, s) for s, t in _cells(html))[rows["cost"][0]]
    assert "Who?" in repr(table)


def test_compare_answers_refuses_what_it_cannot_show(client, tmp_path: Path) -> None:
    answer = ask(client, write_silence(tmp_path / "a.wav", 1.0), "q")
    with pytest.raises(InvalidTypeError, match="a list of answers"):
        compare_answers(answer)  # type: ignore[arg-type]
    with pytest.raises(InvalidTypeError):
        compare_answers(["not an answer"])  # type: ignore[list-item]
    with pytest.raises(InvalidOptionError, match="one label per answer"):
        compare_answers([answer, answer], labels=["only one"])
    with pytest.raises(InvalidOptionError, match="no answers"):
        compare_answers([])
    assert isinstance(compare_answers([answer]).answers[0], Answer)
