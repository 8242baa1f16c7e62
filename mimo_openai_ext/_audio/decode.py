"""Open any audio as a stream of float32 blocks, without holding it decoded in memory.

Two decoders, both core dependencies, each where it is exact:

* libsndfile (``soundfile``) reads WAV, FLAC, Ogg, MP3, AIFF, CAF and more; paths are
  read with ordinary ``read()`` calls, so a 600 MB WAV never sits in memory, and its
  seeks are sample-exact. libmpg123's complaints after an MP3 seek are kept off the
  terminal (:mod:`.quiet`).
* PyAV (``av``, FFmpeg's libraries) streams M4A/MP4/MOV sound (AAC, ALAC) block by
  block: the first block of a 60-minute M4A is ready in milliseconds. Seeks are
  sample-exact too: the MP4 sample tables give exact timestamps, and decoding starts
  four AAC frames early so the decoder is primed (two were not always enough: 0.02
  off in one of four test seeks; with four, 60 of 60 random seeks matched a decode
  from the start exactly). Only AAC that uses perceptual noise substitution differs,
  by design, in the substituted noise.
* What neither streams exactly (AAC in ADTS, WebM, WMA, AMR: timestamps in
  milliseconds, or none) PyAV decodes once into a temporary FLAC file, so every later
  step still sees an exact, seekable stream.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._exceptions import CorruptAudioError, MissingExtraError, UnsupportedAudioFormatError
from .mp4 import is_iso_bmff
from .quiet import StderrFilter
from .sniff import sniff_audio
from .source import AudioSource, BufferReader, ByteData, open_source, source_name_of, url_scheme

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["AudioStream", "SourceAudioInfo", "describe_media", "open_audio"]

_AV_FLAC_CHANNELS = 8
_NOT_MEDIA = ("an image", "a font", "a file", "text", "JSON text", "an HTML page", "MIDI")
_LOSSLESS_CODECS = ("alac", "flac", "wavpack", "tta", "ape", "mlp", "truehd", "pcm_")
_PREROLL_FRAMES = 4096
"""Decoding after a seek starts this many samples early (four AAC frames), so the
decoder's state is primed by the first sample kept."""
_SKIP_BY_DECODING = 1 << 18
"""A forward seek shorter than this (about 6 s at 44.1 kHz) decodes through instead."""
_MPG123_NOISE = b"libmpg123"
INSTALL_HINT = "pip install 'av>=12'"
"""PyAV is a core dependency; this is what repairs an install made without it."""


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

    frames: int
    sample_rate_hz: int
    channels: int
    subtype: str
    """``PCM_16``, ``PCM_24``, ...: what a lossless copy needs (see ``lossless_subtype``)."""

    def __init__(self, info: SourceAudioInfo) -> None:
        self.info = info

    @property
    def name(self) -> str:
        return self.info.source_name

    def seek(self, frame: int) -> None:
        raise NotImplementedError

    def read(self, frames: int) -> NDArray[np.float32]:
        raise NotImplementedError

    def close(self) -> None:
        """Release what the decoder holds (the file stays the caller's)."""

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

    def _damaged(self, exc: Exception) -> CorruptAudioError:
        return CorruptAudioError(
            f"{self.name}: decoding failed mid-file ({exc}); the file is damaged or truncated",
            source_name=self.name,
        )


class _SoundFileStream(AudioStream):
    """libsndfile: exact seeks; MP3 decoding (libmpg123) with its stderr lines filtered out."""

    def __init__(self, handle: Any, info: SourceAudioInfo) -> None:
        super().__init__(info)
        self._sf = handle
        self.frames = int(handle.frames)
        self.sample_rate_hz = int(handle.samplerate)
        self.channels = int(handle.channels)
        self.subtype = str(handle.subtype)
        mp3 = str(handle.format).upper() in ("MP3", "MPEG")
        self._filter = StderrFilter(_MPG123_NOISE) if mp3 else None
        self._quiet: Callable[[], contextlib.AbstractContextManager[None]] = (
            self._filter or contextlib.nullcontext
        )

    def close(self) -> None:
        if self._filter is not None:
            self._filter.close()

    def seek(self, frame: int) -> None:
        with self._quiet():
            self._sf.seek(max(0, min(frame, self.frames)))

    def read(self, frames: int) -> NDArray[np.float32]:
        try:
            with self._quiet():
                block: NDArray[np.float32] = self._sf.read(frames, dtype="float32", always_2d=True)
        except RuntimeError as exc:
            raise self._damaged(exc) from exc
        return block


