"""mimo-openai-ext: Xiaomi MiMo audio understanding from ordinary ``openai`` SDK code.

Nothing happens at import: no environment reads, no network, no optional extras.
"""

from ._config import (
    AUDIO_FORMATS,
    DEFAULT_BASE_URL,
    DEFAULT_LIMITS,
    DEFAULT_MODEL,
    MODELS,
    AudioFormat,
    FormatSpec,
    Limits,
    ModelSpec,
    Price,
    get_model,
)
from ._exceptions import (
    AudioNotHeardWarning,
    AudioTooLargeError,
    ContextOverflowError,
    CorruptAudioError,
    InvalidAudioSourceError,
    KeyHostMismatchWarning,
    MimoAudioError,
    MimoAudioWarning,
    MissingAPIKeyError,
    MissingExtraError,
    TruncatedAnswerWarning,
    UnknownModelWarning,
    UnsupportedAudioFormatError,
    UnsupportedFeatureError,
)
from ._types import InputAudio, InputAudioPart, TextPart

__version__ = "0.1.0.dev0"

__all__ = [
    "AUDIO_FORMATS",
    "DEFAULT_BASE_URL",
    "DEFAULT_LIMITS",
    "DEFAULT_MODEL",
    "MODELS",
    "AudioFormat",
    "AudioNotHeardWarning",
    "AudioTooLargeError",
    "ContextOverflowError",
    "CorruptAudioError",
    "FormatSpec",
    "InputAudio",
    "InputAudioPart",
    "InvalidAudioSourceError",
    "KeyHostMismatchWarning",
    "Limits",
    "MimoAudioError",
    "MimoAudioWarning",
    "MissingAPIKeyError",
    "MissingExtraError",
    "ModelSpec",
    "Price",
    "TextPart",
    "TruncatedAnswerWarning",
    "UnknownModelWarning",
    "UnsupportedAudioFormatError",
    "UnsupportedFeatureError",
    "get_model",
]
