"""``speak()`` / ``speak_async()``: text in, a :class:`Speech` out, through MiMo's speech models.

The plan (:mod:`.plan`) checks everything and cuts long text at sentence boundaries; each
piece is one request (:mod:`.request`), sent ``concurrency`` at a time under one
requests-per-minute ceiling (the batch wing's :class:`RateLimiter`, counting every attempt,
retries included) and one retry layer; the pieces' audio is joined without a seam, sped up
if asked, and encoded in the format asked for (:mod:`.._audio.encode`). One piece in WAV or
MP3 at normal speed is MiMo's own bytes, untouched.
"""

from __future__ import annotations

import asyncio
import functools
import operator
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from .._audio.encode import change_tempo, decode_pcm, encode_pcm, encoded_rate, join_pcm
from .._audio.probe import probe_bytes
from .._audio.source import AudioSource
from .._batch.rate import RateLimiter
from .._client import check_client, client_key, create_completion, create_completion_async
from .._config import DEFAULT_LIMITS, Limits, SpeechFormat
from .._models import model_warned
from .._retry import NO_RETRY, RetryPolicy, run_with_retry, run_with_retry_async
from .._twins import arguments_of, twin_of
from .._usage import UsageReport
from .plan import SpeakOptions, SpeechPlan, plan_speech, speech_model, warn_reference
from .request import read_speech, speech_request
from .result import Speech

if TYPE_CHECKING:
    from openai import AsyncOpenAI, OpenAI

__all__ = ["speak", "speak_async", "speak_plan", "speak_plan_async"]

_T = TypeVar("_T")
Spoken = tuple[bytes, UsageReport]


def _limiter(options: SpeakOptions) -> RateLimiter:
    if options.rate_limiter is not None:
        return options.rate_limiter
    return RateLimiter.per_minute((options.limits or DEFAULT_LIMITS).requests_per_minute)


def _usage(completion: Any, plan: SpeechPlan) -> UsageReport:
    return UsageReport.from_usage(getattr(completion, "usage", None), model=plan.model.id)


def assemble(plan: SpeechPlan, spoken: Sequence[Spoken]) -> Speech:
    """The :class:`Speech` for the pieces' audio: kept as is, or joined, sped up and encoded."""
    usage = functools.reduce(operator.add, (u for _, u in spoken))
    if plan.passthrough and plan.speed == 1.0:
        data = spoken[0][0]
        info = probe_bytes(data, source_name="<speech>")
        rate, duration_s, channels = info.sample_rate_hz, info.duration_s, info.channels
    else:
        pieces = [decode_pcm(d, source_name=f"<speech piece {n + 1}>") for n, (d, _) in enumerate(spoken)]
        pcm = join_pcm(pieces)
        if plan.speed != 1.0:
            pcm = change_tempo(pcm, plan.speed)
        data = encode_pcm(pcm, plan.format)
        rate, duration_s, channels = encoded_rate(plan.format, pcm.sample_rate_hz), pcm.duration_s, 1
    return Speech(
        data,
        plan.format,
        rate,
        duration_s,
        model=plan.model.id,
        voice=plan.voice,
        voice_kind=plan.kind,
        text=plan.text,
        requests=len(spoken),
        usage=usage,
        channels=channels,
    )


def _one(client: OpenAI, plan: SpeechPlan, index: int, limiter: RateLimiter) -> Spoken:
    kwargs = speech_request(plan, plan.pieces[index])
    with limiter.slot_sync():
        completion = create_completion(client, retry=NO_RETRY, **kwargs)
    return read_speech(completion, plan, piece=index), _usage(completion, plan)


def speak_plan(client: OpenAI, plan: SpeechPlan, options: SpeakOptions) -> Speech:
    """Send a checked plan's pieces (concurrently when several) and assemble the speech."""
    limiter = _limiter(options)
    key = client_key(client)

    def piece(index: int) -> Spoken:
        return run_with_retry(lambda: _one(client, plan, index, limiter), retry=options.retry, api_key=key)

    with model_warned(plan.model.id):
        if len(plan.pieces) == 1:
            return assemble(plan, [piece(0)])
        workers = min(options.concurrency, len(plan.pieces))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mimo-speak") as pool:
            futures = [pool.submit(piece, i) for i in range(len(plan.pieces))]
            spoken = _results(futures)
    return assemble(plan, spoken)


