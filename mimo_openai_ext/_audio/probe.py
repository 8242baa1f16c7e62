"""Duration, sample rate and channels from headers only: nothing is decoded.

``soundfile`` (libsndfile) reads WAV, FLAC and Ogg Vorbis/Opus headers; ``mutagen``
reads Ogg FLAC and Speex; M4A is timed by our own box parser (:mod:`.mp4`: edit lists,
fragments), MP3 from its Xing/VBRI header or by walking frame headers (:mod:`.mpeg`).
Any failure of a dependency becomes a :class:`CorruptAudioError` naming the file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .._checks import check_str
from .._config import DEFAULT_LIMITS, AudioFormat
from .._exceptions import CorruptAudioError
from .._format import seconds_text, table
from . import mp4, mpeg
from .datauri import data_uri_chars
from .sniff import SniffResult, sniff_audio
from .source import AudioSource, BufferReader, ByteData, open_source
from .stream import decoder_reason
from .tokens import estimate_audio_tokens
from .wav import wav_fact_frames, wav_seconds_from_size

__all__ = ["AudioInfo", "probe_audio", "probe_bytes"]


@dataclass(frozen=True)
class AudioInfo:
    """What a file is and how long it plays, read from its headers."""

    format: AudioFormat
    """``wav``, ``mp3``, ``flac``, ``m4a`` or ``ogg``: what the bytes are, not the file name."""
    mime: str
    """The canonical MIME sent in the data URI (``audio/mp4`` for M4A)."""
    codec: str
    duration_s: float
    sample_rate_hz: int
    channels: int
    size_bytes: int
    source_name: str

    @property
    def audio_tokens(self) -> int:
        """MiMo's estimate: ``ceil(duration_s * 6.25)`` (see :func:`estimate_audio_tokens`)."""
        return estimate_audio_tokens(self.duration_s)

    @property
    def data_uri_chars(self) -> int:
        """Length of this file's ``data:<mime>;base64,...`` string (MiMo's limit applies to it)."""
        return data_uri_chars(self.size_bytes, self.mime)

    def _repr_html_(self) -> str:  # Jupyter
        """Format, duration, sample rate, channels, size and tokens."""
        limit = DEFAULT_LIMITS.max_data_uri_chars
        return table(
            [
                ("format", f"{self.format} ({self.mime}, {self.codec})"),
                ("duration", seconds_text(self.duration_s)),
                ("sample rate", f"{self.sample_rate_hz:,} Hz"),
                ("channels", self.channels),
                ("size", f"{self.size_bytes:,} bytes"),
                ("audio tokens", f"{self.audio_tokens:,} (estimate)"),
                ("data URI", f"{self.data_uri_chars:,} of {limit:,} characters"),
            ],
            title=self.source_name,
        )


def _guarded(name: str, what: str, call: Callable[[], AudioInfo]) -> AudioInfo:
    try:
        return call()
    except (CorruptAudioError, MemoryError):
        raise
    except (
        Exception
    ) as exc:  # a dependency's own error, whatever its type (RecursionError: the file's nesting)
        raise CorruptAudioError(
            f"{name}: cannot read the {what} headers ({decoder_reason(exc)}); "
            "the file is damaged or truncated: "
            "check that it was fully written or downloaded, or re-export it from its source "
            "as wav/mp3/flac/m4a/ogg",
            source_name=name,
        ) from exc


def _info(sniff: SniffResult, name: str, size: int, duration_s: float, rate: int, channels: int) -> AudioInfo:
    if duration_s <= 0 or rate <= 0 or channels <= 0:
        raise CorruptAudioError(
            f"{name}: {sniff.description} with no audio in it "
            f"(duration {duration_s:g} s, {rate} Hz, {channels} channels)",
            source_name=name,
        )
    return AudioInfo(sniff.format, sniff.mime, sniff.codec, duration_s, rate, channels, size, name)


def _check_flac_end(sf: Any, frames: int, name: str) -> None:
    """Decode the last sample: a FLAC cut short fails here (its header still promises it all)."""
    try:
        sf.seek(frames - 1)
        sf.read(1)
    except Exception as exc:  # libsndfile's error, whatever its type
        raise CorruptAudioError(
            f"{name}: FLAC is truncated or damaged: its header promises {frames:,} samples but the "
            "last ones cannot be read (an interrupted download or copy?)",
            source_name=name,
        ) from exc


