"""Transcribe audio of any length and format with MiMo's ASR model: text with a timeline.

MiMo's ASR model (``mimo-v2.5-asr``) takes one WAV or MP3 of at most 10 MB of base64 and
answers with text, no times. :func:`transcribe`:

1. opens the recording, whatever its format (FLAC, M4A, OGG; with ``convert=True`` also
   what MiMo refuses: AAC, WebM, WMA, ...), and streams it;
2. cuts it at pauses into pieces of at most ``max_segment_s`` (:mod:`._audio.segment`,
   pauses from a voice-activity detector, :mod:`._audio.vad`), each mono 16 kHz WAV (MP3
   when a WAV would pass the limit); with ``max_segment_s=None`` a WAV or MP3 that fits one
   request is sent as it is;
3. sends the pieces ``concurrency`` at a time, under the batch wing's
   :class:`RateLimiter` (every attempt takes a slot) and the one retry layer, while later
   pieces are still being cut;
4. puts the answers on the timeline: one :class:`Segment` per piece, where its speech
   lies in the recording, and drops the words heard twice where two pieces overlap.

A piece whose request fails keeps its error in its segment and the rest is kept
(``Transcript.failures``, and a warning). Only an error no piece can escape (HTTP 401,
402, 403, 404), or every piece failing, is raised.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import shlex
from collections.abc import Awaitable, Callable, Generator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._answer import Answer
from ._asr_request import asr_kwargs, asr_model, check_language, fits_as_is, longest_piece_s
from ._audio.datauri import max_bytes_for_data_uri
from ._audio.decode import open_audio
from ._audio.probe import probe_bytes
from ._audio.segment import PiecePlan, SpeechPiece, speech_pieces
from ._audio.source import AudioSource, is_url, read_source, refuse_folder
from ._audio.vad import VAD_KINDS, VadKind, fallback_note, make_detector
from ._batch.ask import run_sync
from ._batch.engine import check_concurrency, make_limiter
from ._batch.rate import RateLimiter
from ._batch.results import error_record
from ._checks import check_bool, check_callable, check_limits, check_seconds, check_str, check_type
from ._client import check_client, client_key, create_completion, create_completion_async
from ._config import AUDIO_FORMATS, DEFAULT_ASR_MODEL, DEFAULT_LIMITS, AsrLanguage, Limits, ModelSpec
from ._exceptions import (
    InvalidAudioSourceError,
    InvalidOptionError,
    MimoAudioError,
    MimoAudioWarning,
    UnsupportedAudioFormatError,
)
from ._format import clock
from ._retry import NO_RETRY, RetryPolicy, run_with_retry_async
from ._transcript import Segment, Transcript, join_texts, merge_seam
from ._twins import arguments_of, twin_of
from ._usage import UsageReport
from ._warn import warn

if TYPE_CHECKING:
    from openai import AsyncOpenAI, OpenAI
    from openai.types.chat import ChatCompletion

__all__ = [
    "DEFAULT_MAX_SEGMENT_S",
    "MIN_SEGMENT_S",
    "TRANSCRIBE_OPTIONS",
    "TranscribeOptions",
    "TranscribeProgress",
    "run_transcription",
    "say_what_happened",
    "transcribe",
    "transcribe_async",
]

DEFAULT_MAX_SEGMENT_S = 10.0
"""A subtitle stays on screen at most about 7-10 s; longer segments are cut at a pause."""
MIN_SEGMENT_S = 2.0
_LOWEST_KBPS = 24
"""No piece is longer than MP3 at this bitrate (the lowest kept for speech) fits the ASR limit."""
_SEGMENT_PAUSE_S = 0.4
"""A pause this long ends a segment (sentences and clauses have their own)."""
_PIECE_PAUSE_S = 3.0
"""With ``max_segment_s=None``, only a silence this long ends a piece early (it is not sent)."""
_FATAL_STATUSES = (401, 402, 403, 404)
"""Errors every piece would get (bad key, no balance, region, no such endpoint or model)."""


@dataclass(frozen=True)
class TranscribeProgress:
    """How far a transcription has got (``on_progress`` is called with one at every change)."""

    source_name: str
    duration_s: float
    cut_s: float
    """How much of the recording has been cut into pieces so far."""
    pieces_total: int
    """Pieces cut so far (the final count once ``cutting_done``)."""
    pieces_done: int
    """Pieces answered or failed."""
    pieces_failed: int
    cutting_done: bool
    done_s: float = 0.0
    """Seconds of the recording finished: pieces answered or failed, and the pauses between
    them (cut, never sent). It reaches ``duration_s`` at the end, and unlike the piece count,
    whose total grows while the audio is cut, its total (``duration_s``) is known from the
    headers at the start: a progress bar's measure."""


