"""The Whisper-style transcription shim, end to end through the real SDK to the emulator."""

from __future__ import annotations

import asyncio
import dataclasses
import io
from pathlib import Path
from typing import Any

import openai
import pytest
import soundfile as sf
from _audio import encode, encode_tone, sentences, with_noise
from openai.types.audio import Transcription, TranscriptionSegment, TranscriptionVerbose

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
from mimo_openai_ext.emulator import ScriptedSpeech
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


@pytest.mark.parametrize("fmt", ["json", "text", "verbose_json"])
def test_a_format_the_asr_model_refuses_is_converted_for_it_in_every_response_format(
    client: openai.OpenAI, mimo_emulator: Any, fmt: str
) -> None:
    wav = _speech(mimo_emulator)
    flac = encode(sf.read(io.BytesIO(wav), dtype="float32")[0], 16000, format="FLAC")
    result = transcriptions(client).create(file=("take.flac", flac), model="whisper-1", response_format=fmt)
    text = result if isinstance(result, str) else result.text
    assert "Transcribe the speech" not in text  # never the chat model's echo of an instruction
    _, spans = sentences()
    assert text.split() == " ".join(words for _, _, words in spans[:4]).split()
    assert {r.model for r in mimo_emulator.completions()} == {ASR_MODEL}


def test_other_languages_and_prompts_go_to_the_audio_model_with_the_instruction(
    client: openai.OpenAI, mimo_emulator: Any
) -> None:
    text = transcriptions(client).create(
        file=WAV, model="whisper-1", language="fr", prompt="Names: Zoë, Thérèse.", response_format="text"
    )
    assert _models(mimo_emulator) == [DEFAULT_MODEL]
    assert "ISO 639-1 code 'fr'" in text
    assert "Names: Zoë, Thérèse." in text


def test_audio_over_the_asr_size_limit_is_cut_for_the_asr_model(
    client: openai.OpenAI, mimo_emulator: Any
) -> None:
    wav = _speech(mimo_emulator)  # 20 s: 640 kB, about 853,000 base64 characters
    limits = dataclasses.replace(DEFAULT_LIMITS, asr_max_data_uri_chars=20_000)
    text = transcriptions(client, limits=limits).create(file=wav, model="whisper-1", response_format="text")
    _, spans = sentences()
    assert text.split() == " ".join(words for _, _, words in spans[:4]).split()
    models = _models(mimo_emulator)
    assert len(models) >= 3
    assert set(models) == {ASR_MODEL}


