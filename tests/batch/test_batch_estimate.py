"""``estimate_batch``: an item that ``ask_batch`` would fail before sending is a "would fail"."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from _audio import sparse_wav, write_silence

from mimo_openai_ext import DEFAULT_LIMITS, UnsupportedFeatureError
from mimo_openai_ext._batch.ask import ask_batch
from mimo_openai_ext._batch.estimate import estimate_batch


def test_a_file_over_the_data_uri_limit_would_fail_as_the_batch_fails_it(
    mimo_emulator, client, tmp_path: Path
) -> None:
    big = sparse_wav(tmp_path / "big.wav", size_bytes=58_000_000, sample_rate=16000)
    small = write_silence(tmp_path / "small.wav", 0.5, sample_rate=8000)
    estimate = estimate_batch([big, small], "What?", max_completion_tokens=100)
    assert [source for source, _ in estimate.unreadable] == [str(big)]
    why = estimate.unreadable[0][1]
    assert "over MiMo's limit of 50,000,000" in why
    assert "would fail: " in estimate.summary()
    assert estimate.audio_tokens == 4  # the small one only: ceil(0.5 * 6.25)

    results = ask_batch(client, [big], "What?")
    assert results[0].error is not None
    assert results[0].error["type"] == "AudioTooLargeError"
    assert mimo_emulator.completions() == []


def test_an_item_over_the_context_would_fail(tmp_path: Path) -> None:
    clip = write_silence(tmp_path / "clip.wav", 1.0, sample_rate=8000)
    dense = dataclasses.replace(DEFAULT_LIMITS, audio_tokens_per_second=2_000_000.0)  # 1 s > 1M tokens
    estimate = estimate_batch([clip], "q", limits=dense)
    assert [source for source, _ in estimate.unreadable] == [str(clip)]
    assert "context" in estimate.unreadable[0][1]
    assert estimate.audio_tokens == 0


def test_max_completion_tokens_that_leave_no_room_would_fail(tmp_path: Path) -> None:
    clip = write_silence(tmp_path / "clip.wav", 1.0, sample_rate=8000)
    tight = dataclasses.replace(DEFAULT_LIMITS, audio_tokens_per_second=1_000_000.0)  # 1 s = 1M tokens
    estimate = estimate_batch([clip], "q", limits=tight, max_completion_tokens=100_000)
    assert [source for source, _ in estimate.unreadable] == [str(clip)]
    assert "lower max_completion_tokens" in estimate.unreadable[0][1]


def test_the_transcription_model_is_refused_as_ask_batch_refuses_it(tmp_path: Path) -> None:
    clip = write_silence(tmp_path / "clip.wav", 0.5, sample_rate=8000)
    with pytest.raises(UnsupportedFeatureError, match="mimo-audio transcribe"):
        estimate_batch([clip], "q", model="mimo-v2.5-asr")


def test_a_model_without_audio_input_is_refused(tmp_path: Path) -> None:
    clip = write_silence(tmp_path / "clip.wav", 0.5, sample_rate=8000)
    with pytest.raises(UnsupportedFeatureError, match="speech model"):
        estimate_batch([clip], "q", model="mimo-v2.5-tts")