@dataclass(frozen=True, kw_only=True)
class TranscribeOptions:
    """How :func:`transcribe` works (checked when built); see its docstring."""

    language: AsrLanguage = "auto"
    model: str | None = None
    name: str | None = None
    retry: RetryPolicy | None = None
    limits: Limits | None = None
    max_segment_s: float | None = DEFAULT_MAX_SEGMENT_S
    vad: VadKind = "auto"
    convert: bool = False
    concurrency: int = 8
    requests_per_minute: int | None = None
    rate_limiter: RateLimiter | None = None
    on_progress: Callable[[TranscribeProgress], None] | None = None
    spec: ModelSpec = field(init=False, repr=False, compare=False)
    limiter: RateLimiter = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "language", check_language(self.language))
        check_str(self.model, option="model", none=True)
        check_str(self.name, option="name", none=True)
        check_type(self.retry, RetryPolicy, option="retry", expected="a RetryPolicy", none=True)
        check_limits(self.limits)
        check_seconds(self.max_segment_s, option="max_segment_s", minimum=MIN_SEGMENT_S, none=True)
        check_str(self.vad, option="vad")
        if self.vad not in VAD_KINDS:
            raise InvalidOptionError(
                f"vad={self.vad!r}: use 'auto' (Silero VAD when the vad extra is installed, else energy), "
                "'silero' or 'energy'",
                option="vad",
            )
        check_bool(self.convert, option="convert")
        check_concurrency(self.concurrency)
        check_type(self.rate_limiter, RateLimiter, option="rate_limiter", expected="a RateLimiter", none=True)
        check_callable(self.on_progress, option="on_progress")
        spec = asr_model(self.model or DEFAULT_ASR_MODEL)
        longest = longest_piece_s(spec, self.resolved_limits)
        if self.max_segment_s is not None and self.max_segment_s > longest:
            raise InvalidOptionError(
                f"max_segment_s={self.max_segment_s:g}: one {spec.id} request holds at most {longest:.0f} s "
                f"(its context and answer budget); pass at most {longest:.0f}, or None for pieces that long",
                option="max_segment_s",
            )
        object.__setattr__(self, "spec", spec)
        limiter = make_limiter(self.rate_limiter, self.requests_per_minute, self.limits)
        object.__setattr__(self, "limiter", limiter)

    @property
    def resolved_limits(self) -> Limits:
        return self.limits or DEFAULT_LIMITS

    def piece_plan(self) -> PiecePlan:
        limits = self.resolved_limits
        uri_limits = dataclasses.replace(limits, max_data_uri_chars=limits.asr_max_data_uri_chars)
        longest = longest_piece_s(self.spec, limits)
        max_mp3_bytes = max_bytes_for_data_uri(AUDIO_FORMATS["mp3"].mime, limits=uri_limits)
        mp3_holds_s = max(MIN_SEGMENT_S, (max_mp3_bytes - 4096) * 8 / (_LOWEST_KBPS * 1000) * 0.95)
        return PiecePlan(
            max_piece_s=min(self.max_segment_s or longest, mp3_holds_s),
            max_wav_bytes=max_bytes_for_data_uri(AUDIO_FORMATS["wav"].mime, limits=uri_limits),
            max_mp3_bytes=max_mp3_bytes,
            # segments end at every pause; pieces as long as a request holds only at a long one
            min_pause_s=_SEGMENT_PAUSE_S if self.max_segment_s is not None else _PIECE_PAUSE_S,
        )


