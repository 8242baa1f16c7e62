"""One retry layer around ``chat.completions.create`` (tenacity underneath).

* Only transient failures are retried: HTTP 429, 500, 502, 503, 504, connection errors,
  timeouts and invalid success bodies. 400, 401, 402, 403, 404, 421 (and anything else) fail at once.
* A server's ``retry-after-ms`` / ``Retry-After`` (seconds or an HTTP date) is honoured;
  otherwise exponential backoff with jitter.
* A server's wait longer than ``retry_after_max_s`` or than the time left is not waited:
  the error is raised at once, its message saying when the server wants the call back.
  A negative or unreadable ``Retry-After`` gets the normal backoff.
* ``timeout_s`` is a deadline over the whole call: attempts, waits and (for streams) the
  reading included. Each attempt passes the time left to the SDK as its timeout (see
  ``_client``), and the total is enforced here: an async attempt is cancelled at the
  deadline; a sync attempt runs on a worker thread the caller stops waiting for (a
  response still trickling in is abandoned to that thread). Either way the call raises
  :class:`DeadlineExceededError` at the deadline. Nested calls (a batch item's one
  attempt) see the enclosing deadline through a context variable.
* A 200 that is not a chat completion (:class:`InvalidResponseError`) is retried like a 5xx.
* Exactly one layer: the call goes through ``client.with_options(max_retries=0)`` (a
  copy; the user's client is untouched), so ``attempts=N`` means at most N requests.
* The caller gets the original ``openai`` exception (``reraise``), read and extended by
  ``_api_errors.surface_detail``: MiMo's ``error.param`` detail in its message, a note
  saying what to do (Python 3.11+), and the API key (``api_key=``, and whatever key the
  failed request carried) masked, also in the exceptions handed to ``on_retry``.
* ``set_testing(True)`` skips the sleeps (the computed waits are still reported to
  ``on_retry``) so tests never sleep.
* ``NO_RETRY`` means "no retry layer here": one attempt, whatever testing mode says. A
  caller that retries (and paces) attempts itself passes it to the call it wraps.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from ._api_errors import status_of, surface_detail
from ._deadline import Deadline, await_before, call_before, enclosing_deadline, entered, set_enclosing
from ._exceptions import DeadlineExceededError, InvalidOptionError, InvalidResponseError
from ._format import wait_text

if TYPE_CHECKING:
    import tenacity

__all__ = [
    "DEFAULT_RETRY",
    "NON_RETRYABLE_STATUS",
    "NO_RETRY",
    "RETRYABLE_STATUS",
    "RetryEvent",
    "RetryPolicy",
    "deadline_for",
    "is_retryable",
    "is_testing",
    "parse_retry_after",
    "refused_wait",
    "run_with_retry",
    "run_with_retry_async",
    "set_testing",
]

log = logging.getLogger("mimo_openai_ext")

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
"""Transient statuses: rate limit, server error, bad gateway, overloaded, gateway timeout."""
NON_RETRYABLE_STATUS = frozenset({400, 401, 402, 403, 404, 421})
"""MiMo's documented permanent failures (listed for documentation; anything not retryable fails)."""

_T = TypeVar("_T")


