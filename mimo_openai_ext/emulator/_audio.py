"""Reading one ``input_audio`` part as MiMo would: data URI or URL, real format, duration.

A URL is fetched only from a loopback host, and every redirect hop is checked against
that rule before it is followed (at most :data:`MAX_REDIRECTS`). The whole fetch, hops
included, has one deadline (``url_fetch_timeout_s``), kept per socket read, so a server
trickling bytes cannot hold it; the bytes fetched are taken from the request's byte budget
(:data:`fetch_budget`, set by the server) as they arrive.
"""

from __future__ import annotations

import binascii
import contextvars
import hashlib
import http.client
import ipaddress
import re
import socket
import sys
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from .._audio.probe import probe_bytes
from .._config import AUDIO_FORMATS, Limits, ModelSpec
from .._exceptions import MimoAudioError, UnsupportedAudioFormatError
from ._errors import ApiError
from ._speech import ScriptedSpeech, recognise
from ._usage import audio_tokens

__all__ = ["MAX_REDIRECTS", "HeardAudio", "fetch_budget", "read_audio_part"]

MAX_REDIRECTS = 5
_FETCH_PIECE = 1 << 16


class _Budget(Protocol):
    def take(self, size_bytes: int, *, timeout_s: float) -> bool: ...


fetch_budget: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar(
    "emulator_fetch_budget", default=None
)
"""The byte budget of the request being handled (set by the server around it)."""

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
_B64_SLICE_CHARS = 4 << 20  # a multiple of 4
_B64_RE = re.compile(r"[A-Za-z0-9+/]*={0,2}")


@dataclass(frozen=True)
class HeardAudio:
    """What the emulator made of one audio part (``tokens == 0`` when it was ignored)."""

    format: str
    duration_s: float
    sample_rate_hz: int
    channels: int
    size_bytes: int
    tokens: int
    digest: bytes
    origin: str
    """``"data-uri"``, ``"url"``, ``"raw-base64"`` (heard, when so configured) or ``"ignored"``
    (raw base64 without ``data:``, by default)."""
    heard_text: str | None = None
    """For an ASR model: the words of the registered speech this audio is a piece of."""


def _invalid_format(where: str, detail: str, *, allowed: tuple[str, ...]) -> ApiError:
    return ApiError(
        400,
        f"{where}: {detail}",
        message=f"invalid audio format, only {'/'.join(allowed)} are supported",
    )


def _allowed(model: ModelSpec) -> tuple[str, ...]:
    if model.asr and model.asr_formats:
        return tuple(model.asr_formats)
    return ("mp3", "flac", "m4a", "wav", "ogg")


def _format_of_mime(mime: str) -> str | None:
    mime = mime.strip().lower()
    for spec in AUDIO_FORMATS.values():
        if mime == spec.mime or mime in spec.aliases:
            return spec.name
    return None


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _failed(where: str, url: str, why: str) -> ApiError:
    return ApiError(400, f"{where}: could not fetch {url[:200]}: {why}", message="failed to download audio")


