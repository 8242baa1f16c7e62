"""Keeping API keys out of messages: one masking rule for the library and the CLI.

A server (MiMo, a proxy, our emulator) may repeat the key it was sent in an error body,
whole (``Invalid API Key Bearer sk-...``) or as a leading piece (``sk-wro...``). The SDK
copies that body into the exception's message, ``args`` and ``.body``. :func:`mask`
replaces the key and any leading piece of it past its kind prefix (``sk-``, ``tp-``)
with ``***``; :func:`redact_exception` applies it to everything an ``openai`` error
shows: ``str``, ``repr``, ``.message``, ``.body`` (nested), ``.param``/``.code``/``.type``,
and the body of the HTTP response attached as ``.response`` (``.text``, ``.content``,
``.json()``): that response is replaced by a copy holding the masked body (built with the
response class's own constructor, so httpx and httpx2 alike; the ``HTTPStatusError`` the
error was raised from gets the same copy). The request attached as
``.request`` is the request as sent (its ``Authorization`` header holds the key) and is
left alone.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

__all__ = ["MIN_SECRET_CHARS", "mask", "mask_value", "redact_exception", "request_secrets", "secrets_for"]

MIN_SECRET_CHARS = 8
"""A shorter "key" (``EMPTY``, ``none``, ``x``) is no secret, and masking it would mangle text."""
_MIN_PIECE_CHARS = 6
"""The shortest leading piece masked: ``sk-`` plus 3 characters (the emulator echoes 6)."""


def mask(text: str, secrets: Iterable[str]) -> str:
    """Replace each secret, and any leading piece of it past its kind prefix, with ``***``.

    ``sk-SECRET123`` becomes ``***``; an echoed ``sk-SEC...`` becomes ``sk-***...``.
    """
    for secret in secrets:
        if not secret:
            continue
        text = text.replace(secret, "***")
        kind = secret.split("-", 1)[0] + "-" if "-" in secret[:4] else ""
        for length in range(len(secret) - 1, max(len(kind) + 3, _MIN_PIECE_CHARS) - 1, -1):
            if secret[:length] in text:
                text = text.replace(secret[:length], kind + "***")
    return text


def mask_value(value: Any, secrets: Iterable[str]) -> Any:
    """``value`` with every string inside it masked (dicts, lists and tuples are copied)."""
    found = tuple(secrets)
    if isinstance(value, str):
        return mask(value, found)
    if isinstance(value, dict):
        return {mask_value(k, found): mask_value(v, found) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(mask_value(v, found) for v in value)
    if isinstance(value, (bytes, bytearray)):
        try:
            return mask(bytes(value).decode("utf-8"), found).encode("utf-8")
        except UnicodeDecodeError:
            return value
    return value


def request_secrets(exc: BaseException) -> list[str]:
    """The key an ``openai`` error's request carried (``Authorization: Bearer`` / ``api-key``)."""
    headers = getattr(getattr(exc, "request", None), "headers", None)
    get = getattr(headers, "get", None)
    if not callable(get):
        return []
    found = []
    auth = get("authorization")
    if isinstance(auth, str) and auth[:7].lower() == "bearer ":
        found.append(auth[7:].strip())
    api_key = get("api-key")
    if isinstance(api_key, str):
        found.append(api_key.strip())
    return found


def secrets_for(exc: BaseException, secrets: Iterable[str | None] = ()) -> list[str]:
    """``secrets`` plus the key ``exc``'s request carried, minus keys too short to be secrets."""
    found = [*secrets, *request_secrets(exc)]
    usable = {s.strip() for s in found if isinstance(s, str) and len(s.strip()) >= MIN_SECRET_CHARS}
    return sorted(usable, key=len, reverse=True)  # a longer key first: it may contain a shorter one


def redact_exception(exc: BaseException, secrets: Iterable[str | None] = ()) -> None:
    """Mask ``secrets`` (and the key the failed request carried) everywhere ``exc`` shows text.

    Changes ``exc`` in place: ``args``, ``message``, ``body``, ``param``, ``code``, ``type``.
    Keys shorter than :data:`MIN_SECRET_CHARS` are left alone.
    """
    found = secrets_for(exc, secrets)
    if not found:
        return
    exc.args = tuple(mask_value(arg, found) for arg in exc.args)
    for name in ("message", "body", "param", "code", "type"):
        try:
            value = getattr(exc, name)
        except AttributeError:
            continue
        masked = mask_value(value, found)
        if masked != value:
            with contextlib.suppress(AttributeError):  # a read-only property stays as it is
                setattr(exc, name, masked)
    _redact_response(exc, found)


_RECOMPUTED_HEADERS = ("content-length", "content-encoding", "transfer-encoding")
"""Headers of the original response that would not describe the masked (decoded) body."""


def _redact_response(exc: BaseException, found: list[str]) -> None:
    """Replace ``exc.response`` by a copy whose body is masked, when its body holds a secret."""
    response: Any = getattr(exc, "response", None)
    try:
        content = response.content  # raises when the body was never read (or there is no response)
    except Exception:
        return
    if not isinstance(content, bytes):
        return
    text = content.decode("utf-8", "surrogateescape")
    masked = mask(text, found)
    if masked == text:
        return
    try:
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _RECOMPUTED_HEADERS]
        copy = type(response)(
            response.status_code,
            headers=headers,
            content=masked.encode("utf-8", "surrogateescape"),
            request=response.request,
            extensions=response.extensions,
        )
        with contextlib.suppress(RuntimeError):  # no elapsed time on a response never closed
            copy.elapsed = response.elapsed
    except Exception:  # pragma: no cover - an HTTP library whose Response differs from httpx's
        return
    for linked in _chain(exc):  # the SDK's error, and the HTTPStatusError it was raised from
        if getattr(linked, "response", None) is response:
            with contextlib.suppress(AttributeError):
                setattr(linked, "response", copy)  # noqa: B010 - any exception type: none declared


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and the exceptions it was raised from or during (each once)."""
    found: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop()
        if item is None or any(item is seen for seen in found):
            continue
        found.append(item)
        todo += [item.__cause__, item.__context__]
    return found
