"""RIFF/RIFX/RF64 WAVE chunks: the ``fmt `` header, the ``data`` chunk and ``fact``.

Reads only chunk headers up to ``data``; every read is bounds-checked by ``struct``
(a cut header raises ``struct.error``, which :mod:`.sniff` words as damage).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .source import ByteData

__all__ = ["WavHeader", "read_wav_header", "wav_fact_frames", "wav_seconds_from_size"]

_MAX_CHUNKS = 64


@dataclass(frozen=True)
class WavHeader:
    """The ``fmt `` chunk's fields and where the chunks are."""

    riff: bytes
    """``RIFF``, ``RIFX`` (big-endian) or ``RF64``."""
    tag: int
    """The format tag (``WAVE_FORMAT_EXTENSIBLE`` resolved to its sub-format)."""
    channels: int
    sample_rate_hz: int
    byte_rate: int
    block_align: int
    bits: int
    chunks: dict[bytes, tuple[int, int]]
    """Chunk id -> (payload offset, declared size), up to and including ``data``."""

    @property
    def big_endian(self) -> bool:
        return self.riff == b"RIFX"


def _endian(data: ByteData) -> str:
    return ">" if bytes(data[:4]) == b"RIFX" else "<"


def _chunks(data: ByteData, endian: str) -> dict[bytes, tuple[int, int]]:
    """Chunk id -> (payload offset, declared size), stopping at ``data``."""
    chunks: dict[bytes, tuple[int, int]] = {}
    pos = 12
    for _ in range(_MAX_CHUNKS):
        if pos + 8 > len(data):
            break
        kind, size = struct.unpack_from(endian + "4sI", data, pos)
        chunks.setdefault(kind, (pos + 8, size))
        if kind == b"data":
            break
        pos += 8 + size + (size & 1)
    return chunks


def read_wav_header(data: ByteData) -> WavHeader | None:
    """The header of a WAVE file, or None when its ``fmt `` chunk is missing or cut short."""
    endian = _endian(data)
    chunks = _chunks(data, endian)
    fmt = chunks.get(b"fmt ")
    if fmt is None or fmt[0] + 16 > len(data):
        return None
    offset, fmt_size = fmt
    tag, channels, rate, byte_rate, align, bits = struct.unpack_from(endian + "HHIIHH", data, offset)
    if tag == 0xFFFE and fmt_size >= 40 and offset + 26 <= len(data):
        (tag,) = struct.unpack_from(endian + "H", data, offset + 24)
    return WavHeader(bytes(data[:4]), tag, channels, rate, byte_rate, align, bits, chunks)


def wav_fact_frames(data: ByteData) -> int:
    """Samples per channel from a compressed WAV's ``fact`` chunk (0 if absent).

    Block codecs (ADPCM, GSM) pad their last block; ``fact`` holds the true length.
    """
    endian = _endian(data)
    fact = _chunks(data, endian).get(b"fact")
    if fact is None or fact[1] < 4 or fact[0] + 4 > len(data):
        return 0
    (frames,) = struct.unpack_from(endian + "I", data, fact[0])
    return int(frames) if frames != 0xFFFFFFFF else 0


def wav_seconds_from_size(data: ByteData) -> float:
    """A WAV's duration from the bytes after its ``data`` chunk header and its byte rate.

    For files whose header was never finished (``data`` size 0, as a recorder leaves it
    while still writing): ffprobe then times what is there, and so do we.
    """
    endian = _endian(data)
    chunks = _chunks(data, endian)
    fmt, payload = chunks.get(b"fmt "), chunks.get(b"data")
    if fmt is None or payload is None or fmt[0] + 12 > len(data):
        return 0.0
    (byte_rate,) = struct.unpack_from(endian + "I", data, fmt[0] + 8)
    return max(len(data) - payload[0], 0) / byte_rate if byte_rate else 0.0
