"""The batch engine: a pool of workers, a rate limiter on every attempt, a results file.

``run_batch`` drives any single-attempt ``ask_one`` coroutine; ``ask_batch_async`` and
``ask_batch`` plug the async and sync ``ask`` into it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from .._answer import Answer
from .._audio.source import AudioSource
from .._checks import check_bool, check_callable, check_limits, check_path, check_type
from .._config import DEFAULT_LIMITS, MODELS, Limits
from .._exceptions import InvalidOptionError, InvalidTypeError, ResultsFileError, UnsupportedFeatureError
from .._retry import RetryPolicy, run_with_retry_async
from .identity import FileIdentity, file_identity, item_key
from .progress import BatchProgress
from .rate import RateLimiter
from .results import BatchResult, BatchResults, make_record, source_label
from .results_file import ResultsFile, find_record

__all__ = [
    "BATCH_OPTIONS",
    "AskOne",
    "BatchOptions",
    "cache_order",
    "check_concurrency",
    "check_resume",
    "check_sources",
    "make_limiter",
    "questions_for",
    "refuse_transcription_model",
    "run_batch",
    "run_pool",
]


def refuse_transcription_model(model: str) -> None:
    """A batch asks a question about each file: the ASR model takes none, so every item would
    fail. Refused at once, pointing at what transcribes many files."""
    spec = MODELS.get(model)
    if spec is not None and spec.asr:
        raise UnsupportedFeatureError(
            f"{model} is the transcription model: it answers no question, so every item of this batch "
            "would fail. Transcribe the files instead: transcribe(client, path) for each (any length, with "
            "segments, SRT and WebVTT), or on the command line `mimo-audio transcribe FILES_OR_FOLDER "
            "-o DIR --format srt --resume`"
        )


def questions_for(question: str | Sequence[str], count: int) -> list[str]:
    if isinstance(question, str):
        return [question] * count
    questions = list(question)
    if len(questions) != count or not all(isinstance(q, str) for q in questions):
        raise InvalidOptionError(
            f"question: got a sequence of {len(questions)} items for {count} sources; pass one "
            "string for all of them, or exactly one string per source",
            option="question",
        )
    return questions


def check_sources(sources: Iterable[AudioSource]) -> list[AudioSource]:
    if isinstance(sources, (str, bytes, bytearray, memoryview, os.PathLike)):
        raise InvalidOptionError(
            f"sources: got a single {type(sources).__name__}; pass a list of sources "
            "(e.g. [path]) — or use ask() for one file",
            option="sources",
        )
    try:
        return list(sources)
    except TypeError:
        raise InvalidTypeError(
            f"sources: got a {type(sources).__name__}; pass a list of sources (paths, bytes, URLs)",
            option="sources",
        ) from None


@dataclass
class _Plan:
    """The items of one batch, the ones to run, and where results go."""

    sources: list[AudioSource]
    labels: list[str]
    questions: list[str]
    results: list[BatchResult | None]
    todo: list[int]
    file: ResultsFile | None
    files: list[FileIdentity | None] = dataclasses.field(default_factory=list)
    """Each local file's identity (what resume matches on); empty without a results file."""
    write_error: ResultsFileError | None = None
    """The first result that could not be written (a full disk): no new item starts after it."""
    unsaved: int = 0
    """Results received that could not be written."""


def _plan(
    items: Iterable[AudioSource],
    question: str | Sequence[str],
    *,
    results_path: str | os.PathLike[str] | None,
    resume: bool,
    overwrite: bool,
    retry_failed: bool,
) -> _Plan:
    check_resume(results_path, resume=resume, retry_failed=retry_failed)
    sources = check_sources(items)
    questions = questions_for(question, len(sources))
    labels = [source_label(s, i) for i, s in enumerate(sources)]
    results: list[BatchResult | None] = [None] * len(sources)
    if results_path is None:
        return _Plan(sources, labels, questions, results, list(range(len(sources))), None)
    files = [file_identity(s) for s in sources]
    keys = [item_key(label, q, f) for label, q, f in zip(labels, questions, files, strict=True)]
    counts = Counter(keys)
    dupes = [label for label, key in zip(labels, keys, strict=True) if counts[key] > 1]
    if dupes:
        raise InvalidOptionError(
            f"the same source and question appear more than once ({', '.join(dupes[:3])}; a file counts "
            "once however its path is typed); a results file keys items by source and question, so drop "
            "the duplicates",
            option="sources",
        )
    file = ResultsFile(results_path, resume=resume, overwrite=overwrite, retry_failed=retry_failed)
    todo = []
    for i, (label, q, identity) in enumerate(zip(labels, questions, files, strict=True)):
        done = find_record(file.done, label, q, identity)
        if done is None:
            todo.append(i)
        else:  # the path as typed this time, the answer from the file
            results[i] = BatchResult(record={**done, "index": i, "source": label}, resumed=True)
    return _Plan(sources, labels, questions, results, todo, file, files)


