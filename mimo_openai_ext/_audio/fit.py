"""Make audio fit MiMo: an accepted format, under the size limit, same duration.

Cheapest first: keep the file as it is; re-encode losslessly (FLAC); downmix to mono
and resample to 16 kHz (speech loses nothing MiMo hears: its audio tokenizer runs at
25 Hz on 16 kHz-class input); then MP3 at the highest sane bitrate that fits. Each
step's size is estimated from a few short slices first, so a 600 MB WAV is decoded
once, not once per step. Everything streams in blocks (bounded memory).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from .._checks import check_options
from .._config import AUDIO_FORMATS, DEFAULT_LIMITS, AudioFormat, Limits
from .._exceptions import (
    AudioTooLargeError,
    CorruptAudioError,
    InvalidOptionError,
    UnsupportedAudioFormatError,
)
from .._format import seconds_text, table
from .._models import get_model
from .._types import InputAudioPart
from .convert import (
    MP3_RATES,
    Container,
    Encoding,
    OverBudgetError,
    ProgressCallback,
    lossless_subtype,
    sampled_size,
    transcode,
)
from .datauri import data_uri, max_bytes_for_data_uri
from .decode import AudioStream, SourceAudioInfo, open_audio
from .envelope import small_waveform_html
from .probe import AudioInfo, probe_bytes
from .source import AudioSource, open_source, read_source

__all__ = ["FittedAudio", "SourceAudioInfo", "fit_audio", "fit_formats"]

SPEECH_RATE_HZ = 16_000
MIN_MAX_BYTES = 1024
"""The smallest ``max_bytes`` accepted (less holds no audio worth sending)."""
_MP3_KBPS_MPEG1 = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_MP3_KBPS_MPEG2 = (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
_SPEECH_KBPS = (24, 64)
"""MP3 for speech at 16 kHz mono: 64 kbps is transparent for it, below 24 words blur."""
_MUSIC_KBPS = {1: (64, 160), 2: (128, 320)}
_ESTIMATE_ABOVE_S = 120.0


@dataclass(frozen=True)
class FittedAudio:
    """Audio that fits: the bytes to send, what they are, and what was done to them."""

    data: bytes = field(repr=False)
    info: AudioInfo
    """The result (format, duration, size, ...)."""
    original: SourceAudioInfo
    """The source as it was (its format may be one MiMo refuses)."""
    steps: tuple[str, ...]
    """What was done, in order: ``("kept as is",)`` or e.g. ``("MP3 48 kbps, mono, 16000 Hz",)``."""

    @property
    def size_bytes(self) -> int:
        return len(self.data)

    @property
    def changed(self) -> bool:
        return self.steps != ("kept as is",)

    @cached_property
    def part(self) -> InputAudioPart:
        """The ready ``input_audio`` content part (a data URI with the right MIME)."""

        return {"type": "input_audio", "input_audio": {"data": data_uri(self.data, self.info.mime)}}

    def _repr_html_(self) -> str:  # Jupyter
        """What it became and what was done, over a small waveform drawn from the bytes it holds
        (with matplotlib, the ``jupyter`` extra; a recording over 15 minutes is not decoded to
        show it: ``plot_audio(fitted)`` draws it)."""
        info, original = self.info, self.original
        rows = table(
            [
                ("format", f"{info.format} ({info.codec}), {info.sample_rate_hz:,} Hz, {info.channels} ch"),
                ("duration", seconds_text(info.duration_s)),
                ("size", f"{original.size_bytes:,} -> {self.size_bytes:,} bytes"),
                ("data URI", f"{info.data_uri_chars:,} characters"),
                ("audio tokens", f"{info.audio_tokens:,} (estimate)"),
                ("steps", "; ".join(self.steps)),
                ("original", f"{original.format} ({original.codec}), {seconds_text(original.duration_s)}"),
            ],
            title=f"{original.source_name} (fitted)",
        )
        return rows + small_waveform_html(self.data, duration_s=info.duration_s, name=original.source_name)


@dataclass(frozen=True)
class _Budget:
    max_bytes: int | None
    data_uri_limits: Limits
    formats: tuple[AudioFormat, ...]

    def limit(self, mime: str) -> int:
        if self.max_bytes is not None:
            return self.max_bytes
        return max_bytes_for_data_uri(mime, limits=self.data_uri_limits)

    def describe(self) -> str:
        if self.max_bytes is not None:
            return f"{self.max_bytes:,} bytes"
        return f"MiMo's {self.data_uri_limits.max_data_uri_chars:,}-character data URI limit"


def fit_audio(
    source: AudioSource,
    *,
    max_bytes: int | None = None,
    model: str | None = None,
    keep_quality: bool = False,
    limits: Limits | None = None,
    name: str | None = None,
    on_progress: ProgressCallback | None = None,
) -> FittedAudio:
    """Return audio MiMo accepts that fits ``max_bytes``, re-encoding only as much as needed.

    ``max_bytes`` defaults to the largest file whose data URI fits
    :attr:`Limits.max_data_uri_chars` (50,000,000 characters, about 37.5 MB); for an
    ASR ``model`` the ASR limit and its formats (WAV, MP3) apply. It may go up to
    :attr:`Limits.max_url_file_bytes` (100 MB), but a result over the data URI limit
    must then be sent by URL: its data URI would be over MiMo's limit. Steps, cheapest
    first: keep as is; lossless FLAC; mono 16 kHz FLAC (nothing speech needs is lost);
    MP3. ``keep_quality=True`` (music) skips the mono 16 kHz step and keeps the rate
    and stereo in MP3 (128-320 kbps). Formats MiMo refuses are converted (AIFF, CAF via
    libsndfile; AAC, WebM, WMA, AMR, video sound via PyAV). Duration
    is kept. Audio too long to fit even as MP3 raises :class:`AudioTooLargeError`
    pointing at :func:`split_audio`. ``on_progress(done_s, total_s)`` reports progress.
    """
    check_options(model=model, keep_quality=keep_quality, limits=limits, name=name, on_progress=on_progress)
    budget = _budget(max_bytes, model, limits or DEFAULT_LIMITS)
    if hasattr(source, "read") and not isinstance(source, (str, os.PathLike)):
        source, name = read_source(source, name=name)  # a file object can be read only once
    kept = _keep(source, name, budget)
    if kept is not None:
        return kept
    with open_audio(source, name=name) as stream:
        tried: list[str] = []
        for enc in _candidates(stream, budget, keep_quality=keep_quality):
            data = _try_step(stream, enc, budget.limit(enc.mime), on_progress, tried)
            if data is not None:
                info = probe_bytes(data, source_name=stream.name)
                return FittedAudio(data, info, stream.info, (enc.describe(),))
        if "mp3" in budget.formats and not any(t.startswith("MP3") for t in tried):
            tried.append("MP3 (even its lowest sane bitrate would be too big)")
        raise _cannot_fit(stream, budget, tried)


def _try_step(
    stream: AudioStream, enc: Encoding, limit: int, on_progress: ProgressCallback | None, tried: list[str]
) -> bytes | None:
    """One step's bytes, or None (noted in ``tried``) when it is, or is estimated to be, over ``limit``."""
    estimate = _estimate(stream, enc)
    # The estimate is unbiased (off by up to ~15% on speech with pauses), and a step
    # that turns out too big costs a whole encode: one estimated over is skipped.
    if estimate is not None and estimate > limit:
        tried.append(f"{enc.describe()} (about {estimate / 1e6:,.1f} MB)")
        return None
    try:
        return transcode(stream, enc, limit_bytes=limit, on_progress=on_progress)
    except OverBudgetError as exc:
        tried.append(f"{enc.describe()} (over {exc.size_bytes / 1e6:,.1f} MB)")
        return None