TRANSCRIBE_OPTIONS = tuple(f.name for f in dataclasses.fields(TranscribeOptions) if f.init)


# -- what is sent --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Opened:
    """The recording, once open: its name and duration, and what finds its pauses."""

    name: str
    duration_s: float
    vad: str


@dataclass(frozen=True)
class _Whole:
    """A recording that goes to the model as it is, in one request."""

    data: bytes = field(repr=False)
    mime: str


def _refuse_url(audio: AudioSource) -> None:
    """A URL or a folder, refused before anything is read (a folder pointing at what works for it)."""
    shown = audio if isinstance(audio, str) else "FOLDER"
    refuse_folder(
        audio,
        instead=f"transcribe one file inside it, or every file in it on the command line: "
        f"`mimo-audio transcribe {shlex.quote(shown)} -o DIR` (one transcript each; --format srt, --resume)",
    )
    if isinstance(audio, str) and is_url(audio):
        raise InvalidAudioSourceError(
            f"{audio}: MiMo's ASR model takes local audio only (a data URI, no URLs): download the "
            "file and pass its path",
            source_name=audio,
        )


def _check_convertible(found: str, name: str, options: TranscribeOptions) -> None:
    """Formats MiMo refuses (AAC, WebM, ...) are converted only when ``convert=True``."""
    if options.convert or found in AUDIO_FORMATS:
        return
    raise UnsupportedAudioFormatError(
        f"{name}: {found} is not a format MiMo accepts ({', '.join(AUDIO_FORMATS)}); pass convert=True "
        "to convert it while transcribing",
        source_name=name,
        found=found,
        allowed=tuple(AUDIO_FORMATS),
    )


def _pieces(
    audio: AudioSource, options: TranscribeOptions, on_cut: Callable[[float], None]
) -> Generator[_Opened | _Whole | SpeechPiece, None, None]:
    """The recording's pieces, each made when asked for (this runs in a worker thread).

    First an :class:`_Opened`; then one :class:`_Whole`, or the pieces cut at pauses.
    """
    name = options.name
    if options.max_segment_s is None:
        data, name = read_source(audio, name=name)
        audio = data
        try:
            info = probe_bytes(data, source_name=name)
        except UnsupportedAudioFormatError:
            info = None
        if info is not None and fits_as_is(info, options.spec, options.resolved_limits):
            yield _Opened(name, info.duration_s, "")
            yield _Whole(data, info.mime)
            return
    with open_audio(audio, name=name) as stream:
        _check_convertible(stream.info.format, stream.name, options)
        detector = make_detector(options.vad)
        yield _Opened(stream.name, stream.frames / stream.sample_rate_hz, detector.name)
        plan = options.piece_plan()
        yield from speech_pieces(stream, detector, plan, on_progress=lambda done, _: on_cut(done))


# -- what comes back -----------------------------------------------------------------------


@dataclass
class _Result:
    """One piece's answer, or its error (a truncated answer has both: its usage was billed)."""

    piece: SpeechPiece | None
    answer: Answer | None = None
    error: BaseException | None = None


Send = Callable[[dict[str, Any]], Awaitable["ChatCompletion"]]
"""One attempt of one request (``create`` with ``retry=NO_RETRY``): the run retries and paces."""


