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
import contextvars
import json
import queue
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from ._answer import Answer, answer_text, warn_if_truncated
from ._api_errors import surface_detail
from ._client import attempt_kwargs, check_client, client_key
from ._exceptions import (
    DeadlineExceededError,
    IncompleteStreamError,
    InvalidResponseError,
    MimoAudioError,
    StreamNotFinishedError,
)
from ._heard import check_audio_heard
from ._request_estimate import RequestEstimate
from ._response import body_start, check_chunk, not_json_error
from ._retry import Deadline, RetryPolicy, await_before, deadline_for, run_with_retry, run_with_retry_async
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
    """Accumulates chunks into the pieces of an ``Answer``, checking each one."""

    estimate: RequestEstimate | None
    check_audio: bool = True
    secrets: tuple[str, ...] = ()
    model: str = ""
    id: str = ""
    text: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    finish_reason: str | None = None
    usage: Any = None
    done: bool = False
    chunks: int = 0

    def feed(self, chunk: ChatCompletionChunk) -> list[StreamDelta]:
        self.chunks += 1
        problem = check_chunk(chunk, number=self.chunks, secrets=self.secrets)
        if problem is not None:
            raise self.incomplete(f"{problem}: the stream is broken", body=body_start(chunk, self.secrets))
        self.model = _text(getattr(chunk, "model", None)) or self.model
        self.id = _text(getattr(chunk, "id", None)) or self.id
        if getattr(chunk, "usage", None) is not None:
            self.usage = chunk.usage
        out: list[StreamDelta] = []
        for choice in chunk.choices[:1]:
            delta = getattr(choice, "delta", None)
            extra = getattr(delta, "model_extra", None) or {}
            reasoning = getattr(delta, "reasoning_content", None) or extra.get("reasoning_content")
            if isinstance(reasoning, str) and reasoning:
                self.reasoning.append(reasoning)
                out.append(StreamDelta("reasoning", reasoning))
            content = getattr(delta, "content", None)
            if isinstance(content, str) and content:
                self.text.append(content)
                out.append(StreamDelta("text", content))
            reason = getattr(choice, "finish_reason", None)
            if reason is not None:
                self.finish_reason = str(reason)
        return out

    def received(self) -> str:
        got = "".join(self.text)
        reasoning = sum(len(r) for r in self.reasoning)
        parts = [f"{len(got):,} characters of text"] + ([f"{reasoning:,} of reasoning"] if reasoning else [])
        return " and ".join(parts)

    def incomplete(self, why: str, *, body: str = "") -> IncompleteStreamError:
        """The error for a stream that cannot be finished, holding what had arrived."""
        return IncompleteStreamError(
            f"{why}; the answer is incomplete ({self.received()} arrived, kept on this error's "
            ".text/.reasoning): ask again",
            text="".join(self.text),
            reasoning="".join(self.reasoning),
            body=body,
        )

    def finish(self) -> None:
        """The stream ended: done when it carried a ``finish_reason``, else :class:`IncompleteStreamError`."""
        if self.finish_reason is None:
            raise self.incomplete(
                f"the stream ended after {self.chunks} chunk(s) without a finish_reason (the connection "
                "closed early, or a proxy cut it)"
            )
        self.done = True

    def broken(self, exc: Exception) -> Exception:
        """What to raise for an exception met while reading: errors of the SDK's stream explained."""
        import openai

        if isinstance(exc, (MimoAudioError, openai.APIError)):
            surface_detail(exc, self.secrets)  # an error event may echo the key
            return exc
        if isinstance(exc, json.JSONDecodeError):
            start = body_start(exc.doc, self.secrets)
            return self.incomplete(
                f"chunk {self.chunks + 1} of the stream is not JSON ({start!r})", body=start
            )
        error = self.incomplete(
            f"the stream broke after {self.chunks} chunk(s) ({type(exc).__name__}: {exc})"
        )
        error.__cause__ = exc  # a transport error (no server text in it): kept as the cause
        return error

    def exceeded(self, deadline: Deadline) -> DeadlineExceededError:
        return deadline.exceeded(
            text="".join(self.text), reasoning="".join(self.reasoning), what="whole answer"
        )

    def reasoning_fallback(self) -> str:
        """The reasoning, when ``answer().text`` falls back to it (no content at all), else ''."""
        text, from_reasoning = answer_text("".join(self.text), "".join(self.reasoning))
        return text if from_reasoning else ""

    def answer(self, *, warn: bool = True) -> Answer:
        if not self.done:
            raise StreamNotFinishedError(
                "the stream is not finished: iterate it to the end (for delta in stream: ... or "
                "stream.text_deltas()) before calling answer(); a stream left early (or broken) has no answer"
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


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


class _Pump:
    """Reads a sync SDK stream on a daemon thread, so its reader can stop waiting at a deadline.

    The SDK's read timeout restarts with every byte: a server trickling one byte a second
    would hold a reader in ``next(stream)`` for ever. Here the reader waits on a queue.
    """

    def __init__(self, stream: Stream[ChatCompletionChunk]) -> None:
        self._queue: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        context = contextvars.copy_context()
        thread = threading.Thread(
            target=context.run, args=(self._run, stream), name="mimo-stream", daemon=True
        )
        thread.start()

    def _run(self, stream: Stream[ChatCompletionChunk]) -> None:
        try:
            for chunk in stream:
                self._queue.put(("chunk", chunk))
            self._queue.put(("end", None))
        except BaseException as exc:  # handed to the reader
            self._queue.put(("error", exc))

    def next(self, timeout_s: float) -> tuple[str, Any]:
        """``("chunk", c)``, ``("end", None)`` or ``("error", exc)``; ``queue.Empty`` past ``timeout_s``.

        Whatever has already arrived is handed over even when no time is left.
        """
        return self._queue.get(timeout=max(timeout_s, 0.0))


_StreamT = TypeVar("_StreamT")


class _StartedStream(Generic[_StreamT]):
    """What both streams hold: the SDK stream, its first chunk (read while retrying), the
    collector, and the deadline of the call."""

    def __init__(
        self,
        stream: _StreamT,
        first: ChatCompletionChunk | None,
        collector: _Collector,
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
        pump = _Pump(self._stream)
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
                more, chunk = await await_before(self._deadline, lambda: _next_chunk(iterator))
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


async def _next_chunk(iterator: AsyncIterator[ChatCompletionChunk]) -> tuple[bool, Any]:
    try:
        return True, await iterator.__anext__()
    except StopAsyncIteration:
        return False, None


def _first_chunk(first: object, secrets: tuple[str, ...]) -> ChatCompletionChunk:
    """The first chunk, checked: a stream without one, or with a bad one, is retried."""
    if first is None:
        raise IncompleteStreamError(
            "the stream ended before its first chunk (an empty answer): retried like a server error"
        )
    problem = check_chunk(first, number=1, secrets=secrets)
    if problem is not None:
        raise InvalidResponseError(problem, body=body_start(first, secrets))
    return first  # type: ignore[return-value]


def _json_instead(content_type: str, body: bytes, secrets: tuple[str, ...]) -> InvalidResponseError:
    start = body_start(body.decode("utf-8", "replace"), secrets)
    return InvalidResponseError(
        f"the server answered with a {content_type or 'non-stream'} body ({start!r}) where an event "
        "stream was asked for (stream=True): retried like a server error; check base_url if it persists",
        body=start,
    )


def _is_json(stream: object) -> str | None:
    """The content type of a stream response that is JSON, not an event stream (else None)."""
    headers = getattr(getattr(stream, "response", None), "headers", None)
    kind = str(headers.get("content-type", "")) if headers is not None else ""
    return kind if "json" in kind.lower() else None


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
            kind = _is_json(stream)
            if kind is not None:
                raise _json_instead(kind, stream.response.read(), secrets)
            return stream, _first_chunk(next(iter(stream), None), secrets)
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
    return AnswerStream(stream, first, _Collector(estimate, check_audio, secrets), deadline)


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
            kind = _is_json(stream)
            if kind is not None:
                raise _json_instead(kind, await stream.response.aread(), secrets)
            more, first = await _next_chunk(stream.__aiter__())
            return stream, _first_chunk(first if more else None, secrets)
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
    return AsyncAnswerStream(stream, first, _Collector(estimate, check_audio, secrets), deadline)


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
