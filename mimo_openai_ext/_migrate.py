"""Moving chat messages between OpenAI's audio shape and MiMo's.

OpenAI (``gpt-4o-audio-preview``) sends raw base64 plus a declared ``format``::

    {"type": "input_audio", "input_audio": {"data": "<base64>", "format": "wav"}}

MiMo wants a data URI whose MIME matches the bytes, and no ``format``::

    {"type": "input_audio", "input_audio": {"data": "data:audio/wav;base64,<base64>"}}

(MiMo is reported to ignore raw base64 silently: ``audio_tokens: 0`` and an invented
answer.) The converters here never mutate their input: they return new lists and dicts,
with every message and part that is not audio copied unchanged.

These are the one set of request rules: ``to_mimo_messages`` / ``to_mimo_request`` for
your own code, and the HTTP adapter (``mimo_http_client()``, ``mimo-audio proxy``), which
applies :func:`mime_of_raw_base64`, :func:`needs_mimo_shape` and :func:`rename_max_tokens`
to requests that other libraries send.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from ._audio.datauri import ByteData, data_uri_chars, decode_base64
from ._audio.probe import AudioInfo, probe_bytes
from ._audio.sniff import sniff_audio
from ._audio.source import is_data_uri, is_url, parse_data_uri, url_scheme
from ._checks import check_bool, check_limits, check_type
from ._config import AUDIO_FORMATS, DEFAULT_ASR_MODEL, DEFAULT_LIMITS, OPENAI_INPUT_AUDIO_FORMATS, Limits
from ._exceptions import (
    AudioTooLargeError,
    InvalidAudioSourceError,
    InvalidOptionError,
    UnsupportedAudioFormatError,
    UnsupportedFeatureError,
)
from ._parts import audio_part_and_info
from ._types import InputAudioPart

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletionContentPartInputAudioParam, ChatCompletionMessageParam


__all__ = [
    "convert_request",
    "mime_of_raw_base64",
    "mimo_shaped",
    "needs_mimo_shape",
    "probe_raw_base64",
    "refuse_spoken_reply",
    "rename_max_tokens",
    "to_mimo_messages",
    "to_mimo_part",
    "to_mimo_request",
    "to_openai_messages",
    "to_openai_part",
]

_PART_NAME = "input_audio part"


def _audio_fields(part: Mapping[str, object], name: str) -> tuple[str, object]:
    """The part's ``input_audio.data`` string and its ``format`` (None when absent)."""
    if not isinstance(part, Mapping):
        raise InvalidAudioSourceError(
            f"{name}: a part must be a dict like {{'type': 'input_audio', 'input_audio': {{'data': ...}}}}, "
            f"not a {type(part).__name__}",
            source_name=name,
        )
    if part.get("type") != "input_audio":
        raise InvalidAudioSourceError(
            f"{name}: not an input_audio part (type={part.get('type')!r}); "
            'expected {"type": "input_audio", "input_audio": {"data": ...}}',
            source_name=name,
        )
    inner = part.get("input_audio")
    if not isinstance(inner, Mapping) or not isinstance(inner.get("data"), str):
        raise InvalidAudioSourceError(
            f"{name}: input_audio must be a dict with a string 'data' (raw base64, a data URI or "
            f"an https URL); found {type(inner).__name__}",
            source_name=name,
        )
    return cast(str, inner["data"]), inner.get("format")


def _decode_raw_base64(data: str | ByteData, name: str) -> tuple[bytes, str | ByteData]:
    """Decode OpenAI's raw base64; return the bytes and the payload to re-send (compact base64).

    One strict decode of the payload as it is (no copy); only a payload that fails it is
    compacted (line breaks and spaces removed) and decoded again.
    """
    try:
        return decode_base64(data), data
    except ValueError:
        pass
    text = data if isinstance(data, str) else bytes(data).decode("ascii", "replace")
    compact = "".join(text.split())
    try:
        return decode_base64(compact), compact
    except ValueError as exc:
        preview = text[:24] + ("..." if len(text) > 24 else "")
        raise InvalidAudioSourceError(
            f"{name}: input_audio.data {preview!r} is neither base64 ({exc}), a data URI nor an "
            "https URL; put base64.b64encode(audio_bytes).decode() there",
            source_name=name,
        ) from None


