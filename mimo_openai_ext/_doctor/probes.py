"""The doctor's probes: each sends one tiny request (the rate-limit probe, a burst) and says
what it found in a word (``ProbeResult.outcome``).

=================  =========================================  =====================================
probe              what is sent                               outcomes
=================  =========================================  =====================================
audio              the 1 s tone in one format, as a data URI  heard / not heard / refused
format_key         the WAV data URI with ``"format": "wav"``  ignored (heard) / not heard / refused
raw_base64         raw base64 + ``"format": "wav"``           heard / ignored / refused
max_tokens         a counting prompt with ``max_tokens=5``    honoured / ignored
reasoning_effort   a one-word question with the value         accepted / refused
retired            the WAV to a model the table says retired  retired / served
retry_after        one-token requests until a 429             sent / not sent / no 429
base64_limit       a 51,200,000-character base64 WAV          accepted (50 MiB) / refused (50,000,000)
=================  =========================================  =====================================

Any probe may also end ``error`` (a 5xx, a timeout, no connection, an unreadable answer) or
``skipped`` (the spending cap, a clip this machine cannot make, the run stopped).
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any, Literal

from .._models import model_error_note
from .clips import size_clip, tone_uri
from .send import Reply, Sender

__all__ = [
    "BASE64_LIMIT_PROBE_CHARS",
    "PROBE_NAMES",
    "ProbeName",
    "ProbeResult",
    "audio_probe",
    "effort_probe",
    "format_key_probe",
    "max_tokens_probe",
    "raw_base64_probe",
    "retired_probe",
    "retry_after_probe",
    "size_probe",
    "skipped",
]

ProbeName = Literal[
    "audio",
    "format_key",
    "raw_base64",
    "max_tokens",
    "reasoning_effort",
    "retired",
    "retry_after",
    "base64_limit",
]
PROBE_NAMES: tuple[ProbeName, ...] = (
    "audio", "format_key", "raw_base64", "max_tokens", "reasoning_effort", "retired", "retry_after",
    "base64_limit",
)  # fmt: skip
BASE64_LIMIT_PROBE_CHARS = 51_200_000
"""Between MiMo's two candidate limits: 50,000,000 characters and 50 MiB (52,428,800)."""
_QUESTION = "Reply with one word: is there a sound?"
_INPUT_TOKENS = 60
"""Generous: a 1 s clip is 7 audio tokens, the question and the chat template about 30."""
_ANSWER_TOKENS = 16
_THINKING_OFF = {"thinking": {"type": "disabled"}}


