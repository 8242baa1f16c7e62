"""Re-encoding: formats MiMo refuses into one it takes, NumPy arrays into FLAC, and the
block-by-block transcoder that :func:`fit_audio` and :func:`split_audio` share.

Everything streams: blocks are decoded, downmixed, resampled (:mod:`.resample`) and
encoded one at a time, and an encoder given a byte limit stops as soon as it is passed.
FLAC and WAV are written by libsndfile; MP3 by LAME through ``lameenc`` (LAME's own
bindings): an hour of speech to 64 kbps mono MP3 took 16-20 s through libsndfile's
MP3 writer against 7-9 s for ffmpeg's libmp3lame; ``lameenc`` at the same LAME quality
(3, LAME's and ffmpeg's default) encodes as fast as ffmpeg
(``python benchmarks/bench_fit.py``). All of it, like the decoders, is a core dependency.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from .._checks import check_buffer, check_str
from .._config import AUDIO_FORMATS, AudioFormat
from .._exceptions import InvalidAudioSourceError, UnsupportedAudioFormatError
from .._interrupt import deferred_interrupts
from .decode import AudioStream, open_audio
from .probe import AudioInfo, probe_bytes
from .resample import Resampler, downmix

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


__all__ = [
    "Container",
    "Encoding",
    "OverBudgetError",
    "convert_audio",
    "encode_array",
    "encode_samples",
    "sampled_size",
    "transcode",
]

Container = Literal["flac", "wav", "mp3"]
ProgressCallback = Callable[[float, float], None]
"""Called as ``(seconds_done, seconds_total)`` while a long file is processed."""

BLOCK_FRAMES = 1 << 17
_SF_FORMAT = {"flac": "FLAC", "wav": "WAV"}
_LAME_QUALITY = 3
"""LAME's algorithm quality (0 best .. 9 fastest): 3 is LAME's and ffmpeg's default."""
_HIGH_RES_SUBTYPES = ("PCM_24", "PCM_32", "FLOAT", "DOUBLE", "ALAC_20", "ALAC_24", "ALAC_32")
_FLAC_MAX_CHANNELS = 8
_SLICES, _SLICE_S = 8, 2.0
MP3_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)


@dataclass(frozen=True)
class Encoding:
    """One way to write audio: container, rate, channels, sample size or bitrate."""

    container: Container
    sample_rate_hz: int
    channels: int
    subtype: str = "PCM_16"
    bitrate_kbps: int | None = None

    @property
    def format(self) -> AudioFormat:
        return self.container

    @property
    def mime(self) -> str:
        return AUDIO_FORMATS[self.container].mime

    @property
    def lossy(self) -> bool:
        return self.container == "mp3"

    def describe(self) -> str:
        what = "mono" if self.channels == 1 else f"{self.channels} channels"
        if self.lossy:
            return f"MP3 {self.bitrate_kbps} kbps, {what}, {self.sample_rate_hz} Hz"
        bits = {"PCM_16": "16-bit", "PCM_24": "24-bit"}.get(self.subtype, self.subtype)
        return f"{self.container.upper()} {bits}, {what}, {self.sample_rate_hz} Hz"


def lossless_subtype(source_subtype: str) -> str:
    """PCM_24 for high-resolution sources, PCM_16 otherwise (what FLAC can hold losslessly)."""
    return "PCM_24" if source_subtype.upper() in _HIGH_RES_SUBTYPES else "PCM_16"


class OverBudgetError(Exception):
    """Internal: an encoder passed its byte limit (the caller tries something smaller)."""

    def __init__(self, size_bytes: int, done_s: float) -> None:
        super().__init__(f"over budget after {size_bytes} bytes at {done_s:.1f} s")
        self.size_bytes = size_bytes
        self.done_s = done_s