class _Run:
    """One transcription in progress: the pieces in flight, the progress, the results."""

    def __init__(self, send: Send, options: TranscribeOptions, api_key: str | None) -> None:
        self.send = send
        self.options = options
        self.api_key = api_key
        self.results: list[_Result] = []
        self.opened = _Opened("<audio>", 0.0, "")
        self.cut_s = 0.0
        self.cutting_done = False
        self.done = self.failed = 0
        self.fatal: BaseException | None = None
        """An error no piece can escape (a bad key, ...): the run stops and raises it."""

    def progress(self) -> None:
        if self.options.on_progress is None:
            return
        opened = self.opened
        self.options.on_progress(
            TranscribeProgress(
                opened.name,
                opened.duration_s,
                self.cut_s,
                len(self.results),
                self.done,
                self.failed,
                self.cutting_done,
                self._done_s(),
            )
        )

    def _done_s(self) -> float:
        """What has been cut, less the pieces still waiting or in flight."""
        waiting = sum(
            (r.piece.end_s - r.piece.start_s) if r.piece is not None else self.opened.duration_s
            for r in self.results
            if r.answer is None and r.error is None
        )
        return round(min(max(self.cut_s - waiting, 0.0), self.opened.duration_s), 3)

    async def one(self, result: _Result, data: bytes, mime: str) -> None:
        """Send one piece through the retry layer, each attempt in a rate-limiter slot."""
        kwargs = asr_kwargs(self.options.spec, data, mime, self.options.language)
        try:
            completion = await run_with_retry_async(
                lambda: self.send(kwargs),
                retry=self.options.retry,
                attempt_slot=self.options.limiter.slot,
                api_key=self.api_key,
            )
            result.answer = Answer.from_completion(completion, warn=False)
            if result.answer.truncated:
                piece = result.piece
                where = (
                    f"{self.opened.name} [{piece.start_s:.1f}-{piece.end_s:.1f} s]"
                    if piece
                    else self.opened.name
                )
                raise _CutShort(result.answer, where)
        except Exception as exc:
            if getattr(exc, "status_code", None) in _FATAL_STATUSES:
                self.fatal = self.fatal or exc  # every piece would get it: stop sending
                return
            result.error = exc
            self.failed += 1
        self.done += 1
        self.progress()

    async def run(self, audio: AudioSource, slots: asyncio.Semaphore | None = None) -> None:
        """Cut (in a worker thread) and send, at most ``concurrency`` pieces in flight or waiting
        (or as many as ``slots``, shared by several runs, allows)."""
        loop = asyncio.get_running_loop()

        def on_cut(done_s: float) -> None:  # called in the worker thread
            with contextlib.suppress(RuntimeError):  # the loop is gone: the run was cancelled
                loop.call_soon_threadsafe(self._cut_to, done_s)

        items = _pieces(audio, self.options, on_cut)
        if slots is None:
            slots = asyncio.Semaphore(self.options.concurrency)
        tasks: list[asyncio.Task[None]] = []
        cutting: asyncio.Future[_Opened | _Whole | SpeechPiece | None] | None = None

        async def guarded(result: _Result, data: bytes, mime: str, slots: asyncio.Semaphore) -> None:
            try:
                await self.one(result, data, mime)
            finally:
                slots.release()

        try:
            while True:
                await slots.acquire()
                if self.fatal is not None:
                    slots.release()
                    break
                cutting = asyncio.ensure_future(asyncio.to_thread(next, items, None))
                item = await cutting
                if item is None:
                    slots.release()
                    break
                if isinstance(item, _Opened):
                    self.opened = item
                    slots.release()
                    continue
                piece = item if isinstance(item, SpeechPiece) else None
                result = _Result(piece)
                self.results.append(result)
                if piece is not None:
                    self.cut_s = max(self.cut_s, piece.end_s)
                self.progress()
                tasks.append(asyncio.ensure_future(guarded(result, item.data, item.mime, slots)))
            if self.fatal is not None:
                raise self.fatal
            self.cutting_done, self.cut_s = True, self.opened.duration_s
            self.progress()
            await asyncio.gather(*tasks)
            if self.fatal is not None:
                raise self.fatal
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if cutting is None or cutting.done():  # else its thread still cuts: the collector closes it
                with contextlib.suppress(Exception):
                    items.close()  # the decoder and its file, now
            raise

    def _cut_to(self, done_s: float) -> None:
        if done_s > self.cut_s:
            self.cut_s = done_s
            self.progress()