@dataclass(frozen=True)
class ProbeResult:
    """What one probe found."""

    probe: ProbeName
    model: str
    variant: str
    """The format, the ``reasoning_effort`` value, ... (``""`` when the probe has none)."""
    outcome: str
    """One word or two: ``heard``, ``refused``, ``honoured``, ... (see the module docstring)."""
    status: int | None
    """The HTTP status of the (last) answer; None when none came."""
    audio_tokens: int | None = None
    completion_tokens: int | None = None
    cost_usd: float | None = None
    elapsed_s: float = 0.0
    detail: str = ""
    """MiMo's error detail, or a note (the key is masked)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def skipped(probe: ProbeName, model: str, variant: str, why: str) -> ProbeResult:
    return ProbeResult(probe, model, variant, "skipped", None, detail=why)


def _result(
    probe: ProbeName, model: str, variant: str, reply: Reply, outcome: str, detail: str = ""
) -> ProbeResult:
    usage = reply.usage
    return ProbeResult(
        probe,
        model,
        variant,
        outcome,
        reply.status,
        audio_tokens=usage.audio_tokens if usage is not None and usage.audio_tokens_reported else None,
        completion_tokens=usage.completion_tokens if usage is not None else None,
        cost_usd=usage.cost_usd if usage is not None else None,
        elapsed_s=round(reply.elapsed_s, 3),
        detail=detail or reply.detail,
    )


def _failed(reply: Reply) -> str | None:
    """``error`` / ``skipped`` for a request that got no usable answer (None: it did)."""
    if reply.no_answer == "cap":
        return "skipped"
    if reply.ok or reply.refused:
        return None
    return "error"


def _user(*parts: dict[str, Any], text: str = _QUESTION) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [*parts, {"type": "text", "text": text}]}]


def _heard(reply: Reply) -> str:
    usage = reply.usage
    if usage is None or not usage.audio_tokens_reported:
        return "no audio_tokens"
    return "heard" if usage.audio_tokens > 0 else "not heard"


def audio_probe(sender: Sender, model: str, fmt: str, clip: bytes | str) -> ProbeResult:
    """The tone in ``fmt`` as a data URI: ``heard`` (``audio_tokens > 0``), ``not heard``, ``refused``."""
    if isinstance(clip, str):
        return skipped("audio", model, fmt, clip)
    part = {"type": "input_audio", "input_audio": {"data": tone_uri(fmt, clip)}}  # type: ignore[arg-type]
    reply = sender.send(
        model=model, messages=_user(part), input_tokens=_INPUT_TOKENS, max_completion_tokens=_ANSWER_TOKENS,
        extra_body=_THINKING_OFF,
    )  # fmt: skip
    return _result(
        "audio", model, fmt, reply, _failed(reply) or ("refused" if reply.refused else _heard(reply))
    )


def format_key_probe(sender: Sender, model: str, wav: bytes) -> ProbeResult:
    """OpenAI's ``format`` key beside a data URI: ``ignored`` (still heard), ``not heard``, ``refused``."""
    part = {"type": "input_audio", "input_audio": {"data": tone_uri("wav", wav), "format": "wav"}}
    reply = sender.send(
        model=model, messages=_user(part), input_tokens=_INPUT_TOKENS, max_completion_tokens=_ANSWER_TOKENS,
        extra_body=_THINKING_OFF,
    )  # fmt: skip
    heard = _heard(reply)
    outcome = _failed(reply) or ("refused" if reply.refused else "ignored" if heard == "heard" else heard)
    return _result("format_key", model, "wav", reply, outcome, "still heard" if outcome == "ignored" else "")


def raw_base64_probe(sender: Sender, model: str, wav: bytes) -> ProbeResult:
    """OpenAI's raw base64 (no ``data:``) + ``format``: ``heard``, ``ignored`` (0 tokens), ``refused``."""
    raw = base64.b64encode(wav).decode("ascii")
    part = {"type": "input_audio", "input_audio": {"data": raw, "format": "wav"}}
    reply = sender.send(
        model=model, messages=_user(part), input_tokens=_INPUT_TOKENS, max_completion_tokens=_ANSWER_TOKENS,
        extra_body=_THINKING_OFF,
    )  # fmt: skip
    heard = _heard(reply)
    outcome = _failed(reply) or ("refused" if reply.refused else "ignored" if heard == "not heard" else heard)
    note = "audio_tokens 0: the audio was silently dropped" if outcome == "ignored" else ""
    return _result("raw_base64", model, "wav", reply, outcome, note)


def max_tokens_probe(sender: Sender, model: str) -> ProbeResult:
    """``max_tokens=5`` on a prompt that needs more: ``honoured`` (at most 5 tokens) or ``ignored``."""
    messages = [{"role": "user", "content": "Count from 1 to 40 in words, separated by commas."}]
    reply = sender.send(
        model=model, messages=messages, input_tokens=_INPUT_TOKENS, max_completion_tokens=5, max_tokens=5,
        extra_body=_THINKING_OFF,
    )  # fmt: skip
    outcome = _failed(reply) or ("refused" if reply.refused else "")
    if not outcome and reply.usage is not None:
        outcome = "honoured" if reply.usage.completion_tokens <= 5 else "ignored"
        return _result(
            "max_tokens", model, "5", reply, outcome, f"{reply.usage.completion_tokens} completion tokens"
        )
    return _result("max_tokens", model, "5", reply, outcome)


