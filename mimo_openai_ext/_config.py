"""The one table: every model id, limit, MIME spelling and price lives here.

Everything in this module is plain data. Users override it in three ways:

* mutate the module-level tables (``MODELS["my-model"] = ModelSpec(...)``),
* pass a replacement (``limits=dataclasses.replace(DEFAULT_LIMITS, ...)``) to the
  functions that accept one, or
* load what ``mimo-audio doctor`` found on their own account (``load_capabilities(path)``,
  or ``MIMO_CAPABILITIES=path``, read at the first model lookup, never at import).

Speech (TTS) models sit in the same table: their ``ModelSpec.speech`` (a :class:`SpeechSpec`)
says how the voice is chosen (a preset, a description or a reference clip), the formats
MiMo returns, the sample rate and how much text one request takes. The OpenAI names a
migrated app uses (``tts-1``, ``alloy``, ...) map onto them through ``OPENAI_SPEECH_MODEL_MAP``
and ``OPENAI_VOICE_MAP``; ``SPEECH_MIMES`` spells each output format on the wire.

Facts come from MiMo's documentation, its notices and live third-party reports, tagged in
each entry (``ModelSpec.audio_evidence``, ``Price.source``, ``Retirement.source``); prices
carry the date they were copied. Retired models stay in ``MODELS`` with their
``Retirement`` (date and successor), so a call naming one fails early and says what to use.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from types import MappingProxyType
from typing import Literal

__all__ = [
    "ASR_LANGUAGES",
    "AUDIO_EVIDENCE",
    "AUDIO_FORMATS",
    "BEIJING",
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
    "REFUSED_REASONING_EFFORTS",
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
    note: str = ""
    """A condition on the price (``"free for a limited time"``), shown beside it."""


_PRICE_PAGE = "third-party copies of MiMo's pricing page"

_V25_PRICE = Price(
    input_usd_per_mtok=0.14,
    cache_hit_usd_per_mtok=0.0028,
    output_usd_per_mtok=0.28,
    as_of="2026-05-27",
    source=f"{_PRICE_PAGE} (CNY 1 / 0.02 / 2 per 1M tokens)",
)
_V26_FLASH_PRICE = dataclasses.replace(
    _V25_PRICE, as_of="2026-12-01", source=f"{_PRICE_PAGE} (priced as mimo-v2.5)"
)
_V26_PRO_PRICE = Price(
    input_usd_per_mtok=0.435,
    cache_hit_usd_per_mtok=0.0036,
    output_usd_per_mtok=0.87,
    as_of="2026-12-01",
    source=_PRICE_PAGE,
)

AudioEvidence = Literal["documented", "observed", "untested", "checked"]
"""How sure the table is of ``ModelSpec.audio_input``: ``documented`` (MiMo's documentation),
``observed`` (observed live by third parties), ``untested`` (nobody has reported sending it
audio), ``checked`` (your own ``mimo-audio doctor`` run, loaded from ``MIMO_CAPABILITIES``)."""
AUDIO_EVIDENCE: tuple[AudioEvidence, ...] = ("documented", "observed", "untested", "checked")

ReasoningEffort = Literal["none", "low", "medium", "high"]
"""``reasoning_effort`` values MiMo's V2.6 models accept (``none`` turns thinking off)."""
REASONING_EFFORTS: tuple[ReasoningEffort, ...] = ("none", "low", "medium", "high")
REFUSED_REASONING_EFFORTS: tuple[str, ...] = ("minimal", "xhigh", "max")
"""OpenAI's other values, which MiMo answers with 400 (third parties, live)."""

BEIJING = timezone(timedelta(hours=8), "Beijing")
"""MiMo announces dates in Beijing time (UTC+8)."""


@dataclass(frozen=True)
class Retirement:
    """When MiMo stops (or stopped) serving a model, and what to use instead. Data, not prose."""

    at: datetime
    """The moment it stops resolving (timezone-aware; MiMo announces in Beijing time)."""
    successor: str | None
    """The model to move to (a current one; MiMo redirects nothing: we never switch for you)."""
    source: str
    """Where the date comes from."""

    @property
    def on(self) -> str:
        """The announced date, ``"2026-10-21"``."""
        return self.at.date().isoformat()


VoiceKind = Literal["preset", "design", "clone"]
"""How a speech model's voice is chosen: a built-in voice by id (``preset``), a description of
the voice in words (``design``), or a reference recording to imitate (``clone``)."""
VOICE_KINDS: tuple[VoiceKind, ...] = ("preset", "design", "clone")

MimoSpeechFormat = Literal["wav", "mp3", "pcm", "pcm16"]
"""The formats MiMo's speech models return (``audio.format``); ``opus`` gets a 400."""
MIMO_SPEECH_FORMATS: tuple[MimoSpeechFormat, ...] = ("wav", "mp3", "pcm", "pcm16")
SpeechFormat = Literal["wav", "mp3", "flac", "opus", "aac", "pcm", "pcm16"]
"""The formats ``speak()`` delivers: MiMo's own, and ``flac``, ``opus`` (Ogg) and ``aac`` (ADTS)
encoded here from MiMo's WAV. ``pcm``/``pcm16`` are raw 16-bit little-endian mono samples."""
SPEECH_FORMATS: tuple[SpeechFormat, ...] = ("wav", "mp3", "flac", "opus", "aac", "pcm", "pcm16")
SPEECH_MIMES: Mapping[SpeechFormat, str] = MappingProxyType(
    {
        "wav": "audio/wav",
        "mp3": "audio/mpeg",
        "flac": "audio/flac",
        "opus": "audio/ogg",
        "aac": "audio/aac",
        "pcm": "audio/pcm",
        "pcm16": "audio/pcm",
    }
)
"""The ``Content-Type`` of each speech format (what ``audio.speech.create`` answers with)."""

_TTS_SKILL = "MiMo's own TTS skill (XiaomiMiMo/MiMo-Skills, mimo-v2-5-tts)"


@dataclass(frozen=True)
class SpeechSpec:
    """What a speech (TTS) model takes and returns. Replace a field with ``dataclasses.replace``."""

    voice_kind: VoiceKind
    """How the voice is chosen: ``audio.voice`` names a preset, a ``user`` message describes
    it (``design``), or ``audio.voice`` carries a reference clip as a data URI (``clone``)."""
    voices: tuple[str, ...] = ()
    """The preset voice ids (``preset`` models; MiMo's ids are case-sensitive)."""
    default_voice: str | None = None
    """Sent when no voice is asked for (MiMo's skill says to always name one)."""
    formats: tuple[MimoSpeechFormat, ...] = MIMO_SPEECH_FORMATS
    """``audio.format`` values MiMo returns (``opus`` is refused with a 400, third parties)."""
    sample_rate_hz: int = 24_000
    """MiMo's speech: 24 kHz, 16-bit, mono (third-party integrations; one measured it)."""
    max_input_chars: int = 2_500
    """Text one request takes: MiMo's skill splits only past 2,500 characters."""
    reference_formats: tuple[AudioFormat, ...] = ()
    """Formats of a ``clone`` reference (MiMo's skill: mp3 or wav; we send 16-bit mono WAV)."""
    reference_max_data_uri_chars: int = 10_000_000
    """A ``clone`` reference's data URI (MiMo's skill: base64 <= 10 MB, about 3-5 minutes)."""
    reference_seconds: tuple[float, float] = (5.0, 30.0)
    """The reference length MiMo's skill recommends (clear speech, no background noise)."""
    styles_audible: bool = False
    """Whether ``audio.speed`` / ``audio.style`` change the speech (not when tested, 2026-04-30)."""
    source: str = _TTS_SKILL


@dataclass(frozen=True)
class ModelSpec:
    """What we know of one MiMo model. Replace a field with ``dataclasses.replace``."""

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
    """A short note (``"unknown"`` for an id the table does not hold)."""
    extra: Mapping[str, object] = field(default_factory=dict)
    audio_evidence: AudioEvidence = "untested"
    """How sure ``audio_input`` is (see :data:`AudioEvidence`)."""
    reasoning_efforts: tuple[ReasoningEffort, ...] = ()
    """The ``reasoning_effort`` values it accepts; empty: send none (use ``thinking``)."""
    retirement: Retirement | None = None
    """When it stops (or stopped) being served, and its successor."""
    launched_on: str | None = None
    speech: SpeechSpec | None = None
    """A speech (TTS) model: it speaks text (``speak()``), it does not answer about audio."""


_SERVICE_NOTICE = "MiMo's service notice, as quoted by third parties"
_TTS_PRICE = Price(
    input_usd_per_mtok=0.0,
    cache_hit_usd_per_mtok=0.0,
    output_usd_per_mtok=0.0,
    as_of="2026-12-01",
    source="third-party copies of MiMo's speech synthesis page (no end date announced)",
    note="free for a limited time",
)
_TTS_LIMITS = "context unknown; text split past SpeechSpec.max_input_chars"
_PRESET_VOICES = ("mimo_default", "冰糖", "茉莉", "苏打", "白桦", "Mia", "Chloe", "Milo", "Dean")

MODELS: dict[str, ModelSpec] = {
    "mimo-v2.6-flash": ModelSpec(
        "mimo-v2.6-flash",
        True,
        1_048_576,
        price=_V26_FLASH_PRICE,
        audio_evidence="observed",
        reasoning_efforts=REASONING_EFFORTS,
        launched_on="2026-09-22",
        status="the default; two third parties got audio_tokens back live",
    ),
    "mimo-v2.6-pro": ModelSpec(
        "mimo-v2.6-pro",
        True,
        1_048_576,
        price=_V26_PRO_PRICE,
        audio_evidence="observed",
        reasoning_efforts=REASONING_EFFORTS,
        launched_on="2026-09-22",
        status="audio observed live by third parties",
    ),
    "mimo-v2.6-pro-ultraspeed": ModelSpec(
        "mimo-v2.6-pro-ultraspeed",
        True,
        1_048_576,
        audio_evidence="untested",
        reasoning_efforts=REASONING_EFFORTS,
        launched_on="2026-09-22",
        status="documented for media, audio untested; about 10x the pro price (no exact price: "
        "cost_usd=None); custom rate limits",
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
            source=f"{_PRICE_PAGE} (about CNY 0.5 per audio hour)",
            audio_usd_per_hour=0.07,
        ),
        audio_evidence="documented",
        status="transcription only: wav/mp3, data URI only, base64 <= 10 MB; ~CNY 0.5 per audio hour",
    ),
    "mimo-v2.5-tts": ModelSpec(
        "mimo-v2.5-tts",
        False,
        0,
        price=_TTS_PRICE,
        audio_evidence="documented",
        speech=SpeechSpec("preset", voices=_PRESET_VOICES, default_voice="mimo_default"),
        status=f"speech out with built-in voices (singing too); {_TTS_LIMITS}",
    ),
    "mimo-v2.5-tts-voicedesign": ModelSpec(
        "mimo-v2.5-tts-voicedesign",
        False,
        0,
        price=_TTS_PRICE,
        audio_evidence="documented",
        speech=SpeechSpec("design"),
        status=f"speech out in a voice described in words (a user message); {_TTS_LIMITS}",
    ),
    "mimo-v2.5-tts-voiceclone": ModelSpec(
        "mimo-v2.5-tts-voiceclone",
        False,
        0,
        price=_TTS_PRICE,
        audio_evidence="documented",
        speech=SpeechSpec("clone", reference_formats=("wav", "mp3")),
        status=f"speech out in the voice of a reference clip (audio.voice data URI); {_TTS_LIMITS}",
    ),
    "mimo-v2.5": ModelSpec(
        "mimo-v2.5",
        True,
        1_048_576,
        price=_V25_PRICE,
        audio_evidence="documented",
        retirement=Retirement(datetime(2026, 10, 21, 10, tzinfo=BEIJING), "mimo-v2.6-flash", _SERVICE_NOTICE),
        status="MiMo's first documented audio model; no redirect after retirement",
    ),
    "mimo-v2.5-pro": ModelSpec(
        "mimo-v2.5-pro",
        False,
        1_048_576,
        audio_evidence="observed",
        retirement=Retirement(datetime(2026, 10, 21, 10, tzinfo=BEIJING), "mimo-v2.6-pro", _SERVICE_NOTICE),
        status="text only (observed live)",
    ),
    "mimo-v2-omni": ModelSpec(
        "mimo-v2-omni",
        True,
        262_144,
        price=_V25_PRICE,
        audio_evidence="documented",
        retirement=Retirement(datetime(2026, 6, 30, tzinfo=BEIJING), "mimo-v2.6-flash", _SERVICE_NOTICE),
        status="forwarded to mimo-v2.5 from June, then stopped resolving",
    ),
    "mimo-v2-pro": ModelSpec(
        "mimo-v2-pro",
        False,
        262_144,
        retirement=Retirement(datetime(2026, 6, 30, tzinfo=BEIJING), "mimo-v2.6-pro", _SERVICE_NOTICE),
        status="forwarded to mimo-v2.5 from June, then stopped resolving",
    ),
    "mimo-v2-flash": ModelSpec(
        "mimo-v2-flash",
        False,
        262_144,
        retirement=Retirement(datetime(2026, 6, 30, tzinfo=BEIJING), "mimo-v2.6-flash", _SERVICE_NOTICE),
        status="forwarded to mimo-v2.5 from June, then stopped resolving",
    ),
}
"""Known models, current ones first. Mutate to add or correct one; unknown ids still pass through.

Retired ids stay (with their ``retirement``) so a call naming one fails early with the
date and successor instead of MiMo's bare error."""

