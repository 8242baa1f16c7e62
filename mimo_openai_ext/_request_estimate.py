"""Before the call: an estimate of one request's tokens and worst-case cost.

``estimate_request(messages, ...)`` -> ``RequestEstimate``: audio tokens from each audio
part's duration (data URIs are decoded and probed; URLs have an unknown duration),
approximate text tokens, the total against the model's context, and the worst-case cost
with ``max_completion_tokens``. Raises ``ContextOverflowError`` when it cannot fit. (The
per-clip token arithmetic is ``_audio.tokens``; what the response used is ``_usage``.)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from ._audio.probe import AudioInfo, probe_bytes
from ._audio.source import is_url, parse_data_uri
from ._audio.tokens import estimate_audio_tokens
from ._checks import check_bool, check_completion_tokens, check_limits, check_str, check_type
from ._config import DEFAULT_LIMITS, DEFAULT_MODEL, Limits, ModelSpec
from ._exceptions import (
    AudioNotHeardWarning,
    ContextOverflowError,
    InvalidOptionError,
    InvalidTypeError,
    UnsupportedFeatureError,
)
from ._format import GAP, esc, grid, money, seconds_text, table
from ._models import check_model, get_model
from ._usage import round_usd, tokens_usd
from ._warn import warn

__all__ = [
    "AudioEstimate",
    "AudioLimitCheck",
    "AudioSetCheck",
    "RequestEstimate",
    "check_audio_limits",
    "check_audio_set",
    "estimate_html",
    "estimate_request",
    "estimate_text_tokens",
]

_MESSAGE_OVERHEAD_TOKENS = 4
"""Chat-template tokens per message (role markers); an approximation."""
_REPLY_PRIMING_TOKENS = 3


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
        warn(note, AudioNotHeardWarning)
        return AudioEstimate(where, None, None, None, len(data))
    info = known.get(id(data))
    if info is None:
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


def _not_speech(spec: ModelSpec, call: str) -> ModelSpec:
    """A speech model has no audio input to estimate: refused, pointing at ``speak()``."""
    if spec.speech is None:
        return spec
    raise UnsupportedFeatureError(
        f"{spec.id} is a speech model: it speaks text and takes no audio to estimate, so {call}() "
        "does not apply; say a text with speak() / `mimo-audio speak` (long text is split for you)"
    )


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

    A ``model`` the table says MiMo retired raises :class:`RetiredModelError` (as ``ask`` would).

    Data URIs are decoded and probed for their duration, unless ``probed`` already pairs
    that very data string with its ``AudioInfo`` (what ``audio_part_and_info`` returns).
    """
    check_str(model, option="model")
    check_limits(limits)
    check_bool(check, option="check")
    spec = _not_speech(check_model(model), "estimate_request")  # retired: refused; unknown: warned
    if max_completion_tokens is not None:
        check_completion_tokens(max_completion_tokens, spec)
    messages = _message_list(messages)
    limits = limits or DEFAULT_LIMITS
    notes: list[str] = []
    try:
        known = {id(data): info for data, info in probed}
    except (TypeError, ValueError):
        raise InvalidTypeError(
            f"probed={probed!r:.60}: must be (data URI, AudioInfo) pairs, as audio_part_and_info() gives",
            option="probed",
        ) from None
    audio, text_tokens = _walk(messages, limits=limits, notes=notes, known=known)
    audio_tokens = sum(a.audio_tokens or 0 for a in audio)
    completion = (
        spec.default_max_completion_tokens if max_completion_tokens is None else max_completion_tokens
    )
    input_tokens = audio_tokens + text_tokens
    cost = None
    if spec.price is not None:
        cost = round_usd(
            tokens_usd(input_tokens, spec.price.input_usd_per_mtok)
            + tokens_usd(completion, spec.price.output_usd_per_mtok)
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


def estimate_html(estimate: RequestEstimate) -> str:
    """A pre-call estimate: each audio part, the totals against the context, worst-case cost."""
    parts = grid(
        ["audio", "format", "duration", "tokens", "data URI chars"],
        (
            (
                a.where,
                a.format or "?",
                seconds_text(a.duration_s),
                a.audio_tokens or "?",
                f"{a.data_uri_chars:,}",
            )
            for a in estimate.audio
        ),
        title=f"Audio parts ({len(estimate.audio)})",
        align="nlrrr",
    )
    fits = "fits" if estimate.fits else "does NOT fit"
    totals = table(
        [
            ("model", estimate.model),
            ("audio duration", seconds_text(estimate.audio_duration_s)),
            ("audio tokens", f"{estimate.audio_tokens:,}"),
            ("text tokens", f"~{estimate.text_tokens:,}"),
            ("input tokens", f"{estimate.input_tokens:,}"),
            ("max completion tokens", f"{estimate.max_completion_tokens:,}"),
            ("context", f"{estimate.total_tokens:,} of {estimate.context_tokens:,} ({fits})"),
            ("worst-case cost", money(estimate.worst_case_cost_usd)),
        ],
        title="Request estimate",
    )
    notes = "".join(f"<li>{esc(n)}</li>" for n in estimate.notes)
    return totals + (GAP + parts if estimate.audio else "") + (f"<ul>{notes}</ul>" if notes else "")


Remedy = Literal["transcribe", "audio_model", "split", "fit_split_or_url"]
"""What to do about audio over a limit: for the ASR model, ``transcribe()`` it (any length,
cut, converted and joined for you); else pick a model that takes audio, ask about it in
pieces, or shrink / split / send it by URL."""


@dataclass(frozen=True)
class AudioLimitCheck:
    """One probed file against one model's limits: data URI size, context, accepted formats."""

    model: str
    data_uri_chars: int
    data_uri_limit: int
    """``Limits.max_data_uri_chars`` (the ASR model's own limit for an ASR model)."""
    audio_tokens: int
    context_tokens: int
    format_accepted: bool | None
    """False when the model refuses the format (the ASR model takes WAV/MP3; a text-only
    model takes no audio); None when the model takes any accepted format."""

    @property
    def data_uri_fits(self) -> bool:
        return self.data_uri_chars <= self.data_uri_limit

    @property
    def fits_context(self) -> bool:
        return self.audio_tokens <= self.context_tokens

    @property
    def fits(self) -> bool:
        return self.data_uri_fits and self.fits_context and self.format_accepted is not False

    @property
    def remedy(self) -> Remedy | None:
        """What to do when it does not fit (None when it does)."""
        spec = get_model(self.model, warn=False)
        if spec.asr and not self.fits:  # transcribe() takes any length and re-encodes for it
            return "transcribe"
        if self.format_accepted is False:
            return "audio_model"
        if not self.fits_context:
            return "split"
        if not self.data_uri_fits:
            return "fit_split_or_url"
        return None


def check_audio_limits(
    info: AudioInfo, *, model: str = DEFAULT_MODEL, limits: Limits | None = None
) -> AudioLimitCheck:
    """How one probed file stands against ``model``'s limits (nothing is read or sent)."""
    check_type(info, AudioInfo, option="info", expected="an AudioInfo (probe_audio(path))")
    spec = _not_speech(check_model(check_str(model, option="model")), "check_audio_limits")
    limits = check_limits(limits) or DEFAULT_LIMITS
    accepted: bool | None = None
    if spec.asr:
        accepted = info.format in spec.asr_formats
    elif not spec.audio_input:
        accepted = False
    return AudioLimitCheck(
        model=spec.id,
        data_uri_chars=info.data_uri_chars,
        data_uri_limit=limits.asr_max_data_uri_chars if spec.asr else limits.max_data_uri_chars,
        audio_tokens=estimate_audio_tokens(info.duration_s, limits=limits),
        context_tokens=spec.context_tokens,
        format_accepted=accepted,
    )


@dataclass(frozen=True)
class AudioSetCheck:
    """Probed files sent together in one request, against one model's limits: each file's
    own check, and their audio tokens together against the context."""

    files: tuple[AudioLimitCheck, ...]
    context_tokens: int

    @property
    def total_audio_tokens(self) -> int:
        return sum(check.audio_tokens for check in self.files)

    @property
    def fits_context(self) -> bool:
        """All the files' audio tokens together fit the model's context."""
        return self.total_audio_tokens <= self.context_tokens

    @property
    def fits(self) -> bool:
        """Together they fit the context, and each fits on its own (format, data URI)."""
        return self.fits_context and all(check.fits for check in self.files)


def check_audio_set(
    infos: Sequence[AudioInfo], *, model: str = DEFAULT_MODEL, limits: Limits | None = None
) -> AudioSetCheck:
    """How probed files sent in one request stand against ``model``'s limits (nothing is read
    or sent): :func:`check_audio_limits` for each, and their sum against the context."""
    check_type(infos, (list, tuple), option="infos", expected="a list of AudioInfo (probe_audio(path))")
    spec = _not_speech(check_model(check_str(model, option="model")), "check_audio_set")
    checks = tuple(check_audio_limits(info, model=model, limits=limits) for info in infos)
    return AudioSetCheck(checks, spec.context_tokens)
