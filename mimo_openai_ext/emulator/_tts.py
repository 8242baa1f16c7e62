"""MiMo's speech (TTS) dialect: the request checked as MiMo does, and an answer with real audio.

What MiMo's speech models take (its TTS documentation and skill; third parties, live):

* ``model`` is a speech model of the table (``ModelSpec.speech``);
* the text to say is the last ``assistant`` message (a string, or text parts); a ``user``
  message before it says how to say it, and for the voice-design model it is required (it
  describes the voice); audio parts are refused (a speech model takes no audio input);
* ``audio: {"format", "voice", ...}``: ``format`` one of ``SpeechSpec.formats`` (default
  ``wav``; ``opus`` and anything else a 400); ``voice`` a preset of ``SpeechSpec.voices``
  (default ``SpeechSpec.default_voice``), the reference clip as a ``data:audio/wav`` or
  ``data:audio/mpeg`` base64 URI for the cloning model (required; its bytes must be what the
  MIME says, within ``reference_max_data_uri_chars``), nothing for the design model (our
  guess: MiMo documents it as taking no built-in voice, so a voice there is a 400);
  ``speed`` and ``style`` are accepted and change nothing, as tested live (2026-04-30);
* the answer's ``choices[0].message`` has ``audio: {"id", "data", "expires_at",
  "transcript"}`` (base64 audio) and no ``content``; ``stream: true`` sends the whole audio in
  one chunk (``delta.audio.data``), then the finish chunk.

Exact error wording for these 400s is not known; the statuses and MiMo's error shape are.
"""

from __future__ import annotations

import base64
import binascii
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from .._audio.encode import PcmAudio, decode_pcm, encode_pcm
from .._audio.probe import probe_bytes
from .._config import MimoSpeechFormat, SpeechSpec
from .._exceptions import MimoAudioError
from .._models import is_retired
from ._dialect import model_table
from ._errors import ApiError
from ._options import EmulatorOptions
from ._speech import ScriptedSpeech
from ._usage import MESSAGE_OVERHEAD_TOKENS, audio_tokens, text_tokens
from ._voice import estimate_pitch_hz, pitch_of_description, pitch_of_voice, synthesize

__all__ = ["SpeechReply", "speech_body", "speech_chunks", "speech_model", "speech_reply"]

_REFERENCE_MIMES = {"audio/wav": "wav", "audio/x-wav": "wav", "audio/mpeg": "mp3", "audio/mp3": "mp3"}
_ROLES = ("system", "developer", "user", "assistant")


@dataclass(frozen=True)
class SpeechReply:
    """One spoken answer, ready to serialise as a completion or as stream chunks."""

    id: str
    created: int
    model: str
    data: bytes
    duration_s: float
    stream: bool
    include_usage: bool
    usage: dict[str, object]
    said: ScriptedSpeech = field(repr=False)
    """The samples and when each word is said in them, for the ASR model to hear back."""


def _text_of(content: object, where: str) -> str:
    if content is None or isinstance(content, str):
        return content or ""
    if isinstance(content, list):
        texts = []
        for j, part in enumerate(content):
            kind = part.get("type") if isinstance(part, dict) else None
            if kind == "text" and isinstance(part, dict) and isinstance(part.get("text"), str):
                texts.append(str(part["text"]))
            elif kind == "input_audio":
                raise ApiError(400, f"{where}.content[{j}]: a speech model takes no audio input")
            else:
                raise ApiError(400, f"{where}.content[{j}]: unsupported part type {kind!r}")
        return "".join(texts)
    raise ApiError(400, f"{where}.content must be a string or a list of text parts")


def _messages(payload: Mapping[str, object], model: str) -> tuple[str, str, int]:
    """``(text to say, instructions, prompt tokens)``: the last assistant message, the user's before it."""
    messages = payload.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "messages must be a non-empty list")
    said: str | None = None
    instructions: list[str] = []
    tokens = MESSAGE_OVERHEAD_TOKENS
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, dict) or message.get("role") not in _ROLES:
            raise ApiError(400, f"{where} must be an object with role one of {', '.join(_ROLES)}")
        text = _text_of(message.get("content"), where)
        tokens += MESSAGE_OVERHEAD_TOKENS + text_tokens(text)
        if message["role"] == "assistant":
            said = text
        else:
            instructions.append(text)
    if said is None:
        raise ApiError(
            400, f"{model}: the text to synthesize goes in an assistant message; the request has none"
        )
    if not said.strip():
        raise ApiError(400, f"{model}: the assistant message (the text to synthesize) is empty")
    return said, "\n".join(t for t in instructions if t.strip()), tokens


def _audio_options(
    payload: Mapping[str, object], speech: SpeechSpec, model: str
) -> tuple[MimoSpeechFormat, object]:
    audio = payload.get("audio")
    if audio is None:
        audio = {}
    if not isinstance(audio, dict):
        raise ApiError(400, f"audio must be an object ({{'format': ..., 'voice': ...}}), got {audio!r:.60}")
    fmt = audio.get("format", "wav")
    known = [f for f in speech.formats if f == fmt]
    if not known:
        raise ApiError(
            400,
            f"audio.format {fmt!r} is not supported by {model}; supported: {', '.join(speech.formats)}",
        )
    for key in ("speed", "style"):  # accepted; no audible effect when tested
        value = audio.get(key)
        if (
            key == "speed"
            and value is not None
            and (isinstance(value, bool) or not isinstance(value, (int, float)))
        ):
            raise ApiError(400, f"audio.speed must be a number, got {value!r:.40}")
    return known[0], audio.get("voice")