class _SizedBuffer(io.BytesIO):
    """A BytesIO that remembers how far it was written (libsndfile seeks back at close)."""

    high_water = 0

    def write(self, data: Any) -> int:
        n = super().write(data)
        self.high_water = max(self.high_water, self.tell())
        return n


class _Pipeline:
    """Downmix and resample float32 blocks to what an :class:`Encoding` needs."""

    def __init__(self, in_rate: int, in_channels: int, enc: Encoding) -> None:
        self.mono = enc.channels == 1 and in_channels > 1
        self.channels = channels = 1 if self.mono else in_channels
        if channels != enc.channels:
            raise ValueError(f"cannot map {in_channels} channels onto {enc.channels}")
        self.resampler = (
            Resampler(in_rate_hz=in_rate, out_rate_hz=enc.sample_rate_hz, channels=channels)
            if in_rate != enc.sample_rate_hz
            else None
        )

    def feed(self, block: NDArray[np.float32] | None) -> NDArray[np.float32]:
        import numpy as np

        if block is None:
            if self.resampler is None:
                return np.zeros((0, self.channels), dtype=np.float32)
            return np.clip(self.resampler.flush(), -1.0, 1.0)
        if self.mono:
            block = downmix(block)[:, None]
        if self.resampler is not None:
            block = self.resampler.process(block)
        return np.clip(block, -1.0, 1.0)


class _SoundFileWriter:
    """FLAC or WAV through libsndfile, into memory."""

    def __init__(self, enc: Encoding) -> None:
        import soundfile

        self._buf = _SizedBuffer()
        self._out = soundfile.SoundFile(
            self._buf,
            "w",
            enc.sample_rate_hz,
            enc.channels,
            subtype=enc.subtype,
            format=_SF_FORMAT[enc.container],
        )

    @property
    def size_bytes(self) -> int:
        return self._buf.high_water

    def write(self, block: NDArray[np.float32]) -> None:
        self._out.write(block)

    def finish(self) -> bytes:
        self._out.close()
        return self._buf.getvalue()

    def close(self) -> None:
        self._out.close()


class _LameWriter:
    """CBR MP3 through LAME (``lameenc``): no Xing frame, so any decoder reads it as CBR."""

    def __init__(self, enc: Encoding) -> None:
        import lameenc

        if enc.bitrate_kbps is None:
            raise ValueError("an MP3 encoding needs a bitrate")
        self._lame = lameenc.Encoder()
        self._lame.set_channels(enc.channels)
        self._lame.set_in_sample_rate(enc.sample_rate_hz)
        self._lame.set_out_sample_rate(enc.sample_rate_hz)  # else LAME picks a rate to suit the bitrate
        self._lame.set_bit_rate(enc.bitrate_kbps)
        self._lame.set_quality(_LAME_QUALITY)
        self._lame.silence()
        self._data = bytearray()

    @property
    def size_bytes(self) -> int:
        return len(self._data)

    def write(self, block: NDArray[np.float32]) -> None:
        import numpy as np

        if block.shape[0]:
            pcm = np.rint(block * np.float32(32767.0)).astype("<i2")  # already clipped to [-1, 1]
            self._data += self._lame.encode(pcm.tobytes())

    def finish(self) -> bytes:
        self._data += self._lame.flush()
        return bytes(self._data)

    def close(self) -> None:
        """Nothing to release (the encoder goes with the object)."""


def _writer(enc: Encoding) -> _SoundFileWriter | _LameWriter:
    return _LameWriter(enc) if enc.lossy else _SoundFileWriter(enc)


def encode_samples(samples: NDArray[np.float32], enc: Encoding) -> bytes:
    """Encode float32 samples already at ``enc``'s rate and channel count (mono: 1-D)."""
    out = _writer(enc)
    try:
        out.write(samples[:, None] if samples.ndim == 1 else samples)
        return out.finish()
    finally:
        out.close()


