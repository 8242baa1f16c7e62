"""The Whisper-style transcription shim, end to end through the real SDK to the emulator."""

from __future__ import annotations

import asyncio
import dataclasses
import io
from pathlib import Path
from typing import Any

import openai
import pytest
from _audio import encode_tone
from openai.types.audio import Transcription

from mimo_openai_ext import (
    DEFAULT_LIMITS,
    DEFAULT_MODEL,
    MODELS,
    CorruptAudioError,
    InvalidAudioSourceError,
    InvalidOptionError,
    UnknownModelWarning,
    UnsupportedFeatureError,
    transcriptions,
)
from mimo_openai_ext.migrate import WHISPER_MODEL_MAP, AsyncMimoTranscriptions, MimoTranscriptions

ASR_MODEL = WHISPER_MODEL_MAP["whisper-1"]


WAV, MP3, FLAC = (encode_tone(1.0, format=fmt, freq_hz=300) for fmt in ("WAV", "MP3", "FLAC"))


pytestmark = pytest.mark.sdk_retries(0)  # each request reaches the log once


def _models(emulator: Any) -> list[str]:
    return [record.model for record in emulator.request_log]


def test_whisper_json_runs_on_the_asr_model(
    client: openai.OpenAI, mimo_emulator: Any, tmp_path: Path
) -> None:
    path = tmp_path / "speech.wav"
    path.write_bytes(WAV)
    with path.open("rb") as fh:
        result = transcriptions(client).create(file=fh, model="whisper-1")
    assert isinstance(result, Transcription)
    assert result.text.startswith("[emulated transcript: 1.00 s of wav audio")
    assert "language auto" in result.text
    assert _models(mimo_emulator) == [ASR_MODEL]


def test_text_format_returns_a_str_and_language_is_passed(client: openai.OpenAI, mimo_emulator: Any) -> None:
    text = MimoTranscriptions(client).create(
        file=("clip.mp3", MP3), model="gpt-4o-transcribe", language="en", response_format="text"
    )
    assert isinstance(text, str)
    assert text.startswith("[emulated transcript:")
    assert "of mp3 audio" in text
    assert "language en" in text
    assert _models(mimo_emulator) == [ASR_MODEL]


@pytest.mark.parametrize(
    "file",
    [WAV, bytearray(WAV), ("speech.wav", WAV, "audio/wav"), (None, io.BytesIO(WAV)), "PATH", "PATHLIB"],
)
def test_every_sdk_file_form_is_read(client: openai.OpenAI, tmp_path: Path, file: Any) -> None:
    path = tmp_path / "speech.wav"
    path.write_bytes(WAV)
    file = {"PATH": str(path), "PATHLIB": path}.get(file, file) if isinstance(file, str) else file
    assert "1.00 s of wav audio" in transcriptions(client).create(file=file, model="whisper-1").text


def test_a_format_the_asr_model_refuses_goes_to_the_audio_model(
    client: openai.OpenAI, mimo_emulator: Any
) -> None:
    result = transcriptions(client).create(file=("take.flac", FLAC), model="whisper-1")
    assert _models(mimo_emulator) == [DEFAULT_MODEL]
    assert "audio 1: flac, 1.00 s" in result.text
    assert "Transcribe the speech in this audio verbatim" in result.text


def test_other_languages_and_prompts_go_to_the_audio_model_with_the_instruction(
    client: openai.OpenAI, mimo_emulator: Any
) -> None:
    text = transcriptions(client).create(
        file=WAV, model="whisper-1", language="fr", prompt="Names: Zoë, Thérèse.", response_format="text"
    )
    assert _models(mimo_emulator) == [DEFAULT_MODEL]
    assert "ISO 639-1 code 'fr'" in text
    assert "Names: Zoë, Thérèse." in text


def test_audio_over_the_asr_size_limit_goes_to_the_audio_model(
    client: openai.OpenAI, mimo_emulator: Any
) -> None:
    limits = dataclasses.replace(DEFAULT_LIMITS, asr_max_data_uri_chars=1_000)
    text = transcriptions(client, limits=limits).create(file=WAV, model="whisper-1", response_format="text")
    assert _models(mimo_emulator) == [DEFAULT_MODEL]
    assert "audio 1: wav, 1.00 s" in text


