"""A batch's progress: a bar on a terminal, a display updated in place in Jupyter.

Both show done / failed / tokens / cost, advance as each item completes, and while the rate
limiter holds requests back they count the wait down (``waiting for rate limit: 12 s``)
instead of sitting still.

* On a terminal: a ``tqdm`` bar on stderr, redrawn on every completed item (``miniters=1``:
  tqdm's adaptive skipping left it frozen through a rate-limit wait) and every half second.
* In a Jupyter kernel: one display, updated in place through an IPython display handle. No
  widget is needed, and a saved or exported notebook keeps the final state (``13/13``): a
  widget's saved text is its first frame (``0/13``).
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .._format import esc, usd_text
from .results import BatchResult

__all__ = ["BatchProgress", "ProgressView"]

_NOTEBOOK_UPDATE_S = 0.25
"""At most this often a notebook display is redrawn (the final state always is)."""


@dataclass(frozen=True)
class ProgressView:
    """One frame of a batch's progress, as text and as HTML (what a notebook shows)."""

    done: int
    total: int
    elapsed_s: float
    details: str
    finished: bool = False

    def __repr__(self) -> str:
        return f"{self.done}/{self.total} files [{self.elapsed_s:.1f} s] {self.details}"

    def _repr_html_(self) -> str:
        bar = f'<progress value="{self.done}" max="{max(self.total, 1)}" style="width:16em"></progress>'
        text = f"{self.done}/{self.total} files · {self.elapsed_s:.1f} s · {self.details}"
        return f'<div style="white-space:nowrap">{bar} <span>{esc(text)}</span></div>'


def _jupyter_display() -> Callable[..., Any] | None:
    """IPython's ``display`` when running in a Jupyter kernel (never imports IPython itself)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or getattr(shell, "kernel", None) is None:
        return None
    from IPython.display import display

    show: Callable[..., Any] = display
    return show


class BatchProgress:
    """done / failed / tokens / cost and rate-limit waits, shown on a terminal or in a notebook."""

    def __init__(
        self,
        *,
        total: int,
        initial: Sequence[BatchResult],
        enabled: bool,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.done = sum(r.ok for r in initial)
        self.failed = len(initial) - self.done
        self.tokens = sum(r.tokens() for r in initial)
        self.cost_usd = sum(r.cost_usd or 0.0 for r in initial)
        self._clock = clock
        self._start = clock()
        self._waits: dict[object, float] = {}
        self._bar: Any = None
        self._handle: Any = None
        self._shown_at = -math.inf
        if not enabled:
            return
        display = _jupyter_display()
        if display is not None:
            self._handle = display(self.view(), display_id=True)
        else:
            from tqdm.std import tqdm

            self._bar = tqdm(
                total=total,
                initial=len(initial),
                unit="file",
                dynamic_ncols=True,
                miniters=1,
                file=sys.stderr,
            )
            self._bar.set_postfix_str(self.postfix(), refresh=True)

    @property
    def shown(self) -> bool:
        """Whether anything is displayed (``progress=True``)."""
        return self._bar is not None or self._handle is not None

    @property
    def count(self) -> int:
        return self.done + self.failed

    def wait_note(self) -> str:
        """``waiting for rate limit: 12 s`` while a request waits for its slot, else ``""``."""
        if not self._waits:
            return ""
        left_s = min(self._waits.values()) - self._clock()
        if math.isinf(left_s):
            return "waiting for rate limit: until a request in flight ends"
        return f"waiting for rate limit: {max(math.ceil(left_s), 0)} s"

    def postfix(self) -> str:
        text = f"ok={self.done} failed={self.failed} tokens={self.tokens:,} cost={usd_text(self.cost_usd)}"
        note = self.wait_note()
        return f"{text}, {note}" if note else text

    def view(self, *, finished: bool = False) -> ProgressView:
        return ProgressView(self.count, self.total, self._clock() - self._start, self.postfix(), finished)

    def update(self, result: BatchResult) -> None:
        """One more item completed: advance at once."""
        self.done += result.ok
        self.failed += not result.ok
        self.tokens += result.tokens()
        self.cost_usd += result.cost_usd or 0.0
        self._show(force=False)

    def waiting(self, key: object, wait_s: float) -> None:
        """Request ``key`` waits ``wait_s`` seconds for its rate-limit slot (``math.inf``: unknown)."""
        first = key not in self._waits
        self._waits[key] = self._clock() + wait_s
        if first:
            self._show(force=True)

    def waited(self, key: object) -> None:
        """Request ``key`` has its slot (or gave up)."""
        if self._waits.pop(key, None) is not None:
            self._show(force=False)

    def tick(self) -> None:
        """Redraw (the wait counts down, the clock runs); called every half second."""
        self._show(force=False)

    def close(self) -> None:
        self._waits.clear()
        if self._bar is not None:
            self._bar.n = self.count
            self._bar.set_postfix_str(self.postfix(), refresh=False)
            self._bar.close()
        if self._handle is not None:
            self._handle.update(self.view(finished=True))

    def _show(self, *, force: bool) -> None:
        """Redraw: a terminal bar every time, a notebook display at most every quarter second."""
        if self._bar is not None:
            self._bar.n = self.count
            self._bar.set_postfix_str(self.postfix(), refresh=False)
            self._bar.refresh()
        elif self._handle is not None:
            now = self._clock()
            if force or now - self._shown_at >= _NOTEBOOK_UPDATE_S:
                self._shown_at = now
                self._handle.update(self.view())
