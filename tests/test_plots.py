"""Pictures for notebooks: waveforms with chunks and segments on one timeline, batch scatter plots."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from _audio import write_silence

from mimo_openai_ext import (
    InvalidAudioSourceError,
    InvalidTypeError,
    MissingExtraError,
    ask_batch,
    fit_audio,
    plot_audio,
    probe_audio,
    split_audio,
)
from mimo_openai_ext._audio.waveform import envelope
from mimo_openai_ext.audio import Plot, TimeSpan


@pytest.fixture
def talk(tmp_path: Path) -> Path:
    """12 s: 2 s bursts of tone, 1 s pauses."""
    rate = 16000
    t = np.arange(2 * rate) / rate
    burst = (0.5 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)
    pause = np.zeros(rate, dtype=np.float32)
    path = tmp_path / "talk.wav"
    sf.write(path, np.concatenate([burst, pause] * 4), rate, subtype="PCM_16")
    return path


def _texts(plot: Plot) -> list[str]:
    """The text of the picture (svg.fonttype "none" keeps it as text)."""
    return _texts_of(plot.svg)


def _texts_of(svg: str) -> list[str]:
    return [t.strip() for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def test_the_envelope_follows_the_waveform(tmp_path: Path) -> None:
    rate = 8000
    samples = np.concatenate([np.zeros(rate), np.full(rate, 0.5), np.full(rate, -0.25)]).astype(np.float32)
    path = tmp_path / "steps.wav"
    sf.write(path, np.stack([samples, samples], axis=1), rate, subtype="FLOAT")
    piece, info = envelope(path, columns=30, start_s=10.0)
    assert (piece.start_s, piece.end_s) == (10.0, 13.0)
    assert info.channels == 2
    assert len(piece.low) == len(piece.high) == 30
    assert np.allclose(piece.high[:10], 0.0)
    assert np.allclose(piece.low[10:20], 0.5)
    assert np.allclose(piece.high[20:], -0.25)


def test_a_recording_is_drawn_with_what_it_is(talk: Path) -> None:
    plot = plot_audio(talk)
    assert plot.svg.startswith("<?xml")
    assert "<svg" in plot.svg
    assert "talk.wav · wav · 12.0 s · 16,000 Hz mono" in _texts(plot)
    assert "time (s)" in _texts(plot)
    assert "characters of SVG" in repr(plot)
    assert plot._repr_svg_() == plot.svg


def test_chunks_are_drawn_on_the_whole_recording(talk: Path, tmp_path: Path) -> None:
    chunks = list(split_audio(talk, max_duration_s=5))
    for picture in (plot_audio(talk, chunks=chunks), plot_audio(chunks)):
        texts = _texts(picture)
        assert "chunks" in texts  # the lane
        assert [t for t in texts if t.isdigit() and len(t) == 1][-len(chunks) :] == [
            str(i) for i in range(1, len(chunks) + 1)
        ]
        assert picture.svg.count("stroke-dasharray") >= len(chunks) - 1  # the boundaries
    assert f"{len(chunks)} chunks · 12.0 s" in _texts(plot_audio(chunks))
    out = tmp_path / "chunks.svg"
    plot_audio(chunks).save(out)
    assert out.read_text(encoding="utf-8").startswith("<?xml")


def test_segments_share_the_timeline(talk: Path) -> None:
    segments = [TimeSpan(0.0, 2.0, "Good morning"), (3.0, 5.0, "the weather?")]
    texts = _texts(plot_audio(talk, segments=segments))
    assert "segments" in texts
    assert "Good morning" in texts
    assert "the weather?" in texts


def test_fitted_audio_is_drawn_from_its_bytes(talk: Path) -> None:
    fitted = fit_audio(talk, max_bytes=200_000)
    title = next(t for t in _texts(plot_audio(fitted)) if t.startswith("talk.wav"))
    assert "fitted: " in title
    assert fitted.steps[0] in title


def test_what_cannot_be_drawn_is_our_error(talk: Path) -> None:
    with pytest.raises(InvalidAudioSourceError, match=r"headers only.*plot_audio\(path\)"):
        plot_audio(probe_audio(talk))  # type: ignore[arg-type]
    with pytest.raises(InvalidTypeError, match="AudioChunks"):
        plot_audio(["a.wav"])  # type: ignore[list-item]
    with pytest.raises(InvalidTypeError, match="start_s"):
        plot_audio(talk, segments=[object()])
    with pytest.raises(InvalidTypeError, match="title"):
        plot_audio(talk, title=3)  # type: ignore[arg-type]


def test_without_matplotlib_the_extra_is_named(talk: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(MissingExtraError, match=r"plot_audio\(\) needs matplotlib.*\[jupyter\]"):
        plot_audio(talk)


def test_a_batch_plots_duration_tokens_and_cost(client, tmp_path: Path) -> None:
    paths = [write_silence(tmp_path / f"c{i}.wav", 1.0 + 2 * i, sample_rate=8000) for i in range(4)]
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\0\0\0\0WAVE")
    results = ask_batch(client, [*paths, broken], "q")
    plot = results.plot()
    texts = _texts(plot)
    assert "4 items: duration, tokens and cost (1 failed or of unknown duration, not drawn)" in texts
    assert texts.count("audio duration (s)") == 2
    assert {"tokens", "cost per item", "audio tokens", "total tokens"} <= set(texts)
    series = re.findall(r'<g id="PathCollection_\d+">(.*?)</g>', plot.svg, re.S)
    points = [s.count("<use") for s in series if s.count("<use") > 1]  # legend markers hold one
    assert points == [4, 4, 4]  # audio tokens, total tokens, cost: the 4 answered items


def test_a_folder_is_refused_pointing_at_one_file_inside_it(tmp_path: Path) -> None:
    with pytest.raises(InvalidAudioSourceError, match="is a directory") as caught:
        plot_audio(tmp_path)
    assert "plot_audio(path_to_one_recording)" in str(caught.value)
    assert "batch" not in str(caught.value)  # a batch answers questions; it draws nothing


def test_fitted_audio_shows_its_table_over_a_small_waveform(talk: Path) -> None:
    fitted = fit_audio(talk, max_bytes=200_000)
    html = fitted._repr_html_()
    assert html.startswith("<table")
    assert "talk.wav (fitted)" in html
    assert fitted.steps[0] in html
    assert html.count("<svg") == 1  # the waveform, inline (no XML prolog inside the HTML)
    assert "<?xml" not in html
    assert "<path" in html  # a drawn waveform


def test_a_chunk_shows_its_place_and_a_small_waveform_at_that_place(talk: Path) -> None:
    chunks = list(split_audio(talk, max_duration_s=5))
    second = chunks[1]
    html = second._repr_html_()
    assert html.startswith("<table")
    assert "chunk 2: talk.wav" in html
    assert html.count("<svg") == 1
    ticks = [float(t) for t in _texts_of(html) if re.fullmatch(r"\d+(\.\d+)?", t)]
    assert ticks  # the time axis is the recording's: it starts where the chunk starts
    assert min(ticks) >= second.start_s - 0.01
    assert max(ticks) <= second.end_s + 0.01


def test_without_matplotlib_the_displays_are_tables_alone(
    talk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fitted = fit_audio(talk, max_bytes=200_000)
    chunk = next(iter(split_audio(talk, max_duration_s=5)))
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    for html in (fitted._repr_html_(), chunk._repr_html_()):
        assert html.startswith("<table")
        assert html.endswith("</table>")
        assert "<svg" not in html


def test_long_audio_is_not_decoded_to_show_its_display(talk: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mimo_openai_ext._audio import envelope as envelope_module

    fitted = fit_audio(talk, max_bytes=200_000)
    monkeypatch.setattr(envelope_module, "MAX_DISPLAYED_S", 1.0)  # the talk is 12 s: "long" here
    html = fitted._repr_html_()
    assert "<svg" not in html
    assert "12.00 s" in html  # the table is still there
