"""A short speech sample shipped in the package (for demos, ``--sample`` and notebooks).

Made once with espeak-ng and ffmpeg (16 kHz mono MP3, 32 kbit/s, about 4.4 s, 18 KB)::

    espeak-ng -v en-us -s 150 -w sample.wav "$SAMPLE_TRANSCRIPT"
    ffmpeg -i sample.wav -ac 1 -ar 16000 -c:a libmp3lame -b:a 32k -map_metadata -1 sample.mp3
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["SAMPLE_TRANSCRIPT", "sample_audio_path"]

SAMPLE_TRANSCRIPT = "Good morning. Could you tell me what the weather will be like today?"
"""What the shipped sample says."""

SAMPLE_LINES: tuple[tuple[float, float, str], ...] = (
    (0.0, 0.74, "Good morning."),
    (1.16, 3.9, "Could you tell me what the weather will be like today?"),
)
"""``(start_s, end_s, text)`` of each sentence of the shipped sample (from its loudness)."""


def sample_audio_path() -> Path:
    """The path of the shipped speech sample (an MP3 that both ``ask`` and ``transcribe`` accept)."""
    return Path(__file__).with_name("_data") / "sample.mp3"