@dataclass(frozen=True)
class RetryEvent:
    """One retry about to happen: reported to ``RetryPolicy.on_retry`` before the wait."""

    attempt: int
    """The attempt that just failed (1 = the first request)."""
    wait_s: float
    """The computed wait before the next attempt (not slept in testing mode)."""
    retry_after_s: float | None
    """The server's ``retry-after-ms`` / ``Retry-After``, in seconds, when it sent one."""
    elapsed_s: float
    exception: BaseException


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """How to retry a MiMo call. Every option is keyword-only and carries its unit."""

    attempts: int = 4
    """Total attempts, the first one included: at most this many requests on the wire."""
    timeout_s: float = 600.0
    """A deadline over the whole call: attempts, waits and a stream's reading. Past it the call
    raises ``DeadlineExceededError``; a wait that would overrun it is not started. ``math.inf``
    for none (the SDK's own timeout still applies to each read)."""
    wait_initial_s: float = 0.5
    wait_max_s: float = 20.0
    """Cap on one backoff wait (without a server hint)."""
    wait_exp_base: float = 2.0
    wait_jitter_s: float = 0.5
    """Uniform random jitter added to each backoff wait."""
    retry_after_max_s: float = 60.0
    """The longest server-requested wait (``Retry-After``) honoured; a longer one fails at once."""
    on_retry: Callable[[RetryEvent], None] | None = None
    """Called before each wait (logging, metrics, tests)."""

    def __post_init__(self) -> None:

        _check_attempts(self.attempts, "RetryPolicy(attempts=...)")
        for name in ("timeout_s", "wait_initial_s", "wait_max_s", "wait_jitter_s", "retry_after_max_s"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not value >= 0
                or (math.isinf(value) and name != "timeout_s")
            ):
                raise InvalidOptionError(
                    f"RetryPolicy({name}={value!r}): must be a finite number of seconds >= 0 "
                    f"(e.g. {name}=1.5)",
                    option=name,
                )
        base = self.wait_exp_base
        if isinstance(base, bool) or not isinstance(base, (int, float)) or not 1 <= base < math.inf:
            raise InvalidOptionError(
                f"RetryPolicy(wait_exp_base={base!r}): must be a finite number >= 1 (2 doubles each wait)",
                option="wait_exp_base",
            )
        if self.on_retry is not None and not callable(self.on_retry):
            raise InvalidOptionError(
                f"RetryPolicy(on_retry={self.on_retry!r}): must be a function taking a RetryEvent, or None",
                option="on_retry",
            )

    def backoff_s(self, attempt: int) -> float:
        """The wait after failed attempt number ``attempt`` when the server gave no hint."""
        base = self.wait_initial_s * self.wait_exp_base ** min(attempt - 1, 64)
        return min(self.wait_max_s, base) + random.uniform(0.0, self.wait_jitter_s)


def _check_attempts(attempts: object, where: str) -> None:

    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        raise InvalidOptionError(
            f"{where[:-4]}{attempts!r}): the number of attempts must be a whole number (int) >= 1, "
            "the first request included; use attempts=1 for no retries",
            option="attempts",
        )


DEFAULT_RETRY = RetryPolicy()

NO_RETRY = RetryPolicy(attempts=1)
"""No retry layer here: exactly one attempt, never overridden by ``set_testing(attempts=N)``
(unlike an equal ``RetryPolicy(attempts=1)``). For code that retries the whole call itself,
e.g. a batch pacing each attempt: ``run_with_retry_async(lambda: ask_async(..., retry=NO_RETRY))``."""

# -- testing switch -------------------------------------------------------------------

_testing: dict[str, Any] = {"on": False, "attempts": None}


class _TestingToken:
    """Returned by ``set_testing``; as a context manager it restores the previous mode."""

    def __init__(self, previous: dict[str, Any]) -> None:
        self._previous = previous

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        _testing.update(self._previous)


def set_testing(testing: bool = True, *, attempts: int | None = None) -> _TestingToken:
    """Turn testing mode on or off: waits are computed and reported but never slept.

    ``attempts`` (optional) overrides every policy's attempt cap while testing. Use it as
    a plain call or as ``with set_testing(True): ...`` to restore the previous mode.
    """

    if not isinstance(testing, bool):
        raise InvalidOptionError(
            f"set_testing({testing!r}): takes True or False (a string like 'no' would count as "
            "true); call set_testing(True) or set_testing(False)",
            option="testing",
        )
    if attempts is not None:
        _check_attempts(attempts, "set_testing(attempts=...)")
    previous = dict(_testing)
    _testing.update(on=bool(testing), attempts=attempts if testing else None)
    return _TestingToken(previous)


def is_testing() -> bool:
    """Whether ``set_testing(True)`` is in effect."""
    return bool(_testing["on"])


# -- classification and server hints ---------------------------------------------------


def is_retryable(exc: BaseException) -> bool:
    """True for 429/500/502/503/504, connection errors, timeouts and invalid success bodies."""
    import openai

    if isinstance(exc, InvalidResponseError):  # a gateway's bad 200: transient, like a 5xx
        return True
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in RETRYABLE_STATUS
    return False


def parse_retry_after(headers: Mapping[str, str] | None, *, now_s: float | None = None) -> float | None:
    """Seconds asked for by ``retry-after-ms`` or ``Retry-After`` (seconds or HTTP date).

    None when absent, unreadable, negative or a date already past: the normal backoff applies.
    """
    if headers is None:
        return None
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value.strip()) / divisor
        except ValueError:
            continue
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    now = time.time() if now_s is None else now_s
    seconds = parsed.timestamp() - now
    return seconds if seconds >= 0 else None


