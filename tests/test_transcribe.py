"""transcribe: one WAV/MP3 data URI to the ASR model, with asr_options; other input refused early."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import openai
import pytest
from _audio import encode_silence

from mimo_openai_ext import (
    DEFAULT_LIMITS,
    AudioTooLargeError,
    InvalidAudioSourceError,
    UnsupportedAudioFormatError,
    UnsupportedFeatureError,
)
from mimo_openai_ext._sample import sample_audio_path
from mimo_openai_ext._transcribe import build_transcription_request, transcribe, transcribe_async


def test_request_shape() -> None:
    kwargs, duration_s, name = build_transcription_request(sample_audio_path(), language="en")
    assert kwargs["model"] == "mimo-v2.5-asr"
    assert kwargs["extra_body"] == {"asr_options": {"language": "en"}}
    (message,) = kwargs["messages"]
    (part,) = message["content"]
    assert part["input_audio"]["data"].startswith("data:audio/mpeg;base64,")
    assert duration_s == pytest.approx(4.43, abs=0.05)
    assert name == "sample.mp3"


def test_transcribe_the_sample(client: openai.OpenAI, mimo_emulator: Any) -> None:
    transcript = transcribe(client, sample_audio_path(), language="zh")
    assert "emulated transcript" in transcript.text
    assert "language zh" in transcript.text  # asr_options reached the server
    assert transcript.usage.audio_seconds == pytest.approx(transcript.duration_s, abs=0.05)
    assert transcript.model == "mimo-v2.5-asr"
    assert [r.model for r in mimo_emulator.completions()] == ["mimo-v2.5-asr"]


def test_transcribe_wav_async(mimo_emulator: Any) -> None:
    async def main() -> Any:
        async with mimo_emulator.async_client() as client:
            return await transcribe_async(client, encode_silence(2.0, format="WAV"))

    transcript = asyncio.run(main())
    assert "wav" in transcript.text
    assert transcript.language == "auto"


def test_other_formats_point_at_conversion(mimo_emulator: Any) -> None:
    with pytest.raises(UnsupportedAudioFormatError) as caught:
        build_transcription_request(encode_silence(1.0, format="FLAC"), name="clip.flac")
    message = str(caught.value)
    assert "clip.flac" in message
    assert "flac" in message
    assert "wav, mp3" in message
    assert "mimo-audio fit" in message
    assert caught.value.found == "flac"
    assert mimo_emulator.completions() == []


def test_urls_are_refused() -> None:
    with pytest.raises(InvalidAudioSourceError, match="no URLs"):
        build_transcription_request("https://example.com/a.mp3")


def test_size_limit_is_checked_before_sending() -> None:
    small = dataclasses.replace(DEFAULT_LIMITS, asr_max_data_uri_chars=1_000)
    with pytest.raises(AudioTooLargeError) as caught:
        build_transcription_request(sample_audio_path(), limits=small)
    assert caught.value.limit == 1_000
    assert caught.value.size > 1_000


def test_unknown_language_is_refused() -> None:
    with pytest.raises(UnsupportedFeatureError, match="auto, zh, en"):
        build_transcription_request(sample_audio_path(), language="fr")


def test_a_chat_model_is_refused_before_any_request(mimo_emulator: Any, text_model: str) -> None:
    with pytest.raises(UnsupportedFeatureError) as caught:
        build_transcription_request(sample_audio_path(), model="mimo-v2.6-flash")
    message = str(caught.value)
    assert message.startswith("mimo-v2.6-flash is not a transcription model")
    assert "mimo-v2.5-asr" in message
    assert "transcriptions(client)" in message
    with pytest.raises(
        UnsupportedFeatureError, match=f"{text_model} is not a transcription model"
    ) as text_only:
        build_transcription_request(sample_audio_path(), model=text_model)
    assert f"ask {text_model}" not in str(text_only.value)  # a text-only model cannot be asked either
    assert mimo_emulator.completions() == []


@pytest.mark.filterwarnings("ignore::mimo_openai_ext.UnknownModelWarning")
def test_an_unknown_model_passes_through() -> None:
    kwargs, _, _ = build_transcription_request(sample_audio_path(), model="mimo-v9-asr")
    assert kwargs["model"] == "mimo-v9-asr"


def test_too_long_audio_points_at_split_commands() -> None:
    small = dataclasses.replace(DEFAULT_LIMITS, asr_max_data_uri_chars=1_000)
    with pytest.raises(AudioTooLargeError) as caught:
        build_transcription_request(encode_silence(1.0), name="long talk.wav", limits=small)
    message = str(caught.value)
    assert "`mimo-audio split 'long talk.wav' -o DIR --model mimo-v2.5-asr`" in message
    assert "`mimo-audio ask 'long talk.wav' \"Transcribe this\" --split`" in message
    assert "`mimo-audio fit`" not in message
