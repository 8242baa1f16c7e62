"""A requests-per-window ceiling shared by every worker of a batch (sync or async).

MiMo allows ``Limits.requests_per_minute`` requests a minute per model. The limiter
counts a request from the moment it is let through until ``window_s`` after it
*finishes*: a request still in flight counts as "now". So however long a request takes
to reach the server, no window of ``window_s`` on the server's clock ever sees more than
``max_requests`` arrivals — the ceiling holds when measured at the far end, not just
when counted at ours.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager

from .._checks import check_callable
from .._exceptions import InvalidOptionError

__all__ = ["RateLimiter", "WaitCallback"]

_IN_FLIGHT = math.inf

WaitCallback = Callable[[float], None]
"""Told how many seconds a request will wait for its slot (``math.inf``: until a request in
flight ends), each time the limiter makes it wait; a progress display shows it."""


class RateLimiter:
    """At most ``max_requests`` requests in any ``window_s`` seconds.

    Share one limiter between batches that call the same model on the same account::

        limiter = RateLimiter.per_minute(100)
        async with limiter.slot():
            await client.chat.completions.create(...)

    Thread-safe; ``slot()`` for asyncio, ``slot_sync()`` for threads.
    """

    def __init__(
        self,
        max_requests: int,
        *,
        window_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(max_requests, bool) or not isinstance(max_requests, int) or max_requests < 1:
            raise InvalidOptionError(
                f"RateLimiter(max_requests={max_requests!r}): must be a whole number >= 1 "
                "(requests per window); pass None where a ceiling is optional to run without one",
                option="max_requests",
            )
        if (
            isinstance(window_s, bool)
            or not isinstance(window_s, (int, float))
            or not 0 < window_s < math.inf
        ):
            raise InvalidOptionError(
                f"RateLimiter(window_s={window_s!r}): must be a number of seconds > 0 (60 for per minute)",
                option="window_s",
            )
        check_callable(clock, option="clock", none=False)
        self.max_requests = max_requests
        self.window_s = float(window_s)
        self._clock = clock
        self._lock = threading.Lock()
        # One entry per request in the window: math.inf while in flight, else its end time.
        self._stamps: list[float] = []

    @classmethod
    def per_minute(cls, requests_per_minute: int) -> RateLimiter:
        """The usual ceiling: ``requests_per_minute`` in any 60 seconds."""
        return cls(requests_per_minute, window_s=60.0)

    def __repr__(self) -> str:
        return f"RateLimiter(max_requests={self.max_requests}, window_s={self.window_s:g})"

    def _try_take(self) -> tuple[float, float]:
        """Take a slot (``(0.0, 0.0)``) or say how long to sleep before trying again, and how
        long the wait is expected to last (``math.inf`` while every slot is in flight)."""
        with self._lock:
            now = self._clock()
            self._stamps = [s for s in self._stamps if s > now - self.window_s]
            if len(self._stamps) < self.max_requests:
                self._stamps.append(_IN_FLIGHT)
                return 0.0, 0.0
            finished = [s for s in self._stamps if s != _IN_FLIGHT]
            if finished:
                wait_s = max(min(finished) + self.window_s - now, 0.001)
                return wait_s, wait_s
            # Every slot is in flight: poll until one finishes.
            return min(0.05, self.window_s / 20), math.inf

    def _release(self) -> None:
        with self._lock:
            # Any in-flight cell will do: they are indistinguishable.
            i = self._stamps.index(_IN_FLIGHT)
            self._stamps[i] = self._clock()

    async def acquire(self, *, on_wait: WaitCallback | None = None) -> None:
        """Wait for a slot (asyncio). Pair with :meth:`release` when the request ends.

        ``on_wait(seconds)`` is told each time the slot is not free (see :data:`WaitCallback`).
        """
        check_callable(on_wait, option="on_wait")
        while True:
            sleep_s, wait_s = self._try_take()
            if sleep_s <= 0:
                return
            if on_wait is not None:
                on_wait(wait_s)
            await asyncio.sleep(sleep_s)

    def acquire_sync(self, *, on_wait: WaitCallback | None = None) -> None:
        """Wait for a slot (blocking). Pair with :meth:`release` when the request ends."""
        check_callable(on_wait, option="on_wait")
        while True:
            sleep_s, wait_s = self._try_take()
            if sleep_s <= 0:
                return
            if on_wait is not None:
                on_wait(wait_s)
            time.sleep(sleep_s)

    def release(self) -> None:
        """Mark one request finished: it leaves the count ``window_s`` from now."""
        self._release()

    @asynccontextmanager
    async def slot(self, *, on_wait: WaitCallback | None = None) -> AsyncIterator[None]:
        """``async with limiter.slot(): ...`` around one request (``on_wait`` as for :meth:`acquire`)."""
        await (self.acquire() if on_wait is None else self.acquire(on_wait=on_wait))
        try:
            yield
        finally:
            self.release()

    @contextmanager
    def slot_sync(self, *, on_wait: WaitCallback | None = None) -> Iterator[None]:
        """``with limiter.slot_sync(): ...`` around one request, from any thread."""
        self.acquire_sync() if on_wait is None else self.acquire_sync(on_wait=on_wait)
        try:
            yield
        finally:
            self.release()
