"""Validating a chat request the way MiMo does: statuses, limits, audio rules, models.

``validate_chat`` turns a JSON body into a ``ChatRequest`` or raises the ``ApiError``
MiMo would answer. ``model_listing`` / ``model_entry`` answer ``GET /v1/models``.

Today's MiMo, from the model table (``MODELS``, or ``EmulatorOptions.models``):

* ``/v1/models`` lists the models the table says are served now; retired ones are gone.
* A retired id gets 400 ``Param Incorrect`` with the date and the successor in ``param``.
  MiMo's exact body for a retired id is not known (third parties saw "an error telling the
  caller to migrate"); this is our guess in MiMo's documented error shape, and it names no
  redirect, since MiMo redirects nothing. ``GET /v1/models/<retired>`` is a 404 saying the same.
* A model without audio input (``mimo-v2.5-pro``) answers audio with 404.
* ``reasoning_effort``: the values in ``ModelSpec.reasoning_efforts``; anything else is a
  400 (MiMo refuses ``minimal``, ``xhigh`` and ``max``; a model that takes none refuses all).
  ``none`` turns thinking off.
* ``max_completion_tokens`` is the documented cap; OpenAI's ``max_tokens`` is not documented
  by MiMo, so it is ignored unless ``honour_max_tokens`` (``mimo-audio doctor`` checks MiMo).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass

from .._config import ASR_LANGUAGES, DEFAULT_MODEL, MODELS, Limits, ModelSpec
from .._models import is_retired, successor_of
from ._audio import HeardAudio, read_audio_part
from ._errors import ApiError
from ._options import EmulatorOptions
from ._usage import MESSAGE_OVERHEAD_TOKENS, Segment, text_tokens

__all__ = ["ChatRequest", "model_entry", "model_listing", "model_table", "parse_json", "validate_chat"]

_MODELS_CREATED = 1_745_000_000

_ROLES = ("system", "developer", "user", "assistant", "tool")


@dataclass(frozen=True)
class ChatRequest:
    """A valid request, reduced to what the answer needs (no audio bytes kept)."""

    model: ModelSpec
    stream: bool
    include_usage: bool
    thinking: bool
    max_completion_tokens: int
    question: str
    audios: tuple[HeardAudio, ...]
    segments: tuple[Segment, ...]
    prompt_tokens: int
    asr_language: str | None
    reasoning_effort: str | None = None


def model_table(options: EmulatorOptions) -> Mapping[str, ModelSpec]:
    return MODELS if options.models is None else options.models


def _retired_detail(spec: ModelSpec, table: Mapping[str, ModelSpec]) -> str:
    """Our guess at MiMo's words for a retired model (its exact body is unknown)."""
    retirement = spec.retirement
    on = retirement.on if retirement is not None else "?"
    successor = successor_of(spec) if table is MODELS else None
    name = successor.id if successor is not None else (retirement.successor if retirement else None)
    migrate = f"; please migrate to {name}" if name else "; please migrate to a current model"
    return f"the model {spec.id} has been retired since {on} and is no longer served{migrate}"


def model_listing(options: EmulatorOptions) -> dict[str, object]:
    """``GET /v1/models``: the models the table says MiMo serves now."""
    table = model_table(options)
    data = [_entry(name) for name, spec in table.items() if not is_retired(spec)]
    return {"object": "list", "data": data}


def model_entry(name: str, options: EmulatorOptions) -> dict[str, object]:
    """``GET /v1/models/<name>``, or a 404 (unknown, or retired: saying so)."""
    table = model_table(options)
    spec = table.get(name)
    if spec is not None and is_retired(spec):
        raise ApiError(404, _retired_detail(spec, table))
    if spec is None:
        current = ", ".join(k for k, v in table.items() if not is_retired(v))
        raise ApiError(404, f"model {name!r} does not exist; current models: {current}")
    return _entry(name)


def _entry(name: str) -> dict[str, object]:
    return {"id": name, "object": "model", "created": _MODELS_CREATED, "owned_by": "xiaomi"}


