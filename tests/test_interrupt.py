"""``deferred_interrupts``: Ctrl-C is recorded during a conversion and raised between blocks."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from mimo_openai_ext._interrupt import deferred_interrupts


@pytest.fixture(autouse=True)
def default_handler() -> None:
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_signal_is_raised_at_the_next_check_only() -> None:
    with deferred_interrupts() as check:
        check()  # nothing pending
        os.kill(os.getpid(), signal.SIGINT)  # would raise right here with the default handler
        reached = True
        with pytest.raises(KeyboardInterrupt):
            check()
        check()  # raised once, then cleared
    assert reached
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_signal_after_the_last_check_is_raised_on_exit() -> None:
    with pytest.raises(KeyboardInterrupt), deferred_interrupts():
        os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_nested_uses_share_the_outer_handler() -> None:
    with deferred_interrupts() as outer:
        handler = signal.getsignal(signal.SIGINT)
        with deferred_interrupts() as inner:
            assert signal.getsignal(signal.SIGINT) is handler
            os.kill(os.getpid(), signal.SIGINT)
        with pytest.raises(KeyboardInterrupt):
            outer()
        assert inner is outer


def test_other_threads_and_custom_handlers_are_left_alone() -> None:
    seen: list[object] = []

    def worker() -> None:
        with deferred_interrupts():
            seen.append(signal.getsignal(signal.SIGINT))

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen == [signal.default_int_handler]

    def mine(signum: int, frame: object) -> None:
        seen.append(signum)

    previous = signal.signal(signal.SIGINT, mine)
    try:
        with deferred_interrupts():
            assert signal.getsignal(signal.SIGINT) is mine
    finally:
        signal.signal(signal.SIGINT, previous)
