"""Jupyter display: HTML holds the player and the numbers; plain reprs stay short."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from _audio import write_silence

from mimo_openai_ext import (
    ask_batch,
    display_part,
    estimate_batch,
    estimate_request,
    input_audio_part,
    probe_audio,
    text_part,
    user_message,
)
from mimo_openai_ext._answer import Answer, answer_html
from mimo_openai_ext._ask import ask
from mimo_openai_ext._batch.results import batch_results_html
from mimo_openai_ext._display import part_html, part_text
from mimo_openai_ext._request_estimate import estimate_html
from mimo_openai_ext._usage import UsageReport, usage_html


@pytest.fixture
def wav(tmp_path: Path) -> Path:
    return write_silence(tmp_path / "speech.wav", 1.5)


@pytest.fixture
def answer(mimo_emulator, wav: Path) -> Answer:
    mimo_emulator.configure(answer_in_content=True)  # an answer with its reasoning beside it
    with mimo_emulator.client() as client:
        return ask(client, wav, "What is said?")


def test_probe_html_shows_format_duration_and_tokens(wav: Path) -> None:
    html = probe_audio(wav)._repr_html_()
    assert "speech.wav" in html
    assert "wav (audio/wav" in html
    assert "1.50 s" in html
    assert "16,000 Hz" in html
    assert "10 (estimate)" in html  # ceil(1.5 * 6.25)


def test_answer_html_has_text_folded_reasoning_and_usage(answer: Answer) -> None:
    html = answer_html(answer)
    assert answer.text.split(":")[0] in html
    assert "<details><summary>Reasoning (" in html
    assert f"{answer.usage.prompt_tokens:,}" in html
    assert f"{answer.usage.audio_tokens:,}" in html
    assert "$" in html
    visible, folded_estimate = html.split("<details><summary>Estimate before the call")
    assert "<b>Usage</b>" in visible.split("</details>")[-1]  # the usage table is not folded away
    assert "Request estimate" in folded_estimate  # the pre-call estimate rides along, folded


def test_html_escapes_model_text() -> None:
    usage = UsageReport.from_usage({"prompt_tokens": 3, "completion_tokens": 1}, model="mimo-v2.6-flash")
    evil = Answer(
        text="<script>alert(1)</script>", reasoning="a < b", finish_reason="length", model="m", usage=usage
    )
    html = answer_html(evil)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Cut short" in html


def test_usage_and_estimate_html_show_the_numbers(answer: Answer) -> None:
    usage = usage_html(answer.usage)
    assert "completion tokens" in usage
    assert f"{answer.usage.completion_tokens:,}" in usage
    assert answer.estimate is not None
    estimate = estimate_html(answer.estimate)
    assert f"{answer.estimate.input_tokens:,}" in estimate
    assert "1.50 s" in estimate
    assert "fits" in estimate


def test_a_local_part_gets_a_player_with_format_and_duration(wav: Path) -> None:
    part = input_audio_part(wav)
    html = part_html(part)
    assert '<audio controls preload="metadata" src="data:audio/wav;base64,' in html
    assert base64.b64encode(wav.read_bytes()).decode()[:200] in html
    assert "wav (audio/wav), 1.50 s, 16,000 Hz mono" in html


def test_a_large_part_is_described_without_a_player(wav: Path) -> None:
    html = part_html(input_audio_part(wav), max_embed_chars=1000)
    assert "<audio" not in html
    assert "player omitted" in html
    assert "1.50 s" in html


def test_url_and_raw_parts() -> None:
    url = {"type": "input_audio", "input_audio": {"data": "https://example.com/a.mp3"}}
    assert '<audio controls preload="metadata" src="https://example.com/a.mp3">' in part_html(url)
    raw = {"type": "input_audio", "input_audio": {"data": "UklGRgAAAAA="}}
    assert "<audio" not in part_html(raw)
    assert "ignore it silently" in part_text(raw)


def test_a_message_shows_every_part(wav: Path) -> None:
    message = user_message(input_audio_part(wav), text_part("What is <said>?"))
    html = part_html(message)
    assert html.count("<audio") == 1
    assert "What is &lt;said&gt;?" in html
    assert part_text(message).splitlines()[1] == "text: 'What is <said>?'"
    with pytest.raises(ValueError, match="pass a part"):
        part_html(42)


def test_display_part_outside_a_notebook_prints_a_short_summary(wav: Path, capsys) -> None:
    display_part(input_audio_part(wav))
    out = capsys.readouterr().out
    assert out.startswith("audio: wav (audio/wav), 1.50 s")
    assert "base64" not in out
    assert len(out) < 200


def test_plain_reprs_stay_short(answer: Answer, wav: Path) -> None:
    assert len(repr(probe_audio(wav))) < 400
    assert "base64" not in repr(answer)
    assert len(repr(answer)) < 3000


def test_batch_results_html_and_repr(mimo_emulator, wav: Path, tmp_path: Path) -> None:
    missing = tmp_path / "gone.wav"
    with mimo_emulator.client() as client:
        results = ask_batch(client, [wav, missing], "q")
    html = batch_results_html(results)
    assert "2 items</b>: 1 ok, 1 failed" in html
    assert str(wav) in html
    assert "InvalidAudioSourceError" in html
    assert "1.50" in html  # the duration column
    assert f"{results[0].tokens('audio_tokens'):,}" in html
    assert results._repr_html_() == html
    assert "<audio" not in results[0]._repr_html_()  # the answer, not the audio
    assert repr(results).startswith("BatchResults(2 items: 1 ok, 1 failed")
    assert len(repr(results[0])) < 200


def test_batch_estimate_html(wav: Path) -> None:
    html = estimate_batch([wav, wav], "q", max_completion_tokens=10)._repr_html_()
    assert "Batch estimate" in html
    assert "3.00 s" in html
    assert "20" in html  # audio tokens


def test_result_classes_render_in_notebooks(answer: Answer, wav: Path) -> None:
    """The owning dataclasses expose ``_repr_html_`` (what Jupyter calls)."""
    assert "1.50 s" in probe_audio(wav)._repr_html_()
    assert "<details>" in answer._repr_html_()
    assert "total tokens" in answer.usage._repr_html_()
    assert answer.estimate is not None
    assert "Request estimate" in answer.estimate._repr_html_()


def test_display_part_refuses_a_string_or_a_number_saying_what_it_takes() -> None:
    from mimo_openai_ext import InvalidOptionError, MimoAudioError

    with pytest.raises(InvalidOptionError, match=r"got the string 'hi'; pass a part") as info:
        display_part("hi")
    assert isinstance(info.value, MimoAudioError)
    assert "display_part(input_audio_part('hi'))" in str(info.value)
    with pytest.raises(InvalidOptionError, match="got a value of type int"):
        display_part(5)
    with pytest.raises(InvalidOptionError, match="content is a int"):
        display_part({"role": "user", "content": 5})


def test_estimate_html_captions_the_per_audio_table_apart_from_the_totals(wav: Path) -> None:
    estimate = estimate_request([user_message(input_audio_part(wav), input_audio_part(wav), "q")])
    html = estimate_html(estimate)
    totals_end = html.index("</table>")
    assert html.index("<caption", totals_end) > totals_end  # the second table has its own caption
    assert "<b>Audio parts (2)</b></caption>" in html
    assert html[totals_end:].startswith('</table><div style="height:10px"></div>')


def test_answer_html_heads_and_spaces_text_reasoning_and_usage(answer: Answer) -> None:
    html = answer_html(answer)
    assert html.startswith('<div style="margin:10px 0 4px 0"><b>Answer</b></div>')
    reasoning, usage = html.index("<details><summary>Reasoning"), html.index("<b>Usage</b>")
    assert html.index('<div style="margin-top:8px"><details>') < reasoning < usage
    assert '<div style="height:10px"></div><table' in html[reasoning : usage + 200]


def test_batch_results_html_names_sources_relative_to_their_folder(mimo_emulator, tmp_path: Path) -> None:
    inner = tmp_path / "calls" / "monday"
    inner.mkdir(parents=True)
    first = write_silence(tmp_path / "calls" / "a.wav", 0.5)
    second = write_silence(inner / "b.wav", 0.5)
    with mimo_emulator.client() as client:
        results = ask_batch(client, [first, second], "q")
        relative = ask_batch(client, ["not-here.wav", first], "q")  # a relative path: no common folder
    html = batch_results_html(results)
    assert f"sources in <code>{tmp_path / 'calls'}</code>" in html
    assert f'title="{first}">a.wav</td>' in html
    assert f'title="{second}">monday/b.wav</td>' in html
    html = batch_results_html(relative)
    assert "sources in" not in html
    assert 'title="not-here.wav">not-here.wav</td>' in html
    assert f'title="{first}">{first}</td>' in html


def test_across_html_shows_the_answer_pieces_and_summed_usage(mimo_emulator, tmp_path: Path) -> None:
    from mimo_openai_ext import ask_across_chunks

    long = write_silence(tmp_path / "long.wav", 25.0)
    with mimo_emulator.client() as client:
        result = ask_across_chunks(client, long, "Decisions?", max_duration_s=10, combine=False)
    html = result._repr_html_()
    assert "<b>Question: Decisions?</b>" in html
    assert f"answers by time of {len(result.chunks)} pieces" in html
    assert "<b>Pieces</b></caption>" in html
    assert re.search("00:00\u2060-\u206000:[01][0-9]<", html)  # a time range never wraps
    assert "<b>Usage (every call, summed)</b>" in html
    assert f"{result.usage.total_tokens:,}" in html
