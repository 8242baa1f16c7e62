"""Ask one question across a recording too long for one request.

The audio is split (:func:`split_audio`: quiet cuts, overlapping seams, each piece
within MiMo's limits), each piece is asked the question concurrently (at most
``concurrency`` requests in flight, each through the one retry layer), and, when
there is more than one piece, one final text-only call combines the partial answers.
Usage and cost are summed over every call. Pieces are made while earlier ones are in
flight, so at most ``concurrency`` encoded pieces are in memory.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._answer import Answer
from ._ask import ask_with, ask_with_async
from ._ask_request import AskOptions, create_kwargs
from ._audio.source import AudioSource
from ._audio.split import AudioChunk, resolve_overlap, split_audio
from ._checks import check_bool, check_callable, check_str
from ._client import check_client, create_completion, create_completion_async
from ._config import DEFAULT_MODEL, Limits, ReasoningEffort
from ._exceptions import InvalidOptionError
from ._format import GAP, clock, grid, heading, money, pre, short, snippet
from ._retry import RetryPolicy
from ._twins import twin_of
from ._usage import UsageReport, usage_html

if TYPE_CHECKING:
    from openai import AsyncOpenAI, OpenAI
    from openai.types.chat import ChatCompletion

__all__ = ["AcrossChunksAnswer", "ChunkAnswer", "ask_across_chunks", "ask_across_chunks_async"]


@dataclass(frozen=True)
class ChunkAnswer:
    """The answer for one piece, with where the piece lies in the recording."""

    index: int
    start_s: float
    end_s: float
    answer: Answer

    @property
    def text(self) -> str:
        return self.answer.text

    def __repr__(self) -> str:
        return f"ChunkAnswer(#{self.index} {clock(self.start_s)}-{clock(self.end_s)}, {short(self.text)!r})"


@dataclass(frozen=True)
class AcrossChunksAnswer:
    """Every piece's answer, the combined answer (if asked for) and the summed usage."""

    question: str
    chunks: tuple[ChunkAnswer, ...]
    combined: Answer | None
    usage: UsageReport
    """Summed over every call (each piece, plus the combining call)."""

    @property
    def text(self) -> str:
        """The combined answer, else the one piece's answer, else each piece's answer by time."""
        if self.combined is not None:
            return self.combined.text
        if len(self.chunks) == 1:
            return self.chunks[0].text
        return "\n\n".join(f"[{clock(c.start_s)}-{clock(c.end_s)}] {c.text}" for c in self.chunks)

    @property
    def cost_usd(self) -> float | None:
        return self.usage.cost_usd

    def __repr__(self) -> str:
        span = f"{clock(self.chunks[0].start_s)}-{clock(self.chunks[-1].end_s)}" if self.chunks else "none"
        cost = money(self.cost_usd)
        return (
            f"AcrossChunksAnswer({len(self.chunks)} chunks {span}, "
            f"{'combined' if self.combined is not None else 'not combined'}, "
            f"{self.usage.total_tokens:,} tokens, {cost}, text={short(self.text)!r})"
        )

    def _repr_html_(self) -> str:
        """The answer, one row per piece, then the summed usage."""
        rows = (
            (
                c.index + 1,
                f"{clock(c.start_s)}\u2060-\u2060{clock(c.end_s)}",  # word joiners: never wrapped
                f"{c.answer.usage.audio_tokens:,}",
                money(c.answer.usage.cost_usd),
                (snippet(c.text), c.text),
            )
            for c in self.chunks
        )
        combined = "combined answer" if self.combined is not None else "answers by time"
        return (
            heading(f"Question: {self.question}")
            + heading(f"Answer ({combined} of {len(self.chunks)} pieces)")
            + pre(self.text)
            + GAP
            + grid(["piece", "time", "audio tokens", "cost", "answer"], rows, title="Pieces", align="rnrr")
            + GAP
            + usage_html(self.usage, title="Usage (every call, summed)")
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "text": self.text,
            "chunks": [
                {"index": c.index, "start_s": c.start_s, "end_s": c.end_s, "answer": c.answer.to_dict()}
                for c in self.chunks
            ],
            "combined": self.combined.to_dict() if self.combined is not None else None,
            "usage": self.usage.to_dict(),
        }


def combine_prompt(question: str, chunks: tuple[ChunkAnswer, ...], *, overlap_s: float) -> str:
    """The text-only request that merges the pieces' answers."""
    parts = "\n\n".join(
        f"Part {c.index + 1} ({clock(c.start_s)}-{clock(c.end_s)}):\n{c.text.strip()}" for c in chunks
    )
    return (
        f"A recording was split into {len(chunks)} consecutive parts (neighbouring parts overlap by "
        f"about {overlap_s:g} s) and the question below was answered for each part separately. "
        "Combine the partial answers into one answer about the whole recording. Do not count "
        "anything twice because of the overlaps; say which part something comes from when it "
        f"matters.\n\nQuestion: {question}\n\n{parts}"
    )


