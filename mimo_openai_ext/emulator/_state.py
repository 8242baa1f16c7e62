"""Everything an emulator remembers between requests, shared by its handler threads."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from ._faults import FaultBook, RateWindow
from ._options import EmulatorOptions, RequestRecord
from ._usage import PrefixCache

__all__ = ["ByteBudget", "EmulatorState"]


class ByteBudget:
    """Caps the body bytes held at once: a request that would pass the cap waits its turn."""

    def __init__(self, max_bytes: int) -> None:
        self._cond = threading.Condition()
        self._max = max(1, max_bytes)
        self._in_use = 0

    @contextmanager
    def hold(self, size_bytes: int) -> Iterator[None]:
        size = min(max(size_bytes, 0), self._max)
        with self._cond:
            while self._in_use and self._in_use + size > self._max:
                self._cond.wait()
            self._in_use += size
        try:
            yield
        finally:
            with self._cond:
                self._in_use -= size
                self._cond.notify_all()


class EmulatorState:
    """Options (swapped whole, never mutated), the request log, faults, rates, cache, files."""

    def __init__(self, options: EmulatorOptions, *, verbose: bool = False) -> None:
        self.initial_options = options
        self.options = options
        self.verbose = verbose
        self.log: list[RequestRecord] = []
        self._log_lock = threading.Lock()
        self.faults = FaultBook(seed=options.seed)
        self.rates = RateWindow()
        self.cache = PrefixCache()
        self.budget = ByteBudget(options.max_bytes_in_flight)
        self.files: dict[str, tuple[bytes, str]] = {}

    def record(self, record: RequestRecord) -> None:
        with self._log_lock:
            self.log.append(record)
            excess = len(self.log) - self.options.max_log_records
            if excess > 0:
                del self.log[: max(excess, self.options.max_log_records // 10)]

    def reset(self) -> None:
        """Back to the initial options with empty log, cache, rate window and fault queue."""
        self.options = self.initial_options
        with self._log_lock:
            self.log.clear()
        self.faults.reset(seed=self.options.seed)
        self.rates.clear()
        self.cache.clear()
        self.files.clear()
