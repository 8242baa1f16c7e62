"""Looking models up in the table (``_config.MODELS``): the one gate every call goes through.

* ``get_model(id)``: the ``ModelSpec``; an id the table does not know passes through as
  an audio model with an ``UnknownModelWarning`` (MiMo moves faster than any table).
* ``check_model(id)``: ``get_model`` plus retirements. A model the table says retired
  raises :class:`RetiredModelError` before any request (date, successor, and how to send it
  anyway: ``allow_retired(id)``, since the table can be wrong); from
  ``RETIREMENT_WARNING_DAYS`` before a known retirement each call warns
  ``ModelRetiringWarning``. Nothing is ever sent to another model for you.
* ``check_reasoning_effort(value, spec, thinking=...)``: a value the model takes, else
  :class:`InvalidOptionError` with the allowed list.
* ``model_error_note(id, status, detail)``: what to add to MiMo's own "model not found /
  retired" answer (a 404, or a 400 whose detail speaks of the model).
* ``models_markdown()``: the table as the README's "Models and retirements" shows it.

Warnings are said once per public call (``model_warned``) and attributed to the user's
line. ``MIMO_CAPABILITIES`` (a ``mimo-audio doctor`` file) is applied at the first lookup.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone
from types import TracebackType

from ._capabilities import apply_env_capabilities
from ._checks import check_bool, check_str, check_type
from ._config import (
    DEFAULT_MODEL,
    MODELS,
    REASONING_EFFORTS,
    REFUSED_REASONING_EFFORTS,
    RETIREMENT_WARNING_DAYS,
    ModelSpec,
    Price,
    ReasoningEffort,
)
from ._exceptions import InvalidOptionError, ModelRetiringWarning, RetiredModelError, UnknownModelWarning
from ._warn import warn as _warn

__all__ = [
    "allow_retired",
    "check_model",
    "check_reasoning_effort",
    "current_models",
    "get_model",
    "is_retired",
    "model_error_note",
    "model_warned",
    "models_markdown",
    "retirement_note",
    "successor_of",
    "warn_unknown_model",
]

_WARNED_MODELS: ContextVar[frozenset[str]] = ContextVar("mimo_openai_ext_warned_models", default=frozenset())
_ALLOWED_RETIRED: dict[str, int] = {}
_MODEL_ERROR_WORDS = (
    "not found", "not exist", "does not exist", "doesn't exist", "no such model", "unknown model",
    "invalid model", "retired", "offline", "deprecat", "discontinu", "no longer", "migrate",
    "decommission", "not available", "unavailable", "not supported", "unsupported model",
)  # fmt: skip


def _now() -> datetime:
    return datetime.now(timezone.utc)


@contextmanager
def model_warned(model_id: str) -> Iterator[None]:
    """Within this block ``model_id`` warns nothing more (already said in this call)."""
    token = _WARNED_MODELS.set(_WARNED_MODELS.get() | {model_id})
    try:
        yield
    finally:
        _WARNED_MODELS.reset(token)


def warn_unknown_model(model_id: str) -> None:
    """``UnknownModelWarning`` for ``model_id``, attributed to the user's line.

    Silent inside ``model_warned(model_id)``, so one public call warns once.
    """
    if model_id in _WARNED_MODELS.get():
        return
    known = ", ".join(m.id for m in current_models())
    _warn(
        f"unknown MiMo model {model_id!r}: passing it through, assuming audio input, a "
        f"1,048,576-token context and no price (current models: {known}); add it to "
        "mimo_openai_ext.MODELS to silence this, or check it with `mimo-audio doctor --model "
        f"{model_id}`",
        UnknownModelWarning,
    )


def get_model(model_id: str, *, warn: bool = True) -> ModelSpec:
    """Look up a model; an unknown id passes through as an audio model with a warning.

    Retirements are not checked here (:func:`check_model` does); ``MIMO_CAPABILITIES`` is
    applied first when set.
    """
    check_str(model_id, option="model")
    check_bool(warn, option="warn")
    apply_env_capabilities()
    spec = MODELS.get(model_id)
    if spec is not None:
        return spec
    if warn:
        warn_unknown_model(model_id)
    return ModelSpec(model_id, True, 1_048_576, status="unknown")


def is_retired(spec: ModelSpec, *, now: datetime | None = None) -> bool:
    """Whether the table says MiMo no longer serves ``spec`` (at ``now``, default: the clock)."""
    return spec.retirement is not None and (now or _now()) >= spec.retirement.at


def current_models(*, audio: bool | None = None) -> list[ModelSpec]:
    """The models the table says MiMo serves now, in table order (``audio=True``: chat models
    that take audio; ``False``: those that do not; ASR and speech models only when ``audio``
    is None)."""
    check_type(audio, bool, option="audio", expected="True, False", none=True)
    apply_env_capabilities()
    now = _now()
    found = [m for m in MODELS.values() if not is_retired(m, now=now)]
    if audio is None:
        return found
    return [m for m in found if not m.asr and m.speech is None and m.audio_input == audio]


def successor_of(spec: ModelSpec) -> ModelSpec | None:
    """The current model that replaces ``spec``, following successors that retired in turn.

    A successor the table does not hold is returned as an unknown model (its id is all we
    know); a loop of successors gives None.
    """
    seen = {spec.id}
    current = spec
    while current.retirement is not None and current.retirement.successor:
        name = current.retirement.successor
        nxt = MODELS.get(name, ModelSpec(name, True, 1_048_576, status="unknown"))
        if nxt.id in seen:
            return None
        if not is_retired(nxt):
            return nxt
        seen.add(nxt.id)
        current = nxt
    return None


def _price_words(old: Price | None, new: Price | None) -> str:
    if new is None:
        return "price unknown"
    if old is not None and (old.input_usd_per_mtok, old.output_usd_per_mtok) == (
        new.input_usd_per_mtok,
        new.output_usd_per_mtok,
    ):
        return "same price"
    return f"${new.input_usd_per_mtok:g} in / ${new.output_usd_per_mtok:g} out per 1M tokens"


def retirement_note(spec: ModelSpec, *, now: datetime | None = None) -> str:
    """``"mimo-v2.5 retired on 2026-10-21 (source); use mimo-v2.6-flash, same price"``, or
    ``"... retires on 2026-12-11, in 10 days (source); use ..."`` before the date."""
    check_type(spec, ModelSpec, option="spec", expected="a ModelSpec (MODELS[id] or get_model(id))")
    if spec.retirement is None:
        return f"{spec.id} has no known retirement"
    now = now or _now()
    if is_retired(spec, now=now):
        when = "retired on " + spec.retirement.on
    else:
        left = max(int((spec.retirement.at - now).total_seconds() // 86_400), 0)
        when = f"retires on {spec.retirement.on}, in {left} day{'s' * (left != 1)}"
    note = f"{spec.id} {when} ({spec.retirement.source})"
    successor = successor_of(spec)
    if successor is not None:
        note += f"; use {successor.id}, {_price_words(spec.price, successor.price)}"
        if spec.audio_input and not successor.audio_input:
            note += " (it takes no audio)"
    return note


class _Allowance:
    """What ``allow_retired`` returns: already in force; ``with`` ends it on exit."""

    def __init__(self, model_ids: tuple[str, ...]) -> None:
        self._ids = model_ids
        self._ended = False

    def __enter__(self) -> _Allowance:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.end()

    def end(self) -> None:
        """Stop allowing these ids (idempotent)."""
        if self._ended:
            return
        self._ended = True
        for model_id in self._ids:
            left = _ALLOWED_RETIRED.get(model_id, 0) - 1
            if left > 0:
                _ALLOWED_RETIRED[model_id] = left
            else:
                _ALLOWED_RETIRED.pop(model_id, None)


def allow_retired(*model_ids: str) -> _Allowance:
    """Send these model ids even though ``MODELS`` says MiMo retired them (the table may be wrong).

    In force from the call, for the rest of the process; use it as ``with
    allow_retired("mimo-v2.5"): ...`` to limit it to a block. The request still names that
    very model: if MiMo has retired it, MiMo's own error comes back (explained).
    """
    for model_id in model_ids:
        check_str(model_id, option="model_ids")
    for model_id in model_ids:
        _ALLOWED_RETIRED[model_id] = _ALLOWED_RETIRED.get(model_id, 0) + 1
    return _Allowance(tuple(model_ids))


def _retired_error(spec: ModelSpec, retired_on: str) -> RetiredModelError:
    return RetiredModelError(
        f"{retirement_note(spec)}. Nothing was sent (MiMo redirects nothing, and neither do we). "
        f"If MiMo still serves {spec.id} (our table can be wrong), send it anyway with "
        f"mimo_openai_ext.config.allow_retired({spec.id!r}) (command line: --allow-retired), or "
        f"correct MODELS[{spec.id!r}].retirement",
        model=spec.id,
        retired_on=retired_on,
        successor=successor.id if (successor := successor_of(spec)) is not None else None,
    )


def check_model(model_id: str, *, warn: bool = True) -> ModelSpec:
    """``get_model`` plus retirements: a retired model raises ``RetiredModelError`` (unless
    ``allow_retired``); one retiring within ``RETIREMENT_WARNING_DAYS`` warns
    ``ModelRetiringWarning``. Warnings are said once per call (``model_warned``)."""
    spec = get_model(model_id, warn=warn)
    if spec.retirement is None or model_id in _ALLOWED_RETIRED:
        return spec
    now = _now()
    if is_retired(spec, now=now):
        raise _retired_error(spec, spec.retirement.on)
    days = (spec.retirement.at - now).total_seconds() / 86_400
    if warn and days <= RETIREMENT_WARNING_DAYS and model_id not in _WARNED_MODELS.get():
        _warn(f"{retirement_note(spec, now=now)}: move before then", ModelRetiringWarning)
    return spec


def check_reasoning_effort(
    value: object, spec: ModelSpec, *, thinking: bool = True
) -> ReasoningEffort | None:
    """``value`` if ``spec`` takes it (None passes), else :class:`InvalidOptionError` with the list.

    Unknown models (not in the table) take any of MiMo's four values. ``thinking=False``
    with anything but ``"none"`` contradicts itself and is refused.
    """
    if value is None:
        return None
    allowed = REASONING_EFFORTS if spec.status == "unknown" else spec.reasoning_efforts
    if value not in REASONING_EFFORTS:
        why = " (MiMo answers 400 to it)" if value in REFUSED_REASONING_EFFORTS else ""
        raise InvalidOptionError(
            f"reasoning_effort={value!r}{why}: MiMo takes {', '.join(map(repr, REASONING_EFFORTS))}; "
            f"{spec.id} accepts {', '.join(map(repr, allowed)) or 'none of them'}",
            option="reasoning_effort",
        )
    if value not in allowed:
        others = ", ".join(m.id for m in current_models(audio=True) if value in m.reasoning_efforts)
        raise InvalidOptionError(
            f"reasoning_effort={value!r}: {spec.id} does not take reasoning_effort"
            + (f" {value!r}" if allowed else "")
            + f" (ModelSpec.reasoning_efforts is {allowed!r}); use thinking=True/False instead, or a "
            f"model that takes it ({others or 'none known'})",
            option="reasoning_effort",
        )
    if not thinking and value != "none":
        raise InvalidOptionError(
            f"reasoning_effort={value!r} asks for thinking, but thinking=False turns it off: drop "
            "one of them (reasoning_effort='none' is the same as thinking=False)",
            option="reasoning_effort",
        )
    return value


def model_error_note(model_id: str | None, status: int | None, detail: str | None) -> str | None:
    """What to add to MiMo's error for ``model_id``, when it reads as "model not found / retired".

    A model the table says retired gets its retirement note on a 400 or 404; any model gets
    the current line-up when MiMo's detail speaks of the model being missing or retired.
    """
    if not model_id or status not in (400, 404):
        return None
    spec = MODELS.get(model_id)
    text = (detail or "").lower()
    speaks_of_model = "model" in text and any(word in text for word in _MODEL_ERROR_WORDS)
    if spec is not None and spec.retirement is not None and (is_retired(spec) or speaks_of_model):
        said = "MiMo confirms it" if is_retired(spec) else "MiMo already refuses it"
        return f"{retirement_note(spec)}; {said} (HTTP {status})"
    if not speaks_of_model:  # a bare 404 is as likely a wrong endpoint or a missing modality
        return None
    current = ", ".join(m.id for m in current_models(audio=True))
    listed = "MODELS lists it as current" if spec is not None else "MODELS does not know it"
    return (
        f"MiMo says {model_id} is not available, while {listed}: MiMo may have retired it; "
        f"current audio models per the table: {current} (default {DEFAULT_MODEL}); run "
        "`mimo-audio doctor` to check your account, and record the retirement in MODELS"
    )


_VOICE_WORDS = {
    "preset": "built-in voices",
    "design": "a voice described in words",
    "clone": "a cloned voice",
}


def models_markdown() -> str:
    """The table as markdown: each model, audio (and how sure), limits, price, status, retirement."""
    rows = [
        "| model | audio in | context / max output | price per 1M in / cache hit / out | retirement |",
        "|---|---|---|---|---|",
    ]
    for spec in MODELS.values():
        audio = ("yes" if spec.audio_input else "no") + f" ({spec.audio_evidence})"
        limits = f"{spec.context_tokens:,} / {spec.max_completion_tokens:,}"
        if spec.asr:
            audio = f"transcription only ({'/'.join(spec.asr_formats)})"
        if spec.speech is not None:
            audio = f"speech out ({_VOICE_WORDS[spec.speech.voice_kind]})"
            limits = f"{spec.speech.max_input_chars:,} characters a request"
        price = "unknown"
        if spec.price is not None:
            p = spec.price
            price = f"${p.input_usd_per_mtok:g} / ${p.cache_hit_usd_per_mtok:g} / ${p.output_usd_per_mtok:g}"
            if p.audio_usd_per_hour:
                price += f" + ${p.audio_usd_per_hour:g}/audio hour"
            if p.note:
                price = p.note
            price += f" (as of {p.as_of})"
        retirement = "-"
        if spec.retirement is not None:
            successor = spec.retirement.successor or "none"
            verb = "retired" if is_retired(spec) else "retires"
            retirement = f"{verb} {spec.retirement.on}; successor {successor}"
        name = f"`{spec.id}`" + (" (default)" if spec.id == DEFAULT_MODEL else "")
        rows.append(f"| {name} | {audio} | {limits} | {price} | {retirement} |")
    return "\n".join(rows)
