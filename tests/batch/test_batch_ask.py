"""Batches: order, per-item failures, the RPM ceiling on the wire, resume, estimates."""

from __future__ import annotations

import asyncio
import json
import math
import random
from dataclasses import replace
from pathlib import Path

import pytest
import soundfile as sf
from _audio import write_silence
from _emulator_support import max_in_window

from mimo_openai_ext import DEFAULT_LIMITS, InvalidClientError
from mimo_openai_ext._batch.ask import ask_batch, ask_batch_async
from mimo_openai_ext._batch.engine import BatchOptions, make_limiter, run_batch
from mimo_openai_ext._batch.estimate import estimate_batch
from mimo_openai_ext._batch.rate import RateLimiter
from mimo_openai_ext._batch.results_file import read_results
from mimo_openai_ext._retry import RetryPolicy, set_testing


@pytest.fixture
def clips(tmp_path: Path) -> list[Path]:
    """Eight WAVs of distinct lengths (0.50 s, 0.75 s, ...) so answers tell them apart."""
    return [write_silence(tmp_path / f"clip{i}.wav", 0.5 + 0.25 * i, sample_rate=8000) for i in range(8)]


def _run_async(emulator, *args, **kwargs):
    """``ask_batch_async`` with an ``AsyncOpenAI`` opened and closed in the same loop."""

    async def go():
        async with emulator.async_client() as client:
            return await ask_batch_async(client, *args, **kwargs)

    return asyncio.run(go())


# -- the engine alone (an injected ask_one) ------------------------------------------------


def test_results_come_back_in_input_order_whatever_the_completion_order(tmp_path: Path) -> None:
    from mimo_openai_ext._answer import Answer
    from mimo_openai_ext._usage import UsageReport

    rng = random.Random(7)
    delays = [rng.uniform(0.0, 0.05) for _ in range(30)]
    finished: list[str] = []

    async def ask_one(source: object, question: str) -> Answer:
        await asyncio.sleep(delays[int(str(source))])
        finished.append(str(source))
        usage = UsageReport.from_usage({"prompt_tokens": 10, "completion_tokens": 2}, model="mimo-v2.6-flash")
        return Answer(
            text=f"answer {source}", reasoning="", finish_reason="stop", model="mimo-v2.6-flash", usage=usage
        )

    sources = [str(i) for i in range(30)]
    out = tmp_path / "r.jsonl"
    results = asyncio.run(
        run_batch(
            ask_one,
            sources,
            "q",
            model="mimo-v2.6-flash",
            options=BatchOptions(concurrency=8, rate_limiter=RateLimiter(1000), results_path=out),
        )
    )
    assert finished != sources  # the workers really finished out of order
    assert [r.source for r in results] == sources
    assert [r.text for r in results] == [f"answer {i}" for i in range(30)]
    file_order = [rec["source"] for rec in read_results(out)]
    assert file_order == finished  # the JSONL is in completion order, one line per item
    assert sorted(file_order, key=int) == sources


def test_concurrency_is_bounded() -> None:
    from mimo_openai_ext._answer import Answer
    from mimo_openai_ext._usage import UsageReport

    running = peak = 0

    async def ask_one(source: object, question: str) -> Answer:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1
        return Answer("x", "", "stop", "m", UsageReport.from_usage(None, model="mimo-v2.6-flash"))

    asyncio.run(
        run_batch(
            ask_one,
            list(range(40)),
            "q",
            model="m",
            options=BatchOptions(concurrency=5, rate_limiter=RateLimiter(999)),
        )
    )  # type: ignore[arg-type]
    assert peak == 5


# -- end to end against the emulator ---------------------------------------------------------


def test_answers_match_their_own_files(mimo_emulator, clips: list[Path]) -> None:
    results = _run_async(mimo_emulator, clips, "What is in it?", concurrency=4)
    assert len(results) == len(clips)
    assert not results.failed
    for clip, result in zip(clips, results, strict=True):
        assert result.source == str(clip)
        assert f"{sf.info(clip).duration:.2f} s" in (result.text or "")
        assert result.duration_s == pytest.approx(sf.info(clip).duration, abs=0.01)
        assert result.tokens("audio_tokens") == result.answer.usage.audio_tokens > 0  # type: ignore[union-attr]
    assert results.cost_usd > 0
    assert results.tokens("prompt_tokens") == sum(r.answer.usage.prompt_tokens for r in results)  # type: ignore[union-attr]


