"""``mimo-audio fit`` and ``mimo-audio split``: files written, summaries printed, errors one line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from _audio import gated_tone

from mimo_openai_ext._cli import main


@pytest.fixture
def stereo_minute(tmp_path: Path) -> Path:
    mono = gated_tone(60.0, 44100, period_s=5, on_s=4, freq_hz=200, noise=0.03)
    path = tmp_path / "talk.wav"
    sf.write(path, np.stack([mono, 0.8 * mono], axis=1).astype(np.float32), 44100, subtype="PCM_16")
    return path


def test_fit_writes_and_summarises(stereo_minute: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = stereo_minute.with_name("small.flac")
    assert main(["fit", str(stereo_minute), "-o", str(out), "--max-bytes", "3000000"]) == 0
    text = capsys.readouterr().out
    assert out.is_file()
    assert out.stat().st_size <= 3_000_000
    assert sf.info(out).duration == pytest.approx(60.0)
    assert "WAV 10.6 MB -> FLAC" in text
    assert "duration 60.00 s -> 60.00 s (100.00% kept)" in text


def test_fit_names_the_output_after_the_real_format(
    stereo_minute: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    asked = stereo_minute.with_name("out.flac")
    assert main(["fit", str(stereo_minute), "-o", str(asked), "--max-bytes", "400000"]) == 0
    text = capsys.readouterr().out
    assert not asked.exists()
    assert stereo_minute.with_name("out.mp3").is_file()
    assert "the result is MP3" in text


def test_fit_default_output_keeps_small_files(
    write_audio: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_audio("note.wav", 1.0)
    assert main(["fit", str(path)]) == 0
    assert path.with_name("note.fit.wav").read_bytes() == path.read_bytes()
    assert "kept as is" in capsys.readouterr().out


def test_fit_that_cannot_fit_is_one_error_line(
    stereo_minute: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fit", str(stereo_minute), "--max-bytes", "20000"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("mimo-audio: error: talk.wav:")
    assert "mimo-audio split" in err
    assert "\n" not in err


def test_split_writes_chunks(stereo_minute: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "chunks"
    assert main(["split", str(stereo_minute), "-o", str(out), "--max-duration", "20"]) == 0
    files = sorted(out.iterdir())
    assert [f.name for f in files][:2] == ["talk.001.flac", "talk.002.flac"]
    assert all(sf.info(f).duration <= 20.0 for f in files)
    covered = sum(sf.info(f).duration for f in files) - 1.0 * (len(files) - 1)
    assert covered == pytest.approx(60.0, abs=1e-3)
    assert f"{len(files)} chunks:" in capsys.readouterr().out


def test_split_rejects_bad_numbers(
    stereo_minute: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(["split", str(stereo_minute), "-o", str(tmp_path), "--max-duration", "-3"])
    assert "must be positive" in capsys.readouterr().err


def test_ask_split_asks_each_chunk_and_combines(
    stereo_minute: Path, mimo_emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["ask", str(stereo_minute), "What is it?", "--split", "--max-duration", "25"]
    argv += ["--base-url", mimo_emulator.base_url, "--api-key", mimo_emulator.api_key, "--json"]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert len(result["chunks"]) == 3
    assert result["combined"] is not None
    assert result["usage"]["audio_tokens"] == sum(
        c["answer"]["usage"]["audio_tokens"] for c in result["chunks"]
    )
    assert len(mimo_emulator.request_log) == 4


def test_ask_split_takes_one_file(
    stereo_minute: Path, mimo_emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["ask", str(stereo_minute), str(stereo_minute), "q", "--split"]
    argv += ["--base-url", mimo_emulator.base_url, "--api-key", mimo_emulator.api_key]
    assert main(argv) == 2
    assert "--split takes exactly one local audio file" in capsys.readouterr().err