DEFAULT_MODEL = "mimo-v2.6-flash"
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
DEFAULT_SPEECH_MODELS: dict[VoiceKind, str] = {
    "preset": "mimo-v2.5-tts",
    "design": "mimo-v2.5-tts-voicedesign",
    "clone": "mimo-v2.5-tts-voiceclone",
}
"""The speech model ``speak()`` uses for each way of choosing a voice (mutate to change)."""
OPENAI_SPEECH_MODEL_MAP: dict[str, str] = {
    "tts-1": DEFAULT_SPEECH_MODELS["preset"],
    "tts-1-hd": DEFAULT_SPEECH_MODELS["preset"],
    "gpt-4o-mini-tts": DEFAULT_SPEECH_MODELS["preset"],
    "gpt-4o-mini-tts-2025-03-20": DEFAULT_SPEECH_MODELS["preset"],
    "gpt-4o-mini-tts-2025-12-15": DEFAULT_SPEECH_MODELS["preset"],
}
"""OpenAI speech model ids and the MiMo model that serves them (mutate to change)."""
OPENAI_VOICE_MAP: dict[str, str] = {
    "alloy": "mimo_default",
    "ash": "Dean",
    "ballad": "Milo",
    "cedar": "Dean",
    "coral": "Chloe",
    "echo": "Milo",
    "fable": "Milo",
    "marin": "Chloe",
    "nova": "Mia",
    "onyx": "Dean",
    "sage": "Chloe",
    "shimmer": "Mia",
    "verse": "Milo",
}
"""OpenAI voice names and the MiMo preset voice each becomes: by gender and register, a
judgement call (MiMo has four English voices: Mia and Chloe, Milo and Dean). Mutate to change."""
DEFAULT_BASE_URL = "https://api.xiaomimimo.com/v1"
TOKEN_PLAN_HOST_MARK = "token-plan-"
"""Token Plan hosts are ``https://token-plan-{cn,sgp,ams}.xiaomimimo.com/v1``."""
TOKEN_PLAN_KEY_PREFIXES = ("tp-", "ttp-")
PAY_AS_YOU_GO_KEY_PREFIX = "sk-"
ENV_API_KEY = "MIMO_API_KEY"
ENV_BASE_URL = "MIMO_BASE_URL"
ENV_CAPABILITIES = "MIMO_CAPABILITIES"
"""A capabilities file (``mimo-audio doctor --write-capabilities``) to load over ``MODELS``."""
RETIREMENT_WARNING_DAYS = 30
"""From this many days before a known retirement, each use of the model warns."""
