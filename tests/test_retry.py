"""The one retry layer, proven against the emulator's faults (attempts counted on the wire)."""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import sys
from collections.abc import AsyncIterator
from typing import Any

import openai
import pytest

from mimo_openai_ext import read_answer
from mimo_openai_ext._api_errors import api_error_detail
from mimo_openai_ext._client import create_completion, create_completion_async
from mimo_openai_ext._retry import (
    NO_RETRY,
    RetryEvent,
    RetryPolicy,
    is_testing,
    parse_retry_after,
    run_with_retry,
    run_with_retry_async,
    set_testing,
)
from mimo_openai_ext._streaming import stream_completion

MESSAGES = [{"role": "user", "content": "hello"}]


pytestmark = pytest.mark.usefixtures("no_sleep")


def _call(client: openai.OpenAI, fault: str | None, events: list[RetryEvent], **policy: Any) -> Any:
    headers = {"x-emulator-fault": fault} if fault else {}
    return create_completion(
        client,
        model="mimo-v2.6-flash",
        messages=MESSAGES,
        extra_headers=headers,
        retry=RetryPolicy(on_retry=events.append, **policy),
    )


def _attempts(emulator: Any) -> list[int]:
    return [r.status for r in emulator.completions()]


# -- server hints ----------------------------------------------------------------------


def test_parse_retry_after_seconds_ms_and_http_date() -> None:
    assert parse_retry_after({"retry-after": "2"}) == 2.0
    assert parse_retry_after({"retry-after": "1.5"}) == 1.5
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after({"retry-after": date}, now_s=now) == pytest.approx(30.0)
    past = email.utils.formatdate(now - 30, usegmt=True)
    assert parse_retry_after({"retry-after": past}, now_s=now) is None  # the normal backoff, not 0


@pytest.mark.parametrize(
    "headers",
    [
        None,
        {},
        {"retry-after": "soon"},
        {"retry-after": "nan"},
        {"retry-after": "-1"},
        {"retry-after-ms": "-5"},
    ],
)
def test_parse_retry_after_ignores_missing_or_garbage(headers: dict[str, str] | None) -> None:
    assert parse_retry_after(headers) is None


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(wait_initial_s=1.0, wait_exp_base=2.0, wait_max_s=5.0, wait_jitter_s=0.0)
    assert [policy.backoff_s(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    jittered = RetryPolicy(wait_initial_s=1.0, wait_jitter_s=0.5)
    assert all(1.0 <= jittered.backoff_s(1) <= 1.5 for _ in range(50))


@pytest.mark.parametrize(
    "options", [{"attempts": 0}, {"timeout_s": -1.0}, {"wait_max_s": float("inf")}, {"wait_exp_base": 0.5}]
)
def test_policy_refuses_nonsense(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="RetryPolicy"):
        RetryPolicy(**options)


def test_set_testing_restores_previous_mode() -> None:
    assert is_testing()
    with set_testing(False):
        assert not is_testing()
    assert is_testing()


# -- against the emulator --------------------------------------------------------------


def test_429_with_retry_after_computes_a_wait_of_at_least_two_seconds(
    mimo_emulator: Any, client: openai.OpenAI
) -> None:
    events: list[RetryEvent] = []
    with pytest.raises(openai.RateLimitError) as caught:
        _call(client, "429; retry-after=2", events, attempts=3)
    assert _attempts(mimo_emulator) == [429, 429, 429]
    assert [e.attempt for e in events] == [1, 2]
    assert all(e.retry_after_s == 2.0 and e.wait_s >= 2.0 for e in events)
    assert caught.value.status_code == 429  # the original exception, not tenacity.RetryError


def test_a_retry_after_over_the_cap_is_not_waited(mimo_emulator: Any, client: openai.OpenAI) -> None:
    events: list[RetryEvent] = []
    with pytest.raises(openai.RateLimitError) as caught:
        _call(client, "429; retry-after=90", events, attempts=2, retry_after_max_s=5.0)
    assert events == []
    assert _attempts(mimo_emulator) == [429]
    assert "asks to wait 90 s" in str(caught.value)


def test_wait_past_the_time_budget_is_not_slept(mimo_emulator: Any, client: openai.OpenAI) -> None:
    events: list[RetryEvent] = []
    with pytest.raises(openai.RateLimitError):
        _call(client, "429; retry-after=30", events, attempts=5, timeout_s=10.0)
    assert _attempts(mimo_emulator) == [429]
    assert events == []


def test_503_then_success(mimo_emulator: Any, client: openai.OpenAI) -> None:
    events: list[RetryEvent] = []
    completion = _call(client, "503; times=1", events)
    assert read_answer(completion)
    assert _attempts(mimo_emulator) == [503, 200]
    assert len(events) == 1
    assert events[0].retry_after_s is None
    assert events[0].wait_s > 0


@pytest.mark.parametrize("status", [500, 502, 504])
def test_other_transient_statuses_are_retried(mimo_emulator: Any, client: openai.OpenAI, status: int) -> None:
    _call(client, f"{status}; times=2", [])
    assert _attempts(mimo_emulator) == [status, status, 200]


def test_dropped_connection_is_retried(mimo_emulator: Any, client: openai.OpenAI) -> None:
    mimo_emulator.fail_next("reset")
    _call(client, None, [])
    assert _attempts(mimo_emulator) == [0, 200]


def test_timeout_is_retried(mimo_emulator: Any) -> None:
    events: list[RetryEvent] = []
    with mimo_emulator.client(timeout=0.2) as client:
        completion = _call(client, "slow=0.5; times=1", events)
    assert read_answer(completion)
    assert len(events) == 1
    assert isinstance(events[0].exception, openai.APITimeoutError)
    _drain(mimo_emulator, expected=2)  # the slow attempt is logged when the server finishes it


def _drain(emulator: Any, *, expected: int) -> None:
    import time

    deadline = time.monotonic() + 3.0
    while len(emulator.completions()) < expected and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(emulator.completions()) == expected


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 421])
def test_permanent_errors_are_tried_exactly_once(
    mimo_emulator: Any, client: openai.OpenAI, status: int
) -> None:
    events: list[RetryEvent] = []
    with pytest.raises(openai.APIStatusError) as caught:
        _call(client, str(status), events, attempts=5)
    assert caught.value.status_code == status
    assert _attempts(mimo_emulator) == [status]
    assert events == []