def parse_json(body: bytes | bytearray) -> dict[str, object]:
    """The body as a JSON object, or 400."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiError(400, f"the request body is not valid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise ApiError(400, f"the request body must be a JSON object, got {type(payload).__name__}")
    return payload


def _number(payload: Mapping[str, object], key: str) -> float | None:
    value = payload.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ApiError(400, f"{key} must be a number, got {value!r}")
    return float(value)


def _max_tokens(payload: Mapping[str, object], model: ModelSpec, *, honour_max_tokens: bool) -> int:
    key = "max_completion_tokens"
    if payload.get(key) is None and honour_max_tokens:
        key = "max_tokens"
    value = payload.get(key)
    if value is None:
        return model.default_max_completion_tokens
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= model.max_completion_tokens:
        raise ApiError(
            400,
            f"{key} must be an integer from 1 to {model.max_completion_tokens} for {model.id}, got {value!r}",
        )
    return value


def _sampling(payload: Mapping[str, object], limits: Limits) -> None:
    low, high = limits.temperature_range
    temperature = _number(payload, "temperature")
    if temperature is not None and not low <= temperature <= high:
        raise ApiError(400, f"temperature must be in [{low:g}, {high:g}], got {temperature:g}")
    top_p = _number(payload, "top_p")
    if top_p is not None and not 0 < top_p <= 1:
        raise ApiError(400, f"top_p must be in (0, 1], got {top_p:g}")
    n = payload.get("n")
    if n is not None and n != 1:
        raise ApiError(400, f"n is not supported (only one choice per request), got {n!r}")


def _reasoning_effort(payload: Mapping[str, object], model: ModelSpec) -> str | None:
    value = payload.get("reasoning_effort")
    if value is None:
        return None
    if value not in model.reasoning_efforts:
        takes = ", ".join(model.reasoning_efforts)
        raise ApiError(
            400,
            f"reasoning_effort {value!r} is not supported by {model.id}"
            + (f" (supported: {takes})" if takes else " (it takes no reasoning_effort)"),
        )
    return str(value)


def _thinking(payload: Mapping[str, object], model: ModelSpec, effort: str | None) -> bool:
    value = payload.get("thinking")
    if value is None:
        return not model.asr and effort != "none"
    kind = value.get("type") if isinstance(value, dict) else None
    if kind not in ("enabled", "disabled"):
        raise ApiError(
            400, f'thinking must be {{"type": "enabled"}} or {{"type": "disabled"}}, got {value!r}'
        )
    return kind == "enabled" and not model.asr


def _stream(payload: Mapping[str, object]) -> tuple[bool, bool]:
    stream = payload.get("stream") or False
    if not isinstance(stream, bool):
        raise ApiError(400, f"stream must be true or false, got {stream!r}")
    options = payload.get("stream_options")
    if options is not None and not isinstance(options, dict):
        raise ApiError(400, f"stream_options must be an object, got {options!r}")
    return stream, bool(options and options.get("include_usage"))


def _asr_language(payload: Mapping[str, object], model: ModelSpec) -> str | None:
    if not model.asr:
        return None
    options = payload.get("asr_options") or {}
    language = options.get("language", "auto") if isinstance(options, dict) else None
    if language not in ASR_LANGUAGES:
        raise ApiError(
            400, f"asr_options.language must be one of {', '.join(ASR_LANGUAGES)}, got {language!r}"
        )
    return str(language)


def _model(payload: Mapping[str, object], options: EmulatorOptions) -> ModelSpec:
    name = payload.get("model")
    if not isinstance(name, str) or not name:
        raise ApiError(400, f"model is required (a MiMo model id such as {DEFAULT_MODEL})")
    table = model_table(options)
    spec = table.get(name)
    if spec is None:
        current = ", ".join(k for k, v in table.items() if not is_retired(v))
        raise ApiError(400, f"model {name!r} does not exist; current models: {current}")
    if is_retired(spec):
        raise ApiError(400, _retired_detail(spec, table))
    return spec


class _Reader:
    """Walks the messages once, collecting prompt segments, audios and the question."""

    def __init__(self, model: ModelSpec, options: EmulatorOptions, table: Mapping[str, ModelSpec]) -> None:
        self.model = model
        self.options = options
        self.table = table
        self.segments: list[Segment] = []
        self.audios: list[HeardAudio] = []
        self.question = ""
        self._header: Segment | None = None

    def _add(self, digest: bytes, tokens: int) -> None:
        """Append a segment; a pending message header joins it (no cache hit on a header alone)."""
        if self._header is not None:
            digest, tokens = self._header.digest + digest, self._header.tokens + tokens
            self._header = None
        self.segments.append(Segment(digest, tokens))

    def text(self, text: str) -> str:
        self._add(hashlib.sha256(text.encode("utf-8", "replace")).digest(), text_tokens(text))
        return text

    def audio(self, part: dict[str, object], where: str) -> None:
        if not self.model.audio_input:
            audio_models = ", ".join(
                k for k, v in self.table.items() if v.audio_input and not v.asr and not is_retired(v)
            )
            raise ApiError(
                404,
                f"model {self.model.id} does not support audio input ({where}); use one of: {audio_models}",
            )
        heard = read_audio_part(
            part,
            where,
            model=self.model,
            limits=self.options.limits,
            timeout_s=self.options.url_fetch_timeout_s,
            format_key=self.options.format_key,
            raw_base64=self.options.raw_base64,
            speech=self.options.speech,
        )
        self.audios.append(heard)
        self._add(heard.digest, heard.tokens)

    def message(self, index: int, message: object) -> None:
        where = f"messages[{index}]"
        if not isinstance(message, dict) or message.get("role") not in _ROLES:
            raise ApiError(400, f"{where} must be an object with role one of {', '.join(_ROLES)}")
        role = str(message["role"])
        self._header = Segment(role.encode(), MESSAGE_OVERHEAD_TOKENS)
        content = message.get("content")
        if content is None or isinstance(content, str):
            texts = [self.text(content or "")]
            if role == "user" and not content and not message.get("tool_calls"):
                raise ApiError(400, f"{where}.content is empty")
        elif isinstance(content, list):
            texts = self.parts(content, where, role)
        else:
            raise ApiError(400, f"{where}.content must be a string or a list of parts")
        if self._header is not None:
            self._add(b"", 0)
        if role == "user":
            self.question = "\n".join(t for t in texts if t)

    def parts(self, content: list[object], where: str, role: str) -> list[str]:
        texts: list[str] = []
        audios = 0
        for j, part in enumerate(content):
            at = f"{where}.content[{j}]"
            kind = part.get("type") if isinstance(part, dict) else None
            if kind == "text" and isinstance(part, dict) and isinstance(part.get("text"), str):
                texts.append(self.text(str(part["text"])))
            elif kind == "input_audio" and isinstance(part, dict) and role == "user":
                self.audio(part, at)
                audios += 1
            elif kind == "input_audio":
                raise ApiError(400, f"{at}: input_audio parts belong in user messages, not {role}")
            else:
                raise ApiError(
                    400, f"{at}: unsupported part type {kind!r} (the emulator knows text and input_audio)"
                )
        if audios and not texts and not self.model.asr:
            raise ApiError(400, f"{where}: `text` is not present")
        return texts


def validate_chat(payload: Mapping[str, object], *, options: EmulatorOptions) -> ChatRequest:
    """Check a chat completion request; raise ``ApiError`` exactly where MiMo would."""
    model = _model(payload, options)
    max_tokens = _max_tokens(payload, model, honour_max_tokens=options.honour_max_tokens)
    _sampling(payload, options.limits)
    stream, include_usage = _stream(payload)
    effort = _reasoning_effort(payload, model)
    thinking = _thinking(payload, model, effort)
    language = _asr_language(payload, model)
    messages = payload.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "messages must be a non-empty list")
    reader = _Reader(model, options, model_table(options))
    for index, message in enumerate(messages):
        reader.message(index, message)
    if model.asr and len(reader.audios) != 1:
        raise ApiError(400, f"{model.id} needs exactly one input_audio part, got {len(reader.audios)}")
    prompt_tokens = sum(s.tokens for s in reader.segments) + MESSAGE_OVERHEAD_TOKENS
    if prompt_tokens + 1 > model.context_tokens:
        raise ApiError(
            400,
            f"the prompt has about {prompt_tokens:,} tokens; "
            f"{model.id}'s context is {model.context_tokens:,} tokens",
        )
    return ChatRequest(
        model=model,
        stream=stream,
        include_usage=include_usage,
        thinking=thinking,
        max_completion_tokens=max_tokens,
        question=reader.question,
        audios=tuple(reader.audios),
        segments=tuple(reader.segments),
        prompt_tokens=prompt_tokens,
        asr_language=language,
        reasoning_effort=effort,
    )
