"""What the HTTP adapter changes on the wire, in both directions; no HTTP library in here.

On the way out (``POST .../chat/completions``): the model and ``reasoning_effort`` are
checked as ``ask()`` checks them (a model the table says is retired is refused unless
``config.allow_retired``; a ``reasoning_effort`` the model does not take is refused),
OpenAI-shaped audio parts become MiMo's
(:func:`~mimo_openai_ext._migrate.probe_raw_base64`, the rule ``to_mimo_messages`` uses
too), ``max_tokens`` becomes ``max_completion_tokens``, and a data URI over MiMo's limit is
refused, as is a spoken reply (``modalities`` with ``"audio"``, ``audio={...}``) asked of a
chat model (MiMo's speech models take ``audio=``: they pass). A request the rules refuse
never goes upstream: it gets a 400 in MiMo's error
shape, so every client shows our message. Anything else passes byte for byte.

On the way back: an answer that only ``reasoning_content`` holds is copied into
``content`` (:func:`~mimo_openai_ext._answer.answer_text`, the rule ``read_answer`` uses),
in a JSON completion or, for a stream, as one content delta before the choice's finish
chunk; usage and the probed duration of each converted part are kept on an
:class:`Exchange` (the proxy's access log reads them), and
``audio_tokens`` 0 for a request that carried audio is logged as a warning. MiMo's error
body says only ``"Param Incorrect"`` in ``message`` and its detail in ``param``: the detail
is appended to ``message`` (what every client shows).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .._answer import answer_text
from .._audio.datauri import url_scheme
from .._audio.probe import probe_bytes
from .._audio.source import is_data_uri, parse_data_uri
from .._checks import check_bool, check_limits
from .._config import DEFAULT_LIMITS, Limits
from .._exceptions import AudioTooLargeError, MimoAudioError
from .._heard import not_heard_message
from .._migrate import convert_request, probe_raw_base64, refuse_spoken_reply, to_mimo_part
from .._models import check_model, check_reasoning_effort, get_model
from .._speech.route import SPEECH_PATH
from .._types import InputAudioPart
from ._body import SplitBody, split_body

__all__ = [
    "EXCHANGE_EXTENSION",
    "AdapterOptions",
    "Exchange",
    "OutgoingBody",
    "SseRewriter",
    "error_body",
    "rewrite_chat_request",
    "rewrite_completion",
    "rewrite_error",
    "route_of",
]

log = logging.getLogger("mimo_openai_ext.adapter")

EXCHANGE_EXTENSION = "mimo_exchange"
"""The key of the :class:`Exchange` in a response's ``extensions``."""


@dataclass(frozen=True)
class AdapterOptions:
    """What the HTTP adapter (``mimo_http_client()``, ``mimo-audio proxy``) rewrites."""

    reasoning_as_content: bool = True
    """Copy an answer that only ``reasoning_content`` holds into ``content`` (streams too)."""
    check_format: bool = True
    """Refuse an OpenAI-shaped part whose declared ``format`` its bytes contradict."""
    limits: Limits = DEFAULT_LIMITS
    """MiMo's limits (a data URI over ``max_data_uri_chars`` is refused before it is sent)."""

    def __post_init__(self) -> None:
        check_bool(self.reasoning_as_content, option="reasoning_as_content")
        check_bool(self.check_format, option="check_format")
        check_limits(self.limits)


@dataclass
class Exchange:
    """What one request and its answer carried: filled in as the answer is read."""

    route: str
    model: str | None = None
    stream: bool = False
    audio_parts: int = 0
    converted_parts: int = 0
    usage: dict[str, Any] | None = None
    reasoning_copied: bool = False
    error: str | None = None
    """Our refusal (the request was not sent upstream)."""
    started_s: float = field(default_factory=time.monotonic)
    probed_s: list[float] = field(default_factory=list)
    """The duration of each audio part the adapter probed (the OpenAI-shaped ones it converted)."""

    @property
    def audio_s(self) -> float | None:
        """Seconds of audio the request carried, when the adapter probed every audio part; else None."""
        if not self.audio_parts or len(self.probed_s) != self.audio_parts:
            return None
        return sum(self.probed_s)

    @property
    def audio_tokens(self) -> int | None:
        details = (self.usage or {}).get("prompt_tokens_details")
        value = details.get("audio_tokens") if isinstance(details, Mapping) else None
        return value if isinstance(value, int) else None

    def take_usage(self, usage: object) -> None:
        """Keep ``usage`` and warn (once) when the audio was not heard."""
        if not isinstance(usage, dict) or self.usage is not None:
            return
        self.usage = usage
        if self.audio_parts and self.audio_tokens == 0:
            log.warning(
                "%s (model %s); check each part is a data: URI whose MIME matches its bytes",
                not_heard_message(self.audio_parts),
                self.model or "?",
            )


