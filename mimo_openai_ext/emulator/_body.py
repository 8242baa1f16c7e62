"""Reading a request body once: ``Content-Length`` or chunked, never past the size limit."""

from __future__ import annotations

from email.message import Message
from io import BufferedIOBase

from ._errors import ApiError

__all__ = ["declared_length", "read_body"]


def _chunked(headers: Message) -> bool:
    return "chunked" in (headers.get("Transfer-Encoding") or "").lower()


def declared_length(headers: Message, *, limit: int) -> int:
    """The bytes the body will hold (``limit`` for a chunked body: its size is unknown)."""
    if _chunked(headers):
        return limit
    raw = headers.get("Content-Length")
    if raw is None:
        return 0
    try:
        length = int(raw)
    except ValueError:
        raise ApiError(400, f"bad Content-Length {raw!r}", close=True) from None
    if length < 0 or length > limit:
        raise ApiError(
            413, f"the body has {length:,} bytes; this emulator accepts up to {limit:,}", close=True
        )
    return length


def read_body(rfile: BufferedIOBase, headers: Message, *, limit: int) -> bytes:
    """The whole body, read once; a short or oversized body closes the connection."""
    if _chunked(headers):
        return _read_chunked(rfile, limit)
    length = declared_length(headers, limit=limit)
    body = rfile.read(length) if length else b""
    if len(body) != length:
        raise ApiError(400, f"the body ended after {len(body):,} of {length:,} bytes", close=True)
    return body


def _read_chunked(rfile: BufferedIOBase, limit: int) -> bytes:
    pieces: list[bytes] = []
    total = 0
    while True:
        line = rfile.readline(1024)
        try:
            size = int(line.split(b";")[0].strip(), 16)
        except ValueError:
            raise ApiError(400, "malformed chunked body", close=True) from None
        if size == 0:
            while rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(pieces)
        total += size
        if total > limit:
            raise ApiError(413, f"the chunked body passed {limit:,} bytes", close=True)
        pieces.append(rfile.read(size))
        rfile.readline(16)