_NOT_A_FORMAT = frozenset({"aac"})
"""Spellings that name a codec, not a container: raw AAC (ADTS) is a format MiMo refuses."""


def _format_spellings() -> dict[str, str]:
    """Every way clients spell a format MiMo takes: its name, extensions and MIME subtypes."""
    spellings: dict[str, str] = {}
    for name, spec in AUDIO_FORMATS.items():
        for mime in (spec.mime, *spec.aliases):
            subtype = mime.split("/", 1)[1]
            spellings[mime] = name
            if subtype not in _NOT_A_FORMAT:
                spellings[subtype] = name
        for extension in spec.extensions:
            spellings[extension.lstrip(".")] = name
        spellings[name] = name
    return spellings


def _declared_format(declared: object, name: str) -> str | None:
    """The format a part declares, by our name: ``wav``, ``mpeg``, ``audio/x-wav``, ``mp4`` (M4A), ..."""
    if declared is None:
        return None
    found = _format_spellings().get(declared.strip().lower()) if isinstance(declared, str) else None
    if found is None:
        allowed = ", ".join(AUDIO_FORMATS)
        raise UnsupportedAudioFormatError(
            f"{name}: declared format {declared!r} is not one MiMo accepts ({allowed}); "
            "fix the 'format' field or drop it (MiMo reads the format from the bytes)",
            source_name=name,
            found=str(declared),
            allowed=tuple(AUDIO_FORMATS),
        )
    return found


def _check_declared(declared: str | None, found: str, mime: str, name: str) -> None:
    if declared is None or declared == found:
        return
    raise UnsupportedAudioFormatError(
        f"{name}: declared format {declared!r} but the bytes are {found} ({mime}); MiMo rejects "
        "audio whose label contradicts its content. Fix the 'format' field (or the data), or pass "
        "check_format=False to trust the bytes",
        source_name=name,
        found=found,
        allowed=(declared,),
    )


def _too_large(name: str, chars: int, limits: Limits) -> AudioTooLargeError:
    return AudioTooLargeError(
        f"{name}: as a data URI this audio is {chars:,} characters, over MiMo's limit of "
        f"{limits.max_data_uri_chars:,}. Send an https:// URL to it instead (up to 100 MB), or shrink it "
        "with fit_audio() / `mimo-audio fit` (or cut it with split_audio())",
        source_name=name,
        size=chars,
        limit=limits.max_data_uri_chars,
    )


def mime_of_raw_base64(
    payload: str | ByteData,
    declared: object = None,
    *,
    check_format: bool = True,
    limits: Limits | None = None,
    name: str = _PART_NAME,
) -> tuple[str, str | ByteData]:
    """The MIME for OpenAI's raw base64 audio, and the payload to put after ``data:<MIME>;base64,``.

    The one rule for OpenAI-shaped audio: the base64 is decoded once and the bytes are
    probed (the MIME comes from them, never from ``declared``); a ``declared`` format the
    bytes contradict is refused (:class:`UnsupportedAudioFormatError`) unless
    ``check_format`` is false; a data URI over ``limits.max_data_uri_chars`` is refused
    (:class:`AudioTooLargeError`) before anything is decoded. The payload returned is
    ``payload`` itself when it is already canonical base64, so nothing is re-encoded.
    """
    info, payload_out = probe_raw_base64(
        payload, declared, check_format=check_format, limits=limits, name=name
    )
    return info.mime, payload_out


def probe_raw_base64(
    payload: str | ByteData,
    declared: object = None,
    *,
    check_format: bool = True,
    limits: Limits | None = None,
    name: str = _PART_NAME,
) -> tuple[AudioInfo, str | ByteData]:
    """:func:`mime_of_raw_base64` with the whole probe (``duration_s``, ...) instead of the MIME."""
    limits = limits or DEFAULT_LIMITS
    want = _declared_format(declared, name)
    at_least = len("data:;base64,") + min(len(spec.mime) for spec in AUDIO_FORMATS.values()) + len(payload)
    if at_least > limits.max_data_uri_chars:
        raise _too_large(name, at_least, limits)
    decoded, compact = _decode_raw_base64(payload, name)
    info = probe_bytes(decoded, source_name=name)
    if check_format:
        _check_declared(want, info.format, info.mime, name)
    chars = data_uri_chars(len(decoded), info.mime)
    if chars > limits.max_data_uri_chars:
        raise _too_large(name, chars, limits)
    return info, compact