class _AvStream(AudioStream):
    """PyAV over an MP4-family container: decoded a block at a time, exact seeks by timestamp."""

    def __init__(self, av: Any, opener: Callable[[], Any], info: SourceAudioInfo, subtype: str) -> None:
        super().__init__(info)
        self._av = av
        self._opener = opener
        self.frames = round(info.duration_s * info.sample_rate_hz)  # exact: duration is frames / rate
        self.sample_rate_hz = info.sample_rate_hz
        self.channels = info.channels
        self.subtype = subtype
        self._container: Any = None
        self._decoded: Iterator[Any] | None = None
        self._fifo: Any = None
        self._fifo_start = 0
        """Stream position of the first sample in the FIFO (from the first frame's timestamp)."""
        self._started = False
        self._position = 0

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None

    def _restart(self, frame: int) -> None:
        """Decode from ``frame`` (less the preroll) on: a fresh open near the start, else a seek."""
        target = frame - _PREROLL_FRAMES
        if self._container is None or target <= _PREROLL_FRAMES:
            # from the start: a seek into the first packets skips the encoder's priming
            # differently from a plain decode, and decoding through is as cheap
            self.close()
            self._container = self._opener()
        stream = self._container.streams.audio[0]
        if target > _PREROLL_FRAMES:
            self._container.seek(target, stream=stream, backward=True, any_frame=False)
            stream.codec_context.flush_buffers()  # nothing decoded before the seek leaks into it
        self._decoded = iter(self._container.decode(stream))
        self._fifo = self._av.AudioFifo()
        self._started = False

    def seek(self, frame: int) -> None:
        frame = max(0, min(frame, self.frames))
        ahead = frame - self._position
        if self._decoded is None or not 0 <= ahead <= _SKIP_BY_DECODING:
            self._restart(frame)
        self._position = frame

    def _fill(self, wanted: int) -> None:
        """Decode until the FIFO reaches ``wanted`` samples past ``_position``, or the end."""
        decoded, fifo = self._decoded, self._fifo
        if decoded is None or fifo is None:
            return
        while not self._started or self._fifo_start + fifo.samples < self._position + wanted:
            try:
                frame = next(decoded, None)
            except self._av.error.FFmpegError as exc:
                raise self._damaged(exc) from exc
            if frame is None:
                return
            if not self._started:
                self._started = True
                self._fifo_start = int(frame.pts) if frame.pts is not None else self._position
            frame.pts = None  # the FIFO checks continuity of timestamps; positions are counted here
            fifo.write(frame)

    def read(self, frames: int) -> NDArray[np.float32]:
        import numpy as np

        if self._decoded is None:
            self._restart(self._position)
        frames = max(0, min(frames, self.frames - self._position))
        self._fill(frames)
        fifo = self._fifo
        skip = min(self._position - self._fifo_start, fifo.samples)
        if skip > 0:  # the preroll, or a short forward seek decoded through
            fifo.read(skip)
            self._fifo_start += skip
        count = min(frames, fifo.samples)
        if count <= 0:
            return np.zeros((0, self.channels), dtype=np.float32)
        block = _float_samples(fifo.read(count), self.channels)
        self._fifo_start += count
        self._position += count
        return block


