"""Wire shapes: plain TypedDicts that go straight into ``chat.completions.create``.

MiMo's ``input_audio`` has no ``format`` key (the SDK's own TypedDict requires one), so
we ship our own. ``user_message`` returns the SDK's message type so a whole message
type-checks when passed to ``create(messages=[...])``.
"""

from __future__ import annotations

from typing import Literal

from typing_extensions import TypedDict

__all__ = ["InputAudio", "InputAudioPart", "TextPart"]


class InputAudio(TypedDict):
    """``{"data": "https://..." | "data:<mime>;base64,<b64>"}``; no ``format``."""

    data: str


class InputAudioPart(TypedDict):
    """MiMo's audio content part."""

    type: Literal["input_audio"]
    input_audio: InputAudio


class TextPart(TypedDict):
    """A text content part (the same shape as the SDK's)."""

    type: Literal["text"]
    text: str
