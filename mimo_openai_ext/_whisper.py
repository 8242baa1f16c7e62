"""Whisper-style ``audio.transcriptions.create(...)`` that runs on MiMo.

``transcriptions(client).create(file=..., model="whisper-1")`` keeps the shape of
``client.audio.transcriptions.create``: the same keywords, a ``Transcription`` (``.text``)
for ``response_format="json"``, a ``TranscriptionVerbose`` (``.segments`` with ``.start``,
``.end``, ``.text``; ``.language``, ``.duration``) for ``"verbose_json"``, and a ``str`` for
``"text"``, ``"srt"`` and ``"vtt"``. The client is only used, never patched.

Routing: every format goes through :func:`transcribe` (MiMo's ASR model; audio of any
length and any format, converted and cut at pauses; segment times from those cuts), so
``json`` and ``text`` give the same words as ``verbose_json`` for the same file. ``json``
and ``text`` send a WAV/MP3 that fits one request as it is. Only what the ASR model
cannot serve at all, a ``prompt`` or a ``language`` other than ``en``/``zh`` with
``json``/``text``, goes to the audio model with a transcription instruction, after
``fit_audio`` has made the audio acceptable. What
Whisper has and MiMo does not (word timestamps, diarization, streaming, log
probabilities) raises :class:`UnsupportedFeatureError` before any request, saying why.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload

from ._ask import ask, ask_async
from ._audio.fit import fit_audio
from ._checks import check_limits, check_number, check_str, check_type
from ._client import check_client
from ._config import DEFAULT_LIMITS, DEFAULT_MODEL, Limits
from ._models import model_warned
from ._retry import RetryPolicy
from ._transcribe import transcribe, transcribe_async
from ._transcript import Transcript
from ._transcription_plan import (
    TIMESTAMP_FORMATS,
    TranscriptionFile,
    TranscriptionPlan,
    check_options,
    is_unset,
    plan_timestamps,
    plan_transcription,
)
from ._types import InputAudioPart

if TYPE_CHECKING:
    from openai import AsyncOpenAI, OpenAI
    from openai.types.audio import Transcription, TranscriptionVerbose


__all__ = ["AsyncMimoTranscriptions", "MimoTranscriptions", "TranscriptionFile", "transcriptions"]


def _fitted_part(plan: TranscriptionPlan, limits: Limits) -> InputAudioPart:

    model = None if plan.model.status == "unknown" else plan.model.id  # warned once already
    fitted = fit_audio(plan.data, name=plan.name, model=model, limits=limits)
    return fitted.part


def _result(text: str, response_format: str) -> Transcription | str:
    if response_format == "text":
        return text
    from openai.types.audio import Transcription

    return Transcription(text=text)


_WHISPER_LANGUAGES = {"en": "english", "zh": "chinese"}


def _compression_ratio(text: str) -> float:
    """Whisper's own measure: the text's UTF-8 size over its zlib-compressed size."""
    data = text.encode("utf-8")
    return round(len(data) / len(zlib.compress(data)), 3) if data else 0.0


def _verbose(transcript: Transcript, language: str | None) -> TranscriptionVerbose:
    """Whisper's ``verbose_json`` from a transcript (fields MiMo has no value for are neutral).

    ``avg_logprob``, ``no_speech_prob`` and ``temperature`` are 0.0 and ``tokens`` is empty:
    MiMo returns no log probabilities or token ids. ``seek`` is the segment's start in
    centiseconds, as Whisper counts it; ``compression_ratio`` is computed from the text.
    ``language`` is the one asked for (Whisper's names for ``en``/``zh``), else ``"unknown"``:
    MiMo's ASR model does not say which language it detected.
    """
    from openai.types.audio import TranscriptionSegment, TranscriptionVerbose

    asked = (language or "").strip().lower()
    segments = [
        TranscriptionSegment(
            id=item["id"],
            seek=round(item["start"] * 100),
            start=item["start"],
            end=item["end"],
            text=item["text"],
            tokens=[],
            temperature=0.0,
            avg_logprob=0.0,
            compression_ratio=_compression_ratio(item["text"]),
            no_speech_prob=0.0,
        )
        for item in transcript.to_dict()["segments"]
    ]
    duration: Any = round(transcript.duration_s, 3)
    if vars(TranscriptionVerbose).get("__annotations__", {}).get("duration") in (str, "str"):  # openai 1.55
        duration = str(duration)
    return TranscriptionVerbose(
        duration=duration,
        language=_WHISPER_LANGUAGES.get(asked, asked if asked not in ("", "auto") else "unknown"),
        text=transcript.text,
        segments=segments,
    )


def _timed_result(
    transcript: Transcript, response_format: str, language: str | None
) -> TranscriptionVerbose | str:
    if response_format == "srt":
        return transcript.to_srt()
    if response_format == "vtt":
        return transcript.to_vtt()
    return _verbose(transcript, language)


_ClientT = TypeVar("_ClientT")


class _Transcriptions(Generic[_ClientT]):
    """What the sync and async shims share: the client, options, planning, and the calls' arguments."""

    def __init__(
        self,
        client: _ClientT,
        *,
        audio_model: str = DEFAULT_MODEL,
        retry: RetryPolicy | None = None,
        limits: Limits | None = None,
    ) -> None:
        sync = not isinstance(self, AsyncMimoTranscriptions)
        check_client(
            client,
            sync=sync,
            call=type(self).__name__,
            twin="AsyncMimoTranscriptions" if sync else "MimoTranscriptions",
        )
        check_str(audio_model, option="audio_model")
        check_type(retry, RetryPolicy, option="retry", expected="a RetryPolicy", none=True)
        check_limits(limits)
        self._client = client
        self._audio_model = audio_model
        self._retry = retry
        self._limits = limits or DEFAULT_LIMITS

    def _prepare(
        self,
        file: TranscriptionFile,
        model: str,
        language: str | None,
        prompt: str | None,
        response_format: str,
        unsupported: Mapping[str, object],
        temperature: float | None = None,
    ) -> tuple[TranscriptionPlan, str]:
        """The plan and the response format, after the checks (nothing is sent yet)."""
        if not is_unset(temperature):
            low, high = self._limits.temperature_range
            check_number(temperature, option="temperature", low=low, high=high, none=True)
        fmt = "json" if is_unset(response_format) else response_format
        check_options(fmt, {key: value for key, value in unsupported.items() if not is_unset(value)})
        if fmt in TIMESTAMP_FORMATS:
            given = None if is_unset(language) else language
            return plan_timestamps(file, model, given, None if is_unset(prompt) else prompt, fmt), fmt
        plan = plan_transcription(
            file,
            model,
            None if is_unset(language) else language,
            None if is_unset(prompt) else prompt,
            audio_model=self._audio_model,
        )
        return plan, fmt

    def _asr_options(self, plan: TranscriptionPlan, fmt: str) -> dict[str, Any]:
        """``transcribe``'s options: ``json``/``text`` send a file that fits one request as it is.

        ``convert=True``: Whisper takes WebM, AAC and the like, so the shim converts them.
        """
        options: dict[str, Any] = {
            "language": plan.asr_language,
            "model": plan.model.id,
            "name": plan.name,
            "retry": self._retry,
            "limits": self._limits,
            "convert": True,
        }
        if fmt not in TIMESTAMP_FORMATS:
            options["max_segment_s"] = None
        return options

    def _ask_options(self, plan: TranscriptionPlan, temperature: float | None) -> dict[str, Any]:
        options: dict[str, Any] = {
            "model": plan.model.id,
            "thinking": False,
            "retry": self._retry,
            "limits": self._limits,
        }
        if not is_unset(temperature):
            low, high = self._limits.temperature_range
            options["temperature"] = check_number(
                temperature, option="temperature", low=low, high=high, none=True
            )
        return options


class MimoTranscriptions(_Transcriptions["OpenAI"]):
    """``client.audio.transcriptions`` for MiMo: ``MimoTranscriptions(client).create(...)``.

    ``audio_model`` serves what the ASR model cannot; ``retry`` and ``limits`` are passed
    to the calls underneath (:func:`transcribe`, :func:`ask`).
    """

    @overload
    def create(
        self,
        *,
        file: TranscriptionFile,
        model: str,
        language: str | None = None,
        prompt: str | None = None,
        response_format: Literal["json"] = "json",
        temperature: float | None = None,
        **unsupported: object,
    ) -> Transcription: ...
    @overload
    def create(
        self,
        *,
        file: TranscriptionFile,
        model: str,
        language: str | None = None,
        prompt: str | None = None,
        response_format: Literal["verbose_json"],
        temperature: float | None = None,
        **unsupported: object,
    ) -> TranscriptionVerbose: ...
    @overload
    def create(
        self,
        *,
        file: TranscriptionFile,
        model: str,
        language: str | None = None,
        prompt: str | None = None,
        response_format: Literal["text", "srt", "vtt"],
        temperature: float | None = None,
        **unsupported: object,
    ) -> str: ...
    def create(
        self,
        *,
        file: TranscriptionFile,
        model: str,
        language: str | None = None,
        prompt: str | None = None,
        response_format: Literal["json", "verbose_json", "text", "srt", "vtt"] = "json",
        temperature: float | None = None,
        **unsupported: object,
    ) -> Transcription | TranscriptionVerbose | str:
        """Transcribe ``file``; see the module docstring for what goes where."""

        plan, fmt = self._prepare(file, model, language, prompt, response_format, unsupported, temperature)
        if plan.asr_language is not None:
            with model_warned(plan.model.id):  # the plan checked (and warned about) the model
                transcript = transcribe(self._client, plan.data, **self._asr_options(plan, fmt))
            if fmt in TIMESTAMP_FORMATS:
                return _timed_result(transcript, fmt, None if is_unset(language) else language)
            return _result(transcript.text, fmt)
        part = _fitted_part(plan, self._limits)
        with model_warned(plan.model.id):  # the plan checked (and warned about) the model
            answer = ask(self._client, part, plan.instruction, **self._ask_options(plan, temperature))
        return _result(answer.text.strip(), fmt)


class AsyncMimoTranscriptions(_Transcriptions["AsyncOpenAI"]):
    """The ``AsyncOpenAI`` twin of :class:`MimoTranscriptions` (``await ....create(...)``)."""

    @overload
    async def create(
        self,
        *,
        file: TranscriptionFile,
        model: str,
        language: str | None = None,
        prompt: str | None = None,
        response_format: Literal["json"] = "json",
        temperature: float | None = None,
        **unsupported: object,
    ) -> Transcription: ...
    @overload
    async def create(
        self,
        *,
        file: TranscriptionFile,
        model: str,
        language: str | None = None,
        prompt: str | None = None,
        response_format: Literal["verbose_json"],
        temperature: float | None = None,
        **unsupported: object,
    ) -> TranscriptionVerbose: ...
    @overload
    async def create(
        self,
        *,
        file: TranscriptionFile,
        model: str,
        language: str | None = None,
        prompt: str | None = None,
        response_format: Literal["text", "srt", "vtt"],
        temperature: float | None = None,
        **unsupported: object,
    ) -> str: ...
    async def create(
        self,
        *,
        file: TranscriptionFile,
        model: str,
        language: str | None = None,
        prompt: str | None = None,
        response_format: Literal["json", "verbose_json", "text", "srt", "vtt"] = "json",
        temperature: float | None = None,
        **unsupported: object,
    ) -> Transcription | TranscriptionVerbose | str:
        """Transcribe ``file``; see :meth:`MimoTranscriptions.create`."""

        plan, fmt = self._prepare(file, model, language, prompt, response_format, unsupported, temperature)
        if plan.asr_language is not None:
            with model_warned(plan.model.id):  # the plan checked (and warned about) the model
                transcript = await transcribe_async(self._client, plan.data, **self._asr_options(plan, fmt))
            if fmt in TIMESTAMP_FORMATS:
                return _timed_result(transcript, fmt, None if is_unset(language) else language)
            return _result(transcript.text, fmt)
        part = await asyncio.to_thread(_fitted_part, plan, self._limits)
        with model_warned(plan.model.id):  # the plan checked (and warned about) the model
            answer = await ask_async(
                self._client, part, plan.instruction, **self._ask_options(plan, temperature)
            )
        return _result(answer.text.strip(), fmt)


@overload
def transcriptions(
    client: OpenAI, *, audio_model: str = ..., retry: RetryPolicy | None = ..., limits: Limits | None = ...
) -> MimoTranscriptions: ...
@overload
def transcriptions(
    client: AsyncOpenAI,
    *,
    audio_model: str = ...,
    retry: RetryPolicy | None = ...,
    limits: Limits | None = ...,
) -> AsyncMimoTranscriptions: ...
def transcriptions(
    client: OpenAI | AsyncOpenAI,
    *,
    audio_model: str = DEFAULT_MODEL,
    retry: RetryPolicy | None = None,
    limits: Limits | None = None,
) -> MimoTranscriptions | AsyncMimoTranscriptions:
    """A drop-in for ``client.audio.transcriptions`` that runs on MiMo.

    Replace ``client.audio.transcriptions.create(...)`` with
    ``transcriptions(client).create(...)``; an ``AsyncOpenAI`` client gives the async twin.
    """
    from openai import AsyncOpenAI

    if isinstance(client, AsyncOpenAI):
        return AsyncMimoTranscriptions(client, audio_model=audio_model, retry=retry, limits=limits)
    return MimoTranscriptions(client, audio_model=audio_model, retry=retry, limits=limits)
