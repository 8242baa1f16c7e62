"""Audio and message builders shared by the emulator tests (generated, never committed)."""

from __future__ import annotations

import base64
import io
import json
import urllib.error
import urllib.request

import numpy as np
import soundfile as sf

MIMES = {
    "WAV": "audio/wav",
    "FLAC": "audio/flac",
    "OGG": "audio/ogg",
    "MP3": "audio/mpeg",
    "AIFF": "audio/aiff",
}


def audio_bytes(seconds: float, *, rate: int = 16_000, channels: int = 1, fmt: str = "WAV") -> bytes:
    """A quiet sine of exactly ``seconds`` in ``fmt`` (soundfile's format names)."""
    frames = round(seconds * rate)
    tone = 0.1 * np.sin(np.arange(frames) * 2 * np.pi * 440 / rate).astype("float32")
    data = np.repeat(tone[:, None], channels, axis=1) if channels > 1 else tone
    buf = io.BytesIO()
    sf.write(buf, data, rate, format=fmt)
    return buf.getvalue()


def uri(data: bytes, mime: str = "audio/wav") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def audio_part(data_or_uri: bytes | str, mime: str = "audio/wav") -> dict[str, object]:
    value = data_or_uri if isinstance(data_or_uri, str) else uri(data_or_uri, mime)
    return {"type": "input_audio", "input_audio": {"data": value}}


def ask(*parts: dict[str, object] | str) -> list[dict[str, object]]:
    """One user message from audio parts and text strings."""
    content = [{"type": "text", "text": p} if isinstance(p, str) else p for p in parts]
    return [{"role": "user", "content": content}]


def raw_post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, object], dict[str, str]]:
    """POST bytes without the SDK (for bodies the SDK would never send)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read()), dict(exc.headers)
