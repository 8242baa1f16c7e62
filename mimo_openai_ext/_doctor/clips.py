"""The doctor's audio: a one-second 440 Hz tone in each format MiMo takes, and the big size clip.

WAV, FLAC, OGG (Vorbis) and MP3 are made on the spot by libsndfile (``soundfile``); M4A,
which libsndfile cannot write, is shipped (``_data/doctor-tone.m4a``, 4.3 KB), made once with::

    ffmpeg -f lavfi -i "sine=frequency=440:duration=1:sample_rate=16000" -ac 1 \\
        -c:a aac -b:a 24k -movflags +faststart doctor-tone.m4a

``size_clip(payload_chars)`` is a silent 8 kHz WAV whose base64 is exactly that long (for the
``--include-size`` probe, between 50,000,000 and 52,428,800 characters).
"""

from __future__ import annotations

import base64
import io
import struct
from pathlib import Path

from .._config import AUDIO_FORMATS, AudioFormat

__all__ = ["TONE_SECONDS", "size_clip", "tone_clips", "tone_uri"]

TONE_SECONDS = 1.0
_RATE_HZ = 16_000
_SOUNDFILE: dict[AudioFormat, tuple[str, str]] = {
    "wav": ("WAV", "PCM_16"),
    "flac": ("FLAC", "PCM_16"),
    "ogg": ("OGG", "VORBIS"),
    "mp3": ("MP3", "MPEG_LAYER_III"),
}


def _shipped_m4a() -> bytes:
    return (Path(__file__).parent.parent / "_data" / "doctor-tone.m4a").read_bytes()


def tone_clips() -> dict[AudioFormat, bytes | str]:
    """Each format's one-second tone, or why it could not be made (a libsndfile without MP3)."""
    import numpy as np
    import soundfile as sf

    t = np.arange(int(_RATE_HZ * TONE_SECONDS)) / _RATE_HZ
    samples = (0.3 * np.sin(2 * np.pi * 440.0 * t)).astype("float32")
    clips: dict[AudioFormat, bytes | str] = {}
    for name, (container, subtype) in _SOUNDFILE.items():
        out = io.BytesIO()
        try:
            sf.write(out, samples, _RATE_HZ, format=container, subtype=subtype)
        except (sf.LibsndfileError, ValueError, TypeError) as exc:  # an old libsndfile: no MP3
            clips[name] = f"could not make a {name} clip here ({exc})"
            continue
        clips[name] = out.getvalue()
    clips["m4a"] = _shipped_m4a()
    return {fmt: clips[fmt] for fmt in AUDIO_FORMATS}


def tone_uri(fmt: AudioFormat, data: bytes) -> str:
    """The clip as MiMo's data URI."""
    return f"data:{AUDIO_FORMATS[fmt].mime};base64,{base64.b64encode(data).decode('ascii')}"


def size_clip(payload_chars: int) -> bytes:
    """A silent 8 kHz 16-bit mono WAV whose base64 (without the ``data:`` prefix) has
    exactly ``payload_chars`` characters (rounded down to a multiple of 4)."""
    size = payload_chars // 4 * 3
    frames = (size - 44) // 2
    size = 44 + frames * 2
    header = b"RIFF" + struct.pack("<I", size - 8) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16)
    header += b"data" + struct.pack("<I", frames * 2)
    return header + bytes(frames * 2)
