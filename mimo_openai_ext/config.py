"""The one table: every model id, limit, MIME spelling and price, overridable.

Mutate the tables (``MODELS["my-model"] = ModelSpec(...)``) or pass a replacement
(``limits=dataclasses.replace(DEFAULT_LIMITS, ...)``) to the functions that take one.
``MODELS``, ``DEFAULT_MODEL``, ``DEFAULT_LIMITS``, ``ModelSpec``, ``Limits``, ``Price`` and
``get_model`` are also at the top.
"""

from __future__ import annotations

from ._config import (
    ASR_LANGUAGES,
    AUDIO_FORMATS,
    CONVERTIBLE_EXTENSIONS,
    DEFAULT_ASR_MODEL,
    DEFAULT_BASE_URL,
    DEFAULT_LIMITS,
    DEFAULT_MODEL,
    MODELS,
    OPENAI_INPUT_AUDIO_FORMATS,
    WHISPER_MODEL_MAP,
    AsrLanguage,
    AudioFormat,
    FormatSpec,
    Limits,
    ModelSpec,
    Price,
)
from ._models import get_model

__all__ = [
    "ASR_LANGUAGES",
    "AUDIO_FORMATS",
    "CONVERTIBLE_EXTENSIONS",
    "DEFAULT_ASR_MODEL",
    "DEFAULT_BASE_URL",
    "DEFAULT_LIMITS",
    "DEFAULT_MODEL",
    "MODELS",
    "OPENAI_INPUT_AUDIO_FORMATS",
    "WHISPER_MODEL_MAP",
    "AsrLanguage",
    "AudioFormat",
    "FormatSpec",
    "Limits",
    "ModelSpec",
    "Price",
    "get_model",
]