_OPUS_RATE_HZ = 48000


def _probe_soundfile(data: ByteData, sniff: SniffResult, name: str) -> AudioInfo:
    import soundfile

    with BufferReader(data) as reader, soundfile.SoundFile(reader) as sf:
        frames, rate, channels = sf.frames, sf.samplerate, sf.channels
        if sniff.format == "flac" and frames > 0:
            _check_flac_end(sf, frames, name)
    duration_s = frames / rate if rate else 0.0
    if sniff.codec == "opus":
        rate = _OPUS_RATE_HZ  # libsndfile reports OpusHead's input rate; Opus decodes at 48 kHz
    if sniff.format == "wav" and frames == 0:
        duration_s = wav_seconds_from_size(data)
    elif sniff.format == "wav" and not sniff.codec.startswith("pcm") and rate:
        fact = wav_fact_frames(data)
        duration_s = fact / rate if 0 < fact <= frames else duration_s
    return _info(sniff, name, len(data), duration_s, rate, channels)


def _probe_mp3(data: ByteData, sniff: SniffResult, name: str) -> AudioInfo:
    first = mpeg.parse_frame(data, sniff.audio_offset)
    if first is None:
        raise CorruptAudioError(f"{name}: MP3 without a readable first frame", source_name=name)
    xing = mpeg.xing_frames(data, sniff.audio_offset, first)
    if xing is not None and xing[0] > 0:
        frames, declared = xing
        available = len(data) - sniff.audio_offset
        if declared and available + max(4096, declared // 50) < declared:
            raise CorruptAudioError(
                f"{name}: MP3 is truncated: its header declares {declared:,} bytes of audio but only "
                f"{available:,} are present (an interrupted download or copy?)",
                source_name=name,
            )
        samples = frames * first.samples
    else:
        _, samples = mpeg.count_frames(data, sniff.audio_offset)
    return _info(sniff, name, len(data), samples / first.sample_rate_hz, first.sample_rate_hz, first.channels)


def _probe_m4a(data: ByteData, sniff: SniffResult, name: str) -> AudioInfo:
    summary = mp4.summarize_mp4(data)
    track = next(t for t in summary.tracks if t.kind == "audio")
    duration_s = summary.duration_s(track)  # 0 (no audio in it) is refused by _info
    return _info(sniff, name, len(data), duration_s, track.sample_rate_hz, track.channels)


def _probe_mutagen(data: ByteData, sniff: SniffResult, name: str) -> AudioInfo:
    reader_class: Any
    if sniff.codec == "flac":
        from mutagen.oggflac import OggFLAC as reader_class
    else:
        from mutagen.oggspeex import OggSpeex as reader_class
    with BufferReader(data) as reader:
        info = reader_class(reader).info
    rate = int(getattr(info, "sample_rate", 0) or 0)
    return _info(sniff, name, len(data), float(info.length), rate, int(getattr(info, "channels", 0) or 0))


def probe_bytes(data: ByteData, *, source_name: str) -> AudioInfo:
    """Probe audio already in memory (bytes, or any buffer). Headers only."""
    sniff = sniff_audio(data, source_name=source_name)
    if sniff.codec == "mp3":  # an MP3, or a WAV of MP3 (timed by its frames, not by mpg123)
        return _guarded(source_name, "MP3", lambda: _probe_mp3(data, sniff, source_name))
    if sniff.format == "m4a":
        return _guarded(source_name, sniff.description, lambda: _probe_m4a(data, sniff, source_name))
    if sniff.format == "ogg" and sniff.codec in ("flac", "speex"):
        return _guarded(source_name, sniff.description, lambda: _probe_mutagen(data, sniff, source_name))
    return _guarded(source_name, sniff.description, lambda: _probe_soundfile(data, sniff, source_name))


def probe_audio(source: AudioSource, *, name: str | None = None) -> AudioInfo:
    """Format, duration, sample rate, channels and size of a source, from its headers.

    ``source`` is a path, bytes, a binary file object (read from its current position)
    or a data URI. A path is opened once and memory-mapped, so only its headers are read.
    """
    check_str(name, option="name", none=True)
    with open_source(source, name=name) as opened:
        return probe_bytes(opened.data, source_name=opened.name)