def test_audio_too_long_for_the_asr_context_is_cut_for_the_asr_model(
    client: openai.OpenAI, mimo_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    wav = _speech(mimo_emulator)
    spec = MODELS[ASR_MODEL]
    # 20 s of audio is 125 tokens: with the answer's budget it no longer fits this context.
    monkeypatch.setitem(
        MODELS, ASR_MODEL, dataclasses.replace(spec, context_tokens=spec.default_max_completion_tokens + 70)
    )
    result = transcriptions(client).create(file=wav, model="whisper-1")
    _, spans = sentences()
    assert result.text.split() == " ".join(words for _, _, words in spans[:4]).split()
    models = _models(mimo_emulator)
    assert len(models) >= 2
    assert set(models) == {ASR_MODEL}


def test_temperature_reaches_the_audio_model(client: openai.OpenAI, mimo_emulator: Any) -> None:
    with pytest.raises(InvalidOptionError, match=r"temperature=9\.0: must be from 0 to 1\.5"):
        transcriptions(client).create(file=FLAC, model="whisper-1", temperature=9.0)
    assert _models(mimo_emulator) == []  # refused before any request: MiMo's range is 0 to 1.5
    transcriptions(client).create(file=FLAC, model="whisper-1", prompt="Names: Zoë.", temperature=0.2)
    assert _models(mimo_emulator) == [DEFAULT_MODEL]


def test_a_mimo_audio_model_can_be_named_directly(client: openai.OpenAI, mimo_emulator: Any) -> None:
    transcriptions(client).create(file=WAV, model="mimo-v2.6-pro")
    assert _models(mimo_emulator) == ["mimo-v2.6-pro"]


def _speech(emulator: Any) -> bytes:
    """Four spoken sentences (a noisy 20 s WAV) that the emulator's ASR model "recognises"."""
    clean, spans = sentences()
    samples = with_noise(clean[: 16000 * 20], 15.0, spans=spans[:4], seed=2)
    emulator.configure(speech=(ScriptedSpeech.from_array(samples, 16000, spans[:4]),))
    return encode(samples, 16000, format="WAV")


def test_verbose_json_has_whispers_fields_with_true_times(client: openai.OpenAI, mimo_emulator: Any) -> None:
    _, spans = sentences()
    result = transcriptions(client).create(
        file=("meeting.wav", _speech(mimo_emulator)), model="whisper-1", response_format="verbose_json"
    )
    assert isinstance(result, TranscriptionVerbose)
    assert result.language == "unknown"  # none asked; MiMo does not say what it detected
    assert float(result.duration) == pytest.approx(20.0, abs=0.01)  # a str in openai 1.55's type
    assert result.text == " ".join(text for _, _, text in spans[:4])
    assert result.segments is not None
    assert [s.text for s in result.segments] == [text for _, _, text in spans[:4]]
    for segment, (start_s, end_s, _) in zip(result.segments, spans, strict=False):
        assert isinstance(segment, TranscriptionSegment)
        assert abs(segment.start - start_s) <= 0.3
        assert abs(segment.end - end_s) <= 0.3
        assert segment.seek == round(segment.start * 100)
        assert segment.tokens == []
        assert segment.compression_ratio > 0
    assert {r.model for r in mimo_emulator.completions()} == {ASR_MODEL}


@pytest.mark.parametrize("fmt", ["srt", "vtt"])
def test_srt_and_vtt_come_back_as_text(client: openai.OpenAI, mimo_emulator: Any, fmt: str) -> None:
    text = transcriptions(client).create(
        file=_speech(mimo_emulator), model="gpt-4o-transcribe", language="en", response_format=fmt
    )
    assert isinstance(text, str)
    assert text.startswith("1\n00:00:00,8" if fmt == "srt" else "WEBVTT\n\n00:00:00.8")
    assert "Good morning everyone" in text
    assert text.count(" --> ") == 4


def test_verbose_json_converts_what_the_asr_model_refuses(client: openai.OpenAI, mimo_emulator: Any) -> None:
    wav = _speech(mimo_emulator)
    flac = encode(sf.read(io.BytesIO(wav), dtype="float32")[0], 16000, format="FLAC")
    result = transcriptions(client).create(
        file=("take.flac", flac), model="whisper-1", language="fr", response_format="verbose_json"
    )
    assert result.language == "fr"  # sent to the ASR model as "auto", which detects it
    assert result.segments is not None
    assert len(result.segments) == 4
    assert {r.model for r in mimo_emulator.completions()} == {ASR_MODEL}


def test_what_cannot_be_timed_is_refused_saying_why(client: openai.OpenAI, mimo_emulator: Any) -> None:
    shim = transcriptions(client)
    with pytest.raises(UnsupportedFeatureError, match="do not tell speakers apart"):
        shim.create(file=WAV, model="whisper-1", response_format="diarized_json")  # type: ignore[call-overload]
    with pytest.raises(
        UnsupportedFeatureError, match=r"timestamp_granularities=\['word'\]: .*cannot be placed"
    ):
        shim.create(
            file=WAV, model="whisper-1", response_format="verbose_json", timestamp_granularities=["word"]
        )
    with pytest.raises(UnsupportedFeatureError, match="needs response_format='verbose_json'"):
        shim.create(file=WAV, model="whisper-1", timestamp_granularities=["segment"])
    with pytest.raises(UnsupportedFeatureError, match="no log probabilities"):
        shim.create(file=WAV, model="whisper-1", include=["logprobs"])
    with pytest.raises(UnsupportedFeatureError, match="takes no prompt"):
        shim.create(file=WAV, model="whisper-1", prompt="Zoë", response_format="srt")
    with pytest.raises(UnsupportedFeatureError, match="segment times come from MiMo's ASR model only"):
        shim.create(file=WAV, model=DEFAULT_MODEL, response_format="vtt")
    with pytest.raises(UnsupportedFeatureError, match="set it on the client"):
        shim.create(file=WAV, model="whisper-1", timeout=5)
    assert mimo_emulator.request_log == []
    shim.create(
        file=_speech(mimo_emulator), model="whisper-1", response_format="verbose_json",
        timestamp_granularities=["segment"], stream=False,
    )  # fmt: skip
    assert len(mimo_emulator.completions()) == 4


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
            fitted = await shim.create(file=FLAC, model="whisper-1", language="fr")
            timed = await shim.create(file=speech, model="whisper-1", response_format="verbose_json")
            assert timed.segments is not None
            assert len(timed.segments) == 4
            return asr, fitted.text

    speech = _speech(mimo_emulator)
    asr, fitted = asyncio.run(run())
    assert asr.startswith("[emulated transcript:")
    assert "audio 1: flac" in fitted  # a language the ASR model lacks: the audio model
    assert _models(mimo_emulator) == [ASR_MODEL, DEFAULT_MODEL] + [ASR_MODEL] * 4