def test_one_failure_never_sinks_the_batch(
    mimo_emulator, clips: list[Path], tmp_path: Path, no_sleep, client
) -> None:
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    text = tmp_path / "notes.wav"
    text.write_text("just some text, not audio\n")
    sources = [clips[0], tmp_path / "missing.wav", broken, text, clips[1], clips[2]]
    mimo_emulator.fail_next("400")  # concurrency 1: the first request on the wire is clips[0]'s
    results = ask_batch(client, sources, "q", concurrency=1)
    by_source = {Path(r.source).name: r for r in results}
    assert [r.source for r in results] == [str(s) for s in sources]
    assert by_source["clip0.wav"].error == {
        "type": "BadRequestError",
        "status": 400,
        "message": by_source["clip0.wav"].error["message"],  # type: ignore[index]
    }
    assert by_source["missing.wav"].error["type"] == "InvalidAudioSourceError"  # type: ignore[index]
    assert by_source["missing.wav"].error["status"] is None  # type: ignore[index]
    assert "missing.wav" in by_source["missing.wav"].error["message"]  # type: ignore[index]
    assert not by_source["broken.wav"].ok
    assert not by_source["notes.wav"].ok
    assert isinstance(by_source["notes.wav"].exception, ValueError)
    assert by_source["clip1.wav"].ok
    assert by_source["clip2.wav"].ok
    assert len(results.failed) == 4
    assert len(results.succeeded) == 2


def test_transient_errors_are_retried_and_every_attempt_is_counted(
    mimo_emulator, clips, no_sleep, client
) -> None:
    mimo_emulator.fail_next("503", "429; retry-after=1")
    events = []
    policy = RetryPolicy(attempts=3, on_retry=events.append)
    results = ask_batch(client, clips[:2], "q", concurrency=1, retry=policy)
    assert not results.failed
    statuses = [r.status for r in mimo_emulator.completions()]
    assert statuses == [503, 429, 200, 200]
    assert [e.retry_after_s for e in events] == [None, 1.0]


def test_rpm_ceiling_holds_on_the_wire_with_retries(mimo_emulator, clips, no_sleep) -> None:
    mimo_emulator.configure(fault_rate=0.3, faults=("503",), seed=3)
    limiter = RateLimiter(4, window_s=0.4)
    results = _run_async(
        mimo_emulator,
        clips + clips[:4],
        "q",
        concurrency=8,
        rate_limiter=limiter,
        retry=RetryPolicy(attempts=6),
    )
    log = mimo_emulator.completions()
    assert any(r.status == 503 for r in log)  # retries happened and went through the limiter
    assert len(log) > len(results)
    assert not results.failed
    assert max_in_window([r.time_s for r in log], 0.4) <= 4
    assert max(r.time_s for r in log) - min(r.time_s for r in log) >= 0.4 * (len(log) // 4 - 1)


def test_default_ceiling_comes_from_limits() -> None:
    assert make_limiter(None, None, None).max_requests == DEFAULT_LIMITS.requests_per_minute == 100
    assert make_limiter(None, None, None).window_s == 60.0
    assert make_limiter(None, 7, None).max_requests == 7
    assert make_limiter(None, None, replace(DEFAULT_LIMITS, requests_per_minute=42)).max_requests == 42
    shared = RateLimiter(3)
    assert make_limiter(shared, 7, None) is shared


def test_a_question_per_item(mimo_emulator, clips) -> None:
    questions = [f"question number {i}?" for i in range(3)]
    results = _run_async(mimo_emulator, clips[:3], questions, concurrency=3)
    for question, result in zip(questions, results, strict=True):
        assert result.record["question"] == question
        assert question in (result.text or "")


def test_sync_wrapper_inside_a_running_loop(mimo_emulator, clips, client) -> None:
    async def notebook_cell() -> int:
        return len(ask_batch(client, clips[:3], "q").succeeded)

    assert asyncio.run(notebook_cell()) == 3


def test_resume_skips_what_the_file_holds(mimo_emulator, clips, tmp_path: Path, client) -> None:
    out = tmp_path / "results.jsonl"
    first = ask_batch(client, clips[:5], "q", results_path=out)
    assert len(first) == 5
    assert len(mimo_emulator.completions()) == 5
    seen = []
    second = ask_batch(client, clips, "q", results_path=out, resume=True, on_result=seen.append)
    assert len(mimo_emulator.completions()) == 8  # only the three new ones were asked
    assert [r.resumed for r in second] == [True] * 5 + [False] * 3
    assert sorted(r.source for r in seen) == [str(c) for c in clips[5:]]
    assert second[0].text == first[0].text
    assert second[0].usage == first[0].usage
    lines = out.read_text().splitlines()
    assert sorted(json.loads(line)["source"] for line in lines) == sorted(str(c) for c in clips)


def test_an_existing_results_file_needs_resume_or_overwrite(
    mimo_emulator, clips, tmp_path: Path, client
) -> None:
    from mimo_openai_ext import ResultsFileError

    out = tmp_path / "results.jsonl"
    ask_batch(client, clips[:2], "q", results_path=out)
    with pytest.raises(ResultsFileError, match=r"already exists.*resume"):
        ask_batch(client, clips[:2], "q", results_path=out)
    ask_batch(client, clips[2:3], "q", results_path=out, overwrite=True)
    assert [r["source"] for r in read_results(out)] == [str(clips[2])]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sources": "one.wav"}, "single str; pass a list"),
        ({"question": ["a", "b"]}, "2 items for 3 sources"),
        ({"concurrency": 0}, "concurrency must be"),
    ],
)
def test_bad_arguments_are_refused_clearly(mimo_emulator, clips, kwargs, message, client) -> None:
    arguments = {"sources": clips[:3], "question": "q", **kwargs}
    with pytest.raises(ValueError, match=message):
        ask_batch(client, **arguments)
    assert mimo_emulator.completions() == []


