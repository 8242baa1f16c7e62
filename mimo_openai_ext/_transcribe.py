"""Transcription with MiMo's ASR model (``DEFAULT_ASR_MODEL``).

The ASR model takes exactly one ``input_audio`` part, as a data URI (no URLs), in WAV or
MP3 only, base64 within ``Limits.asr_max_data_uri_chars`` (10 MB), and a top-level
``asr_options: {"language": "auto" | "zh" | "en"}`` (sent through ``extra_body``).
Everything is checked here, before any request.
"""

from __future__ import annotations

import shlex
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from ._answer import read_answer
from ._audio.datauri import data_uri, data_uri_chars
from ._audio.probe import AudioInfo, probe_bytes
from ._audio.source import AudioSource, is_url, read_source
from ._checks import check_limits, check_str, check_type
from ._client import check_client, create_completion, create_completion_async
from ._config import (
    ASR_LANGUAGES,
    AUDIO_FORMATS,
    DEFAULT_ASR_MODEL,
    DEFAULT_LIMITS,
    AsrLanguage,
    Limits,
    ModelSpec,
)
from ._exceptions import (
    AudioTooLargeError,
    InvalidAudioSourceError,
    UnsupportedAudioFormatError,
    UnsupportedFeatureError,
)
from ._models import check_model, current_models
from ._retry import RetryPolicy
from ._twins import arguments_of, twin_of
from ._usage import UsageReport

if TYPE_CHECKING:
    from openai import AsyncOpenAI, OpenAI
    from openai.types.chat import ChatCompletion


__all__ = ["Transcript", "build_transcription_request", "transcribe", "transcribe_async"]


@dataclass(frozen=True)
class Transcript:
    """A transcription and what it used."""

    text: str
    language: AsrLanguage
    model: str
    source_name: str
    duration_s: float
    """The audio's duration as probed locally."""
    usage: UsageReport
    id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check_language(language: str) -> AsrLanguage:
    """The language code, case and spaces normalised (``"EN"`` -> ``"en"``); unknown ones refused."""
    wanted = language.strip().lower() if isinstance(language, str) else language
    for allowed in ASR_LANGUAGES:
        if wanted == allowed:
            return allowed
    raise UnsupportedFeatureError(
        f"language={language!r}: MiMo's ASR model knows {', '.join(ASR_LANGUAGES)} only; "
        "use language='auto' for anything else"
    )


def _shell_name(source_name: str) -> str:
    return "FILE" if not source_name or source_name.startswith("<") else shlex.quote(source_name)


def _asr_model(model_id: str) -> ModelSpec:
    """The ASR model's spec; a known model that is not an ASR model (or is retired) is refused
    before any request; an unknown id passes through with one warning at the user's line."""
    spec = check_model(model_id)
    if spec.asr or spec.status == "unknown":
        return spec
    asr = ", ".join(m.id for m in current_models() if m.asr) or DEFAULT_ASR_MODEL
    other = (
        f"; or ask {model_id} to transcribe (ask(client, audio, 'Transcribe this', model={model_id!r}) / "
        f'`mimo-audio ask FILE "Transcribe this" --model {model_id}`), or use transcriptions(client), '
        "which picks the model for you"
        if spec.audio_input
        else ""
    )
    raise UnsupportedFeatureError(
        f"{model_id} is not a transcription model (MiMo would answer HTTP 400): "
        f"transcribe with {asr} (the default){other}"
    )


def build_transcription_request(
    audio: AudioSource,
    *,
    language: str = "auto",
    model: str | None = None,
    name: str | None = None,
    limits: Limits | None = None,
) -> tuple[dict[str, Any], float, str]:
    """The ``create`` keyword arguments, the audio's duration and its display name.

    Raises before any request: ``InvalidAudioSourceError`` for a URL,
    ``UnsupportedAudioFormatError`` for a format other than WAV/MP3,
    ``AudioTooLargeError`` past the ASR size limit.
    """
    check_str(model, option="model", none=True)
    check_str(name, option="name", none=True)
    check_limits(limits)

    lang = _check_language(language)
    limits = limits or DEFAULT_LIMITS
    spec = _asr_model(model or DEFAULT_ASR_MODEL)
    if isinstance(audio, str) and is_url(audio):
        raise InvalidAudioSourceError(
            f"{audio}: the ASR model {spec.id} takes local audio only (a data URI, no URLs): "
            "download the file and pass its path",
            source_name=audio,
        )
    data, source_name = read_source(audio, name=name)
    info = probe_bytes(data, source_name=source_name)
    _check_format(info, spec, source_name=source_name)
    mime = AUDIO_FORMATS[info.format].mime
    _check_size(data_uri_chars(len(data), mime), info, spec, limits, source_name=source_name)
    part = {"type": "input_audio", "input_audio": {"data": data_uri(data, mime)}}
    kwargs: dict[str, Any] = {
        "model": spec.id,
        "messages": [{"role": "user", "content": [part]}],
        "extra_body": {"asr_options": {"language": lang}},
    }
    return kwargs, info.duration_s, source_name