_SPLIT_OPTIONS = (
    "max_duration_s", "max_tokens", "max_encoded_bytes", "silence_aware", "keep_quality", "limits", "name",
)  # fmt: skip
"""The options of ``ask_across_chunks`` that go to :func:`split_audio` (with the model and overlap)."""
_OWN_OPTIONS = (*_SPLIT_OPTIONS, "overlap_s", "concurrency", "combine", "on_chunk")
"""Its options that are not :class:`AskOptions` (every other keyword is one, or a ``create`` option)."""


def _chunk_answer(
    chunk: AudioChunk, answer: Answer, on_chunk: Callable[[ChunkAnswer], None] | None
) -> ChunkAnswer:
    done = ChunkAnswer(chunk.index, chunk.start_s, chunk.end_s, answer)
    if on_chunk is not None:
        on_chunk(done)
    return done


def _summed(chunks: tuple[ChunkAnswer, ...], combined: Answer | None) -> UsageReport:
    answers = [c.answer for c in chunks] + ([combined] if combined is not None else [])
    total = answers[0].usage
    for answer in answers[1:]:
        total = total + answer.usage
    return total


@dataclass(frozen=True)
class _Plan:
    """What the sync and async ``ask_across_chunks`` share: the checked options, built once."""

    question: str
    overlap_s: float
    split_options: dict[str, Any]
    ask: AskOptions
    concurrency: int
    combine: bool
    on_chunk: Callable[[ChunkAnswer], None] | None

    @classmethod
    def from_call(cls, question: str, arguments: dict[str, Any]) -> _Plan:
        """Check the options of one call (its ``locals()`` or its twin's keywords) and split them."""
        own = {name: arguments[name] for name in _OWN_OPTIONS if name in arguments}
        concurrency = own.get("concurrency", 4)
        _check(question, concurrency)
        for flag in ("silence_aware", "keep_quality", "combine"):
            if flag in own:
                check_bool(own[flag], option=flag)
        check_str(own.get("name"), option="name", none=True)
        check_callable(own.get("on_chunk"), option="on_chunk")
        overlap = resolve_overlap(own.get("overlap_s"), own.get("max_duration_s"))
        ask_options = AskOptions.from_call(
            {k: v for k, v in arguments.items() if k not in _OWN_OPTIONS or k == "limits"},
            positional=_POSITIONAL,
        )
        split_options = {name: own[name] for name in _SPLIT_OPTIONS if name in own}
        split_options.update(model=ask_options.model, overlap_s=overlap)
        return cls(
            question, overlap, split_options, ask_options, concurrency, own.get("combine", True),
            own.get("on_chunk"),
        )  # fmt: skip

    def chunks(self, source: AudioSource) -> Iterator[AudioChunk]:
        return split_audio(source, **self.split_options)

    def combine_request(self, answers: tuple[ChunkAnswer, ...]) -> dict[str, Any] | None:
        """The text-only call that merges the answers; None for one piece (nothing to merge)."""
        if not self.combine or len(answers) < 2:
            return None
        messages: list[dict[str, str]] = []
        if self.ask.system is not None:
            messages.append({"role": "system", "content": self.ask.system})
        prompt = combine_prompt(self.question, answers, overlap_s=self.overlap_s)
        messages.append({"role": "user", "content": prompt})
        return create_kwargs(self.ask, messages)

    def result(
        self, answers: tuple[ChunkAnswer, ...], completion: ChatCompletion | None
    ) -> AcrossChunksAnswer:
        combined = None if completion is None else Answer.from_completion(completion)
        return AcrossChunksAnswer(self.question, answers, combined, _summed(answers, combined))


_POSITIONAL = ("client", "source", "question")


def _check(question: str, concurrency: int) -> None:
    if not isinstance(question, str) or not question.strip():
        raise InvalidOptionError("the question is empty: ask something about the audio", option="question")
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise InvalidOptionError(
            f"concurrency must be an int >= 1, got {concurrency!r}", option="concurrency"
        )


