"""The emulator's small parts: fault syntax, token counts, prefix cache, byte budget, options."""

from __future__ import annotations

import base64
import binascii
import threading
import time

import openai
import pytest

from mimo_openai_ext import DEFAULT_LIMITS
from mimo_openai_ext.emulator import EmulatorOptions, _audio, run_emulator, start_emulator
from mimo_openai_ext.emulator._faults import FaultBook, FaultSyntaxError, RateWindow, parse_fault
from mimo_openai_ext.emulator._state import ByteBudget
from mimo_openai_ext.emulator._usage import PrefixCache, Segment, audio_tokens, text_tokens


@pytest.mark.parametrize(
    ("value", "status", "reset", "retry_after", "delay", "times"),
    [
        ("429; retry-after=2", 429, False, 2.0, 0.0, None),
        ("429", 429, False, None, 0.0, None),
        (" 503 ;times=2 ", 503, False, None, 0.0, 2),
        ("reset", None, True, None, 0.0, None),
        ("slow=1.5", None, False, None, 1.5, None),
        ("slow=0.2; 500", 500, False, None, 0.2, None),
    ],
)
def test_parse_fault(
    value: str, status: int | None, reset: bool, retry_after: float | None, delay: float, times: int | None
) -> None:
    fault = parse_fault(value)
    assert (fault.status, fault.reset, fault.retry_after_s, fault.delay_s, fault.times) == (
        status, reset, retry_after, delay, times,
    )  # fmt: skip
    assert fault.answers == (status is None and not reset)


@pytest.mark.parametrize(
    "value", ["", "teapot", "200", "600", "429; retry-after=x", "reset; 500", "retry-after=1"]
)
def test_parse_fault_refuses_nonsense(value: str) -> None:
    with pytest.raises(FaultSyntaxError):
        parse_fault(value)


def test_fault_times_counts_per_header_value() -> None:
    book = FaultBook(seed=None)
    got = [book.from_header("500; times=2") is not None for _ in range(3)]
    assert got == [True, True, False]
    assert book.from_header("500; times=1") is not None


def test_rate_window_slides() -> None:
    window = RateWindow()
    assert [window.admit("m", rpm=2, now=t) for t in (0.0, 1.0)] == [None, None]
    assert window.admit("m", rpm=2, now=30.0) == pytest.approx(30.0)
    assert window.admit("other", rpm=2, now=30.0) is None
    assert window.admit("m", rpm=2, now=60.0) is None  # the first one left the window


@pytest.mark.parametrize(
    ("seconds", "tokens"), [(4.0, 25), (10.6, 67), (0.0, 0), (0.01, 1), (3600.0, 22_500)]
)
def test_audio_tokens_rule(seconds: float, tokens: int) -> None:
    assert audio_tokens(seconds, limits=DEFAULT_LIMITS) == tokens


def test_text_tokens_estimate() -> None:
    assert text_tokens("") == 0
    assert text_tokens("abcd" * 10) == 10
    assert text_tokens("你好") == 2


def test_prefix_cache_counts_the_longest_seen_prefix() -> None:
    cache = PrefixCache()
    a, b, c = Segment(b"a", 10), Segment(b"b", 5), Segment(b"c", 7)
    assert cache.cached_tokens("m", [a, b], ttl_s=60) == 0
    assert cache.cached_tokens("m", [a, c], ttl_s=60) == 10
    assert cache.cached_tokens("m", [a, b, c], ttl_s=60) == 15
    assert cache.cached_tokens("other-model", [a, b], ttl_s=60) == 0
    assert cache.cached_tokens("m", [b, a], ttl_s=60) == 0
    time.sleep(0.02)
    assert cache.cached_tokens("m", [a, b, c], ttl_s=0.01) == 0


def test_a_prefix_is_cached_once_its_prompt_is_answered() -> None:
    cache = PrefixCache()
    a, b = Segment(b"audio", 25), Segment(b"question", 3)
    cached, keys = cache.lookup("m", [a, b], ttl_s=60)
    assert cached == 0
    assert cache.lookup("m", [a], ttl_s=60)[0] == 0  # still being answered: a request sent now misses
    cache.remember(keys)
    assert cache.lookup("m", [a, Segment(b"another question", 4)], ttl_s=60)[0] == 25


def test_byte_budget_makes_big_bodies_take_turns() -> None:
    budget = ByteBudget(100)
    inside = 0
    most = 0
    lock = threading.Lock()

    def body() -> None:
        nonlocal inside, most
        with budget.hold(60):
            with lock:
                inside += 1
                most = max(most, inside)
            time.sleep(0.02)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=body) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most == 1
    with budget.hold(10_000):  # larger than the budget: admitted alone, not forever blocked
        pass


@pytest.mark.parametrize(
    "changes", [{"fault_rate": 1.5}, {"faults": ("teapot",)}, {"rpm": 0}, {"latency_ms": -1}]
)
def test_options_are_validated(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each message is checked by its own test elsewhere
        EmulatorOptions(**changes)  # type: ignore[arg-type]


def test_start_and_close_without_context_manager() -> None:
    handle = start_emulator(port=0)
    with handle.client(max_retries=0) as client:
        assert client.models.list().data
        handle.close()
        handle.close()  # idempotent
        with pytest.raises(openai.APIConnectionError):
            client.with_options(timeout=2).models.list()


def test_configure_and_reset() -> None:
    with run_emulator(rpm=5) as emu:
        assert emu.configure(rpm=10, answer_in_content=True).rpm == 10
        assert emu.options.answer_in_content
        emu.reset()
        assert emu.options.rpm == 5
        assert not emu.options.answer_in_content


@pytest.mark.parametrize("strict", [True, False])
def test_base64_is_decoded_strictly_in_slices(monkeypatch: pytest.MonkeyPatch, strict: bool) -> None:
    if not strict:  # the Python 3.10 path
        monkeypatch.setattr(_audio, "_a2b", _audio._a2b_checked)
    monkeypatch.setattr(_audio, "_B64_SLICE_CHARS", 8)
    data = bytes(range(256)) * 3 + b"xy"
    text = "data:audio/wav;base64," + base64.b64encode(data).decode()
    assert _audio._b64decode(text, 22) == data
    for bad in ("QUJD*EFC", "QUJ=QUJD", "QUJDQ", "QQ==QUJD"):
        with pytest.raises(binascii.Error):
            _audio._b64decode(bad, 0)


@pytest.mark.parametrize(
    ("options", "option"),
    [({"fault_rate": 2}, "fault_rate"), ({"rpm": 0}, "rpm"), ({"latency_ms": -5}, "latency_ms")],
)
def test_bad_options_are_errors_of_the_library(options: dict[str, float], option: str) -> None:
    from mimo_openai_ext import InvalidOptionError

    with pytest.raises(InvalidOptionError) as caught:
        EmulatorOptions(**options)  # type: ignore[arg-type]
    assert caught.value.option == option


def test_bad_fault_names_are_errors_of_the_library() -> None:
    from mimo_openai_ext import MimoAudioError

    with pytest.raises(MimoAudioError):
        parse_fault("teapot")


def test_the_handle_reads_as_its_base_url() -> None:
    with run_emulator() as emu:
        assert str(emu) == emu.base_url
        assert f"{emu}".startswith("http://127.0.0.1:")
