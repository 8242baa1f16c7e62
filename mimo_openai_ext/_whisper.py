"""Whisper-style ``audio.transcriptions.create(...)`` that runs on MiMo.

``transcriptions(client).create(file=..., model="whisper-1")`` keeps the shape of
``client.audio.transcriptions.create``: the same keywords, a ``Transcription`` (``.text``)
for ``response_format="json"`` and a ``str`` for ``"text"``. The client is only used,
never patched.

Routing: MiMo's ASR model serves the request when it can (WAV/MP3, within its size and
context limits, language ``auto``/``zh``/``en``, no ``prompt``); anything else goes to
the audio model with a transcription instruction, after ``fit_audio`` has made the
audio acceptable. What Whisper has and MiMo does not (timestamps, ``verbose_json``,
``srt``, ``vtt``, diarization, streaming, logprobs) raises
:class:`UnsupportedFeatureError` before any request.
"""

from __future__ import annotations

import asyncio
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
from ._transcription_plan import (
    TranscriptionFile,
    TranscriptionPlan,
    check_options,
    is_unset,
    plan_transcription,
)
from ._types import InputAudioPart

if TYPE_CHECKING:
    from openai import AsyncOpenAI, OpenAI
    from openai.types.audio import Transcription


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
        plan = plan_transcription(
            file,
            model,
            None if is_unset(language) else language,
            None if is_unset(prompt) else prompt,
            audio_model=self._audio_model,
            limits=self._limits,
        )
        return plan, fmt

    def _asr_options(self, plan: TranscriptionPlan) -> dict[str, Any]:
        return {
            "language": plan.asr_language,
            "model": plan.model.id,
            "name": plan.name,
            "retry": self._retry,
            "limits": self._limits,
        }

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
        response_format: Literal["text"],
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
        response_format: Literal["json", "text"] = "json",
        temperature: float | None = None,
        **unsupported: object,
    ) -> Transcription | str:
        """Transcribe ``file``; see the module docstring for what goes where."""

        plan, fmt = self._prepare(file, model, language, prompt, response_format, unsupported, temperature)
        if plan.asr_language is not None:
            with model_warned(plan.model.id):  # the plan checked (and warned about) the model
                transcript = transcribe(self._client, plan.data, **self._asr_options(plan))
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
        response_format: Literal["text"],
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
        response_format: Literal["json", "text"] = "json",
        temperature: float | None = None,
        **unsupported: object,
    ) -> Transcription | str:
        """Transcribe ``file``; see :meth:`MimoTranscriptions.create`."""

        plan, fmt = self._prepare(file, model, language, prompt, response_format, unsupported, temperature)
        if plan.asr_language is not None:
            with model_warned(plan.model.id):  # the plan checked (and warned about) the model
                transcript = await transcribe_async(self._client, plan.data, **self._asr_options(plan))
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