def cache_order(todo: Sequence[int], labels: Sequence[str]) -> tuple[list[int], dict[int, int]]:
    """The order that reuses MiMo's prompt cache, and each later item's leader.

    MiMo caches a prompt prefix once it has answered it, and the audio comes first in every
    request, so several questions about one source are cheap when the first is answered
    before the others are sent: the first pending item of each source (its leader) goes
    first, in input order, then every other item, which waits for its leader's answer.
    """
    leaders: dict[str, int] = {}
    leader_of: dict[int, int] = {}
    for i in todo:
        leader = leaders.setdefault(labels[i], i)
        if leader != i:
            leader_of[i] = leader
    return [i for i in todo if i not in leader_of] + [i for i in todo if i in leader_of], leader_of


async def run_pool(
    todo: list[int],
    work: Callable[[int], Awaitable[None]],
    *,
    concurrency: int,
    stop: Callable[[], bool] = lambda: False,
) -> None:
    """``concurrency`` workers take items in order until ``stop()``; the first unexpected error
    cancels the rest."""
    queue = iter(todo)

    async def worker() -> None:
        for i in queue:  # a shared iterator: each index is taken by exactly one worker
            if stop():
                return
            await work(i)

    tasks = [asyncio.ensure_future(worker()) for _ in range(max(1, min(concurrency, len(todo))))]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def make_limiter(
    rate_limiter: RateLimiter | None, requests_per_minute: int | None, limits: Limits | None
) -> RateLimiter:
    if rate_limiter is not None:
        return rate_limiter
    if requests_per_minute is None:
        return RateLimiter.per_minute((limits or DEFAULT_LIMITS).requests_per_minute)
    if not _is_count(requests_per_minute):
        raise InvalidOptionError(
            f"requests_per_minute must be a whole number >= 1, got {requests_per_minute!r}; "
            "leave it out to use MiMo's limit, or pass a shared rate_limiter",
            option="requests_per_minute",
        )
    return RateLimiter.per_minute(requests_per_minute)


