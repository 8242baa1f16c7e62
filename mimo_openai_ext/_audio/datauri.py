"""``data:`` URIs and URLs: recognise, parse, build, and size them.

MiMo takes local audio only as ``data:<MIME>;base64,<payload>`` (at most
``Limits.max_data_uri_chars`` characters in all) and remote audio only as an http(s) URL.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import math
import mmap
import re
import urllib.parse
from dataclasses import dataclass
from typing import TypeAlias

import pybase64

from .._checks import check_buffer, check_limits, check_str
from .._config import DEFAULT_LIMITS, Limits
from .._exceptions import InvalidAudioSourceError, InvalidOptionError
from .._models import get_model

__all__ = [
    "ByteData",
    "DataURI",
    "data_uri",
    "data_uri_chars",
    "decode_base64",
    "inline_limit_bytes",
    "is_data_uri",
    "is_url",
    "max_bytes_for_data_uri",
    "parse_data_uri",
    "url_scheme",
]

ByteData: TypeAlias = bytes | bytearray | memoryview | mmap.mmap
"""A buffer of audio bytes; never copied just to be looked at."""

_DATA_URI_NAME = "<data URI>"
_PREFIX = len("data:") + len(";base64,")
_CHUNK_BYTES = 3 << 20  # a multiple of 3 (chunks join without padding) and of the page size
_MIME = re.compile(r"[A-Za-z0-9.+\-]+/[A-Za-z0-9.+\-]+")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]+):")


def url_scheme(text: str) -> str | None:
    """The lower-cased scheme of ``text`` if it looks like a URL (``C:\\x`` does not)."""
    match = _SCHEME.match(text)
    if match is None:
        return None
    scheme = match.group(1).lower()
    if scheme == "data" or text[match.end() :].startswith("//"):
        return scheme
    return None


def is_url(text: str) -> bool:
    """``http://`` or ``https://``: the only URLs MiMo fetches."""
    return url_scheme(text) in ("http", "https")


def is_data_uri(text: str) -> bool:
    return url_scheme(text) == "data"


@dataclass(frozen=True)
class DataURI:
    """A parsed ``data:`` URI."""

    mime: str
    """The declared media type, lower-cased, without parameters ("" if none)."""
    data: bytes
    base64: bool
    canonical_payload: bool
    """True when the base64 payload can be re-sent as is (no whitespace, padded)."""


def parse_data_uri(text: str, *, name: str = _DATA_URI_NAME) -> DataURI:
    """Decode ``data:<mime>[;base64],<payload>``; malformed input is an InvalidAudioSourceError."""
    header, sep, payload = text.partition(",")
    if not sep or not header.lower().startswith("data:"):
        raise InvalidAudioSourceError(
            f"{name}: not a data URI (expected 'data:<mime>;base64,<payload>')", source_name=name
        )
    params = [p.strip() for p in header[5:].split(";")]
    mime = params[0].lower() if params and "=" not in params[0] else ""
    is_b64 = any(p.lower() == "base64" for p in params[1:])
    if not is_b64:
        return DataURI(mime, urllib.parse.unquote_to_bytes(payload), False, False)
    try:
        return DataURI(mime, base64.b64decode(payload, validate=True), True, True)
    except (binascii.Error, ValueError):
        pass
    try:  # line-wrapped base64 (MIME style): decodable, but re-emitted without the breaks
        return DataURI(mime, base64.b64decode("".join(payload.split()), validate=True), True, False)
    except (binascii.Error, ValueError) as exc:
        raise InvalidAudioSourceError(
            f"{name}: the data URI's base64 payload does not decode ({exc}); "
            "build it with input_audio_part(path) or data_uri(bytes, mime)",
            source_name=name,
        ) from None


def data_uri(data: ByteData, mime: str) -> str:
    """``data:<mime>;base64,<payload>`` built with one output buffer (no concatenation copies)."""
    check_buffer(data)
    check_str(mime, option="mime")
    if not _MIME.fullmatch(mime):
        raise InvalidOptionError(
            f"data_uri(): not a MIME type: {mime!r} (expected e.g. 'audio/wav')", option="mime"
        )
    prefix = f"data:{mime};base64,".encode("ascii")
    view = memoryview(data).cast("B")
    out = bytearray(len(prefix) + 4 * ((len(view) + 2) // 3))
    out[: len(prefix)] = prefix
    pos = len(prefix)
    drop = getattr(data, "madvise", None) if hasattr(mmap, "MADV_DONTNEED") else None
    for start in range(0, len(view), _CHUNK_BYTES):
        encoded = binascii.b2a_base64(view[start : start + _CHUNK_BYTES], newline=False)
        out[pos : pos + len(encoded)] = encoded
        pos += len(encoded)
        if drop is not None:  # a mapped file: let its pages go once encoded (they stay cached)
            drop(mmap.MADV_DONTNEED, start, min(_CHUNK_BYTES, len(view) - start))
    view.release()
    return out.decode("ascii")


def decode_base64(payload: str | ByteData) -> bytes:
    """Strict base64 (standard alphabet, padded, nothing else) to bytes; ``ValueError`` otherwise.

    pybase64 (SIMD) rather than ``binascii``: on our 2-core CI machine it decodes 50 MB of
    base64 in about 40 ms, where ``binascii.a2b_base64(strict_mode=True)`` takes 150-230 ms
    and ``base64.b64decode(validate=True)`` 310-430 ms. That decode is most of what the HTTP
    adapter adds to a request that carries OpenAI-shaped audio.
    """
    if isinstance(payload, mmap.mmap):
        payload = memoryview(payload)
    return pybase64.b64decode(payload, validate=True)


def data_uri_chars(size_bytes: int, mime: str) -> int:
    """Length of ``data:<mime>;base64,<payload>`` for ``size_bytes`` bytes of audio."""
    return _PREFIX + len(mime) + 4 * math.ceil(size_bytes / 3)


def max_bytes_for_data_uri(mime: str, *, limits: Limits | None = None) -> int:
    """The largest file whose data URI fits :attr:`Limits.max_data_uri_chars`."""
    room = (limits or DEFAULT_LIMITS).max_data_uri_chars - _PREFIX - len(mime)
    return max(room, 0) // 4 * 3


def inline_limit_bytes(mime: str, *, model: str | None = None, limits: Limits | None = None) -> int:
    """The largest file ``model`` takes inline, as a data URI (the ASR model has its own, smaller limit)."""
    check_str(mime, option="mime")
    check_str(model, option="model", none=True)
    check_limits(limits)
    limits = limits or DEFAULT_LIMITS
    if model is not None and get_model(model, warn=False).asr:
        limits = dataclasses.replace(limits, max_data_uri_chars=limits.asr_max_data_uri_chars)
    return max_bytes_for_data_uri(mime, limits=limits)
