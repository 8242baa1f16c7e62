"""Moving OpenAI audio code to MiMo: message shapes both ways, and Whisper- and speech-shaped shims.

``to_mimo_messages``, ``to_openai_messages``, ``transcriptions`` and ``speech`` are also at
the top; this module adds the per-part converters, ``to_mimo_request`` (a whole request, by the
rules the HTTP adapter applies on the wire), the shims' types and the tables that map OpenAI's
names (``WHISPER_MODEL_MAP``, ``OPENAI_SPEECH_MODEL_MAP``, ``OPENAI_VOICE_MAP``).
"""

from __future__ import annotations

from ._config import OPENAI_INPUT_AUDIO_FORMATS, OPENAI_SPEECH_MODEL_MAP, OPENAI_VOICE_MAP, WHISPER_MODEL_MAP
from ._migrate import to_mimo_messages, to_mimo_part, to_mimo_request, to_openai_messages, to_openai_part
from ._speech.shim import (
    OPENAI_SPEECH_FORMATS,
    AsyncMimoSpeech,
    AsyncSpeechStreamResponse,
    MimoSpeech,
    SpeechStreamResponse,
    speech,
)
from ._whisper import AsyncMimoTranscriptions, MimoTranscriptions, TranscriptionFile, transcriptions

__all__ = [
    "OPENAI_INPUT_AUDIO_FORMATS",
    "OPENAI_SPEECH_FORMATS",
    "OPENAI_SPEECH_MODEL_MAP",
    "OPENAI_VOICE_MAP",
    "WHISPER_MODEL_MAP",
    "AsyncMimoSpeech",
    "AsyncMimoTranscriptions",
    "AsyncSpeechStreamResponse",
    "MimoSpeech",
    "MimoTranscriptions",
    "SpeechStreamResponse",
    "TranscriptionFile",
    "speech",
    "to_mimo_messages",
    "to_mimo_part",
    "to_mimo_request",
    "to_openai_messages",
    "to_openai_part",
    "transcriptions",
]
