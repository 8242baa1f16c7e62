"""``ask``: audio + a question -> an ``Answer``, with estimate, retries, usage and checks.

The path is: build the request (``_ask_request``: one user message, audio parts then the
question, estimated, so ``ContextOverflowError`` comes before any request), send it
through the one retry layer, read the answer (content, else reasoning), then check that
the audio was heard (``AudioNotHeardWarning``). ``ask`` spells the options out once; its
async and streamed twins share that signature (``_twins``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._answer import Answer
from ._ask_request import AskOptions, AudioInput, build_ask_request
from ._client import check_client, create_completion, create_completion_async
from ._config import DEFAULT_MODEL, Limits, ReasoningEffort
from ._heard import check_audio_heard
from ._request_estimate import RequestEstimate
from ._retry import RetryPolicy
from ._streaming import AnswerStream, AsyncStreamStarter, stream_completion, stream_completion_async
from ._twins import twin_of

if TYPE_CHECKING:
    from openai import AsyncOpenAI, OpenAI
    from openai.types.chat import ChatCompletion

__all__ = ["ask", "ask_async", "ask_stream", "ask_stream_async", "ask_with", "ask_with_async"]

_POSITIONAL = ("client", "audio", "question")


def _finish(completion: ChatCompletion, estimate: RequestEstimate, options: AskOptions) -> Answer:
    """The ``Answer`` (warns if truncated), then the "audio heard" check."""
    answer = Answer.from_completion(completion, estimate=estimate)
    if options.check_audio:
        check_audio_heard(answer.usage, estimate)
    return answer


def ask(
    client: OpenAI,
    /,
    audio: AudioInput,
    question: str,
    *,
    model: str = DEFAULT_MODEL,
    thinking: bool = True,
    reasoning_effort: ReasoningEffort | None = None,
    max_completion_tokens: int | None = None,
    system: str | None = None,
    retry: RetryPolicy | None = None,
    limits: Limits | None = None,
    convert: bool = False,
    check_audio: bool = True,
    **create_options: Any,
) -> Answer:
    """Ask MiMo ``question`` about ``audio``; the client is used, never modified.

    ``model`` is any id of ``MODELS`` (default ``DEFAULT_MODEL``); one the table says MiMo
    retired raises :class:`RetiredModelError` naming the date and the successor (nothing
    is sent to another model), and one retiring within 30 days warns.
    ``thinking=False`` sends ``extra_body={"thinking": {"type": "disabled"}}`` (``True``
    keeps MiMo's default, which thinks). ``reasoning_effort`` (``"none"``, ``"low"``,
    ``"medium"``, ``"high"``) goes to models that take it (``ModelSpec.reasoning_efforts``);
    other values are refused before the request. ``system`` is an optional system prompt.
    ``convert=True`` re-encodes formats MiMo refuses (AAC, WebM, ...) first.
    ``check_audio`` warns ``AudioNotHeardWarning`` when MiMo reports the audio ignored.
    Other keyword options (``temperature``, ...) go to ``chat.completions.create``.

    Refused before any request: a client that is not a sync ``openai.OpenAI``
    (:class:`InvalidClientError`; use :func:`ask_async` for ``AsyncOpenAI``), a ``thinking``
    that is not a ``bool``, ``max_completion_tokens`` outside 1 to the model's
    ``ModelSpec.max_completion_tokens``, an empty question and an empty audio list.
    ``max_tokens=`` (OpenAI's older name) is sent as ``max_completion_tokens``, the one MiMo
    documents, with a one-time note. OpenAI-shaped parts (raw base64 + ``format``) are
    converted to MiMo's shape.
    """
    check_client(client, sync=True, call="ask")
    return ask_with(client, audio, question, AskOptions.from_call(locals(), positional=_POSITIONAL))


@twin_of(ask)
async def ask_async(client: AsyncOpenAI, audio: AudioInput, question: str, **options: Any) -> Answer:
    """The async twin of :func:`ask`: the same parameters, with an ``openai.AsyncOpenAI``."""
    check_client(client, sync=False, call="ask_async")
    return await ask_with_async(client, audio, question, AskOptions.from_call(options))


@twin_of(ask)
def ask_stream(client: OpenAI, audio: AudioInput, question: str, **options: Any) -> AnswerStream:
    """Like :func:`ask`, streamed: iterate the result for deltas, then call ``answer()``.

    Use it as ``with ask_stream(...) as stream: for delta in stream.text_deltas(): ...``.
    When MiMo answers only in ``reasoning_content`` (it sometimes does), ``text_deltas()``
    yields nothing and ``answer().text`` falls back to the reasoning; iterate the stream
    itself (``StreamDelta.kind`` is ``"reasoning"`` or ``"text"``) or use
    ``answer_deltas()``, which falls back to reasoning deltas, to show it as it arrives.
    """
    check_client(client, sync=True, call="ask_stream")
    checked = AskOptions.from_call(options)
    kwargs, estimate = build_ask_request(audio, question, checked)
    return stream_completion(
        client, retry=checked.retry, estimate=estimate, check_audio=checked.check_audio, **kwargs
    )


@twin_of(ask)
def ask_stream_async(
    client: AsyncOpenAI, audio: AudioInput, question: str, **options: Any
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
    checked = AskOptions.from_call(options)
    kwargs, estimate = build_ask_request(audio, question, checked)
    return AsyncStreamStarter(
        lambda: stream_completion_async(
            client, retry=checked.retry, estimate=estimate, check_audio=checked.check_audio, **kwargs
        )
    )


def ask_with(client: OpenAI, audio: AudioInput, question: str, options: AskOptions) -> Answer:
    """:func:`ask` with its options already checked (``ask_across_chunks`` and batches call it)."""
    kwargs, estimate = build_ask_request(audio, question, options)
    completion = create_completion(client, retry=options.retry, **kwargs)
    return _finish(completion, estimate, options)


async def ask_with_async(
    client: AsyncOpenAI, audio: AudioInput, question: str, options: AskOptions
) -> Answer:
    """The async twin of :func:`ask_with`."""
    kwargs, estimate = build_ask_request(audio, question, options)
    completion = await create_completion_async(client, retry=options.retry, **kwargs)
    return _finish(completion, estimate, options)
