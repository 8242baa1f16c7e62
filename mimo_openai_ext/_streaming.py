"""Streaming: text deltas and reasoning deltas kept apart, the final usage at the end.

``stream_completion(client, ...)`` asks for ``stream_options={"include_usage": True}``
and returns an ``AnswerStream``: iterate it for ``StreamDelta`` items (``kind`` is
``"reasoning"`` or ``"text"``), or call ``text_deltas()`` for the answer text only.
Once exhausted, ``answer()`` gives the full ``Answer`` with its ``UsageReport``
(before that it raises ``StreamNotFinishedError``, a ``RuntimeError``).

MiMo sometimes answers only in ``reasoning_content``: then ``text_deltas()`` yields
nothing while ``answer().text`` falls back to the reasoning. ``answer_deltas()`` yields
the text deltas and, when the stream ended without any, the reasoning as one last
piece, so ``"".join(stream.answer_deltas()) == stream.answer().text``.

The request is retried (one retry layer, see ``_retry``) only until the first chunk
arrives; after that a failure propagates, since re-sending would repeat output.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from ._answer import Answer, answer_text, warn_if_truncated
from ._client import check_client
from ._exceptions import StreamNotFinishedError
from ._heard import check_audio_heard
from ._request_estimate import RequestEstimate
from ._retry import RetryPolicy, run_with_retry, run_with_retry_async
from ._usage import UsageReport

if TYPE_CHECKING:
    from openai import AsyncOpenAI, AsyncStream, OpenAI, Stream
    from openai.types.chat import ChatCompletionChunk

__all__ = [
    "AnswerStream",
    "AsyncAnswerStream",
    "AsyncStreamStarter",
    "StreamDelta",
    "stream_completion",
    "stream_completion_async",
]


@dataclass(frozen=True)
class StreamDelta:
    """One piece of a streamed answer."""

    kind: Literal["reasoning", "text"]
    text: str


@dataclass
class _Collector:
    """Accumulates chunks into the pieces of an ``Answer``."""

    estimate: RequestEstimate | None
    check_audio: bool = True
    model: str = ""
    id: str = ""
    text: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    finish_reason: str | None = None
    usage: Any = None
    done: bool = False

    def feed(self, chunk: ChatCompletionChunk) -> list[StreamDelta]:
        self.model = chunk.model or self.model
        self.id = chunk.id or self.id
        if chunk.usage is not None:
            self.usage = chunk.usage
        out: list[StreamDelta] = []
        for choice in chunk.choices[:1]:
            delta = choice.delta
            extra = getattr(delta, "model_extra", None) or {}
            reasoning = getattr(delta, "reasoning_content", None) or extra.get("reasoning_content")
            if isinstance(reasoning, str) and reasoning:
                self.reasoning.append(reasoning)
                out.append(StreamDelta("reasoning", reasoning))
            if delta.content:
                self.text.append(delta.content)
                out.append(StreamDelta("text", delta.content))
            if choice.finish_reason is not None:
                self.finish_reason = str(choice.finish_reason)
        return out

    def reasoning_fallback(self) -> str:
        """The reasoning, when ``answer().text`` falls back to it (no content at all), else ''."""
        text, from_reasoning = answer_text("".join(self.text), "".join(self.reasoning))
        return text if from_reasoning else ""

    def answer(self, *, warn: bool = True) -> Answer:
        if not self.done:
            raise StreamNotFinishedError(
                "the stream is not finished: iterate it to the end (for delta in stream: ... or "
                "stream.text_deltas()) before calling answer(); a stream left early has no answer"
            )
        model = self.model or (self.estimate.model if self.estimate else "")
        usage = UsageReport.from_usage(self.usage, model=model)
        reasoning = "".join(self.reasoning)
        text, from_reasoning = answer_text("".join(self.text), reasoning)
        if warn:
            warn_if_truncated(self.finish_reason, completion_tokens=usage.completion_tokens)
            if self.estimate is not None and self.check_audio:
                check_audio_heard(usage, self.estimate)
        return Answer(
            text=text,
            reasoning=reasoning,
            finish_reason=self.finish_reason,
            model=model,
            usage=usage,
            estimate=self.estimate,
            id=self.id,
            text_from_reasoning=from_reasoning,
        )


_StreamT = TypeVar("_StreamT")


class _StartedStream(Generic[_StreamT]):
    """What both streams hold: the SDK stream, its first chunk (read while retrying), the collector."""

    def __init__(self, stream: _StreamT, first: ChatCompletionChunk | None, collector: _Collector):
        self._stream = stream
        self._first = first
        self._collector = collector

    def _take_first(self) -> list[StreamDelta]:
        first, self._first = self._first, None
        return self._collector.feed(first) if first is not None else []

    def answer(self, *, warn: bool = True) -> Answer:
        """The whole answer with usage; warns on truncation / audio not heard (once exhausted)."""
        return self._collector.answer(warn=warn)


class AnswerStream(_StartedStream["Stream[ChatCompletionChunk]"]):
    """A started stream. Iterate for ``StreamDelta``; then ``answer()``. Closes on ``with`` exit."""

    def __iter__(self) -> Iterator[StreamDelta]:
        yield from self._take_first()
        for chunk in self._stream:
            yield from self._collector.feed(chunk)
        self._collector.done = True

    def text_deltas(self) -> Iterator[str]:
        """Only the answer's text pieces (reasoning is still collected for ``answer()``)."""
        for delta in self:
            if delta.kind == "text":
                yield delta.text

    def answer_deltas(self) -> Iterator[str]:
        """Text deltas; if the stream ends without any, the reasoning as one last piece."""
        yield from self.text_deltas()
        fallback = self._collector.reasoning_fallback()
        if fallback:
            yield fallback

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> AnswerStream:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncAnswerStream(_StartedStream["AsyncStream[ChatCompletionChunk]"]):
    """The async twin of ``AnswerStream`` (``async for``, ``async with``)."""

    async def __aiter__(self) -> AsyncIterator[StreamDelta]:
        for delta in self._take_first():
            yield delta
        async for chunk in self._stream:
            for delta in self._collector.feed(chunk):
                yield delta
        self._collector.done = True

    async def text_deltas(self) -> AsyncIterator[str]:
        async for delta in self:
            if delta.kind == "text":
                yield delta.text

    async def answer_deltas(self) -> AsyncIterator[str]:
        """Text deltas; if the stream ends without any, the reasoning as one last piece."""
        async for piece in self.text_deltas():
            yield piece
        fallback = self._collector.reasoning_fallback()
        if fallback:
            yield fallback

    async def close(self) -> None:
        await self._stream.close()

    async def __aenter__(self) -> AsyncAnswerStream:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


