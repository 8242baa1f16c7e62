"""A transcript with its timeline: segments with true times, as text, SRT, WebVTT or JSON.

Each :class:`Segment` is one piece of the recording that was sent to MiMo's ASR model: its
start and end are where that piece's speech lies in the original (from our own cutting;
the model gives no times), its text is what the model heard in it. A piece whose request
failed keeps its place and its error (``Segment.error``); nothing else is lost with it.

Output formats: :meth:`Transcript.to_srt` (SubRip: ``00:01:02,345 --> ...``),
:meth:`Transcript.to_vtt` (WebVTT: ``WEBVTT``, ``00:01:02.345``, ``<`` and ``&`` escaped) and
:meth:`Transcript.to_dict`, which uses Whisper's ``verbose_json`` field names (``text``,
``language``, ``duration``, ``segments[].start/.end/.text``) plus our own (``model``,
``usage``, each failed segment's ``error``). Times are kept to the millisecond.

Where two pieces overlap (a cut with no pause to fall in), :func:`merge_seam` drops the
words heard twice by aligning the end of one text with the start of the next.
"""

from __future__ import annotations

import math
import re
import textwrap
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ._audio.source import AudioSource
from ._audio.waveform import plot_audio
from ._config import AsrLanguage
from ._format import GAP, clock, grid, heading, pre, short, snippet
from ._plot import Lane, Plot, TimeSpan, timeline_plot
from ._usage import UsageReport, usage_html

__all__ = ["Segment", "Transcript", "join_texts", "merge_seam"]

SUBTITLE_LINE_CHARS = 42
"""The usual longest subtitle line (BBC, Netflix): longer cue text is wrapped at spaces."""
SUBTITLE_CUE_LINES = 2
"""The usual most lines on screen at once (BBC, Netflix): a longer segment is shown as several cues."""
_SEAM_TOKENS = 24
"""How many words at each side of a seam are compared (about 6 s of speech: an overlap is 1 s)."""
_SEAM_SLACK = 2
"""Words a piece may have beyond the repeated ones at its cut edge (a word cut in two)."""

_CJK = (
    "\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
)
_TOKEN = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+")
_CJK_CHAR = re.compile(rf"[{_CJK}]")
_STATUS = re.compile(r"HTTP \d{3}")


@dataclass(frozen=True)
class Segment:
    """One piece of the recording on the timeline: where its speech lies, and what was said."""

    start_s: float
    end_s: float
    text: str
    error: str | None = None
    """Why there is no text: the piece's request failed (``"APIConnectionError: ..."``)."""

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def __repr__(self) -> str:
        what = f"failed: {short(self.error, 40)}" if self.error is not None else repr(short(self.text))
        return f"Segment({self.start_s:.3f}-{self.end_s:.3f} s, {what})"


def _tokens(text: str) -> list[tuple[int, int, str]]:
    """Words (or single CJK characters) as ``(start, end, normalised)``; punctuation alone is skipped."""
    found = []
    for match in _TOKEN.finditer(text):
        folded = unicodedata.normalize("NFKC", match.group()).casefold()
        normalised = "".join(c for c in folded if c.isalnum())
        if normalised:
            found.append((match.start(), match.end(), normalised))
    return found


def merge_seam(before: str, after: str) -> tuple[str, str]:
    """``before`` and ``after`` with the words heard twice at their seam kept once.

    Two overlapping pieces share a stretch of speech: ``before`` ends with it and ``after``
    starts with it, each perhaps with a word cut in two at its own edge. The longest run
    of the same words (case and punctuation ignored; each CJK character a word) that ends
    within two words of ``before``'s end and starts within two of ``after``'s start is that
    stretch: ``before`` keeps it (and drops what follows it, a cut word), ``after`` starts
    after it. A run of one word of one or two letters counts only right at both edges.
    With no such run (the model heard the overlap differently) both are kept whole.
    """
    tail = _tokens(before)[-_SEAM_TOKENS:]
    head = _tokens(after)[:_SEAM_TOKENS]
    words_a, words_b = [t[2] for t in tail], [t[2] for t in head]
    best: tuple[int, int, int] | None = None  # (size, dropped at before's end, dropped at after's start)
    for edge in range(min(_SEAM_SLACK, len(words_a) - 1) + 1):
        for lead in range(min(_SEAM_SLACK, len(words_b) - 1) + 1):
            end = len(words_a) - edge
            size = min(end, len(words_b) - lead)
            while size and words_a[end - size : end] != words_b[lead : lead + size]:
                size -= 1
            weak = size == 1 and len(words_b[lead]) < 3 and (edge or lead)
            if size and not weak and (best is None or (size, -edge - lead) > (best[0], -best[1] - best[2])):
                best = (size, edge, lead)
    if best is None:
        return before, after
    size, edge, lead = best
    kept_before = before[: tail[len(tail) - edge - 1][1]]
    rest = head[lead + size :]
    return kept_before, after[rest[0][0] :] if rest else ""


