"""Deciding where a Whisper-style transcription goes, before any request.

Used by ``_whisper``: read the ``file=`` argument (the SDK's ``FileTypes``), refuse what
MiMo cannot serve (timestamps, ``verbose_json``, ``srt``, ``vtt``, ...), map Whisper model
names through ``WHISPER_MODEL_MAP``, and choose the ASR model or the audio model.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Union

from ._audio.probe import probe_bytes
from ._audio.source import read_source
from ._checks import check_str, document_alias
from ._config import ASR_LANGUAGES, WHISPER_MODEL_MAP, AsrLanguage, Limits, ModelSpec
from ._exceptions import (
    InvalidAudioSourceError,
    InvalidTypeError,
    UnsupportedAudioFormatError,
    UnsupportedFeatureError,
)
from ._models import check_model

if TYPE_CHECKING:
    from typing import TypeAlias

__all__ = ["TranscriptionFile", "TranscriptionPlan", "check_options", "is_unset", "plan_transcription"]

_FileContent: TypeAlias = Union[IO[bytes], bytes, bytearray, "os.PathLike[str]", str]
TranscriptionFile: TypeAlias = Union[
    _FileContent,
    "tuple[str | None, _FileContent]",
    "tuple[str | None, _FileContent, str | None]",
    "tuple[str | None, _FileContent, str | None, Mapping[str, str]]",
]
"""What ``file=`` takes: the openai SDK's ``FileTypes`` (bytes, a binary file, a path, or a
``(filename, content[, mime[, headers]])`` tuple), plus a plain ``str`` path."""
document_alias(
    TranscriptionFile,
    "TranscriptionFile: what transcriptions(client).create(file=...) takes: the openai SDK's "
    "FileTypes (bytes, a binary file object, a path, or a (filename, content[, mime[, headers]]) "
    "tuple), plus a plain str path.",
)

_NO_TIMESTAMPS = (
    "MiMo returns plain text with no timestamps, segments or words, so {what} cannot be "
    "produced; use response_format='json' or 'text'"
)
_TIMESTAMP_FORMATS = ("verbose_json", "srt", "vtt", "diarized_json")
_INSTRUCTION = (
    "Transcribe the speech in this audio verbatim, in the language spoken. Reply with the "
    "transcript only: no preamble, no timestamps, no speaker labels, no commentary."
)


@dataclass(frozen=True)
class TranscriptionPlan:
    """Where one transcription goes, decided before any request."""

    data: bytes
    name: str
    model: ModelSpec
    asr_language: AsrLanguage | None
    """Set when the ASR model serves the request; None sends it to the audio model."""
    instruction: str


def check_options(response_format: str, extra: Mapping[str, object]) -> None:
    """Refuse, before any request, what MiMo cannot serve (``extra``: the other keywords given)."""
    if response_format in _TIMESTAMP_FORMATS:
        raise UnsupportedFeatureError(
            f"response_format={response_format!r}: "
            + _NO_TIMESTAMPS.format(what="speaker turns" if response_format == "diarized_json" else "it")
        )
    if response_format not in ("json", "text"):
        raise UnsupportedFeatureError(
            f"response_format={response_format!r} is not a format MiMo can serve; use 'json' or 'text'"
        )
    for key, value in extra.items():
        if value == [] or value is False:
            continue
        if key == "timestamp_granularities":
            raise UnsupportedFeatureError(
                f"timestamp_granularities={value!r}: " + _NO_TIMESTAMPS.format(what="timestamps")
            )
        if key in ("timeout", "extra_headers", "extra_query", "extra_body"):
            raise UnsupportedFeatureError(
                f"{key}= is not taken per call here; set it on the client instead: "
                f"transcriptions(client.with_options(...)) (e.g. timeout=60)"
            )
        raise UnsupportedFeatureError(
            f"{key}={value!r}: audio.transcriptions.create's {key!r} has no MiMo equivalent; "
            "leave it out (supported: file, model, language, prompt, response_format, temperature)"
        )


def is_unset(value: object) -> bool:
    """None, or the SDK's ``NOT_GIVEN`` / ``omit`` sentinels (wrappers often forward them)."""
    return value is None or type(value).__name__ in ("NotGiven", "Omit")


def _read_file(file: TranscriptionFile) -> tuple[bytes, str]:

    if isinstance(file, tuple):
        if len(file) < 2 or not (file[0] is None or isinstance(file[0], str)):
            raise InvalidAudioSourceError(
                "file=: a tuple must be (filename, content[, mime[, headers]])", source_name="<file>"
            )
        name = os.path.basename(file[0]) if file[0] else None
        return read_source(file[1], name=name)
    return read_source(file)


def _target_model(model: str, audio_model: str) -> ModelSpec:
    spec = check_model(WHISPER_MODEL_MAP.get(model, model))  # retired: refused; unknown: warned
    if not spec.audio_input:
        raise UnsupportedFeatureError(
            f"model={model!r}: {spec.id} takes no audio; use 'whisper-1' (served by MiMo's ASR "
            f"model) or an audio model such as {audio_model!r}"
        )
    return spec


def _asr_language(language: str | None) -> AsrLanguage | None:
    wanted = (language or "auto").strip().lower()
    for allowed in ASR_LANGUAGES:
        if wanted == allowed:
            return allowed
    return None


def _instruction(language: str | None, prompt: str | None) -> str:
    text = _INSTRUCTION
    if language and language.strip().lower() != "auto":
        text += f" The speech is in the language with ISO 639-1 code {language!r}."
    if prompt:
        text += (
            " Follow the spelling and style of this context from the caller (do not repeat it): "
            f"{prompt.strip()}"
        )
    return text


def _fits_asr(spec: ModelSpec, data: bytes, name: str, limits: Limits) -> bool:
    """WAV/MP3 whose data URI and tokens fit the ASR model (anything unreadable: not ASR)."""

    try:
        info = probe_bytes(data, source_name=name)
    except UnsupportedAudioFormatError:
        return False
    allowed = spec.asr_formats or ("wav", "mp3")
    return (
        info.format in allowed
        and info.data_uri_chars <= limits.asr_max_data_uri_chars
        and info.audio_tokens + spec.default_max_completion_tokens <= spec.context_tokens
    )


def plan_transcription(
    file: TranscriptionFile,
    model: str,
    language: str | None,
    prompt: str | None,
    *,
    audio_model: str,
    limits: Limits,
) -> TranscriptionPlan:
    if language is not None and not isinstance(language, str):
        raise InvalidTypeError(
            f"language={language!r}: takes an ISO 639-1 code such as 'en', not a {type(language).__name__}",
            option="language",
        )
    check_str(prompt, option="prompt", none=True, empty=True)
    check_str(model, option="model")
    spec = _target_model(model, audio_model)
    data, name = _read_file(file)
    asr_language = _asr_language(language) if spec.asr and not prompt else None
    if asr_language is not None and not _fits_asr(spec, data, name, limits):
        asr_language = None
    if asr_language is None and spec.asr:
        spec = check_model(audio_model)
    return TranscriptionPlan(data, name, spec, asr_language, _instruction(language, prompt))
