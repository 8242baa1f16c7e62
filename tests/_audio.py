"""Test audio, generated on the spot: the one place the tests make samples and files.

Samples (numpy arrays, float32 unless said otherwise):

* ``tone(seconds, sample_rate, channels=1, *, freq_hz=440, amplitude=0.3)``: a sine,
  shape ``(frames, channels)``.
* ``gated_tone(seconds, sample_rate, *, period_s, on_s, ...)``: a sine switched on for
  ``on_s`` of every ``period_s`` over a noise floor (talk with regular pauses).
* ``speechlike(seconds, ...)``: noisy harmonic bursts with pauses, different in each
  channel (as hard to compress as a recording).
* ``bursts(seconds, ...)``: tone bursts of 4-8 s between 0.8 s of digital silence, and
  the mask of the silent frames.

Files: ``encode(samples, sample_rate, format=..., subtype=None) -> bytes`` (libsndfile;
``None`` picks the usual subtype of the format), ``encode_tone(...)`` and
``encode_silence(...)`` (bytes), ``write_silence(path, ...)``, and ``sparse_wav(path, ...)``
(a WAV header claiming ``size_bytes``, sparse on disk: big files that cost nothing), and
``encode_m4a(samples, rate=..., codec="aac")`` (AAC or ALAC in M4A, by PyAV), and
``repeat_m4a(data, times)`` (the same AAC packets muxed ``times`` over: hours cheaply).

Speech: ``sentences()`` reads the committed fixture of 12 spoken sentences (16 kHz mono,
``tests/fixtures/sentences.opus``) and their true spans (``sentences.json``);
``with_noise(samples, snr_db, ...)`` adds white noise at that SNR (over the speech's power).

numpy and soundfile are imported lazily, so importing this module stays cheap.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

DEFAULT_SUBTYPES = {
    "WAV": "PCM_16",
    "WAVEX": "PCM_16",
    "RF64": "PCM_16",
    "W64": "PCM_16",
    "FLAC": "PCM_16",
    "OGG": "VORBIS",
    "MP3": "MPEG_LAYER_III",
    "AIFF": "PCM_16",
    "CAF": "PCM_16",
}


def _frames(seconds: float, sample_rate: int) -> int:
    return round(seconds * sample_rate)


def tone(
    seconds: float,
    sample_rate: int,
    channels: int = 1,
    *,
    freq_hz: float = 440.0,
    amplitude: float = 0.3,
) -> np.ndarray:
    """A float32 sine tone, shape (frames, channels)."""
    import numpy as np

    t = np.arange(_frames(seconds, sample_rate), dtype=np.float64) / sample_rate
    mono = (amplitude * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)
    return np.repeat(mono[:, None], channels, axis=1)


def gated_tone(
    seconds: float, sample_rate: int, *, period_s: float, on_s: float, freq_hz: float, noise: float = 0.01
) -> np.ndarray:
    """A mono 0.2-amplitude sine on for ``on_s`` of every ``period_s``, over Gaussian noise (seed 0)."""
    import numpy as np

    t = np.arange(_frames(seconds, sample_rate)) / sample_rate
    voiced = tone(seconds, sample_rate, freq_hz=freq_hz, amplitude=0.2)[:, 0] * ((t % period_s) < on_s)
    result: np.ndarray = voiced + noise * np.random.default_rng(0).standard_normal(t.size)
    return result


def speechlike(seconds: float, *, rate: int = 44100, channels: int = 2, seed: int = 0) -> np.ndarray:
    """Noisy harmonic bursts with pauses, different in each channel: as hard to compress as a recording."""
    import numpy as np

    rng = np.random.default_rng(seed)
    frames = _frames(seconds, rate)
    t = np.arange(frames) / rate
    voiced = sum(np.sin(2 * np.pi * f * t) / (k + 1) for k, f in enumerate((180, 360, 540, 1250, 2600)))
    talking = (t % 1.0) < 0.7
    out = np.empty((frames, channels), dtype=np.float32)
    for c in range(channels):
        noise = rng.standard_normal(frames)
        out[:, c] = np.where(talking, 0.2 * voiced + 0.05 * noise, 0.001 * noise) * (1.0 - 0.2 * c)
    return out


def bursts(seconds: float, *, rate: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Tone bursts of 4-8 s separated by 0.8 s of digital silence; returns (audio, is_silent)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    pieces, silent = [], []
    total = 0
    gap = int(0.8 * rate)
    while total < seconds * rate:
        n = int(rng.uniform(4, 8) * rate)
        t = np.arange(n) / rate
        pieces.append((0.3 * np.sin(2 * np.pi * 300 * t) + 0.05 * rng.standard_normal(n)).astype(np.float32))
        pieces.append(np.zeros(gap, dtype=np.float32))
        silent += [np.zeros(n, dtype=bool), np.ones(gap, dtype=bool)]
        total += n + gap
    frames = int(seconds * rate)
    return np.concatenate(pieces)[:frames], np.concatenate(silent)[:frames]


def encode(
    samples: np.ndarray, sample_rate: int, *, format: str = "WAV", subtype: str | None = None
) -> bytes:
    """Encode ``samples`` with libsndfile and return the file's bytes."""
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(
        buffer, samples, sample_rate, format=format, subtype=subtype or DEFAULT_SUBTYPES.get(format.upper())
    )
    return buffer.getvalue()


def encode_tone(
    seconds: float = 1.0,
    *,
    format: str = "WAV",
    subtype: str | None = None,
    sample_rate: int = 16000,
    channels: int = 1,
    freq_hz: float = 440.0,
    amplitude: float = 0.3,
) -> bytes:
    """A tone of exactly ``seconds``, encoded by libsndfile (``format`` is soundfile's name)."""
    samples = tone(seconds, sample_rate, channels, freq_hz=freq_hz, amplitude=amplitude)
    return encode(samples, sample_rate, format=format, subtype=subtype)


