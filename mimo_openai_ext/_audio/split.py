"""Cut long audio into pieces MiMo accepts, at quiet moments, without losing any of it.

Each chunk is planned from where the last one ended: its hard end is the tightest of
the limits given (seconds, audio tokens, encoded bytes). The chunks are balanced: the
rest of the recording is shared out evenly over as many chunks as cutting each one
as long as it can be would take (the fewest with every cut in a pause), so 50 minutes
in chunks of at most 600 s become six of about 500 s, not five of 598 s and one of
11 s. The cut goes to the quiet pause (RMS energy, smoothed over 200 ms) nearest that
even share, in a search window around it that never passes the hard end; the next
chunk starts ``overlap_s`` before the cut, so a word on a seam is heard twice, never
lost. Only one block of the window and one encoded chunk are in memory at a time.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from .._checks import check_options
from .._config import DEFAULT_LIMITS, Limits
from .._exceptions import AudioTooLargeError, InvalidOptionError
from .._format import seconds_text, table
from .._interrupt import deferred_interrupts
from .._models import get_model
from .._types import InputAudioPart
from .convert import (
    BLOCK_FRAMES,
    Container,
    Encoding,
    OverBudgetError,
    ProgressCallback,
    lossless_subtype,
    sampled_size,
    transcode,
)
from .datauri import data_uri, max_bytes_for_data_uri
from .decode import AudioStream, open_audio
from .envelope import small_waveform_html
from .probe import AudioInfo, probe_bytes
from .resample import downmix
from .source import AudioSource

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["AudioChunk", "resolve_overlap", "split_audio", "split_with_progress"]

DEFAULT_OVERLAP_S = 1.0
_HOP_S = 0.02
_SMOOTH_S = 0.2
_QUIET_DB = 6.0
"""Frames within this many dB of the window's quietest are "quiet"."""
_EDGE_S = 0.1
"""A cut inside a quiet stretch stays this far from its edges."""
_SIZE_MARGIN = 0.95
_MIN_CHUNK_S = 1.0


@dataclass(frozen=True)
class AudioChunk:
    """One piece of a longer recording, ready to send."""

    index: int
    start_s: float
    """Where the piece starts in the original, in seconds."""
    end_s: float
    data: bytes = field(repr=False)
    info: AudioInfo

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    @cached_property
    def part(self) -> InputAudioPart:
        """The ready ``input_audio`` content part."""

        return {"type": "input_audio", "input_audio": {"data": data_uri(self.data, self.info.mime)}}

    def _repr_html_(self) -> str:  # Jupyter
        """Where it lies in the recording and what it is, over a small waveform at that place
        (with matplotlib; see :class:`FittedAudio`). A list of chunks: ``plot_audio(chunks)``."""
        info = self.info
        rows = table(
            [
                ("time", f"{seconds_text(self.start_s)} to {seconds_text(self.end_s)}"),
                ("duration", seconds_text(self.duration_s)),
                ("format", f"{info.format} ({info.codec}), {info.sample_rate_hz:,} Hz, {info.channels} ch"),
                ("size", f"{info.size_bytes:,} bytes"),
                ("audio tokens", f"{info.audio_tokens:,} (estimate)"),
            ],
            title=f"chunk {self.index + 1}: {info.source_name}",
        )
        drawn = small_waveform_html(
            self.data, duration_s=self.duration_s, name=info.source_name, start_s=self.start_s
        )
        return rows + drawn


@dataclass(frozen=True)
class _Plan:
    max_frames: int
    overlap_frames: int
    limit_bytes: int
    encoding: Encoding
    silence_aware: bool


def split_audio(
    source: AudioSource,
    *,
    max_duration_s: float | None = None,
    max_tokens: int | None = None,
    max_encoded_bytes: int | None = None,
    overlap_s: float | None = None,
    silence_aware: bool = True,
    model: str | None = None,
    keep_quality: bool = False,
    limits: Limits | None = None,
    name: str | None = None,
) -> Iterator[AudioChunk]:
    """Yield consecutive chunks of ``source``, each within every limit given.

    ``max_duration_s`` bounds each chunk's length, ``max_tokens`` its audio tokens
    (``ceil(duration_s * 6.25)``), ``max_encoded_bytes`` its size; every chunk also fits
    MiMo's data URI limit (the ASR limit for an ASR ``model``). Chunks are lossless:
    mono 16 kHz FLAC (``keep_quality=True`` keeps the rate and channels; WAV for the
    ASR model). Chunks are balanced (as few as the limits allow, of similar lengths);
    cuts fall in the quiet moment nearest each even share, never past a limit
    (``silence_aware=False`` cuts at exact, even lengths), and each chunk starts
    ``overlap_s`` before the previous one ended (default 1 s, or a quarter of
    ``max_duration_s`` when that is shorter than 4 s). Streams: only one chunk is held.
    """
    return split_with_progress(
        source,
        max_duration_s=max_duration_s,
        max_tokens=max_tokens,
        max_encoded_bytes=max_encoded_bytes,
        overlap_s=overlap_s,
        silence_aware=silence_aware,
        model=model,
        keep_quality=keep_quality,
        limits=limits,
        name=name,
        on_progress=None,
    )