def to_mimo_part(
    part: Mapping[str, object],
    *,
    check_format: bool = True,
    limits: Limits | None = None,
    name: str = _PART_NAME,
) -> InputAudioPart:
    """Convert one OpenAI-shaped ``input_audio`` part into MiMo's shape.

    Raw base64 becomes a data URI whose MIME comes from the bytes (never from the
    declared ``format``, which is dropped). With ``check_format`` (the default) a
    declared format the bytes contradict is refused with
    :class:`UnsupportedAudioFormatError`; unreadable bytes raise
    :class:`CorruptAudioError`. An https URL or a MiMo data URI passes through
    (re-labelled from its bytes). Other keys of the part are kept.
    """
    check_bool(check_format, option="check_format")
    check_limits(limits)

    data, raw_format = _audio_fields(part, name)
    declared = _declared_format(raw_format, name)
    result = {key: copy.deepcopy(value) for key, value in part.items() if key != "input_audio"}
    if is_url(data):
        result["input_audio"] = {"data": data}
        return cast("InputAudioPart", result)
    if not is_data_uri(data):
        mime, payload = mime_of_raw_base64(
            data, declared, check_format=check_format, limits=limits, name=name
        )
        result["input_audio"] = {"data": f"data:{mime};base64,{payload!s}"}
        return cast("InputAudioPart", result)
    audio, info = audio_part_and_info(data, name=name, limits=limits)
    if check_format and info is not None:
        _check_declared(declared, info.format, info.mime, name)
    result["input_audio"] = dict(audio["input_audio"])
    return cast("InputAudioPart", result)


def to_openai_part(
    part: Mapping[str, object], *, name: str = _PART_NAME
) -> ChatCompletionContentPartInputAudioParam:
    """Convert one MiMo ``input_audio`` part (data URI) into OpenAI's raw base64 + ``format``.

    OpenAI accepts only wav and mp3: other formats raise
    :class:`UnsupportedAudioFormatError` (convert them to wav first). OpenAI has no URL
    form, so a URL part raises :class:`UnsupportedFeatureError`.
    """

    data, _ = _audio_fields(part, name)
    if is_url(data):
        raise UnsupportedFeatureError(
            f"{name}: OpenAI's input_audio has no URL form ({data[:80]}); download the audio and "
            "pass its bytes as a data URI (input_audio_part(path)) before converting"
        )
    if is_data_uri(data):
        uri = parse_data_uri(data, name=name)
        payload, b64 = uri.data, None
        if uri.canonical_payload:
            b64 = data.partition(",")[2]
    else:
        payload, compact = _decode_raw_base64(data, name)
        b64 = cast(str, compact)  # a str in, a str out
    sniffed = sniff_audio(payload, source_name=name)
    if sniffed.format not in OPENAI_INPUT_AUDIO_FORMATS:
        allowed = " and ".join(OPENAI_INPUT_AUDIO_FORMATS)
        raise UnsupportedAudioFormatError(
            f"{name}: the audio is {sniffed.format} ({sniffed.mime}), but OpenAI's input_audio takes "
            f"only {allowed}; convert it first: fit_audio(audio, model={DEFAULT_ASR_MODEL!r}) gives "
            "WAV or MP3 (up to the ASR size limit), then convert its .part",
            source_name=name,
            found=sniffed.format,
            allowed=tuple(OPENAI_INPUT_AUDIO_FORMATS),
        )
    result = {key: copy.deepcopy(value) for key, value in part.items() if key != "input_audio"}
    result["input_audio"] = {
        "data": b64 if b64 is not None else base64.b64encode(payload).decode("ascii"),
        "format": sniffed.format,
    }
    return cast("ChatCompletionContentPartInputAudioParam", result)


def _is_audio_part(part: object) -> bool:
    return isinstance(part, Mapping) and part.get("type") == "input_audio"


