"""A server's answer is validated before it is believed.

The openai SDK builds its response objects without validation (``construct``): a 200
whose body is ``{"error": ...}``, has no ``choices`` or an empty list of them, becomes a
``ChatCompletion`` full of ``None``; an HTML page comes back as a ``str``; broken JSON
raises a bare ``json.JSONDecodeError``. Read naively, each is an empty answer at $0.

* :func:`check_completion` passes a real chat completion through and raises
  :class:`InvalidResponseError` (status and the start of the body, the key masked) for
  anything else; the retry layer retries it like a 5xx.
* :func:`check_chunk` does the same for one stream chunk.
* :func:`not_json_error` turns the SDK's ``JSONDecodeError`` into the same error.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from ._exceptions import InvalidResponseError
from ._redact import mask

__all__ = ["BODY_START_CHARS", "body_start", "check_chunk", "check_completion", "field_of", "not_json_error"]

_T = TypeVar("_T")

BODY_START_CHARS = 300
"""How much of a bad body an error keeps (enough to recognise it, never a whole page)."""


def field_of(obj: object, name: str) -> Any:
    """``obj.name`` for SDK objects, ``obj[name]`` for plain JSON dicts (``model_dump()``, raw bodies);
    a field the SDK's model does not declare (MiMo's ``reasoning_content``) from ``model_extra``."""
    if isinstance(obj, Mapping):
        return obj.get(name)
    value = getattr(obj, name, None)
    if value is None:
        value = (getattr(obj, "model_extra", None) or {}).get(name)
    return value


def _plain(value: object) -> object:
    """An SDK model as the JSON it was built from (anything else as it is)."""
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            return dump(warnings=False, exclude_unset=True)
        except Exception:  # a half-built model: show its repr instead
            return repr(value)
    return value


def body_start(value: object, secrets: Iterable[str] = ()) -> str:
    """The first :data:`BODY_START_CHARS` characters of a body, with ``secrets`` masked."""
    plain = _plain(value)
    if isinstance(plain, str):
        text = plain
    else:
        try:
            text = json.dumps(plain, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = repr(plain)
    text = mask(text, [s for s in secrets if s])
    return text if len(text) <= BODY_START_CHARS else text[: BODY_START_CHARS - 3] + "..."


def _problem(value: object) -> str | None:
    """What makes ``value`` not a chat completion, or None when it is one."""
    if isinstance(value, (str, bytes)):
        return "a body that is not JSON" if value else "an empty body"
    if not isinstance(value, Mapping) and not hasattr(value, "choices"):
        return f"a JSON {type(value).__name__}, not an object"
    error = field_of(value, "error")
    if error is not None:
        message = (
            field_of(error, "message") if isinstance(error, Mapping) or hasattr(error, "message") else error
        )
        return f"an error object ({str(message)[:120]})" if message else "an error object"
    choices = field_of(value, "choices")
    if not isinstance(choices, list):
        return "no choices"
    if not choices:
        return "an empty choices list"
    if field_of(choices[0], "message") is None:
        return "a choice without a message"
    return None


def check_completion(value: _T, *, secrets: Iterable[str] = ()) -> _T:
    """``value`` when it is a chat completion; otherwise :class:`InvalidResponseError`."""
    problem = _problem(value)
    if problem is None:
        return value
    start = body_start(value, secrets)
    raise InvalidResponseError(
        f"the server answered with {problem} instead of a chat completion ({start!r}); "
        "a gateway or proxy in the way may be failing: retried like a server error, "
        "check base_url if it persists",
        body=start,
    )


def check_chunk(value: Any, *, number: int, secrets: Iterable[str] = ()) -> str | None:
    """Why ``value`` is not a chat completion chunk (None when it is one): ``choices`` must be a list."""
    choices = field_of(value, "choices") if not isinstance(value, (str, bytes)) else None
    if isinstance(choices, list) and (isinstance(value, Mapping) or hasattr(value, "choices")):
        return None
    return f"chunk {number} of the stream is not a chat completion chunk ({body_start(value, secrets)!r})"


def not_json_error(
    exc: json.JSONDecodeError, *, secrets: Iterable[str] = (), what: str = "body"
) -> InvalidResponseError:
    """The SDK's ``JSONDecodeError`` (a 200 whose body is not JSON) as an :class:`InvalidResponseError`."""
    start = body_start(exc.doc, secrets)
    return InvalidResponseError(
        f"the server answered with a {what} that is not valid JSON ({exc.msg} at character {exc.pos}: "
        f"{start!r}) instead of a chat completion; retried like a server error, check base_url "
        "if it persists",
        body=start,
    )
