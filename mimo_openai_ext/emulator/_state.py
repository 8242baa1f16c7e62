"""Everything an emulator remembers between requests, shared by its handler threads."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

from ._faults import FaultBook, RateWindow
from ._options import EmulatorOptions, RequestRecord
from ._speech import ScriptedSpeech, sample_speech
from ._usage import PrefixCache

__all__ = ["SPOKEN_KEEP_S", "ByteBudget", "EmulatorState", "Reservation"]

SPOKEN_KEEP_S = 600.0
"""The emulator's own speech its ASR model can hear back: the newest this many seconds of it."""


class Reservation:
    """Bytes one request holds in a :class:`ByteBudget`, taken piece by piece as they arrive."""

    def __init__(self, budget: ByteBudget) -> None:
        self._budget = budget
        self.held_bytes = 0

    def take(self, size_bytes: int, *, timeout_s: float) -> bool:
        """Hold ``size_bytes`` more (waiting up to ``timeout_s`` for room); False if none came."""
        return self._budget._take(self, size_bytes, timeout_s)


class ByteBudget:
    """Caps the request bytes held at once (bodies, and audio fetched by URL), counted as they arrive.

    A request takes bytes when it has them in hand, so a slow upload holds only what it has
    sent. A piece that does not fit waits, except for the oldest request holding bytes: it
    always goes on, so requests finish in turn and never wait on each other for ever (the
    most held is the cap plus that one request).
    """

    def __init__(self, max_bytes: int) -> None:
        self._cond = threading.Condition()
        self._max = max(1, max_bytes)
        self._in_use = 0
        self._holders: list[Reservation] = []  # oldest first
        self.peak_bytes = 0
        """The most bytes held at once so far."""

    def resize(self, max_bytes: int) -> None:
        """A new cap (``configure(max_bytes_in_flight=...)``); waiting requests look again."""
        with self._cond:
            self._max = max(1, max_bytes)
            self._cond.notify_all()

    @contextmanager
    def reservation(self) -> Iterator[Reservation]:
        """A reservation for one request; everything it took is given back on exit."""
        held = Reservation(self)
        try:
            yield held
        finally:
            with self._cond:
                self._in_use -= held.held_bytes
                held.held_bytes = 0
                if held in self._holders:
                    self._holders.remove(held)
                self._cond.notify_all()

    @contextmanager
    def hold(self, size_bytes: int) -> Iterator[None]:
        """Hold ``size_bytes`` at once for the block (waiting for room as long as it takes)."""
        with self.reservation() as held:
            held.take(max(size_bytes, 0), timeout_s=float("inf"))
            yield

    def _take(self, held: Reservation, size: int, timeout_s: float) -> bool:
        if size <= 0:
            return True
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._holders and self._holders[0] is not held and self._in_use + size > self._max:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(None if left == float("inf") else left)
            if held not in self._holders:
                self._holders.append(held)
            held.held_bytes += size
            self._in_use += size
            self.peak_bytes = max(self.peak_bytes, self._in_use)
            return True


class EmulatorState:
    """Options (swapped whole, never mutated), the request log, faults, rates, cache, files."""

    def __init__(self, options: EmulatorOptions, *, verbose: bool = False) -> None:
        self.initial_options = options
        self.budget = ByteBudget(options.max_bytes_in_flight)
        self.options = options
        self.verbose = verbose
        self.log: list[RequestRecord] = []
        self._log_lock = threading.Lock()
        self.faults = FaultBook(seed=options.seed)
        self.rates = RateWindow()
        self.cache = PrefixCache()
        self.files: dict[str, tuple[bytes, str]] = {}
        self._spoken: deque[ScriptedSpeech] = deque()
        self._spoken_lock = threading.Lock()

    @property
    def options(self) -> EmulatorOptions:
        return self._options

    @options.setter
    def options(self, options: EmulatorOptions) -> None:
        """Swap the options whole; the byte budget follows ``max_bytes_in_flight``."""
        self._options = options
        self.budget.resize(options.max_bytes_in_flight)

    def record(self, record: RequestRecord) -> None:
        with self._log_lock:
            self.log.append(record)
            excess = len(self.log) - self.options.max_log_records
            if excess > 0:
                del self.log[: max(excess, self.options.max_log_records // 10)]

    def remember_speech(self, speech: ScriptedSpeech) -> None:
        """Keep what a speech model said, so that transcribing it gives its words back."""
        with self._spoken_lock:
            self._spoken.appendleft(speech)
            total = sum(_seconds(s) for s in self._spoken)
            while len(self._spoken) > 1 and total > SPOKEN_KEEP_S:
                total -= _seconds(self._spoken.pop())

    def spoken(self) -> tuple[ScriptedSpeech, ...]:
        """What the speech models said lately, newest first."""
        with self._spoken_lock:
            return tuple(self._spoken)

    def hearing(self) -> EmulatorOptions:
        """The options an ASR request is answered with: the registered speech, the shipped
        sample (unless ``hear_sample=False``), then what the speech models said lately."""
        options = self.options
        sample: tuple[ScriptedSpeech, ...] = (sample_speech(),) if options.hear_sample else ()
        extra = (*sample, *self.spoken())
        if not extra:
            return options
        return dataclasses.replace(options, speech=(*options.speech, *extra))

    def reset(self) -> None:
        """Back to the initial options with empty log, cache, rate window and fault queue."""
        self.options = self.initial_options
        with self._log_lock:
            self.log.clear()
        self.faults.reset(seed=self.options.seed)
        self.rates.clear()
        self.cache.clear()
        self.files.clear()
        with self._spoken_lock:
            self._spoken.clear()


def _seconds(speech: ScriptedSpeech) -> float:
    return len(speech.samples) / 2 / speech.sample_rate_hz