def _convert_messages(messages: Iterable[object], convert_part: _PartConverter) -> list[object]:
    if isinstance(messages, (str, bytes, Mapping)) or not isinstance(messages, Iterable):
        raise InvalidAudioSourceError(
            f"messages must be a list of message dicts, not a {type(messages).__name__}",
            source_name="messages",
        )
    converted: list[object] = []
    for i, message in enumerate(messages):
        content = message.get("content") if isinstance(message, Mapping) else None
        if (
            not isinstance(message, Mapping)
            or isinstance(content, (str, bytes))
            or not isinstance(content, Sequence)
        ):
            converted.append(copy.deepcopy(message))
            continue
        new_message = {key: copy.deepcopy(value) for key, value in message.items() if key != "content"}
        new_message["content"] = [
            convert_part(part, f"messages[{i}].content[{j}]") if _is_audio_part(part) else copy.deepcopy(part)
            for j, part in enumerate(content)
        ]
        converted.append(new_message)
    return converted


class _PartConverter:
    """``(part, name) -> new part``, with the caller's options bound."""

    def __init__(self, to_mimo: bool, *, check_format: bool = True, limits: Limits | None = None) -> None:
        self._to_mimo = to_mimo
        self._check_format = check_format
        self._limits = limits

    def __call__(self, part: object, name: str) -> object:
        mapping = cast(Mapping[str, object], part)
        if self._to_mimo:
            return to_mimo_part(mapping, check_format=self._check_format, limits=self._limits, name=name)
        return to_openai_part(mapping, name=name)


def to_mimo_messages(
    messages: Iterable[Mapping[str, object]] | Iterable[object],
    *,
    check_format: bool = True,
    limits: Limits | None = None,
) -> list[ChatCompletionMessageParam]:
    """Return a copy of ``messages`` with every OpenAI-shaped audio part in MiMo's shape.

    Only ``input_audio`` parts change (see :func:`to_mimo_part`); everything else, including
    messages that are not dicts (an SDK ``ChatCompletionMessage``), is copied as is. Errors
    name the part (``messages[1].content[0]``). The result goes straight into
    ``client.chat.completions.create(messages=...)``.
    """
    check_bool(check_format, option="check_format")
    check_limits(limits)
    converter = _PartConverter(True, check_format=check_format, limits=limits)
    return cast("list[ChatCompletionMessageParam]", _convert_messages(messages, converter))


def to_openai_messages(
    messages: Iterable[Mapping[str, object]] | Iterable[object],
) -> list[ChatCompletionMessageParam]:
    """Return a copy of ``messages`` with every MiMo audio part in OpenAI's shape (wav/mp3 only).

    See :func:`to_openai_part` for what cannot be converted.
    """
    return cast("list[ChatCompletionMessageParam]", _convert_messages(messages, _PartConverter(False)))


def needs_mimo_shape(part: object) -> bool:
    """True for an ``input_audio`` part MiMo would not hear as it is: raw base64, or a ``format`` key.

    A part with an http(s) URL or a data URI and no ``format`` is MiMo's own shape and is
    sent untouched; anything that is not an ``input_audio`` part is not ours to change.
    """
    if not _is_audio_part(part):
        return False
    audio = cast(Mapping[str, Any], part).get("input_audio")
    if not isinstance(audio, Mapping):
        return True  # refused by to_mimo_part with a message that says what is wrong
    data = audio.get("data")
    mimo_form = isinstance(data, str) and url_scheme(data[:16]) in ("http", "https", "data")
    return "format" in audio or not mimo_form


def mimo_shaped(part: Mapping[str, Any], *, limits: Limits | None = None) -> InputAudioPart:
    """An ``input_audio`` part in MiMo's shape: OpenAI-shaped ones (raw base64 and/or a
    ``format`` key, which MiMo ignores silently) are converted with ``to_mimo_part``."""
    if not needs_mimo_shape(part):
        return cast("InputAudioPart", part)
    return to_mimo_part(part, limits=limits)


