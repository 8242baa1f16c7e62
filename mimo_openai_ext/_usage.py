"""Before the call, an estimate; after it, a usage report with cost, and an "audio heard" check.

* ``estimate_request(messages, ...)`` -> ``RequestEstimate``: audio tokens from each audio
  part's duration (data URIs are decoded and probed; URLs have an unknown duration),
  approximate text tokens, the total against the model's context, and the worst-case
  cost with ``max_completion_tokens``. Raises ``ContextOverflowError`` when it cannot fit.
* ``UsageReport.from_usage(...)``: prompt/audio/cached/text/reasoning/completion tokens
  and ``cost_usd`` from the model's ``Price``. Cached tokens are billed at the cache-hit
  price *instead of* the input price (never twice), and no count goes negative.
* ``check_audio_heard(report, estimate)`` warns ``AudioNotHeardWarning`` when the
  response's ``audio_tokens`` is 0 or far from the estimate.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from ._config import DEFAULT_LIMITS, DEFAULT_MODEL, Limits, Price, get_model
from ._exceptions import AudioNotHeardWarning, ContextOverflowError, InvalidOptionError
from ._guards import check_completion_tokens, warn_unknown_model
from ._source import is_url

if TYPE_CHECKING:
    from openai.types import CompletionUsage

    from ._probe import AudioInfo

__all__ = [
    "AudioEstimate",
    "RequestEstimate",
    "UsageReport",
    "check_audio_heard",
    "estimate_request",
    "estimate_text_tokens",
]

_MESSAGE_OVERHEAD_TOKENS = 4
"""Chat-template tokens per message (role markers); an approximation."""
_REPLY_PRIMING_TOKENS = 3
_HEARD_RATIO = 0.5
"""``audio_tokens`` below half (or above twice) the estimate counts as "far"."""
_HEARD_SLACK_TOKENS = 12
"""Absolute slack (about two seconds) so very short clips do not warn on rounding."""


def _usd(amount: float) -> float:
    """A cost without binary float noise (``2.632e-05``, not ``2.6320000000000002e-05``).

    Twelve decimals keep a millionth of a cent while dropping the noise from summing
    per-token prices, so reprs, JSON and sums print what a person would write.
    """
    return round(amount, 12)


def _per_mtok(tokens: int, usd_per_mtok: float) -> float:
    return tokens * usd_per_mtok / 1_000_000


def _int(value: object) -> int:
    return max(int(value), 0) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


@dataclass(frozen=True)
class UsageReport:
    """What one response used and cost. Counts are never negative."""

    model: str
    prompt_tokens: int
    audio_tokens: int
    """``usage.prompt_tokens_details.audio_tokens`` (0 when absent; see ``audio_tokens_reported``)."""
    cached_tokens: int
    """Prompt tokens billed at the cache-hit price (clamped to ``prompt_tokens``)."""
    text_tokens: int
    """Prompt tokens that are not audio."""
    reasoning_tokens: int
    """Part of ``completion_tokens`` (never added on top)."""
    completion_tokens: int
    total_tokens: int
    cost_usd: float | None
    """Input (uncached) + cache hits + output (+ audio hours for ASR) at the model's ``Price``;
    None when unpriced."""
    audio_tokens_reported: bool = True
    audio_seconds: float | None = None
    """``usage.seconds`` (the ASR model reports it)."""

    @classmethod
    def from_usage(
        cls, usage: CompletionUsage | Mapping[str, Any] | None, *, model: str, price: Price | None = None
    ) -> UsageReport:
        """Build from a response's ``usage`` (SDK object or dict). ``price`` defaults to the model's."""
        raw: Mapping[str, Any] = {}
        if isinstance(usage, Mapping):
            raw = usage
        elif usage is not None:
            raw = usage.model_dump()
        prompt_details = raw.get("prompt_tokens_details") or {}
        completion_details = raw.get("completion_tokens_details") or {}
        prompt = _int(raw.get("prompt_tokens"))
        completion = _int(raw.get("completion_tokens"))
        audio_raw = prompt_details.get("audio_tokens")
        audio = min(_int(audio_raw), prompt)
        cached = min(_int(prompt_details.get("cached_tokens")), prompt)
        seconds = raw.get("seconds")
        if price is None:
            price = get_model(model, warn=False).price
        cost = None
        if price is not None:
            cost = (
                _per_mtok(prompt - cached, price.input_usd_per_mtok)
                + _per_mtok(cached, price.cache_hit_usd_per_mtok)
                + _per_mtok(completion, price.output_usd_per_mtok)
            )
            if price.audio_usd_per_hour and isinstance(seconds, (int, float)):
                cost += max(float(seconds), 0.0) / 3600 * price.audio_usd_per_hour
            cost = _usd(cost)
        return cls(
            model=model,
            prompt_tokens=prompt,
            audio_tokens=audio,
            cached_tokens=cached,
            text_tokens=prompt - audio,
            reasoning_tokens=min(_int(completion_details.get("reasoning_tokens")), completion),
            completion_tokens=completion,
            total_tokens=max(_int(raw.get("total_tokens")), prompt + completion),
            cost_usd=cost,
            audio_tokens_reported=isinstance(audio_raw, int),
            audio_seconds=float(seconds) if isinstance(seconds, (int, float)) else None,
        )

    def __add__(self, other: UsageReport) -> UsageReport:
        """Sum two reports (a batch total). Cost stays None if either is unpriced."""
        if not isinstance(other, UsageReport):
            return NotImplemented
        cost = None
        if self.cost_usd is not None and other.cost_usd is not None:
            cost = _usd(self.cost_usd + other.cost_usd)
        seconds = None
        if self.audio_seconds is not None or other.audio_seconds is not None:
            seconds = (self.audio_seconds or 0.0) + (other.audio_seconds or 0.0)
        return UsageReport(
            model=self.model if self.model == other.model else f"{self.model}+{other.model}",
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            audio_tokens=self.audio_tokens + other.audio_tokens,
            cached_tokens=self.cached_tokens + other.cached_tokens,
            text_tokens=self.text_tokens + other.text_tokens,
            reasoning_tokens=self.reasoning_tokens + other.reasoning_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
            cost_usd=cost,
            audio_tokens_reported=self.audio_tokens_reported and other.audio_tokens_reported,
            audio_seconds=seconds,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def _repr_html_(self) -> str:  # Jupyter
        from ._display import usage_html

        return usage_html(self)


@dataclass(frozen=True)
class AudioEstimate:
    """One audio part of a request."""

    where: str
    """``message 1, part 2`` (or the URL for a URL part)."""
    duration_s: float | None
    """None for a URL (its duration is unknown until MiMo fetches it)."""
    audio_tokens: int | None
    format: str | None
    data_uri_chars: int


@dataclass(frozen=True)
class RequestEstimate:
    """An estimate of one request before it is sent."""

    model: str
    audio: tuple[AudioEstimate, ...]
    audio_tokens: int
    """Known audio tokens (URL parts of unknown duration count 0; see ``unknown_audio``)."""
    text_tokens: int
    """Approximate (about 4 characters a token; one a token for CJK)."""
    input_tokens: int
    max_completion_tokens: int
    """The request's ``max_completion_tokens`` or the model's default."""
    context_tokens: int
    worst_case_cost_usd: float | None
    """Input at the full input price + ``max_completion_tokens`` of output; None when unpriced."""
    notes: tuple[str, ...] = ()

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.max_completion_tokens

    @property
    def fits(self) -> bool:
        return self.total_tokens <= self.context_tokens

    @property
    def unknown_audio(self) -> int:
        """How many audio parts have an unknown duration (URLs)."""
        return sum(1 for a in self.audio if a.duration_s is None)

    @property
    def audio_duration_s(self) -> float:
        return sum(a.duration_s or 0.0 for a in self.audio)

    def _repr_html_(self) -> str:  # Jupyter
        from ._display import estimate_html

        return estimate_html(self)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            total_tokens=self.total_tokens,
            fits=self.fits,
            unknown_audio=self.unknown_audio,
            audio_duration_s=self.audio_duration_s,
        )
        return data


def estimate_text_tokens(text: str) -> int:
    """Approximate tokens of ``text``: ASCII ~4 characters a token, other characters 1 each."""
    ascii_chars = sum(1 for ch in text if ord(ch) < 128)
    return math.ceil(ascii_chars / 4) + (len(text) - ascii_chars)


def _estimate_audio(
    data: str, *, where: str, limits: Limits, notes: list[str], known: Mapping[int, AudioInfo]
) -> AudioEstimate:
    if is_url(data):
        notes.append(f"{where}: a URL; its duration is unknown until MiMo fetches it (not counted)")
        return AudioEstimate(data, None, None, None, len(data))
    if not data.startswith("data:"):
        note = (
            f"{where}: raw base64 without a data: URI (OpenAI's shape); MiMo ignores such audio "
            "silently and it is not counted: convert the messages with to_mimo_messages(), or "
            "build the part with input_audio_part()"
        )
        notes.append(note)
        from ._guards import caller_stacklevel

        warnings.warn(note, AudioNotHeardWarning, stacklevel=caller_stacklevel())
        return AudioEstimate(where, None, None, None, len(data))
    from ._estimate import estimate_audio_tokens

    info = known.get(id(data))
    if info is None:
        from ._probe import probe_bytes
        from ._source import parse_data_uri

        info = probe_bytes(parse_data_uri(data, name=where).data, source_name=where)
    tokens = estimate_audio_tokens(info.duration_s, limits=limits)
    return AudioEstimate(where, info.duration_s, tokens, info.format, len(data))


def _walk(
    messages: Iterable[Mapping[str, Any]], *, limits: Limits, notes: list[str], known: Mapping[int, AudioInfo]
) -> tuple[list[AudioEstimate], int]:
    audio: list[AudioEstimate] = []
    text_tokens = _REPLY_PRIMING_TOKENS
    for m_index, message in enumerate(messages, start=1):
        text_tokens += _MESSAGE_OVERHEAD_TOKENS
        content = message.get("content")
        if isinstance(content, str):
            text_tokens += estimate_text_tokens(content)
            continue
        for p_index, part in enumerate(content or (), start=1):
            kind = part.get("type") if isinstance(part, Mapping) else None
            where = f"message {m_index}, part {p_index}"
            if kind == "text":
                text_tokens += estimate_text_tokens(str(part.get("text", "")))
            elif kind == "input_audio":
                data = str((part.get("input_audio") or {}).get("data", ""))
                audio.append(_estimate_audio(data, where=where, limits=limits, notes=notes, known=known))
            else:
                notes.append(f"{where}: a {kind!r} part is not counted")
    return audio, text_tokens


def estimate_request(
    messages: Iterable[Mapping[str, Any]],
    *,
    model: str = DEFAULT_MODEL,
    max_completion_tokens: int | None = None,
    limits: Limits | None = None,
    check: bool = True,
    probed: Iterable[tuple[str, AudioInfo]] = (),
) -> RequestEstimate:
    """Estimate a ``messages`` list; with ``check`` raise ``ContextOverflowError`` if it cannot fit.

    Data URIs are decoded and probed for their duration, unless ``probed`` already pairs
    that very data string with its ``AudioInfo`` (what ``audio_part_and_info`` returns).
    """
    spec = get_model(model, warn=False)
    if spec.status == "unknown":
        warn_unknown_model(model)
    if max_completion_tokens is not None:
        check_completion_tokens(max_completion_tokens, spec)
    messages = _message_list(messages)
    limits = limits or DEFAULT_LIMITS
    notes: list[str] = []
    known = {id(data): info for data, info in probed}
    audio, text_tokens = _walk(messages, limits=limits, notes=notes, known=known)
    audio_tokens = sum(a.audio_tokens or 0 for a in audio)
    completion = (
        spec.default_max_completion_tokens if max_completion_tokens is None else max_completion_tokens
    )
    input_tokens = audio_tokens + text_tokens
    cost = None
    if spec.price is not None:
        cost = _usd(
            _per_mtok(input_tokens, spec.price.input_usd_per_mtok)
            + _per_mtok(completion, spec.price.output_usd_per_mtok)
        )
    estimate = RequestEstimate(
        model=spec.id,
        audio=tuple(audio),
        audio_tokens=audio_tokens,
        text_tokens=text_tokens,
        input_tokens=input_tokens,
        max_completion_tokens=completion,
        context_tokens=spec.context_tokens,
        worst_case_cost_usd=cost,
        notes=tuple(notes),
    )
    if check:
        _check_fits(
            estimate, explicit_completion=max_completion_tokens is not None, cap=spec.max_completion_tokens
        )
    return estimate


def _message_list(messages: object) -> list[Mapping[str, Any]]:
    if isinstance(messages, (str, bytes, Mapping)) or not isinstance(messages, Iterable):
        raise InvalidOptionError(
            f"estimate_request() takes a list of messages, not a {type(messages).__name__}: "
            "estimate_request([user_message(input_audio_part(path), 'What is said?')])",
            option="messages",
        )
    items = list(messages)
    for index, message in enumerate(items):
        if not isinstance(message, Mapping):
            raise InvalidOptionError(
                f"messages[{index}] is a {type(message).__name__}, not a message dict like "
                "{'role': 'user', 'content': [...]}: build it with user_message(...)",
                option="messages",
            )
    return items


def _check_fits(estimate: RequestEstimate, *, explicit_completion: bool, cap: int) -> None:
    context = estimate.context_tokens
    if estimate.input_tokens > context:
        hours = estimate.audio_duration_s / 3600
        raise ContextOverflowError(
            f"request needs about {estimate.input_tokens:,} input tokens ({hours:.1f} h of audio), "
            f"over {estimate.model}'s {context:,}-token context: split the audio with "
            "split_audio()/ask_across_chunks() or `mimo-audio ask --split`",
            estimated_tokens=estimate.input_tokens,
            context_tokens=context,
        )
    if explicit_completion and not estimate.fits:
        room = min(context - estimate.input_tokens, cap)
        advice = (
            f"lower max_completion_tokens to at most {room:,} or split the audio"
            if room >= 1
            else "split the audio (split_audio()/ask_across_chunks())"
        )
        raise ContextOverflowError(
            f"about {estimate.input_tokens:,} input tokens + max_completion_tokens="
            f"{estimate.max_completion_tokens:,} exceed {estimate.model}'s {context:,}-token context: "
            f"{advice}",
            estimated_tokens=estimate.total_tokens,
            context_tokens=context,
        )


def check_audio_heard(report: UsageReport, estimate: RequestEstimate, *, warn: bool = True) -> str | None:
    """A message (and an ``AudioNotHeardWarning``) when the audio seems ignored, else None."""
    if not estimate.audio or not report.audio_tokens_reported:
        return None
    expected = estimate.audio_tokens
    actual = report.audio_tokens
    problem = None
    if actual == 0:
        expectation = (
            f"expected about {expected}"
            if expected and not estimate.unknown_audio
            else "the estimate could not count them"
            if not expected
            else f"expected at least {expected}"
        )
        problem = (
            f"MiMo reports audio_tokens=0 for {len(estimate.audio)} audio part(s) "
            f"({expectation}): the audio was NOT heard and the answer may be invented"
        )
    elif expected and (
        actual < expected * _HEARD_RATIO - _HEARD_SLACK_TOKENS
        or (estimate.unknown_audio == 0 and actual > expected / _HEARD_RATIO + _HEARD_SLACK_TOKENS)
    ):
        problem = (
            f"MiMo reports audio_tokens={actual}, far from the estimated {expected} "
            f"({estimate.audio_duration_s:.1f} s of audio): part of the audio may not have been heard"
        )
    if problem is None:
        return None
    problem += (
        "; check each part is a data: URI whose MIME matches its bytes (build parts with input_audio_part(), "
        "or convert OpenAI-shaped messages with to_mimo_messages())"
    )
    if warn:
        from ._guards import caller_stacklevel

        warnings.warn(problem, AudioNotHeardWarning, stacklevel=caller_stacklevel())
    return problem
