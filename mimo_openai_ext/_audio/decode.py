"""Open any audio as a stream of float32 blocks, without holding it decoded in memory.

libsndfile (``soundfile``, a core dependency) reads WAV, FLAC, Ogg, MP3, AIFF, CAF and
more; paths are read with ordinary ``read()`` calls, so a 600 MB WAV never sits in
memory. What libsndfile cannot read (M4A, AAC/ADTS, WebM, WMA, AMR, the sound of a
video) is decoded by PyAV from the ``convert`` extra into a temporary FLAC file first,
so every later step sees the same seekable stream.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._exceptions import CorruptAudioError, MissingExtraError, UnsupportedAudioFormatError
from .sniff import sniff_audio
from .source import AudioSource, BufferReader, ByteData, open_source, source_name_of, url_scheme

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["AudioStream", "SourceAudioInfo", "describe_media", "open_audio"]

_AV_FLAC_CHANNELS = 8
_NOT_MEDIA = ("an image", "a font", "a file", "text", "JSON text", "an HTML page", "MIDI")
_LOSSLESS_CODECS = ("alac", "flac", "wavpack", "tta", "ape", "mlp", "truehd", "pcm_")
CONVERT_HINT = "pip install 'mimo-openai-ext[convert]'"


@dataclass(frozen=True)
class SourceAudioInfo:
    """What the audio was before fitting: like :class:`AudioInfo`, but any format."""

    format: str
    """``wav``, ``flac``, ... or, for formats MiMo refuses, ``aiff``, ``caf``, ``aac``, ..."""
    codec: str
    duration_s: float
    sample_rate_hz: int
    channels: int
    size_bytes: int
    source_name: str


class AudioStream:
    """A seekable decoder: ``read(frames)`` returns float32 ``(frames, channels)`` blocks."""

    def __init__(self, handle: Any, info: SourceAudioInfo) -> None:
        self._sf = handle
        self.info = info
        self.frames = int(handle.frames)
        self.sample_rate_hz = int(handle.samplerate)
        self.channels = int(handle.channels)
        self.subtype = str(handle.subtype)

    @property
    def name(self) -> str:
        return self.info.source_name

    def seek(self, frame: int) -> None:
        self._sf.seek(max(0, min(frame, self.frames)))

    def read(self, frames: int) -> NDArray[np.float32]:
        try:
            block: NDArray[np.float32] = self._sf.read(frames, dtype="float32", always_2d=True)
        except RuntimeError as exc:
            raise CorruptAudioError(
                f"{self.name}: decoding failed mid-file ({exc}); the file is damaged or truncated",
                source_name=self.name,
            ) from exc
        return block

    def blocks(self, *, start: int = 0, stop: int | None = None, size: int) -> Iterator[NDArray[np.float32]]:
        """Blocks of at most ``size`` frames from ``start`` to ``stop`` (default: the end)."""
        stop = self.frames if stop is None else min(stop, self.frames)
        self.seek(start)
        position = start
        while position < stop:
            block = self.read(min(size, stop - position))
            if block.shape[0] == 0:
                return
            position += block.shape[0]
            yield block


def describe_media(data: ByteData, name: str) -> str:
    """What ``data`` is, in words ("AIFF", "AAC in ADTS ..."); garbage raises CorruptAudioError."""

    try:
        return sniff_audio(data, source_name=name).description
    except UnsupportedAudioFormatError as exc:
        if exc.found.startswith(_NOT_MEDIA) or ", not audio;" in str(exc):
            raise
        return exc.found


def _format_name(found: str) -> str:
    lowered = found.lower()
    for key, short in (("aiff", "aiff"), ("caf", "caf"), ("adts", "aac"), ("webm", "webm"), ("wma", "wma")):
        if key in lowered:
            return short
    return lowered.split(" ", 1)[0].strip("()") or "unknown"


def _sf_info(handle: Any, name: str, size: int) -> SourceAudioInfo:
    fmt = str(handle.format).lower()
    fmt = {"wavex": "wav", "rf64": "wav", "mp3": "mp3"}.get(fmt, fmt)
    rate = int(handle.samplerate)
    return SourceAudioInfo(
        fmt, str(handle.subtype).lower(), handle.frames / rate, rate, int(handle.channels), size, name
    )


def _open_sf(file: Any) -> Any:
    import soundfile

    try:
        return soundfile.SoundFile(file)
    except (RuntimeError, TypeError, ValueError):
        return None


@contextlib.contextmanager
def open_audio(source: AudioSource, *, name: str | None = None) -> Iterator[AudioStream]:
    """Open ``source`` (path, bytes, file object, data URI) for streaming decode."""
    display = source_name_of(source, name)
    if isinstance(source, (str, os.PathLike)) and url_scheme(os.fspath(source)) is None:
        path = os.fspath(source)
        with open_source(source, name=display) as opened:  # checks existence and type
            size = opened.size_bytes
            if size == 0:
                raise CorruptAudioError(f"{display}: is empty (0 bytes)", source_name=display)
            handle = _open_sf(path)
            found = "" if handle is not None else describe_media(opened.data, display)
        if handle is not None:
            with handle:
                yield AudioStream(handle, _sf_info(handle, display, size))
            return
        with _via_av(path, found, display, size) as stream:
            yield stream
        return

    with open_source(source, name=display) as opened:
        if opened.size_bytes == 0:
            raise CorruptAudioError(f"{display}: is empty (0 bytes)", source_name=display)
        with BufferReader(opened.data) as reader:
            handle = _open_sf(reader)
            if handle is not None:
                with handle:
                    yield AudioStream(handle, _sf_info(handle, display, opened.size_bytes))
                return
            found = describe_media(opened.data, display)
            reader.seek(0)
            with _via_av(reader, found, display, opened.size_bytes) as stream:
                yield stream


def _import_av(found: str, name: str) -> Any:
    try:
        import av
    except ImportError:
        raise MissingExtraError(
            f"{name}: {found} needs PyAV to be decoded; install it with {CONVERT_HINT}",
            extra="convert",
        ) from None
    return av


@contextlib.contextmanager
def _via_av(file: Any, found: str, name: str, size: int) -> Iterator[AudioStream]:
    av = _import_av(found, name)
    with tempfile.TemporaryDirectory(prefix="mimo-audio-") as tmp:
        flac = os.path.join(tmp, "decoded.flac")
        codec = _av_decode_to_flac(av, file, flac, name, found)
        handle = _open_sf(flac)
        if handle is None:  # pragma: no cover - we just wrote it
            raise CorruptAudioError(f"{name}: decoding produced no audio", source_name=name)
        with handle:
            rate = int(handle.samplerate)
            info = SourceAudioInfo(
                _format_name(found), codec, handle.frames / rate, rate, int(handle.channels), size, name
            )
            yield AudioStream(handle, info)


def _av_decode_to_flac(av: Any, file: Any, out_path: str, name: str, found: str) -> str:
    import soundfile

    try:
        container = av.open(file, mode="r")
    except Exception as exc:  # PyAV's own error types vary by version
        raise CorruptAudioError(f"{name}: {found} could not be opened ({exc})", source_name=name) from exc
    with container:
        if not container.streams.audio:
            raise UnsupportedAudioFormatError(
                f"{name}: {found} has no audio track", source_name=name, found=found
            )
        stream = container.streams.audio[0]
        channels = int(stream.codec_context.channels or 0) or 1
        if channels > _AV_FLAC_CHANNELS:
            raise UnsupportedAudioFormatError(
                f"{name}: {channels}-channel audio; at most {_AV_FLAC_CHANNELS} channels can be converted",
                source_name=name,
                found=found,
            )
        rate = int(stream.codec_context.sample_rate or stream.rate)
        codec = str(stream.codec_context.name)
        subtype = "PCM_24" if codec.startswith(_LOSSLESS_CODECS) else "PCM_16"
        resampler = av.AudioResampler(format="flt", layout=stream.layout.name, rate=rate)
        written = 0
        with soundfile.SoundFile(out_path, "w", rate, channels, format="FLAC", subtype=subtype) as out:
            try:
                for frame in container.decode(stream):
                    for converted in resampler.resample(frame):
                        written += _write_frame(out, converted, channels)
                for converted in resampler.resample(None):
                    written += _write_frame(out, converted, channels)
            except av.error.FFmpegError as exc:
                raise CorruptAudioError(
                    f"{name}: {found} failed to decode ({exc}); the file is damaged or truncated",
                    source_name=name,
                ) from exc
        if written == 0:
            raise CorruptAudioError(f"{name}: {found} holds no decodable audio", source_name=name)
        return codec


def _write_frame(out: Any, frame: Any, channels: int) -> int:
    import numpy as np

    samples = frame.to_ndarray().reshape(-1, channels)
    out.write(np.clip(samples, -1.0, 1.0))
    return int(samples.shape[0])
