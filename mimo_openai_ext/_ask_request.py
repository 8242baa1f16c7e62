"""Building the one request ``ask`` sends: checked options, audio parts, the question.

``AskOptions`` holds the options of one ask (model, thinking, reasoning_effort,
max_completion_tokens, system, retry, limits, convert, check_audio, and any other
``create`` option), checked once when built (the model through ``_models.check_model``: a
retired one is refused, one retiring soon warns; ``reasoning_effort`` against what the model
takes; OpenAI's ``max_tokens=`` becomes ``max_completion_tokens``, with a one-time note);
every ``ask*`` function, each piece of ``ask_across_chunks`` and each item of ``ask_batch``
carries one.

``build_ask_request(audio, question, options)`` validates before any request (the question,
a model that takes no audio refused), builds one
user message (audio parts, then the question as a text part; an optional system message
first), estimates it (``ContextOverflowError``) and returns the ``create`` keyword
arguments with the ``RequestEstimate``. ``thinking(enabled)`` is MiMo's ``extra_body``
switch; ``AudioInput`` is what the ``ask*`` functions take as audio. The calls are in
``_ask``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

from ._audio.probe import AudioInfo
from ._audio.source import AudioSource
from ._checks import (
    check_bool,
    check_completion_tokens,
    check_limits,
    check_question,
    check_str,
    check_type,
)
from ._checks import document_alias as _document_alias
from ._config import DEFAULT_MODEL, Limits, ModelSpec, ReasoningEffort
from ._exceptions import (
    InvalidAudioSourceError,
    InvalidOptionError,
    OptionAliasWarning,
    UnsupportedFeatureError,
)
from ._messages import user_message
from ._migrate import mimo_shaped, refuse_spoken_reply, rename_max_tokens
from ._models import check_model, check_reasoning_effort, current_models, get_model, model_warned
from ._parts import audio_part_and_info, text_part
from ._request_estimate import RequestEstimate, estimate_request
from ._retry import RetryPolicy
from ._types import InputAudioPart
from ._warn import warn

__all__ = ["AskOptions", "AudioInput", "audio_parts", "build_ask_request", "check_audio_model", "thinking"]

AudioInput = Union["AudioSource", "InputAudioPart", Sequence[Union["AudioSource", "InputAudioPart"]]]
"""One audio (a path, bytes, a file object, an https URL or a ready part) or a list of them."""
_document_alias(
    AudioInput,
    "AudioInput: what ask()/ask_async()/ask_stream() take as audio: one AudioSource (a path, "
    "bytes, a binary file object, an http(s) URL or a data URI), a ready input_audio_part(...), "
    "or a list of them (sent in order, before the question).",
)


def thinking(enabled: bool) -> dict[str, Any]:
    """``extra_body`` for MiMo's thinking switch: ``create(..., extra_body=thinking(False))``.

    ``enabled`` must be a real ``bool`` (``"off"`` would be truthy): anything else raises
    :class:`InvalidOptionError`.
    """
    on = check_bool(enabled, option="thinking")
    return {"thinking": {"type": "enabled" if on else "disabled"}}


@dataclass(frozen=True, kw_only=True)
class AskOptions:
    """The options of one ask, checked when built. The defaults are the ``ask*`` functions' defaults."""

    model: str = DEFAULT_MODEL
    thinking: bool = True
    """False sends ``extra_body={"thinking": {"type": "disabled"}}``."""
    reasoning_effort: ReasoningEffort | None = None
    """``"none"``, ``"low"``, ``"medium"`` or ``"high"`` on models that take it
    (``ModelSpec.reasoning_efforts``); sent in ``extra_body``. None sends nothing."""
    max_completion_tokens: int | None = None
    system: str | None = None
    """An optional system prompt, sent before the user message."""
    retry: RetryPolicy | None = None
    limits: Limits | None = None
    convert: bool = False
    """Re-encode formats MiMo refuses (AAC, WebM, ...) before sending."""
    check_audio: bool = True
    """Warn ``AudioNotHeardWarning`` when the response's ``audio_tokens`` says the audio was ignored."""
    create_options: Mapping[str, Any] = field(default_factory=dict)
    """Every other keyword goes to ``chat.completions.create`` (``temperature=...``)."""

    def __post_init__(self) -> None:
        check_str(self.model, option="model")
        check_bool(self.thinking, option="thinking")
        check_type(self.create_options, Mapping, option="create_options", expected="a dict")
        refuse_spoken_reply(self.create_options)
        _check_create_options(self.create_options)
        spec = check_model(self.model)
        if "max_tokens" in self.create_options:
            _alias_max_tokens(self, spec)
        check_reasoning_effort(self.reasoning_effort, spec, thinking=self.thinking)
        if self.max_completion_tokens is not None:
            check_completion_tokens(self.max_completion_tokens, spec)
        check_str(self.system, option="system", none=True, empty=True)
        check_type(self.retry, RetryPolicy, option="retry", expected="a RetryPolicy", none=True)
        check_limits(self.limits)
        check_bool(self.convert, option="convert")
        check_bool(self.check_audio, option="check_audio")

    @classmethod
    def from_call(cls, arguments: Mapping[str, Any], *, positional: tuple[str, ...] = ()) -> AskOptions:
        """From a call's arguments: the options by name, anything else (but ``positional``) to ``create``.

        ``arguments`` is either ``locals()`` of a function with the options in its signature
        (its ``**create_options`` dict is merged in) or the ``**kwargs`` a twin received.
        """
        names = _OPTION_NAMES
        values = {k: v for k, v in arguments.items() if k in names}
        extra = dict(arguments.get("create_options") or {})
        extra.update(
            (k, v)
            for k, v in arguments.items()
            if k not in names and k not in positional and k != "create_options"
        )
        return cls(**values, create_options=extra)

    def replace(self, **changes: Any) -> AskOptions:
        """A copy with some options changed (checked again; the model's warnings were said)."""
        with model_warned(self.model):
            return dataclasses.replace(self, **changes)