def encode_silence(seconds: float, *, format: str = "WAV", sample_rate: int = 16000) -> bytes:
    """Digital silence of exactly ``seconds``, encoded by libsndfile."""
    import numpy as np

    return encode(np.zeros(_frames(seconds, sample_rate), dtype=np.int16), sample_rate, format=format)


def write_silence(path: Path, seconds: float, *, format: str = "WAV", sample_rate: int = 16000) -> Path:
    """``encode_silence`` written to ``path`` (the name never decides the format)."""
    path.write_bytes(encode_silence(seconds, format=format, sample_rate=sample_rate))
    return path


def sparse_wav(path: Path, *, size_bytes: int, sample_rate: int, channels: int = 1, bits: int = 16) -> Path:
    """A PCM WAV header claiming ``size_bytes`` in all, the rest a sparse hole (no disk, no memory)."""
    block = channels * bits // 8
    header = b"RIFF" + struct.pack("<I", size_bytes - 8) + b"WAVEfmt " + struct.pack("<I", 16)
    header += struct.pack("<HHIIHH", 1, channels, sample_rate, sample_rate * block, block, bits)
    header += b"data" + struct.pack("<I", size_bytes - 44)
    with path.open("wb") as fh:
        fh.write(header)
        fh.truncate(size_bytes)
    return path


def encode_m4a(samples: np.ndarray, *, rate: int, codec: str = "aac", bit_rate: int = 64_000) -> bytes:
    """An M4A (AAC or ALAC) of float ``samples`` (frames,) or (frames, channels), made by PyAV."""
    import av
    import numpy as np

    block = samples[:, None] if samples.ndim == 1 else samples
    layout = "mono" if block.shape[1] == 1 else "stereo"
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="ipod") as out:
        stream = out.add_stream(codec, rate=rate, layout=layout)
        if codec == "aac":
            stream.bit_rate = bit_rate
        pcm = (np.clip(block, -1, 1) * 32767).astype("<i2")
        for start in range(0, pcm.shape[0], 4096):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(pcm[start : start + 4096].reshape(1, -1)), format="s16", layout=layout
            )
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()


FIXTURES = Path(__file__).parent / "fixtures"


def sentences() -> tuple[np.ndarray, list[tuple[float, float, str]]]:
    """The 12-sentence fixture (float32, 16 kHz mono) and each sentence's (start_s, end_s, text)."""
    import json

    import soundfile as sf

    samples, rate = sf.read(FIXTURES / "sentences.opus", dtype="float32")
    assert rate == 16000
    meta = json.loads((FIXTURES / "sentences.json").read_text(encoding="utf-8"))
    return samples, [(s["start_s"], s["end_s"], s["text"]) for s in meta["sentences"]]


def with_noise(
    samples: np.ndarray,
    snr_db: float,
    *,
    spans: list[tuple[float, float, str]],
    rate: int = 16000,
    seed: int = 0,
) -> np.ndarray:
    """``samples`` plus white noise ``snr_db`` below the power of the speech in ``spans``."""
    import numpy as np

    speech = np.concatenate([samples[int(a * rate) : int(b * rate)] for a, b, _ in spans])
    power = float(np.mean(speech.astype(np.float64) ** 2))
    noise = np.random.default_rng(seed).standard_normal(samples.shape[0]) * np.sqrt(
        power / 10 ** (snr_db / 10)
    )
    return np.clip(samples + noise, -1.0, 1.0).astype(np.float32)


def repeat_m4a(data: bytes, times: int) -> tuple[bytes, float]:
    """The AAC packets of an M4A muxed ``times`` over into one M4A (no re-encoding), and the
    length of one repetition in seconds (every AAC packet holds 1024 samples)."""
    import av

    source = av.open(io.BytesIO(data))
    stream = source.streams.audio[0]
    packets = [p for p in source.demux(stream) if p.size]
    rate = stream.codec_context.sample_rate
    step = len(packets) * 1024
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="ipod") as out:
        add = getattr(out, "add_stream_from_template", None)  # PyAV 14+; older: add_stream(template=)
        target = add(stream) if add is not None else out.add_stream(template=stream)
        for repetition in range(times):
            for packet in packets:
                copy = av.Packet(bytes(packet))
                copy.pts = packet.pts + repetition * step
                copy.dts = packet.dts + repetition * step
                copy.duration = packet.duration
                copy.time_base = packet.time_base
                copy.stream = target
                out.mux(copy)
    source.close()
    return buffer.getvalue(), step / rate


def fundamental_hz(samples: np.ndarray, rate: int) -> float:
    """The median pitch of the loud 40 ms frames: the autocorrelation peak between 70 and 400 Hz."""
    import numpy as np

    frame, hop = int(0.04 * rate), int(0.02 * rate)
    starts = range(0, samples.shape[0] - frame, hop)
    rms = np.array([np.sqrt(np.mean(samples[s : s + frame] ** 2)) for s in starts])
    low, high = int(rate / 400), int(rate / 70)
    pitches = []
    for s, level in zip(starts, rms, strict=True):
        if level < 0.3 * rms.max():
            continue
        x = samples[s : s + frame] - samples[s : s + frame].mean()
        spectrum = np.fft.rfft(x, 2 * frame)
        corr = np.fft.irfft(spectrum * np.conj(spectrum))[:frame]
        pitches.append(rate / (low + int(np.argmax(corr[low:high]))))
    return float(np.median(pitches))