class _CutShort(MimoAudioError):
    """A piece's transcript was cut at the answer budget: its text is incomplete."""

    def __init__(self, answer: Answer, where: str) -> None:
        super().__init__(
            f"{where}: MiMo's transcript of this piece was cut at {answer.usage.completion_tokens:,} tokens "
            f"(finish_reason {answer.finish_reason!r}), so it is incomplete; pass a smaller max_segment_s"
        )


# -- the result ----------------------------------------------------------------------------


def _error_text(exc: BaseException, api_key: str | None) -> str:
    record = error_record(exc, secrets=(api_key,))
    status = f"HTTP {record['status']} " if record["status"] is not None else ""
    return f"{record['type']}: {status}{record['message']}".strip()


def _segments(results: list[_Result], duration_s: float, api_key: str | None) -> list[Segment]:
    segments: list[Segment] = []
    for result in results:
        piece = result.piece
        start, end = (piece.speech_start_s, piece.speech_end_s) if piece is not None else (0.0, duration_s)
        if result.error is not None or result.answer is None:
            error = _error_text(result.error, api_key) if result.error is not None else "not sent"
            segments.append(Segment(round(start, 3), round(end, 3), "", error))
            continue
        segment = Segment(round(start, 3), round(end, 3), result.answer.text.strip())
        if piece is not None and piece.overlaps_previous and segments and segments[-1].ok:
            kept, text = merge_seam(segments[-1].text, segment.text)
            segments[-1] = dataclasses.replace(segments[-1], text=kept)
            segment = dataclasses.replace(segment, text=text)
        segments.append(segment)
    return segments


def _transcript(run: _Run) -> Transcript:
    options, results = run.options, run.results
    answered = [r.answer for r in results if r.answer is not None]  # billed, truncated ones too
    failed = [r.error for r in results if r.error is not None]
    if failed and len(failed) == len(results):
        raise failed[0]  # every piece failed: there is nothing to keep
    segments = _segments(results, run.opened.duration_s, run.api_key)
    model = answered[0].model if answered and answered[0].model else options.spec.id
    usage = answered[0].usage if answered else UsageReport.from_usage(None, model=model)
    for answer in answered[1:]:
        usage = usage + answer.usage
    text = join_texts(
        [s.text if s.ok else f"[not transcribed: {clock(s.start_s)}-{clock(s.end_s)}]" for s in segments]
    )
    return Transcript(
        text=text,
        language=options.language,
        model=model,
        source_name=run.opened.name,
        duration_s=run.opened.duration_s,
        usage=usage,
        id=answered[0].id if len(results) == 1 and answered and not failed else "",
        segments=tuple(segments),
        vad=run.opened.vad,
    )


def say_what_happened(options: TranscribeOptions, transcript: Transcript) -> None:
    """The warnings of one call, raised at the user's line."""
    if options.vad == "auto" and transcript.vad == "energy":
        warn(fallback_note(), MimoAudioWarning)
    failures = transcript.failures
    if failures:
        first = failures[0]
        warn(
            f"{transcript.source_name}: {len(failures)} of {len(transcript.segments)} pieces failed (the "
            f"first at {clock(first.start_s)}-{clock(first.end_s)}: {first.error}); the transcript keeps "
            "the rest and marks the gaps (Transcript.failures)",
            MimoAudioWarning,
        )


