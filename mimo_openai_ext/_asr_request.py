"""One request to MiMo's ASR model (``DEFAULT_ASR_MODEL``, ``mimo-v2.5-asr``).

The ASR model takes exactly one ``input_audio`` part, as a data URI (no URLs), in WAV or
MP3 only, base64 within ``Limits.asr_max_data_uri_chars`` (10 MB), and a top-level
``asr_options: {"language": "auto" | "zh" | "en"}`` (sent through ``extra_body``); it
answers with text and no times. :func:`transcribe` (in ``_transcribe``) sends a recording
that fits as it is, and cuts any other into pieces that do; this module builds and checks
each request.
"""

from __future__ import annotations

from typing import Any

from ._audio.datauri import data_uri
from ._audio.probe import AudioInfo
from ._config import ASR_LANGUAGES, AsrLanguage, Limits, ModelSpec
from ._exceptions import UnsupportedFeatureError
from ._models import check_model, current_models

__all__ = [
    "ASR_ANSWER_TOKENS_PER_S",
    "asr_kwargs",
    "asr_model",
    "check_language",
    "fits_as_is",
    "longest_piece_s",
]

ASR_ANSWER_TOKENS_PER_S = 6.0
"""Tokens of transcript per second of fast speech: about 3 in English, up to 6 in Chinese.
A piece is kept short enough for the model's answer budget to hold its transcript."""
_MARGIN = 0.95


def check_language(language: object) -> AsrLanguage:
    """The language code, case and spaces normalised (``"EN"`` -> ``"en"``); unknown ones refused."""
    wanted = language.strip().lower() if isinstance(language, str) else language
    for allowed in ASR_LANGUAGES:
        if wanted == allowed:
            return allowed
    raise UnsupportedFeatureError(
        f"language={language!r}: MiMo's ASR model knows {', '.join(ASR_LANGUAGES)} only; "
        "use language='auto' for anything else"
    )


def asr_model(model_id: str) -> ModelSpec:
    """The ASR model's spec; a known model that is not an ASR model (or is retired) is refused
    before any request; an unknown id passes through with one warning at the user's line."""
    spec = check_model(model_id)
    if spec.asr or spec.status == "unknown":
        return spec
    asr = ", ".join(m.id for m in current_models() if m.asr) or "an ASR model"
    other = (
        f"; to have {model_id} transcribe, ask it: ask(client, audio, 'Transcribe this', "
        f'model={model_id!r}) or `mimo-audio ask FILE "Transcribe this" --model {model_id}`; '
        "transcriptions(client) picks the model for you"
        if spec.audio_input
        else ""
    )
    raise UnsupportedFeatureError(
        f"{model_id} is not a transcription model (MiMo would answer HTTP 400): "
        f"transcribe with {asr} (the default){other}"
    )


def longest_piece_s(spec: ModelSpec, limits: Limits) -> float:
    """The longest piece one request can take: its audio tokens and its answer fit the model."""
    answer_tokens = spec.default_max_completion_tokens
    by_context = (spec.context_tokens - answer_tokens) / limits.audio_tokens_per_second
    by_answer = answer_tokens / ASR_ANSWER_TOKENS_PER_S
    return max(1.0, min(by_context, by_answer) * _MARGIN)


def fits_as_is(info: AudioInfo, spec: ModelSpec, limits: Limits) -> bool:
    """Whether the recording can go to the ASR model unchanged, in one request."""
    allowed = spec.asr_formats or ("wav", "mp3")
    return (
        info.format in allowed
        and info.data_uri_chars <= limits.asr_max_data_uri_chars
        and info.duration_s <= longest_piece_s(spec, limits)
    )


def asr_kwargs(spec: ModelSpec, data: bytes, mime: str, language: AsrLanguage) -> dict[str, Any]:
    """``chat.completions.create`` keyword arguments sending ``data`` to the ASR model."""
    part = {"type": "input_audio", "input_audio": {"data": data_uri(data, mime)}}
    return {
        "model": spec.id,
        "messages": [{"role": "user", "content": [part]}],
        "extra_body": {"asr_options": {"language": language}},
    }
