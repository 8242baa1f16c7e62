"""Moving OpenAI audio code to MiMo: message shapes both ways, and a Whisper-shaped shim.

``to_mimo_messages``, ``to_openai_messages`` and ``transcriptions`` are also at the top;
this module adds the per-part converters, ``to_mimo_request`` (a whole request, by the rules
the HTTP adapter applies on the wire) and the shim's types.
"""

from __future__ import annotations

from ._config import OPENAI_INPUT_AUDIO_FORMATS, WHISPER_MODEL_MAP
from ._migrate import to_mimo_messages, to_mimo_part, to_mimo_request, to_openai_messages, to_openai_part
from ._whisper import AsyncMimoTranscriptions, MimoTranscriptions, TranscriptionFile, transcriptions

__all__ = [
    "OPENAI_INPUT_AUDIO_FORMATS",
    "WHISPER_MODEL_MAP",
    "AsyncMimoTranscriptions",
    "MimoTranscriptions",
    "TranscriptionFile",
    "to_mimo_messages",
    "to_mimo_part",
    "to_mimo_request",
    "to_openai_messages",
    "to_openai_part",
    "transcriptions",
]