def _server_hint_s(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    return parse_retry_after(headers) if headers is not None else None


# -- the deadline ------------------------------------------------------------------------


def deadline_for(policy: RetryPolicy | None) -> Deadline | None:
    """A new deadline for a call under ``policy``, or the enclosing one when that comes first.

    ``NO_RETRY`` has none of its own: it runs under the enclosing call's deadline, if any.
    """
    outer = enclosing_deadline()
    if policy is NO_RETRY:
        return outer
    timeout_s = (policy or DEFAULT_RETRY).timeout_s
    if math.isinf(timeout_s):
        return outer
    own = Deadline(timeout_s)
    return outer if outer is not None and outer.at_s <= own.at_s else own


def _past_deadline(exc: BaseException, deadline: Deadline | None) -> DeadlineExceededError | None:
    """The SDK's own timeout, set to the time left, fired at the deadline: say it is ours."""
    import openai

    if deadline is None or not isinstance(exc, openai.APITimeoutError) or deadline.left_s() > 0.05:
        return None
    return deadline.exceeded()


# -- the retry loop -------------------------------------------------------------------


def _when(seconds: float) -> str:
    try:
        moment = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    except OverflowError:
        return "a date past the year 9999"
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


class _Schedule:
    """Wait and stop decisions for one call; both read the same memoised wait."""

    def __init__(
        self, policy: RetryPolicy, deadline: Deadline | None, secrets: Sequence[str | None] = ()
    ) -> None:
        self.policy = policy
        self.deadline = deadline
        self.secrets = secrets
        self.attempts = _testing["attempts"] or policy.attempts
        self._waits: dict[int, tuple[float, float | None]] = {}
        self.refused_wait: str | None = None
        """Why a server-requested wait was not waited (said in the raised error's message)."""

    def elapsed_s(self, state: tenacity.RetryCallState) -> float:
        if self.deadline is not None:
            return self.deadline.elapsed_s()
        return state.seconds_since_start or 0.0

    def _compute(self, state: tenacity.RetryCallState) -> tuple[float, float | None]:
        number = state.attempt_number
        if number not in self._waits:
            exc = state.outcome.exception() if state.outcome is not None else None
            hint = _server_hint_s(exc) if exc is not None else None
            wait = hint if hint is not None else self.policy.backoff_s(number)
            self._waits[number] = (wait, hint)
        return self._waits[number]

    def wait(self, state: tenacity.RetryCallState) -> float:
        return self._compute(state)[0]

    def stop(self, state: tenacity.RetryCallState) -> bool:
        if state.attempt_number >= self.attempts:
            return True
        wait, hint = self._compute(state)
        left = math.inf if self.deadline is None else self.deadline.left_s()
        if hint is not None and (hint > self.policy.retry_after_max_s or hint > left):
            limit = (
                f"more than retry_after_max_s={self.policy.retry_after_max_s:g} s allows"
                if hint > self.policy.retry_after_max_s
                else f"more than the {max(left, 0.0):.1f} s left of timeout_s={self.policy.timeout_s:g} s"
            )
            self.refused_wait = (
                f"the server asks to wait {wait_text(hint)} before trying again (until {_when(hint)}), "
                f"{limit}: not retried; call again after that time"
            )
            return True
        return wait > left

    def tenacity_kwargs(self) -> dict[str, Any]:
        import tenacity

        retry = tenacity.retry_if_exception(is_retryable)
        return {"stop": self.stop, "wait": self.wait, "retry": retry, "before_sleep": self.before_sleep}

    def before_sleep(self, state: tenacity.RetryCallState) -> None:
        wait, hint = self._compute(state)
        exc = state.outcome.exception() if state.outcome is not None else None
        if exc is None:  # pragma: no cover - only exceptions are retried
            return
        surface_detail(exc, self.secrets)  # on_retry may log it: no key in it from here on
        log.info(
            "MiMo call failed (%s); retrying in %.2f s (attempt %d of %d)",
            _short(exc),
            wait,
            state.attempt_number + 1,
            self.attempts,
        )
        if self.policy.on_retry is not None:
            self.policy.on_retry(RetryEvent(state.attempt_number, wait, hint, self.elapsed_s(state), exc))

    def explain(self, exc: BaseException) -> None:
        """Say in ``exc``'s message why a server-requested wait was not waited."""
        if self.refused_wait is None or getattr(exc, "_mimo_wait_explained", False):
            return
        message = f"{exc.args[0] if exc.args else exc}; {self.refused_wait}"
        try:
            exc.args = (message, *exc.args[1:])
            if isinstance(getattr(exc, "message", None), str):
                exc.message = message  # type: ignore[attr-defined]
            exc._mimo_wait_explained = True  # type: ignore[attr-defined]
            exc._mimo_refused_wait = self.refused_wait  # type: ignore[attr-defined]
        except AttributeError:  # pragma: no cover - exotic exception types
            pass


def refused_wait(exc: BaseException) -> str | None:
    """Why the retry layer did not wait as the server asked (``Retry-After`` too long), if it did not."""
    said = getattr(exc, "_mimo_refused_wait", None)
    return said if isinstance(said, str) else None


def _short(exc: BaseException) -> str:
    status = status_of(exc)
    return f"HTTP {status}" if status is not None else type(exc).__name__


def _sleep(seconds: float) -> None:
    if not _testing["on"]:
        time.sleep(seconds)


async def _sleep_async(seconds: float) -> None:
    if not _testing["on"]:
        await asyncio.sleep(seconds)


def run_with_retry(
    fn: Callable[[], _T],
    *,
    retry: RetryPolicy | None = None,
    api_key: str | None = None,
    deadline: Deadline | None = None,
    on_abandon: Callable[[_T], None] | None = None,
) -> _T:
    """Call ``fn`` under the policy; the last original exception propagates.

    Every attempt ends by the policy's deadline (``deadline`` when given, else a new one
    from ``retry.timeout_s``, or the enclosing call's when that comes first):
    :class:`DeadlineExceededError` past it. ``fn`` may read the time left with
    :func:`enclosing_deadline`. ``api_key`` (the client's) is masked in the exception, as
    is the key its request carried. ``on_abandon`` receives a result that arrived after
    the deadline (to close it).
    """
    import tenacity

    secrets = (api_key,)
    if deadline is None:
        deadline = deadline_for(retry)
    schedule = _Schedule(retry or DEFAULT_RETRY, deadline, secrets)

    def attempt() -> _T:
        return call_before(deadline, fn, on_abandon=on_abandon)

    try:
        with entered(deadline):
            if retry is NO_RETRY:
                return attempt()
            return tenacity.Retrying(sleep=_sleep, reraise=True, **schedule.tenacity_kwargs())(attempt)
    except Exception as exc:
        surface_detail(exc, secrets)
        ours = _past_deadline(exc, deadline)
        if ours is not None:
            raise ours from exc
        schedule.explain(exc)
        raise


async def run_with_retry_async(
    fn: Callable[[], Awaitable[_T]],
    *,
    retry: RetryPolicy | None = None,
    attempt_slot: Callable[[], AbstractAsyncContextManager[object]] | None = None,
    api_key: str | None = None,
    deadline: Deadline | None = None,
) -> _T:
    """The async twin of :func:`run_with_retry`: an attempt still running at the deadline is cancelled.

    ``attempt_slot`` (e.g. ``RateLimiter.slot``) is entered around every attempt, retries
    included; the deadline starts when the first attempt holds its slot, and time queued
    for a later slot moves it on, so time waiting on the rate limiter is never spent from
    ``timeout_s``. ``api_key`` is masked as in :func:`run_with_retry`.
    """
    import tenacity

    secrets = (api_key,)
    policy = retry or DEFAULT_RETRY
    if deadline is None and attempt_slot is None:
        deadline = deadline_for(retry)
    schedule = _Schedule(policy, deadline, secrets)
    started: list[bool] = []
    owned: list[bool] = []  # whether the deadline is this call's own (not an enclosing one)

    async def attempt() -> _T:  # a coroutine function, so tenacity awaits each attempt
        if attempt_slot is None:
            return await await_before(schedule.deadline, fn)
        queued_s = time.monotonic()
        async with attempt_slot():
            if not started:  # the deadline starts when the first attempt holds its slot
                started.append(True)
                if schedule.deadline is None:
                    schedule.deadline = deadline_for(retry)
                    owned.append(schedule.deadline is not enclosing_deadline())
                    set_enclosing(schedule.deadline)
            elif owned and owned[0] and schedule.deadline is not None:
                schedule.deadline.postpone(time.monotonic() - queued_s)
            return await await_before(schedule.deadline, fn)

    try:
        with entered(deadline if deadline is not None else enclosing_deadline()):
            if retry is NO_RETRY:
                return await attempt()
            retrying = tenacity.AsyncRetrying(sleep=_sleep_async, reraise=True, **schedule.tenacity_kwargs())
            result: _T = await retrying(attempt)
    except Exception as exc:
        surface_detail(exc, secrets)
        ours = _past_deadline(exc, schedule.deadline)
        if ours is not None:
            raise ours from exc
        schedule.explain(exc)
        raise
    return result
