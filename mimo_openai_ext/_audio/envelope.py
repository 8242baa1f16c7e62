"""A recording's waveform reduced for drawing, and the small picture rich displays show.

The waveform is decoded in blocks and reduced to the lowest and highest sample of each column
of pixels, so an hour of audio never sits decoded in memory. ``small_waveform_html`` is what
``FittedAudio`` and ``AudioChunk`` show in Jupyter under their table: drawn from the bytes they
already hold, only when matplotlib (the ``jupyter`` extra) is installed and the audio is short
enough to decode at display time; else the table stands alone.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .._exceptions import MissingExtraError
from .._plot import Envelope, timeline_plot
from .decode import SourceAudioInfo, open_audio
from .source import AudioSource

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["COLUMNS", "MAX_DISPLAYED_S", "envelope", "small_waveform_html"]

COLUMNS = 1200
"""Columns of the whole waveform: about two per pixel of the picture."""
_BLOCK_COLUMNS = 256


def envelope(
    source: AudioSource, *, columns: int = COLUMNS, start_s: float = 0.0, name: str | None = None
) -> tuple[Envelope, SourceAudioInfo]:
    """The waveform of ``source`` (mono, lowest and highest sample per column), placed at
    ``start_s``, and what the audio is."""
    import numpy as np

    with open_audio(source, name=name) as stream:
        per = max(1, math.ceil(stream.frames / max(columns, 1)))
        lows: list[NDArray[np.float32]] = []
        highs: list[NDArray[np.float32]] = []
        carry = np.zeros(0, dtype=np.float32)
        for block in stream.blocks(size=per * _BLOCK_COLUMNS):
            mono = block.mean(axis=1, dtype=np.float32) if block.shape[1] > 1 else block[:, 0]
            data = np.concatenate([carry, mono]) if carry.size else mono
            full = data.size - data.size % per
            if full:
                grouped = data[:full].reshape(-1, per)
                lows.append(grouped.min(axis=1))
                highs.append(grouped.max(axis=1))
            carry = data[full:]
        if carry.size:
            lows.append(carry.min(keepdims=True))
            highs.append(carry.max(keepdims=True))
        duration_s = stream.frames / stream.sample_rate_hz
        info = stream.info
    empty = np.zeros(1, dtype=np.float32)
    low = np.concatenate(lows) if lows else empty
    high = np.concatenate(highs) if highs else empty
    return Envelope(start_s, start_s + duration_s, low, high), info


MAX_DISPLAYED_S = 15 * 60.0
"""Longer audio is not decoded to show its display (``plot_audio`` draws it on request)."""
_SMALL_COLUMNS = 500


def small_waveform_html(data: bytes, *, duration_s: float, name: str, start_s: float = 0.0) -> str:
    """A small waveform as inline SVG, or "" when matplotlib is missing or the audio is long.

    ``start_s`` places it on its recording's time axis (a chunk).
    """
    if duration_s > MAX_DISPLAYED_S:
        return ""
    try:
        piece, _ = envelope(data, columns=_SMALL_COLUMNS, start_s=start_s, name=name)
        plot = timeline_plot([piece], duration_s=piece.end_s, start_s=start_s, small=True)
    except MissingExtraError:
        return ""
    svg = plot.svg
    return svg[svg.find("<svg") :] if "<svg" in svg else ""
