"""The emulator's settings and the record it keeps of every request."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from .._checks import check_bool, check_count, check_seconds, check_str, check_type
from .._config import DEFAULT_LIMITS, Limits, ModelSpec
from .._exceptions import InvalidOptionError
from ._faults import parse_fault
from ._speech import ScriptedSpeech

__all__ = [
    "DEFAULT_EMULATOR_API_KEY",
    "FAULT_NAMES",
    "EmulatorOptions",
    "FormatKeyRule",
    "RawBase64Rule",
    "RequestRecord",
]

DEFAULT_EMULATOR_API_KEY = "sk-mimo-emulator"
"""The key a default emulator accepts (a pay-as-you-go ``sk-`` key, like MiMo's)."""

FAULT_NAMES = ("429", "500", "503", "reset")
"""Faults drawn by ``fault_rate``: ``429`` (with ``Retry-After``), ``500``, ``503``, ``reset``."""


FormatKeyRule = Literal["ignore", "refuse"]
"""What a ``format`` key beside a data URI gets: ignored (the default guess) or a 400."""
RawBase64Rule = Literal["ignore", "hear", "refuse"]
"""What raw base64 without ``data:`` gets: ignored silently (``audio_tokens: 0``, reported by
third parties), heard (its ``format`` key names the format), or a 400."""


@dataclass(frozen=True)
class EmulatorOptions:
    """How an emulator behaves. Change a running one with ``handle.configure(...)``."""

    api_key: str | None = DEFAULT_EMULATOR_API_KEY
    """The accepted key; ``None`` accepts any non-empty key except Token Plan (``tp-``) keys."""
    latency_ms: float = 0.0
    """Added before every answer (not before faults)."""
    fault_rate: float = 0.0
    """Probability (0..1) that a request gets one of ``faults`` instead of an answer."""
    faults: tuple[str, ...] = FAULT_NAMES
    """Faults drawn by ``fault_rate``: HTTP statuses (``"429"``, ``"500"``, ...) or ``"reset"``."""
    seed: int | None = None
    """Seed for the fault draws, so a run is repeatable."""
    rpm: int | None = None
    """Requests per minute per model; past it the answer is 429 with ``Retry-After``."""
    retry_after_s: float | None = 1.0
    """``Retry-After`` sent with drawn 429 faults (``None``: no header, on ``rpm`` 429s too)."""
    answer_in_content: bool = False
    """With thinking on, put the answer in ``content`` (and a short thought in
    ``reasoning_content``). Off by default: MiMo's documented thinking-mode response has an
    empty ``content`` and the answer in ``reasoning_content``."""
    format_key: FormatKeyRule = "ignore"
    """A ``format`` key beside a data URI: ``"ignore"`` (our guess: MiMo's schema has none) or
    ``"refuse"`` (400)."""
    raw_base64: RawBase64Rule = "ignore"
    """Raw base64 without ``data:``: ``"ignore"`` (third parties: ``audio_tokens: 0``),
    ``"hear"`` or ``"refuse"`` (400)."""
    honour_max_tokens: bool = False
    """Apply OpenAI's ``max_tokens``. Off by default: MiMo documents only ``max_completion_tokens``."""
    limits: Limits = DEFAULT_LIMITS
    models: Mapping[str, ModelSpec] | None = None
    """The model table; ``None`` reads ``mimo_openai_ext.MODELS`` on every request."""
    cache_ttl_s: float = 300.0
    """How long a prompt prefix stays cached (for ``cached_tokens``)."""
    max_body_bytes: int = 256_000_000
    """Bodies over this are refused with 413 before they are read."""
    max_bytes_in_flight: int = 100_000_000
    """Body bytes held at once (each costs about 3x while parsed); more requests wait their turn."""
    url_fetch_timeout_s: float = 10.0
    max_log_records: int = 100_000
    """The request log keeps the newest this many records (a long ``serve`` stays small)."""
    extra_answer: str = field(default="")
    """Appended to every answer (to tell emulators apart in a test)."""
    speech: tuple[ScriptedSpeech, ...] = ()
    """Recordings whose words the ASR model "recognises" in any piece of them (see ``ScriptedSpeech``)."""
    hear_sample: bool = True
    """The ASR model also recognises the shipped speech sample (``sample_audio_path()``): transcribing
    it, or any piece of it, gives ``SAMPLE_TRANSCRIPT``'s words. ``False`` describes it instead."""

    def __post_init__(self) -> None:
        check_str(self.api_key, option="api_key", none=True)
        check_seconds(self.latency_ms, option="latency_ms")
        check_seconds(self.fault_rate, option="fault_rate")
        if not 0.0 <= self.fault_rate <= 1.0:
            raise InvalidOptionError(
                f"fault_rate must be between 0 and 1 (a share of requests), got {self.fault_rate!r}",
                option="fault_rate",
            )
        check_type(self.faults, (tuple, list), option="faults", expected="a tuple of fault names")
        for name in self.faults:
            parse_fault(name)  # raises FaultSyntaxError (a ValueError) naming the bad entry
        check_count(self.seed, option="seed", minimum=0, none=True)
        check_count(self.rpm, option="rpm", none=True)
        check_seconds(self.retry_after_s, option="retry_after_s", none=True)
        check_bool(self.answer_in_content, option="answer_in_content")
        _check_choice(self.format_key, ("ignore", "refuse"), option="format_key")
        _check_choice(self.raw_base64, ("ignore", "hear", "refuse"), option="raw_base64")
        check_bool(self.honour_max_tokens, option="honour_max_tokens")
        check_type(self.limits, Limits, option="limits", expected="a Limits")
        check_type(
            self.models, Mapping, option="models", expected="a dict of model id to ModelSpec", none=True
        )
        check_seconds(self.cache_ttl_s, option="cache_ttl_s")
        check_count(self.max_body_bytes, option="max_body_bytes")
        check_count(self.max_bytes_in_flight, option="max_bytes_in_flight")
        check_seconds(self.url_fetch_timeout_s, option="url_fetch_timeout_s", minimum=0.001)
        check_count(self.max_log_records, option="max_log_records")
        check_str(self.extra_answer, option="extra_answer", empty=True)
        check_bool(self.hear_sample, option="hear_sample")
        check_type(self.speech, tuple, option="speech", expected="a tuple of ScriptedSpeech")
        for item in self.speech:
            check_type(item, ScriptedSpeech, option="speech[...]", expected="a ScriptedSpeech")


def _check_choice(value: object, choices: tuple[str, ...], *, option: str) -> None:
    if value not in choices:
        raise InvalidOptionError(
            f"{option}={value!r}: must be one of {', '.join(map(repr, choices))}", option=option
        )


@dataclass(frozen=True)
class RequestRecord:
    """One request as seen on the wire (faulted ones included). No bodies are kept."""

    time_s: float
    """``time.monotonic()`` when the request line arrived."""
    method: str
    path: str
    model: str | None
    status: int
    """The HTTP status answered; ``0`` for a dropped connection."""
    fault: str | None
    """``"429"``, ``"500"``, ``"503"``, ``"reset"``, ``"slow=2"``, ``"rpm"``, ... or ``None``."""
    body_bytes: int
    stream: bool
    request_id: str | None
    """The response ``id`` for answered completions."""
    audio_tokens: int = 0
