"""Reading a request body once, strictly framed, never past the size limit, never for ever.

* Framing is checked before a byte of the body is read: ``Content-Length`` must be plain
  digits (one value, however many headers carry it), ``Transfer-Encoding`` may only be
  ``chunked``, and a request carrying both is refused (the classic smuggling ambiguity).
  Each chunk size is 1 to 16 hex digits (``-1``, ``+5``, ``0x10`` and ``1_0`` are refused:
  a chunk size of ``-1`` once read the rest of the connection past the body limit), and
  each chunk must end with its line break.
* Bytes are taken from the byte budget as they arrive (``take``), in pieces of at most
  :data:`PIECE_BYTES`, so a slow upload holds only what it has sent, not what it declared.
* A slow upload has a deadline: after :data:`UPLOAD_GRACE_S` it must average at least
  :data:`UPLOAD_MIN_BYTES_PER_S`, or it is answered 408 and the connection closed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from email.message import Message
from io import BufferedIOBase

from ._errors import ApiError

__all__ = [
    "BUDGET_WAIT_S",
    "PIECE_BYTES",
    "UPLOAD_GRACE_S",
    "UPLOAD_MIN_BYTES_PER_S",
    "BodyReader",
    "declared_length",
    "read_body",
]

PIECE_BYTES = 1 << 16
"""The most taken from the budget (and then read) at once: all a stalled upload can hold
beyond what it has sent."""
UPLOAD_GRACE_S = 10.0
"""How long any upload may take before its average rate is checked."""
UPLOAD_MIN_BYTES_PER_S = 64 * 1024
"""The slowest average rate an upload may keep after the grace period."""
BUDGET_WAIT_S = 30.0
"""How long a piece waits for room in the byte budget before the request is answered 503."""
_MAX_LINE = 1024
_MAX_TRAILERS = 64
_DIGITS = re.compile(rb"[0-9]+")
_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}")

Take = Callable[[int, float], bool]
"""``take(size_bytes, timeout_s)``: hold that many more bytes of the budget; False if no room came."""


def _no_budget(size: int, timeout_s: float) -> bool:
    return True


def _chunked(headers: Message) -> bool:
    codings = [c.strip().lower() for v in headers.get_all("Transfer-Encoding") or [] for c in v.split(",")]
    if not codings:
        return False
    if codings != ["chunked"]:
        shown = ", ".join(codings)
        raise ApiError(
            400, f"Transfer-Encoding {shown!r} is not supported: send chunked or a Content-Length", close=True
        )
    return True


def _content_length(headers: Message) -> int | None:
    values = {v.strip() for v in headers.get_all("Content-Length") or []}
    if not values:
        return None
    if len(values) > 1:
        raise ApiError(400, f"conflicting Content-Length headers {sorted(values)}", close=True)
    raw = values.pop()
    if not _DIGITS.fullmatch(raw.encode("ascii", "replace")):
        raise ApiError(400, f"bad Content-Length {raw[:40]!r}: digits only", close=True)
    return int(raw)


def declared_length(headers: Message, *, limit: int) -> int:
    """The bytes the body will hold (``limit`` for a chunked body: its size is unknown).

    Refuses bad framing (400) and a declared length over ``limit`` (413) before any read.
    """
    chunked = _chunked(headers)
    length = _content_length(headers)
    if chunked and length is not None:
        raise ApiError(400, "both Transfer-Encoding and Content-Length: send one of them", close=True)
    if chunked:
        return limit
    if length is None:
        return 0
    if length > limit:
        raise ApiError(
            413, f"the body has {length:,} bytes; this emulator accepts up to {limit:,}", close=True
        )
    return length


class BodyReader:
    """Reads from a request's stream under the upload deadline, taking budget as bytes arrive."""

    def __init__(
        self,
        rfile: BufferedIOBase,
        *,
        take: Take = _no_budget,
        settimeout: Callable[[float | None], None] | None = None,
    ) -> None:
        self._rfile = rfile
        self._take = take
        self._settimeout = settimeout
        self._start_s = time.monotonic()
        self.received = 0

    def _left_s(self) -> float:
        """Time left before the bytes so far fall under the slowest rate allowed."""
        allowed_until = self._start_s + UPLOAD_GRACE_S + self.received / UPLOAD_MIN_BYTES_PER_S
        return allowed_until - time.monotonic()

    def _too_slow(self) -> ApiError:
        return ApiError(
            408,
            f"the upload is too slow: {self.received:,} bytes in {time.monotonic() - self._start_s:.1f} s "
            f"(after {UPLOAD_GRACE_S:g} s an upload must average {UPLOAD_MIN_BYTES_PER_S:,} bytes/s)",
            message="Request Timeout",
            close=True,
        )

    def _raw(self, size: int) -> bytes:
        """At most ``size`` bytes from one read of the socket, within the deadline (b"" at EOF)."""
        left = self._left_s()
        if left <= 0:
            raise self._too_slow()
        if self._settimeout is not None:
            self._settimeout(left)
        try:
            return self._rfile.read1(size)
        except TimeoutError:
            raise self._too_slow() from None

    def read(self, size: int, *, what: str = "the body") -> bytearray:
        """Exactly ``size`` bytes (taken from the budget piece by piece), or a 4xx."""
        out = bytearray()
        while len(out) < size:
            piece = min(PIECE_BYTES, size - len(out))
            if not self._take(piece, BUDGET_WAIT_S):
                raise ApiError(
                    503,
                    "the emulator holds its whole byte budget in other requests; retry shortly",
                    headers={"Retry-After": "1"},
                    close=True,
                )
            wanted = len(out) + piece
            while len(out) < wanted:
                got = self._raw(wanted - len(out))
                if not got:
                    raise ApiError(400, f"{what} ended after {len(out):,} of {size:,} bytes", close=True)
                out += got
                self.received += len(got)
        return out

    def line(self) -> bytes:
        """One line (chunk size or trailer), at most 1024 bytes, within the deadline."""
        out = bytearray()
        while not out.endswith(b"\n"):
            if len(out) >= _MAX_LINE:
                raise ApiError(400, "malformed chunked body: a line over 1024 bytes", close=True)
            got = self._raw(1)
            if not got:
                raise ApiError(400, "malformed chunked body: it ended inside a line", close=True)
            out += got
            self.received += 1
        return bytes(out)


