"""Pictures for notebooks: a timeline (waveform + spans of time) and scatter panels, as SVG.

matplotlib (the ``jupyter`` extra) draws them. It is imported on first use, never with the
package, and only through its object-oriented API: each picture is a ``Figure`` of its own,
saved as SVG text, so no pyplot state, backend or open window is involved. A :class:`Plot`
holds that text; Jupyter shows it (``_repr_svg_``) and it stays in a saved notebook.

The timeline is shared: a waveform drawn from :class:`Envelope` pieces, and any number of
lanes of :class:`TimeSpan` s under it (the chunks of a split, the segments of a transcript),
on one time axis. Chunk lanes also mark their boundaries on the waveform.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._exceptions import MissingExtraError
from ._format import clock, usd_text

if TYPE_CHECKING:
    import numpy as np
    from matplotlib.figure import Figure
    from numpy.typing import NDArray

__all__ = ["Envelope", "Lane", "Panel", "Plot", "TimeSpan", "scatter_plot", "timeline_plot"]

_WAVE_COLOR = "#4c72b0"
_SPAN_COLORS = ("#dd8452", "#55a868", "#c44e52", "#8172b3")
_WIDTH_IN = 8.0
_SMALL_WIDTH_IN = 4.5


@dataclass(frozen=True)
class Plot:
    """A picture as SVG text: shown by Jupyter, written with :meth:`save`."""

    svg: str = field(repr=False)
    title: str

    def _repr_svg_(self) -> str:  # Jupyter
        return self.svg

    def __repr__(self) -> str:
        return f"Plot({self.title!r}, {len(self.svg):,} characters of SVG)"

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the SVG to ``path`` (open it in a browser, or put it in a page)."""
        with open(path, "w", encoding="utf-8") as file:
            file.write(self.svg)


@dataclass(frozen=True, eq=False)
class Envelope:
    """A stretch of waveform reduced to its lowest and highest sample per column of pixels."""

    start_s: float
    end_s: float
    low: NDArray[np.float32]
    high: NDArray[np.float32]


@dataclass(frozen=True)
class TimeSpan:
    """A stretch of a recording: a chunk, a transcript segment, a speaker turn, ..."""

    start_s: float
    end_s: float
    label: str = ""


@dataclass(frozen=True)
class Lane:
    """A row of spans under the waveform; ``boundaries`` also marks them on the waveform."""

    name: str
    spans: tuple[TimeSpan, ...]
    boundaries: bool = False


@dataclass(frozen=True)
class Panel:
    """One scatter plot: ``(label, xs, ys)`` series against two axis labels."""

    xlabel: str
    ylabel: str
    series: tuple[tuple[str, tuple[float, ...], tuple[float, ...]], ...]
    money_y: bool = False
    """Label the y axis in dollars."""


@contextmanager
def _figure(width_in: float, height_in: float, needed_by: str) -> Iterator[Figure]:
    """A fresh matplotlib ``Figure`` (no pyplot), with text kept as text in its SVG."""
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise MissingExtraError.for_module("matplotlib", extra="jupyter", needed_by=needed_by) from exc
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "mimo-openai-ext", "font.size": 9}):
        yield Figure(figsize=(width_in, height_in), layout="constrained")


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def _time_axis(ax: Any, duration_s: float, start_s: float = 0.0) -> None:
    from matplotlib.ticker import FuncFormatter

    ax.set_xlim(start_s, max(duration_s, start_s + 1e-3))
    if duration_s >= 120:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: clock(v)))
        ax.set_xlabel("time (mm:ss)")
    else:
        ax.set_xlabel("time (s)")


