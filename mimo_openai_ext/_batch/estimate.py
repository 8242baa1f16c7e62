"""A batch's dry run: total audio duration, tokens and worst-case cost, with no request.

Every local source is probed from its headers (nothing is decoded, nothing is sent);
URLs count as "duration unknown"; unreadable or refused files are listed with the reason
they would fail.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .._audio.decode import open_audio
from .._audio.probe import probe_audio
from .._audio.source import AudioSource, is_url
from .._audio.tokens import estimate_audio_tokens
from .._checks import check_bool, check_completion_tokens, check_limits, check_str
from .._config import DEFAULT_MODEL, Limits
from .._exceptions import MimoAudioError, UnsupportedAudioFormatError
from .._format import esc, money, seconds_text, table
from .._models import check_model, model_warned
from .._request_estimate import estimate_request
from .engine import check_sources, questions_for
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
    """``(source, why)`` for sources that would fail before any request."""
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
    if max_completion_tokens is not None:
        check_completion_tokens(max_completion_tokens, spec)
    check_limits(limits)
    check_bool(convert, option="convert")
    items = check_sources(sources)
    questions = questions_for(question, len(items))
    with model_warned(spec.id):  # warned once above, not once per item
        tally = _tally(items, questions, model=spec.id, limits=limits, convert=convert)
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
    items: list[AudioSource], questions: list[str], *, model: str, limits: Limits | None, convert: bool
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
            duration_s = _duration_keeping_position(source, convert=convert)
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


def _duration_keeping_position(source: AudioSource, *, convert: bool) -> float:
    """Probe; a file object is put back where it was, so the real run reads it whole.

    With ``convert``, a refused format's duration comes from its decoder's header.
    """
    tell = getattr(source, "tell", None)
    seek = getattr(source, "seek", None)
    position = tell() if callable(tell) and callable(seek) else None
    try:
        try:
            return probe_audio(source).duration_s
        except UnsupportedAudioFormatError:
            if not convert:
                raise
        if position is not None and callable(seek):
            seek(position)
        return _decoded_duration_s(source)
    finally:
        if position is not None and callable(seek):
            seek(position)


def _decoded_duration_s(source: AudioSource) -> float:
    with open_audio(source) as stream:
        return stream.info.duration_s


def _duration_text(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:,.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:,.1f} min"
    return f"{seconds / 3600:,.2f} h"
