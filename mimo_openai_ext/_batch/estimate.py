"""A batch's dry run: total audio duration, tokens and worst-case cost, with no request.

Every local source is probed from its headers (nothing is decoded, nothing is sent);
URLs count as "duration unknown". Each local item goes through the checks ``ask_batch``
makes before sending it (format accepted or ``convert``, data URI under MiMo's limit, the
request within the model's context); one that would fail is listed with the reason, and
costs nothing in the totals. A model that cannot answer about audio (the transcription
model, a speech model, a text-only one) is refused at once, since every item would fail.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .._ask_request import check_audio_model
from .._audio.decode import open_audio
from .._audio.probe import AudioInfo, probe_audio
from .._audio.source import AudioSource, is_url
from .._audio.tokens import estimate_audio_tokens
from .._checks import check_bool, check_completion_tokens, check_limits, check_str
from .._config import DEFAULT_MODEL, Limits
from .._exceptions import MimoAudioError, UnsupportedAudioFormatError
from .._format import esc, money, seconds_text, table
from .._models import check_model, model_warned
from .._parts import check_data_uri_size
from .._request_estimate import estimate_request
from .engine import check_sources, questions_for, refuse_transcription_model
from .results import source_label, without_source

__all__ = ["BatchEstimate", "estimate_batch"]


@dataclass(frozen=True)
class BatchEstimate:
    """What a batch would send and cost at most, before it runs."""

    model: str
    items: int
    """Sources in the batch (readable or not)."""
    duration_s: float
    """Total audio duration of the readable local sources."""
    audio_tokens: int
    text_tokens: int
    """Approximate tokens of the questions and message overhead."""
    max_completion_tokens: int
    """Per request: the given ``max_completion_tokens`` or the model's default."""
    worst_case_cost_usd: float | None
    """Every input token at the full input price plus ``max_completion_tokens`` of output per
    item; ``None`` when the model has no price."""
    unreadable: tuple[tuple[str, str], ...] = ()
    """``(source, why)`` for items that would fail before any request: unreadable, a format
    MiMo refuses, too large for a data URI, or over the model's context."""
    unknown_duration: tuple[str, ...] = ()
    """URL sources (MiMo fetches them; their duration is unknown here)."""
    convertible: tuple[str, ...] = ()
    """Unreadable sources in a format MiMo refuses that ``convert=True`` would re-encode."""

    @property
    def input_tokens(self) -> int:
        return self.audio_tokens + self.text_tokens

    @property
    def worst_case_tokens(self) -> int:
        """Input tokens plus every item's ``max_completion_tokens``."""
        return self.input_tokens + self.max_completion_tokens * (self.items - len(self.unreadable))

    @property
    def unknown_note(self) -> str:
        """``"2 sources of unknown duration (URLs): totals exclude them"``, or "" if none."""
        count = len(self.unknown_duration)
        if not count:
            return ""
        if count == 1:
            return "1 source of unknown duration (a URL): totals exclude it"
        return f"{count} sources of unknown duration (URLs): totals exclude them"

    def _cost_text(self) -> str:
        return money(self.worst_case_cost_usd)

    def __repr__(self) -> str:
        note = f"; {self.unknown_note}" if self.unknown_note else ""
        failing = f", {len(self.unreadable)} would fail" if self.unreadable else ""
        return (
            f"BatchEstimate({self.items} item{'' if self.items == 1 else 's'} for {self.model}{failing}: "
            f"{_duration_text(self.duration_s)} of audio, {self.audio_tokens:,} audio tokens, "
            f"worst case {self.worst_case_tokens:,} tokens, {self._cost_text()}{note})"
        )

    def summary(self) -> str:
        """A few lines for a terminal."""
        known = " (known durations only)" if self.unknown_duration else ""
        lines = [
            f"{self.items} item{'' if self.items == 1 else 's'} for {self.model}: "
            f"{_duration_text(self.duration_s)} of audio{known}, "
            f"{self.audio_tokens:,} audio tokens, ~{self.text_tokens:,} text tokens",
            f"worst case: {self.worst_case_tokens:,} tokens with max_completion_tokens="
            f"{self.max_completion_tokens:,} per item, {self._cost_text()}",
        ]
        if self.unknown_duration:
            lines.append(self.unknown_note)
        lines += [f"would fail: {source}: {why}" for source, why in self.unreadable]
        if self.convertible:
            lines.append(
                f"{len(self.convertible)} of them in a format that convert=True re-encodes (on the "
                "command line: --convert)"
            )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """A batch's dry run: duration, tokens, worst-case cost, and what would fail."""
        unknown = len(self.unknown_duration)
        known = f" ({unknown} URL{'' if unknown == 1 else 's'} not counted)" if unknown else ""
        rows = table(
            [
                ("model", self.model),
                ("items", f"{self.items:,}"),
                ("audio duration", seconds_text(self.duration_s) + known),
                ("audio tokens", f"{self.audio_tokens:,}{known}"),
                ("text tokens", f"~{self.text_tokens:,}"),
                ("max completion tokens", f"{self.max_completion_tokens:,} per item"),
                ("worst-case tokens", f"{self.worst_case_tokens:,}"),
                ("worst-case cost", money(self.worst_case_cost_usd)),
            ],
            title="Batch estimate",
        )
        problems = "".join(f"<li>{esc(s)}: {esc(why)}</li>" for s, why in self.unreadable)
        urls = (
            f'<p style="margin-top:6px"><b>Not counted:</b> {esc(self.unknown_note)}'
            f"<br><small>{esc(', '.join(self.unknown_duration[:5]))}"
            f"{' …' if len(self.unknown_duration) > 5 else ''}</small></p>"
            if self.unknown_duration
            else ""
        )
        return rows + urls + (f"<p>Would fail:</p><ul>{problems}</ul>" if problems else "")