def _checked_hop(url: str, where: str, *, first: str) -> urllib.parse.SplitResult:
    """The parts of ``url`` if the emulator may fetch it: http(s), a loopback host."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ApiError(400, f"{where}: {url[:80]!r} is neither an http(s) URL nor a data: URI")
    if not _is_loopback(parts.hostname):
        hop = "" if url == first else f" (a redirect from {first[:200]})"
        raise ApiError(
            400,
            f"{where}: audio URL {url[:200]}{hop} is not publicly reachable (this emulator fetches URLs "
            "only from loopback hosts such as 127.0.0.1, redirects included)",
            message="failed to download audio",
        )
    return parts


def _fetch(url: str, where: str, *, limits: Limits, timeout_s: float) -> bytearray:
    """The bytes at ``url``: redirects checked hop by hop, one deadline, bytes taken from the budget."""
    deadline = time.monotonic() + timeout_s
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        parts = _checked_hop(current, where, first=url)
        left = deadline - time.monotonic()
        if left <= 0:
            break
        kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        conn = kind(parts.hostname or "", parts.port, timeout=left)
        try:
            path = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
            conn.request("GET", path, headers={"User-Agent": "mimo-emulator", "Accept": "*/*"})
            sock = conn.sock  # kept: the response may take it over (Connection: close)
            response = conn.getresponse()
            if response.status in (301, 302, 303, 307, 308):
                location = response.getheader("Location")
                if not location:
                    raise _failed(where, current, f"HTTP {response.status} without a Location")
                current = urllib.parse.urljoin(current, location)
                continue
            if response.status != 200:
                raise _failed(where, current, f"HTTP {response.status} {response.reason}")
            return _read_fetched(response, sock, where, current, limits=limits, deadline=deadline)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            if isinstance(exc, (TimeoutError, socket.timeout)):
                break
            raise _failed(where, current, str(exc) or type(exc).__name__) from None
        finally:
            conn.close()
    else:
        raise _failed(where, url, f"more than {MAX_REDIRECTS} redirects")
    raise _failed(where, url, f"no whole answer within {timeout_s:g} s")


def _read_fetched(
    response: http.client.HTTPResponse,
    sock: socket.socket | None,
    where: str,
    url: str,
    *,
    limits: Limits,
    deadline: float,
) -> bytearray:
    budget = fetch_budget.get()
    data = bytearray()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        if sock is not None:
            sock.settimeout(left)
        piece = response.read1(_FETCH_PIECE)
        if not piece:
            return data
        if len(data) + len(piece) > limits.max_url_file_bytes:
            raise ApiError(
                400,
                f"{where}: the file at {url[:200]} is over {limits.max_url_file_bytes:,} bytes",
                message="audio file too large",
            )
        if budget is not None and not budget.take(len(piece), timeout_s=left):
            raise ApiError(
                503,
                f"{where}: the emulator holds its whole byte budget in other requests; retry shortly",
                headers={"Retry-After": "1"},
            )
        data += piece


def _a2b_checked(piece: str) -> bytes:
    """Python 3.10: check the alphabet with a regex, then decode."""
    if not _B64_RE.fullmatch(piece):
        raise binascii.Error("characters outside the base64 alphabet")
    return binascii.a2b_base64(piece)


if sys.version_info >= (3, 11):

    def _a2b(piece: str) -> bytes:
        return binascii.a2b_base64(piece, strict_mode=True)

else:
    _a2b = _a2b_checked


def _b64decode(text: str, start: int) -> bytearray:
    """Strict base64 of ``text[start:]``, decoded in slices so no second copy of it is made."""
    end = len(text)
    if (end - start) % 4:
        raise binascii.Error("length is not a multiple of 4")
    out = bytearray()
    for i in range(start, end, _B64_SLICE_CHARS):
        piece = text[i : i + _B64_SLICE_CHARS]
        last = i + _B64_SLICE_CHARS >= end
        if "=" in piece and not last:
            raise binascii.Error("padding inside the data")
        out += _a2b(piece)
    return out


def _decode_data_uri(uri: str, where: str, model: ModelSpec, limits: Limits) -> tuple[bytearray, str]:
    """The bytes and the format named by the MIME type of ``data:<mime>;base64,<b64>``."""
    limit = limits.asr_max_data_uri_chars if model.asr else limits.max_data_uri_chars
    if len(uri) > limit:
        raise ApiError(
            400,
            f"{where}: the data URI has {len(uri):,} characters; the limit for {model.id} is {limit:,}",
            message="audio data too large",
        )
    comma = uri.find(",")
    header = uri[: max(comma, 0)][:200]
    params = header[len("data:") :].split(";")
    if comma < 0 or params[-1].strip().lower() != "base64":
        raise ApiError(400, f"{where}: expected data:<mime>;base64,<data>, got {header[:80]!r}")
    fmt = _format_of_mime(params[0])
    allowed = _allowed(model)
    if fmt is None or fmt not in allowed:
        raise _invalid_format(where, f"MIME type {params[0]!r} is not accepted", allowed=allowed)
    try:
        data = _b64decode(uri, comma + 1)
    except binascii.Error:
        raise ApiError(
            400, f"{where}: the base64 payload is malformed", message="invalid audio data"
        ) from None
    return data, fmt


def _refused_detail(exc: UnsupportedAudioFormatError, url: str | None, allowed: tuple[str, ...]) -> str:
    """What the bytes are, as MiMo would say it: no advice (the client library adds its own)."""
    what = f"the audio at {url[:200]}" if url else "the audio"
    if exc.found.startswith(("a ", "an ")) or ", not audio;" in str(exc):  # an image, text, JSON: not audio
        return f"{what} is {exc.found}, not audio"
    return f"{what} is {exc.found}, which is not accepted ({', '.join(allowed)} only)"


def _probe(
    data: bytes | bytearray,
    where: str,
    model: ModelSpec,
    limits: Limits,
    origin: str,
    label: str | None,
    url: str | None = None,
    speech: Sequence[ScriptedSpeech] = (),
) -> HeardAudio:

    allowed = _allowed(model)
    try:
        info = probe_bytes(data, source_name="<audio>")
    except UnsupportedAudioFormatError as exc:
        raise _invalid_format(where, _refused_detail(exc, url, allowed), allowed=allowed) from None
    except MimoAudioError as exc:
        detail = str(exc).removeprefix("<audio>: ")
        fetched = f" (fetched from {url[:200]})" if url else ""
        raise ApiError(
            400, f"{where}: the audio{fetched} {detail}", message="invalid audio data, failed to decode"
        ) from None
    if label is not None and info.format != label:
        raise _invalid_format(where, f"labelled {label} but the bytes are {info.format}", allowed=allowed)
    if info.format not in allowed:
        raise _invalid_format(where, f"the bytes are {info.format}", allowed=allowed)
    return HeardAudio(
        format=info.format,
        duration_s=info.duration_s,
        sample_rate_hz=info.sample_rate_hz,
        channels=info.channels,
        size_bytes=len(data),
        tokens=audio_tokens(info.duration_s, limits=limits),
        digest=hashlib.sha256(data).digest(),
        origin=origin,
        heard_text=recognise(data, speech) if model.asr else None,
    )


def read_audio_part(
    part: dict[str, object],
    where: str,
    *,
    model: ModelSpec,
    limits: Limits,
    timeout_s: float,
    format_key: str = "ignore",
    raw_base64: str = "ignore",
    speech: Sequence[ScriptedSpeech] = (),
) -> HeardAudio:
    """Decode and probe one ``input_audio`` part, or raise the ``ApiError`` MiMo would send.

    ``format_key`` and ``raw_base64`` say what a ``format`` key beside a data URI or URL
    and raw base64 without ``data:`` get (``EmulatorOptions``; MiMo's own rule is unknown).
    An ASR model's audio found in registered ``speech`` carries its words (``heard_text``).
    """
    body = part.get("input_audio")
    data_field = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data_field, str) or not data_field:
        raise ApiError(400, f"{where}.input_audio.data is required (a data: URI or an https URL)")
    declared = body.get("format") if isinstance(body, dict) else None
    is_uri = data_field[:5].lower() == "data:"
    is_url = data_field[:8].lower().startswith(("http://", "https://"))
    if declared is not None and (is_uri or is_url) and format_key == "refuse":
        raise ApiError(
            400, f"{where}.input_audio.format is not a field MiMo takes: send only input_audio.data"
        )
    if is_uri:
        data, label = _decode_data_uri(data_field, where, model, limits)
        return _probe(data, where, model, limits, "data-uri", label, speech=speech)
    if is_url:
        if model.asr:
            raise ApiError(400, f"{where}: {model.id} accepts audio only as a data: URI, not a URL")
        fetched = _fetch(data_field, where, limits=limits, timeout_s=timeout_s)
        return _probe(fetched, where, model, limits, "url", None, url=data_field)
    if raw_base64 == "refuse":
        raise ApiError(
            400,
            f"{where}.input_audio.data must be a data: URI (data:<mime>;base64,<data>) or an http(s) URL",
        )
    if raw_base64 == "hear":
        try:
            raw = _b64decode(data_field, 0)
        except binascii.Error:
            raise ApiError(
                400, f"{where}: the base64 payload is malformed", message="invalid audio data"
            ) from None
        named = declared if isinstance(declared, str) and declared in AUDIO_FORMATS else None
        return _probe(raw, where, model, limits, "raw-base64", named)
    # OpenAI's raw base64 (+ "format"): MiMo reportedly ignores the audio without an error.
    digest = hashlib.sha256(data_field[:1_000_000].encode("ascii", "replace")).digest()
    return HeardAudio("unknown", 0.0, 0, 0, 0, 0, digest, "ignored")