def split_with_progress(
    source: AudioSource,
    *,
    max_duration_s: float | None = None,
    max_tokens: int | None = None,
    max_encoded_bytes: int | None = None,
    overlap_s: float | None = None,
    silence_aware: bool = True,
    model: str | None = None,
    keep_quality: bool = False,
    limits: Limits | None = None,
    name: str | None = None,
    on_progress: ProgressCallback | None,
) -> Iterator[AudioChunk]:
    """:func:`split_audio`, calling ``on_progress(done_s, total_s)`` as each block is encoded.

    The options are checked at once (the chunks themselves come as the result is iterated).
    """
    check_options(
        model=model,
        keep_quality=keep_quality,
        limits=limits,
        name=name,
        silence_aware=silence_aware,
        on_progress=on_progress,
    )
    overlap_s = resolve_overlap(overlap_s, max_duration_s)
    _check_limits(max_duration_s, max_tokens, max_encoded_bytes, overlap_s)
    return _split(
        source, _Request(max_duration_s, max_tokens, max_encoded_bytes, overlap_s, silence_aware, model,
                         keep_quality, limits or DEFAULT_LIMITS, name),
        on_progress,
    )  # fmt: skip


@dataclass(frozen=True)
class _Request:
    """The checked options of one ``split_audio`` call."""

    max_duration_s: float | None
    max_tokens: int | None
    max_encoded_bytes: int | None
    overlap_s: float
    silence_aware: bool
    model: str | None
    keep_quality: bool
    limits: Limits
    name: str | None


def _split(
    source: AudioSource, request: _Request, on_progress: ProgressCallback | None
) -> Iterator[AudioChunk]:
    with open_audio(source, name=request.name) as stream:
        if on_progress is not None:  # at once: planning reads a few windows first
            on_progress(0.0, stream.frames / stream.sample_rate_hz)
        plan = _plan(
            stream,
            request.max_duration_s,
            request.max_tokens,
            request.max_encoded_bytes,
            request.overlap_s,
            request.silence_aware,
            model=request.model,
            keep_quality=request.keep_quality,
            limits=request.limits,
        )
        yield from _chunks(stream, plan, on_progress)


def resolve_overlap(overlap_s: float | None, max_duration_s: float | None) -> float:
    """The overlap to use: ``overlap_s``, or by default 1 s (a quarter of short chunks)."""
    if overlap_s is not None:
        return overlap_s
    if max_duration_s is not None and isinstance(max_duration_s, (int, float)) and max_duration_s > 0:
        return min(DEFAULT_OVERLAP_S, max_duration_s / 4)
    return DEFAULT_OVERLAP_S


def _check_limits(
    max_duration_s: float | None, max_tokens: int | None, max_encoded_bytes: int | None, overlap_s: float
) -> None:
    for label, value in (
        ("max_duration_s", max_duration_s),
        ("max_tokens", max_tokens),
        ("max_encoded_bytes", max_encoded_bytes),
    ):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf
        ):
            raise InvalidOptionError(f"{label} must be a positive number, got {value!r}", option=label)
    if isinstance(overlap_s, bool) or not isinstance(overlap_s, (int, float)) or not 0 <= overlap_s < 3600:
        raise InvalidOptionError(
            f"overlap_s must be a number of seconds from 0 to 3600, got {overlap_s!r}", option="overlap_s"
        )
    if max_duration_s is not None and overlap_s * 4 > max_duration_s:
        raise InvalidOptionError(
            f"an overlap of {overlap_s:g} s is too long for chunks of at most {max_duration_s:g} s: keep "
            f"the overlap at most a quarter of a chunk ({max_duration_s / 4:g} s or less), or allow "
            f"longer chunks (at least {overlap_s * 4:g} s)",
            option="overlap_s",
        )


