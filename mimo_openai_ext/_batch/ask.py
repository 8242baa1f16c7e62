"""Ask one question (or one per item) over many audio sources, concurrently and safely.

* At most ``concurrency`` requests in flight, and at most ``requests_per_minute``
  requests (retries included: each attempt goes through the rate limiter) in any minute.
* Retries follow a :class:`RetryPolicy` (the same one ``ask`` uses), attempt by attempt.
* Results come back in input order. One item's failure is recorded on that item (its
  exception type, message and HTTP status) and never sinks the batch.
* With ``results_path``, each result is appended to a JSONL file as it completes
  (flushed and fsynced); ``resume=True`` skips the items already in it.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict, TypeVar

from .._answer import Answer
from .._ask import ask, ask_async
from .._audio.source import AudioSource
from .._client import client_key
from .._config import DEFAULT_MODEL, Limits
from .._retry import NO_RETRY, RetryPolicy
from .engine import AskOne, check_concurrency, check_resume, make_limiter, run_batch
from .rate import RateLimiter
from .results import BatchResult, BatchResults

if TYPE_CHECKING:
    from openai import AsyncOpenAI, OpenAI


__all__ = ["ask_batch", "ask_batch_async"]

_T = TypeVar("_T")


async def ask_batch_async(
    client: AsyncOpenAI,
    sources: Iterable[AudioSource],
    question: str | Sequence[str],
    *,
    model: str = DEFAULT_MODEL,
    thinking: bool = True,
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

    ``question`` is one string for all, or one per source. At most ``concurrency``
    requests run at once and at most ``requests_per_minute`` (default
    ``limits.requests_per_minute``, MiMo's 100) start in any minute — retries included;
    pass a shared ``rate_limiter`` instead to pace several batches together. ``system``
    is an optional system prompt sent with every request; ``convert=True`` re-encodes
    formats MiMo refuses (AAC, WebM, ...) first, as ``ask(convert=True)`` does. A failed
    item keeps its error (``result.error``: type, message, status) and the batch goes on.
    With ``results_path`` every result is appended to that JSONL file as it completes;
    ``resume=True`` skips the items (same source and question) already in it;
    ``retry_failed=True`` resumes too, but asks again the items whose line is an error.
    """
    call = _batch_call(
        client, model, thinking, max_completion_tokens, system, convert, concurrency, requests_per_minute,
        rate_limiter, limits, retry, results_path, resume, overwrite, retry_failed, progress, on_result,
    )  # fmt: skip
    return await call.run(_async_asker(client, call.ask_options), sources, question)


def ask_batch(
    client: OpenAI,
    sources: Iterable[AudioSource],
    question: str | Sequence[str],
    *,
    model: str = DEFAULT_MODEL,
    thinking: bool = True,
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
    """The blocking twin of :func:`ask_batch_async`, for a sync ``OpenAI`` client.

    Requests run on ``concurrency`` threads, under the same rate limit, retries and
    results file. It also works inside a running event loop (Jupyter), where
    ``await ask_batch_async(async_client, ...)`` is the more natural choice.
    """
    if _is_async_client(client):
        raise TypeError(
            "ask_batch() needs a sync openai.OpenAI client; with an AsyncOpenAI use "
            "`await ask_batch_async(client, ...)` (or asyncio.run(...) around it)"
        )
    call = _batch_call(
        client, model, thinking, max_completion_tokens, system, convert, concurrency, requests_per_minute,
        rate_limiter, limits, retry, results_path, resume, overwrite, retry_failed, progress, on_result,
    )  # fmt: skip

    async def batch() -> BatchResults:
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="mimo-batch") as pool:
            return await call.run(_thread_asker(client, pool, call.ask_options), sources, question)

    return _run_sync(batch)


class _AskOptions(TypedDict):
    """The keyword options every item's ``ask`` / ``ask_async`` gets."""

    model: str
    thinking: bool
    max_completion_tokens: int | None
    system: str | None
    convert: bool
    retry: RetryPolicy


def _ask_options(
    model: str, thinking: bool, max_completion_tokens: int | None, system: str | None, convert: bool
) -> _AskOptions:
    """One attempt each (``NO_RETRY``): the batch retries, so every attempt is rate-limited."""

    return _AskOptions(
        model=model,
        thinking=thinking,
        max_completion_tokens=max_completion_tokens,
        system=system,
        convert=convert,
        retry=NO_RETRY,
    )


@dataclass(frozen=True)
class _BatchCall:
    """What ``ask_batch`` and ``ask_batch_async`` share: the checked options, built once."""

    ask_options: _AskOptions
    model: str
    concurrency: int
    rate_limiter: RateLimiter
    retry: RetryPolicy | None
    results_path: str | os.PathLike[str] | None
    resume: bool
    overwrite: bool
    retry_failed: bool
    progress: bool
    on_result: Callable[[BatchResult], None] | None
    api_key: str | None

    async def run(
        self, ask_one: AskOne, sources: Iterable[AudioSource], question: str | Sequence[str]
    ) -> BatchResults:
        return await run_batch(
            ask_one, sources, question, model=self.model, concurrency=self.concurrency,
            rate_limiter=self.rate_limiter, retry=self.retry, results_path=self.results_path,
            resume=self.resume, overwrite=self.overwrite, retry_failed=self.retry_failed,
            progress=self.progress, on_result=self.on_result, api_key=self.api_key,
        )  # fmt: skip


def _batch_call(
    client: OpenAI | AsyncOpenAI, model: str, thinking: bool, max_completion_tokens: int | None,
    system: str | None, convert: bool, concurrency: int, requests_per_minute: int | None,
    rate_limiter: RateLimiter | None, limits: Limits | None, retry: RetryPolicy | None,
    results_path: str | os.PathLike[str] | None, resume: bool, overwrite: bool, retry_failed: bool,
    progress: bool, on_result: Callable[[BatchResult], None] | None,
) -> _BatchCall:  # fmt: skip
    """Check the batch options (before any thread or task starts) and build the call."""
    limiter = make_limiter(rate_limiter, requests_per_minute, limits)
    check_concurrency(concurrency)
    check_resume(results_path, resume=resume, retry_failed=retry_failed)
    return _BatchCall(
        _ask_options(model, thinking, max_completion_tokens, system, convert), model, concurrency,
        limiter, retry, results_path, resume, overwrite, retry_failed, progress, on_result,
        client_key(client),
    )  # fmt: skip


def _async_asker(client: AsyncOpenAI, options: _AskOptions) -> AskOne:
    """One attempt of ``ask_async``."""

    def ask_one(source: AudioSource, question: str) -> Awaitable[Answer]:
        return ask_async(client, source, question, **options)

    return ask_one


def _thread_asker(client: OpenAI, pool: ThreadPoolExecutor, options: _AskOptions) -> AskOne:
    """One attempt of the sync ``ask`` on a worker thread."""

    loop = asyncio.get_running_loop()

    def ask_one(source: AudioSource, question: str) -> Awaitable[Answer]:
        return loop.run_in_executor(pool, lambda: ask(client, source, question, **options))

    return ask_one


def _is_async_client(client: object) -> bool:
    import openai

    return isinstance(client, openai.AsyncOpenAI)


def _run_sync(make: Callable[[], Awaitable[_T]]) -> _T:
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
