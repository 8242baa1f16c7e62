"""Deadlines: when a call must be over, and waiting for work no longer than that.

* :class:`Deadline`: a ``time.monotonic()`` instant and the ``timeout_s`` it came from;
  :meth:`Deadline.exceeded` is the :class:`DeadlineExceededError` to raise past it.
* The deadline of the call running now is in a context variable (:func:`enclosing_deadline`,
  :func:`entered`), so nested calls (a batch item's one attempt) and the attempt itself
  (which gives the SDK the time left as its timeout) see it; it crosses to worker threads
  in a copy of the context.
* :func:`call_before` runs a sync function on a kept daemon worker thread and stops waiting
  at the deadline: the SDK's read timeout restarts with every byte, so a server trickling one
  byte a second would otherwise hold a caller for ever. :func:`await_before` cancels an
  awaitable at the deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import os
import queue
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

from ._exceptions import DeadlineExceededError

__all__ = ["Deadline", "await_before", "call_before", "enclosing_deadline", "entered", "set_enclosing"]

log = logging.getLogger("mimo_openai_ext")

_T = TypeVar("_T")


class Deadline:
    """When a call must be over (``time.monotonic()`` seconds), and the ``timeout_s`` it came from."""

    def __init__(self, timeout_s: float, *, start_s: float | None = None) -> None:
        self.timeout_s = timeout_s
        self.start_s = time.monotonic() if start_s is None else start_s
        self.at_s = self.start_s + timeout_s

    def left_s(self) -> float:
        return self.at_s - time.monotonic()

    def elapsed_s(self) -> float:
        return time.monotonic() - self.start_s

    def postpone(self, seconds: float) -> None:
        """Move the deadline (and the start) later: time queued for a rate-limit slot is not spent."""
        self.at_s += seconds
        self.start_s += seconds

    def exceeded(self, *, text: str = "", reasoning: str = "") -> DeadlineExceededError:
        """``"no answer within timeout_s=3 s ..."``, or for a stream cut short ``"the whole answer
        did not arrive within ... (120 characters of the answer had arrived)"``."""
        started = bool(text or reasoning)
        head = "the whole answer did not arrive" if started else "no answer"
        got = f" ({len(text):,} characters of the answer had arrived)" if started else ""
        return DeadlineExceededError(
            f"{head} within timeout_s={self.timeout_s:g} s (RetryPolicy; {self.elapsed_s():.1f} s "
            f"spent, retries and waits included){got}: the server is not answering or answers too "
            "slowly; retry later, or raise timeout_s (--timeout on the command line)",
            timeout_s=self.timeout_s,
            elapsed_s=self.elapsed_s(),
            text=text,
            reasoning=reasoning,
        )


_DEADLINE: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar(
    "mimo_openai_ext_deadline", default=None
)


def enclosing_deadline() -> Deadline | None:
    """The deadline of the call this code runs inside (None outside any)."""
    return _DEADLINE.get()


@contextlib.contextmanager
def entered(deadline: Deadline | None) -> Iterator[None]:
    """Make ``deadline`` the enclosing one for the block (None: the same as outside any call)."""
    token = _DEADLINE.set(deadline)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def set_enclosing(deadline: Deadline | None) -> None:
    """Make ``deadline`` the enclosing one from here on in this context (within an ``entered`` block)."""
    _DEADLINE.set(deadline)


class _Workers:
    """Daemon threads kept for the attempts of sync calls.

    Handing a job to a waiting thread costs far less than starting one (about 30 us against
    600 us on a loaded 2-core machine, ``bench_calling.py``). A thread idle for
    :attr:`IDLE_S` ends; one still held by an abandoned attempt (a server trickling bytes)
    is busy until that attempt ends, and new jobs get other threads. Daemon threads: a
    process never waits for them at exit. After ``fork`` the child starts with none.
    """

    IDLE_S = 30.0

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0
        """Threads waiting for a job (or about to)."""
        self._queued = 0
        """Jobs put but not yet taken."""

    def submit(self, job: Callable[[], None]) -> None:
        """Run ``job`` on a waiting thread, or on a new one when none is free."""
        with self._lock:
            self._queued += 1
            spawn = self._queued > self._idle
        self._jobs.put(job)
        if spawn:
            threading.Thread(target=self._serve, name="mimo-call", daemon=True).start()

    def _serve(self) -> None:
        while True:
            with self._lock:
                self._idle += 1
            try:
                job = self._jobs.get(timeout=self.IDLE_S)
            except queue.Empty:
                with self._lock:
                    self._idle -= 1
                    if self._queued <= self._idle:  # the other waiting threads cover every queued job
                        return
                continue
            with self._lock:
                self._idle -= 1
                self._queued -= 1
            job()  # never raises: call_before's job keeps its outcome


_workers = _Workers()


def _fresh_workers() -> None:
    global _workers
    _workers = _Workers()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_fresh_workers)


def call_before(
    deadline: Deadline | None, fn: Callable[[], _T], *, on_abandon: Callable[[_T], None] | None = None
) -> _T:
    """``fn()`` if it ends before ``deadline``; else :class:`DeadlineExceededError` at the deadline.

    ``fn`` runs on a daemon worker thread (in a copy of this context) that the caller
    stops waiting for at the deadline; a result it produces later goes to ``on_abandon`` (to
    close a stream). Without a deadline ``fn`` is simply called.
    """
    if deadline is None:
        return fn()
    left = deadline.left_s()
    if left <= 0:
        raise deadline.exceeded()
    done = threading.Event()
    lock = threading.Lock()
    box: dict[str, Any] = {}
    context = contextvars.copy_context()

    def run() -> None:
        try:
            box["value"] = context.run(fn)
        except BaseException as exc:  # handed to the caller, who raises it
            box["error"] = exc
        with lock:
            done.set()
            late = box.get("abandoned", False)
        if late and "value" in box and on_abandon is not None:
            try:
                on_abandon(box["value"])
            except Exception:  # pragma: no cover - best effort on a result nobody waits for
                log.debug("closing an abandoned result failed", exc_info=True)

    _workers.submit(run)
    finished = False
    try:
        done.wait(left)
    finally:  # past the deadline, or the caller interrupted (Ctrl-C): a late result is closed
        with lock:
            finished = done.is_set()
            box["abandoned"] = not finished
    if not finished:
        raise deadline.exceeded()
    if "error" in box:
        error: BaseException = box.pop("error")
        raise error
    value: _T = box["value"]
    return value


async def await_before(deadline: Deadline | None, make: Callable[[], Awaitable[_T]]) -> _T:
    """``await make()``, cancelled at ``deadline`` with :class:`DeadlineExceededError`."""
    if deadline is None:
        return await make()
    left = deadline.left_s()
    if left <= 0:
        raise deadline.exceeded()
    try:
        return await asyncio.wait_for(make(), left)
    except DeadlineExceededError:
        raise
    except (asyncio.TimeoutError, TimeoutError):
        if deadline.left_s() > 0:  # a timeout of the awaited code itself, not ours
            raise
        raise deadline.exceeded() from None
