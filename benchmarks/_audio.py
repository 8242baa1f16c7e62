"""Long test audio for the benchmarks, written block by block (little memory for hours).

* ``make_meeting(path, duration_s=...)``: realistic speech (espeak-ng) with pauses. A
  meeting-like recording: utterances from a few voices separated by pauses, a quiet
  room-noise floor, slightly different left/right channels.
* ``write_tone(target, frames, ...)``: a sine in every channel, optionally over noise,
  in any format libsndfile writes, to a path or a binary file object.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import BinaryIO

import numpy as np
import soundfile as sf

SENTENCES = [
    "Good morning everyone, let's start with the quarterly numbers.",
    "Revenue grew by twelve percent, mostly from the new subscription plan.",
    "Could you tell me what the weather will be like today?",
    "I think we should postpone the launch until the security review is done.",
    "The meeting room on the third floor is booked until four o'clock.",
    "Let me share my screen so everyone can see the chart.",
    "We received three complaints about the delivery times last week.",
    "Please send the minutes to the whole team after the call.",
    "Does anyone have questions before we move on to the next item?",
    "The budget for the marketing campaign needs to be approved by Friday.",
    "I agree, but we need more data before making that decision.",
    "Thanks everyone, that's all for today.",
]
VOICES = ["en-us", "en-gb", "en-us+f3", "en-gb+m3"]


def trimmed_utterances(rate: int, *, peak: float = 0.7) -> list[np.ndarray]:
    """Each of ``SENTENCES`` spoken (16 kHz class), cut to where its sound starts and ends
    (the first and last sample above 1% of its peak) and scaled to ``peak``."""
    out = []
    for speech in _utterances(rate, gain=1.0):
        loud = np.flatnonzero(np.abs(speech) > np.abs(speech).max() * 0.01)
        speech = speech[loud[0] : loud[-1] + 1]
        out.append((speech * (peak / np.abs(speech).max())).astype(np.float32))
    return out


def _utterances(rate: int, *, gain: float = 0.8) -> list[np.ndarray]:
    import soxr

    if shutil.which("espeak-ng") is None:
        raise SystemExit("the benchmarks need espeak-ng to synthesise speech")
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, text in enumerate(SENTENCES):
            wav = Path(tmp) / f"{i}.wav"
            voice = VOICES[i % len(VOICES)]
            subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(wav), text], check=True)
            x, sr = sf.read(wav, dtype="float32")
            out.append(soxr.resample(x, sr, rate).astype(np.float32) * gain)
    return out


def make_meeting(
    path: Path, *, duration_s: float, rate: int = 44100, channels: int = 2, seed: int = 0
) -> Path:
    """Write a PCM_16 WAV of ``duration_s`` seconds of speech with pauses."""
    rng = np.random.default_rng(seed)
    utterances = _utterances(rate)
    total = int(duration_s * rate)
    written = 0
    with sf.SoundFile(path, "w", rate, channels, subtype="PCM_16", format="WAV") as f:
        while written < total:
            speech = utterances[rng.integers(len(utterances))] * rng.uniform(0.5, 1.0)
            pause = np.zeros(int(rng.uniform(0.3, 2.5) * rate), dtype=np.float32)
            mono = np.concatenate([speech, pause])[: total - written]
            noise = rng.standard_normal((mono.shape[0], channels)).astype(np.float32) * 3e-4
            block = mono[:, None] * np.linspace(1.0, 0.8, channels, dtype=np.float32)[None, :] + noise
            f.write(block)
            written += mono.shape[0]
    return path


def write_tone(
    target: Path | BinaryIO,
    frames: int,
    *,
    rate: int,
    channels: int = 1,
    format: str = "WAV",
    subtype: str = "PCM_16",
    freq_hz: float = 220.0,
    amplitude: float = 0.2,
    noise: float = 0.0,
    block_frames: int = 44_100,
    seed: int = 0,
) -> None:
    """Write ``frames`` of a sine (plus ``noise`` x Gaussian noise) a block at a time.

    Blocks also keep libsndfile 1.2 from crashing on one huge Vorbis/MP3 write.
    """
    rng = np.random.default_rng(seed)
    with sf.SoundFile(target, "w", rate, channels, subtype, format=format) as out:
        for start in range(0, frames, block_frames):
            t = (np.arange(min(block_frames, frames - start)) + start) / rate
            tone = (amplitude * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)
            block = np.repeat(tone[:, None], channels, axis=1)
            out.write(block + noise * rng.standard_normal(block.shape) if noise else block)