def rename_max_tokens(request: dict[str, Any]) -> bool:
    """MiMo reads ``max_completion_tokens``: move ``max_tokens`` there (in place); True if changed.

    The one rule for OpenAI's older name, used by ``ask()``'s options and the HTTP adapter
    alike. Both given and different is refused (:class:`InvalidOptionError`): which one was
    meant cannot be told.
    """
    if "max_tokens" not in request:
        return False
    value = request.pop("max_tokens")
    current = request.get("max_completion_tokens")
    if value is not None and current is not None and value != current:
        raise InvalidOptionError(
            f"max_tokens={value!r} and max_completion_tokens={current!r} "
            "disagree: pass only max_completion_tokens (MiMo's name; max_tokens is OpenAI's older alias)",
            option="max_tokens",
        )
    if current is None and value is not None:
        request["max_completion_tokens"] = value
    return True


def _spoken_reply_option(request: Mapping[str, Any]) -> str | None:
    """``modalities=[...]`` with ``"audio"``, or ``audio={...}``, as the caller spelled it; else None."""
    extra = request.get("extra_body")
    for tree in (request, extra if isinstance(extra, Mapping) else {}):
        modalities = tree.get("modalities")
        if isinstance(modalities, (list, tuple)) and "audio" in modalities:
            return f"modalities={list(modalities)!r}"
        if tree.get("audio") is not None:
            return f"audio={tree['audio']!r:.80}"
    return None


def refuse_spoken_reply(request: Mapping[str, Any]) -> None:
    """A chat request that asks for a spoken reply is refused (:class:`UnsupportedFeatureError`).

    OpenAI's audio chat models answer in speech when asked (``modalities=["text", "audio"]``,
    ``audio={"voice": ..., "format": ...}``); MiMo's audio understanding models answer in
    text only, and with those options they answer 200 with no audio. The one rule for
    ``ask()``'s options and the HTTP adapter's chat requests to a model that is not a
    speech model.
    """
    found = _spoken_reply_option(request)
    if found is None:
        return
    raise UnsupportedFeatureError(
        f"{found}: MiMo's chat models answer in text only, not in speech; leave modalities/audio "
        "out and say the answer with speak(client, text) or speech(client).create(...) "
        "(POST /v1/audio/speech through the adapter or `mimo-audio proxy`; `mimo-audio speak` on "
        "the command line)"
    )


PartConverter = Callable[[Mapping[str, Any], str], object]
"""``(part, name) -> new part``: how :func:`convert_request` converts one OpenAI-shaped part."""


def convert_request(request: Mapping[str, Any], convert_part: PartConverter) -> tuple[dict[str, Any], bool]:
    """A shallow copy of a chat request in MiMo's dialect, and whether anything changed.

    Parts that :func:`needs_mimo_shape` go through ``convert_part``; ``max_tokens`` is
    renamed (:func:`rename_max_tokens`). Messages and parts that need nothing are shared
    with ``request``, not copied.
    """
    result = dict(request)
    changed = rename_max_tokens(result)
    messages = result.get("messages")
    if not isinstance(messages, list):
        return result, changed
    new_messages: list[object] = []
    for i, message in enumerate(messages):
        content = message.get("content") if isinstance(message, Mapping) else None
        if not isinstance(content, list) or not any(needs_mimo_shape(part) for part in content):
            new_messages.append(message)
            continue
        parts = [
            convert_part(part, f"messages[{i}].content[{j}]") if needs_mimo_shape(part) else part
            for j, part in enumerate(content)
        ]
        new_messages.append({**cast(Mapping[str, Any], message), "content": parts})
        changed = True
    result["messages"] = new_messages
    return result, changed


def to_mimo_request(
    request: Mapping[str, Any], *, check_format: bool = True, limits: Limits | None = None
) -> dict[str, Any]:
    """A chat-completions request body (``create(**request)`` keywords) in MiMo's dialect.

    OpenAI-shaped audio parts become MiMo's (:func:`to_mimo_part`, errors naming
    ``messages[i].content[j]``) and ``max_tokens`` becomes ``max_completion_tokens``; the
    rest is kept. The same rules the HTTP adapter (``mimo_http_client()``) applies on the wire.
    """
    check_type(request, Mapping, option="request", expected="a dict of create(...) keywords")
    check_bool(check_format, option="check_format")
    check_limits(limits)

    def convert(part: Mapping[str, Any], name: str) -> object:
        return to_mimo_part(part, check_format=check_format, limits=limits, name=name)

    return convert_request(request, convert)[0]
