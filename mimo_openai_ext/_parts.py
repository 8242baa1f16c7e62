"""Content parts and messages, as plain dicts ready for ``chat.completions.create``.

``input_audio_part`` never transcodes unless asked (``convert=True``): local audio is
sent as ``data:<MIME>;base64,<the exact bytes>`` with the MIME read from the bytes.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, cast

from ._audio.convert import (
    convert_audio,
    encode_array,  # numpy and soundfile, loaded only for arrays
)
from ._audio.datauri import data_uri, data_uri_chars, max_bytes_for_data_uri
from ._audio.probe import AudioInfo, probe_bytes
from ._audio.source import AudioSource, ByteData, open_source, source_name_of, url_scheme
from ._checks import check_bool, check_limits, check_str
from ._config import AUDIO_FORMATS, DEFAULT_LIMITS, Limits
from ._exceptions import (
    AudioTooLargeError,
    InvalidAudioSourceError,
    InvalidTypeError,
    UnsupportedAudioFormatError,
)
from ._types import InputAudioPart, TextPart

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["audio_part_and_info", "check_data_uri_size", "input_audio_part", "text_part"]

_CHUNK_BYTES = 3 << 20  # a multiple of 3 (chunks join without padding) and of the page size
_MIME = re.compile(r"[A-Za-z0-9.+\-]+/[A-Za-z0-9.+\-]+")


def _too_large(
    name: str, chars: int, size_bytes: int, limits: Limits, *, at_least: bool = False
) -> AudioTooLargeError:
    size_mb = size_bytes / 1e6
    return AudioTooLargeError(
        f"{name}: as base64 this {size_mb:,.1f} MB file is {'at least ' if at_least else ''}"
        f"{chars:,} characters, over MiMo's limit of {limits.max_data_uri_chars:,} for a data URI. "
        "Pass an https:// URL to it instead (up to 100 MB), or shrink it with fit_audio() "
        "or cut it with split_audio() (`mimo-audio fit` / `mimo-audio split` on the command line)",
        source_name=name,
        size=chars,
        limit=limits.max_data_uri_chars,
    )


def _is_array(source: object) -> bool:
    return type(source).__module__.split(".")[0] == "numpy" or hasattr(source, "__array_interface__")


def check_data_uri_size(info: AudioInfo, *, limits: Limits | None = None) -> None:
    """Raise the :class:`AudioTooLargeError` ``ask`` would raise for these bytes, before reading
    them: the check a batch's dry run makes from the headers alone."""
    limits = limits or DEFAULT_LIMITS
    chars = data_uri_chars(info.size_bytes, info.mime)
    if chars > limits.max_data_uri_chars:
        raise _too_large(info.source_name, chars, info.size_bytes, limits)


def _checked_part(data: ByteData, info: AudioInfo, limits: Limits) -> InputAudioPart:
    chars = data_uri_chars(len(data), info.mime)
    if chars > limits.max_data_uri_chars:
        raise _too_large(info.source_name, chars, len(data), limits)
    return {"type": "input_audio", "input_audio": {"data": data_uri(data, info.mime)}}


def _from_array(
    source: object, name: str | None, sample_rate: int | None, limits: Limits
) -> tuple[InputAudioPart, AudioInfo]:
    display = name or "<array>"
    if sample_rate is None:
        raise InvalidAudioSourceError(
            f"{display}: a sample array needs its rate: input_audio_part(array, sample_rate=16000)",
            source_name=display,
        )

    data, info = encode_array(source, sample_rate=sample_rate, source_name=display)
    return _checked_part(data, info, limits), info


def _url_part(source: str, scheme: str, name: str) -> InputAudioPart:
    if scheme not in ("http", "https"):
        raise InvalidAudioSourceError(
            f"{name}: MiMo fetches only http(s):// URLs, not {scheme}://; "
            "pass a local path, bytes or a binary file object instead",
            source_name=name,
        )
    return {"type": "input_audio", "input_audio": {"data": source}}


