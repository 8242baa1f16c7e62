"""``run_doctor``: settle what the model table only believes, with a handful of tiny requests.

Against your own account (or the emulator): which models hear audio in each of the five
formats, whether a ``format`` key beside a data URI is ignored or refused, whether raw base64
is heard, whether ``max_tokens`` is honoured, which ``reasoning_effort`` values each model
takes, whether the models the table says retired are really gone, and, when asked, whether a
429 carries ``Retry-After`` and which base64 limit holds. Each request has a timeout; the run
has a spending cap; nothing is retried; the key is never shown.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from functools import partial
from typing import TYPE_CHECKING

from .._checks import check_bool, check_callable, check_number, check_seconds, check_str, check_type
from .._client import check_client
from .._config import AUDIO_FORMATS, DEFAULT_LIMITS, MODELS, REASONING_EFFORTS, REFUSED_REASONING_EFFORTS
from .._exceptions import InvalidClientError, InvalidOptionError, MissingExtraError
from .._models import current_models, get_model, is_retired
from .clips import tone_clips
from .probes import (
    ProbeName,
    ProbeResult,
    audio_probe,
    effort_probe,
    format_key_probe,
    max_tokens_probe,
    raw_base64_probe,
    retired_probe,
    retry_after_probe,
    size_probe,
    skipped,
)
from .report import DoctorReport
from .send import Budget, Sender

if TYPE_CHECKING:
    from openai import OpenAI

__all__ = ["run_doctor"]

_CONCURRENCY = 4
_SIZE_TIMEOUT_S = 300.0
"""The size probe uploads about 51 MB: it gets at least this long."""


def _check_sync_client(client: object) -> None:
    """A sync ``openai.OpenAI`` (the doctor has no async twin: its requests run on threads)."""
    try:
        check_client(client, sync=True, call="run_doctor")
    except InvalidClientError as exc:
        if "(async)" not in str(exc):
            raise
        raise InvalidClientError(
            f"run_doctor() needs a sync openai.OpenAI client, got {type(client).__name__}: there is no "
            "async twin (the probes run on threads); pass mimo_client() or openai.OpenAI(...)"
        ) from None


def _default_models() -> list[str]:
    """Today's chat models that take audio, then the retired ones (one request each)."""
    current = [m.id for m in current_models(audio=True)]
    retired = [m.id for m in MODELS.values() if is_retired(m) and not m.asr]
    return current + retired


def _checked_models(models: Sequence[str] | None) -> list[str]:
    if models is None:
        return _default_models()
    check_type(models, (list, tuple), option="models", expected="a list of model ids")
    chosen = [check_str(m, option="models") for m in models]
    if not chosen:
        raise InvalidOptionError(
            "models=[]: name at least one model, or pass None for the default set", option="models"
        )
    return list(dict.fromkeys(chosen))


def run_doctor(
    client: OpenAI,
    /,
    *,
    models: Sequence[str] | None = None,
    max_cost_usd: float = 0.05,
    timeout_s: float = 60.0,
    include_size: bool = False,
    include_rate_limit: bool = False,
    on_probe: Callable[[ProbeResult], None] | None = None,
) -> DoctorReport:
    """Probe MiMo through ``client`` (yours, used as it is, never modified); returns a ``DoctorReport``.

    ``models`` defaults to today's audio models plus the retired ones; a retired model gets
    one request, a current one the five formats and each ``reasoning_effort`` value (the
    format-key, raw-base64 and ``max_tokens`` probes use the first current one). No request
    is sent that could take the run past ``max_cost_usd`` (models without a price count at
    10x the dearest one); each waits at most ``timeout_s``. ``include_rate_limit`` sends
    one-token requests until a 429 (up to the RPM limit + 20) to see its ``Retry-After``
    (without it, a ``Retry-After`` the other probes happened to meet is reported);
    ``include_size`` sends one 51,200,000-character base64 WAV (about 51 MB) to learn which
    limit holds (it runs before the rate-limit probe). ``on_probe`` is called with each result as it comes.
    """
    _check_sync_client(client)
    chosen = _checked_models(models)
    check_number(max_cost_usd, option="max_cost_usd", low=0.0, high=100.0)
    check_seconds(timeout_s, option="timeout_s", minimum=0.1)
    check_bool(include_size, option="include_size")
    check_bool(include_rate_limit, option="include_rate_limit")
    check_callable(on_probe, option="on_probe")
    checked_at = datetime.now(timezone.utc).replace(microsecond=0)
    sender = Sender(client, timeout_s=timeout_s, budget=Budget(max_cost_usd))
    current = [m for m in chosen if not is_retired(get_model(m, warn=False))]
    results = _run_tasks(_tasks(sender, chosen, current), on_probe)
    main = current[0] if current else None
    if include_size:  # before the rate-limit flood, which leaves the limit exhausted
        results.append(_report(on_probe, _size(sender, main, timeout_s)))
    if include_rate_limit:
        results.append(_report(on_probe, _rate(sender, main)))
    elif sender.retry_after_seen:
        results.append(_report(on_probe, _seen_retry_after(sender.retry_after_seen[0])))
    budget = sender.budget
    return DoctorReport(
        checked_at=checked_at,
        base_url=str(client.base_url),
        models=tuple(chosen),
        results=tuple(results),
        max_cost_usd=max_cost_usd,
        cost_usd=budget.spent_usd,
        unpriced_answers=budget.unpriced_answers,
        unpriced_cost_bound_usd=budget.unpriced_worst_usd,
        requests=budget.requests,
    )


