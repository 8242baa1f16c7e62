"""Waveforms for notebooks: ``plot_audio`` draws a recording, its chunks and segments on one timeline.

The waveform is read from the audio itself, decoded in blocks and reduced to the lowest and
highest sample of each column of pixels, so an hour of audio never sits decoded in memory.
An :class:`AudioInfo` holds headers only (and the file's base name), so it is not enough to
draw from: pass the file itself. A :class:`FittedAudio` and :class:`AudioChunk` s hold their
bytes: they are drawn from those, chunks at their place in the whole recording.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .._exceptions import InvalidAudioSourceError, InvalidTypeError
from .._plot import Envelope, Lane, Plot, TimeSpan, timeline_plot
from .decode import SourceAudioInfo
from .envelope import COLUMNS as _COLUMNS
from .envelope import envelope
from .fit import FittedAudio
from .probe import AudioInfo
from .source import AudioSource, refuse_folder
from .split import AudioChunk

__all__ = ["envelope", "plot_audio", "time_spans"]


def time_spans(items: object, *, option: str) -> tuple[TimeSpan, ...]:
    """``TimeSpan`` s from spans, chunks, segments (anything with ``start_s``/``end_s`` and an
    optional ``label``/``text``) or ``(start_s, end_s[, label])`` tuples."""
    if isinstance(items, (str, bytes)) or not isinstance(items, Sequence):
        raise InvalidTypeError(
            f"{option}: pass a list of spans (objects with start_s and end_s, or (start_s, end_s, label) "
            f"tuples), not a {type(items).__name__}",
            option=option,
        )
    return tuple(_span(item, option) for item in items)


def _span(item: object, option: str) -> TimeSpan:
    if isinstance(item, TimeSpan):
        return item
    if isinstance(item, AudioChunk):
        return TimeSpan(item.start_s, item.end_s, str(item.index + 1))
    if isinstance(item, tuple) and len(item) in (2, 3):
        start, end, *label = item
        label_text = str(label[0]) if label else ""
    else:
        start, end = getattr(item, "start_s", None), getattr(item, "end_s", None)
        label_text = str(getattr(item, "label", None) or getattr(item, "text", None) or "")
    return TimeSpan(_seconds(start, item, option), _seconds(end, item, option), label_text)


def _seconds(value: object, item: object, option: str) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    raise InvalidTypeError(
        f"{option}: {item!r:.60} has no start_s/end_s in seconds; pass objects with start_s and "
        "end_s (chunks, segments) or (start_s, end_s, label) tuples",
        option=option,
    )


def _describe(info: SourceAudioInfo, duration_s: float) -> str:
    channels = {1: "mono", 2: "stereo"}.get(info.channels, f"{info.channels} ch")
    return f"{info.source_name} · {info.format} · {duration_s:,.1f} s · {info.sample_rate_hz:,} Hz {channels}"


def _chunk_envelopes(chunks: Sequence[AudioChunk]) -> tuple[list[Envelope], SourceAudioInfo]:
    total_s = max(c.end_s for c in chunks) or 1.0
    drawn = [
        envelope(
            chunk.data,
            columns=max(16, round(_COLUMNS * chunk.duration_s / total_s)),
            start_s=chunk.start_s,
            name=f"chunk {chunk.index + 1}",
        )
        for chunk in chunks
    ]
    return [piece for piece, _ in drawn], drawn[0][1]


def plot_audio(
    audio: AudioSource | FittedAudio | AudioChunk | Sequence[AudioChunk],
    *,
    chunks: Sequence[AudioChunk] | None = None,
    segments: Sequence[object] | None = None,
    title: str | None = None,
) -> Plot:
    """A small picture of a recording: its waveform, with its chunks and segments on one timeline.

    ``audio`` is a path (or bytes, a file object, a data URI), a :class:`FittedAudio`, or the
    list of :class:`AudioChunk` s :func:`split_audio` made (drawn in place on the recording's
    timeline, their boundaries and overlaps marked). ``chunks=`` marks a split on the waveform
    of the whole source; ``segments=`` adds a lane of time spans under it (anything with
    ``start_s``/``end_s`` and a ``label`` or ``text``, or ``(start_s, end_s, label)`` tuples).
    The audio is decoded to draw it (in blocks); an :class:`AudioInfo` holds headers only, so
    pass the file itself. Returns a :class:`Plot` (SVG) that Jupyter shows; ``.save(path)``
    writes it. Needs matplotlib (the ``jupyter`` extra).
    """
    if isinstance(audio, AudioInfo):
        raise InvalidAudioSourceError(
            f"{audio.source_name}: an AudioInfo holds the headers only, not the audio to draw; pass the "
            f"file itself: plot_audio(path)",
            source_name=audio.source_name,
        )
    refuse_folder(audio, instead="plot one file inside it: plot_audio(path_to_one_recording)")
    if title is not None and not isinstance(title, str):
        raise InvalidTypeError(f"title: must be a str, not a {type(title).__name__}", option="title")
    lanes: list[Lane] = []
    if isinstance(audio, AudioChunk):
        audio = [audio]
    if isinstance(audio, Sequence) and not isinstance(audio, (str, bytes, bytearray, memoryview)):
        given = list(audio)
        if not given or not all(isinstance(c, AudioChunk) for c in given):
            raise InvalidTypeError(
                "plot_audio(): a list must hold the AudioChunks split_audio() made; pass a path, "
                "bytes or a FittedAudio for one recording",
                option="audio",
            )
        pieces, info = _chunk_envelopes(given)
        chunks = given if chunks is None else chunks
        described = f"{len(given)} chunks · {max(c.end_s for c in given):,.1f} s"
    elif isinstance(audio, FittedAudio):
        name = audio.original.source_name
        piece, info = envelope(audio.data, name=name)
        pieces = [piece]
        described = f"{_describe(info, piece.end_s)} · fitted: {', '.join(audio.steps)}"
    else:
        piece, info = envelope(audio)
        pieces = [piece]
        described = _describe(info, piece.end_s)
    if chunks is not None:
        lanes.append(Lane("chunks", time_spans(chunks, option="chunks"), boundaries=True))
        if not isinstance(audio, Sequence):
            described += f" · {len(lanes[0].spans)} chunks"
    if segments is not None:
        lanes.append(Lane("segments", time_spans(segments, option="segments")))
    duration_s = max([p.end_s for p in pieces] + [s.end_s for lane in lanes for s in lane.spans])
    return timeline_plot(pieces, duration_s=duration_s, lanes=lanes, title=title or described)
