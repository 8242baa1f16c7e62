"""PyAV (``av``, FFmpeg's libraries, a core dependency): the formats libsndfile cannot read.

* M4A/MP4/MOV sound (AAC, ALAC) streams block by block: the first block of a
  60-minute M4A is ready in milliseconds. Seeks are sample-exact: the MP4 sample
  tables give exact timestamps, and decoding starts four AAC frames early so the
  decoder is primed (two were not always enough: 0.02 off in one of four test seeks;
  with four, 60 of 60 random seeks matched a decode from the start exactly). Only AAC
  that uses perceptual noise substitution differs, by design, in the substituted noise.
* What PyAV cannot stream exactly (AAC in ADTS, WebM, WMA, AMR: timestamps in
  milliseconds, or none) is decoded once into a temporary FLAC file, so every later
  step still sees an exact, seekable stream.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from .._exceptions import CorruptAudioError, MimoAudioError, MissingExtraError, UnsupportedAudioFormatError
from .stream import AudioStream, SourceAudioInfo, decoder_reason, open_sf, sf_stream

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["INSTALL_HINT", "via_av"]

_AV_FLAC_CHANNELS = 8
_LOSSLESS_CODECS = ("alac", "flac", "wavpack", "tta", "ape", "mlp", "truehd", "pcm_")
_PREROLL_FRAMES = 4096
"""Decoding after a seek starts this many samples early (four AAC frames), so the
decoder's state is primed by the first sample kept."""
_SKIP_BY_DECODING = 1 << 18
"""A forward seek shorter than this (about 6 s at 44.1 kHz) decodes through instead."""
INSTALL_HINT = "pip install 'av>=12'"
"""PyAV is a core dependency; this is what repairs an install made without it."""


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
        with decoding(self.name, self.info.codec):
            self._reopen(frame)

    def _reopen(self, frame: int) -> None:
        """Decode from ``frame`` (less the preroll) on: a fresh open near the start, else a seek."""
        target = frame - _PREROLL_FRAMES
        if self._container is None or target <= _PREROLL_FRAMES:
            # from the start: a seek into the first packets skips the encoder's priming
            # differently from a plain decode, and decoding through is as cheap
            self.close()
            self._container = self._opener()
        stream = audio_stream(self._container)
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
            with decoding(self.name, self.info.codec):
                frame = next(decoded, None)
            if frame is None:
                return
            if not self._started:
                self._started = True
                self._fifo_start = int(frame.pts) if frame.pts is not None else self._position
            frame.pts = None  # the FIFO checks continuity of timestamps; positions are counted here
            fifo.write(frame)

    def read(self, frames: int) -> NDArray[np.float32]:
        with decoding(self.name, self.info.codec):
            return self._read(frames)

    def _read(self, frames: int) -> NDArray[np.float32]:
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


def _sample_bytes(stream: Any) -> int:
    """Bytes per sample the decoder puts out (``s16`` 2, ``s32p`` 4; 4 when it does not say)."""
    fmt = getattr(stream.codec_context, "format", None)
    return int(getattr(fmt, "bytes", 0) or 4)


def _lossless_subtype(codec: str, sample_bytes: int) -> str:
    """What a lossless copy needs: 16 bits for a lossy codec or a 16-bit lossless one (a 16-bit
    TTA or WavPack stays 16-bit), 24 for a lossless codec decoded to wider samples."""
    return "PCM_24" if codec.startswith(_LOSSLESS_CODECS) and sample_bytes > 2 else "PCM_16"


def _format_name(found: str) -> str:
    lowered = found.lower()
    for key, short in (("aiff", "aiff"), ("caf", "caf"), ("adts", "aac"), ("webm", "webm"), ("wma", "wma")):
        if key in lowered:
            return short
    return lowered.split(" ", 1)[0].strip("()") or "unknown"


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
        raise CorruptAudioError(
            f"{name}: {found} could not be opened ({decoder_reason(exc)}); the file is damaged or truncated",
            source_name=name,
        ) from exc
    if audio_stream(container) is None:
        container.close()
        raise UnsupportedAudioFormatError(
            f"{name}: {found} has no audio track", source_name=name, found=found
        )
    return container


