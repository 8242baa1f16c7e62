"""``ask``: audio + a question -> an ``Answer``, with estimate, retries, usage and checks.

The path is: build one user message (audio parts, then the question as a text part),
estimate it (``ContextOverflowError`` before any request), send it through the one
retry layer, read the answer (content, else reasoning), then check that the audio was
heard (``AudioNotHeardWarning``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Union

from ._answer import Answer
from ._config import DEFAULT_MODEL, MODELS, Limits
from ._exceptions import UnsupportedFeatureError
from ._retry import RetryPolicy
from ._usage import RequestEstimate, check_audio_heard, estimate_request

if TYPE_CHECKING:
    from openai import AsyncOpenAI, OpenAI
    from openai.types.chat import ChatCompletion

    from ._probe import AudioInfo
    from ._source import AudioSource
    from ._streaming import AnswerStream, AsyncAnswerStream
    from ._types import InputAudioPart

__all__ = [
    "AudioInput",
    "ask",
    "ask_async",
    "ask_stream",
    "ask_stream_async",
    "build_ask_request",
    "thinking",
]

AudioInput = Union["AudioSource", "InputAudioPart", Sequence[Union["AudioSource", "InputAudioPart"]]]
"""One audio (a path, bytes, a file object, an https URL or a ready part) or a list of them."""


def thinking(enabled: bool) -> dict[str, Any]:
    """``extra_body`` for MiMo's thinking switch: ``create(..., extra_body=thinking(False))``."""
    return {"thinking": {"type": "enabled" if enabled else "disabled"}}


def _audio_items(audio: Any) -> list[Any]:
    if isinstance(audio, (list, tuple)):
        return list(audio)
    return [audio]


def _audio_part(
    item: Any, *, convert: bool, limits: Limits | None
) -> tuple[InputAudioPart, AudioInfo | None]:
    if isinstance(item, Mapping) and item.get("type") == "input_audio":
        part: InputAudioPart = item  # type: ignore[assignment]
        return part, None
    from ._parts import audio_part_and_info

    return audio_part_and_info(item, convert=convert, limits=limits)


def build_ask_request(
    audio: AudioInput,
    question: str,
    *,
    model: str = DEFAULT_MODEL,
    thinking: bool = True,
    max_completion_tokens: int | None = None,
    system: str | None = None,
    limits: Limits | None = None,
    convert: bool = False,
    **create_options: Any,
) -> tuple[dict[str, Any], RequestEstimate]:
    """The ``create`` keyword arguments and the estimate (raises ``ContextOverflowError``).

    ``convert=True`` converts formats MiMo refuses (needs the ``convert`` extra).
    """
    from ._parts import text_part, user_message

    if not question.strip():
        raise ValueError("the question is empty: ask something about the audio (MiMo needs a text part)")
    _check_model(model)
    built = [_audio_part(item, convert=convert, limits=limits) for item in _audio_items(audio)]
    probed = [(part["input_audio"]["data"], info) for part, info in built if info is not None]
    messages: list[Any] = []
    if system:
        messages.append({"role": "system", "content": system})
    messages.append(user_message(*(part for part, _ in built), text_part(question)))
    estimate = estimate_request(
        messages, model=model, max_completion_tokens=max_completion_tokens, limits=limits, probed=probed
    )
    kwargs: dict[str, Any] = {"model": model, "messages": messages, **create_options}
    if max_completion_tokens is not None:
        kwargs["max_completion_tokens"] = max_completion_tokens
    if not thinking:
        extra = dict(kwargs.get("extra_body") or {})
        extra.update(_thinking_switch(False))
        kwargs["extra_body"] = extra
    return kwargs, estimate


_thinking_switch = thinking


def _check_model(model: str) -> None:
    spec = MODELS.get(model)
    if spec is None:
        return  # unknown ids pass through (estimate_request warns)
    audio_models = ", ".join(m.id for m in MODELS.values() if m.audio_input and not m.asr)
    if spec.asr:
        raise UnsupportedFeatureError(
            f"{model} is the transcription model: it takes one audio and no question; use "
            f"transcribe() / `mimo-audio transcribe`, or ask one of: {audio_models}"
        )
    if not spec.audio_input:
        raise UnsupportedFeatureError(
            f"{model} does not take audio input (MODELS[{model!r}].audio_input is False; MiMo answers "
            f"404): ask one of {audio_models}, or correct MODELS if that has changed"
        )


