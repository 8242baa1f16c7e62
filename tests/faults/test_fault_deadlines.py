"""Time: ``RetryPolicy.timeout_s`` is a deadline over the whole call, and ``Retry-After`` is
honoured only when it fits. A server that never answers, or trickles one byte a second,
cannot hold a call past its deadline (plus one second), sync, async or streaming."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
import pytest
from _audio import write_silence

from faults import FaultServer, black_hole, completion, status, stream_of, trickle
from mimo_openai_ext import (
    DeadlineExceededError,
    ask,
    ask_batch,
    ask_batch_async,
    ask_stream,
    ask_stream_async,
)
from mimo_openai_ext._client import create_completion, create_completion_async
from mimo_openai_ext._retry import RetryEvent, RetryPolicy

pytestmark = pytest.mark.usefixtures("no_sleep")

MESSAGES = [{"role": "user", "content": "hi"}]
KEY = "sk-faultkey-0123456789"
DEADLINE_S = 1.0
POLICY = RetryPolicy(attempts=5, timeout_s=DEADLINE_S)


def _client(server: FaultServer) -> openai.OpenAI:
    return openai.OpenAI(api_key=KEY, base_url=server.base_url, max_retries=0)


def _async_client(server: FaultServer) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(api_key=KEY, base_url=server.base_url, max_retries=0)


def _timed(call: Callable[[], Any]) -> tuple[BaseException, float]:
    start = time.monotonic()
    with pytest.raises(DeadlineExceededError) as caught:
        call()
    return caught.value, time.monotonic() - start


def _on_time(elapsed_s: float) -> None:
    assert DEADLINE_S - 0.1 <= elapsed_s <= DEADLINE_S + 1.0, elapsed_s


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return write_silence(tmp_path / "a.wav", 0.5, sample_rate=8000)


SLOW = {
    "black hole": black_hole(),
    "trickle": trickle("a long answer " * 20, bytes_per_s=20),
}


# -- 5: a real deadline -------------------------------------------------------------------------


@pytest.mark.parametrize("name", SLOW)
def test_sync_calls_end_at_the_deadline(fault_server: FaultServer, name: str) -> None:
    fault_server.default = SLOW[name]
    with _client(fault_server) as client:
        error, elapsed = _timed(lambda: create_completion(client, model="m", messages=MESSAGES, retry=POLICY))
    _on_time(elapsed)
    assert isinstance(error, TimeoutError)
    assert str(error).startswith("no answer within timeout_s=1 s (RetryPolicy; ")
    assert fault_server.requests == 1  # no time left for a second attempt


@pytest.mark.parametrize("name", SLOW)
def test_async_calls_end_at_the_deadline(fault_server: FaultServer, name: str) -> None:
    fault_server.default = SLOW[name]

    async def go() -> None:
        async with _async_client(fault_server) as client:
            await create_completion_async(client, model="m", messages=MESSAGES, retry=POLICY)

    _, elapsed = _timed(lambda: asyncio.run(go()))
    _on_time(elapsed)


def test_ask_with_a_users_long_client_timeout_still_ends_at_the_deadline(
    fault_server: FaultServer, clip: Path
) -> None:
    fault_server.default = black_hole()
    with openai.OpenAI(api_key=KEY, base_url=fault_server.base_url, timeout=600) as client:
        _, elapsed = _timed(lambda: ask(client, clip, "q", retry=POLICY))
    _on_time(elapsed)


@pytest.mark.parametrize(
    "answer",
    [trickle("slow", bytes_per_s=5, stream=True), trickle("slow", bytes_per_s=5, stream=True, head_events=1)],
    ids=["before-the-first-chunk", "after-the-first-chunk"],
)
def test_a_trickling_stream_ends_at_the_deadline_with_the_text_so_far(
    fault_server: FaultServer, clip: Path, answer: Any
) -> None:
    fault_server.default = answer

    def read() -> None:
        with _client(fault_server) as client, ask_stream(client, clip, "q", retry=POLICY) as stream:
            for _ in stream:
                pass

    error, elapsed = _timed(read)
    _on_time(elapsed)
    assert isinstance(error, DeadlineExceededError)


def test_an_async_stream_that_stalls_ends_at_the_deadline(fault_server: FaultServer, clip: Path) -> None:
    fault_server.default = trickle("slow", bytes_per_s=5, stream=True, head_events=1)

    async def go() -> None:
        async with (
            _async_client(fault_server) as client,
            ask_stream_async(client, clip, "q", retry=POLICY) as stream,
        ):
            async for _ in stream:
                pass

    error, elapsed = _timed(lambda: asyncio.run(go()))
    _on_time(elapsed)
    assert isinstance(error, DeadlineExceededError)
    assert error.text == "slow"  # the first chunk's text, kept
    assert str(error).startswith("the whole answer did not arrive within timeout_s=1 s (RetryPolicy; ")
    assert "(4 characters of the answer had arrived)" in str(error)


def test_a_stream_that_arrives_in_time_is_read_whole(fault_server: FaultServer, clip: Path) -> None:
    fault_server.default = stream_of("all of it")
    with _client(fault_server) as client, ask_stream(client, clip, "q", retry=POLICY, check_audio=False) as s:
        assert "".join(s.text_deltas()) == "all of it"
    assert s.answer().finish_reason == "stop"


def test_a_batch_item_fails_at_its_deadline_and_the_batch_goes_on(
    fault_server: FaultServer, clip: Path, tmp_path: Path
) -> None:
    other = write_silence(tmp_path / "b.wav", 0.5, sample_rate=8000)
    fault_server.queue(black_hole(), completion("second"))
    start = time.monotonic()
    with _client(fault_server) as client:
        results = ask_batch(client, [clip, other], "q", concurrency=1, retry=POLICY)
    _on_time(time.monotonic() - start)
    assert results[0].error is not None
    assert results[0].error["type"] == "DeadlineExceededError"
    assert results[1].text == "second"


def test_an_async_batch_item_fails_at_its_deadline(fault_server: FaultServer, clip: Path) -> None:
    fault_server.default = trickle("x" * 50, bytes_per_s=20)

    async def go() -> Any:
        async with _async_client(fault_server) as client:
            return await ask_batch_async(client, [clip], "q", retry=POLICY)

    start = time.monotonic()
    results = asyncio.run(go())
    _on_time(time.monotonic() - start)
    assert results[0].error is not None
    assert results[0].error["type"] == "DeadlineExceededError"


def test_no_deadline_means_the_sdks_own_timeout(fault_server: FaultServer) -> None:
    fault_server.default = black_hole()
    with openai.OpenAI(api_key=KEY, base_url=fault_server.base_url, timeout=0.5) as client:
        start = time.monotonic()
        with pytest.raises(openai.APITimeoutError):
            create_completion(
                client, model="m", messages=MESSAGES, retry=RetryPolicy(attempts=1, timeout_s=float("inf"))
            )
    assert time.monotonic() - start < 1.5


# -- 6: Retry-After --------------------------------------------------------------------------------


def test_a_retry_after_past_the_cap_fails_at_once_saying_when(fault_server: FaultServer) -> None:
    fault_server.default = status(429, headers={"Retry-After": "86400"})
    events: list[RetryEvent] = []
    start = time.monotonic()
    with _client(fault_server) as client, pytest.raises(openai.RateLimitError) as caught:
        create_completion(client, model="m", messages=MESSAGES, retry=RetryPolicy(on_retry=events.append))
    assert time.monotonic() - start < 1.0
    assert fault_server.requests == 1
    assert events == []
    message = str(caught.value)
    assert "asks to wait 86400 s" in message
    assert "UTC" in message  # when the server wants us back
    assert "retry_after_max_s=60" in message


def test_a_retry_after_date_decades_away_is_said_readably(fault_server: FaultServer) -> None:
    fault_server.default = status(429, headers={"Retry-After": "Thu, 01 Jan 2099 00:00:00 GMT"})
    with _client(fault_server) as client, pytest.raises(openai.RateLimitError) as caught:
        create_completion(client, model="m", messages=MESSAGES, retry=RetryPolicy())
    message = str(caught.value)
    assert re.search(
        r"asks to wait \d\d years before trying again \(until (2099-01-01 00:00|2098-12-31 23:59):\d\d UTC\)",
        message,
    )
    assert "e+" not in message
    assert fault_server.requests == 1


def test_a_retry_after_past_the_deadline_fails_at_once(fault_server: FaultServer) -> None:
    fault_server.default = status(503, headers={"Retry-After": "30"})
    with _client(fault_server) as client, pytest.raises(openai.InternalServerError) as caught:
        create_completion(
            client, model="m", messages=MESSAGES, retry=RetryPolicy(timeout_s=10, retry_after_max_s=60)
        )
    assert fault_server.requests == 1
    assert "asks to wait 30 s" in str(caught.value)
    assert "left of timeout_s=10 s" in str(caught.value)


@pytest.mark.parametrize("value", ["-5", "soon", "1e999", "Mon, 01 Jan 1990 00:00:00 GMT"])
def test_a_negative_or_garbage_retry_after_gets_the_normal_backoff(
    fault_server: FaultServer, value: str
) -> None:
    fault_server.queue(
        status(429, headers={"Retry-After": value}), status(429, headers={"Retry-After": value})
    )
    events: list[RetryEvent] = []
    policy = RetryPolicy(attempts=3, wait_initial_s=0.5, wait_jitter_s=0.0, on_retry=events.append)
    with _client(fault_server) as client:
        create_completion(client, model="m", messages=MESSAGES, retry=policy)
    assert [e.retry_after_s for e in events] == [None, None]
    assert [e.wait_s for e in events] == [0.5, 1.0]  # backoff, never an immediate retry


def test_a_retry_after_within_the_cap_is_honoured(fault_server: FaultServer) -> None:
    fault_server.queue(status(429, headers={"Retry-After": "2"}))
    events: list[RetryEvent] = []
    with _client(fault_server) as client:
        create_completion(client, model="m", messages=MESSAGES, retry=RetryPolicy(on_retry=events.append))
    assert [(e.retry_after_s, e.wait_s) for e in events] == [(2.0, 2.0)]


# -- the worker threads under sync calls ---------------------------------------------------------------


def test_a_worker_held_by_an_abandoned_attempt_does_not_hold_up_the_next_call() -> None:
    from mimo_openai_ext._deadline import Deadline, call_before

    release = threading.Event()
    with pytest.raises(DeadlineExceededError):
        call_before(Deadline(0.2), lambda: release.wait(5))  # abandoned, still running
    start = time.monotonic()
    assert call_before(Deadline(5), lambda: 42) == 42
    assert time.monotonic() - start < 1
    release.set()


def test_sync_calls_reuse_their_worker_threads() -> None:
    from mimo_openai_ext._deadline import Deadline, call_before

    def workers() -> set[threading.Thread]:
        return {t for t in threading.enumerate() if t.name == "mimo-call"}

    before = workers()  # earlier tests' abandoned attempts may still hold some
    for _ in range(50):
        call_before(Deadline(5), lambda: None)
    assert workers()
    assert len(workers() - before) <= 8  # a few kept, not one per call