def join_texts(texts: Sequence[str]) -> str:
    """Texts in order, one space between them, none next to a CJK character."""
    out = ""
    for text in (t.strip() for t in texts):
        if not text:
            continue
        if out and not (_CJK_CHAR.match(out[-1]) or _CJK_CHAR.match(text[0])):
            out += " "
        out += text
    return out


def _stamp(seconds: float, separator: str) -> str:
    """``hh:mm:ss,mmm`` (SRT) or ``hh:mm:ss.mmm`` (WebVTT)."""
    ms = max(0, round(seconds * 1000))
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    secs, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{ms:03d}"


def _cue_lines(text: str) -> list[str]:
    """Cue text on lines of at most ``SUBTITLE_LINE_CHARS`` (half as many CJK characters); never a
    blank line or an arrow (either would end the cue)."""
    flat = " ".join(text.replace("-->", "->").split())
    if not flat:
        return []
    wide = len(_CJK_CHAR.findall(flat)) * 3 > len(flat)  # mostly CJK: each character is two columns
    width = SUBTITLE_LINE_CHARS // 2 if wide else SUBTITLE_LINE_CHARS
    lines = _wrap(flat, width)
    if len(lines) <= SUBTITLE_CUE_LINES:
        return lines
    # several cues: lines of even length, so the last cue is not a word or two on its own
    budget = math.ceil(len(lines) / SUBTITLE_CUE_LINES) * SUBTITLE_CUE_LINES
    for narrower in range(math.ceil(len(flat) / budget), width):
        even = _wrap(flat, narrower)
        if len(even) <= budget:
            return even
    return lines


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False) or [text]


def _reason(error: str) -> str:
    """A failed piece's error in a few words: ``HTTP 503``, else the error's type."""
    status = _STATUS.search(error)
    return status.group() if status else error.split(":", 1)[0].strip() or "error"