async def run_transcription(
    client: AsyncOpenAI,
    audio: AudioSource,
    options: TranscribeOptions,
    slots: asyncio.Semaphore | None = None,
) -> Transcript:
    """One transcription on an async client, without warnings (``transcribe_files`` reports its own)."""
    _refuse_url(audio)

    def send(kwargs: dict[str, Any]) -> Awaitable[ChatCompletion]:
        return create_completion_async(client, retry=NO_RETRY, **kwargs)

    run = _Run(send, options, client_key(client))
    await run.run(audio, slots)
    return _transcript(run)


def _options(arguments: dict[str, Any]) -> TranscribeOptions:
    return TranscribeOptions(**{k: arguments[k] for k in TRANSCRIBE_OPTIONS if k in arguments})


def transcribe(
    client: OpenAI,
    /,
    audio: AudioSource,
    *,
    language: AsrLanguage = "auto",
    model: str | None = None,
    name: str | None = None,
    retry: RetryPolicy | None = None,
    limits: Limits | None = None,
    max_segment_s: float | None = DEFAULT_MAX_SEGMENT_S,
    vad: VadKind = "auto",
    convert: bool = False,
    concurrency: int = 8,
    requests_per_minute: int | None = None,
    rate_limiter: RateLimiter | None = None,
    on_progress: Callable[[TranscribeProgress], None] | None = None,
) -> Transcript:
    """Transcribe a recording of any length with MiMo's ASR model: text and a timeline.

    ``audio`` is a path, bytes, a file object or a data URI, in any format MiMo accepts
    (WAV, MP3, FLAC, M4A, OGG; the ASR model itself takes WAV and MP3 only, so the rest is
    converted); ``convert=True`` also takes what MiMo refuses (AAC, WebM, WMA, AIFF, ...).
    ``language`` is ``"auto"``, ``"zh"`` or ``"en"`` (case-insensitive).

    The recording is cut at pauses into pieces of at most ``max_segment_s`` seconds (a
    subtitle's length; ``None``: as long as one request takes, and a WAV/MP3 that fits one
    request goes as it is). ``vad`` chooses what finds the pauses: ``"silero"`` (the
    ``vad`` extra), ``"energy"``, or ``"auto"`` (Silero when installed, else energy, with a
    warning). Pieces go ``concurrency`` at a time, at most ``requests_per_minute`` a minute
    (default ``limits.requests_per_minute``; or share a ``rate_limiter``), each attempt of
    each through ``retry``. ``on_progress`` gets a :class:`TranscribeProgress` at each change.

    Returns a :class:`Transcript`: ``text``, ``segments`` (``start_s``, ``end_s``, ``text``
    each, true times from our own cuts), ``to_srt()``, ``to_vtt()``, ``to_dict()``. A piece
    whose request failed keeps its error in its segment (``Transcript.failures``) and the
    rest is kept, with a warning. The client is not modified.
    """
    check_client(client, sync=True, call="transcribe")
    options = _options(locals())
    _refuse_url(audio)
    api_key = client_key(client)

    async def main() -> Transcript:
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(max_workers=options.concurrency, thread_name_prefix="mimo-asr") as pool:

            def send(kwargs: dict[str, Any]) -> Awaitable[ChatCompletion]:
                return loop.run_in_executor(pool, lambda: create_completion(client, retry=NO_RETRY, **kwargs))

            run = _Run(send, options, api_key)
            await run.run(audio)
            return _transcript(run)

    transcript = run_sync(main)
    say_what_happened(options, transcript)
    return transcript


@twin_of(transcribe)
async def transcribe_async(client: AsyncOpenAI, audio: AudioSource, **options: Any) -> Transcript:
    """The async twin of :func:`transcribe` (the cutting runs in a worker thread)."""
    check_client(client, sync=False, call="transcribe_async")
    checked = _options(arguments_of(transcribe, client, audio, **options))
    _refuse_url(audio)

    transcript = await run_transcription(client, audio, checked)
    say_what_happened(checked, transcript)
    return transcript
