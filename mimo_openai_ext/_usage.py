"""After the call: what a response used and cost, and whether its audio was heard.

* ``UsageReport.from_usage(...)``: prompt/audio/cached/text/reasoning/completion tokens
  and ``cost_usd`` from the model's ``Price``. Cached tokens are billed at the cache-hit
  price *instead of* the input price (never twice), and no count goes negative.
  ``cache_saving_usd`` is what the cache saved, from the ``cached_tokens`` the response
  reports (never assumed).
* ``round_usd`` / ``tokens_usd``: the cost arithmetic both sides share.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from ._config import Price
from ._exceptions import InvalidTypeError
from ._format import money, table
from ._models import get_model

if TYPE_CHECKING:
    from openai.types import CompletionUsage

__all__ = ["UsageReport", "round_usd", "tokens_usd", "usage_html"]


def round_usd(amount: float) -> float:
    """A cost without binary float noise (``2.632e-05``, not ``2.6320000000000002e-05``).

    Twelve decimals keep a millionth of a cent while dropping the noise from summing
    per-token prices, so reprs, JSON and sums print what a person would write.
    """
    return round(amount, 12)


def tokens_usd(tokens: int, usd_per_mtok: float) -> float:
    """What ``tokens`` cost at a price in USD per million tokens."""
    return tokens * usd_per_mtok / 1_000_000


def _int(value: object) -> int:
    return max(int(value), 0) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


@dataclass(frozen=True)
class UsageReport:
    """What one response used and cost. Counts are never negative."""

    model: str
    prompt_tokens: int
    audio_tokens: int
    """``usage.prompt_tokens_details.audio_tokens`` (0 when absent; see ``audio_tokens_reported``)."""
    cached_tokens: int
    """Prompt tokens billed at the cache-hit price (clamped to ``prompt_tokens``)."""
    text_tokens: int
    """Prompt tokens that are not audio."""
    reasoning_tokens: int
    """Part of ``completion_tokens`` (never added on top)."""
    completion_tokens: int
    total_tokens: int
    cost_usd: float | None
    """Input (uncached) + cache hits + output (+ audio hours for ASR) at the model's ``Price``;
    None when unpriced, or when the response carried no usage (a stream without its usage chunk)."""
    audio_tokens_reported: bool = True
    audio_seconds: float | None = None
    """``usage.seconds`` (the ASR model reports it)."""
    cache_saving_usd: float | None = None
    """What the cache saved: ``cached_tokens`` at the input price minus at the cache-hit price,
    from the ``cached_tokens`` the response reported; None when unpriced."""

    @classmethod
    def from_usage(
        cls, usage: CompletionUsage | Mapping[str, Any] | None, *, model: str, price: Price | None = None
    ) -> UsageReport:
        """Build from a response's ``usage`` (SDK object or dict). ``price`` defaults to the model's.

        ``usage=None`` (the response had none) gives zero counts and ``cost_usd=None``: unknown.
        """
        raw = _usage_mapping(usage)
        prompt_details = raw.get("prompt_tokens_details") or {}
        completion_details = raw.get("completion_tokens_details") or {}
        prompt = _int(raw.get("prompt_tokens"))
        completion = _int(raw.get("completion_tokens"))
        audio_raw = prompt_details.get("audio_tokens")
        audio = min(_int(audio_raw), prompt)
        cached = min(_int(prompt_details.get("cached_tokens")), prompt)
        seconds = raw.get("seconds")
        if price is None:
            price = get_model(model, warn=False).price
        cost = saving = None
        if price is not None and usage is not None:  # no usage at all: the cost is unknown, not $0
            saving = round_usd(
                tokens_usd(cached, price.input_usd_per_mtok)
                - tokens_usd(cached, price.cache_hit_usd_per_mtok)
            )
            cost = (
                tokens_usd(prompt - cached, price.input_usd_per_mtok)
                + tokens_usd(cached, price.cache_hit_usd_per_mtok)
                + tokens_usd(completion, price.output_usd_per_mtok)
            )
            if price.audio_usd_per_hour and isinstance(seconds, (int, float)):
                cost += max(float(seconds), 0.0) / 3600 * price.audio_usd_per_hour
            cost = round_usd(cost)
        return cls(
            model=model,
            prompt_tokens=prompt,
            audio_tokens=audio,
            cached_tokens=cached,
            text_tokens=prompt - audio,
            reasoning_tokens=min(_int(completion_details.get("reasoning_tokens")), completion),
            completion_tokens=completion,
            total_tokens=max(_int(raw.get("total_tokens")), prompt + completion),
            cost_usd=cost,
            audio_tokens_reported=isinstance(audio_raw, int),
            audio_seconds=float(seconds) if isinstance(seconds, (int, float)) else None,
            cache_saving_usd=saving,
        )

    def __add__(self, other: UsageReport) -> UsageReport:
        """Sum two reports (a batch total). Cost stays None if either is unpriced."""
        if not isinstance(other, UsageReport):
            return NotImplemented
        cost = saving = None
        if self.cost_usd is not None and other.cost_usd is not None:
            cost = round_usd(self.cost_usd + other.cost_usd)
        if self.cache_saving_usd is not None and other.cache_saving_usd is not None:
            saving = round_usd(self.cache_saving_usd + other.cache_saving_usd)
        seconds = None
        if self.audio_seconds is not None or other.audio_seconds is not None:
            seconds = (self.audio_seconds or 0.0) + (other.audio_seconds or 0.0)
        return UsageReport(
            model=self.model if self.model == other.model else f"{self.model}+{other.model}",
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            audio_tokens=self.audio_tokens + other.audio_tokens,
            cached_tokens=self.cached_tokens + other.cached_tokens,
            text_tokens=self.text_tokens + other.text_tokens,
            reasoning_tokens=self.reasoning_tokens + other.reasoning_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
            cost_usd=cost,
            audio_tokens_reported=self.audio_tokens_reported and other.audio_tokens_reported,
            audio_seconds=seconds,
            cache_saving_usd=saving,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def _repr_html_(self) -> str:  # Jupyter
        return usage_html(self)


def usage_html(usage: UsageReport, *, title: str = "Usage") -> str:
    """A usage report: every token count and the cost."""
    rows: list[tuple[str, object]] = [
        ("model", usage.model),
        ("prompt tokens", f"{usage.prompt_tokens:,}"),
        ("· audio", f"{usage.audio_tokens:,}" if usage.audio_tokens_reported else "not reported"),
        ("· text", f"{usage.text_tokens:,}"),
        ("· cached", f"{usage.cached_tokens:,}"),
        ("completion tokens", f"{usage.completion_tokens:,}"),
        ("· reasoning", f"{usage.reasoning_tokens:,}"),
        ("total tokens", f"{usage.total_tokens:,}"),
        ("cost", money(usage.cost_usd)),
    ]
    if usage.cached_tokens and usage.cache_saving_usd is not None:
        rows.append(("· saved by the cache", money(usage.cache_saving_usd)))
    if usage.audio_seconds is not None:
        rows.insert(2, ("audio seconds", f"{usage.audio_seconds:g}"))
    return table(rows, title=title)


def _usage_mapping(usage: object) -> Mapping[str, Any]:
    """A response's ``usage`` as a mapping; a whole completion (or anything else) is refused."""
    if usage is None:
        return {}
    if isinstance(usage, Mapping):
        if "choices" in usage or "usage" in usage:
            raise InvalidTypeError(
                "UsageReport.from_usage() got a whole completion: pass its usage "
                "(completion.usage, or completion['usage'] for a dict)",
                option="usage",
            )
        return usage
    if hasattr(usage, "choices") or hasattr(usage, "usage"):
        raise InvalidTypeError(
            f"UsageReport.from_usage() got a whole {type(usage).__name__}: pass its usage (completion.usage)",
            option="usage",
        )
    dump = getattr(usage, "model_dump", None)
    if callable(dump) and hasattr(usage, "prompt_tokens"):
        dumped = dump()
        if isinstance(dumped, Mapping):
            return dumped
    raise InvalidTypeError(
        f"UsageReport.from_usage() takes a response's usage (completion.usage: a CompletionUsage or "
        f"its dict), not a {type(usage).__name__}",
        option="usage",
    )