def _float_samples(frame: Any, channels: int) -> NDArray[np.float32]:
    """A decoded frame as float32 ``(frames, channels)`` in [-1, 1], whatever its sample format."""
    import numpy as np

    array: NDArray[Any] = frame.to_ndarray()
    array = array.T if frame.format.is_planar else array.reshape(-1, channels)
    out: NDArray[np.float32]
    if array.dtype.kind == "i":
        out = array.astype(np.float32) * np.float32(1.0 / (1 << (8 * array.dtype.itemsize - 1)))
    elif array.dtype.kind == "u":  # 8-bit PCM is unsigned
        out = (array.astype(np.float32) - np.float32(128.0)) * np.float32(1.0 / 128)
    else:
        out = array.astype(np.float32, copy=False)
    return out


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
def _sf_stream(handle: Any, info: SourceAudioInfo) -> Iterator[AudioStream]:
    with handle:
        stream = _SoundFileStream(handle, info)
        try:
            yield stream
        finally:
            stream.close()


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
            mp4 = handle is None and is_iso_bmff(opened.data)
        if handle is not None:
            with _sf_stream(handle, _sf_info(handle, display, size)) as stream:
                yield stream
            return
        with _via_av(lambda: path, found, display, size, streamable=mp4) as stream:
            yield stream
        return

    with open_source(source, name=display) as opened:
        if opened.size_bytes == 0:
            raise CorruptAudioError(f"{display}: is empty (0 bytes)", source_name=display)
        with BufferReader(opened.data) as reader:
            handle = _open_sf(reader)
            if handle is not None:
                with _sf_stream(handle, _sf_info(handle, display, opened.size_bytes)) as stream:
                    yield stream
                return
        found = describe_media(opened.data, display)
        with contextlib.ExitStack() as readers:
            data = opened.data

            def reader_over_data() -> BufferReader:
                return readers.enter_context(BufferReader(data))

            with _via_av(
                reader_over_data, found, display, opened.size_bytes, streamable=is_iso_bmff(data)
            ) as stream:
                yield stream


def _import_av(found: str, name: str) -> Any:
    try:
        import av
    except ImportError:
        raise MissingExtraError(
            f"{name}: {found} is decoded by PyAV, a dependency of mimo-openai-ext that is missing "
            f"from this environment; install it with {INSTALL_HINT}",
            extra="convert",
        ) from None
    return av


def _open_container(av: Any, file: Any, name: str, found: str) -> Any:
    try:
        container = av.open(file, mode="r")
    except Exception as exc:  # PyAV's own error types vary by version
        raise CorruptAudioError(f"{name}: {found} could not be opened ({exc})", source_name=name) from exc
    if not container.streams.audio:
        container.close()
        raise UnsupportedAudioFormatError(
            f"{name}: {found} has no audio track", source_name=name, found=found
        )
    return container


@contextlib.contextmanager
def _via_av(
    file: Callable[[], Any], found: str, name: str, size: int, *, streamable: bool
) -> Iterator[AudioStream]:
    av = _import_av(found, name)
    with _open_container(av, file(), name, found) as container:
        stream = container.streams.audio[0]
        rate = int(stream.codec_context.sample_rate or stream.rate or 0)
        codec = str(stream.codec_context.name)
        channels = int(stream.codec_context.channels or 0) or 1
        exact = (
            streamable
            and rate > 0
            and stream.time_base is not None
            and stream.time_base.numerator == 1
            and stream.time_base.denominator == rate
            and (stream.duration or 0) > 0
        )
        duration_frames = int(stream.duration or 0)
    if exact:
        info = SourceAudioInfo(_format_name(found), codec, duration_frames / rate, rate, channels, size, name)
        subtype = "PCM_24" if codec.startswith(_LOSSLESS_CODECS) else "PCM_16"
        decoder = _AvStream(av, lambda: _open_container(av, file(), name, found), info, subtype)
        try:
            yield decoder
        finally:
            decoder.close()
        return
    with tempfile.TemporaryDirectory(prefix="mimo-audio-") as tmp:
        flac = os.path.join(tmp, "decoded.flac")
        codec = _av_decode_to_flac(av, file(), flac, name, found)
        handle = _open_sf(flac)
        if handle is None:  # pragma: no cover - we just wrote it
            raise CorruptAudioError(f"{name}: decoding produced no audio", source_name=name)
        rate = int(handle.samplerate)
        info = SourceAudioInfo(
            _format_name(found), codec, handle.frames / rate, rate, int(handle.channels), size, name
        )
        with _sf_stream(handle, info) as stream:
            yield stream


def _av_decode_to_flac(av: Any, file: Any, out_path: str, name: str, found: str) -> str:
    import soundfile

    with _open_container(av, file, name, found) as container:
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
