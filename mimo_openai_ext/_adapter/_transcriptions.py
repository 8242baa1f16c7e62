"""``POST .../audio/transcriptions`` (Whisper's multipart form), served by our Whisper shim.

MiMo has no such endpoint. The adapter reads the form (python-multipart), hands it to
:func:`~mimo_openai_ext._whisper.transcriptions` over an ``openai`` client that sends through
the adapter's own upstream transport (the same host, key and connection pool), and answers
as OpenAI would: ``{"text": ...}`` for ``json``, Whisper's ``verbose_json`` object (segments
with times) for ``verbose_json``, plain text for ``text``, ``srt`` and ``vtt``. What MiMo
cannot serve (word timestamps, speakers, ...) is a 400 in MiMo's error shape, from the shim's
own check. The shim makes one attempt: the client's own retries already cover this request.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._exceptions import InvalidAudioSourceError
from .._retry import RetryPolicy
from .._whisper import transcriptions

if TYPE_CHECKING:
    from openai import AsyncOpenAI, OpenAI

__all__ = ["ONE_ATTEMPT", "TranscriptionForm", "parse_form", "result_body", "run_async", "run_sync", "target"]

ONE_ATTEMPT = RetryPolicy(attempts=1)
_MAX_FORM_BYTES = 512 * 1024 * 1024
"""The form is held in memory (a file part is read whole anyway)."""
_TEXT_FIELDS = ("model", "language", "prompt", "response_format")


@dataclass(frozen=True)
class TranscriptionForm:
    """What a Whisper-style multipart form carried."""

    filename: str
    data: bytes
    model: str
    options: dict[str, Any] = field(default_factory=dict)
    """``language``, ``prompt``, ``response_format``, ``temperature`` and whatever else was sent."""

    @property
    def response_format(self) -> str:
        value = self.options.get("response_format")
        return value if isinstance(value, str) else "json"


def _refuse(why: str) -> InvalidAudioSourceError:
    return InvalidAudioSourceError(
        f"audio/transcriptions: {why}; send a multipart form with 'file' and 'model', as "
        "client.audio.transcriptions.create(file=..., model='whisper-1') does",
        source_name="<form>",
    )


def _value(name: str, raw: bytes) -> object:
    text = raw.decode("utf-8", "replace")
    if name == "temperature":
        try:
            return float(text)
        except ValueError:
            return text  # the shim refuses it with its own message
    if name == "stream":
        return text.strip().lower() == "true"
    return text


def parse_form(body: bytes, content_type: str) -> TranscriptionForm:
    """The form's fields and file; a form without ``file`` or ``model`` is refused."""
    import python_multipart
    from python_multipart.exceptions import FormParserError

    if "multipart/form-data" not in content_type.lower():
        raise _refuse(f"expected multipart/form-data, got {content_type or 'no content type'!r}")
    fields: dict[str, Any] = {}
    files: list[tuple[str, bytes]] = []

    def on_field(item: Any) -> None:
        name = (item.field_name or b"").decode("utf-8", "replace")
        value = _value(name.removesuffix("[]"), item.value or b"")
        if name.endswith("[]"):
            fields.setdefault(name[:-2], []).append(value)
        else:
            fields[name] = value

    def on_file(item: Any) -> None:
        if (item.field_name or b"") == b"file":
            item.file_object.seek(0)
            name = (item.file_name or b"audio").decode("utf-8", "replace")
            files.append((name, item.file_object.read()))
        else:
            fields[(item.field_name or b"").decode("utf-8", "replace")] = "<a file>"

    headers = {"Content-Type": content_type.encode("latin-1"), "Content-Length": str(len(body)).encode()}
    try:
        python_multipart.parse_form(headers, io.BytesIO(body), on_field, on_file)
    except (FormParserError, ValueError) as exc:
        raise _refuse(f"the multipart form does not parse ({exc})") from None
    model = fields.pop("model", None)
    if not files:
        raise _refuse("the form has no 'file' part")
    if not isinstance(model, str) or not model:
        raise _refuse("the form has no 'model' field")
    return TranscriptionForm(files[0][0], files[0][1], model, fields)


def target(url: str, headers: Mapping[str, str], *, path: str = "/audio/transcriptions") -> tuple[str, str]:
    """The base URL (the request's, less ``path``) and the key the request carries."""
    base = url.split("?", 1)[0].rstrip("/").removesuffix(path)
    auth = headers.get("authorization", "")
    key = auth[7:].strip() if auth[:7].lower() == "bearer " else headers.get("api-key", "")
    return base, key or "<no key>"


def _kwargs(form: TranscriptionForm) -> dict[str, Any]:
    return {"file": (form.filename, form.data), "model": form.model, **form.options}


def result_body(result: object, response_format: str) -> tuple[str, bytes]:
    """``(content type, body)`` as OpenAI answers a transcription."""
    if isinstance(result, str):
        return "text/plain; charset=utf-8", result.encode("utf-8")
    if response_format == "verbose_json":
        whole = result.to_dict(exclude_unset=False) if hasattr(result, "to_dict") else {}
        return "application/json", json.dumps(whole, ensure_ascii=False).encode("utf-8")
    text = getattr(result, "text", "")
    return "application/json", json.dumps({"text": text}, ensure_ascii=False).encode("utf-8")


def run_sync(form: TranscriptionForm, client: OpenAI) -> tuple[str, bytes]:
    """Transcribe through the shim on ``client``; ``(content type, body)``."""
    result = transcriptions(client, retry=ONE_ATTEMPT).create(**_kwargs(form))
    return result_body(result, form.response_format)


async def run_async(form: TranscriptionForm, client: AsyncOpenAI) -> tuple[str, bytes]:
    """The async twin of :func:`run_sync`."""
    result = await transcriptions(client, retry=ONE_ATTEMPT).create(**_kwargs(form))
    return result_body(result, form.response_format)
