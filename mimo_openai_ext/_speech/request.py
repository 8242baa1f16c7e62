"""One speech request in MiMo's dialect, and its answer read and checked before it is believed.

MiMo speaks through ``chat/completions`` (its TTS documentation and skill, third parties):

* the text to say is an ``assistant`` message; an optional ``user`` message before it says
  how (the voice-design model requires it: it is the description of the voice);
* ``audio: {"format": "wav" | "mp3" | "pcm" | "pcm16", "voice": ...}`` at the top level: a
  preset id for ``mimo-v2.5-tts``, the reference clip as a ``data:audio/wav;base64,...`` URI
  for the cloning model, nothing for the design model;
* the speech comes back base64 in ``choices[0].message.audio.data``; ``content`` may be empty
  or absent.

:func:`read_speech` checks that answer: an audio field, base64 that decodes, and bytes that
are the format asked for (a 200 without them is an :class:`InvalidResponseError`, retried
like a 5xx: gateways answer so under load).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from .._audio.probe import probe_bytes
from .._exceptions import InvalidResponseError, MimoAudioError
from .._response import body_start, field_of
from .plan import SpeechPlan

__all__ = ["read_speech", "speech_request"]


def speech_request(plan: SpeechPlan, piece: str) -> dict[str, Any]:
    """The ``chat.completions.create`` keyword arguments that speak ``piece``."""
    messages: list[dict[str, str]] = []
    if plan.user_text is not None:
        messages.append({"role": "user", "content": plan.user_text})
    messages.append({"role": "assistant", "content": piece})
    audio: dict[str, str] = {"format": plan.wire_format}
    if plan.kind == "preset" and plan.voice is not None:
        audio["voice"] = plan.voice
    elif plan.kind == "clone" and plan.reference_uri is not None:
        audio["voice"] = plan.reference_uri
    return {"model": plan.model.id, "messages": messages, "audio": audio}


def _invalid(why: str, completion: object, what: str) -> InvalidResponseError:
    body = body_start(completion)
    return InvalidResponseError(
        f"{what}: MiMo answered 200 without speech ({why}): {body!r}; retried like a server error. "
        "A text in place of audio may mean the text was refused: check the model is a speech model",
        body=body,
    )


def read_speech(completion: object, plan: SpeechPlan, *, piece: int = 0) -> bytes:
    """The audio bytes of a speech completion, checked to be ``plan.wire_format``.

    Raises :class:`InvalidResponseError` when the completion carries no audio, base64 that
    does not decode, or bytes that are not the format asked for.
    """
    what = f"speech piece {piece + 1} of {len(plan.pieces)}"
    choices = field_of(completion, "choices")
    if not isinstance(choices, list) or not choices:
        raise _invalid("no choices", completion, what)
    message = field_of(choices[0], "message")
    audio = field_of(message, "audio") if message is not None else None
    data = field_of(audio, "data") if audio is not None else None
    if not isinstance(data, str) or not data:
        content = field_of(message, "content") if message is not None else None
        why = "no message.audio.data" + (f"; content {str(content)[:80]!r}" if content else "")
        raise _invalid(why, completion, what)
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid("message.audio.data is not base64", completion, what) from None
    if plan.wire_format in ("pcm", "pcm16"):
        if len(raw) % 2:
            raise _invalid("raw 16-bit PCM of an odd number of bytes", completion, what)
        return raw
    try:
        info = probe_bytes(raw, source_name=what)
    except MimoAudioError as exc:
        raise _invalid(f"the audio does not read as {plan.wire_format}: {exc}", completion, what) from None
    if info.format != plan.wire_format:
        raise _invalid(f"{info.format} audio, {plan.wire_format} was asked for", completion, what)
    return raw