def test_duplicates_are_refused_with_a_results_file(mimo_emulator, clips, tmp_path: Path, client) -> None:
    with pytest.raises(ValueError, match="more than once"):
        ask_batch(client, [clips[0], clips[0]], "q", results_path=tmp_path / "r.jsonl")


# -- estimates ------------------------------------------------------------------------


def test_estimate_adds_up_durations_tokens_and_worst_case_cost(clips, tmp_path: Path) -> None:
    from mimo_openai_ext import MODELS

    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio at all")
    with open(clips[1], "rb") as handle:
        estimate = estimate_batch([*clips, bad, handle], "q", max_completion_tokens=100)
        assert handle.tell() == 0  # the file object is put back for the real run
    durations = [sf.info(c).duration for c in clips] + [sf.info(clips[1]).duration]
    assert estimate.items == 10
    assert estimate.duration_s == pytest.approx(sum(durations))
    assert estimate.audio_tokens == sum(math.ceil(d * 6.25) for d in durations)
    assert [s for s, _ in estimate.unreadable] == [str(bad)]
    price = MODELS["mimo-v2.6-flash"].price
    expected = (estimate.input_tokens * price.input_usd_per_mtok + 9 * 100 * price.output_usd_per_mtok) / 1e6
    assert estimate.worst_case_cost_usd == pytest.approx(expected)
    assert "would fail" in estimate.summary()
    assert "bad.wav" in estimate.summary()


