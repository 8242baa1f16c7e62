"""A user message, in order, from parts and strings: the SDK's own message type.

``user_message(part, "What is said?")`` returns ``ChatCompletionUserMessageParam``, so the
whole message type-checks in ``create(messages=[...])``. OpenAI-shaped audio parts are put
into MiMo's shape on the way (``_migrate``), a string that looks like audio warns, and
audio without text is refused (MiMo answers 400 to it).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, cast

from ._audio.source import url_scheme
from ._config import AUDIO_FORMATS
from ._exceptions import AudioAsTextWarning, InvalidOptionError, InvalidTypeError
from ._migrate import mimo_shaped
from ._parts import text_part
from ._types import InputAudioPart, TextPart
from ._warn import warn

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletionUserMessageParam

__all__ = ["user_message"]


def _looks_like_audio(text: str) -> str | None:
    """Why ``text`` looks like audio rather than words (None when it does not)."""
    if "\n" in text or len(text) > 4096:
        return None
    scheme = url_scheme(text.strip())
    if scheme == "data":
        return "a data URI"
    if scheme in ("http", "https") and " " not in text.strip():
        return "a URL"
    suffix = os.path.splitext(text)[1].lower().lstrip(".")
    known = {ext.lstrip(".").lower() for spec in AUDIO_FORMATS.values() for ext in spec.extensions}
    try:
        if suffix in known and os.path.isfile(text):
            return "an existing audio file"
    except (OSError, ValueError):
        return None
    return None


def user_message(*parts_or_text: InputAudioPart | TextPart | str) -> ChatCompletionUserMessageParam:
    """A user message from parts and strings (strings become text parts), in order.

    The result is the SDK's own ``ChatCompletionUserMessageParam``, so
    ``create(messages=[user_message(part, "Describe the audio")])`` type-checks.

    * A string always becomes text. One that looks like audio (the path of an existing
      audio file, an http(s) URL or a data URI) warns :class:`AudioAsTextWarning`: wrap
      it with ``input_audio_part(...)`` to send it as audio.
    * An OpenAI-shaped audio part (raw base64, a ``format`` key), which MiMo would
      ignore, is converted to MiMo's shape (see :func:`to_mimo_part`).
    * Audio without any text is refused (:class:`InvalidOptionError`): MiMo answers
      400 "`text` is not present"; add a question.
    """
    if not parts_or_text:
        raise InvalidOptionError(
            "user_message() needs at least one part or string: user_message(input_audio_part(path), "
            "'What is said?')",
            option="parts_or_text",
        )
    content: list[dict[str, object]] = []
    for item in parts_or_text:
        if isinstance(item, str):
            _warn_if_audio_like(item)
            content.append(dict(text_part(item)))
        elif isinstance(item, dict) and item.get("type") == "input_audio":
            content.append(dict(mimo_shaped(item)))
        elif isinstance(item, dict) and isinstance(item.get("type"), str):
            content.append(dict(item))
        else:
            raise InvalidTypeError(
                f"user_message() takes content parts and strings, not {type(item).__name__}; "
                "wrap audio with input_audio_part(...)",
                option="parts_or_text",
            )
    kinds = {part.get("type") for part in content}
    if "input_audio" in kinds and "text" not in kinds:
        raise InvalidOptionError(
            'user_message() got audio but no text: MiMo answers HTTP 400 "`text` is not present" '
            "to audio alone; add a question, e.g. user_message(part, 'What is said?'). (Only the "
            "ASR model takes audio alone: use transcribe(), or write {'role': 'user', 'content': [part]})",
            option="parts_or_text",
        )
    return cast("ChatCompletionUserMessageParam", {"role": "user", "content": content})


def _warn_if_audio_like(text: str) -> None:
    looks = _looks_like_audio(text)
    if looks is not None:
        shown = text if len(text) <= 60 else text[:57] + "..."
        warn(
            f"user_message(): {shown!r} looks like audio ({looks}) but a string is sent as text, "
            f"so MiMo would not hear it: wrap it with input_audio_part({shown!r}) to send the audio, "
            "or use text_part(...) to send it as text on purpose",
            AudioAsTextWarning,
        )