_OPTION_NAMES = frozenset(f.name for f in dataclasses.fields(AskOptions)) - {"create_options"}


def _check_create_options(options: Mapping[str, Any]) -> None:
    """Refuse, before anything is read or sent, ``create`` options whose answer would be lost or
    that the SDK cannot send: ``stream=True`` (one answer is read whole: ``ask_stream()`` streams),
    ``n`` other than 1 (one answer is read) and a NaN or infinite number (not JSON)."""
    if options.get("stream", False) is not False:  # stream=False (the default) changes nothing
        raise InvalidOptionError(
            f"stream={options['stream']!r}: not a create option here: ask() and its kin read one "
            "whole answer; use ask_stream() (or ask_stream_async()) for the answer as it arrives",
            option="stream",
        )
    n = options.get("n")
    if n is not None and (isinstance(n, bool) or n != 1):
        raise InvalidOptionError(
            f"n={n!r}: one answer is read per question, so only n=1 is allowed; ask again (or use "
            "compare_answers()) for several answers",
            option="n",
        )
    for name, value in options.items():
        bad = _non_finite(value)
        if bad is not None:
            raise InvalidOptionError(
                f"{name}={value!r}: {bad!r} is not a finite number and cannot be sent as JSON; "
                "pass a finite number",
                option=str(name),
            )


def _non_finite(value: object, depth: int = 0) -> float | None:
    """The first NaN or infinity in ``value`` (looking into dicts and lists), or None."""
    if isinstance(value, float):
        return None if math.isfinite(value) else value
    if depth > 20:
        return None
    if isinstance(value, Mapping):
        items: Any = value.values()
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        return None
    for item in items:
        found = _non_finite(item, depth + 1)
        if found is not None:
            return found
    return None


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _audio_items(audio: Any) -> list[Any]:
    items = list(audio) if isinstance(audio, (list, tuple)) else [audio]
    if items and all(_is_number(item) for item in items):
        raise InvalidAudioSourceError(
            f"<samples>: a list of {len(items):,} numbers looks like audio samples, not a list of audio "
            "sources; pass input_audio_part(numpy.asarray(samples, dtype='float32'), sample_rate=16000) "
            "(with the samples' real rate) as the audio",
            source_name="<samples>",
        )
    if not items:
        raise InvalidAudioSourceError(
            "no audio given (an empty list): pass a path, bytes, a file object, an https URL or "
            "input_audio_part(...) as the audio, or a list of them",
            source_name="<empty list>",
        )
    return items


def _audio_part(
    item: Any, *, convert: bool, limits: Limits | None
) -> tuple[InputAudioPart, AudioInfo | None]:
    if isinstance(item, Mapping) and item.get("type") == "input_audio":
        return mimo_shaped(item, limits=limits), None

    return audio_part_and_info(item, convert=convert, limits=limits)


