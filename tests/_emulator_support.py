"""Shared by the tests that talk to the emulator: message builders, a raw POST, counting in windows.

Audio comes from ``_audio``.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request

# The usage block of MiMo's own audio example response.
MIMO_EXAMPLE_USAGE: dict[str, object] = {
    "completion_tokens": 17,
    "prompt_tokens": 86,
    "total_tokens": 103,
    "completion_tokens_details": {"reasoning_tokens": 15},
    "prompt_tokens_details": {"audio_tokens": 25, "cached_tokens": 82},
}


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


def max_in_window(times: list[float], window_s: float) -> int:
    """The most of ``times`` (request starts, in seconds) inside any window of ``window_s``."""
    times = sorted(times)
    return max(sum(1 for u in times if t <= u < t + window_s) for t in times)
