"""Reading a stream's chunks: each checked, collected into the pieces of an ``Answer``.

* ``StreamDelta``: one piece of a streamed answer (reasoning or text).
* ``Collector``: feeds on chunks, refusing one that is not a chat completion chunk; at the
  end, a stream without its ``finish_reason`` is an :class:`IncompleteStreamError` holding
  the text so far; errors met while reading are explained (``broken``) with the key masked.
* ``Pump``: reads a sync SDK stream on a daemon thread, so its reader can stop waiting at
  a deadline (the SDK's read timeout restarts with every byte).
* The first chunk's checks (``first_chunk``, ``json_instead``, ``is_json``) and the async
  ``next_chunk``, used while the stream is started and retried.

``_streaming`` builds the public streams on these.
"""

from __future__ import annotations

import contextvars
import json
import queue
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ._answer import Answer, answer_text, warn_if_truncated
from ._api_errors import surface_detail
from ._deadline import Deadline
from ._exceptions import (
    DeadlineExceededError,
    IncompleteStreamError,
    InvalidResponseError,
    MimoAudioError,
    StreamNotFinishedError,
)
from ._heard import check_audio_heard
from ._request_estimate import RequestEstimate
from ._response import body_start, check_chunk, field_of
from ._usage import UsageReport

if TYPE_CHECKING:
    from openai import Stream
    from openai.types.chat import ChatCompletionChunk

__all__ = ["Collector", "Pump", "StreamDelta", "first_chunk", "is_json", "json_instead", "next_chunk"]


@dataclass(frozen=True)
class StreamDelta:
    """One piece of a streamed answer."""

    kind: Literal["reasoning", "text"]
    text: str


@dataclass
class Collector:
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
            reasoning = field_of(delta, "reasoning_content")
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
        return deadline.exceeded(text="".join(self.text), reasoning="".join(self.reasoning))

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


class Pump:
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


async def next_chunk(iterator: AsyncIterator[ChatCompletionChunk]) -> tuple[bool, Any]:
    try:
        return True, await iterator.__anext__()
    except StopAsyncIteration:
        return False, None


def first_chunk(first: object, secrets: tuple[str, ...]) -> ChatCompletionChunk:
    """The first chunk, checked: a stream without one, or with a bad one, is retried."""
    if first is None:
        raise IncompleteStreamError(
            "the stream ended before its first chunk (an empty answer): retried like a server error"
        )
    problem = check_chunk(first, number=1, secrets=secrets)
    if problem is not None:
        raise InvalidResponseError(problem, body=body_start(first, secrets))
    return first  # type: ignore[return-value]


def json_instead(content_type: str, body: bytes, secrets: tuple[str, ...]) -> InvalidResponseError:
    start = body_start(body.decode("utf-8", "replace"), secrets)
    return InvalidResponseError(
        f"the server answered with a {content_type or 'non-stream'} body ({start!r}) where an event "
        "stream was asked for (stream=True): retried like a server error; check base_url if it persists",
        body=start,
    )


def is_json(stream: object) -> str | None:
    """The content type of a stream response that is JSON, not an event stream (else None)."""
    headers = getattr(getattr(stream, "response", None), "headers", None)
    kind = str(headers.get("content-type", "")) if headers is not None else ""
    return kind if "json" in kind.lower() else None
