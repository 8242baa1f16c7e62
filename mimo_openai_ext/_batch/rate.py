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

__all__ = ["RateLimiter"]

_IN_FLIGHT = math.inf


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

    def _try_take(self) -> float:
        """Take a slot (returns 0.0) or say how many seconds to wait before trying again."""
        with self._lock:
            now = self._clock()
            self._stamps = [s for s in self._stamps if s > now - self.window_s]
            if len(self._stamps) < self.max_requests:
                self._stamps.append(_IN_FLIGHT)
                return 0.0
            finished = [s for s in self._stamps if s != _IN_FLIGHT]
            if finished:
                return max(min(finished) + self.window_s - now, 0.001)
            # Every slot is in flight: poll until one finishes.
            return min(0.05, self.window_s / 20)

    def _release(self) -> None:
        with self._lock:
            # Any in-flight cell will do: they are indistinguishable.
            i = self._stamps.index(_IN_FLIGHT)
            self._stamps[i] = self._clock()

    async def acquire(self) -> None:
        """Wait for a slot (asyncio). Pair with :meth:`release` when the request ends."""
        while (wait_s := self._try_take()) > 0:
            await asyncio.sleep(wait_s)

    def acquire_sync(self) -> None:
        """Wait for a slot (blocking). Pair with :meth:`release` when the request ends."""
        while (wait_s := self._try_take()) > 0:
            time.sleep(wait_s)

    def release(self) -> None:
        """Mark one request finished: it leaves the count ``window_s`` from now."""
        self._release()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """``async with limiter.slot(): ...`` around one request."""
        await self.acquire()
        try:
            yield
        finally:
            self.release()

    @contextmanager
    def slot_sync(self) -> Iterator[None]:
        """``with limiter.slot_sync(): ...`` around one request, from any thread."""
        self.acquire_sync()
        try:
            yield
        finally:
            self.release()