def _reference_pitch(voice: object, speech: SpeechSpec, model: str) -> float:
    """The cloned voice's pitch, after checking the reference as MiMo would."""
    if not isinstance(voice, str) or not voice.startswith("data:"):
        raise ApiError(
            400,
            f"{model} needs the reference audio in audio.voice as data:audio/wav;base64,... (or audio/mpeg)",
        )
    if len(voice) > speech.reference_max_data_uri_chars:
        raise ApiError(
            400,
            f"audio.voice: the reference has {len(voice):,} characters; the limit is "
            f"{speech.reference_max_data_uri_chars:,}",
            message="audio data too large",
        )
    header, _, payload = voice.partition(",")
    mime = header[5:].split(";")[0].strip().lower()
    fmt = _REFERENCE_MIMES.get(mime)
    if fmt is None or not header.lower().endswith(";base64"):
        raise ApiError(400, f"audio.voice: {header[:60]!r} is not a wav or mp3 base64 data URI")
    try:
        data = base64.b64decode(payload, validate=True)
        info = probe_bytes(data, source_name="<reference>")
        if info.format != fmt:
            raise ApiError(400, f"audio.voice: labelled {mime} but the bytes are {info.format}")
        pcm = decode_pcm(data, source_name="<reference>")
    except (binascii.Error, ValueError, MimoAudioError) as exc:
        if isinstance(exc, ApiError):
            raise
        raise ApiError(
            400, "audio.voice: the reference audio does not decode", message="invalid audio data"
        ) from None
    return estimate_pitch_hz(pcm.samples, pcm.sample_rate_hz)


def _pitch(speech: SpeechSpec, voice: object, instructions: str, model: str) -> float:
    if speech.voice_kind == "clone":
        return _reference_pitch(voice, speech, model)
    if speech.voice_kind == "design":
        if voice is not None:
            raise ApiError(
                400, f"{model} takes no audio.voice: describe the voice in a user message before the text"
            )
        if not instructions.strip():
            raise ApiError(
                400, f"{model} needs a user message describing the voice (the voice design prompt)"
            )
        return pitch_of_description(instructions)
    name = speech.default_voice if voice is None else voice
    if not isinstance(name, str) or not name:
        raise ApiError(400, f"{model} needs audio.voice (one of {', '.join(speech.voices)})")
    if speech.voices and name not in speech.voices:
        raise ApiError(
            400, f"audio.voice {name!r} is not a voice of {model}; voices: {', '.join(speech.voices)}"
        )
    return pitch_of_voice(name)


def _stream(payload: Mapping[str, object]) -> tuple[bool, bool]:
    stream = payload.get("stream") or False
    if not isinstance(stream, bool):
        raise ApiError(400, f"stream must be true or false, got {stream!r}")
    options = payload.get("stream_options")
    return stream, isinstance(options, dict) and bool(options.get("include_usage"))


def speech_model(payload: Mapping[str, object], options: EmulatorOptions) -> tuple[SpeechSpec, str] | None:
    """The speech spec and id when the request names a current speech model, else None
    (chat models, unknown and retired ids go the chat way, which answers them)."""
    name = payload.get("model")
    spec = model_table(options).get(name) if isinstance(name, str) else None
    if spec is None or spec.speech is None or is_retired(spec):
        return None
    return spec.speech, spec.id


def speech_reply(
    payload: Mapping[str, object], speech: SpeechSpec, model: str, options: EmulatorOptions
) -> SpeechReply:
    """Check a speech request; "say" its text; raise ``ApiError`` where MiMo would refuse."""
    import numpy as np

    said, instructions, prompt_tokens = _messages(payload, model)
    fmt, voice = _audio_options(payload, speech, model)
    stream, include_usage = _stream(payload)
    pitch = _pitch(speech, voice, instructions, model)
    utterance = synthesize(said, pitch_hz=pitch, sample_rate_hz=speech.sample_rate_hz)
    samples = utterance.samples
    pcm = PcmAudio(samples.astype("float32") / np.float32(32768.0), speech.sample_rate_hz)
    data = encode_pcm(pcm, fmt)
    spoken = audio_tokens(pcm.duration_s, limits=options.limits)
    usage: dict[str, object] = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": spoken,
        "total_tokens": prompt_tokens + spoken,
        "prompt_tokens_details": {"audio_tokens": 0, "cached_tokens": 0},
        "completion_tokens_details": {"audio_tokens": spoken, "reasoning_tokens": 0},
    }
    heard = ScriptedSpeech(samples.astype("<i2").tobytes(), utterance.sample_rate_hz, utterance.words)
    return SpeechReply(
        uuid.uuid4().hex, int(time.time()), model, data, pcm.duration_s, stream, include_usage, usage, heard
    )


def _audio(reply: SpeechReply) -> dict[str, object]:
    return {
        "id": uuid.uuid5(uuid.NAMESPACE_OID, reply.id).hex,
        "data": base64.b64encode(reply.data).decode("ascii"),
        "expires_at": None,
        "transcript": None,
    }


def speech_body(reply: SpeechReply) -> dict[str, object]:
    """The completion: ``message.audio`` carries the speech; there is no ``content``."""
    return {
        "id": reply.id,
        "object": "chat.completion",
        "created": reply.created,
        "model": reply.model,
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "audio": _audio(reply)}}
        ],
        "usage": reply.usage,
    }


def speech_chunks(reply: SpeechReply) -> Iterator[dict[str, object]]:
    """``stream: true``: the whole audio in one chunk, the finish chunk, then (asked for) usage."""
    base = {"id": reply.id, "object": "chat.completion.chunk", "created": reply.created, "model": reply.model}
    yield {
        **base,
        "choices": [
            {"index": 0, "delta": {"role": "assistant", "audio": _audio(reply)}, "finish_reason": None}
        ],
    }
    yield {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    if reply.include_usage:
        yield {**base, "choices": [], "usage": reply.usage}