def _plan(
    stream: AudioStream,
    max_duration_s: float | None,
    max_tokens: int | None,
    max_encoded_bytes: int | None,
    overlap_s: float,
    silence_aware: bool,
    *,
    model: str | None,
    keep_quality: bool,
    limits: Limits,
) -> _Plan:

    spec = get_model(model) if model is not None else None
    asr = spec is not None and spec.asr
    container: Container = "wav" if asr else "flac"
    rate, channels = stream.sample_rate_hz, stream.channels
    if keep_quality and not asr and channels <= 8:
        enc = Encoding(container, rate, channels, lossless_subtype(stream.subtype))
    else:
        enc = Encoding(container, min(rate, 16_000), 1, "PCM_16")
    uri_limits = (
        dataclasses.replace(limits, max_data_uri_chars=limits.asr_max_data_uri_chars) if asr else limits
    )
    limit_bytes = max_bytes_for_data_uri(enc.mime, limits=uri_limits)
    if max_encoded_bytes is not None:
        limit_bytes = min(limit_bytes, int(max_encoded_bytes))
    seconds = [float(max_duration_s)] if max_duration_s is not None else []
    if max_tokens is not None:
        seconds.append(max_tokens / limits.audio_tokens_per_second)
    if spec is not None:
        seconds.append(spec.context_tokens * 0.9 / limits.audio_tokens_per_second)
    if enc.container == "wav":
        seconds.append((limit_bytes - 1024) / (enc.sample_rate_hz * enc.channels * 2) * _SIZE_MARGIN)
    elif stream.info.duration_s > 120 and limit_bytes < stream.info.duration_s * 64_000:
        bytes_per_s = sampled_size(stream, enc) / stream.info.duration_s
        seconds.append(limit_bytes / bytes_per_s * 0.9)
    max_s = min(seconds) if seconds else stream.info.duration_s + 1
    if max_s < _MIN_CHUNK_S or overlap_s * 2 >= max_s:
        raise AudioTooLargeError(
            f"{stream.name}: the limits allow chunks of only {max_s:.2f} s (with {overlap_s} s overlap); "
            "raise max_duration_s / max_tokens / max_encoded_bytes",
            source_name=stream.name,
            size=stream.info.size_bytes,
            limit=limit_bytes,
        )
    return _Plan(int(max_s * rate), int(overlap_s * rate), limit_bytes, enc, silence_aware)