def read_body(
    rfile: BufferedIOBase,
    headers: Message,
    *,
    limit: int,
    take: Take = _no_budget,
    settimeout: Callable[[float | None], None] | None = None,
) -> bytes | bytearray:
    """The whole body, read once; bad framing, a short, oversized or too slow body closes the connection."""
    length = declared_length(headers, limit=limit)
    reader = BodyReader(rfile, take=take, settimeout=settimeout)
    if _chunked(headers):
        return _read_chunked(reader, limit)
    return reader.read(length) if length else b""


def _read_chunked(reader: BodyReader, limit: int) -> bytearray:
    body = bytearray()
    while True:
        line = reader.line()
        size_field = line.split(b";", 1)[0].strip()
        if not _HEX.fullmatch(size_field):
            raise ApiError(
                400, f"malformed chunked body: chunk size {size_field[:20]!r} is not hex", close=True
            )
        size = int(size_field, 16)
        if size == 0:
            for _ in range(_MAX_TRAILERS):
                if reader.line() in (b"\r\n", b"\n"):
                    return body
            raise ApiError(400, f"malformed chunked body: over {_MAX_TRAILERS} trailer lines", close=True)
        if len(body) + size > limit:
            raise ApiError(413, f"the chunked body passed {limit:,} bytes", close=True)
        body += reader.read(size, what="a chunk")
        if reader.line() not in (b"\r\n", b"\n"):
            raise ApiError(400, "malformed chunked body: a chunk longer than its size", close=True)
