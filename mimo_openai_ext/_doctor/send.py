"""Sending one probe: a timeout, a spending cap, the answer read defensively, the key masked.

Probes bypass the retry layer and ``ask``'s checks on purpose: each is one request, shaped
exactly as the probe needs (a ``format`` key, raw base64, a retired model), sent with the
SDK's retries off and its own timeout. ``Budget`` reserves each request's worst-case cost
before it is sent and settles it with the real cost after; a request that would pass the cap
is not sent. A model without a price is costed, for the cap only, at ``fallback_price()``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._api_errors import api_error_detail, status_of
from .._config import MODELS, Price
from .._models import get_model
from .._redact import mask
from .._usage import UsageReport, round_usd, tokens_usd

if TYPE_CHECKING:
    from openai import OpenAI

__all__ = ["Budget", "Reply", "Sender", "fallback_price", "worst_case_usd"]

_UNPRICED_FACTOR = 10
"""An unpriced model counts, for the cap, at 10x the dearest priced model (ultraspeed is
reported to cost about 10x pro)."""


def fallback_price() -> Price:
    """What the cap assumes for a model without a price: 10x the dearest model in the table."""
    priced = [m.price for m in MODELS.values() if m.price is not None]
    top_in = max((p.input_usd_per_mtok for p in priced), default=1.0) * _UNPRICED_FACTOR
    top_out = max((p.output_usd_per_mtok for p in priced), default=2.0) * _UNPRICED_FACTOR
    return Price(top_in, top_in, top_out, as_of="", source="mimo-audio doctor's cap for unpriced models")


def worst_case_usd(model: str, *, input_tokens: int, max_completion_tokens: int) -> float:
    """The most one request can cost: all input uncached, every completion token used."""
    price = get_model(model, warn=False).price or fallback_price()
    return tokens_usd(input_tokens, price.input_usd_per_mtok) + tokens_usd(
        max_completion_tokens, price.output_usd_per_mtok
    )


class Budget:
    """The run's spending cap: reserve a request's worst case, then settle with what it cost."""

    def __init__(self, max_usd: float) -> None:
        self.max_usd = max_usd
        self._lock = threading.Lock()
        self._reserved = 0.0
        self.requests = 0
        """Requests sent (answered or not)."""
        self.spent_usd = 0.0
        """What priced answers cost."""
        self.unpriced_answers = 0
        """Answers whose cost is unknown (an unpriced model, or an unreadable usage)."""
        self.unpriced_worst_usd = 0.0
        """The cap's estimate for those answers (an upper bound)."""

    def reserve(self, usd: float) -> bool:
        with self._lock:
            if self.spent_usd + self.unpriced_worst_usd + self._reserved + usd > self.max_usd:
                return False
            self._reserved += usd
            self.requests += 1
            return True

    def settle(self, reserved: float, cost: float | None, *, answered: bool) -> None:
        with self._lock:
            self._reserved -= reserved
            if not answered:
                return
            if cost is None:
                self.unpriced_answers += 1
                self.unpriced_worst_usd += reserved
            else:
                self.spent_usd = round_usd(self.spent_usd + cost)


@dataclass(frozen=True)
class Reply:
    """What one request got: a status and a checked usage, or MiMo's error, or no answer."""

    status: int | None
    """The HTTP status; None when no answer came (timeout, connection, the cap)."""
    usage: UsageReport | None = None
    finish_reason: str | None = None
    detail: str = ""
    """MiMo's error detail (``error.param``, else ``message``), or why there was no answer."""
    headers: Mapping[str, str] = field(default_factory=dict)
    elapsed_s: float = 0.0
    no_answer: str | None = None
    """``"timeout"``, ``"connection"``, ``"cap"`` or ``"unreadable"`` (a 200 we cannot read)."""

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.usage is not None

    @property
    def refused(self) -> bool:
        """A 4xx: MiMo's answer to the request itself (a 429 answers nothing: it is an error)."""
        return self.status is not None and 400 <= self.status < 500 and self.status != 429


class Sender:
    """Sends probe requests with one client, a timeout each, under one ``Budget``."""

    def __init__(self, client: OpenAI, *, timeout_s: float, budget: Budget) -> None:
        self._client = client
        self.timeout_s = timeout_s
        self.budget = budget
        key = getattr(client, "api_key", None)
        self._secrets = [key] if isinstance(key, str) and len(key) >= 8 else []
        self.retry_after_seen: list[tuple[str, int | None, str]] = []
        """``(model, status, value)`` of each ``Retry-After`` (or ``-ms``) header an error carried."""

    def masked(self, text: str) -> str:
        return mask(text, self._secrets)

    def send(
        self,
        *,
        model: str,
        messages: list[dict[str, Any]],
        input_tokens: int,
        max_completion_tokens: int,
        timeout_s: float | None = None,
        **extra: Any,
    ) -> Reply:
        """One request (``extra`` goes to ``create``: ``extra_body=...``, ``max_tokens=...``)."""
        import openai

        # a max_tokens probe may be ignored: then the model's default cap is the worst case
        cap = max_completion_tokens
        if "max_tokens" in extra:
            cap = get_model(model, warn=False).default_max_completion_tokens
        worst = worst_case_usd(model, input_tokens=input_tokens, max_completion_tokens=cap)
        if not self.budget.reserve(worst):
            return Reply(
                None, detail=f"not sent: it could cost up to ${worst:.6f}, past the cap", no_answer="cap"
            )
        if "max_tokens" not in extra:
            extra["max_completion_tokens"] = max_completion_tokens
        create = self._client.with_options(
            timeout=timeout_s or self.timeout_s, max_retries=0
        ).chat.completions
        start = time.monotonic()
        answered = False
        cost: float | None = None
        try:
            raw = create.with_raw_response.create(model=model, messages=messages, **extra)  # type: ignore[arg-type]
            headers = dict(raw.headers)
            try:
                completion = raw.parse()
                usage = UsageReport.from_usage(completion.usage, model=completion.model or model)
            except Exception as exc:
                answered = True
                return Reply(
                    200,
                    detail=self.masked(f"unreadable answer: {exc}"),
                    headers=headers,
                    no_answer="unreadable",
                )
            answered = True
            cost = usage.cost_usd
            finish = completion.choices[0].finish_reason if completion.choices else None
            return Reply(200, usage, finish, headers=headers, elapsed_s=time.monotonic() - start)
        except openai.APIStatusError as exc:
            detail = api_error_detail(exc) or str(getattr(exc, "message", "") or exc)
            self._note_retry_after(model, status_of(exc), exc.response.headers)
            return Reply(
                status_of(exc),
                detail=self.masked(detail),
                headers=dict(exc.response.headers),
                elapsed_s=time.monotonic() - start,
            )
        except openai.APITimeoutError:
            return Reply(
                None, detail=f"no answer within {timeout_s or self.timeout_s:g} s", no_answer="timeout"
            )
        except openai.APIConnectionError as exc:
            return Reply(None, detail=self.masked(f"could not connect: {exc}"), no_answer="connection")
        finally:
            self.budget.settle(worst, cost, answered=answered)

    def _note_retry_after(self, model: str, status: int | None, headers: Mapping[str, str]) -> None:
        lowered = {k.lower(): v for k, v in headers.items()}
        for name in ("retry-after", "retry-after-ms"):
            if name in lowered:
                self.retry_after_seen.append((model, status, f"{name.title()}: {lowered[name]}"))
                return
