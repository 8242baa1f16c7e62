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

A stream is believed only once it is whole: every chunk must be a chat completion chunk,
and the stream must end with a ``finish_reason``. A stream that ends (or breaks) before
it, or carries a malformed chunk, raises :class:`IncompleteStreamError` with the text so
far; a JSON body where an event stream was asked for, or an empty stream, is an
:class:`InvalidResponseError` (retried). ``RetryPolicy.timeout_s`` is a deadline over the
whole stream, reading included (:class:`DeadlineExceededError`, with the text so far);
a sync stream is read on a helper thread so a server trickling bytes cannot hold the
reader past it. An error event in the stream passes through with the API key masked.
"""

from __future__ import annotations

import contextlib
import json
import queue
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ._answer import Answer
from ._chunks import Collector, Pump, StreamDelta, first_chunk, is_json, json_instead, next_chunk
from ._client import attempt_kwargs, check_client, client_key
from ._deadline import Deadline, await_before
from ._exceptions import (
    DeadlineExceededError,
    StreamNotFinishedError,
)
from ._request_estimate import RequestEstimate
from ._response import not_json_error
from ._retry import RetryPolicy, deadline_for, run_with_retry, run_with_retry_async

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


_StreamT = TypeVar("_StreamT")


class _StartedStream(Generic[_StreamT]):
    """What both streams hold: the SDK stream, its first chunk (read while retrying), the
    collector, and the deadline of the call."""

    def __init__(
        self,
        stream: _StreamT,
        first: ChatCompletionChunk | None,
        collector: Collector,
        deadline: Deadline | None = None,
    ):
        self._stream = stream
        self._first = first
        self._collector = collector
        self._deadline = deadline

    def _take_first(self) -> list[StreamDelta]:
        first, self._first = self._first, None
        return self._collector.feed(first) if first is not None else []

    def answer(self, *, warn: bool = True) -> Answer:
        """The whole answer with usage; warns on truncation / audio not heard (once exhausted)."""
        return self._collector.answer(warn=warn)


class AnswerStream(_StartedStream["Stream[ChatCompletionChunk]"]):
    """A started stream. Iterate for ``StreamDelta``; then ``answer()``. Closes on ``with`` exit.

    Iterating raises :class:`IncompleteStreamError` when the stream ends without its
    ``finish_reason`` or carries a malformed chunk, and :class:`DeadlineExceededError` when
    the call's ``timeout_s`` passes first; both keep the text so far (``.text``).
    """

    def __iter__(self) -> Iterator[StreamDelta]:
        try:
            yield from self._take_first()
            for chunk in self._chunks():
                yield from self._collector.feed(chunk)
        except DeadlineExceededError:
            raise
        except Exception as exc:
            error = self._collector.broken(exc)
        else:
            self._collector.finish()
            return
        raise error  # outside the except: a broken chunk's text (maybe the key) is not its context

    def _chunks(self) -> Iterator[ChatCompletionChunk]:
        """The SDK stream's chunks, none waited for past the deadline."""
        deadline = self._deadline
        if deadline is None:
            yield from self._stream
            return
        pump = Pump(self._stream)
        while True:
            try:
                kind, item = pump.next(deadline.left_s())
            except queue.Empty:
                with contextlib.suppress(Exception):  # the helper thread may be mid-read
                    self.close()
                raise self._collector.exceeded(deadline) from None
            if kind == "end":
                return
            if kind == "error":
                raise item
            yield item

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
    """The async twin of ``AnswerStream`` (``async for``, ``async with``); a read still waiting
    at the deadline is cancelled."""

    async def __aiter__(self) -> AsyncIterator[StreamDelta]:
        try:
            for delta in self._take_first():
                yield delta
            iterator = self._stream.__aiter__()
            while True:
                more, chunk = await await_before(self._deadline, lambda: next_chunk(iterator))
                if not more:
                    break
                for delta in self._collector.feed(chunk):
                    yield delta
        except DeadlineExceededError:
            with contextlib.suppress(Exception):
                await self.close()
            if self._deadline is None:
                raise
            raise self._collector.exceeded(self._deadline) from None
        except Exception as exc:
            error = self._collector.broken(exc)
        else:
            self._collector.finish()
            return
        raise error  # outside the except: a broken chunk's text (maybe the key) is not its context

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


def _secrets(client: object) -> tuple[str, ...]:
    key = client_key(client)
    return (key,) if key else ()


def _close_started(started: tuple[Stream[ChatCompletionChunk], Any]) -> None:
    started[0].close()


def stream_completion(
    client: OpenAI,
    *,
    retry: RetryPolicy | None = None,
    estimate: RequestEstimate | None = None,
    check_audio: bool = True,
    **create_kwargs: Any,
) -> AnswerStream:
    """Start a streamed ``chat.completions.create``; retried until its first chunk arrives.

    ``retry.timeout_s`` is a deadline over the whole stream, its reading included.
    """
    check_client(client, sync=True, call="stream_completion")
    quiet = client.with_options(max_retries=0)
    create = quiet.chat.completions.create
    kwargs = _stream_kwargs(create_kwargs)
    secrets = _secrets(client)

    def start() -> tuple[Stream[ChatCompletionChunk], ChatCompletionChunk]:
        stream: Stream[ChatCompletionChunk] = create(**attempt_kwargs(quiet, kwargs))
        try:
            kind = is_json(stream)
            if kind is not None:
                raise json_instead(kind, stream.response.read(), secrets)
            return stream, first_chunk(next(iter(stream), None), secrets)
        except json.JSONDecodeError as exc:
            error = not_json_error(exc, secrets=secrets, what="first stream chunk")
        except BaseException:
            stream.close()
            raise
        stream.close()
        raise error  # outside the except: the broken chunk (maybe the key) is not its context

    deadline = deadline_for(retry)
    stream, first = run_with_retry(
        start, retry=retry, api_key=client_key(client), deadline=deadline, on_abandon=_close_started
    )
    return AnswerStream(stream, first, Collector(estimate, check_audio, secrets), deadline)


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
    quiet = client.with_options(max_retries=0)
    create = quiet.chat.completions.create
    kwargs = _stream_kwargs(create_kwargs)
    secrets = _secrets(client)

    async def start() -> tuple[AsyncStream[ChatCompletionChunk], ChatCompletionChunk]:
        stream: AsyncStream[ChatCompletionChunk] = await create(**attempt_kwargs(quiet, kwargs))
        try:
            kind = is_json(stream)
            if kind is not None:
                raise json_instead(kind, await stream.response.aread(), secrets)
            more, first = await next_chunk(stream.__aiter__())
            return stream, first_chunk(first if more else None, secrets)
        except json.JSONDecodeError as exc:
            error = not_json_error(exc, secrets=secrets, what="first stream chunk")
        except BaseException:
            await stream.close()
            raise
        await stream.close()
        raise error  # outside the except: the broken chunk (maybe the key) is not its context

    deadline = deadline_for(retry)
    stream, first = await run_with_retry_async(
        start, retry=retry, api_key=client_key(client), deadline=deadline
    )
    return AsyncAnswerStream(stream, first, Collector(estimate, check_audio, secrets), deadline)


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