def build_ask_request(
    audio: AudioInput, question: str, options: AskOptions | None = None
) -> tuple[dict[str, Any], RequestEstimate]:
    """The ``create`` keyword arguments and the estimate (raises ``ContextOverflowError``).

    ``options.convert`` converts formats MiMo refuses (AAC, WebM, ...) first.
    """
    options = options or AskOptions()
    check_question(question)
    check_audio_model(options.model)
    built = audio_parts(audio, options)
    probed = [(part["input_audio"]["data"], info) for part, info in built if info is not None]
    messages: list[Any] = []
    if options.system:
        messages.append({"role": "system", "content": options.system})
    messages.append(user_message(*(part for part, _ in built), text_part(question)))
    with model_warned(options.model):  # checked (and warned) when the options were built
        estimate = estimate_request(
            messages,
            model=options.model,
            max_completion_tokens=options.max_completion_tokens,
            limits=options.limits,
            probed=probed,
        )
    return create_kwargs(options, messages), estimate


def audio_parts(audio: AudioInput, options: AskOptions) -> list[tuple[InputAudioPart, AudioInfo | None]]:
    """Each audio as its MiMo part (read, sniffed, probed, encoded once), with its probe (None
    for a ready part or a URL)."""
    convert, limits = options.convert, options.limits
    return [_audio_part(item, convert=convert, limits=limits) for item in _audio_items(audio)]


def create_kwargs(options: AskOptions, messages: list[Any]) -> dict[str, Any]:
    """``create(...)``'s keyword arguments for ``messages`` under ``options``."""
    kwargs: dict[str, Any] = {**options.create_options, "model": options.model, "messages": messages}
    if options.max_completion_tokens is not None:
        kwargs["max_completion_tokens"] = options.max_completion_tokens
    extra: dict[str, Any] = {}
    if not options.thinking:
        extra.update(thinking(False))
    if options.reasoning_effort is not None:
        extra["reasoning_effort"] = options.reasoning_effort  # every SDK version: not a typed field
    if extra:
        kwargs["extra_body"] = {**(kwargs.get("extra_body") or {}), **extra}
    return kwargs


_ALIASES_NOTED: set[str] = set()
"""OpenAI option names already noted as translated in this process (one note each)."""


def _alias_max_tokens(options: AskOptions, spec: ModelSpec) -> None:
    """OpenAI's ``max_tokens`` becomes ``max_completion_tokens`` (noted once a process).

    MiMo documents only ``max_completion_tokens``; what it does with ``max_tokens`` is not
    documented (``mimo-audio doctor`` checks it), so it is never sent.
    """
    rest = dict(options.create_options)
    value = rest.pop("max_tokens")
    wire = {"max_tokens": value, "max_completion_tokens": options.max_completion_tokens}
    rename_max_tokens(wire)  # the rule the HTTP adapter applies too: a disagreement is refused
    object.__setattr__(options, "create_options", rest)
    if value is None:
        return
    check_completion_tokens(value, spec, option="max_tokens")  # named as the caller named it
    object.__setattr__(options, "max_completion_tokens", wire["max_completion_tokens"])
    if "max_tokens" not in _ALIASES_NOTED:
        _ALIASES_NOTED.add("max_tokens")
        warn(
            f"max_tokens={value!r} is sent as max_completion_tokens={value!r}: MiMo documents only "
            "max_completion_tokens (said once; pass max_completion_tokens to silence this)",
            OptionAliasWarning,
        )


def check_audio_model(model: str) -> None:
    """A model that takes audio and a question (unknown ids pass: ``AskOptions`` warned)."""
    spec = get_model(model, warn=False)
    if spec.status == "unknown":
        return  # unknown ids pass through (AskOptions warned)
    audio_models = ", ".join(m.id for m in current_models(audio=True))
    if spec.asr:
        raise UnsupportedFeatureError(
            f"{model} is the transcription model: it takes one audio and no question; use "
            f"transcribe() / `mimo-audio transcribe`, or ask one of: {audio_models}"
        )
    if spec.speech is not None:
        raise UnsupportedFeatureError(
            f"{model} is a speech model: it speaks text, it does not answer about audio; use "
            f"speak() / `mimo-audio speak` with it, or ask one of: {audio_models}"
        )
    if not spec.audio_input:
        raise UnsupportedFeatureError(
            f"{model} does not take audio input (MODELS[{model!r}].audio_input is False; MiMo answers "
            f"404): ask one of {audio_models}, or correct MODELS if that has changed"
        )