def route_of(method: str, path: str) -> str | None:
    """``"chat"``, ``"transcriptions"``, ``"speech"`` or None (passed through untouched) for a request."""
    if method.upper() != "POST":
        return None
    path = path.rstrip("/")
    if path.endswith("/chat/completions"):
        return "chat"
    if path.endswith("/audio/transcriptions"):
        return "transcriptions"
    if path.endswith(SPEECH_PATH):
        return "speech"
    return None


def error_body(exc: MimoAudioError) -> bytes:
    """MiMo's error body (status 400) with our message in ``message`` (what clients show) and
    ``param`` (where MiMo puts its detail); ``type`` names our exception class."""
    error = {"code": "400", "message": str(exc), "param": str(exc), "type": type(exc).__name__}
    return json.dumps({"error": error}).encode()


@dataclass(frozen=True)
class OutgoingBody:
    """The body to send: ``pieces`` in order (``None``: the original body, untouched)."""

    pieces: list[bytes | memoryview] | None
    length: int


def _audio_parts(tree: Mapping[str, Any]) -> int:
    messages = tree.get("messages")
    if not isinstance(messages, list):
        return 0
    return sum(
        1
        for message in messages
        if isinstance(message, Mapping) and isinstance(message.get("content"), list)
        for part in message["content"]
        if isinstance(part, Mapping) and part.get("type") == "input_audio"
    )


class _PartRewriter:
    """Converts one OpenAI-shaped part of a split body, its long payload never copied."""

    def __init__(self, split: SplitBody, options: AdapterOptions, exchange: Exchange) -> None:
        self._split = split
        self._options = options
        self._exchange = exchange

    def __call__(self, part: Mapping[str, Any], name: str) -> object:
        self._exchange.converted_parts += 1
        inner = part.get("input_audio")
        blob = self._split.blob(inner.get("data")) if isinstance(inner, Mapping) else None
        if blob is None or not isinstance(inner, Mapping):  # a small part: the shared converter as is
            return self._to_mimo_part(part, name)
        if url_scheme(blob.head(16)) is not None:  # a long data URI (or URL) with a format key: rare
            converted = self._to_mimo_part({**part, "input_audio": {**inner, "data": blob.text()}}, name)
            uri = converted["input_audio"]["data"].encode("ascii")
            return {**converted, "input_audio": {"data": self._split.replaced([uri])}}
        info, payload = probe_raw_base64(
            blob.raw,
            inner.get("format"),
            check_format=self._options.check_format,
            limits=self._options.limits,
            name=name,
        )
        mime = info.mime
        self._heard(info.duration_s)
        prefix = f"data:{mime};base64,".encode("ascii")
        body = payload.encode("ascii") if isinstance(payload, str) else memoryview(payload)
        new = {key: value for key, value in part.items() if key != "input_audio"}
        new["input_audio"] = {"data": self._split.replaced([prefix, body])}
        return new

    def _to_mimo_part(self, part: Mapping[str, Any], name: str) -> InputAudioPart:
        converted = to_mimo_part(
            part, check_format=self._options.check_format, limits=self._options.limits, name=name
        )
        data = converted["input_audio"]["data"]
        if isinstance(data, str) and is_data_uri(data):  # small: probing it again is cheap
            self._heard(probe_bytes(parse_data_uri(data, name=name).data, source_name=name).duration_s)
        return converted

    def _heard(self, duration_s: float | None) -> None:
        if duration_s is not None:
            self._exchange.probed_s.append(duration_s)