def test_audio_too_long_for_the_asr_context_goes_to_the_audio_model(
    client: openai.OpenAI, mimo_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = MODELS[ASR_MODEL]
    # 1 s of audio is 7 tokens: with the answer's budget it no longer fits this context.
    monkeypatch.setitem(
        MODELS, ASR_MODEL, dataclasses.replace(spec, context_tokens=spec.default_max_completion_tokens + 6)
    )
    transcriptions(client).create(file=WAV, model="whisper-1")
    assert _models(mimo_emulator) == [DEFAULT_MODEL]


def test_temperature_reaches_the_audio_model(client: openai.OpenAI, mimo_emulator: Any) -> None:
    with pytest.raises(InvalidOptionError, match=r"temperature=9\.0: must be from 0 to 1\.5"):
        transcriptions(client).create(file=FLAC, model="whisper-1", temperature=9.0)
    assert _models(mimo_emulator) == []  # refused before any request: MiMo's range is 0 to 1.5
    transcriptions(client).create(file=FLAC, model="whisper-1", temperature=0.2)
    assert _models(mimo_emulator) == [DEFAULT_MODEL]


def test_a_mimo_audio_model_can_be_named_directly(client: openai.OpenAI, mimo_emulator: Any) -> None:
    transcriptions(client).create(file=WAV, model="mimo-v2.6-pro")
    assert _models(mimo_emulator) == ["mimo-v2.6-pro"]


@pytest.mark.parametrize("fmt", ["verbose_json", "srt", "vtt", "diarized_json"])
def test_timestamp_formats_are_refused_before_any_request(
    client: openai.OpenAI, mimo_emulator: Any, fmt: str
) -> None:
    with pytest.raises(UnsupportedFeatureError, match=f"response_format='{fmt}'.*no timestamps"):
        transcriptions(client).create(file=WAV, model="whisper-1", response_format=fmt)  # type: ignore[call-overload]
    assert mimo_emulator.request_log == []


def test_timestamp_granularities_and_other_whisper_options_are_refused(
    client: openai.OpenAI, mimo_emulator: Any
) -> None:
    shim = transcriptions(client)
    with pytest.raises(UnsupportedFeatureError, match=r"timestamp_granularities.*no timestamps"):
        shim.create(file=WAV, model="whisper-1", timestamp_granularities=["word"])
    with pytest.raises(UnsupportedFeatureError, match="'include' has no MiMo equivalent"):
        shim.create(file=WAV, model="whisper-1", include=["logprobs"])
    with pytest.raises(UnsupportedFeatureError, match="set it on the client"):
        shim.create(file=WAV, model="whisper-1", timeout=5)
    assert mimo_emulator.request_log == []
    shim.create(file=WAV, model="whisper-1", timestamp_granularities=[], stream=False)
    assert _models(mimo_emulator) == [ASR_MODEL]


def test_sdk_sentinels_forwarded_by_wrappers_count_as_unset(
    client: openai.OpenAI, mimo_emulator: Any
) -> None:
    sentinel: Any = openai.NOT_GIVEN
    text = transcriptions(client).create(
        file=WAV,
        model="whisper-1",
        language=sentinel,
        prompt=sentinel,
        temperature=sentinel,
        response_format=sentinel,
        timestamp_granularities=sentinel,
    )
    assert text.text.startswith("[emulated transcript:")
    assert _models(mimo_emulator) == [ASR_MODEL]


def test_models_without_audio_and_unknown_models(
    client: openai.OpenAI, mimo_emulator: Any, text_model: str
) -> None:
    with pytest.raises(UnsupportedFeatureError, match="takes no audio"):
        transcriptions(client).create(file=WAV, model=text_model)
    with pytest.warns(UnknownModelWarning, match="whisper-9"), pytest.raises(openai.BadRequestError):
        transcriptions(client).create(file=WAV, model="whisper-9")


def test_bad_files_get_clear_errors(client: openai.OpenAI, tmp_path: Path) -> None:
    with pytest.raises(InvalidAudioSourceError, match="no such file"):
        transcriptions(client).create(file=tmp_path / "missing.wav", model="whisper-1")
    with pytest.raises(CorruptAudioError, match=r"cut\.wav"):
        transcriptions(client).create(file=("cut.wav", WAV[:40]), model="whisper-1")
    with pytest.raises(InvalidAudioSourceError, match="tuple must be"):
        transcriptions(client).create(file=(b"x",), model="whisper-1")  # type: ignore[arg-type]


def test_async_client_gets_the_async_twin(mimo_emulator: Any) -> None:
    async def run() -> tuple[str, str]:
        async with mimo_emulator.async_client(max_retries=0) as aclient:
            shim = transcriptions(aclient)
            assert isinstance(shim, AsyncMimoTranscriptions)
            asr = await shim.create(file=WAV, model="whisper-1", response_format="text")
            fitted = await shim.create(file=FLAC, model="whisper-1")
            return asr, fitted.text

    asr, fitted = asyncio.run(run())
    assert asr.startswith("[emulated transcript:")
    assert "audio 1: flac" in fitted
    assert _models(mimo_emulator) == [ASR_MODEL, DEFAULT_MODEL]