def _stream_kwargs(create_kwargs: dict[str, Any]) -> dict[str, Any]:
    options = create_kwargs.get("stream_options")
    merged = dict(options) if isinstance(options, Mapping) else {}
    merged.setdefault("include_usage", True)
    return {**create_kwargs, "stream": True, "stream_options": merged}


def stream_completion(
    client: OpenAI,
    *,
    retry: RetryPolicy | None = None,
    estimate: RequestEstimate | None = None,
    check_audio: bool = True,
    **create_kwargs: Any,
) -> AnswerStream:
    """Start a streamed ``chat.completions.create``; retried until its first chunk arrives."""
    check_client(client, sync=True, call="stream_completion")
    create = client.with_options(max_retries=0).chat.completions.create
    kwargs = _stream_kwargs(create_kwargs)

    def start() -> tuple[Stream[ChatCompletionChunk], ChatCompletionChunk | None]:
        stream: Stream[ChatCompletionChunk] = create(**kwargs)
        try:
            return stream, next(iter(stream), None)
        except BaseException:
            stream.close()
            raise

    stream, first = run_with_retry(start, retry=retry)
    return AnswerStream(stream, first, _Collector(estimate, check_audio))


async def stream_completion_async(
    client: AsyncOpenAI,
    *,
    retry: RetryPolicy | None = None,
    estimate: RequestEstimate | None = None,
    check_audio: bool = True,
    **create_kwargs: Any,
) -> AsyncAnswerStream:
    """The async twin of :func:`stream_completion`."""
    check_client(client, sync=False, call="stream_completion_async")
    create = client.with_options(max_retries=0).chat.completions.create
    kwargs = _stream_kwargs(create_kwargs)

    async def start() -> tuple[AsyncStream[ChatCompletionChunk], ChatCompletionChunk | None]:
        stream: AsyncStream[ChatCompletionChunk] = await create(**kwargs)
        try:
            first = await stream.__anext__()
        except StopAsyncIteration:
            first = None
        except BaseException:
            await stream.close()
            raise
        return stream, first

    stream, first = await run_with_retry_async(start, retry=retry)
    return AsyncAnswerStream(stream, first, _Collector(estimate, check_audio))


class AsyncStreamStarter:
    """What ``ask_stream_async(...)`` returns: ``async with`` it, or ``await`` it.

    ``async with starter as stream`` sends the request on entry and closes the stream on
    exit; ``stream = await starter`` sends it and hands the ``AsyncAnswerStream`` over (close
    it yourself, or ``async with stream``). The request is sent at most once.
    """

    def __init__(self, start: Callable[[], Awaitable[AsyncAnswerStream]]) -> None:
        self._start: Callable[[], Awaitable[AsyncAnswerStream]] | None = start
        self._stream: AsyncAnswerStream | None = None

    async def _open(self) -> AsyncAnswerStream:
        if self._stream is not None or self._start is None:
            if self._stream is None:
                raise StreamNotFinishedError(
                    "the request of this ask_stream_async(...) failed: call it again"
                )
            return self._stream  # awaited or entered twice: the same stream, never a second request
        start, self._start = self._start, None
        self._stream = await start()
        return self._stream

    def __await__(self) -> Generator[Any, None, AsyncAnswerStream]:
        return self._open().__await__()

    async def __aenter__(self) -> AsyncAnswerStream:
        return await self._open()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._stream is not None:
            await self._stream.close()