def test_in_memory_sources_are_named_without_their_bytes(
    mimo_emulator, clips, client, tmp_path: Path
) -> None:
    from mimo_openai_ext.audio import data_uri

    raw = clips[0].read_bytes()
    uri = data_uri(raw, "audio/wav")
    with open(clips[1], "rb") as handle:
        results = ask_batch(client, [uri, raw, handle], "q", results_path=tmp_path / "r.jsonl")
    assert [r.source for r in results] == ["<data URI #0>", "<bytes #1>", str(clips[1])]
    assert not results.failed
    assert max(len(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()) < 2000


def test_the_sync_wrapper_points_async_clients_to_the_async_api(mimo_emulator, clips) -> None:
    async def go() -> None:
        async with mimo_emulator.async_client() as async_client:
            with pytest.raises(InvalidClientError, match="ask_batch_async"):
                ask_batch(async_client, clips[:1], "q")

    asyncio.run(go())
    assert mimo_emulator.completions() == []


def test_retry_failed_asks_only_the_failed_items_again(mimo_emulator, clips, client, tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    mimo_emulator.fail_next("400")
    first = ask_batch(client, clips[:4], "q", concurrency=1, results_path=out)
    assert [r.ok for r in first] == [False, True, True, True]
    second = ask_batch(client, clips[:4], "q", results_path=out, retry_failed=True)
    assert [r.resumed for r in second] == [False, True, True, True]
    assert not second.failed
    assert len(mimo_emulator.completions()) == 5
    records = read_results(out)
    assert sorted(r["source"] for r in records) == sorted(str(c) for c in clips[:4])
    assert all(r["error"] is None for r in records)


# -- one retry layer: the batch's, with every attempt through the limiter ----------------


def test_testing_attempts_cap_the_batch_requests_on_the_wire(mimo_emulator, clips, client) -> None:
    """``set_testing(attempts=3)``: a 503 item makes exactly 3 requests, not 3 x 3 or 4 x 3."""
    mimo_emulator.configure(fault_rate=1.0, faults=("503",))
    events = []
    with set_testing(True, attempts=3):
        sync = ask_batch(client, clips[:1], "q", retry=RetryPolicy(on_retry=events.append))
        assert [r.status for r in mimo_emulator.completions()] == [503, 503, 503]
        done = _run_async(mimo_emulator, clips[1:2], "q")
    assert [r.status for r in mimo_emulator.completions()] == [503] * 6
    for results in (sync, done):
        assert results[0].error["status"] == 503  # type: ignore[index]
        assert results[0].error["type"] == "InternalServerError"  # type: ignore[index]
    assert [e.attempt for e in events] == [1, 2]


def test_every_attempt_takes_a_limiter_slot(mimo_emulator, clips, no_sleep, client) -> None:
    mimo_emulator.fail_next("503", "500")
    taken = []

    class CountingLimiter(RateLimiter):
        async def acquire(self) -> None:
            taken.append(len(mimo_emulator.completions()))
            await super().acquire()

    results = ask_batch(client, clips[:2], "q", concurrency=1, rate_limiter=CountingLimiter(99))
    assert not results.failed
    assert [r.status for r in mimo_emulator.completions()] == [503, 500, 200, 200]
    assert taken == [0, 1, 2, 3]  # one slot before each request, retries included


def test_the_time_budget_starts_at_the_first_send_not_in_the_limiter_queue(
    mimo_emulator, clips, no_sleep, client
) -> None:
    limiter = RateLimiter(1, window_s=0.4)
    asyncio.run(limiter.acquire())
    limiter.release()  # the window is full: the first attempt queues for about 0.4 s
    mimo_emulator.fail_next("503")
    policy = RetryPolicy(timeout_s=0.3, wait_initial_s=0.0, wait_jitter_s=0.0)
    results = ask_batch(client, clips[:1], "q", rate_limiter=limiter, retry=policy)
    assert not results.failed  # the queue wait did not use up the 0.3 s budget
    assert [r.status for r in mimo_emulator.completions()] == [503, 200]


def test_convert_reencodes_refused_formats_in_the_estimate_and_the_batch(
    mimo_emulator, clips, client, tmp_path: Path
) -> None:
    aiff = write_silence(tmp_path / "t.aiff", 0.75, format="AIFF", sample_rate=8000)
    refused = estimate_batch([aiff, clips[0]], "q")
    assert [s for s, _ in refused.unreadable] == [str(aiff)]
    assert refused.convertible == (str(aiff),)
    assert "1 of them in a format that convert=True re-encodes" in refused.summary()
    converted = estimate_batch([aiff, clips[0]], "q", convert=True)
    assert converted.unreadable == ()
    assert converted.duration_s == pytest.approx(0.75 + 0.5, abs=0.01)

    plain = ask_batch(client, [aiff], "q")
    assert plain[0].error is not None
    assert plain[0].error["type"] == "UnsupportedAudioFormatError"
    results = ask_batch(client, [aiff], "q", convert=True)
    assert results[0].ok
    assert results[0].duration_s == pytest.approx(0.75, abs=0.01)
    assert len(mimo_emulator.completions()) == 1  # the refused one never reached the wire


def test_would_fail_lines_name_the_file_once(tmp_path: Path) -> None:
    bad = tmp_path / "speech.aac"
    frame = b"\xff\xf1\x50\x80\x19\x1f\xfc" + bytes(193)  # a 200-byte ADTS frame: AAC MiMo refuses
    bad.write_bytes(frame * 2)
    summary = estimate_batch([bad], "q").summary()
    line = next(line for line in summary.splitlines() if line.startswith("would fail"))
    assert line.startswith(f"would fail: {bad}: AAC in ADTS")
    assert f"{bad}: speech.aac:" not in line
    assert not line.split(": ", 2)[2].startswith("speech.aac")


# -- option errors: in the MimoAudioError tree, naming the user's own parameter --------------


@pytest.mark.parametrize(
    ("kwargs", "option"),
    [
        ({"concurrency": 0}, "concurrency"),
        ({"concurrency": True}, "concurrency"),
        ({"requests_per_minute": 0}, "requests_per_minute"),
        ({"requests_per_minute": 2.5}, "requests_per_minute"),
        ({"resume": True}, "resume"),
        ({"retry_failed": True}, "retry_failed"),
    ],
)
def test_bad_options_raise_invalid_option_error_sync_and_async(
    mimo_emulator, clips, kwargs, option, client
) -> None:
    from mimo_openai_ext import InvalidOptionError

    for run in (
        lambda: ask_batch(client, clips[:2], "q", **kwargs),
        lambda: _run_async(mimo_emulator, clips[:2], "q", **kwargs),
    ):
        with pytest.raises(InvalidOptionError) as info:
            run()
        assert info.value.option == option
        assert str(info.value).startswith(f"{option}")
        assert "max_requests" not in str(info.value)
    assert mimo_emulator.completions() == []


def test_resume_without_a_results_path_says_what_it_needs(mimo_emulator, clips, client) -> None:
    from mimo_openai_ext import InvalidOptionError

    with pytest.raises(
        InvalidOptionError, match=r"resume=True needs results_path.*results_path='results\.jsonl'"
    ):
        ask_batch(client, clips[:1], "q", resume=True)
    assert mimo_emulator.completions() == []
    assert len(ask_batch(client, clips[:1], "q", resume=False).succeeded) == 1


def test_urls_of_unknown_duration_are_called_out_not_read_as_zeros(clips) -> None:
    only_url = estimate_batch(["https://example.com/a.wav"], "q")
    assert (only_url.duration_s, only_url.audio_tokens) == (0.0, 0)
    assert "1 source of unknown duration (a URL): totals exclude it" in repr(only_url)
    assert only_url.summary().splitlines()[-1] == "1 source of unknown duration (a URL): totals exclude it"
    mixed = estimate_batch(["https://example.com/a.wav", clips[0], "https://example.com/b.wav"], "q")
    assert "2 sources of unknown duration (URLs): totals exclude them" in mixed.summary()
    assert "of audio (known durations only)" in mixed.summary()
    html = mixed._repr_html_()
    assert "(2 URLs not counted)" in html
    assert "https://example.com/b.wav" in html
    plain = estimate_batch(clips[:2], "q")
    assert "unknown duration" not in repr(plain) + plain.summary() + plain._repr_html_()
    assert repr(plain).startswith("BatchEstimate(2 items for mimo-v2.6-flash: ")


def test_batch_results_repr_is_short_and_shows_small_costs(mimo_emulator, clips, client) -> None:
    results = ask_batch(client, clips[:3], "q", thinking=False)
    assert 0 < results.cost_usd < 0.001
    text = repr(results)
    assert len(text) < 120
    assert "$0.0000," not in text
    from mimo_openai_ext._batch.results import usd_text

    assert usd_text(results.cost_usd) in text
    assert float(usd_text(results.cost_usd)[1:]) == pytest.approx(results.cost_usd, rel=0.05)


@pytest.mark.parametrize(
    ("usd", "text"),
    [
        (0.0, "$0.0000"),
        (0.0000213, "$0.000021"),
        (0.005, "$0.0050"),
        (0.0123456, "$0.0123"),
        (1234.5, "$1,234.5000"),
    ],
)
def test_usd_text_keeps_two_significant_digits_below_a_cent(usd: float, text: str) -> None:
    from mimo_openai_ext._batch.results import usd_text

    assert usd_text(usd) == text
