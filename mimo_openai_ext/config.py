"""The one table: every model id, limit, MIME spelling and price, overridable.

Mutate the tables (``MODELS["my-model"] = ModelSpec(...)``) or pass a replacement
(``limits=dataclasses.replace(DEFAULT_LIMITS, ...)``) to the functions that take one.
``load_capabilities(path)`` (or ``MIMO_CAPABILITIES=path``) applies what ``mimo-audio
doctor`` found on your account. ``allow_retired("mimo-v2.5")`` sends a model the table says
MiMo retired anyway (the table can be wrong); ``current_models()`` and ``models_markdown()``
show the line-up. ``MODELS``, ``DEFAULT_MODEL``, ``DEFAULT_LIMITS``, ``ModelSpec``,
``Limits``, ``Price`` and ``get_model`` are also at the top. Speech models carry a
``SpeechSpec`` (``ModelSpec.speech``); ``DEFAULT_SPEECH_MODELS`` picks one per way of
choosing a voice.
"""

from __future__ import annotations

from ._capabilities import load_capabilities
from ._config import (
    ASR_LANGUAGES,
    AUDIO_EVIDENCE,
    AUDIO_FORMATS,
    CONVERTIBLE_EXTENSIONS,
    DEFAULT_ASR_MODEL,
    DEFAULT_BASE_URL,
    DEFAULT_LIMITS,
    DEFAULT_MODEL,
    DEFAULT_SPEECH_MODELS,
    MIMO_SPEECH_FORMATS,
    MODELS,
    OPENAI_INPUT_AUDIO_FORMATS,
    OPENAI_SPEECH_MODEL_MAP,
    OPENAI_VOICE_MAP,
    REASONING_EFFORTS,
    RETIREMENT_WARNING_DAYS,
    SPEECH_FORMATS,
    SPEECH_MIMES,
    VOICE_KINDS,
    WHISPER_MODEL_MAP,
    AsrLanguage,
    AudioEvidence,
    AudioFormat,
    FormatSpec,
    Limits,
    MimoSpeechFormat,
    ModelSpec,
    Price,
    ReasoningEffort,
    Retirement,
    SpeechFormat,
    SpeechSpec,
    VoiceKind,
)
from ._models import (
    allow_retired,
    check_model,
    current_models,
    get_model,
    models_markdown,
    retirement_note,
)

__all__ = [
    "ASR_LANGUAGES",
    "AUDIO_EVIDENCE",
    "AUDIO_FORMATS",
    "CONVERTIBLE_EXTENSIONS",
    "DEFAULT_ASR_MODEL",
    "DEFAULT_BASE_URL",
    "DEFAULT_LIMITS",
    "DEFAULT_MODEL",
    "DEFAULT_SPEECH_MODELS",
    "MIMO_SPEECH_FORMATS",
    "MODELS",
    "OPENAI_INPUT_AUDIO_FORMATS",
    "OPENAI_SPEECH_MODEL_MAP",
    "OPENAI_VOICE_MAP",
    "REASONING_EFFORTS",
    "RETIREMENT_WARNING_DAYS",
    "SPEECH_FORMATS",
    "SPEECH_MIMES",
    "VOICE_KINDS",
    "WHISPER_MODEL_MAP",
    "AsrLanguage",
    "AudioEvidence",
    "AudioFormat",
    "FormatSpec",
    "Limits",
    "MimoSpeechFormat",
    "ModelSpec",
    "Price",
    "ReasoningEffort",
    "Retirement",
    "SpeechFormat",
    "SpeechSpec",
    "VoiceKind",
    "allow_retired",
    "check_model",
    "current_models",
    "get_model",
    "load_capabilities",
    "models_markdown",
    "retirement_note",
]