def estimate_batch(
    sources: Iterable[AudioSource],
    question: str | Sequence[str],
    *,
    model: str = DEFAULT_MODEL,
    max_completion_tokens: int | None = None,
    limits: Limits | None = None,
    convert: bool = False,
) -> BatchEstimate:
    """Probe every source (headers only) and add up what the batch would cost at worst.

    With ``convert=True`` (as the batch will be asked), a format MiMo refuses counts with
    its own duration instead of as "would fail".
    """
    check_str(model, option="model")
    spec = check_model(model)  # a retired model is refused; unknown or retiring soon warns
    refuse_transcription_model(spec.id)  # as ask_batch does: every item would fail
    check_audio_model(spec.id)  # a speech model, or one without audio input: every item would fail
    if max_completion_tokens is not None:
        check_completion_tokens(max_completion_tokens, spec)
    check_limits(limits)
    check_bool(convert, option="convert")
    items = check_sources(sources)
    questions = questions_for(question, len(items))
    with model_warned(spec.id):  # warned once above, not once per item
        tally = _tally(
            items,
            questions,
            model=spec.id,
            limits=limits,
            convert=convert,
            max_completion_tokens=max_completion_tokens,
        )
    completion = (
        spec.default_max_completion_tokens if max_completion_tokens is None else max_completion_tokens
    )
    cost = None
    if spec.price is not None:
        requests = len(items) - len(tally.unreadable)
        cost = (
            (tally.audio_tokens + tally.text_tokens) * spec.price.input_usd_per_mtok
            + completion * requests * spec.price.output_usd_per_mtok
        ) / 1_000_000
    return BatchEstimate(
        model=spec.id,
        items=len(items),
        duration_s=tally.duration_s,
        audio_tokens=tally.audio_tokens,
        text_tokens=tally.text_tokens,
        max_completion_tokens=completion,
        worst_case_cost_usd=cost,
        unreadable=tuple(tally.unreadable),
        unknown_duration=tuple(tally.urls),
        convertible=tuple(tally.convertible),
    )