def _answer_in_threads(
    chunks: Iterator[AudioChunk], ask_one: Callable[[AudioChunk], Answer], concurrency: int,
    on_chunk: Callable[[ChunkAnswer], None] | None,
) -> tuple[ChunkAnswer, ...]:  # fmt: skip
    """Ask each piece on up to ``concurrency`` threads; the next piece is made as a slot frees."""

    def one(chunk: AudioChunk) -> ChunkAnswer:
        return _chunk_answer(chunk, ask_one(chunk), on_chunk)

    slots = threading.BoundedSemaphore(concurrency)
    futures: list[Future[ChunkAnswer]] = []
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="mimo-chunk") as pool:
        try:
            for chunk in chunks:
                slots.acquire()
                future = pool.submit(one, chunk)
                future.add_done_callback(lambda _: slots.release())
                futures.append(future)
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        return tuple(f.result() for f in futures)


async def _answer_in_tasks(
    chunks: Iterator[AudioChunk], ask_one: Callable[[AudioChunk], Awaitable[Answer]], concurrency: int,
    on_chunk: Callable[[ChunkAnswer], None] | None,
) -> tuple[ChunkAnswer, ...]:  # fmt: skip
    """Ask each piece in up to ``concurrency`` tasks; the next piece is made (in a thread) as a slot frees."""
    slots = asyncio.Semaphore(concurrency)

    async def one(chunk: AudioChunk) -> ChunkAnswer:
        try:
            answer = await ask_one(chunk)
        finally:
            slots.release()
        return _chunk_answer(chunk, answer, on_chunk)

    tasks: list[asyncio.Task[ChunkAnswer]] = []
    try:
        while True:
            await slots.acquire()
            chunk = await asyncio.to_thread(next, chunks, None)
            if chunk is None:
                slots.release()
                break
            tasks.append(asyncio.ensure_future(one(chunk)))
        return tuple(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        raise


def ask_across_chunks(
    client: OpenAI,
    /,
    source: AudioSource,
    question: str,
    *,
    max_duration_s: float | None = None,
    max_tokens: int | None = None,
    overlap_s: float | None = None,
    silence_aware: bool = True,
    concurrency: int = 4,
    combine: bool = True,
    model: str = DEFAULT_MODEL,
    thinking: bool = True,
    reasoning_effort: ReasoningEffort | None = None,
    max_completion_tokens: int | None = None,
    system: str | None = None,
    retry: RetryPolicy | None = None,
    max_encoded_bytes: int | None = None,
    keep_quality: bool = False,
    limits: Limits | None = None,
    check_audio: bool = True,
    name: str | None = None,
    on_chunk: Callable[[ChunkAnswer], None] | None = None,
    **create_options: Any,
) -> AcrossChunksAnswer:
    """Ask ``question`` about each piece of a long recording, then combine the answers.

    Splitting takes ``max_duration_s`` / ``max_tokens`` / ``max_encoded_bytes`` /
    ``overlap_s`` / ``silence_aware`` / ``keep_quality`` (see :func:`split_audio`; by
    default each piece is as long as MiMo's size limit allows). Any format the splitter
    decodes is accepted (AAC, WebM, ...): the pieces are lossless FLAC, so no
    ``convert=`` is needed. Each piece is asked as :func:`ask` would, with ``model``,
    ``thinking``, ``reasoning_effort``, ``max_completion_tokens``, ``system``,
    ``check_audio`` and any other ``chat.completions.create`` option
    (``temperature=...``); up to ``concurrency`` at
    once with ``retry``. ``combine=True`` adds one text-only call merging the answers
    (skipped for a single piece), with the same ``system`` prompt and create options.
    ``on_chunk`` is called as each piece is answered.
    """
    check_client(client, sync=True, call="ask_across_chunks")
    plan = _Plan.from_call(question, locals())
    answers = _answer_in_threads(
        plan.chunks(source), lambda c: ask_with(client, c.data, question, plan.ask), plan.concurrency,
        plan.on_chunk,
    )  # fmt: skip
    kwargs = plan.combine_request(answers)
    completion = None if kwargs is None else create_completion(client, retry=plan.ask.retry, **kwargs)
    return plan.result(answers, completion)


@twin_of(ask_across_chunks)
async def ask_across_chunks_async(
    client: AsyncOpenAI, source: AudioSource, question: str, **options: Any
) -> AcrossChunksAnswer:
    """The async twin of :func:`ask_across_chunks` (splitting runs in a worker thread)."""
    check_client(client, sync=False, call="ask_across_chunks_async")
    plan = _Plan.from_call(question, options)
    answers = await _answer_in_tasks(
        plan.chunks(source), lambda c: ask_with_async(client, c.data, question, plan.ask), plan.concurrency,
        plan.on_chunk,
    )  # fmt: skip
    kwargs = plan.combine_request(answers)
    completion = (
        None if kwargs is None else await create_completion_async(client, retry=plan.ask.retry, **kwargs)
    )
    return plan.result(answers, completion)
