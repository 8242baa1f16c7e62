"""``ask``: audio + a question -> an ``Answer``, with estimate, retries, usage and checks.

The path is: build the request (``_ask_request``: one user message, audio parts then the
question, estimated, so ``ContextOverflowError`` comes before any request), send it
through the one retry layer, read the answer (content, else reasoning), then check that
the audio was heard (``AudioNotHeardWarning``). Sync, async, and streamed (both) twins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._answer import Answer
from ._ask_request import AudioInput, build_ask_request
from ._checks import check_client
from ._client import create_completion, create_completion_async
from ._config import DEFAULT_MODEL, Limits
from ._heard import check_audio_heard
from ._request_estimate import RequestEstimate
from ._retry import RetryPolicy
from ._streaming import AnswerStream, AsyncStreamStarter, stream_completion, stream_completion_async

if TYPE_CHECKING:
    from openai import AsyncOpenAI, OpenAI
    from openai.types.chat import ChatCompletion


__all__ = ["ask", "ask_async", "ask_stream", "ask_stream_async"]


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

    Refused before any request: a client that is not a sync ``openai.OpenAI``
    (:class:`InvalidClientError`; use :func:`ask_async` for ``AsyncOpenAI``), a ``thinking``
    that is not a ``bool``, ``max_completion_tokens`` outside 1 to the model's
    ``ModelSpec.max_completion_tokens``, ``max_tokens=`` (MiMo reads ``max_completion_tokens``),
    an empty question and an empty audio list. OpenAI-shaped parts (raw base64 + ``format``)
    are converted to MiMo's shape.
    """

    check_client(client, sync=True, call="ask")
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

    check_client(client, sync=False, call="ask_async")
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
    """Like :func:`ask`, streamed: iterate the result for deltas, then call ``answer()``.

    Use it as ``with ask_stream(...) as stream: for delta in stream.text_deltas(): ...``.
    When MiMo answers only in ``reasoning_content`` (it sometimes does), ``text_deltas()``
    yields nothing and ``answer().text`` falls back to the reasoning; iterate the stream
    itself (``StreamDelta.kind`` is ``"reasoning"`` or ``"text"``) or use
    ``answer_deltas()``, which falls back to reasoning deltas, to show it as it arrives.
    """

    check_client(client, sync=True, call="ask_stream")
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


def ask_stream_async(
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
) -> AsyncStreamStarter:
    """The async twin of :func:`ask_stream`; use it either way::

        async with ask_stream_async(client, "talk.mp3", "Summarise") as stream:
            async for piece in stream.text_deltas():
                print(piece, end="")
        answer = stream.answer()

        stream = await ask_stream_async(client, "talk.mp3", "Summarise")  # also works

    Arguments are checked (and the estimate made) at once; the request is sent on
    ``await`` / ``async with`` entry, and the stream is closed on ``async with`` exit.
    """

    check_client(client, sync=False, call="ask_stream_async")
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
    return AsyncStreamStarter(
        lambda: stream_completion_async(client, retry=retry, estimate=estimate, **kwargs)
    )