def _check_data_uris(split: SplitBody, tree: Mapping[str, Any], limits: Limits) -> None:
    """MiMo-shaped parts pass untouched, but one over MiMo's size limit is refused here."""
    messages = tree.get("messages")
    for i, message in enumerate(messages if isinstance(messages, list) else []):
        content = message.get("content") if isinstance(message, Mapping) else None
        for j, part in enumerate(content if isinstance(content, list) else []):
            inner = part.get("input_audio") if isinstance(part, Mapping) else None
            blob = split.blob(inner.get("data")) if isinstance(inner, Mapping) else None
            if blob is not None and len(blob) > limits.max_data_uri_chars:
                raise AudioTooLargeError(
                    f"messages[{i}].content[{j}]: the audio's data URI is {len(blob):,} characters, over "
                    f"MiMo's limit of {limits.max_data_uri_chars:,}; send an https:// URL to it instead (up "
                    "to 100 MB), or shrink it with fit_audio() / `mimo-audio fit`",
                    source_name=f"messages[{i}].content[{j}]",
                    size=len(blob),
                    limit=limits.max_data_uri_chars,
                )


def _speech_model(model: str | None) -> bool:
    """Whether ``model`` may be asked for speech (MiMo's TTS dialect: ``audio={"format", "voice"}``).

    A speech model in ``MODELS``, or an id the table does not know (MiMo answers it); a
    known chat model answers in text only, so a spoken reply asked of it is refused.
    """
    if model is None:
        return False
    spec = get_model(model, warn=False)
    return spec.speech is not None or spec.status == "unknown"


def _check_model_options(tree: Mapping[str, Any]) -> None:
    """The model and ``reasoning_effort`` under the rules ``ask()`` applies (``AskOptions``).

    A model id that is not a non-empty string is left to MiMo (it answers it).
    """
    model = tree.get("model")
    if not isinstance(model, str) or not model:
        return
    spec = check_model(model, warn=False)  # a warning here would go to the proxy's console, unseen
    thinking = tree.get("thinking")
    disabled = isinstance(thinking, Mapping) and thinking.get("type") == "disabled"
    check_reasoning_effort(tree.get("reasoning_effort"), spec, thinking=not disabled)


def rewrite_chat_request(body: bytes, options: AdapterOptions, exchange: Exchange) -> OutgoingBody:
    """The chat request in MiMo's dialect; raises :class:`MimoAudioError` for what MiMo must not get.

    A body that is not a JSON object is sent as it is (MiMo answers it).
    """
    try:
        split = split_body(body)
    except ValueError:
        return OutgoingBody(None, len(body))
    tree = split.tree
    if not isinstance(tree, dict):
        return OutgoingBody(None, len(body))
    exchange.model = tree.get("model") if isinstance(tree.get("model"), str) else None
    exchange.stream = tree.get("stream") is True
    _check_model_options(tree)
    exchange.audio_parts = _audio_parts(tree)
    if not _speech_model(exchange.model):
        refuse_spoken_reply(tree)
    new_tree, changed = convert_request(tree, _PartRewriter(split, options, exchange))
    _check_data_uris(split, new_tree, options.limits)
    if not changed:
        return OutgoingBody(None, len(body))
    pieces = split.render(new_tree)
    return OutgoingBody(pieces, sum(len(piece) for piece in pieces))


def rewrite_error(body: bytes) -> bytes | None:
    """MiMo's error body with the detail in ``param`` appended to ``message``; None when nothing changed.

    ``{"error": {"message": "Param Incorrect", "param": "the model ... retired ..."}}`` becomes
    ``"message": "Param Incorrect: the model ... retired ..."``, so the SDK's exception says it.
    """
    try:
        tree = json.loads(body)
    except ValueError:
        return None
    error = tree.get("error") if isinstance(tree, dict) else None
    if not isinstance(error, dict):
        return None
    message, param = error.get("message"), error.get("param")
    if not isinstance(param, str) or not param.strip() or not (message is None or isinstance(message, str)):
        return None
    if message and param in message:
        return None
    error["message"] = f"{message}: {param}" if message else param
    return json.dumps(tree, ensure_ascii=False).encode("utf-8")


def _copy_reasoning(message: object) -> bool:
    if not isinstance(message, dict):
        return False
    content = message.get("content")
    reasoning = message.get("reasoning_content")
    if not isinstance(reasoning, str) or not (content is None or isinstance(content, str)):
        return False
    text, from_reasoning = answer_text(content or "", reasoning)
    if from_reasoning:
        message["content"] = text
    return from_reasoning


