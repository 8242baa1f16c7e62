"""Rich display in Jupyter: HTML for probes, estimates, usage, answers and batches.

The result classes keep a three-line ``_repr_html_`` that imports this module lazily,
so nothing here (nor IPython) loads unless a notebook asks for it. Parts stay plain
dicts for the SDK; :func:`display_part` shows one (an audio player for local audio,
its format and duration) without ever printing a base64 payload.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._answer import Answer
    from ._batch_estimate import BatchEstimate
    from ._batch_results import BatchResult, BatchResults
    from ._probe import AudioInfo
    from ._usage import RequestEstimate, UsageReport

__all__ = [
    "DEFAULT_MAX_EMBED_CHARS",
    "PartView",
    "answer_html",
    "audio_info_html",
    "batch_estimate_html",
    "batch_result_html",
    "batch_results_html",
    "display_part",
    "estimate_html",
    "part_html",
    "part_text",
    "usage_html",
]

DEFAULT_MAX_EMBED_CHARS = 10_000_000
"""A data URI longer than this gets no player (it would bloat the notebook file)."""

_TABLE = '<table style="border-collapse:collapse;text-align:left">'
_CELL = 'style="padding:2px 10px 2px 0;text-align:left"'


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _money(usd: float | None) -> str:
    return "unpriced" if usd is None else f"${usd:,.6f}" if usd < 0.01 else f"${usd:,.4f}"


def _table(rows: Iterable[tuple[str, object]], *, title: str = "") -> str:
    caption = f'<caption style="text-align:left"><b>{_e(title)}</b></caption>' if title else ""
    body = "".join(f"<tr><th {_CELL}>{_e(k)}</th><td {_CELL}>{_e(v)}</td></tr>" for k, v in rows)
    return f"{_TABLE}{caption}{body}</table>"


def _grid(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    head = "".join(f"<th {_CELL}>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td {_CELL}>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"{_TABLE}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _seconds(duration_s: float | None) -> str:
    if duration_s is None:
        return "unknown"
    if duration_s < 60:
        return f"{duration_s:.2f} s"
    minutes, seconds = divmod(duration_s, 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}:{minutes:02d}:{seconds:05.2f} ({duration_s:,.1f} s)"


def audio_info_html(info: AudioInfo) -> str:
    """A probe result: format, duration, sample rate, channels, size and tokens."""
    from ._config import DEFAULT_LIMITS

    limit = DEFAULT_LIMITS.max_data_uri_chars
    return _table(
        [
            ("format", f"{info.format} ({info.mime}, {info.codec})"),
            ("duration", _seconds(info.duration_s)),
            ("sample rate", f"{info.sample_rate_hz:,} Hz"),
            ("channels", info.channels),
            ("size", f"{info.size_bytes:,} bytes"),
            ("audio tokens", f"{info.audio_tokens:,} (estimate)"),
            ("data URI", f"{info.data_uri_chars:,} of {limit:,} characters"),
        ],
        title=info.source_name,
    )


def usage_html(usage: UsageReport) -> str:
    """A usage report: every token count and the cost."""
    rows: list[tuple[str, object]] = [
        ("model", usage.model),
        ("prompt tokens", f"{usage.prompt_tokens:,}"),
        ("· audio", f"{usage.audio_tokens:,}" if usage.audio_tokens_reported else "not reported"),
        ("· text", f"{usage.text_tokens:,}"),
        ("· cached", f"{usage.cached_tokens:,}"),
        ("completion tokens", f"{usage.completion_tokens:,}"),
        ("· reasoning", f"{usage.reasoning_tokens:,}"),
        ("total tokens", f"{usage.total_tokens:,}"),
        ("cost", _money(usage.cost_usd)),
    ]
    if usage.audio_seconds is not None:
        rows.insert(2, ("audio seconds", f"{usage.audio_seconds:g}"))
    return _table(rows, title="Usage")


def estimate_html(estimate: RequestEstimate) -> str:
    """A pre-call estimate: each audio part, the totals against the context, worst-case cost."""
    parts = _grid(
        ["audio", "format", "duration", "tokens", "data URI chars"],
        (
            (a.where, a.format or "?", _seconds(a.duration_s), a.audio_tokens or "?", f"{a.data_uri_chars:,}")
            for a in estimate.audio
        ),
    )
    totals = _table(
        [
            ("model", estimate.model),
            ("audio duration", _seconds(estimate.audio_duration_s)),
            ("audio tokens", f"{estimate.audio_tokens:,}"),
            ("text tokens", f"~{estimate.text_tokens:,}"),
            ("input tokens", f"{estimate.input_tokens:,}"),
            ("max completion tokens", f"{estimate.max_completion_tokens:,}"),
            ("context", f"{estimate.total_tokens:,} of {estimate.context_tokens:,} ({_fits(estimate.fits)})"),
            ("worst-case cost", _money(estimate.worst_case_cost_usd)),
        ],
        title="Request estimate",
    )
    notes = "".join(f"<li>{_e(n)}</li>" for n in estimate.notes)
    return totals + (parts if estimate.audio else "") + (f"<ul>{notes}</ul>" if notes else "")


def _fits(fits: bool) -> str:
    return "fits" if fits else "does NOT fit"


def _pre(text: str) -> str:
    return f'<div style="white-space:pre-wrap">{_e(text)}</div>'


def answer_html(answer: Answer) -> str:
    """An answer: the text, the reasoning folded in ``<details>``, and the usage table."""
    parts = [_pre(answer.text) if answer.text else "<i>(empty answer)</i>"]
    if answer.truncated:
        parts.append(f"<p><b>Cut short</b> (finish_reason {_e(answer.finish_reason)})</p>")
    if answer.reasoning and not answer.text_from_reasoning:
        summary = f"Reasoning ({answer.usage.reasoning_tokens:,} tokens)"
        parts.append(f"<details><summary>{_e(summary)}</summary>{_pre(answer.reasoning)}</details>")
    elif answer.text_from_reasoning:
        parts.append("<p><i>content was empty: the text above is MiMo's reasoning_content</i></p>")
    parts.append(usage_html(answer.usage))
    if answer.estimate is not None:
        estimate = answer.estimate
        summary = (
            f"Estimate before the call: {estimate.input_tokens:,} input tokens, "
            f"worst case {_money(estimate.worst_case_cost_usd)}"
        )
        parts.append(f"<details><summary>{_e(summary)}</summary>{estimate_html(estimate)}</details>")
    return "".join(parts)


def _snippet(text: str | None, limit: int = 120) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _result_row(result: BatchResult) -> tuple[object, ...]:
    record = result.record
    if result.ok:
        status = "resumed" if result.resumed else "ok"
        outcome = _snippet(record["answer"])
    else:
        error = record["error"] or {"type": "?", "message": "", "status": None}
        status = f"failed ({error['status']})" if error["status"] else "failed"
        outcome = f"{error['type']}: {_snippet(error['message'])}"
    duration = record.get("duration_s")
    return (
        record["index"],
        record["source"],
        status,
        "" if duration is None else f"{duration:.2f}",
        f"{result.tokens('audio_tokens'):,}",
        f"{result.tokens('total_tokens'):,}",
        "" if record["cost_usd"] is None else _money(record["cost_usd"]),
        outcome,
    )


_BATCH_HEADER = (
    "#",
    "source",
    "status",
    "duration s",
    "audio tokens",
    "total tokens",
    "cost",
    "answer / error",
)


def batch_result_html(result: BatchResult) -> str:
    """One batch item as a one-row table (the answer's own HTML when it has one)."""
    row = _grid(_BATCH_HEADER, [_result_row(result)])
    return row + (answer_html(result.answer) if result.answer is not None else "")


def batch_results_html(results: BatchResults) -> str:
    """A batch: totals, then one row per item in input order."""
    ok = len(results.succeeded)
    summary = (
        f"<p><b>{len(results)} items</b>: {ok} ok, {len(results) - ok} failed · "
        f"{results.tokens():,} tokens ({results.tokens('audio_tokens'):,} audio) · "
        f"{_e(_money(results.cost_usd))} · {results.elapsed_s:.1f} s"
        + (f" · {_e(results.results_path)}" if results.results_path else "")
        + "</p>"
    )
    return summary + _grid(_BATCH_HEADER, (_result_row(r) for r in results))


def batch_estimate_html(estimate: BatchEstimate) -> str:
    """A batch's dry run: duration, tokens, worst-case cost, and what would fail."""
    table = _table(
        [
            ("model", estimate.model),
            ("items", f"{estimate.items:,}"),
            ("audio duration", _seconds(estimate.duration_s)),
            ("audio tokens", f"{estimate.audio_tokens:,}"),
            ("text tokens", f"~{estimate.text_tokens:,}"),
            ("max completion tokens", f"{estimate.max_completion_tokens:,} per item"),
            ("worst-case tokens", f"{estimate.worst_case_tokens:,}"),
            ("worst-case cost", _money(estimate.worst_case_cost_usd)),
        ],
        title="Batch estimate",
    )
    problems = "".join(f"<li>{_e(s)}: {_e(why)}</li>" for s, why in estimate.unreadable)
    urls = (
        f"<p>{len(estimate.unknown_duration)} URL(s) of unknown duration</p>"
        if estimate.unknown_duration
        else ""
    )
    return table + urls + (f"<p>Would fail:</p><ul>{problems}</ul>" if problems else "")


# -- parts and messages -----------------------------------------------------------------


def _audio_summary(data: str) -> tuple[str, AudioInfo | None, str]:
    """(kind, probe or None, a problem) for an ``input_audio`` data string."""
    from ._exceptions import MimoAudioError
    from ._source import is_data_uri, is_url, parse_data_uri

    if is_url(data):
        return "url", None, ""
    if not is_data_uri(data):
        return "raw", None, "raw base64 without a data: URI: MiMo is reported to ignore it silently"
    from ._probe import probe_bytes

    try:
        return "data", probe_bytes(parse_data_uri(data).data, source_name="<data URI>"), ""
    except MimoAudioError as exc:
        return "data", None, str(exc)


def _audio_line(kind: str, info: AudioInfo | None, problem: str, data: str) -> str:
    if info is not None:
        channels = {1: "mono", 2: "stereo"}.get(info.channels, f"{info.channels} channels")
        return (
            f"audio: {info.format} ({info.mime}), {info.duration_s:.2f} s, {info.sample_rate_hz:,} Hz "
            f"{channels}, {info.size_bytes:,} bytes, ~{info.audio_tokens:,} tokens "
            f"(data URI {len(data):,} chars)"
        )
    if kind == "url":
        return f"audio: URL {data} (MiMo fetches it; duration unknown here)"
    return f"audio: {problem} ({len(data):,} chars)"


def _parts_of(item: object) -> list[Mapping[str, Any]]:
    if isinstance(item, Mapping):
        if "type" in item:
            return [item]
        content = item.get("content")
        if isinstance(content, str):
            return [{"type": "text", "text": content}]
        if isinstance(content, Sequence):
            return [p for p in content if isinstance(p, Mapping)]
        raise ValueError(
            f"display_part: a message with {type(content).__name__} content; "
            "expected a string or a list of parts"
        )
    if isinstance(item, Sequence) and not isinstance(item, (str, bytes)):
        return [p for x in item for p in _parts_of(x)]
    raise ValueError(
        f"display_part: got a {type(item).__name__}; pass a part (input_audio_part(...), text_part(...)), "
        "a message ({'role': ..., 'content': [...]}) or a list of them"
    )


def _part_rendering(part: Mapping[str, Any], max_embed_chars: int) -> tuple[str, str]:
    """(html, text) for one part."""
    kind = part.get("type")
    if kind == "text":
        text = str(part.get("text", ""))
        return f"<p><b>text</b>: {_e(text)}</p>", f"text: {_snippet(text, 200)!r}"
    if kind != "input_audio":
        return f"<p><b>{_e(kind)}</b> part</p>", f"{kind} part"
    data = str((part.get("input_audio") or {}).get("data", ""))
    source_kind, info, problem = _audio_summary(data)
    line = _audio_line(source_kind, info, problem, data)
    if source_kind == "raw" or (source_kind == "data" and info is None):
        player = ""
    elif len(data) > max_embed_chars:
        player = (
            f"<p><i>player omitted: {len(data):,} characters is over "
            f"max_embed_chars={max_embed_chars:,}</i></p>"
        )
    else:
        player = f'<audio controls preload="metadata" src="{_e(data)}"></audio>'
    return f"<div>{player}<div><small>{_e(line)}</small></div></div>", line


def part_html(part_or_message: object, *, max_embed_chars: int = DEFAULT_MAX_EMBED_CHARS) -> str:
    """HTML for a part, a message or a list of them: players for audio, text as text."""
    return "".join(_part_rendering(p, max_embed_chars)[0] for p in _parts_of(part_or_message))


def part_text(part_or_message: object) -> str:
    """A short plain-text summary (never the base64 payload)."""
    return "\n".join(_part_rendering(p, 0)[1] for p in _parts_of(part_or_message))


class PartView:
    """What :func:`display_part` shows: HTML in a notebook, a short summary elsewhere."""

    def __init__(self, part_or_message: object, *, max_embed_chars: int = DEFAULT_MAX_EMBED_CHARS) -> None:
        rendered = [_part_rendering(p, max_embed_chars) for p in _parts_of(part_or_message)]
        self.html = "".join(h for h, _ in rendered)
        self.text = "\n".join(t for _, t in rendered)

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.text


def display_part(part_or_message: object, *, max_embed_chars: int = DEFAULT_MAX_EMBED_CHARS) -> None:
    """Show a part or a message: an audio player for local (data URI) audio, its format and duration.

    In Jupyter this renders HTML; elsewhere it prints a one-line summary per part. Audio
    whose data URI is longer than ``max_embed_chars`` is described without a player.
    """
    view = PartView(part_or_message, max_embed_chars=max_embed_chars)
    try:
        from IPython import display as ipython_display
    except ImportError:
        print(view.text)
        return
    show: Callable[[object], object] = ipython_display.display
    show(view)
