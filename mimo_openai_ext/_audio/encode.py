"""Speech as samples: decode it, join pieces without a seam, change its tempo, encode any format.

What the speech wing needs from the audio wing, all on mono float32 samples
(:class:`PcmAudio`):

* :func:`decode_pcm`: any readable audio (MiMo's WAV or MP3) to mono samples.
* :func:`join_pcm`: pieces spoken one sentence group at a time, joined into one: each
  seam's silence is cut to one natural pause (never lengthened) and a few milliseconds of
  fade make the cut inaudible, so the joint is neither a click nor a gap.
* :func:`change_tempo`: faster or slower at the same pitch (FFmpeg's ``atempo`` through
  PyAV; MiMo accepts ``audio.speed`` but it had no audible effect when tested).
* :func:`encode_pcm`: WAV and FLAC (libsndfile), MP3 (LAME, as :mod:`.convert`), Opus in
  Ogg and AAC in ADTS (PyAV's FFmpeg encoders), or raw 16-bit little-endian PCM.
* :func:`fit_wav`: a 16-bit mono WAV of any source within a data URI budget (the reference
  clip a voice-cloning request carries), resampled lower only when it must be.

Everything is a core dependency (PyAV brings FFmpeg's encoders); an install whose PyAV
lacks an encoder gets :class:`UnsupportedAudioFormatError` naming it.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._checks import check_buffer, check_count, check_str
from .._config import SPEECH_FORMATS, Limits, SpeechFormat
from .._exceptions import AudioTooLargeError, InvalidOptionError, UnsupportedAudioFormatError
from .convert import Encoding, OverBudgetError, encode_samples, transcode
from .datauri import max_bytes_for_data_uri
from .decode import SourceAudioInfo, open_audio
from .fit import FittedAudio
from .probe import probe_bytes
from .resample import Resampler, downmix
from .source import AudioSource, read_source

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = [
    "PcmAudio",
    "change_tempo",
    "decode_pcm",
    "encode_pcm",
    "encoded_rate",
    "fit_wav",
    "join_pcm",
    "resample_pcm",
]

SEAM_PAUSE_S = 0.3
"""The longest silence left at a seam between two spoken pieces (a sentence pause)."""
SEAM_FADE_S = 0.005
SILENCE_DB = -40.0
"""Samples this far below the loudest one count as silence at a seam."""
TEMPO_RANGE = (0.25, 4.0)
"""The speeds OpenAI's ``audio.speech`` takes (``atempo`` is chained past 0.5-2.0)."""
_MP3_KBPS = 64
_OPUS_KBPS = 32
_AAC_KBPS = 64
_OPUS_RATES = (48_000, 24_000, 16_000, 12_000, 8_000)
_MP3_RATES = (8_000, 11_025, 12_000, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000)
_AV_BLOCK = 1 << 15
_AV = {"opus": ("ogg", "libopus", _OPUS_KBPS), "aac": ("adts", "aac", _AAC_KBPS)}


@dataclass(frozen=True)
class PcmAudio:
    """Mono float32 samples in [-1, 1] and their rate."""

    samples: NDArray[np.float32] = field(repr=False)
    sample_rate_hz: int

    @property
    def frames(self) -> int:
        return int(self.samples.shape[0])

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate_hz


def decode_pcm(data: bytes, *, source_name: str) -> PcmAudio:
    """Decode any readable audio to mono samples (channels averaged)."""
    check_buffer(data)
    check_str(source_name, option="source_name")
    import numpy as np

    with open_audio(data, name=source_name) as stream:
        block = stream.read(stream.frames)
        rate = stream.sample_rate_hz
    return PcmAudio(np.ascontiguousarray(downmix(block), dtype=np.float32), rate)


def resample_pcm(pcm: PcmAudio, rate: int) -> PcmAudio:
    """``pcm`` at ``rate`` (soxr; the same samples when it is already there)."""
    if pcm.sample_rate_hz == rate:
        return pcm
    import numpy as np

    resampler = Resampler(in_rate_hz=pcm.sample_rate_hz, out_rate_hz=rate, channels=1)
    out = np.concatenate((resampler.process(pcm.samples[:, None]), resampler.flush()))[:, 0]
    return PcmAudio(np.clip(out, -1.0, 1.0).astype(np.float32), rate)


def _quiet_run(samples: NDArray[np.float32], threshold: float, *, from_end: bool) -> int:
    """How many samples at the start (or end) of ``samples`` lie under ``threshold``."""
    import numpy as np

    loud = np.flatnonzero(np.abs(samples) >= threshold)
    if loud.size == 0:
        return int(samples.shape[0])
    return int(samples.shape[0] - 1 - loud[-1]) if from_end else int(loud[0])


