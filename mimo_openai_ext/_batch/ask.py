"""Ask one question (or one per item) over many audio sources, concurrently and safely.

* At most ``concurrency`` requests in flight, and at most ``requests_per_minute``
  requests (retries included: each attempt goes through the rate limiter) in any minute.
* Retries follow a :class:`RetryPolicy` (the same one ``ask`` uses), attempt by attempt.
* Results come back in input order. One item's failure is recorded on that item (its
  exception type, message and HTTP status) and never sinks the batch.
* With ``results_path``, each result is appended to a JSONL file as it completes
  (flushed and fsynced); ``resume=True`` skips the items already in it.

``ask_batch`` spells the options out once; ``ask_batch_async`` shares that signature.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from .._answer import Answer
from .._ask import ask_with, ask_with_async
from .._ask_request import AskOptions
from .._audio.source import AudioSource
from .._client import check_client, client_key
from .._config import DEFAULT_MODEL, Limits, ReasoningEffort
from .._retry import NO_RETRY, RetryPolicy
from .._twins import twin_of
from .engine import BATCH_OPTIONS, AskOne, BatchOptions, refuse_transcription_model, run_batch
from .rate import RateLimiter
from .results import BatchResult, BatchResults

if TYPE_CHECKING:
    from openai import AsyncOpenAI, OpenAI

__all__ = ["ask_batch", "ask_batch_async", "refuse_transcription_model", "run_sync"]

_T = TypeVar("_T")
_POSITIONAL = ("client", "sources", "question")


@dataclass(frozen=True)
class _BatchCall:
    """What ``ask_batch`` and ``ask_batch_async`` share: the checked options, built once."""

    ask: AskOptions
    """Each item's options: one attempt each (``NO_RETRY``), since the batch retries and paces."""
    batch: BatchOptions

    @classmethod
    def from_call(cls, arguments: dict[str, Any]) -> _BatchCall:
        """Check every option (before any thread or task starts) and split them."""
        batch = BatchOptions(**{k: arguments[k] for k in BATCH_OPTIONS if k in arguments})
        ask_only = {k: v for k, v in arguments.items() if k not in BATCH_OPTIONS or k == "limits"}
        ask = AskOptions.from_call(ask_only, positional=_POSITIONAL).replace(retry=NO_RETRY)
        refuse_transcription_model(ask.model)
        return cls(ask, batch)

    async def run(
        self,
        ask_one: AskOne,
        sources: Iterable[AudioSource],
        question: str | Sequence[str],
        api_key: str | None,
    ) -> BatchResults:
        return await run_batch(
            ask_one, sources, question, model=self.ask.model, options=self.batch, api_key=api_key
        )


def ask_batch(
    client: OpenAI,
    /,
    sources: Iterable[AudioSource],
    question: str | Sequence[str],
    *,
    model: str = DEFAULT_MODEL,
    thinking: bool = True,
    reasoning_effort: ReasoningEffort | None = None,
    max_completion_tokens: int | None = None,
    system: str | None = None,
    convert: bool = False,
    concurrency: int = 8,
    requests_per_minute: int | None = None,
    rate_limiter: RateLimiter | None = None,
    limits: Limits | None = None,
    retry: RetryPolicy | None = None,
    results_path: str | os.PathLike[str] | None = None,
    resume: bool = False,
    overwrite: bool = False,
    retry_failed: bool = False,
    progress: bool = False,
    on_result: Callable[[BatchResult], None] | None = None,
) -> BatchResults:
    """Ask ``question`` about every source with ``client``; results in input order.

    ``question`` is one string for all, or one per source; to ask several questions about a
    file, give the file once per question (``[a, a, b, b]`` with ``[q1, q2, q1, q2]``): its first
    question is answered before its others are sent, so they find the audio in MiMo's prompt
    cache (billed at the cache-hit price). At most ``concurrency``
    requests run at once and at most ``requests_per_minute`` (default
    ``limits.requests_per_minute``, MiMo's 100) start in any minute — retries included;
    pass a shared ``rate_limiter`` instead to pace several batches together. ``system``
    is an optional system prompt sent with every request; ``thinking`` and
    ``reasoning_effort`` work as in :func:`ask`; ``convert=True`` re-encodes
    formats MiMo refuses (AAC, WebM, ...) first, as ``ask(convert=True)`` does. A failed
    item keeps its error (``result.error``: type, message, status) and the batch goes on.
    With ``results_path`` every result is appended to that JSONL file as it completes;
    ``resume=True`` skips the items (same source and question) already in it;
    ``retry_failed=True`` resumes too, but asks again the items whose line is an error.
    ``progress=True`` shows done, failed, tokens, cost and any rate-limit wait: a bar on
    stderr, or in Jupyter one display updated in place (a saved notebook keeps the final state).

    Requests run on ``concurrency`` threads. It also works inside a running event loop
    (Jupyter), where ``await ask_batch_async(async_client, ...)`` is the more natural choice.
    """
    check_client(client, sync=True, call="ask_batch")
    call = _BatchCall.from_call(locals())

    async def batch() -> BatchResults:
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="mimo-batch") as pool:
            return await call.run(
                _thread_asker(client, pool, call.ask), sources, question, client_key(client)
            )

    return run_sync(batch)


@twin_of(ask_batch)
async def ask_batch_async(
    client: AsyncOpenAI, sources: Iterable[AudioSource], question: str | Sequence[str], **options: Any
) -> BatchResults:
    """The async twin of :func:`ask_batch`, for an ``openai.AsyncOpenAI`` (tasks, not threads)."""
    check_client(client, sync=False, call="ask_batch_async")
    call = _BatchCall.from_call(options)
    return await call.run(_async_asker(client, call.ask), sources, question, client_key(client))


def _async_asker(client: AsyncOpenAI, options: AskOptions) -> AskOne:
    """One attempt of ``ask`` on the async client."""

    def ask_one(source: AudioSource, question: str) -> Awaitable[Answer]:
        return ask_with_async(client, source, question, options)

    return ask_one


def _thread_asker(client: OpenAI, pool: ThreadPoolExecutor, options: AskOptions) -> AskOne:
    """One attempt of the sync ``ask`` on a worker thread, in a copy of this context (so the
    attempt keeps the deadline of the retry layer around it)."""
    loop = asyncio.get_running_loop()

    def ask_one(source: AudioSource, question: str) -> Awaitable[Answer]:
        context = contextvars.copy_context()
        return loop.run_in_executor(pool, context.run, lambda: ask_with(client, source, question, options))

    return ask_one


def run_sync(make: Callable[[], Awaitable[_T]]) -> _T:
    """``asyncio.run`` here, or on a helper thread when this thread already runs a loop."""

    async def main() -> _T:
        return await make()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(main())
    box: list[_T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            box.append(asyncio.run(main()))
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=target, name="mimo-batch-loop")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return box[0]