def audio_part_and_info(
    source: AudioSource | NDArray[Any],
    *,
    name: str | None = None,
    sample_rate: int | None = None,
    convert: bool = False,
    limits: Limits | None = None,
) -> tuple[InputAudioPart, AudioInfo | None]:
    """:func:`input_audio_part` plus what was probed (None for a URL, which is not fetched)."""
    check_str(name, option="name", none=True)
    check_bool(convert, option="convert")
    check_limits(limits)
    limits = limits or DEFAULT_LIMITS
    if _is_array(source):
        return _from_array(source, name, sample_rate, limits)
    if sample_rate is not None:
        display = source_name_of(source, name)
        hint = (
            "; for a list of samples pass numpy.asarray(samples, dtype='float32')"
            if isinstance(source, (list, tuple))
            else ""
        )
        raise InvalidAudioSourceError(
            f"{display}: sample_rate= is only for numpy sample arrays; an encoded file carries its own "
            f"rate{hint}",
            source_name=display,
        )
    if isinstance(source, str):
        scheme = url_scheme(source)
        if scheme is not None and scheme != "data":
            return _url_part(source, scheme, source_name_of(source, name)), None
    with open_source(cast(AudioSource, source), name=name) as opened:
        _refuse_early_if_too_large(opened.name, opened.size_bytes, limits)
        try:
            info = probe_bytes(opened.data, source_name=opened.name)
        except UnsupportedAudioFormatError:
            if not convert:
                raise

            data, info = convert_audio(bytes(opened.data), source_name=opened.name)
            return _checked_part(data, info, limits), info
        if isinstance(source, str) and opened.declared_mime == info.mime and opened.canonical_payload:
            if len(source) > limits.max_data_uri_chars:
                raise _too_large(opened.name, len(source), opened.size_bytes, limits)
            return {"type": "input_audio", "input_audio": {"data": source}}, info  # already right
        return _checked_part(opened.data, info, limits), info


def _refuse_early_if_too_large(name: str, size_bytes: int, limits: Limits) -> None:
    """Refuse before reading or probing when even the shortest MIME could not fit."""
    shortest = "x" * min(len(spec.mime) for spec in AUDIO_FORMATS.values())
    if size_bytes > max_bytes_for_data_uri(shortest, limits=limits):
        raise _too_large(name, data_uri_chars(size_bytes, shortest), size_bytes, limits, at_least=True)


def input_audio_part(
    source: AudioSource | NDArray[Any],
    *,
    name: str | None = None,
    sample_rate: int | None = None,
    convert: bool = False,
    limits: Limits | None = None,
) -> InputAudioPart:
    """MiMo's audio content part: ``{"type": "input_audio", "input_audio": {"data": ...}}``.

    ``source`` is a path, bytes, a binary file object (read from its current position),
    an ``http(s)://`` URL (passed through untouched, never fetched), a data URI
    (checked, and re-emitted with the MIME its bytes call for), or a numpy array with
    ``sample_rate=`` (encoded as WAV). Local audio becomes ``data:<MIME>;base64,<the
    exact bytes>``, the MIME read from the bytes. Formats MiMo refuses raise
    :class:`UnsupportedAudioFormatError` unless ``convert=True``; a data URI longer
    than :attr:`Limits.max_data_uri_chars` raises :class:`AudioTooLargeError`.
    ``name`` is what error messages call the audio.
    """
    part, _ = audio_part_and_info(source, name=name, sample_rate=sample_rate, convert=convert, limits=limits)
    return part


def text_part(text: str) -> TextPart:
    """``{"type": "text", "text": text}``."""
    if not isinstance(text, str):
        raise InvalidTypeError(
            f"text_part() takes a str, not a {type(text).__name__} ({text!r:.40}); for audio use "
            "input_audio_part(...)",
            option="text",
        )
    return {"type": "text", "text": text}