def timeline_plot(
    envelopes: Sequence[Envelope],
    *,
    duration_s: float,
    lanes: Sequence[Lane] = (),
    title: str = "",
    needed_by: str = "plot_audio()",
    start_s: float = 0.0,
    small: bool = False,
) -> Plot:
    """The waveform (its ``envelopes`` on one time axis, from ``start_s`` to ``duration_s``)
    with a lane under it for each of ``lanes``; ``small`` is the thumbnail a rich display shows."""
    heights = [0.7 if small else 1.6] + [0.45] * len(lanes)
    width_in = _SMALL_WIDTH_IN if small else _WIDTH_IN
    with _figure(width_in, sum(heights) + (0.45 if small else 0.6), needed_by) as figure:
        axes = figure.subplots(len(heights), 1, sharex=True, height_ratios=heights, squeeze=False)[:, 0]
        wave = axes[0]
        for piece in envelopes:
            times = _column_times(piece)
            wave.fill_between(times, piece.low, piece.high, color=_WAVE_COLOR, linewidth=0.3)
        wave.set_ylim(-1.05, 1.05)
        wave.set_yticks([])
        wave.set_title(title, loc="left", fontsize=10)
        for spine in ("top", "right", "left"):
            wave.spines[spine].set_visible(False)
        for index, lane in enumerate(lanes):
            _draw_lane(axes[index + 1], lane, _SPAN_COLORS[index % len(_SPAN_COLORS)])
            if lane.boundaries:
                _draw_boundaries(wave, lane)
        _time_axis(axes[-1], duration_s, start_s)
        return Plot(_svg(figure), title)


def _column_times(piece: Envelope) -> NDArray[np.floating[Any]]:
    import numpy as np

    columns = len(piece.low)
    step = (piece.end_s - piece.start_s) / max(columns, 1)
    return piece.start_s + step * (np.arange(columns) + 0.5)


def _draw_lane(ax: Any, lane: Lane, color: str) -> None:
    ax.set_ylim(0, 1)
    ax.set_yticks([0.5], [lane.name])
    ax.tick_params(axis="y", length=0)
    for spine in ("top", "right", "left"):
        ax.spines[spine].set_visible(False)
    for i, span in enumerate(lane.spans):
        # Alternate the height a little, so overlapping neighbours (split chunks) stay apart.
        bottom = 0.12 if i % 2 == 0 else 0.3
        ax.broken_barh([(span.start_s, span.end_s - span.start_s)], (bottom, 0.58), color=color, alpha=0.55)
        if span.label:
            ax.text(
                (span.start_s + span.end_s) / 2, bottom + 0.29, span.label, ha="center", va="center",
                fontsize=8, clip_on=True,
            )  # fmt: skip


def _draw_boundaries(wave: Any, lane: Lane) -> None:
    for i, span in enumerate(lane.spans):
        if i > 0:
            wave.axvline(span.start_s, color="#c44e52", linewidth=1.0, linestyle="--")
        if i < len(lane.spans) - 1:
            wave.axvline(span.end_s, color="#c44e52", linewidth=1.0, linestyle=":")
        after = lane.spans[i + 1].start_s if i < len(lane.spans) - 1 else span.end_s
        if after < span.end_s:  # the overlap with the next span
            wave.axvspan(after, span.end_s, color="#c44e52", alpha=0.12, linewidth=0)


def scatter_plot(panels: Sequence[Panel], *, title: str = "", needed_by: str = "plot()") -> Plot:
    """Scatter panels side by side, each with its own axes and legend."""
    with _figure(min(4.2 * len(panels), 12.0), 3.2, needed_by) as figure:
        axes = figure.subplots(1, len(panels), squeeze=False)[0]
        for ax, panel in zip(axes, panels, strict=True):
            for index, (label, xs, ys) in enumerate(panel.series):
                color = (_WAVE_COLOR, *_SPAN_COLORS)[index % (1 + len(_SPAN_COLORS))]
                ax.scatter(xs, ys, s=18, label=label, color=color)
            ax.set_xlabel(panel.xlabel)
            ax.set_ylabel(panel.ylabel)
            ax.set_xlim(left=0)
            ax.set_ylim(bottom=0)
            if panel.money_y:
                from matplotlib.ticker import FuncFormatter

                ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: usd_text(v) if v > 0 else "$0"))
            if len(panel.series) > 1:
                ax.legend(loc="upper left", frameon=False)
            ax.grid(alpha=0.3)
        if title:
            figure.suptitle(title, x=0.01, ha="left", fontsize=10)
        return Plot(_svg(figure), title)