def join_pcm(pieces: Sequence[PcmAudio], *, pause_s: float = SEAM_PAUSE_S) -> PcmAudio:
    """One recording from consecutive pieces: seams cut to at most ``pause_s`` of silence, faded.

    Pieces at another rate are resampled to the first one's. A seam whose silence is
    shorter than ``pause_s`` is left as it is (nothing is added).
    """
    import numpy as np

    if not pieces:
        raise InvalidOptionError("join_pcm() needs at least one piece", option="pieces")
    rate = pieces[0].sample_rate_hz
    parts = [resample_pcm(p, rate).samples.copy() for p in pieces]
    peak = max((float(np.abs(p).max()) for p in parts if p.size), default=0.0)
    threshold = max(peak, 1e-6) * 10 ** (SILENCE_DB / 20)
    pause = int(pause_s * rate)
    fade = max(1, int(SEAM_FADE_S * rate))
    for left in range(len(parts) - 1):
        right = left + 1
        tail = _quiet_run(parts[left], threshold, from_end=True)
        head = _quiet_run(parts[right], threshold, from_end=False)
        if tail + head <= pause:
            continue
        keep_head = min(head, pause // 2)
        keep_tail = min(tail, pause - keep_head)
        keep_head = min(head, pause - keep_tail)
        parts[left] = parts[left][: parts[left].shape[0] - (tail - keep_tail)]
        parts[right] = parts[right][head - keep_head :]
        out_n, in_n = min(fade, parts[left].shape[0]), min(fade, parts[right].shape[0])
        if out_n:
            parts[left][-out_n:] *= np.linspace(1.0, 0.0, out_n, dtype=np.float32)
        if in_n:
            parts[right][:in_n] *= np.linspace(0.0, 1.0, in_n, dtype=np.float32)
    return PcmAudio(np.concatenate(parts).astype(np.float32), rate)


def _av() -> Any:
    import av

    return av


def _filter_chain(factor: float) -> list[float]:
    """``atempo`` takes 0.5 to 2.0: a factor outside is a product of steps inside."""
    steps: list[float] = []
    while factor > 2.0:
        steps.append(2.0)
        factor /= 2.0
    while factor < 0.5:
        steps.append(0.5)
        factor /= 0.5
    return [*steps, factor]


def change_tempo(pcm: PcmAudio, factor: float) -> PcmAudio:
    """``pcm`` played ``factor`` times as fast at the same pitch (FFmpeg's ``atempo``)."""
    low, high = TEMPO_RANGE
    if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not low <= factor <= high:
        raise InvalidOptionError(
            f"speed={factor!r}: must be a number from {low:g} to {high:g} (1.0 is normal speed)",
            option="speed",
        )
    if factor == 1.0 or pcm.frames == 0:
        return pcm
    import numpy as np

    av = _av()
    graph = av.filter.Graph()
    node = source = graph.add_abuffer(format="flt", sample_rate=pcm.sample_rate_hz, layout="mono")
    for step in _filter_chain(float(factor)):
        stage = graph.add("atempo", f"{step:.6f}")
        node.link_to(stage)
        node = stage
    sink = graph.add("abuffersink")
    node.link_to(sink)
    graph.configure()
    out: list[NDArray[np.float32]] = []
    for start in range(0, pcm.frames, _AV_BLOCK):
        frame = av.AudioFrame.from_ndarray(
            pcm.samples[None, start : start + _AV_BLOCK], format="flt", layout="mono"
        )
        frame.sample_rate = pcm.sample_rate_hz
        frame.pts = start
        source.push(frame)
        out.extend(_drain(av, sink))
    source.push(None)
    out.extend(_drain(av, sink))
    samples = np.concatenate(out) if out else np.zeros(0, dtype=np.float32)
    return PcmAudio(np.clip(samples, -1.0, 1.0).astype(np.float32), pcm.sample_rate_hz)


def _drain(av: Any, sink: Any) -> list[NDArray[np.float32]]:
    import numpy as np

    pulled: list[NDArray[np.float32]] = []
    while True:
        try:
            frame = sink.pull()
        except (av.error.BlockingIOError, av.error.EOFError):
            return pulled
        pulled.append(np.asarray(frame.to_ndarray(), dtype=np.float32).reshape(-1))


def encoded_rate(fmt: SpeechFormat, sample_rate_hz: int) -> int:
    """The sample rate :func:`encode_pcm` writes ``fmt`` at, for samples at ``sample_rate_hz``."""
    if fmt == "mp3":
        return max((r for r in _MP3_RATES if r <= sample_rate_hz), default=_MP3_RATES[0])
    if fmt == "opus" and sample_rate_hz not in _OPUS_RATES:
        return 48_000
    return sample_rate_hz


def encode_pcm(pcm: PcmAudio, fmt: SpeechFormat) -> bytes:
    """``pcm`` as ``fmt``: ``wav``/``flac`` (16-bit), ``mp3`` (64 kbps), ``opus`` (Ogg, 32 kbps),
    ``aac`` (ADTS, 64 kbps), or ``pcm``/``pcm16`` (raw 16-bit little-endian samples)."""
    import numpy as np

    if fmt not in SPEECH_FORMATS:
        raise InvalidOptionError(
            f"format={fmt!r}: speech is encoded as one of {', '.join(SPEECH_FORMATS)}", option="format"
        )
    if fmt in ("pcm", "pcm16"):
        return bytes(np.rint(np.clip(pcm.samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes())
    if fmt in ("wav", "flac"):
        return encode_samples(pcm.samples[:, None], Encoding(fmt, pcm.sample_rate_hz, 1, "PCM_16"))
    if fmt == "mp3":
        rate = encoded_rate(fmt, pcm.sample_rate_hz)
        pcm = resample_pcm(pcm, rate)
        return encode_samples(pcm.samples[:, None], Encoding("mp3", rate, 1, "MPEG_LAYER_III", _MP3_KBPS))
    return _encode_av(pcm, fmt)


def _whole_opus_frames(pcm: PcmAudio) -> PcmAudio:
    """Silence up to a whole 20 ms Opus frame: libsndfile 1.2 refused 5 of 60 Ogg Opus files of
    random lengths whose last frame was partial ("file is malformed"), and none once padded."""
    import numpy as np

    frame = pcm.sample_rate_hz // 50
    missing = -pcm.frames % frame
    if not missing:
        return pcm
    padded = np.concatenate((pcm.samples, np.zeros(missing, dtype=np.float32)))
    return PcmAudio(padded, pcm.sample_rate_hz)


def _encode_av(pcm: PcmAudio, fmt: SpeechFormat) -> bytes:
    av = _av()
    container, codec, kbps = _AV[fmt]
    try:
        av.codec.Codec(codec, "w")
    except Exception:  # PyAV raises its own UnknownCodecError (a ValueError in some versions)
        raise UnsupportedAudioFormatError(
            f"<speech>: this PyAV build has no {codec} encoder, so {fmt} cannot be written here; ask "
            "for wav, mp3 or flac, or install a PyAV wheel with it (pip install -U av)",
            source_name="<speech>",
            found=fmt,
            allowed=("wav", "mp3", "flac", "pcm"),
        ) from None
    pcm = resample_pcm(pcm, encoded_rate(fmt, pcm.sample_rate_hz))
    if fmt == "opus":
        pcm = _whole_opus_frames(pcm)
    buf = io.BytesIO()
    with av.open(buf, "w", format=container) as out:
        stream = out.add_stream(codec, rate=pcm.sample_rate_hz, layout="mono")
        stream.bit_rate = kbps * 1000
        for start in range(0, pcm.frames, _AV_BLOCK):
            frame = av.AudioFrame.from_ndarray(
                pcm.samples[None, start : start + _AV_BLOCK], format="flt", layout="mono"
            )
            frame.sample_rate = pcm.sample_rate_hz
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue()


def fit_wav(
    source: AudioSource,
    *,
    max_data_uri_chars: int,
    sample_rates_hz: Sequence[int] = (24_000, 16_000),
    name: str | None = None,
) -> FittedAudio:
    """``source`` as a 16-bit mono WAV whose data URI fits ``max_data_uri_chars``.

    A 16-bit PCM WAV that already fits is kept as it is; otherwise the audio is decoded
    (any format :func:`open_audio` reads: AAC, M4A, WebM, ...) and written at the first
    of ``sample_rates_hz`` (never above its own rate) whose WAV fits. Too long even at
    the last rate: :class:`AudioTooLargeError`, saying how many seconds fit.
    """
    check_str(name, option="name", none=True)
    check_count(max_data_uri_chars, option="max_data_uri_chars")
    budget = max_bytes_for_data_uri("audio/wav", limits=Limits(max_data_uri_chars=max_data_uri_chars))
    data, display = read_source(source, name=name)
    try:
        info = probe_bytes(data, source_name=display)
    except UnsupportedAudioFormatError:
        info = None
    if info is not None and info.format == "wav" and info.codec == "pcm_s16le" and len(data) <= budget:
        original = SourceAudioInfo(
            info.format, info.codec, info.duration_s, info.sample_rate_hz, info.channels, len(data), display
        )
        return FittedAudio(bytes(data), info, original, ("kept as is",))
    with open_audio(data, name=display) as stream:
        original = stream.info
        tried: list[str] = []
        for rate in sample_rates_hz:
            enc = Encoding("wav", min(int(rate), stream.sample_rate_hz), 1, "PCM_16")
            try:
                out = transcode(stream, enc, limit_bytes=budget)
            except OverBudgetError:
                tried.append(enc.describe())
                continue
            return FittedAudio(out, probe_bytes(out, source_name=display), original, (enc.describe(),))
    rate = min(min(int(r) for r in sample_rates_hz), original.sample_rate_hz)
    fits_s = math.floor((budget - 44) / (2 * rate))
    raise AudioTooLargeError(
        f"{display}: {original.duration_s:,.1f} s of audio is too long for a "
        f"{max_data_uri_chars:,}-character data URI as 16-bit mono WAV (tried {'; '.join(tried)}; "
        f"about {fits_s} s fit): cut a shorter clip",
        source_name=display,
        size=original.size_bytes,
        limit=budget,
    )
