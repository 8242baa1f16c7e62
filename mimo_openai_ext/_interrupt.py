"""Ctrl-C that works during long conversions.

libsndfile writes to memory through cffi callbacks, and a ``KeyboardInterrupt`` raised
inside a cffi callback is printed ("Exception ignored from cffi callback") and
swallowed: the conversion would run on to the end. While a conversion runs in the
main thread, :func:`deferred_interrupts` swaps Python's SIGINT handler for one that
only records the signal; the block loop calls ``check()`` between blocks, which
raises ``KeyboardInterrupt`` in ordinary Python code. The previous handler is put
back afterwards (and a signal that came in the meantime is raised then).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

__all__ = ["deferred_interrupts"]


class _State:
    active = False
    pending = False


def _record(signum: int, frame: FrameType | None) -> None:
    _State.pending = True


def _check() -> None:
    if _State.pending:
        _State.pending = False
        raise KeyboardInterrupt


def _no_check() -> None:
    return None


@contextlib.contextmanager
def deferred_interrupts() -> Iterator[Callable[[], None]]:
    """Yield ``check()``: raises ``KeyboardInterrupt`` if Ctrl-C was pressed since the last call.

    Only in the main thread and only when SIGINT has Python's default handler (a
    handler of the caller's own is left alone); nested uses share the outer one.
    """
    if _State.active:
        yield _check
        return
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield _no_check
        return
    previous = signal.signal(signal.SIGINT, _record)
    _State.active, _State.pending = True, False
    try:
        yield _check
    finally:
        signal.signal(signal.SIGINT, previous)
        _State.active = False
        pending, _State.pending = _State.pending, False
    if pending:
        raise KeyboardInterrupt
