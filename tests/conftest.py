"""Shared test helpers: audio generated on the spot with soundfile, and committed fixtures.

Fixtures (use them from any test module):

* ``make_audio(seconds=1.0, *, format="WAV", subtype=None, sample_rate=16000,
  channels=1) -> bytes``: a 440 Hz tone encoded by libsndfile (WAV, FLAC, OGG, MP3,
  AIFF, CAF, RF64, WAVEX, W64; any subtype soundfile lists).
* ``write_audio(name, seconds=1.0, **same) -> pathlib.Path``: the same, written under
  ``tmp_path`` (the file name is yours: it never decides the format).
* ``fixture_file(name) -> pathlib.Path``: a committed file from ``tests/fixtures``
  (see its README for how each was made).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"

_DEFAULT_SUBTYPES = {
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


def tone(seconds: float, sample_rate: int, channels: int = 1, freq_hz: float = 440.0) -> object:
    """A float32 sine tone, shape (frames, channels)."""
    import numpy as np

    frames = round(seconds * sample_rate)
    t = np.arange(frames, dtype=np.float64) / sample_rate
    mono = (0.3 * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)
    return np.repeat(mono[:, None], channels, axis=1)


def encode_tone(
    seconds: float = 1.0,
    *,
    format: str = "WAV",
    subtype: str | None = None,
    sample_rate: int = 16000,
    channels: int = 1,
) -> bytes:
    """Encode a tone with libsndfile and return the file's bytes."""
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(
        buffer,
        tone(seconds, sample_rate, channels),
        sample_rate,
        format=format,
        subtype=subtype or _DEFAULT_SUBTYPES.get(format.upper()),
    )
    return buffer.getvalue()


@pytest.fixture
def make_audio() -> Callable[..., bytes]:
    return encode_tone


@pytest.fixture
def write_audio(tmp_path: Path) -> Callable[..., Path]:
    def write(name: str, seconds: float = 1.0, **options: object) -> Path:
        path = tmp_path / name
        path.write_bytes(encode_tone(seconds, **options))  # type: ignore[arg-type]
        return path

    return write


@pytest.fixture
def fixture_file() -> Callable[[str], Path]:
    def find(name: str) -> Path:
        path = FIXTURES / name
        if not path.is_file():
            raise FileNotFoundError(f"no committed fixture {name!r} in {FIXTURES}")
        return path

    return find
