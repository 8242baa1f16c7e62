"""How numbers and results read: money, clocks, short text, and the HTML cells of the rich reprs.

Shared by every result type's ``__repr__`` and ``_repr_html_``; it imports nothing of
this package, so any module may use it. Each result type builds its own HTML from these
cells (``table``, ``grid``, ...), next to the type, so nothing imports a presenter back.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence

__all__ = [
    "GAP",
    "Number",
    "clock",
    "details",
    "esc",
    "grid",
    "heading",
    "money",
    "pre",
    "seconds_text",
    "short",
    "snippet",
    "table",
    "usd_text",
    "wait_text",
]


def usd_text(usd: float) -> str:
    """Dollars with two significant digits below a cent (``$0.000021``), else four decimals."""
    if usd <= 0 or usd >= 0.01:
        return f"${usd:,.4f}"
    decimals = -math.floor(math.log10(usd)) + 1
    return f"${usd:.{decimals}f}"


def money(usd: float | None) -> str:
    """:func:`usd_text`, or ``"unpriced"`` for a model with no price."""
    return "unpriced" if usd is None else usd_text(usd)


def clock(seconds: float) -> str:
    """``mm:ss``, or ``h:mm:ss`` from an hour on (rounded to the second)."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"


def wait_text(seconds: float) -> str:
    """A wait a person can read: ``90 s``, ``86400 s``; from 100,000 s on ``3 days`` or ``73 years``
    (never ``2.30011e+09 s``)."""
    if seconds < 100_000:
        return f"{seconds:g} s"
    days = seconds / 86_400
    if days < 730:
        return f"{days:,.0f} days"
    return f"{days / 365.25:,.0f} years"


def short(text: str, limit: int = 60) -> str:
    """``text`` on one line, cut with ``...`` past ``limit`` characters (for plain reprs)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def snippet(text: str | None, limit: int = 120) -> str:
    """``text`` on one line, cut with ``…`` past ``limit`` characters (for HTML cells)."""
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def seconds_text(duration_s: float | None) -> str:
    """``12.34 s`` under a minute, else ``h:mm:ss.ss (n s)``; ``unknown`` for None."""
    if duration_s is None:
        return "unknown"
    if duration_s < 60:
        return f"{duration_s:.2f} s"
    minutes, seconds = divmod(duration_s, 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}:{minutes:02d}:{seconds:05.2f} ({duration_s:,.1f} s)"


# -- HTML cells ----------------------------------------------------------------------

_TABLE = '<table style="border-collapse:collapse;text-align:left">'
_PAD = "padding:2px 10px 2px 0;vertical-align:top"
_CELL = f'style="{_PAD};text-align:left"'
_ALIGN = {
    "l": "text-align:left",
    "r": "text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums",
    "n": "text-align:left;white-space:nowrap",
}
"""A grid column's style by letter: ``l`` text, ``r`` a number (right-aligned, never wrapped),
``n`` a name such as a file name (never wrapped)."""
GAP = '<div style="height:10px"></div>'


def esc(value: object) -> str:
    """HTML-escaped ``str(value)``, quotes included."""
    return html.escape(str(value), quote=True)


def _caption(title: str) -> str:
    return f'<caption style="text-align:left"><b>{esc(title)}</b></caption>' if title else ""


def table(rows: Iterable[tuple[str, object]], *, title: str = "") -> str:
    """A two-column table of ``(label, value)`` rows."""
    body = "".join(f"<tr><th {_CELL}>{esc(k)}</th><td {_CELL}>{esc(v)}</td></tr>" for k, v in rows)
    return f"{_TABLE}{_caption(title)}{body}</table>"


class Number(str):
    """A grid cell holding a number in a column of text: right-aligned, never wrapped."""


def _cell(value: object, style: str) -> str:
    """A cell; a ``(text, tooltip)`` pair shows ``text`` with the tooltip on hover."""
    if isinstance(value, Number):
        style = f"{_PAD};{_ALIGN['r']}"
    if isinstance(value, tuple) and len(value) == 2:
        return f'<td style="{style}" title="{esc(value[1])}">{esc(value[0])}</td>'
    return f'<td style="{style}">{esc(value)}</td>'


def grid(header: Sequence[str], rows: Iterable[Sequence[object]], *, title: str = "", align: str = "") -> str:
    """A table with a header row; a ``(text, tooltip)`` cell shows its tooltip on hover.

    ``align`` has one letter per column (see ``_ALIGN``: ``l`` text, ``r`` number, ``n`` name);
    columns it does not cover are text. A :class:`Number` cell is right-aligned in any column.
    """
    if set(align) - set(_ALIGN):
        raise ValueError(f"grid(align={align!r}): use only the letters l, r and n")
    styles = [f"{_PAD};{_ALIGN[a]}" for a in align.ljust(len(header), "l")]
    head = "".join(
        f'<th style="{_PAD};{_ALIGN[a]};border-bottom:1px solid #999;white-space:nowrap">{esc(h)}</th>'
        for h, a in zip(header, align.ljust(len(header), "l"), strict=True)
    )
    body = "".join(
        "<tr>" + "".join(_cell(c, style) for c, style in zip(row, styles, strict=False)) + "</tr>"
        for row in rows
    )
    return f"{_TABLE}{_caption(title)}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def heading(text: str) -> str:
    return f'<div style="margin:10px 0 4px 0"><b>{esc(text)}</b></div>'


def pre(text: str) -> str:
    """Text with its line breaks kept."""
    return f'<div style="white-space:pre-wrap">{esc(text)}</div>'


def details(summary: str, body_html: str) -> str:
    """A folded ``<details>`` block."""
    return (
        f'<div style="margin-top:8px"><details><summary>{esc(summary)}</summary>{body_html}</details></div>'
    )
