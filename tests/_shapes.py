"""Audio in the shapes other clients send, for the adapter, proxy and client tests.

``AUDIO`` holds a WAV, a FLAC (generated) and an M4A (a committed fixture); ``SHAPES``
builds an ``input_audio`` part the way different clients do: OpenAI's raw base64 with its
``format``, raw base64 alone, and MiMo's own data URI.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _audio import encode_tone

from mimo_openai_ext import input_audio_part, probe_audio

FIXTURES = Path(__file__).parent / "fixtures"

AUDIO: dict[str, Callable[[], bytes]] = {
    "wav": lambda: encode_tone(1.0),
    "flac": lambda: encode_tone(1.0, format="FLAC"),
    "m4a": lambda: (FIXTURES / "aac_brand_m4a.m4a").read_bytes(),
}
"""Each format MiMo takes that a test drives through every client: name -> bytes."""


def openai_part(data: bytes, fmt: str) -> dict[str, Any]:
    """OpenAI's shape: raw base64 and a ``format`` (what the SDK's own TypedDict asks for)."""
    return {"type": "input_audio", "input_audio": {"data": base64.b64encode(data).decode(), "format": fmt}}


def raw_part(data: bytes, fmt: str) -> dict[str, Any]:
    """Raw base64 with no ``format`` (some frameworks leave it out)."""
    return {"type": "input_audio", "input_audio": {"data": base64.b64encode(data).decode()}}


def mimo_part(data: bytes, fmt: str) -> dict[str, Any]:
    """MiMo's own shape: a data URI whose MIME the bytes call for."""
    return dict(input_audio_part(data))


SHAPES: dict[str, Callable[[bytes, str], dict[str, Any]]] = {
    "openai": openai_part,
    "raw": raw_part,
    "mimo": mimo_part,
}


def expected_tokens(data: bytes) -> int:
    """The audio tokens MiMo (and the emulator) count for ``data``."""
    return probe_audio(data).audio_tokens


def message(part: dict[str, Any], question: str = "What is in this recording?") -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "text", "text": question}, part]}