def test_sdk_retries_are_off_and_the_users_client_is_untouched(
    mimo_emulator: Any, client: openai.OpenAI
) -> None:
    with mimo_emulator.client(max_retries=5) as own, pytest.raises(openai.InternalServerError):
        _call(own, "503", [], attempts=2)
    assert _attempts(mimo_emulator) == [503, 503]  # 2 attempts, not 2 x 6
    assert own.max_retries == 5


def test_mimo_detail_surfaces_in_the_message(mimo_emulator: Any, client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        create_completion(client, model="no-such-model", messages=MESSAGES)
    detail = api_error_detail(caught.value)
    assert detail
    assert "no-such-model" in detail
    assert detail in str(caught.value)
    if sys.version_info >= (3, 11):
        assert any("check the request" in note for note in caught.value.__notes__)


def test_detail_is_added_once_when_reraised_through_two_layers(
    mimo_emulator: Any, client: openai.OpenAI
) -> None:

    def call() -> Any:
        return create_completion(client, model="no-such-model", messages=MESSAGES)

    with pytest.raises(openai.BadRequestError) as caught:
        run_with_retry(call)
    detail = api_error_detail(caught.value)
    assert detail is not None
    assert str(caught.value).count(detail) == 1


def test_stream_is_retried_before_its_first_chunk(mimo_emulator: Any, client: openai.OpenAI) -> None:
    events: list[RetryEvent] = []
    with stream_completion(
        client,
        model="mimo-v2.6-flash",
        messages=MESSAGES,
        extra_headers={"x-emulator-fault": "503; times=1"},
        retry=RetryPolicy(on_retry=events.append),
    ) as stream:
        text = "".join(d.text for d in stream)
    assert text
    assert _attempts(mimo_emulator) == [503, 200]
    assert len(events) == 1


def test_async_429_then_success_and_401_once(mimo_emulator: Any) -> None:
    async def main() -> None:
        async with mimo_emulator.async_client() as client:
            events: list[RetryEvent] = []
            completion = await create_completion_async(
                client,
                model="mimo-v2.6-flash",
                messages=MESSAGES,
                extra_headers={"x-emulator-fault": "429; retry-after=2; times=1"},
                retry=RetryPolicy(on_retry=events.append),
            )
            assert read_answer(completion)
            assert [e.wait_s for e in events] == [2.0]
            with pytest.raises(openai.AuthenticationError):
                await create_completion_async(
                    client,
                    model="mimo-v2.6-flash",
                    messages=MESSAGES,
                    extra_headers={"x-emulator-fault": "401"},
                )

    asyncio.run(main())
    assert _attempts(mimo_emulator) == [429, 200, 401]


def test_testing_mode_really_skips_the_sleep(mimo_emulator: Any, client: openai.OpenAI) -> None:
    import time

    started = time.monotonic()
    with pytest.raises(openai.RateLimitError):
        _call(client, "429; retry-after=2", [], attempts=3)
    assert time.monotonic() - started < 2.0


def test_without_testing_mode_the_wait_is_slept(mimo_emulator: Any, client: openai.OpenAI) -> None:
    import time

    with set_testing(False):
        started = time.monotonic()
        _call(client, "503; times=1", [], wait_initial_s=0.3, wait_jitter_s=0.0)
    assert time.monotonic() - started >= 0.3


def test_attempts_override_in_testing_mode(mimo_emulator: Any, client: openai.OpenAI) -> None:
    with set_testing(True, attempts=1), pytest.raises(openai.InternalServerError):
        _call(client, "503", [], attempts=4)
    assert _attempts(mimo_emulator) == [503]


# -- NO_RETRY and attempt slots: for callers that retry (and pace) whole calls themselves --


def test_no_retry_is_one_attempt_even_when_testing_mode_overrides_attempts(
    mimo_emulator: Any, client: openai.OpenAI
) -> None:
    with set_testing(True, attempts=3):
        with pytest.raises(openai.InternalServerError):
            create_completion(
                client,
                model="mimo-v2.6-flash",
                messages=MESSAGES,
                extra_headers={"x-emulator-fault": "503"},
                retry=NO_RETRY,
            )
        assert _attempts(mimo_emulator) == [503]
        with pytest.raises(openai.InternalServerError):  # an equal policy is overridden: 3 attempts
            _call(client, "503", [], attempts=1)
    assert _attempts(mimo_emulator) == [503] * 4
    assert RetryPolicy(attempts=1) == NO_RETRY


def test_no_retry_still_surfaces_mimo_detail(mimo_emulator: Any, client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        create_completion(client, model="no-such-model", messages=MESSAGES, retry=NO_RETRY)
    detail = api_error_detail(caught.value)
    assert detail is not None
    assert detail in str(caught.value)


def test_ask_and_ask_async_keep_their_retries(mimo_emulator: Any, client: openai.OpenAI) -> None:
    from mimo_openai_ext import ask, ask_async, sample_audio_path

    audio = sample_audio_path()
    mimo_emulator.fail_next("503")
    assert ask(client, audio, "What is said?").text
    assert _attempts(mimo_emulator) == [503, 200]
    mimo_emulator.configure(fault_rate=1.0, faults=("503",))

    async def main() -> None:
        async with mimo_emulator.async_client() as async_client:
            with pytest.raises(openai.InternalServerError):
                await ask_async(async_client, audio, "What is said?")
            with pytest.raises(openai.InternalServerError):
                await ask_async(async_client, audio, "What is said?", retry=NO_RETRY)

    with set_testing(True, attempts=3):
        with pytest.raises(openai.InternalServerError):
            ask(client, audio, "What is said?")
        assert len(_attempts(mimo_emulator)) == 2 + 3
        with pytest.raises(openai.InternalServerError):
            ask(client, audio, "What is said?", retry=NO_RETRY)
        assert len(_attempts(mimo_emulator)) == 2 + 3 + 1
        asyncio.run(main())
    assert len(_attempts(mimo_emulator)) == 2 + 3 + 1 + 3 + 1


class _CountingSlot:
    def __init__(self) -> None:
        self.entered = self.exited = 0

    @contextlib.asynccontextmanager
    async def __call__(self) -> AsyncIterator[None]:
        self.entered += 1
        try:
            yield
        finally:
            self.exited += 1


def test_attempt_slot_is_held_around_every_attempt(mimo_emulator: Any) -> None:
    slot = _CountingSlot()
    events: list[RetryEvent] = []

    async def main() -> None:
        async with mimo_emulator.async_client() as client:

            async def once() -> Any:
                assert slot.entered == slot.exited + 1  # the request runs inside the slot
                return await create_completion_async(
                    client, model="mimo-v2.6-flash", messages=MESSAGES, retry=NO_RETRY
                )

            mimo_emulator.fail_next("503", "429; retry-after=1")
            policy = RetryPolicy(on_retry=events.append)
            await run_with_retry_async(once, retry=policy, attempt_slot=slot)
            mimo_emulator.fail_next("401")
            with pytest.raises(openai.AuthenticationError):
                await run_with_retry_async(once, retry=policy, attempt_slot=slot)
            mimo_emulator.fail_next("503")
            with pytest.raises(openai.InternalServerError):
                await run_with_retry_async(once, retry=NO_RETRY, attempt_slot=slot)

    asyncio.run(main())
    assert _attempts(mimo_emulator) == [503, 429, 200, 401, 503]
    assert (slot.entered, slot.exited) == (5, 5)
    assert [e.retry_after_s for e in events] == [None, 1.0]
