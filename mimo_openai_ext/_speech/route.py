"""``POST .../audio/speech`` (OpenAI's speech endpoint) served by the speech shim: one rule set.

MiMo has no such endpoint. An HTTP layer (the adapter's transports, the proxy) hands the
request body here with an ``openai`` client that reaches MiMo, and answers with what comes
back: the audio bytes and their ``Content-Type``, as OpenAI answers. What the shim refuses
(an unknown format, ``stream_format="sse"``, a custom voice object) is a
:class:`MimoAudioError`, which the HTTP layer turns into a 400 in MiMo's error shape. One
attempt per piece: the calling client's own retries cover the request.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .._config import OPENAI_SPEECH_MODEL_MAP
from .._exceptions import InvalidOptionError
from .._retry import NO_RETRY
from .shim import AsyncMimoSpeech, MimoSpeech

if TYPE_CHECKING:
    from openai import AsyncOpenAI, OpenAI

__all__ = ["SPEECH_PATH", "answer_speech", "answer_speech_async", "mimo_speech_model", "parse_speech_body"]

SPEECH_PATH = "/audio/speech"
_REQUIRED = ("model", "input", "voice")


def _refuse(why: str) -> InvalidOptionError:
    return InvalidOptionError(
        f"audio/speech: {why}; send a JSON object with 'model', 'input' and 'voice', as "
        "client.audio.speech.create(model='tts-1', voice='alloy', input='...') does",
        option="body",
    )


def parse_speech_body(body: bytes) -> dict[str, Any]:
    """The JSON object OpenAI's ``audio.speech.create`` posts; anything else is refused."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise _refuse(f"the body is not JSON ({exc})") from None
    if not isinstance(payload, dict):
        raise _refuse(f"the body is a JSON {type(payload).__name__}, not an object")
    missing = [key for key in _REQUIRED if key not in payload]
    if missing:
        raise _refuse(f"the body has no {', '.join(repr(k) for k in missing)}")
    return payload


def mimo_speech_model(payload: dict[str, Any]) -> str:
    """The MiMo model a parsed body is spoken with (OpenAI's ids through ``OPENAI_SPEECH_MODEL_MAP``),
    for the exchange and the proxy's access log."""
    model = str(payload["model"])
    return OPENAI_SPEECH_MODEL_MAP.get(model, model)


def answer_speech(payload: dict[str, Any], client: OpenAI) -> tuple[str, bytes]:
    """``(content type, audio)`` for a parsed body, spoken through ``client``."""
    spoken = MimoSpeech(client, retry=NO_RETRY).speak(**payload)
    return spoken.mime, spoken.data


async def answer_speech_async(payload: dict[str, Any], client: AsyncOpenAI) -> tuple[str, bytes]:
    """The async twin of :func:`answer_speech`."""
    spoken = await AsyncMimoSpeech(client, retry=NO_RETRY).speak(**payload)
    return spoken.mime, spoken.data