def _finish(completion: ChatCompletion, estimate: RequestEstimate, *, check_audio: bool) -> Answer:
    """The ``Answer`` (warns if truncated), then the "audio heard" check."""
    answer = Answer.from_completion(completion, estimate=estimate)
    if check_audio:
        check_audio_heard(answer.usage, estimate)
    return answer


def ask(
    client: OpenAI,
    audio: AudioInput,
    question: str,
    *,
    model: str = DEFAULT_MODEL,
    thinking: bool = True,
    max_completion_tokens: int | None = None,
    system: str | None = None,
    retry: RetryPolicy | None = None,
    limits: Limits | None = None,
    convert: bool = False,
    check_audio: bool = True,
    **create_options: Any,
) -> Answer:
    """Ask MiMo ``question`` about ``audio``; the client is used, never modified.

    ``thinking=False`` sends ``extra_body={"thinking": {"type": "disabled"}}`` (``True``
    keeps MiMo's default, which thinks). Other keyword options (``temperature``, ...) go
    to ``chat.completions.create``.
    """
    from ._client import create_completion

    kwargs, estimate = build_ask_request(
        audio,
        question,
        model=model,
        thinking=thinking,
        max_completion_tokens=max_completion_tokens,
        system=system,
        limits=limits,
        convert=convert,
        **create_options,
    )
    completion = create_completion(client, retry=retry, **kwargs)
    return _finish(completion, estimate, check_audio=check_audio)


async def ask_async(
    client: AsyncOpenAI,
    audio: AudioInput,
    question: str,
    *,
    model: str = DEFAULT_MODEL,
    thinking: bool = True,
    max_completion_tokens: int | None = None,
    system: str | None = None,
    retry: RetryPolicy | None = None,
    limits: Limits | None = None,
    convert: bool = False,
    check_audio: bool = True,
    **create_options: Any,
) -> Answer:
    """The async twin of :func:`ask`."""
    from ._client import create_completion_async

    kwargs, estimate = build_ask_request(
        audio,
        question,
        model=model,
        thinking=thinking,
        max_completion_tokens=max_completion_tokens,
        system=system,
        limits=limits,
        convert=convert,
        **create_options,
    )
    completion = await create_completion_async(client, retry=retry, **kwargs)
    return _finish(completion, estimate, check_audio=check_audio)


def ask_stream(
    client: OpenAI,
    audio: AudioInput,
    question: str,
    *,
    model: str = DEFAULT_MODEL,
    thinking: bool = True,
    max_completion_tokens: int | None = None,
    system: str | None = None,
    retry: RetryPolicy | None = None,
    limits: Limits | None = None,
    convert: bool = False,
    **create_options: Any,
) -> AnswerStream:
    """Like :func:`ask`, streamed: iterate the result for deltas, then call ``answer()``."""
    from ._streaming import stream_completion

    kwargs, estimate = build_ask_request(
        audio,
        question,
        model=model,
        thinking=thinking,
        max_completion_tokens=max_completion_tokens,
        system=system,
        limits=limits,
        convert=convert,
        **create_options,
    )
    return stream_completion(client, retry=retry, estimate=estimate, **kwargs)


async def ask_stream_async(
    client: AsyncOpenAI,
    audio: AudioInput,
    question: str,
    *,
    model: str = DEFAULT_MODEL,
    thinking: bool = True,
    max_completion_tokens: int | None = None,
    system: str | None = None,
    retry: RetryPolicy | None = None,
    limits: Limits | None = None,
    convert: bool = False,
    **create_options: Any,
) -> AsyncAnswerStream:
    """The async twin of :func:`ask_stream`."""
    from ._streaming import stream_completion_async

    kwargs, estimate = build_ask_request(
        audio,
        question,
        model=model,
        thinking=thinking,
        max_completion_tokens=max_completion_tokens,
        system=system,
        limits=limits,
        convert=convert,
        **create_options,
    )
    return await stream_completion_async(client, retry=retry, estimate=estimate, **kwargs)
