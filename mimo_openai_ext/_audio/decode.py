"""Open any audio as a stream of float32 blocks, without holding it decoded in memory.

Two decoders, both core dependencies, each where it is exact: libsndfile
(``soundfile``: WAV, FLAC, Ogg, MP3, AIFF, CAF, ...; paths are read with ordinary
``read()`` calls, so a 600 MB WAV never sits in memory; :mod:`.stream`) and PyAV for
the rest (M4A streamed block by block; :mod:`.avdecode`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from .._exceptions import CorruptAudioError, UnsupportedAudioFormatError
from .avdecode import via_av
from .mp4 import is_iso_bmff
from .mpeg import skip_leading_tags
from .sniff import sniff_audio
from .source import AudioSource, BufferReader, ByteData, open_source, source_name_of, url_scheme
from .stream import AudioStream, SourceAudioInfo, open_sf, sf_stream

__all__ = ["AudioStream", "SourceAudioInfo", "describe_media", "open_audio"]

_NOT_MEDIA = ("an image", "a font", "a file", "text", "JSON text", "an HTML page", "MIDI")


def describe_media(data: ByteData, name: str) -> str:
    """What ``data`` is, in words ("AIFF", "AAC in ADTS ..."); garbage raises CorruptAudioError."""

    try:
        return sniff_audio(data, source_name=name).description
    except UnsupportedAudioFormatError as exc:
        if not exc.convertible or exc.found.startswith(_NOT_MEDIA) or ", not audio;" in str(exc):
            raise
        return exc.found


def _refuse_unconvertible(data: ByteData, name: str) -> None:
    """A format whose refusal says conversion cannot help (a tracker instrument, DRM, ...) is
    refused here by name, before a decoder that opens it half-way (libsndfile reads XI
    headers, then cannot seek in them) is tried."""
    with contextlib.suppress(CorruptAudioError):  # damaged or unknown: the decoders say more
        try:
            sniff_audio(data, source_name=name)
        except UnsupportedAudioFormatError as exc:
            if not exc.convertible:
                raise


def _sf_info(handle: Any, name: str, size: int) -> SourceAudioInfo:
    fmt = str(handle.format).lower()
    fmt = {"wavex": "wav", "rf64": "wav", "mp3": "mp3"}.get(fmt, fmt)
    rate = int(handle.samplerate)
    return SourceAudioInfo(
        fmt, str(handle.subtype).lower(), handle.frames / rate, rate, int(handle.channels), size, name
    )


@contextlib.contextmanager
def open_audio(source: AudioSource, *, name: str | None = None) -> Iterator[AudioStream]:
    """Open ``source`` (path, bytes, file object, data URI) for streaming decode."""
    display = source_name_of(source, name)
    if isinstance(source, (str, os.PathLike)) and url_scheme(os.fspath(source)) is None:
        path = os.fspath(source)
        with open_source(source, name=display) as opened:  # checks existence and type
            size = opened.size_bytes
            if size == 0:
                raise CorruptAudioError(f"{display}: is empty (0 bytes)", source_name=display)
            _refuse_unconvertible(opened.data, display)
            handle = open_sf(path)
            found = "" if handle is not None else describe_media(opened.data, display)
            mp4 = handle is None and is_iso_bmff(opened.data)
            tagged = handle is None and skip_leading_tags(opened.data) > 0
        if handle is not None:
            with sf_stream(handle, _sf_info(handle, display, size)) as stream:
                yield stream
            return
        if not tagged:  # else: read as a buffer below, from after the tags
            with via_av(lambda: path, found, display, size, streamable=mp4) as stream:
                yield stream
            return

    with open_source(source, name=display) as opened:
        if opened.size_bytes == 0:
            raise CorruptAudioError(f"{display}: is empty (0 bytes)", source_name=display)
        _refuse_unconvertible(opened.data, display)
        with BufferReader(opened.data) as reader:
            handle = open_sf(reader)
            if handle is not None:
                with sf_stream(handle, _sf_info(handle, display, opened.size_bytes)) as stream:
                    yield stream
                return
        found = describe_media(opened.data, display)
        # PyAV starts after leading ID3 tags: its raw AC-3/DTS/... readers take a tag for a
        # damaged first packet and fail (ffmpeg's command line only logs it and goes on).
        skip = skip_leading_tags(opened.data)
        with (
            memoryview(opened.data) as whole,
            whole[skip:] as data,
            contextlib.ExitStack() as readers,
        ):

            def reader_over_data() -> BufferReader:
                return readers.enter_context(BufferReader(data))

            with via_av(
                reader_over_data, found, display, opened.size_bytes, streamable=is_iso_bmff(data)
            ) as stream:
                yield stream
