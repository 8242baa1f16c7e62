"""Faults for testing retries: forced by header or queue, drawn by rate, or from the RPM limit.

The ``x-emulator-fault`` header holds ``;``-separated items:

* a status: ``429``, ``500``, ``503`` (any 400..599), optionally ``retry-after=2``
  (seconds; only sent when given),
* ``reset``: the connection is dropped without an answer,
* ``slow=SECONDS``: the answer (or fault) comes after that delay,
* ``times=N``: only the first N requests carrying this exact header value get the
  fault (the SDK resends headers on retry, so ``503; times=2`` fails twice, then answers).
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import deque
from dataclasses import dataclass

from .._exceptions import MimoAudioError

__all__ = ["Fault", "FaultBook", "FaultSyntaxError", "RateWindow", "parse_fault"]

FAULT_HEADER = "x-emulator-fault"


class FaultSyntaxError(MimoAudioError, ValueError):
    """An ``x-emulator-fault`` value (or a ``faults`` entry) we cannot read."""


@dataclass(frozen=True)
class Fault:
    """One fault to inject: a status, a dropped connection, and/or a delay."""

    status: int | None = None
    reset: bool = False
    retry_after_s: float | None = None
    delay_s: float = 0.0
    times: int | None = None
    label: str = ""

    @property
    def answers(self) -> bool:
        """True when the request still gets its normal answer (only a delay)."""
        return self.status is None and not self.reset


def _number(item: str, key: str) -> float:
    try:
        value = float(item.split("=", 1)[1])
    except ValueError:
        raise FaultSyntaxError(f"{key} needs a number, got {item!r}") from None
    if not math.isfinite(value) or value < 0:
        raise FaultSyntaxError(f"{key} must be a finite number >= 0, got {item!r}")
    return value


def parse_fault(value: str) -> Fault:
    """Read ``"429; retry-after=2"``, ``"reset"``, ``"slow=1.5"``, ``"503; times=2"``."""
    status: int | None = None
    reset = False
    retry_after: float | None = None
    delay = 0.0
    times: int | None = None
    items = [i.strip().lower() for i in value.split(";") if i.strip()]
    if not items:
        raise FaultSyntaxError("empty fault")
    for item in items:
        if item == "reset":
            reset = True
        elif item.isdigit() and 400 <= int(item) <= 599:
            status = int(item)
        elif item.startswith("retry-after="):
            retry_after = _number(item, "retry-after")
        elif item.startswith("slow="):
            delay = _number(item, "slow")
        elif item.startswith("times="):
            times = int(_number(item, "times"))
        else:
            raise FaultSyntaxError(
                f"unknown fault item {item!r}: use a status 400..599 (with retry-after=S), "
                "reset, slow=S or times=N, separated by ';'"
            )
    if reset and status is not None:
        raise FaultSyntaxError(f"{value!r}: choose either a status or reset, not both")
    if retry_after is not None and status is None:
        raise FaultSyntaxError(f"{value!r}: retry-after needs a status such as 429")
    return Fault(status, reset, retry_after, delay, times, label="; ".join(items))


class FaultBook:
    """Decides each request's fault: header, queue, then the seeded draw. Thread-safe."""

    def __init__(self, *, seed: int | None) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._queue: deque[Fault] = deque()
        self._header_uses: dict[str, int] = {}

    def reset(self, *, seed: int | None) -> None:
        with self._lock:
            self._rng = random.Random(seed)
            self._queue.clear()
            self._header_uses.clear()

    def reseed(self, seed: int | None) -> None:
        with self._lock:
            self._rng = random.Random(seed)

    def push(self, faults: list[Fault]) -> None:
        with self._lock:
            self._queue.extend(faults)

    def from_header(self, value: str) -> Fault | None:
        """The header's fault, or ``None`` once its ``times`` are used up."""
        fault = parse_fault(value)
        if fault.times is None:
            return fault
        key = value.strip().lower()
        with self._lock:
            used = self._header_uses.get(key, 0)
            self._header_uses[key] = used + 1
        return fault if used < fault.times else None

    def next_queued(self) -> Fault | None:
        with self._lock:
            return self._queue.popleft() if self._queue else None

    def draw(self, *, rate: float, names: tuple[str, ...], retry_after_s: float | None) -> Fault | None:
        """With probability ``rate``, one of ``names`` (repeatable for a given seed)."""
        if rate <= 0 or not names:
            return None
        with self._lock:
            hit = self._rng.random() < rate
            name = self._rng.choice(names) if hit else ""
        if not hit:
            return None
        fault = parse_fault(name)
        if fault.status == 429 and fault.retry_after_s is None and retry_after_s is not None:
            return Fault(429, retry_after_s=retry_after_s, label=f"429; retry-after={retry_after_s:g}")
        return fault


class RateWindow:
    """A sliding 60-second window of accepted requests per model."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._times: dict[str, deque[float]] = {}

    def clear(self) -> None:
        with self._lock:
            self._times.clear()

    def admit(self, model: str, *, rpm: int, now: float | None = None) -> float | None:
        """Record a request; return ``None`` if admitted, else seconds until a slot frees."""
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._times.setdefault(model, deque())
            while times and now - times[0] >= 60.0:
                times.popleft()
            if len(times) < rpm:
                times.append(now)
                return None
            return max(0.0, 60.0 - (now - times[0]))