def transcode(
    stream: AudioStream,
    enc: Encoding,
    *,
    start: int = 0,
    stop: int | None = None,
    limit_bytes: int | None = None,
    on_progress: ProgressCallback | None = None,
) -> bytes:
    """Encode frames ``start``..``stop`` of ``stream``; raise OverBudgetError past ``limit_bytes``."""
    stop = stream.frames if stop is None else min(stop, stream.frames)
    rate = stream.sample_rate_hz
    pipeline = _Pipeline(rate, stream.channels, enc)
    total_s = (stop - start) / rate
    out = _writer(enc)
    try:
        with deferred_interrupts() as check:
            done = 0
            for block in stream.blocks(start=start, stop=stop, size=BLOCK_FRAMES):
                check()
                out.write(pipeline.feed(block))
                done += block.shape[0]
                if limit_bytes is not None and out.size_bytes > limit_bytes:
                    raise OverBudgetError(out.size_bytes, done / rate)
                if on_progress is not None:
                    on_progress(done / rate, total_s)
            out.write(pipeline.feed(None))
            data = out.finish()
    finally:
        out.close()
    if limit_bytes is not None and len(data) > limit_bytes:
        raise OverBudgetError(len(data), total_s)
    return data


def sampled_size(stream: AudioStream, enc: Encoding) -> int:
    """Likely size of all of ``stream`` as FLAC ``enc``: a few short slices, encoded, scaled up."""
    import numpy as np
    import soundfile

    rate, step = stream.sample_rate_hz, stream.frames // _SLICES
    length = int(_SLICE_S * rate)
    pipeline = _Pipeline(rate, stream.channels, enc)
    buf = io.BytesIO()
    with (
        deferred_interrupts() as check,
        soundfile.SoundFile(
            buf, "w", enc.sample_rate_hz, enc.channels, subtype=enc.subtype, format="FLAC"
        ) as out,
    ):
        for i in range(_SLICES):
            check()
            stream.seek(i * step + max(0, (step - length) // 2))
            out.write(pipeline.feed(stream.read(length)))
        out.write(pipeline.feed(None))
    sampled_s = _SLICES * _SLICE_S
    size = len(buf.getvalue())
    return int(np.ceil(size * stream.info.duration_s / sampled_s))


def _check_readable_by_mimo(data: bytes, name: str) -> AudioInfo | None:

    try:
        return probe_bytes(data, source_name=name)
    except UnsupportedAudioFormatError:
        return None


def convert_audio(data: bytes, *, source_name: str) -> tuple[bytes, AudioInfo]:
    """Turn audio MiMo refuses (AIFF, CAF, AAC/ADTS, WebM, WMA, AMR, a video's sound) into FLAC.

    Lossless: FLAC keeps the original rate and channels (16-bit, or 24-bit for
    high-resolution sources). Audio MiMo already accepts is returned unchanged.
    libsndfile reads AIFF, CAF, AU and the like; PyAV (a core dependency) the rest.
    """
    check_buffer(data)
    check_str(source_name, option="source_name")

    accepted = _check_readable_by_mimo(data, source_name)
    if accepted is not None:
        return data, accepted
    with open_audio(data, name=source_name) as stream:
        if stream.channels > _FLAC_MAX_CHANNELS:
            raise UnsupportedAudioFormatError(
                f"{source_name}: {stream.channels} channels; FLAC holds at most {_FLAC_MAX_CHANNELS}. "
                "Mix it down first (fit_audio() makes it mono)",
                source_name=source_name,
                found=f"{stream.channels}-channel audio",
            )
        enc = Encoding("flac", stream.sample_rate_hz, stream.channels, lossless_subtype(stream.subtype))
        out = transcode(stream, enc)
    return out, probe_bytes(out, source_name=source_name)


def encode_array(array: Any, *, sample_rate: int, source_name: str = "<array>") -> tuple[bytes, AudioInfo]:
    """Encode NumPy audio (mono ``(frames,)`` or channels-last ``(frames, channels)``) as FLAC.

    Lossless for 8/16-bit integers (written as 16-bit) and 24-bit values (int32 and
    float arrays are written as 24-bit). Floats must lie in [-1.0, 1.0]; integers use
    their full range. Bad shapes, dtypes, values or rates raise
    :class:`InvalidAudioSourceError` (a ``ValueError``) saying what to change.
    """
    check_str(source_name, option="source_name")
    import soundfile

    rate = _check_rate(sample_rate, source_name)
    samples, subtype = _checked_samples(array, source_name)
    buf = io.BytesIO()
    with soundfile.SoundFile(buf, "w", rate, samples.shape[1], subtype=subtype, format="FLAC") as out:
        out.write(samples)
    data = buf.getvalue()
    return data, probe_bytes(data, source_name=source_name)


def _check_rate(sample_rate: object, name: str) -> int:
    import numpy as np

    if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer)):
        raise InvalidAudioSourceError(
            f"{name}: sample_rate must be an integer number of Hz (e.g. 16000), "
            f"not {type(sample_rate).__name__} {sample_rate!r}",
            source_name=name,
        )
    rate = int(sample_rate)
    if not 1000 <= rate <= 384_000:
        raise InvalidAudioSourceError(
            f"{name}: sample_rate {rate} Hz is outside 1000..384000 Hz; pass the rate in Hz", source_name=name
        )
    return rate


