"""Cut long audio into pieces MiMo accepts, at quiet moments, without losing any of it.

Each chunk is planned from where the last one ended: its hard end is the tightest of
the limits given (seconds, audio tokens, encoded bytes); the cut goes to the quietest
pause in a search window before that end (RMS energy, smoothed over 200 ms); the next
chunk starts ``overlap_s`` before the cut, so a word on a seam is heard twice, never
lost. Only the window and one encoded chunk are in memory at a time.
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
from .._interrupt import deferred_interrupts
from .._models import get_model
from .._types import InputAudioPart
from .convert import Container, Encoding, OverBudgetError, lossless_subtype, sampled_size, transcode
from .datauri import data_uri, max_bytes_for_data_uri
from .decode import AudioStream, open_audio
from .probe import AudioInfo, probe_bytes
from .resample import downmix
from .source import AudioSource

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["AudioChunk", "resolve_overlap", "split_audio"]

DEFAULT_OVERLAP_S = 1.0
_HOP_S = 0.02
_SMOOTH_S = 0.2
_QUIET_DB = 6.0
"""Frames within this many dB of the window's quietest are "quiet"."""
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
    ASR model). Cuts fall in the quietest moment of a window before each limit
    (``silence_aware=False`` cuts exactly at the limit), and each chunk starts
    ``overlap_s`` before the previous one ended (default 1 s, or a quarter of
    ``max_duration_s`` when that is shorter than 4 s). Streams: only one chunk is held.
    """
    check_options(
        model=model, keep_quality=keep_quality, limits=limits, name=name, silence_aware=silence_aware
    )
    limits = limits or DEFAULT_LIMITS
    overlap_s = resolve_overlap(overlap_s, max_duration_s)
    _check_limits(max_duration_s, max_tokens, max_encoded_bytes, overlap_s)
    with open_audio(source, name=name) as stream:
        plan = _plan(
            stream,
            max_duration_s,
            max_tokens,
            max_encoded_bytes,
            overlap_s,
            silence_aware,
            model=model,
            keep_quality=keep_quality,
            limits=limits,
        )
        yield from _chunks(stream, plan)


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


def _chunks(stream: AudioStream, plan: _Plan) -> Iterator[AudioChunk]:
    rate, total = stream.sample_rate_hz, stream.frames
    start, index, max_frames = 0, 0, plan.max_frames
    while start < total:
        hard_end = start + max_frames
        end = total if hard_end >= total else _cut(stream, start, hard_end, plan)
        try:
            data = transcode(stream, plan.encoding, start=start, stop=end, limit_bytes=plan.limit_bytes)
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


def _cut(stream: AudioStream, start: int, hard_end: int, plan: _Plan) -> int:
    """The frame to end a chunk at: the middle of the last quiet stretch before ``hard_end``."""
    if not plan.silence_aware:
        return hard_end
    rate = stream.sample_rate_hz
    span = hard_end - start
    window = int(min(max(0.15 * span, 2 * rate), 30 * rate, span / 2))
    with deferred_interrupts():  # reading from memory goes through cffi callbacks too
        stream.seek(hard_end - window)
        samples = stream.read(window)
    if samples.shape[0] < window:
        return hard_end
    return hard_end - window + _quiet_point(samples, rate)


def _quiet_point(samples: NDArray[np.float32], rate: int) -> int:
    import numpy as np

    mono = downmix(samples)
    hop = max(1, int(_HOP_S * rate))
    frames = mono.shape[0] // hop
    if frames < 3:
        return int(mono.shape[0])
    power = (mono[: frames * hop].reshape(frames, hop).astype(np.float64) ** 2).mean(axis=1)
    width = max(1, int(_SMOOTH_S / _HOP_S))
    smooth = np.convolve(power, np.ones(width) / width, mode="same")
    db = 10 * np.log10(smooth + 1e-12)
    quiet = db <= db.min() + _QUIET_DB
    last = int(np.flatnonzero(quiet)[-1])
    first = last
    while first > 0 and quiet[first - 1]:
        first -= 1
    return int((first + last) // 2 * hop + hop // 2)