def _check_format(info: AudioInfo, spec: ModelSpec, *, source_name: str) -> None:
    """Refuse a format the ASR model does not take (WAV and MP3 only), saying how to convert."""
    allowed = spec.asr_formats or ("wav", "mp3")
    if info.format in allowed:
        return
    raise UnsupportedAudioFormatError(
        f"{source_name}: {info.format} is not accepted by the ASR model {spec.id} "
        f"({', '.join(allowed)} only): convert it first with fit_audio(..., model={spec.id!r}), "
        f"or on the command line `mimo-audio fit {_shell_name(source_name)} --model {spec.id}` "
        f"(writes {' or '.join(allowed)} under the ASR size limit)",
        source_name=source_name,
        found=info.format,
        allowed=tuple(allowed),
    )


def _check_size(chars: int, info: AudioInfo, spec: ModelSpec, limits: Limits, *, source_name: str) -> None:
    """Refuse a data URI past the ASR limit, saying how to cut the audio."""
    if chars <= limits.asr_max_data_uri_chars:
        return
    raise AudioTooLargeError(
        f"{source_name}: {chars:,} base64 characters ({info.duration_s:.0f} s of audio) exceed the ASR "
        f"limit of {limits.asr_max_data_uri_chars:,}: cut it into pieces that fit with "
        f"split_audio(..., model={spec.id!r}) or `mimo-audio split {_shell_name(source_name)} -o DIR "
        f"--model {spec.id}` and transcribe each, or transcribe it in one go with "
        f'`mimo-audio ask {_shell_name(source_name)} "Transcribe this" --split`',
        source_name=source_name,
        size=chars,
        limit=limits.asr_max_data_uri_chars,
    )


def _transcript(
    completion: ChatCompletion, *, language: AsrLanguage, duration_s: float, name: str
) -> Transcript:
    model = completion.model or DEFAULT_ASR_MODEL
    return Transcript(
        text=read_answer(completion).strip(),
        language=language,
        model=model,
        source_name=name,
        duration_s=duration_s,
        usage=UsageReport.from_usage(completion.usage, model=model),
        id=completion.id,
    )


def transcribe(
    client: OpenAI,
    /,
    audio: AudioSource,
    *,
    language: AsrLanguage = "auto",
    model: str | None = None,
    name: str | None = None,
    retry: RetryPolicy | None = None,
    limits: Limits | None = None,
) -> Transcript:
    """Transcribe one WAV/MP3 with MiMo's ASR model; the client is not modified.

    ``language`` is ``"auto"``, ``"zh"`` or ``"en"`` (case-insensitive: ``"EN"`` is ``"en"``).
    """
    check_client(client, sync=True, call="transcribe")
    check_type(retry, RetryPolicy, option="retry", expected="a RetryPolicy", none=True)
    kwargs, duration_s, source_name = build_transcription_request(
        audio, language=language, model=model, name=name, limits=limits
    )
    completion = create_completion(client, retry=retry, **kwargs)
    return _transcript(
        completion, language=_check_language(language), duration_s=duration_s, name=source_name
    )


@twin_of(transcribe)
async def transcribe_async(client: AsyncOpenAI, audio: AudioSource, **options: Any) -> Transcript:
    """The async twin of :func:`transcribe`."""
    check_client(client, sync=False, call="transcribe_async")
    call = arguments_of(transcribe, client, audio, **options)
    language, retry = call["language"], call["retry"]
    check_type(retry, RetryPolicy, option="retry", expected="a RetryPolicy", none=True)
    kwargs, duration_s, source_name = build_transcription_request(
        audio, language=language, model=call["model"], name=call["name"], limits=call["limits"]
    )
    completion = await create_completion_async(client, retry=retry, **kwargs)
    return _transcript(
        completion, language=_check_language(language), duration_s=duration_s, name=source_name
    )