_Task = tuple[ProbeName, str, str, Callable[[], ProbeResult]]
"""A probe not yet sent: its name, model and variant (to report it skipped), and the call."""


def _tasks(sender: Sender, chosen: list[str], current: list[str]) -> list[_Task]:
    clips = tone_clips()
    wav = clips["wav"]
    if not isinstance(wav, bytes):  # pragma: no cover - libsndfile always writes WAV
        raise MissingExtraError(f"the doctor needs a WAV clip: {wav}", extra="soundfile")
    tasks: list[_Task] = []
    for model in current:
        tasks += [
            ("audio", model, fmt, partial(audio_probe, sender, model, fmt, clips[fmt]))
            for fmt in AUDIO_FORMATS
        ]
        tasks += [
            ("reasoning_effort", model, effort, partial(effort_probe, sender, model, effort))
            for effort in (*REASONING_EFFORTS, *REFUSED_REASONING_EFFORTS)
        ]
    if current:
        main = current[0]
        tasks.append(("format_key", main, "wav", partial(format_key_probe, sender, main, wav)))
        tasks.append(("raw_base64", main, "wav", partial(raw_base64_probe, sender, main, wav)))
        tasks.append(("max_tokens", main, "5", partial(max_tokens_probe, sender, main)))
    tasks += [("retired", m, "", partial(retired_probe, sender, m, wav)) for m in chosen if m not in current]
    return tasks


def _report(on_probe: Callable[[ProbeResult], None] | None, result: ProbeResult) -> ProbeResult:
    if on_probe is not None:
        on_probe(result)
    return result


def _run_tasks(tasks: list[_Task], on_probe: Callable[[ProbeResult], None] | None) -> list[ProbeResult]:
    """Run the probes a few at a time, in order; after a connection failure the rest are skipped."""
    unreachable = threading.Event()

    def run(task: _Task) -> ProbeResult:
        probe, model, variant, call = task
        if unreachable.is_set():
            return skipped(probe, model, variant, "not sent: the server could not be reached")
        result = call()
        if result.outcome == "error" and result.detail.startswith("could not connect"):
            unreachable.set()
        return result

    with ThreadPoolExecutor(_CONCURRENCY, thread_name_prefix="mimo-doctor") as pool:
        return [_report(on_probe, r) for r in pool.map(run, tasks)]


def _rate(sender: Sender, model: str | None) -> ProbeResult:
    if model is None:
        return skipped("retry_after", "", "", "no current model was probed")
    return retry_after_probe(sender, model, requests=DEFAULT_LIMITS.requests_per_minute + 20)


def _seen_retry_after(seen: tuple[str, int | None, str]) -> ProbeResult:
    """A ``Retry-After`` the ordinary probes met (no flood was sent to provoke one)."""
    model, status, header = seen
    where = f"on a {status}" if status is not None else "on an error"
    return ProbeResult("retry_after", model, "", "sent", status, detail=f"{header}, {where} seen in this run")


def _size(sender: Sender, model: str | None, timeout_s: float) -> ProbeResult:
    if model is None:
        return skipped("base64_limit", "", "", "no current model was probed")
    return size_probe(sender, model, timeout_s=max(timeout_s, _SIZE_TIMEOUT_S))