def _is_count(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and value >= 1


def check_concurrency(concurrency: int) -> None:
    if not _is_count(concurrency):
        raise InvalidOptionError(
            f"concurrency must be a whole number >= 1, got {concurrency!r}; it is how many "
            "requests run at once (default 8)",
            option="concurrency",
        )


def check_resume(results_path: str | os.PathLike[str] | None, *, resume: bool, retry_failed: bool) -> None:
    """``resume`` / ``retry_failed`` read a results file: without one they would do nothing."""
    for option, value in (("resume", resume), ("retry_failed", retry_failed)):
        if value and results_path is None:
            raise InvalidOptionError(
                f"{option}=True needs results_path: it skips the items already saved in that "
                "JSONL file; pass results_path='results.jsonl' (the same file as the first run)",
                option=option,
            )


AskOne = Callable[["AudioSource", str], Awaitable["Answer"]]
"""Asks one question about one source in one attempt (``retry=NO_RETRY``: the batch retries)."""


@dataclass(frozen=True, kw_only=True)
class BatchOptions:
    """How a batch runs (its items' own options are an ``AskOptions``), checked when built."""

    concurrency: int = 8
    requests_per_minute: int | None = None
    rate_limiter: RateLimiter | None = None
    limits: Limits | None = None
    retry: RetryPolicy | None = None
    results_path: str | os.PathLike[str] | None = None
    resume: bool = False
    overwrite: bool = False
    retry_failed: bool = False
    progress: bool = False
    on_result: Callable[[BatchResult], None] | None = None
    limiter: RateLimiter = dataclasses.field(init=False, repr=False, compare=False)
    """The one limiter of the batch: ``rate_limiter``, else one at ``requests_per_minute``."""

    def __post_init__(self) -> None:
        check_concurrency(self.concurrency)
        check_type(self.rate_limiter, RateLimiter, option="rate_limiter", expected="a RateLimiter", none=True)
        check_limits(self.limits)
        check_type(self.retry, RetryPolicy, option="retry", expected="a RetryPolicy", none=True)
        check_path(self.results_path, option="results_path")
        for flag in ("resume", "overwrite", "retry_failed", "progress"):
            check_bool(getattr(self, flag), option=flag)
        check_callable(self.on_result, option="on_result")
        check_resume(self.results_path, resume=self.resume, retry_failed=self.retry_failed)
        object.__setattr__(
            self, "limiter", make_limiter(self.rate_limiter, self.requests_per_minute, self.limits)
        )


BATCH_OPTIONS = tuple(f.name for f in dataclasses.fields(BatchOptions) if f.init)


async def run_batch(
    ask_one: AskOne,
    sources: Iterable[AudioSource],
    question: str | Sequence[str],
    *,
    model: str,
    options: BatchOptions,
    api_key: str | None = None,
) -> BatchResults:
    """The engine under ``ask_batch_async``, for any single-attempt ``ask_one`` coroutine.

    ``options.retry`` drives ``run_with_retry_async`` around ``ask_one``, and every attempt,
    retries included, first takes a slot of the rate limiter. ``api_key`` (the client's) is
    masked in the errors recorded, should a server echo it. ``model`` is what records name
    when an item failed before any answer said which model answered.
    """
    plan = _plan(
        sources, question, results_path=options.results_path, resume=options.resume,
        overwrite=options.overwrite, retry_failed=options.retry_failed,
    )  # fmt: skip
    start = time.monotonic()
    bar = BatchProgress(
        total=len(plan.results),
        initial=[r for r in plan.results if r is not None],
        enabled=options.progress,
    )
    try:
        await _execute(
            plan,
            lambda i: run_with_retry_async(  # the one retry layer; each attempt takes a limiter slot
                lambda: ask_one(plan.sources[i], plan.questions[i]),
                retry=options.retry,
                attempt_slot=lambda: _watched_slot(options.limiter, bar, i),
                api_key=api_key,
            ),
            model=model,
            api_key=api_key,
            concurrency=options.concurrency,
            bar=bar,
            on_result=options.on_result,
        )
    finally:
        bar.close()
        if plan.file is not None:
            plan.file.close()
    done = tuple(r for r in plan.results if r is not None)
    path = None if options.results_path is None else os.fspath(options.results_path)
    return BatchResults(done, elapsed_s=time.monotonic() - start, results_path=path)


@contextlib.asynccontextmanager
async def _watched_slot(limiter: RateLimiter, bar: BatchProgress, key: int) -> AsyncIterator[None]:
    """A rate-limiter slot whose waits the progress display shows."""
    on_wait = (lambda wait_s: bar.waiting(key, wait_s)) if bar.shown else None
    try:
        async with limiter.slot(on_wait=on_wait):
            bar.waited(key)
            yield
    finally:
        bar.waited(key)


async def _tick(bar: BatchProgress, every_s: float = 0.5) -> None:
    """Redraw the progress every ``every_s`` (the rate-limit wait counts down) until cancelled."""
    while True:
        await asyncio.sleep(every_s)
        bar.tick()


async def _execute(
    plan: _Plan,
    answer_for: Callable[[int], Awaitable[Answer]],
    *,
    model: str,
    concurrency: int,
    bar: BatchProgress,
    on_result: Callable[[BatchResult], None] | None,
    api_key: str | None = None,
) -> None:
    """Run the plan's pending items; record, write and report each as it completes.

    Items that ask about a source already asked in this batch wait until its first item is
    answered (see :func:`cache_order`), so MiMo has the audio cached when they are sent.
    """
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mimo-batch-writer")
    loop = asyncio.get_running_loop()
    order, leader_of = cache_order(plan.todo, plan.labels)
    answered = {leader: asyncio.Event() for leader in set(leader_of.values())}

    async def work(i: int) -> None:
        if i in leader_of:
            await answered[leader_of[i]].wait()
        t0 = time.monotonic()
        answer: Answer | None = None
        error: BaseException | None = None
        try:
            answer = await answer_for(i)
        except Exception as exc:  # one item's failure never sinks the batch
            error = exc
        finally:
            if i in answered:
                answered[i].set()
        elapsed_s = time.monotonic() - t0
        record = make_record(
            i, plan.labels[i], plan.questions[i], model, elapsed_s, answer, error, secrets=(api_key,)
        )
        if plan.files:
            record["file"] = plan.files[i]
        result = BatchResult(record=record, answer=answer, exception=error)
        if plan.file is not None:  # on a thread: an fsync must not stall the other requests
            try:
                await loop.run_in_executor(writer, plan.file.append, record)
            except ResultsFileError as exc:  # a full disk: keep what is written, start nothing new
                plan.write_error = plan.write_error or exc
                plan.unsaved += 1
        plan.results[i] = result
        bar.update(result)
        if on_result is not None:
            on_result(result)

    ticker = asyncio.ensure_future(_tick(bar))
    try:
        await run_pool(order, work, concurrency=concurrency, stop=lambda: plan.write_error is not None)
    finally:
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker
        writer.shutdown(wait=True)
    if plan.write_error is not None and plan.file is not None:
        raise _unwritten(plan, plan.file, plan.write_error) from plan.write_error.__cause__


def _unwritten(plan: _Plan, file: ResultsFile, first: ResultsFileError) -> ResultsFileError:
    """After a write failed: what is safe in the file, what was lost, and how to go on."""
    path = file.path
    cause = first.__cause__
    why = getattr(cause, "strerror", None) or str(cause or first)
    kept = len(file.done)
    skipped = sum(r is None for r in plan.results)
    return ResultsFileError(
        f"{path}: could not write a result ({why}); the batch stopped: {kept} result(s) are safe in it, "
        f"{plan.unsaved} answer(s) received could not be saved and {skipped} item(s) "
        "were not started; free some space, then run the same batch again with --resume "
        "(resume=True) to ask the rest",
        path=str(path),
    )