def effort_probe(sender: Sender, model: str, effort: str) -> ProbeResult:
    """One ``reasoning_effort`` value: ``accepted`` (200) or ``refused`` (4xx)."""
    reply = sender.send(
        model=model, messages=[{"role": "user", "content": _QUESTION}], input_tokens=_INPUT_TOKENS,
        max_completion_tokens=_ANSWER_TOKENS, extra_body={"reasoning_effort": effort},
    )  # fmt: skip
    outcome = _failed(reply) or ("refused" if reply.refused else "accepted")
    return _result("reasoning_effort", model, effort, reply, outcome)


def retired_probe(sender: Sender, model: str, wav: bytes) -> ProbeResult:
    """A model the table says retired: ``retired`` (MiMo refuses it) or ``served`` (it still answers)."""
    part = {"type": "input_audio", "input_audio": {"data": tone_uri("wav", wav)}}
    reply = sender.send(
        model=model, messages=_user(part), input_tokens=_INPUT_TOKENS, max_completion_tokens=_ANSWER_TOKENS,
        extra_body=_THINKING_OFF,
    )  # fmt: skip
    outcome = _failed(reply) or ("retired" if reply.refused else "served")
    if outcome == "retired" and model_error_note(model, reply.status, reply.detail) is None:
        outcome = "refused"  # a 4xx that does not speak of the model
    return _result("retired", model, "", reply, outcome)


def retry_after_probe(sender: Sender, model: str, *, requests: int) -> ProbeResult:
    """Up to ``requests`` one-token requests, 16 at a time, until a 429: is ``Retry-After`` sent?"""
    stop = threading.Event()
    found: list[Reply] = []
    lock = threading.Lock()

    def one(_: int) -> None:
        if stop.is_set():
            return
        reply = sender.send(
            model=model, messages=[{"role": "user", "content": "1"}], input_tokens=12,
            max_completion_tokens=1, extra_body=_THINKING_OFF,
        )  # fmt: skip
        if reply.status == 429 or reply.no_answer is not None:
            with lock:
                found.append(reply)
            stop.set()

    with ThreadPoolExecutor(16, thread_name_prefix="mimo-doctor-rate") as pool:
        list(pool.map(one, range(requests)))
    limited = [r for r in found if r.status == 429]
    if not limited:
        why = found[0].detail if found else f"no 429 after {requests} requests"
        return ProbeResult("retry_after", model, "", "error" if found else "no 429", None, detail=why)
    headers = {k.lower(): v for k, v in limited[0].headers.items()}
    value = headers.get("retry-after") or headers.get("retry-after-ms")
    detail = f"Retry-After: {value}" if value else "a 429 without Retry-After"
    return _result("retry_after", model, "", limited[0], "sent" if value else "not sent", detail)


def size_probe(sender: Sender, model: str, *, timeout_s: float) -> ProbeResult:
    """A WAV whose base64 has ``BASE64_LIMIT_PROBE_CHARS`` characters: which limit holds."""
    data = size_clip(BASE64_LIMIT_PROBE_CHARS)
    part = {"type": "input_audio", "input_audio": {"data": tone_uri("wav", data)}}
    seconds = (len(data) - 44) / 16_000
    reply = sender.send(
        model=model, messages=_user(part), input_tokens=int(seconds * 6.25) + _INPUT_TOKENS,
        max_completion_tokens=_ANSWER_TOKENS, extra_body=_THINKING_OFF, timeout_s=timeout_s,
    )  # fmt: skip
    outcome = _failed(reply) or ("refused" if reply.refused else "accepted")
    return _result("base64_limit", model, f"{BASE64_LIMIT_PROBE_CHARS:,} chars", reply, outcome)


ProbeTask = Callable[[], ProbeResult]