def _results(futures: list[Future[_T]]) -> list[_T]:
    """Every result in order; on the first failure the pieces not yet started are cancelled."""
    try:
        return [f.result() for f in futures]
    except BaseException:
        for f in futures:
            f.cancel()
        raise


def speak(
    client: OpenAI,
    /,
    text: str,
    *,
    voice: str | None = None,
    format: SpeechFormat = "wav",
    model: str | None = None,
    voice_design: str | None = None,
    voice_clone: AudioSource | None = None,
    style: str | None = None,
    speed: float = 1.0,
    max_chars: int | None = None,
    concurrency: int = 4,
    rate_limiter: RateLimiter | None = None,
    retry: RetryPolicy | None = None,
    limits: Limits | None = None,
) -> Speech:
    """Say ``text`` with one of MiMo's speech models; returns a :class:`Speech`.

    * ``voice``: a preset (``"mimo_default"``, ``"Mia"``, ``"Chloe"``, ``"Milo"``, ``"Dean"``,
      ``"冰糖"``, ...; OpenAI's names such as ``"alloy"`` map through ``OPENAI_VOICE_MAP``).
    * ``voice_design="a calm, low male voice"``: a voice described in words (the design model);
      ``voice_clone="me.m4a"``: the voice of a recording (any audio this library reads; sent as
      the 16-bit mono WAV data URI MiMo wants). ``model`` defaults to the right one of
      ``DEFAULT_SPEECH_MODELS``.
    * ``style``: how to say it, in words (MiMo's natural-language control).
    * ``format``: ``wav``, ``mp3``, ``pcm``/``pcm16`` (raw 16-bit), or ``flac``, ``opus``,
      ``aac`` (encoded here: MiMo refuses them). ``speed`` (0.25-4) is applied here too.
    * Text over ``max_chars`` (the model's ``SpeechSpec.max_input_chars``) is cut at sentence
      boundaries, spoken ``concurrency`` pieces at a time under ``rate_limiter`` (default:
      ``Limits.requests_per_minute``), and joined without a seam.
    """
    check_client(client, sync=True, call="speak")
    options = SpeakOptions(
        voice=voice,
        format=format,
        model=model,
        voice_design=voice_design,
        voice_clone=voice_clone,
        style=style,
        speed=speed,
        max_chars=max_chars,
        concurrency=concurrency,
        rate_limiter=rate_limiter,
        retry=retry,
        limits=limits,
    )
    plan = plan_speech(text, options)
    warn_reference(plan)
    return speak_plan(client, plan, options)


async def _one_async(client: AsyncOpenAI, plan: SpeechPlan, index: int) -> Spoken:
    kwargs = speech_request(plan, plan.pieces[index])
    completion = await create_completion_async(client, retry=NO_RETRY, **kwargs)
    return read_speech(completion, plan, piece=index), _usage(completion, plan)


async def speak_plan_async(client: AsyncOpenAI, plan: SpeechPlan, options: SpeakOptions) -> Speech:
    """The async twin of :func:`speak_plan` (the pieces run as tasks; the CPU work on threads)."""
    limiter = _limiter(options)
    key = client_key(client)
    gate = asyncio.Semaphore(options.concurrency)

    async def piece(index: int) -> Spoken:
        async with gate:
            return await run_with_retry_async(
                lambda: _one_async(client, plan, index),
                retry=options.retry,
                attempt_slot=limiter.slot,
                api_key=key,
            )

    with model_warned(plan.model.id):
        spoken = await _gather([functools.partial(piece, i) for i in range(len(plan.pieces))])
    return await asyncio.to_thread(assemble, plan, spoken)


async def _gather(calls: Sequence[Callable[[], Awaitable[_T]]]) -> list[_T]:
    """Run every call as a task; on the first failure the others are cancelled, then it is raised."""
    tasks = [asyncio.ensure_future(call()) for call in calls]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


@twin_of(speak)
async def speak_async(client: AsyncOpenAI, text: str, **options: Any) -> Speech:
    """The async twin of :func:`speak` (an ``AsyncOpenAI`` client; ``await speak_async(...)``)."""
    check_client(client, sync=False, call="speak_async")
    call = arguments_of(speak, client, text, **options)
    del call["client"], call["text"]
    settings = SpeakOptions(**call)
    spec = speech_model(settings)  # here, so a warning names the caller's line
    with model_warned(spec.id):
        plan = await asyncio.to_thread(plan_speech, text, settings)  # a reference clip is converted
    warn_reference(plan)
    return await speak_plan_async(client, plan, settings)