def rewrite_completion(body: bytes, options: AdapterOptions, exchange: Exchange) -> bytes | None:
    """A chat completion (JSON) with the rules applied; None when nothing changed."""
    try:
        completion = json.loads(body)
    except ValueError:
        return None
    if not isinstance(completion, dict):
        return None
    if isinstance(completion.get("model"), str):
        exchange.model = completion["model"]
    exchange.take_usage(completion.get("usage"))
    if not options.reasoning_as_content:
        return None
    choices = completion.get("choices")
    copied = [
        _copy_reasoning(choice.get("message"))
        for choice in (choices if isinstance(choices, list) else [])
        if isinstance(choice, dict)
    ]
    if not any(copied):
        return None
    exchange.reasoning_copied = True
    return json.dumps(completion, ensure_ascii=False).encode("utf-8")


@dataclass
class _Choice:
    reasoning: list[str] = field(default_factory=list)
    content: bool = False
    """Some non-blank content was streamed."""
    done: bool = False


class SseRewriter:
    """Server-sent events in, the same events out (plus a content delta where one is due).

    Each complete event goes out as soon as it is in; only the reasoning text of a choice
    is kept until its finish chunk (to be sent as content if no content came).
    """

    def __init__(self, options: AdapterOptions, exchange: Exchange) -> None:
        self._options = options
        self._exchange = exchange
        self._pending = bytearray()
        self._choices: dict[int, _Choice] = {}
        self._last: dict[str, Any] | None = None
        """The last chunk seen: its id, model, ... go on a content delta added at ``[DONE]``."""

    def feed(self, data: bytes) -> bytes:
        """Complete events from ``data`` (and what came before), rewritten; the rest waits."""
        self._pending += data
        out = bytearray()
        while True:
            ends = [
                (at, sep) for sep in (b"\n\n", b"\r\n\r\n", b"\r\r") if (at := self._pending.find(sep)) >= 0
            ]
            if not ends:
                return bytes(out)
            at, sep = min(ends)
            event = bytes(self._pending[:at])
            del self._pending[: at + len(sep)]
            out += self._event(event, sep)

    def close(self) -> bytes:
        """What is left at the end of the stream (a last event without its blank line)."""
        rest = bytes(self._pending)
        self._pending.clear()
        return (self._event(rest, b"") if rest.strip() else b"") + self._finish_all()

    def _event(self, event: bytes, sep: bytes) -> bytes:
        lines = event.splitlines()
        data = b"\n".join(line[5:].removeprefix(b" ") for line in lines if line.startswith(b"data:"))
        if not data:
            return event + sep
        if data.strip() == b"[DONE]":
            return self._finish_all() + event + sep
        try:
            chunk = json.loads(data)
        except ValueError:
            return event + sep
        if not isinstance(chunk, dict):
            return event + sep
        if isinstance(chunk.get("model"), str):
            self._exchange.model = chunk["model"]
        self._exchange.take_usage(chunk.get("usage"))
        self._last = chunk
        before = b""
        choices = chunk.get("choices")
        for choice in choices if isinstance(choices, list) else []:
            if isinstance(choice, dict):
                before += self._choice(chunk, choice)
        return before + event + sep

    def _choice(self, chunk: dict[str, Any], choice: dict[str, Any]) -> bytes:
        index = choice.get("index", 0)
        state = self._choices.setdefault(index if isinstance(index, int) else 0, _Choice())
        delta = choice.get("delta")
        if isinstance(delta, dict):
            content = delta.get("content")
            if isinstance(content, str) and content.strip():
                state.content = True
            reasoning = delta.get("reasoning_content")
            if isinstance(reasoning, str):
                state.reasoning.append(reasoning)
        if choice.get("finish_reason") is None:
            return b""
        return self._finish(chunk, index, state)

    def _finish(self, chunk: dict[str, Any] | None, index: object, state: _Choice) -> bytes:
        if state.done:
            return b""
        state.done = True
        text, from_reasoning = answer_text("", "".join(state.reasoning))
        if state.content or not from_reasoning or not self._options.reasoning_as_content:
            return b""
        self._exchange.reasoning_copied = True
        base = {key: value for key, value in (chunk or {}).items() if key not in ("choices", "usage")}
        extra = {**base, "choices": [{"index": index, "delta": {"content": text}, "finish_reason": None}]}
        return b"data: " + json.dumps(extra, ensure_ascii=False).encode("utf-8") + b"\n\n"

    def _finish_all(self) -> bytes:
        """Content deltas due for choices that ended without a finish chunk (at ``[DONE]``)."""
        return b"".join(self._finish(self._last, index, state) for index, state in self._choices.items())