def fit_formats(
    source: str | os.PathLike[str],
    *,
    max_bytes: int | None = None,
    model: str | None = None,
    limits: Limits | None = None,
    name: str | None = None,
) -> tuple[AudioFormat, ...]:
    """Every format :func:`fit_audio` could return for the file ``source`` with these options,
    read from its headers (nothing decoded): its own when it may be kept as it is, then the
    lossless one (FLAC, or WAV where the model takes no FLAC) and MP3.

    Raises what ``fit_audio`` would before decoding: bad options, a missing file, and a format
    no conversion can help (a tracker module, a video without sound, DRM). Damage is left for
    decoding to report, as ``fit_audio`` does.
    """
    check_options(model=model, limits=limits, name=name)
    budget = _budget(max_bytes, model, limits or DEFAULT_LIMITS)
    with open_source(source, name=name) as opened:
        try:
            info: AudioInfo | None = probe_bytes(opened.data, source_name=opened.name)
        except UnsupportedAudioFormatError as exc:
            if not exc.convertible:
                raise
            info = None  # converted
        except CorruptAudioError:
            info = None  # the decoders say more (or decode what they can)
    kept = [info.format] if info is not None and _keepable(info, budget) else []
    produced: list[AudioFormat] = ["flac" if "flac" in budget.formats else "wav"]
    if "mp3" in budget.formats:
        produced.append("mp3")
    return tuple(dict.fromkeys(kept + produced))


def _keepable(info: AudioInfo, budget: _Budget) -> bool:
    """fit's first rule: an accepted format within the budget is sent as it is."""
    return info.format in budget.formats and info.size_bytes <= budget.limit(info.mime)


