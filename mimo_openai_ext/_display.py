"""Show a part or a message in a notebook: an audio player for local audio, never its base64.

Parts stay plain dicts for the SDK; :func:`display_part` renders one (format, duration,
tokens) as HTML in Jupyter or as a one-line summary elsewhere. (Result types render
themselves: each has its own ``_repr_html_``, built from the cells in ``_format``.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ._audio.probe import AudioInfo, probe_bytes
from ._audio.source import is_data_uri, is_url, parse_data_uri
from ._checks import check_count
from ._exceptions import InvalidOptionError, MimoAudioError
from ._format import esc as _e
from ._format import snippet as _snippet

__all__ = ["DEFAULT_MAX_EMBED_CHARS", "PartView", "display_part", "part_html", "part_text"]

DEFAULT_MAX_EMBED_CHARS = 10_000_000
"""A data URI longer than this gets no player (it would bloat the notebook file)."""


def _audio_summary(data: str) -> tuple[str, AudioInfo | None, str]:
    """(kind, probe or None, a problem) for an ``input_audio`` data string."""
    if is_url(data):
        return "url", None, ""
    if not is_data_uri(data):
        return "raw", None, "raw base64 without a data: URI: MiMo is reported to ignore it silently"
    try:
        return "data", probe_bytes(parse_data_uri(data).data, source_name="<data URI>"), ""
    except MimoAudioError as exc:
        return "data", None, str(exc)


def _audio_line(kind: str, info: AudioInfo | None, problem: str, data: str) -> str:
    if info is not None:
        channels = {1: "mono", 2: "stereo"}.get(info.channels, f"{info.channels} channels")
        return (
            f"audio: {info.format} ({info.mime}), {info.duration_s:.2f} s, {info.sample_rate_hz:,} Hz "
            f"{channels}, {info.size_bytes:,} bytes, ~{info.audio_tokens:,} tokens "
            f"(data URI {len(data):,} chars)"
        )
    if kind == "url":
        return f"audio: URL {data} (MiMo fetches it; duration unknown here)"
    return f"audio: {problem} ({len(data):,} chars)"


def _parts_of(item: object) -> list[Mapping[str, Any]]:
    if isinstance(item, Mapping):
        if "type" in item:
            return [item]
        content = item.get("content")
        if isinstance(content, str):
            return [{"type": "text", "text": content}]
        if isinstance(content, Sequence):
            return [p for p in content if isinstance(p, Mapping)]
        raise InvalidOptionError(
            f"display_part: got a message whose content is a {type(content).__name__}; "
            "a message's content must be a string or a list of parts",
            option="part_or_message",
        )
    if isinstance(item, Sequence) and not isinstance(item, (str, bytes)):
        return [p for x in item for p in _parts_of(x)]
    if isinstance(item, str):
        found = f"the string {_snippet(item, 60)!r}"
        hint = f"; to show a file, display_part(input_audio_part({_snippet(item, 60)!r}))"
    else:
        found, hint = f"a value of type {type(item).__name__}", ""
    raise InvalidOptionError(
        f"display_part: got {found}; pass a part (input_audio_part(...), text_part(...)), "
        f"a message ({{'role': ..., 'content': [...]}}) or a list of them{hint}",
        option="part_or_message",
    )


def _part_rendering(part: Mapping[str, Any], max_embed_chars: int) -> tuple[str, str]:
    """(html, text) for one part."""
    kind = part.get("type")
    if kind == "text":
        text = str(part.get("text", ""))
        return f"<p><b>text</b>: {_e(text)}</p>", f"text: {_snippet(text, 200)!r}"
    if kind != "input_audio":
        return f"<p><b>{_e(kind)}</b> part</p>", f"{kind} part"
    data = str((part.get("input_audio") or {}).get("data", ""))
    source_kind, info, problem = _audio_summary(data)
    line = _audio_line(source_kind, info, problem, data)
    if source_kind == "raw" or (source_kind == "data" and info is None):
        player = ""
    elif len(data) > max_embed_chars:
        player = (
            f"<p><i>player omitted: {len(data):,} characters is over "
            f"max_embed_chars={max_embed_chars:,}</i></p>"
        )
    else:
        player = f'<audio controls preload="metadata" src="{_e(data)}"></audio>'
    return f"<div>{player}<div><small>{_e(line)}</small></div></div>", line


def part_html(part_or_message: object, *, max_embed_chars: int = DEFAULT_MAX_EMBED_CHARS) -> str:
    """HTML for a part, a message or a list of them: players for audio, text as text."""
    return "".join(_part_rendering(p, max_embed_chars)[0] for p in _parts_of(part_or_message))


def part_text(part_or_message: object) -> str:
    """A short plain-text summary (never the base64 payload)."""
    return "\n".join(_part_rendering(p, 0)[1] for p in _parts_of(part_or_message))


class PartView:
    """What :func:`display_part` shows: HTML in a notebook, a short summary elsewhere."""

    def __init__(self, part_or_message: object, *, max_embed_chars: int = DEFAULT_MAX_EMBED_CHARS) -> None:
        rendered = [_part_rendering(p, max_embed_chars) for p in _parts_of(part_or_message)]
        self.html = "".join(h for h, _ in rendered)
        self.text = "\n".join(t for _, t in rendered)

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.text


def display_part(part_or_message: object, *, max_embed_chars: int = DEFAULT_MAX_EMBED_CHARS) -> None:
    """Show a part or a message: an audio player for local (data URI) audio, its format and duration.

    In Jupyter this renders HTML; elsewhere it prints a one-line summary per part. Audio
    whose data URI is longer than ``max_embed_chars`` is described without a player.
    """
    check_count(max_embed_chars, option="max_embed_chars", minimum=0)
    view = PartView(part_or_message, max_embed_chars=max_embed_chars)
    try:
        from IPython import display as ipython_display
    except ImportError:
        print(view.text)
        return
    show: Callable[[object], object] = ipython_display.display
    show(view)
