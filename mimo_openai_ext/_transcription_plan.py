"""Deciding where a Whisper-style transcription goes, before any request.

Used by ``_whisper``: read the ``file=`` argument (the SDK's ``FileTypes``), refuse what
MiMo cannot serve (word timestamps, speaker turns, log probabilities, ...), map Whisper
model names through ``WHISPER_MODEL_MAP``, and choose the ASR model or the audio model.
``verbose_json``, ``srt`` and ``vtt`` always go to the ASR model, through ``transcribe``:
their segment times come from cutting the audio at pauses. ``json`` and ``text`` go there
too (any format, any length: ``transcribe`` converts and cuts), unless the ASR model cannot
serve the request at all: a ``prompt`` to follow, or a language other than ``en``/``zh``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Union

from ._audio.source import read_source
from ._checks import check_str, document_alias
from ._config import ASR_LANGUAGES, WHISPER_MODEL_MAP, AsrLanguage, ModelSpec
from ._exceptions import (
    InvalidAudioSourceError,
    InvalidTypeError,
    UnsupportedFeatureError,
)
from ._models import check_model

if TYPE_CHECKING:
    from typing import TypeAlias

__all__ = [
    "TIMESTAMP_FORMATS",
    "TranscriptionFile",
    "TranscriptionPlan",
    "check_options",
    "is_unset",
    "plan_timestamps",
    "plan_transcription",
]

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

TIMESTAMP_FORMATS = ("verbose_json", "srt", "vtt")
"""Formats with segment times: served by ``transcribe`` (times from our own cuts at pauses)."""
_FORMATS = ("json", "text", *TIMESTAMP_FORMATS)
_NO_WORD_TIMES = (
    "MiMo's ASR model returns text with no times: segment times come from cutting the audio at "
    "pauses, but a word inside a piece cannot be placed"
)
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
    if response_format == "diarized_json":
        raise UnsupportedFeatureError(
            "response_format='diarized_json': MiMo's models do not tell speakers apart, so speaker "
            "turns cannot be produced; use 'verbose_json' (segments with times), 'json' or 'text'"
        )
    if response_format not in _FORMATS:
        raise UnsupportedFeatureError(
            f"response_format={response_format!r} is not a format MiMo can serve; use one of "
            f"{', '.join(map(repr, _FORMATS))}"
        )
    for key, value in extra.items():
        if value == [] or value is False:
            continue
        if key == "timestamp_granularities":
            _check_granularities(value, response_format)
            continue
        if key == "include":
            raise UnsupportedFeatureError(
                f"include={value!r}: MiMo returns no log probabilities (nor anything else to include); "
                "leave it out"
            )
        if key in ("timeout", "extra_headers", "extra_query", "extra_body"):
            raise UnsupportedFeatureError(
                f"{key}= is not taken per call here; set it on the client instead: "
                f"transcriptions(client.with_options(...)) (e.g. timeout=60)"
            )
        raise UnsupportedFeatureError(
            f"{key}={value!r}: audio.transcriptions.create's {key!r} has no MiMo equivalent; leave it "
            "out (supported: file, model, language, prompt, response_format, temperature, "
            "timestamp_granularities=['segment'])"
        )


def _check_granularities(value: object, response_format: str) -> None:
    """``["segment"]`` with ``verbose_json`` is what we serve; word times are refused."""
    given = [value] if isinstance(value, str) else value
    if not isinstance(given, (list, tuple)):
        raise UnsupportedFeatureError(
            f"timestamp_granularities={value!r}: pass a list, e.g. ['segment'] (with response_format="
            "'verbose_json')"
        )
    if "word" in given:
        raise UnsupportedFeatureError(f"timestamp_granularities={value!r}: {_NO_WORD_TIMES}; use ['segment']")
    if any(g != "segment" for g in given):
        raise UnsupportedFeatureError(
            f"timestamp_granularities={value!r}: only 'segment' is served; use ['segment']"
        )
    if response_format != "verbose_json":
        raise UnsupportedFeatureError(
            f"timestamp_granularities={value!r} needs response_format='verbose_json' (as with OpenAI); "
            "segments come with it"
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


def plan_transcription(
    file: TranscriptionFile,
    model: str,
    language: str | None,
    prompt: str | None,
    *,
    audio_model: str,
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
    # The ASR model serves any format and length through transcribe(); only what it cannot do
    # at all (follow a prompt, or a language it lacks) goes to the audio model.
    asr_language = _asr_language(language) if spec.asr and not prompt else None
    if asr_language is None and spec.asr:
        spec = check_model(audio_model)
    return TranscriptionPlan(data, name, spec, asr_language, _instruction(language, prompt))


def plan_timestamps(
    file: TranscriptionFile, model: str, language: str | None, prompt: str | None, response_format: str
) -> TranscriptionPlan:
    """``verbose_json``/``srt``/``vtt``: MiMo's ASR model, through ``transcribe`` (any format, any length).

    The ASR model takes no ``prompt`` (refused); a language it does not know (other than
    ``en``/``zh``) is sent as ``auto``, which it detects.
    """
    if language is not None and not isinstance(language, str):
        raise InvalidTypeError(
            f"language={language!r}: takes an ISO 639-1 code such as 'en', not a {type(language).__name__}",
            option="language",
        )
    check_str(prompt, option="prompt", none=True, empty=True)
    check_str(model, option="model")
    if prompt:
        raise UnsupportedFeatureError(
            f"prompt= with response_format={response_format!r}: segment times come from MiMo's ASR model, "
            "which takes no prompt; leave the prompt out, or use response_format='json' or 'text' "
            "(then the audio model follows it)"
        )
    spec = check_model(WHISPER_MODEL_MAP.get(model, model))  # retired: refused; unknown: warned
    if spec.status != "unknown" and not spec.asr:
        served = WHISPER_MODEL_MAP.get("whisper-1", "MiMo's ASR model")
        raise UnsupportedFeatureError(
            f"model={model!r} with response_format={response_format!r}: segment times come from MiMo's ASR "
            f"model only; use model='whisper-1' (served by {served}) or name an ASR model"
        )
    data, name = _read_file(file)
    return TranscriptionPlan(data, name, spec, _asr_language(language) or "auto", "")
