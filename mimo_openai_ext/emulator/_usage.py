"""Token counts the way MiMo reports them: audio by duration, text estimated, cached prefixes."""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from .._config import Limits

__all__ = ["MESSAGE_OVERHEAD_TOKENS", "PrefixCache", "Segment", "audio_tokens", "text_tokens"]

MESSAGE_OVERHEAD_TOKENS = 3
"""Role markers around each message (and the assistant's turn), as chat templates add."""


def audio_tokens(duration_s: float, *, limits: Limits) -> int:
    """MiMo's rule: ceil(duration_s * tokens per second)."""
    return math.ceil(duration_s * limits.audio_tokens_per_second - 1e-9) if duration_s > 0 else 0


def text_tokens(text: str) -> int:
    """About 4 ASCII characters a token; other characters (CJK, ...) one token each."""
    if not text:
        return 0
    ascii_chars = sum(1 for c in text if ord(c) < 128)
    return math.ceil(ascii_chars / 4) + (len(text) - ascii_chars)


@dataclass(frozen=True)
class Segment:
    """One piece of a prompt in order: a message header, a text or an audio."""

    digest: bytes
    tokens: int


class PrefixCache:
    """Remembers recent prompt prefixes; a repeat of one is reported as ``cached_tokens``."""

    def __init__(self, *, max_entries: int = 4096) -> None:
        self._lock = threading.Lock()
        self._seen: OrderedDict[bytes, float] = OrderedDict()
        self._max_entries = max_entries

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()

    def cached_tokens(self, model: str, segments: Sequence[Segment], *, ttl_s: float) -> int:
        """Tokens of the longest prefix seen within ``ttl_s``; then remember this prompt."""
        cached, keys = self.lookup(model, segments, ttl_s=ttl_s)
        self.remember(keys)
        return cached

    def lookup(self, model: str, segments: Sequence[Segment], *, ttl_s: float) -> tuple[int, list[bytes]]:
        """Tokens of the longest prefix seen within ``ttl_s``, and this prompt's prefix keys.

        Pass the keys to :meth:`remember` once the prompt is processed: like a server, the
        emulator caches what it has answered, so requests sent together all miss.
        """
        now = time.monotonic()
        chain = hashlib.sha256(model.encode()).digest()
        prefix_tokens = 0
        cached = 0
        keys: list[bytes] = []
        with self._lock:
            for segment in segments:
                chain = hashlib.sha256(chain + segment.digest).digest()
                prefix_tokens += segment.tokens
                keys.append(chain)
                seen_at = self._seen.get(chain)
                if seen_at is not None and now - seen_at <= ttl_s:
                    cached = prefix_tokens
        return cached, keys

    def remember(self, keys: Sequence[bytes]) -> None:
        """Cache a processed prompt's prefixes (from :meth:`lookup`)."""
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._seen[key] = now
                self._seen.move_to_end(key)
            while len(self._seen) > self._max_entries:
                self._seen.popitem(last=False)