def _budget(max_bytes: int | None, model: str | None, limits: Limits) -> _Budget:
    if max_bytes is not None and (isinstance(max_bytes, bool) or not isinstance(max_bytes, int)):
        raise InvalidOptionError(
            f"max_bytes must be an int number of bytes, not {type(max_bytes).__name__}", option="max_bytes"
        )
    if max_bytes is not None and not MIN_MAX_BYTES <= max_bytes <= limits.max_url_file_bytes:
        raise InvalidOptionError(
            f"max_bytes={max_bytes:,} is out of range: use {MIN_MAX_BYTES:,} to "
            f"{limits.max_url_file_bytes:,} bytes (MiMo's limit for a file sent by URL; "
            f"a data URI holds at most about {max_bytes_for_data_uri('audio/flac', limits=limits):,})",
            option="max_bytes",
        )
    spec = get_model(model) if model is not None else None
    if spec is not None and spec.asr:
        formats = spec.asr_formats or tuple(AUDIO_FORMATS)
        uri_limits = dataclasses.replace(limits, max_data_uri_chars=limits.asr_max_data_uri_chars)
        return _Budget(max_bytes, uri_limits, formats)
    return _Budget(max_bytes, limits, tuple(AUDIO_FORMATS))


def _keep(source: AudioSource, name: str | None, budget: _Budget) -> FittedAudio | None:
    """The source itself, when MiMo takes it as it is."""
    largest = max(budget.limit(AUDIO_FORMATS[f].mime) for f in budget.formats)
    if isinstance(source, (str, os.PathLike)):
        try:
            if os.path.getsize(source) > largest:
                return None
        except OSError:
            pass  # open_source below names the problem
    with open_source(source, name=name) as opened:
        if opened.size_bytes > largest:
            return None
        try:
            info = probe_bytes(opened.data, source_name=opened.name)
        except UnsupportedAudioFormatError:
            return None
        if not _keepable(info, budget):
            return None
        data = bytes(opened.data)
    original = SourceAudioInfo(
        info.format,
        info.codec,
        info.duration_s,
        info.sample_rate_hz,
        info.channels,
        info.size_bytes,
        info.source_name,
    )
    return FittedAudio(data, info, original, ("kept as is",))


def _candidates(stream: AudioStream, budget: _Budget, *, keep_quality: bool) -> Iterator[Encoding]:
    rate, channels, duration = stream.sample_rate_hz, stream.channels, stream.info.duration_s
    lossless: Container = "flac" if "flac" in budget.formats else "wav"
    original = Encoding(lossless, rate, channels, lossless_subtype(stream.subtype))
    same_as_source = stream.info.format == lossless and original.subtype.lower() == stream.info.codec
    if channels <= 8 and not same_as_source:
        yield original
    speech = Encoding(lossless, min(rate, SPEECH_RATE_HZ), 1, "PCM_16")
    if not keep_quality and speech != original:
        yield speech
    if "mp3" not in budget.formats:
        return
    mp3_limit = budget.limit(AUDIO_FORMATS["mp3"].mime)
    if keep_quality:
        mp3_rate = max((r for r in MP3_RATES if r <= rate), default=MP3_RATES[0])
        mp3_channels = channels if channels <= 2 else 1
        low, high = _MUSIC_KBPS[mp3_channels]
    else:
        mp3_rate = max((r for r in MP3_RATES if r <= min(rate, SPEECH_RATE_HZ)), default=MP3_RATES[0])
        mp3_channels = 1
        low, high = _SPEECH_KBPS
    kbps = _mp3_bitrate(mp3_rate, mp3_limit, duration, low, high)
    if kbps is not None:
        yield Encoding("mp3", mp3_rate, mp3_channels, "MPEG_LAYER_III", kbps)


def _mp3_bitrate(rate: int, limit: int, duration_s: float, low: int, high: int) -> int | None:
    """The highest standard bitrate in [low, high] whose file fits ``limit`` (2% + 4 KB spare)."""
    table = _MP3_KBPS_MPEG1 if rate >= 32000 else _MP3_KBPS_MPEG2
    room_kbps = (limit - 4096) * 8 / max(duration_s, 0.001) / 1000 * 0.98
    fitting = [b for b in table if low <= b <= min(high, room_kbps)]
    return max(fitting) if fitting else None


def _estimate(stream: AudioStream, enc: Encoding) -> int | None:
    """Likely size in bytes of the whole stream as ``enc`` (None: just try it)."""
    duration = stream.info.duration_s
    if enc.container == "wav":
        width = 3 if enc.subtype == "PCM_24" else 2
        return round(duration * enc.sample_rate_hz) * enc.channels * width + 44
    if enc.lossy or duration < _ESTIMATE_ABOVE_S:
        return None
    return sampled_size(stream, enc)


def _cannot_fit(stream: AudioStream, budget: _Budget, tried: list[str]) -> AudioTooLargeError:
    info = stream.info
    minutes = info.duration_s / 60
    attempts = "; ".join(tried) if tried else "nothing smaller is possible"
    limit = min(budget.limit(AUDIO_FORMATS[f].mime) for f in budget.formats)
    return AudioTooLargeError(
        f"{info.source_name}: {minutes:,.1f} minutes of audio cannot fit {budget.describe()} "
        f"(tried {attempts}). Split it into pieces that fit with split_audio() or "
        "`mimo-audio split`, or ask across the pieces with ask_across_chunks() / `mimo-audio ask --split`",
        source_name=info.source_name,
        size=info.size_bytes,
        limit=limit,
    )