def audio_stream(container: Any) -> Any:
    """The first audio stream PyAV can decode (one that only claims to be audio, say a video
    track behind a damaged ``soun`` handler, has no codec context), or None."""
    for stream in container.streams.audio:
        context = getattr(stream, "codec_context", None)
        if context is not None and (context.sample_rate or getattr(stream, "rate", 0)):
            return stream
    return None


@contextlib.contextmanager
def via_av(
    file: Callable[[], Any], found: str, name: str, size: int, *, streamable: bool
) -> Iterator[AudioStream]:
    av = _import_av(found, name)
    with _open_container(av, file(), name, found) as container:
        stream = audio_stream(container)
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
        sample_bytes = _sample_bytes(stream)
    if exact:
        info = SourceAudioInfo(_format_name(found), codec, duration_frames / rate, rate, channels, size, name)
        subtype = _lossless_subtype(codec, sample_bytes)
        decoder = _AvStream(av, lambda: _open_container(av, file(), name, found), info, subtype)
        try:
            yield decoder
        finally:
            decoder.close()
        return
    with tempfile.TemporaryDirectory(prefix="mimo-audio-") as tmp:
        flac = os.path.join(tmp, "decoded.flac")
        codec = _av_decode_to_flac(av, file(), flac, name, found)
        handle = open_sf(flac)
        if handle is None:  # pragma: no cover - we just wrote it
            raise CorruptAudioError(f"{name}: decoding produced no audio", source_name=name)
        rate = int(handle.samplerate)
        info = SourceAudioInfo(
            _format_name(found), codec, handle.frames / rate, rate, int(handle.channels), size, name
        )
        with sf_stream(handle, info) as stream:
            yield stream


def _av_decode_to_flac(av: Any, file: Any, out_path: str, name: str, found: str) -> str:
    import soundfile

    with _open_container(av, file, name, found) as container:
        stream = audio_stream(container)
        channels = int(stream.codec_context.channels or 0) or 1
        if channels > _AV_FLAC_CHANNELS:
            raise UnsupportedAudioFormatError(
                f"{name}: {channels}-channel audio; at most {_AV_FLAC_CHANNELS} channels can be converted",
                source_name=name,
                found=found,
            )
        rate = int(stream.codec_context.sample_rate or stream.rate)
        codec = str(stream.codec_context.name)
        subtype = _lossless_subtype(codec, _sample_bytes(stream))
        written = 0
        with (
            decoding(name, found),
            soundfile.SoundFile(out_path, "w", rate, channels, format="FLAC", subtype=subtype) as out,
        ):
            resampler = av.AudioResampler(format="flt", layout=stream.layout.name, rate=rate)
            for frame in container.decode(stream):
                for converted in resampler.resample(frame):
                    written += _write_frame(out, converted, channels)
            for converted in resampler.resample(None):
                written += _write_frame(out, converted, channels)
        if written == 0:
            raise CorruptAudioError(f"{name}: {found} holds no decodable audio", source_name=name)
        return codec


@contextlib.contextmanager
def decoding(name: str, found: str) -> Iterator[None]:
    """Whatever a decoder raises on damaged input (PyAV's errors, a ``ValueError`` for a
    layout of 0 channels, libsndfile's short write) becomes a :class:`CorruptAudioError`.

    Only decoding goes in here, never a caller's code: our own errors pass through as they are.
    """
    try:
        yield
    except MimoAudioError:
        raise
    except Exception as exc:
        raise CorruptAudioError(
            f"{name}: {found or 'the audio'} failed to decode ({type(exc).__name__}: {exc}); "
            "the file is damaged or truncated",
            source_name=name,
        ) from exc


def _write_frame(out: Any, frame: Any, channels: int) -> int:
    import numpy as np

    samples = frame.to_ndarray().reshape(-1, channels)
    out.write(np.clip(samples, -1.0, 1.0))
    return int(samples.shape[0])