def _vtt_escape(line: str) -> str:
    return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class Transcript:
    """A transcription: its text, its timeline (``segments``), and what it used."""

    text: str
    """The segments' texts in order; a failed piece shows as ``[not transcribed: mm:ss-mm:ss]``."""
    language: AsrLanguage
    model: str
    source_name: str
    duration_s: float
    """The recording's duration."""
    usage: UsageReport
    """Summed over every request."""
    id: str = ""
    """The completion's id when one request served it all (else empty)."""
    segments: tuple[Segment, ...] = ()
    vad: str = ""
    """What found the pauses: ``"silero"``, ``"energy"``, or empty when the audio went whole."""

    @property
    def failures(self) -> tuple[Segment, ...]:
        """The segments whose request failed (their text is missing from ``text``)."""
        return tuple(s for s in self.segments if s.error is not None)

    @property
    def complete(self) -> bool:
        """Every piece was transcribed."""
        return not self.failures

    @property
    def cost_usd(self) -> float | None:
        return self.usage.cost_usd

    def __repr__(self) -> str:
        failed = f", {len(self.failures)} failed" if self.failures else ""
        return (
            f"Transcript({self.source_name!r}, {self.duration_s:.1f} s, {len(self.segments)} segments"
            f"{failed}, text={short(self.text)!r})"
        )

    # -- formats ---------------------------------------------------------------------

    def _cues(self) -> list[tuple[float, float, list[str]]]:
        """``(start_s, end_s, lines)``: a segment whose text needs more than two lines becomes
        several cues of at most two, its time shared out by their characters."""
        cues = []
        for segment in self.segments:
            text = segment.text if segment.error is None else f"[not transcribed: {_reason(segment.error)}]"
            lines = _cue_lines(text)
            groups = [lines[i : i + SUBTITLE_CUE_LINES] for i in range(0, len(lines), SUBTITLE_CUE_LINES)]
            total = sum(len(line) for line in lines) or 1
            start_s, done = segment.start_s, 0
            span_s = segment.end_s - segment.start_s
            for group in groups:
                done += sum(len(line) for line in group)
                end_s = segment.start_s + span_s * done / total if group is not groups[-1] else segment.end_s
                cues.append((start_s, end_s, group))
                start_s = end_s
        return cues

    def to_srt(self) -> str:
        """SubRip subtitles: numbered cues, ``hh:mm:ss,mmm`` times, at most two lines of at most 42
        characters a cue."""
        blocks = [
            f"{number}\n{_stamp(start, ',')} --> {_stamp(end, ',')}\n" + "\n".join(lines)
            for number, (start, end, lines) in enumerate(self._cues(), 1)
        ]
        return "\n\n".join(blocks) + "\n" if blocks else ""

    def to_vtt(self) -> str:
        """WebVTT subtitles: a ``WEBVTT`` header, ``hh:mm:ss.mmm`` times, ``<`` and ``&`` escaped,
        at most two lines a cue."""
        blocks = [
            f"{_stamp(start, '.')} --> {_stamp(end, '.')}\n" + "\n".join(map(_vtt_escape, lines))
            for start, end, lines in self._cues()
        ]
        return "WEBVTT\n\n" + "".join(block + "\n\n" for block in blocks)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data with Whisper's ``verbose_json`` names, plus ``model``, ``usage``, errors."""
        segments: list[dict[str, Any]] = []
        for number, s in enumerate(self.segments):
            item: dict[str, Any] = {
                "id": number,
                "start": round(s.start_s, 3),
                "end": round(s.end_s, 3),
                "text": s.text,
            }
            if s.error is not None:
                item["error"] = s.error
            segments.append(item)
        return {
            "task": "transcribe",
            "language": self.language,
            "duration": round(self.duration_s, 3),
            "text": self.text,
            "segments": segments,
            "complete": self.complete,
            "model": self.model,
            "source_name": self.source_name,
            "vad": self.vad,
            "id": self.id,
            "usage": self.usage.to_dict(),
            "cost_usd": self.usage.cost_usd,
        }

    # -- display ---------------------------------------------------------------------

    def plot(self, audio: AudioSource | None = None, *, title: str | None = None) -> Plot:
        """The segments on a timeline (Jupyter shows it); with ``audio``, under its waveform.

        Needs matplotlib (the ``jupyter`` extra).
        """
        spans = tuple(
            TimeSpan(s.start_s, s.end_s, "failed" if s.error is not None else short(s.text, 18))
            for s in self.segments
        )
        title = title or f"{self.source_name} · {len(self.segments)} segments · {self.duration_s:,.1f} s"
        if audio is not None:
            return plot_audio(audio, segments=spans, title=title)
        lane = Lane("segments", spans)
        return timeline_plot([], duration_s=self.duration_s, lanes=[lane], title=title, needed_by="plot()")

    def _repr_html_(self) -> str:  # Jupyter
        rows = (
            (
                f"{clock(s.start_s)}\u2060-\u2060{clock(s.end_s)}",  # word joiners: never wrapped
                f"{s.duration_s:.1f} s",
                (snippet(s.text), s.text)
                if s.error is None
                else ("failed: " + snippet(s.error, 80), s.error),
            )
            for s in self.segments
        )
        failed = f", {len(self.failures)} failed" if self.failures else ""
        title = f"{len(self.segments)} segments{failed}"
        return (
            heading(f"Transcript of {self.source_name} ({self.duration_s:,.1f} s, {self.model})")
            + pre(self.text)
            + GAP
            + grid(["time", "length", "text"], rows, title=title, align="nrl")
            + GAP
            + usage_html(self.usage, title="Usage (every request, summed)")
        )
