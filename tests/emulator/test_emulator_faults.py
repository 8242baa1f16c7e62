"""Faults, rate limits, latency, concurrency and big bodies, seen through the openai SDK."""

from __future__ import annotations

import asyncio
import contextlib
import time
from concurrent.futures import ThreadPoolExecutor

import openai
import pytest
from _audio import encode_tone
from _emulator_support import ask, audio_part, uri

from mimo_openai_ext import read_answer
from mimo_openai_ext.emulator import EmulatorHandle, run_emulator

QUESTION = ask("q")


pytestmark = pytest.mark.sdk_retries(0)  # the SDK sends each request once: the log shows them all


def create(client: openai.OpenAI, fault: str | None = None) -> object:
    headers = {"x-emulator-fault": fault} if fault else None
    return client.chat.completions.create(model="mimo-v2.6-flash", messages=QUESTION, extra_headers=headers)


@pytest.mark.parametrize(
    ("fault", "error", "status", "retry_after"),
    [
        ("429; retry-after=2", openai.RateLimitError, 429, "2"),
        ("429", openai.RateLimitError, 429, None),
        ("500", openai.InternalServerError, 500, None),
        ("503", openai.InternalServerError, 503, None),
        ("402", openai.APIStatusError, 402, None),
    ],
)
def test_forced_status_faults(
    mimo_emulator: EmulatorHandle,
    client: openai.OpenAI,
    fault: str,
    error: type[openai.APIStatusError],
    status: int,
    retry_after: str | None,
) -> None:
    with pytest.raises(error) as exc:
        create(client, fault)
    assert exc.value.status_code == status
    assert exc.value.response.headers.get("retry-after") == retry_after
    assert isinstance(exc.value.body, dict)
    assert exc.value.body["code"] == str(status)
    assert [(r.status, r.fault, r.model) for r in mimo_emulator.request_log] == [
        (status, fault, "mimo-v2.6-flash")
    ]


def test_reset_drops_the_connection(mimo_emulator: EmulatorHandle, client: openai.OpenAI) -> None:
    with pytest.raises(openai.APIConnectionError):
        create(client, "reset")
    assert [(r.status, r.fault) for r in mimo_emulator.request_log] == [(0, "reset")]
    assert create(client) is not None  # the server is still fine


def test_slow_answers_late_and_trips_client_timeouts(
    mimo_emulator: EmulatorHandle, client: openai.OpenAI
) -> None:
    start = time.monotonic()
    create(client, "slow=0.3")
    assert time.monotonic() - start >= 0.3
    with pytest.raises(openai.APITimeoutError):
        create(client.with_options(timeout=0.1), "slow=0.5")
    deadline = time.monotonic() + 5  # the timed-out request is logged once the server answers
    while len(mimo_emulator.request_log) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [r.fault for r in mimo_emulator.request_log] == ["slow=0.3", "slow=0.5"]


def test_times_lets_the_sdk_retry_succeed(mimo_emulator: EmulatorHandle, client: openai.OpenAI) -> None:
    completion = client.with_options(max_retries=2).chat.completions.create(
        model="mimo-v2.6-flash",
        messages=QUESTION,
        extra_headers={"x-emulator-fault": "503; retry-after=0.01; times=2"},
    )
    assert read_answer(completion)
    assert [r.status for r in mimo_emulator.completions()] == [503, 503, 200]


def test_fail_next_queues_faults_in_order(mimo_emulator: EmulatorHandle, client: openai.OpenAI) -> None:
    mimo_emulator.fail_next("429; retry-after=1", "reset")
    with pytest.raises(openai.RateLimitError):
        create(client)
    with pytest.raises(openai.APIConnectionError):
        create(client)
    create(client)
    assert [r.status for r in mimo_emulator.request_log] == [429, 0, 200]


def test_fault_rate_is_repeatable_with_a_seed() -> None:
    def statuses(seed: int) -> list[int]:
        with (
            run_emulator(fault_rate=0.5, faults=("500", "503"), seed=seed) as emu,
            emu.client(max_retries=0) as c,
        ):
            for _ in range(24):
                with contextlib.suppress(openai.InternalServerError):
                    create(c)
            return [r.status for r in emu.request_log]

    first = statuses(7)
    assert first == statuses(7)
    assert {500, 503, 200} == set(first)
    assert 4 <= sum(s != 200 for s in first) <= 20


def test_rpm_answers_429_with_retry_after(mimo_emulator: EmulatorHandle, client: openai.OpenAI) -> None:
    mimo_emulator.configure(rpm=3)
    for _ in range(3):
        create(client)
    with pytest.raises(openai.RateLimitError) as exc:
        create(client)
    assert 1 <= int(exc.value.response.headers["retry-after"]) <= 60
    assert client.chat.completions.create(model="mimo-v2.6-pro", messages=QUESTION).choices  # per model
    assert [(r.status, r.fault) for r in mimo_emulator.request_log][-2:] == [(429, "rpm"), (200, None)]


def test_latency_delays_every_answer(mimo_emulator: EmulatorHandle, client: openai.OpenAI) -> None:
    mimo_emulator.configure(latency_ms=150)
    start = time.monotonic()
    create(client)
    assert time.monotonic() - start >= 0.15


def test_32_concurrent_sync_requests_run_in_parallel(mimo_emulator: EmulatorHandle) -> None:
    mimo_emulator.configure(latency_ms=300)
    wav = audio_part(encode_tone(0.5))
    with mimo_emulator.client(max_retries=0) as client:

        def one(i: int) -> str:
            reply = client.chat.completions.create(
                model="mimo-v2.6-flash", messages=ask(wav, f"question {i}")
            )
            return read_answer(reply)

        start = time.monotonic()
        with ThreadPoolExecutor(32) as pool:
            answers = list(pool.map(one, range(32)))
        elapsed = time.monotonic() - start
    assert all(f'"question {i}"' in a for i, a in enumerate(answers))
    assert elapsed < 32 * 0.3 / 3  # far faster than one after another
    assert len(mimo_emulator.request_log) == 32


def test_48_concurrent_async_requests(mimo_emulator: EmulatorHandle) -> None:
    mimo_emulator.configure(latency_ms=200)

    async def main() -> list[str]:
        async with mimo_emulator.async_client(max_retries=0) as client:
            replies = await asyncio.gather(
                *(
                    client.chat.completions.create(model="mimo-v2.6-flash", messages=ask(f"n{i}"))
                    for i in range(48)
                )
            )
        return [r.id for r in replies]

    start = time.monotonic()
    ids = asyncio.run(main())
    assert time.monotonic() - start < 48 * 0.2 / 3
    assert len(set(ids)) == 48


@pytest.mark.slow
def test_a_50_mb_body_is_accepted(client: openai.OpenAI, mimo_emulator: EmulatorHandle) -> None:
    # 37.4 MB of WAV: its data URI is just under MiMo's 50,000,000-character limit.
    wav = encode_tone(1168.0, sample_rate=16_000)
    data_uri = uri(wav)
    assert 49_000_000 < len(data_uri) <= 50_000_000
    completion = client.chat.completions.create(
        model="mimo-v2.6-flash", messages=ask(audio_part(data_uri), "long")
    )
    assert completion.usage is not None
    assert completion.usage.prompt_tokens_details
    assert completion.usage.prompt_tokens_details.audio_tokens == 7300
    assert mimo_emulator.request_log[-1].body_bytes > 49_000_000
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(
            model="mimo-v2.6-flash", messages=ask(audio_part(data_uri + "AAAA" * 300), "q")
        )