def _greedy_count(stream: AudioStream, plan: _Plan) -> int:
    """How many chunks cutting each as long as it can be takes (only the windows are read).

    That is the fewest chunks whose cuts all fall in pauses; the balanced chunks use as many.
    """
    total, max_frames, overlap = stream.frames, plan.max_frames, plan.overlap_frames
    # Each greedy cut lands in the window before its hard end, so each step advances by
    # max_frames - overlap at most and by a window less at least: when both bounds give
    # the same count, that is the count, and no window needs reading.
    fewest = 1 + -(-(total - max_frames) // (max_frames - overlap))
    shortest_step = max_frames - overlap - _window_frames(max_frames, stream.sample_rate_hz)
    if shortest_step > 0 and 1 + -(-(total - max_frames) // shortest_step) == fewest:
        return fewest
    start, count = 0, 1
    while total - start > max_frames:
        start = _cut(stream, start, start + max_frames, plan) - plan.overlap_frames
        count += 1
    return count


def _balanced_end(start: int, total: int, max_frames: int, overlap: int, chunks_left: int) -> int:
    """Where a chunk from ``start`` should end for the rest to split into even chunks."""
    remaining = total - start
    fewest = -(-(remaining - overlap) // (max_frames - overlap))  # if every chunk could be full
    count = max(chunks_left, fewest)
    return start + min(max_frames, -(-(remaining + (count - 1) * overlap) // count))


def _chunks(stream: AudioStream, plan: _Plan, on_progress: ProgressCallback | None) -> Iterator[AudioChunk]:
    rate, total = stream.sample_rate_hz, stream.frames
    start, index, max_frames = 0, 0, plan.max_frames
    planned = _greedy_count(stream, plan) if total > max_frames else 1
    reported = 0.0

    def progress(done_s: float, _chunk_s: float) -> None:
        nonlocal reported
        reported = max(reported, start / rate + done_s)  # a chunk's overlap is not progress
        if on_progress is not None:
            on_progress(reported, total / rate)

    while start < total:
        if total - start <= max_frames:
            end = total
        else:
            target = _balanced_end(start, total, max_frames, plan.overlap_frames, planned - index)
            end = min(_cut(stream, start, target, plan), start + max_frames)
        try:
            data = transcode(
                stream,
                plan.encoding,
                start=start,
                stop=end,
                limit_bytes=plan.limit_bytes,
                on_progress=progress,
            )
        except OverBudgetError as exc:
            # too dense to fit this long: shorten (for this and later chunks) and retry
            max_frames = int(exc.done_s * rate * 0.9)
            if max_frames < _MIN_CHUNK_S * rate or max_frames <= 2 * plan.overlap_frames:
                raise AudioTooLargeError(
                    f"{stream.name}: even {exc.done_s:.1f} s of it encodes to more than "
                    f"{plan.limit_bytes:,} bytes; raise max_encoded_bytes",
                    source_name=stream.name,
                    size=exc.size_bytes,
                    limit=plan.limit_bytes,
                ) from None
            continue
        info = probe_bytes(data, source_name=f"{stream.name} [{start / rate:.1f}-{end / rate:.1f} s]")
        yield AudioChunk(index, start / rate, end / rate, data, info)
        if end >= total:
            return
        index += 1
        start = end - plan.overlap_frames


def _cut(stream: AudioStream, start: int, target: int, plan: _Plan) -> int:
    """The frame to end a chunk at: in the quiet stretch nearest ``target``.

    The search window reaches ``window`` before the target and as far after it as the
    chunk's hard end allows (``start + plan.max_frames``).
    """
    if not plan.silence_aware:
        return target
    window = _window_frames(target - start, stream.sample_rate_hz)
    after = max(0, min(window, start + plan.max_frames - target, stream.frames - target))
    power = _hop_power(stream, target - window, window + after)
    if power is None:
        return target
    return target - window + _quiet_point(power, stream.sample_rate_hz, aim=window)


def _window_frames(span: int, rate: int) -> int:
    """How far before its target a cut is searched for: 15% of the chunk, 2 to 30 s."""
    return int(min(max(0.15 * span, 2 * rate), 30 * rate, span / 2))


def _hop_power(stream: AudioStream, first: int, frames: int) -> NDArray[np.float64] | None:
    """Mean power of each 20 ms hop of ``frames`` frames from ``first`` (mono), read a block
    at a time: a 60 s window of 48 kHz stereo is never in memory at once."""
    import numpy as np

    hop = max(1, int(_HOP_S * stream.sample_rate_hz))
    size = BLOCK_FRAMES - BLOCK_FRAMES % hop
    powers, got = [], 0
    with deferred_interrupts():  # reading from memory goes through cffi callbacks too
        for block in stream.blocks(start=first, stop=first + frames, size=size):
            mono = downmix(block)
            whole = mono.shape[0] // hop
            hops = mono[: whole * hop].reshape(whole, hop).astype(np.float64)
            powers.append(np.einsum("ij,ij->i", hops, hops) / hop)
            got += block.shape[0]
    if got < frames or not powers:
        return None
    return np.concatenate(powers)


def _quiet_point(power: NDArray[np.float64], rate: int, *, aim: int) -> int:
    """Where to cut (a frame offset) in a window of 20 ms hops of mean ``power``: in the quiet
    stretch (within 6 dB of the quietest) nearest frame ``aim``: at ``aim`` itself when that
    stretch holds it (kept 100 ms from its edges), else in the stretch's middle."""
    import numpy as np

    hop = max(1, int(_HOP_S * rate))
    frames = power.shape[0]
    if frames < 3:
        return aim
    kernel = np.ones(max(1, int(_SMOOTH_S / _HOP_S)))
    # a true moving average up to the edges (zero padding would make the edges look quiet)
    smooth = np.convolve(power, kernel, mode="same") / np.convolve(np.ones(frames), kernel, mode="same")
    db = 10 * np.log10(smooth + 1e-12)
    quiet = np.concatenate(([False], db <= db.min() + _QUIET_DB, [False]))
    edges = np.flatnonzero(np.diff(quiet.astype(np.int8)))
    firsts, lasts = edges[0::2], edges[1::2] - 1  # each quiet stretch, in hops
    aim_hop = min(aim // hop, frames - 1)
    nearest = int(np.argmin(np.maximum(firsts - aim_hop, 0) + np.maximum(aim_hop - lasts, 0)))
    first, last = int(firsts[nearest]), int(lasts[nearest])
    margin = int(_EDGE_S / _HOP_S)
    if first + margin <= aim_hop <= last - margin:
        return aim
    return (first + last) // 2 * hop + hop // 2
