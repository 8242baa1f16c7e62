"""The one table: every model id, limit, MIME spelling and price lives here.

Everything in this module is plain data. Users override it in two ways:

* mutate the module-level tables (``MODELS["my-model"] = ModelSpec(...)``), or
* pass a replacement (``limits=dataclasses.replace(DEFAULT_LIMITS, ...)``) to the
  functions that accept one.

Facts come from ``shared/reference`` (MiMo's audio page and collected API facts);
prices carry the date and source they were copied from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

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
]

AudioFormat = Literal["wav", "mp3", "flac", "m4a", "ogg"]
"""The formats MiMo accepts, by our canonical short name."""


@dataclass(frozen=True)
class FormatSpec:
    """How one accepted format is spelled on the wire."""

    name: AudioFormat
    mime: str
    """The canonical MIME type sent in the data URI."""
    extensions: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    """Other MIME spellings seen in the wild (``filetype`` says ``audio/x-wav``)."""


AUDIO_FORMATS: Mapping[AudioFormat, FormatSpec] = MappingProxyType(
    {
        "wav": FormatSpec(
            "wav", "audio/wav", (".wav", ".wave"), ("audio/x-wav", "audio/wave", "audio/vnd.wave")
        ),
        "mp3": FormatSpec("mp3", "audio/mpeg", (".mp3",), ("audio/mp3", "audio/x-mp3", "audio/mpeg3")),
        "flac": FormatSpec("flac", "audio/flac", (".flac",), ("audio/x-flac",)),
        "m4a": FormatSpec("m4a", "audio/mp4", (".m4a", ".mp4"), ("audio/x-m4a", "audio/m4a", "audio/aac")),
        "ogg": FormatSpec("ogg", "audio/ogg", (".ogg", ".oga", ".opus"), ("audio/opus", "application/ogg")),
    }
)
"""MiMo's accepted formats: mp3, wav, flac, m4a, ogg (MiMo's audio page)."""

CONVERTIBLE_EXTENSIONS: tuple[str, ...] = (
    ".3gp", ".aac", ".ac3", ".aif", ".aifc", ".aiff", ".amr", ".ape", ".au", ".caf", ".mka", ".snd",
    ".weba", ".webm", ".wma", ".wv",
)  # fmt: skip
"""Extensions of audio MiMo refuses that ``convert=True`` re-encodes (``batch --convert``)."""


@dataclass(frozen=True)
class Limits:
    """MiMo's size and rate limits. Replace with ``dataclasses.replace`` to override."""

    max_data_uri_chars: int = 50_000_000
    """The whole ``data:<mime>;base64,...`` string (MiMo: base64 string <= 50 MB)."""
    max_url_file_bytes: int = 100_000_000
    """A file passed by URL (MiMo: <= 100 MB)."""
    asr_max_data_uri_chars: int = 10_000_000
    """The ASR model's base64 limit (10 MB)."""
    audio_tokens_per_second: float = 6.25
    """MiMo: tokens ~= duration_s * 6.25 (25 Hz tokenizer, 4 frames a token)."""
    requests_per_minute: int = 100
    """Default account rate limit per model."""
    tokens_per_minute: int = 10_000_000
    max_completion_tokens: int = 131_072
    temperature_range: tuple[float, float] = (0.0, 1.5)


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Price:
    """USD per one million tokens, with where and when it was read."""

    input_usd_per_mtok: float
    cache_hit_usd_per_mtok: float
    output_usd_per_mtok: float
    as_of: str
    source: str
    audio_usd_per_hour: float = 0.0
    """Billed per hour of audio (the ASR model), on top of the token prices."""


_V25_PRICE = Price(
    input_usd_per_mtok=0.14,
    cache_hit_usd_per_mtok=0.0028,
    output_usd_per_mtok=0.28,
    as_of="2026-05-27",
    source="third-party copies of MiMo's pricing page (CNY 1 / 0.02 / 2 per 1M tokens)",
)