def _checked_samples(array: Any, name: str) -> tuple[NDArray[Any], str]:
    import numpy as np

    if isinstance(array, (str, bytes)):
        raise InvalidAudioSourceError(
            f"{name}: expected a NumPy array of samples, got {type(array).__name__}", source_name=name
        )
    samples = np.asarray(array)
    if samples.ndim == 1:
        samples = samples[:, None]
    if samples.ndim != 2:
        raise InvalidAudioSourceError(
            f"{name}: audio arrays are (frames,) for mono or (frames, channels); got shape {samples.shape}",
            source_name=name,
        )
    frames, channels = samples.shape
    if channels > _FLAC_MAX_CHANNELS:
        hint = " It looks channels-first: pass array.T" if frames <= _FLAC_MAX_CHANNELS else ""
        raise InvalidAudioSourceError(
            f"{name}: shape {samples.shape} means {channels} channels; at most {_FLAC_MAX_CHANNELS} "
            f"are supported, channels last.{hint}",
            source_name=name,
        )
    if frames == 0 or channels == 0:
        raise InvalidAudioSourceError(
            f"{name}: the array holds no samples (shape {samples.shape})", source_name=name
        )
    return _scaled(samples, name)


def _scaled(samples: NDArray[Any], name: str) -> tuple[NDArray[Any], str]:
    import numpy as np

    kind, size = samples.dtype.kind, samples.dtype.itemsize
    if kind == "f":
        if not np.isfinite(samples).all():
            raise InvalidAudioSourceError(
                f"{name}: the array holds NaN or infinite samples", source_name=name
            )
        peak = float(np.abs(samples).max())
        if peak > 1.0 + 1e-6:
            raise InvalidAudioSourceError(
                f"{name}: float samples must lie in [-1.0, 1.0], the peak is {peak:g}; "
                "scale it first (array / abs(array).max())",
                source_name=name,
            )
        return samples.astype(np.float32 if size <= 4 else np.float64, copy=False), "PCM_24"
    if kind == "i" and size in (1, 2):
        return samples.astype(np.int16) * (256 if size == 1 else 1), "PCM_16"
    if kind == "i" and size == 4:
        return samples, "PCM_24"
    if kind == "u" and size == 1:
        return ((samples.astype(np.int16) - 128) * 256).astype(np.int16), "PCM_16"
    raise InvalidAudioSourceError(
        f"{name}: {samples.dtype} samples are not audio we can encode; use float32/float64 in "
        "[-1, 1], int16, int32, int8 or uint8",
        source_name=name,
    )
