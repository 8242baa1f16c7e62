"""The rate limiter: never more than N requests in any window, counted until each ends."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from _emulator_support import max_in_window

from mimo_openai_ext import InvalidOptionError
from mimo_openai_ext.batch import RateLimiter


def test_async_starts_never_exceed_the_ceiling() -> None:
    limiter = RateLimiter(3, window_s=0.2)
    starts: list[float] = []

    async def request() -> None:
        async with limiter.slot():
            starts.append(time.monotonic())
            await asyncio.sleep(0.01)

    async def main() -> None:
        await asyncio.gather(*(request() for _ in range(10)))

    began = time.monotonic()
    asyncio.run(main())
    assert len(starts) == 10
    assert max_in_window(starts, 0.2) == 3
    assert time.monotonic() - began >= 0.6  # ten requests need at least three more windows


def test_a_request_in_flight_holds_its_slot_until_it_ends() -> None:
    limiter = RateLimiter(1, window_s=0.05)
    finished_at: list[float] = []
    started_at: list[float] = []

    async def request(duration_s: float) -> None:
        async with limiter.slot():
            started_at.append(time.monotonic())
            await asyncio.sleep(duration_s)
            finished_at.append(time.monotonic())

    async def main() -> None:
        await asyncio.gather(request(0.2), request(0.0))

    asyncio.run(main())
    # The second starts a whole window after the first *ended*, not after it started.
    assert started_at[1] >= finished_at[0] + 0.05


def test_threads_share_one_ceiling() -> None:
    limiter = RateLimiter(4, window_s=0.2)
    starts: list[float] = []
    lock = threading.Lock()

    def request() -> None:
        with limiter.slot_sync(), lock:
            starts.append(time.monotonic())

    threads = [threading.Thread(target=request) for _ in range(9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(starts) == 9
    assert max_in_window(starts, 0.2) <= 4


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "100"])
def test_a_bad_ceiling_is_refused(bad: object) -> None:
    with pytest.raises(InvalidOptionError, match=r"max_requests=.*must be a whole number >= 1"):
        RateLimiter(bad)  # type: ignore[arg-type]


def test_per_minute_and_repr() -> None:
    limiter = RateLimiter.per_minute(100)
    assert (limiter.max_requests, limiter.window_s) == (100, 60.0)
    assert repr(limiter) == "RateLimiter(max_requests=100, window_s=60)"
    for bad in (0, -1, float("nan"), float("inf"), "60"):
        with pytest.raises(InvalidOptionError, match=r"window_s=.*must be a number of seconds > 0"):
            RateLimiter(5, window_s=bad)  # type: ignore[arg-type]