@dataclass(frozen=True)
class ModelSpec:
    """What we know of one MiMo model."""

    id: str
    audio_input: bool
    context_tokens: int
    max_completion_tokens: int = 131_072
    default_max_completion_tokens: int = 32_768
    asr: bool = False
    """A transcription-only model (one audio part, wav/mp3, ``asr_options``)."""
    asr_formats: tuple[AudioFormat, ...] = ()
    price: Price | None = None
    status: str = ""
    extra: Mapping[str, object] = field(default_factory=dict)


MODELS: dict[str, ModelSpec] = {
    "mimo-v2.5": ModelSpec(
        "mimo-v2.5",
        True,
        1_048_576,
        price=_V25_PRICE,
        status="MiMo's documented audio model; announced retired 2026-10-21 (third party)",
    ),
    "mimo-v2-omni": ModelSpec(
        "mimo-v2-omni",
        True,
        262_144,
        price=_V25_PRICE,
        status="forwarded to mimo-v2.5, then retired 2026-06-30 (third party)",
    ),
    "mimo-v2.6-flash": ModelSpec(
        "mimo-v2.6-flash",
        True,
        1_048_576,
        price=_V25_PRICE,
        status="launched 2026-09-22; audio input per third-party catalogs (unconfirmed)",
    ),
    "mimo-v2.6-pro": ModelSpec(
        "mimo-v2.6-pro",
        True,
        1_048_576,
        status="launched 2026-09-22; audio input per third-party catalogs (unconfirmed); price unknown",
    ),
    "mimo-v2.5-asr": ModelSpec(
        "mimo-v2.5-asr",
        True,
        8_192,
        max_completion_tokens=2_048,
        default_max_completion_tokens=2_048,
        asr=True,
        asr_formats=("wav", "mp3"),
        price=Price(
            input_usd_per_mtok=0.0,
            cache_hit_usd_per_mtok=0.0,
            output_usd_per_mtok=0.0,
            as_of="2026-05-27",
            source="third-party copies of MiMo's pricing page (about CNY 0.5 per audio hour)",
            audio_usd_per_hour=0.07,
        ),
        status="transcription only: wav/mp3, data URI only, base64 <= 10 MB; ~CNY 0.5 per audio hour",
    ),
    "mimo-v2.5-pro": ModelSpec("mimo-v2.5-pro", False, 1_048_576, status="text only"),
}
"""Known models. Mutate to add or correct one; unknown ids still pass through."""

DEFAULT_MODEL = "mimo-v2.5"
DEFAULT_ASR_MODEL = "mimo-v2.5-asr"
"""The transcription model (``transcribe`` / ``mimo-audio transcribe``)."""
AsrLanguage = Literal["auto", "zh", "en"]
ASR_LANGUAGES: tuple[AsrLanguage, ...] = ("auto", "zh", "en")
"""``asr_options.language`` values the ASR model accepts."""
OPENAI_INPUT_AUDIO_FORMATS: tuple[AudioFormat, ...] = ("wav", "mp3")
"""The formats OpenAI's own ``input_audio`` part takes (its ``format`` field)."""
WHISPER_MODEL_MAP: dict[str, str] = {
    "whisper-1": DEFAULT_ASR_MODEL,
    "gpt-4o-transcribe": DEFAULT_ASR_MODEL,
    "gpt-4o-mini-transcribe": DEFAULT_ASR_MODEL,
    "gpt-4o-transcribe-diarize": DEFAULT_ASR_MODEL,
}
"""OpenAI transcription model ids and the MiMo model that serves them (mutate to change)."""
DEFAULT_BASE_URL = "https://api.xiaomimimo.com/v1"
TOKEN_PLAN_HOST_MARK = "token-plan-"
"""Token Plan hosts are ``https://token-plan-{cn,sgp,ams}.xiaomimimo.com/v1``."""
TOKEN_PLAN_KEY_PREFIXES = ("tp-", "ttp-")
PAY_AS_YOU_GO_KEY_PREFIX = "sk-"
ENV_API_KEY = "MIMO_API_KEY"
ENV_BASE_URL = "MIMO_BASE_URL"
