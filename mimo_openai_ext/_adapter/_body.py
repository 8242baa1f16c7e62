"""A JSON request body with its long strings set aside: parse and rebuild it without copying them.

A 37 MB audio file is a 50 MB JSON string. ``json.loads`` plus ``json.dumps`` of such a body
take about 780 ms on our 2-core CI machine (``orjson`` about 190 ms), more than the whole
request takes to reach the emulator and be answered. Here each string longer than
``_LONG_CHARS`` is found by scanning for quotes (``bytes.find``, memchr speed: about 10 ms
for 50 MB), replaced by a short placeholder, and only the small skeleton that is left goes
through ``json``. A placeholder starts with the string's first characters (printable ASCII,
up to ``_HEAD_CHARS``), so ``data:audio/wav;base64,...`` still reads as a data URI and raw
base64 as raw base64. :meth:`SplitBody.render` dumps the rewritten skeleton and returns the
pieces of the new body, the long strings as views into the original bytes, so a body is
never copied to be rewritten (``python benchmarks/bench_adapter.py`` measures it).

A long string holding a backslash (an escape) stays in the skeleton: ``json`` decodes it.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Blob", "SplitBody", "split_body"]

_LONG_CHARS = 4096
"""Strings at least this long are set aside (audio payloads are millions of characters)."""
_HEAD_CHARS = 48
"""A placeholder keeps this many leading characters of its string (``data:<mime>;base64,``)."""
_PIECE_BYTES = 1 << 20
"""Views handed to the HTTP layer are at most this long (it may copy each one it writes)."""


@dataclass(frozen=True)
class Blob:
    """A long string of the body: its raw JSON content (between the quotes), never copied."""

    raw: memoryview
    """The bytes between the quotes: for base64 or a data URI, the characters themselves."""

    def __len__(self) -> int:
        return len(self.raw)

    def head(self, size: int) -> str:
        """The first ``size`` characters (for looking at a prefix such as ``data:audio/wav``)."""
        return bytes(self.raw[:size]).decode("utf-8", "replace")

    def text(self) -> str:
        """The whole string (a copy): only for the rare long string that must be parsed."""
        text: str = json.loads(b'"' + bytes(self.raw) + b'"')
        return text


@dataclass
class SplitBody:
    """The skeleton (parsed JSON, long strings replaced by placeholders) and the long strings."""

    tree: Any
    blobs: dict[str, Blob]
    tag: str
    replacements: dict[str, list[bytes | memoryview]] = field(default_factory=dict)

    def blob(self, value: object) -> Blob | None:
        """The long string a skeleton value stands for, or None for an ordinary value."""
        if not isinstance(value, str) or self.tag not in value:
            return None
        return self.blobs.get(value[value.index(self.tag) :])

    def replaced(self, pieces: list[bytes | memoryview]) -> str:
        """A new placeholder for a string made of ``pieces`` (each JSON-ready, no escapes needed)."""
        key = f"{self.tag}r{len(self.replacements)}"
        self.replacements[key] = pieces
        return key

    def render(self, tree: Any) -> list[bytes | memoryview]:
        """The new body for ``tree`` (the skeleton, rewritten), as pieces to send in order."""
        text = json.dumps(tree, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        tag = self.tag.encode("ascii")
        pieces: list[bytes | memoryview] = []
        start = 0
        while True:
            at = text.find(tag, start)
            if at < 0:
                pieces.append(text[start:])
                return [piece for piece in pieces if len(piece)]
            end = text.index(b'"', at)
            pieces.append(text[start : text.rindex(b'"', start, at) + 1])  # the head goes too
            key = text[at:end].decode("ascii")
            found = self.blobs.get(key)
            for piece in [found.raw] if found is not None else self.replacements[key]:
                pieces.extend(_chunks(piece))
            start = end


def _chunks(piece: bytes | memoryview) -> Iterator[bytes | memoryview]:
    if len(piece) <= _PIECE_BYTES:
        yield piece
        return
    view = memoryview(piece)
    for start in range(0, len(view), _PIECE_BYTES):
        yield view[start : start + _PIECE_BYTES]


def _string_end(body: bytes, start: int) -> int:
    """The index of the quote closing the string whose content starts at ``start``."""
    end = body.find(b'"', start)
    while end > 0:
        slashes = 0
        while body[end - 1 - slashes] == 0x5C:  # backslash
            slashes += 1
        if slashes % 2 == 0:
            return end
        end = body.find(b'"', end + 1)
    raise ValueError("unterminated string in the JSON body")


def _head(body: bytes, start: int) -> bytes:
    """The string's first characters while they are printable ASCII (they go into its placeholder)."""
    head = body[start : start + _HEAD_CHARS]
    for i, byte in enumerate(head):
        if not 0x20 <= byte < 0x7F:
            return head[:i]
    return head


def split_body(body: bytes) -> SplitBody:
    """Parse a JSON body, its long strings set aside; ``ValueError`` if it is not JSON."""
    tag = f"mimo-blob-{secrets.token_hex(8)}-"
    while tag.encode("ascii") in body:  # pragma: no cover - 64 random bits
        tag = f"mimo-blob-{secrets.token_hex(8)}-"
    view = memoryview(body)
    blobs: dict[str, Blob] = {}
    skeleton: list[bytes | memoryview] = []
    done = 0
    at = body.find(b'"')
    while at >= 0:
        end = _string_end(body, at + 1)
        if end - at - 1 >= _LONG_CHARS and body.find(b"\\", at + 1, end) < 0:
            key = f"{tag}{len(blobs)}"
            blobs[key] = Blob(view[at + 1 : end])
            skeleton += [view[done : at + 1], _head(body, at + 1), key.encode("ascii")]
            done = end
        at = body.find(b'"', end + 1)
    skeleton.append(view[done:])
    small = b"".join(skeleton) if blobs else body
    tree = json.loads(small)
    return SplitBody(tree, blobs, tag)
