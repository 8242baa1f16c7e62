"""Rich display in Jupyter: HTML for probes, estimates, usage, answers and batches.

The result classes keep a three-line ``_repr_html_`` that imports this module lazily,
so nothing here (nor IPython) loads unless a notebook asks for it. Parts and messages
are shown by :func:`display_part` (in ``_display_parts``, re-exported here).
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from ._display_parts import DEFAULT_MAX_EMBED_CHARS, PartView, display_part, part_html, part_text

if TYPE_CHECKING:
    from ._across import AcrossChunksAnswer
    from ._answer import Answer
    from ._batch.estimate import BatchEstimate
    from ._batch.results import BatchResult, BatchResults
    from ._audio.probe import AudioInfo
    from ._request_estimate import RequestEstimate
    from ._usage import UsageReport

__all__ = [
    "DEFAULT_MAX_EMBED_CHARS",
    "PartView",
    "across_html",
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


_TABLE = '<table style="border-collapse:collapse;text-align:left">'
_CELL = 'style="padding:2px 10px 2px 0;text-align:left;vertical-align:top"'


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _money(usd: float | None) -> str:
    from ._batch.results import usd_text

    return "unpriced" if usd is None else usd_text(usd)


def _table(rows: Iterable[tuple[str, object]], *, title: str = "") -> str:
    caption = f'<caption style="text-align:left"><b>{_e(title)}</b></caption>' if title else ""
    body = "".join(f"<tr><th {_CELL}>{_e(k)}</th><td {_CELL}>{_e(v)}</td></tr>" for k, v in rows)
    return f"{_TABLE}{caption}{body}</table>"


_HEAD = 'style="padding:2px 10px 2px 0;text-align:left;white-space:nowrap;border-bottom:1px solid #999"'
_GAP = '<div style="height:10px"></div>'


def _grid(header: Sequence[str], rows: Iterable[Sequence[object]], *, title: str = "") -> str:
    caption = f'<caption style="text-align:left"><b>{_e(title)}</b></caption>' if title else ""
    head = "".join(f"<th {_HEAD}>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in rows)
    return f"{_TABLE}{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: object) -> str:
    """A cell; a ``(text, tooltip)`` pair shows ``text`` with the tooltip on hover."""
    if isinstance(value, tuple) and len(value) == 2:
        return f'<td {_CELL} title="{_e(value[1])}">{_e(value[0])}</td>'
    return f"<td {_CELL}>{_e(value)}</td>"


def _heading(text: str) -> str:
    return f'<div style="margin:10px 0 4px 0"><b>{_e(text)}</b></div>'


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
        title=f"Audio parts ({len(estimate.audio)})",
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
    return totals + (_GAP + parts if estimate.audio else "") + (f"<ul>{notes}</ul>" if notes else "")


def _fits(fits: bool) -> str:
    return "fits" if fits else "does NOT fit"


def _pre(text: str) -> str:
    return f'<div style="white-space:pre-wrap">{_e(text)}</div>'


def answer_html(answer: Answer) -> str:
    """An answer: the text, the reasoning folded in ``<details>``, and the usage table."""
    parts = [_heading("Answer"), _pre(answer.text) if answer.text else "<i>(empty answer)</i>"]
    if answer.truncated:
        parts.append(f"<p><b>Cut short</b> (finish_reason {_e(answer.finish_reason)})</p>")
    if answer.reasoning and not answer.text_from_reasoning:
        summary = f"Reasoning ({answer.usage.reasoning_tokens:,} tokens)"
        parts.append(
            f'<div style="margin-top:8px"><details><summary>{_e(summary)}</summary>'
            f"{_pre(answer.reasoning)}</details></div>"
        )
    elif answer.text_from_reasoning:
        parts.append("<p><i>content was empty: the text above is MiMo's reasoning_content</i></p>")
    parts.append(_GAP + usage_html(answer.usage))
    if answer.estimate is not None:
        estimate = answer.estimate
        summary = (
            f"Estimate before the call: {estimate.input_tokens:,} input tokens, "
            f"worst case {_money(estimate.worst_case_cost_usd)}"
        )
        parts.append(
            f'<div style="margin-top:8px"><details><summary>{_e(summary)}</summary>'
            f"{estimate_html(estimate)}</details></div>"
        )
    return "".join(parts)


def _snippet(text: str | None, limit: int = 120) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _result_row(result: BatchResult, folder: str = "") -> tuple[object, ...]:
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
        (_relative(record["source"], folder), record["source"]),
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


def _common_folder(sources: Sequence[str]) -> str:
    """The folder every local path shares ("" when there is none worth dropping)."""
    paths = [s for s in sources if os.path.isabs(s)]
    if len(paths) != len(sources) or not paths:
        return ""
    try:
        folder = os.path.commonpath([os.path.dirname(p) for p in paths])
    except ValueError:  # different drives
        return ""
    return "" if folder == os.path.dirname(folder) else folder  # keep "/" and "C:\\" out


def _relative(source: str, folder: str) -> str:
    return os.path.relpath(source, folder) if folder else source


def batch_result_html(result: BatchResult) -> str:
    """One batch item as a one-row table (the answer's own HTML when it has one)."""
    row = _grid(_BATCH_HEADER, [_result_row(result)])
    return row + (answer_html(result.answer) if result.answer is not None else "")


def batch_results_html(results: BatchResults) -> str:
    """A batch: totals, then one row per item in input order."""
    ok = len(results.succeeded)
    folder = _common_folder([r.source for r in results])
    summary = (
        f"<p><b>{len(results)} items</b>: {ok} ok, {len(results) - ok} failed · "
        f"{results.tokens():,} tokens ({results.tokens('audio_tokens'):,} audio) · "
        f"{_e(_money(results.cost_usd))} · {results.elapsed_s:.1f} s"
        + (f" · results: {_e(results.results_path)}" if results.results_path else "")
        + (f"<br>sources in <code>{_e(folder)}</code> (hover a name for its full path)" if folder else "")
        + "</p>"
    )
    return summary + _grid(_BATCH_HEADER, (_result_row(r, folder) for r in results))


def across_html(result: AcrossChunksAnswer) -> str:
    """A long recording's answer: the answer, one row per piece, then the summed usage."""
    from ._across import _clock

    rows = (
        (
            c.index + 1,
            f"{_clock(c.start_s)}\u2060-\u2060{_clock(c.end_s)}",  # word joiners: never wrapped
            f"{c.answer.usage.audio_tokens:,}",
            _money(c.answer.usage.cost_usd),
            (_snippet(c.text), c.text),
        )
        for c in result.chunks
    )
    combined = "combined answer" if result.combined is not None else "answers by time"
    return (
        _heading(f"Question: {result.question}")
        + _heading(f"Answer ({combined} of {len(result.chunks)} pieces)")
        + _pre(result.text)
        + _GAP
        + _grid(["piece", "time", "audio tokens", "cost", "answer"], rows, title="Pieces")
        + _GAP
        + usage_html(result.usage).replace("<b>Usage</b>", "<b>Usage (every call, summed)</b>", 1)
    )


def batch_estimate_html(estimate: BatchEstimate) -> str:
    """A batch's dry run: duration, tokens, worst-case cost, and what would fail."""
    unknown = len(estimate.unknown_duration)
    known = f" ({unknown} URL{'' if unknown == 1 else 's'} not counted)" if unknown else ""
    table = _table(
        [
            ("model", estimate.model),
            ("items", f"{estimate.items:,}"),
            ("audio duration", _seconds(estimate.duration_s) + known),
            ("audio tokens", f"{estimate.audio_tokens:,}{known}"),
            ("text tokens", f"~{estimate.text_tokens:,}"),
            ("max completion tokens", f"{estimate.max_completion_tokens:,} per item"),
            ("worst-case tokens", f"{estimate.worst_case_tokens:,}"),
            ("worst-case cost", _money(estimate.worst_case_cost_usd)),
        ],
        title="Batch estimate",
    )
    problems = "".join(f"<li>{_e(s)}: {_e(why)}</li>" for s, why in estimate.unreadable)
    urls = (
        f'<p style="margin-top:6px"><b>Not counted:</b> {_e(estimate.unknown_note)}'
        f"<br><small>{_e(', '.join(estimate.unknown_duration[:5]))}"
        f"{' …' if len(estimate.unknown_duration) > 5 else ''}</small></p>"
        if estimate.unknown_duration
        else ""
    )
    return table + urls + (f"<p>Would fail:</p><ul>{problems}</ul>" if problems else "")
