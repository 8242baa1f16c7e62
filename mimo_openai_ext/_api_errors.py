"""Reading ``openai`` errors: the status, MiMo's detail, a hint, and the key masked.

MiMo puts its human explanation in ``error.param`` (``error.message`` is often generic);
:func:`api_error_detail` reads it, :func:`api_error_hint` says in a few words what to do
about an error, and :func:`surface_detail` applies both to a raised exception: the API
key masked (``_redact``), the detail appended to its message once, the hint added as a
note (Python 3.11+). The retry layer calls it on every error it lets through or reports;
the CLI reads the same detail and hint for its one-line errors. Given the request's
``model``, a "model not found / retired" answer (a 404, or a 400 whose detail speaks of the
model) also gets the table's word on it (``_models.model_error_note``: the retirement date
and successor, or the current line-up), in the message and as the hint.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence

from ._exceptions import InvalidResponseError
from ._models import model_error_note
from ._redact import redact_exception

__all__ = ["api_error_detail", "api_error_hint", "status_of", "surface_detail"]

_HINTS = {
    400: "check the request: audio format/size, model id, parameters",
    401: "check the API key (MIMO_API_KEY or --api-key) and that its kind matches the host: "
    "sk- keys use https://api.xiaomimimo.com/v1, tp-/ttp- keys a token-plan-*.xiaomimimo.com host",
    402: "the account balance is insufficient: top it up in the MiMo console",
    403: "refused by region or risk control: check the account and where you call from",
    404: "wrong endpoint or the model lacks this modality: check base_url and the model id",
    421: "refused by MiMo's content filter: change the input",
    429: "rate limited: slow down or retry later (limits are per model per account)",
}

_AUDIO_HINTS = (
    (
        "invalid audio format",
        "convert the audio to a format MiMo accepts (mp3, wav, flac, m4a, ogg): fit_audio() or "
        "input_audio_part(..., convert=True) in Python, `mimo-audio fit FILE` on the command line",
    ),
    (
        "too large",
        "shrink or split the audio: fit_audio() / split_audio() (`mimo-audio fit` / `mimo-audio split`), "
        "or send a file of up to 100 MB by https URL",
    ),
    (
        "`text` is not present",
        'add a text part beside the audio: user_message(input_audio_part(...), "your question")',
    ),
    (
        "failed to download audio",
        "MiMo could not fetch the audio URL: make it publicly reachable over https, or send the file "
        "itself as a data URI (input_audio_part(path))",
    ),
    (
        "invalid audio data",
        "the audio is damaged, truncated or mislabelled: check it with probe_audio() / "
        "`mimo-audio probe FILE`, and build the part with input_audio_part()",
    ),
)
"""MiMo's own words for an audio problem, and what this library offers for it. MiMo sends no
advice; the hints are ours, added on the client side."""


def status_of(exc: BaseException) -> int | None:
    """The HTTP status of an ``openai.APIStatusError`` (None for other errors)."""
    status = getattr(exc, "status_code", None)
    return status if isinstance(status, int) else None


def api_error_detail(exc: BaseException) -> str | None:
    """MiMo's human detail (``error.param``, else ``error.message``) from an openai error."""
    param = getattr(exc, "param", None)
    if isinstance(param, str) and param.strip():
        return param.strip()
    body = getattr(exc, "body", None)
    if isinstance(body, Mapping):
        for key in ("param", "message"):
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return None


def api_error_hint(exc: BaseException) -> str:
    """What to do about an openai error, in a few words."""
    import openai

    model_note = getattr(exc, "_mimo_model_note", None)
    if isinstance(model_note, str):
        return model_note

    if isinstance(exc, openai.APITimeoutError):
        return "the request timed out: retry later or raise the client's timeout"
    if isinstance(exc, openai.APIConnectionError):
        return "could not reach the server: check base_url and the network"
    status = status_of(exc)
    if status is not None and status >= 500:
        return "MiMo had a server error: retry later"
    if status == 400:
        said = " ".join(_said(exc)).lower()
        for needle, hint in _AUDIO_HINTS:
            if needle.lower() in said:
                return hint
    return _HINTS.get(status or 0, "see MiMo's error detail")


def _said(exc: BaseException) -> list[str]:
    """MiMo's ``error.message`` and ``error.param`` (what the server said, in its words)."""
    body = getattr(exc, "body", None)
    found = [getattr(exc, "param", None)]
    if isinstance(body, Mapping):
        found += [body.get("message"), body.get("param")]
    return [text for text in found if isinstance(text, str)]


def surface_detail(
    exc: BaseException, secrets: Sequence[str | None] = (), *, model: str | None = None
) -> None:
    """Mask the API key in ``exc``, put MiMo's ``error.param`` into its message (once), add a hint.

    With the request's ``model``, a "model not found / retired" answer also says what the
    table knows of that model (once).
    """
    import openai

    if not isinstance(exc, openai.APIError):
        if isinstance(exc, InvalidResponseError):  # its body is the server's: it may echo the key
            redact_exception(exc, secrets)
        return
    redact_exception(exc, secrets)  # every time: a caller further out may know another key
    if isinstance(model, str):
        _surface_model_note(exc, model)
    if getattr(exc, "_mimo_detail_surfaced", False):
        return
    try:
        exc._mimo_detail_surfaced = True  # type: ignore[attr-defined]
    except AttributeError:  # pragma: no cover - exotic exception types
        return
    detail = api_error_detail(exc)
    message = str(exc)
    if detail and detail not in message:
        message = f"{message} ({detail})"
        exc.args = (message, *exc.args[1:])
        if isinstance(getattr(exc, "message", None), str):
            exc.message = message
    if sys.version_info >= (3, 11):
        exc.add_note(f"mimo-openai-ext: {api_error_hint(exc)}")


def _surface_model_note(exc: BaseException, model: str) -> None:
    """Add the table's word on ``model`` to a "model not found / retired" answer (once)."""
    if getattr(exc, "_mimo_model_note", None) is not None:
        return
    detail = " ".join(filter(None, (api_error_detail(exc), getattr(exc, "message", None))))
    note = model_error_note(model, status_of(exc), detail)
    if note is None:
        return
    try:
        exc._mimo_model_note = note  # type: ignore[attr-defined]
    except AttributeError:  # pragma: no cover - exotic exception types
        return
    message = f"{exc} ({note})"
    exc.args = (message, *exc.args[1:])
    if isinstance(getattr(exc, "message", None), str):
        exc.message = message  # type: ignore[attr-defined]
    if getattr(exc, "_mimo_detail_surfaced", False) and sys.version_info >= (3, 11):
        exc.add_note(f"mimo-openai-ext: {note}")