@dataclass
class _Tally:
    duration_s: float = 0.0
    audio_tokens: int = 0
    text_tokens: int = 0
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    convertible: list[str] = field(default_factory=list)


def _tally(
    items: list[AudioSource],
    questions: list[str],
    *,
    model: str,
    limits: Limits | None,
    convert: bool,
    max_completion_tokens: int | None,
) -> _Tally:
    tally = _Tally()
    for index, (source, question) in enumerate(zip(items, questions, strict=True)):
        label = source_label(source, index)
        text_only = [{"role": "user", "content": [{"type": "text", "text": question}]}]
        question_tokens = estimate_request(text_only, model=model, check=False).text_tokens
        if isinstance(source, str) and is_url(source):
            tally.urls.append(label)
            tally.text_tokens += question_tokens
            continue
        try:
            duration_s = _duration_keeping_position(
                source,
                convert=convert,
                model=model,
                question=question,
                limits=limits,
                max_completion_tokens=max_completion_tokens,
            )
        except (MimoAudioError, OSError) as exc:
            tally.unreadable.append(
                (label, without_source(str(exc), label, getattr(exc, "source_name", None)))
            )
            if isinstance(exc, UnsupportedAudioFormatError) and exc.convertible:
                tally.convertible.append(label)  # real audio our converter decodes, not an image or text
            continue
        tally.text_tokens += question_tokens
        tally.duration_s += duration_s
        tally.audio_tokens += estimate_audio_tokens(duration_s, limits=limits)
    return tally


def _duration_keeping_position(
    source: AudioSource,
    *,
    convert: bool,
    model: str,
    question: str,
    limits: Limits | None,
    max_completion_tokens: int | None,
) -> float:
    """Probe and check as ``ask`` would before sending; a file object is put back where it
    was, so the real run reads it whole.

    With ``convert``, a refused format's duration comes from its decoder's header (its
    re-encoded size is unknown until it is re-encoded, so only its context fit is checked).
    """
    tell = getattr(source, "tell", None)
    seek = getattr(source, "seek", None)
    position = tell() if callable(tell) and callable(seek) else None
    try:
        try:
            info = probe_audio(source)
            check_data_uri_size(info, limits=limits)
            _check_fits(info, question, model=model, limits=limits, completion=max_completion_tokens)
            return info.duration_s
        except UnsupportedAudioFormatError:
            if not convert:
                raise
        if position is not None and callable(seek):
            seek(position)
        decoded = _decoded_info(source)
        _check_fits(decoded, question, model=model, limits=limits, completion=max_completion_tokens)
        return decoded.duration_s
    finally:
        if position is not None and callable(seek):
            seek(position)


def _decoded_info(source: AudioSource) -> AudioInfo:
    """What ``convert=True`` would send (WAV), as far as the context check needs: its duration."""
    with open_audio(source) as stream:
        info = stream.info
        return AudioInfo(
            format="wav",
            mime="audio/wav",
            codec="pcm_s16le",
            duration_s=info.duration_s,
            sample_rate_hz=info.sample_rate_hz,
            channels=info.channels,
            size_bytes=0,
            source_name=info.source_name,
        )


_PLACEHOLDER = "data:audio/wav;base64,"
"""Stands for the item's data URI in the dry run's message: its probe is given, never decoded."""


def _check_fits(
    info: AudioInfo, question: str, *, model: str, limits: Limits | None, completion: int | None
) -> None:
    """The context check ``ask`` makes on the request it builds (``ContextOverflowError``)."""
    placeholder = str(_PLACEHOLDER)  # its own object: the probe is matched by identity
    part = {"type": "input_audio", "input_audio": {"data": placeholder}}
    message = {"role": "user", "content": [part, {"type": "text", "text": question}]}
    estimate_request(
        [message], model=model, max_completion_tokens=completion, limits=limits, probed=[(placeholder, info)]
    )


def _duration_text(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:,.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:,.1f} min"
    return f"{seconds / 3600:,.2f} h"
