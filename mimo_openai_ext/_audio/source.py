"""Where audio comes from: paths, bytes, file objects, data URIs and URLs.

Only what was asked is read: a file object from its current position, a path opened
once (and memory-mapped, so probing touches only the header pages), bytes as they are.
"""

from __future__ import annotations

import contextlib
import io
import mmap
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, TypeAlias

from .._exceptions import InvalidAudioSourceError
from .datauri import ByteData, is_data_uri, is_url, parse_data_uri, url_scheme

__all__ = [
    "AudioSource",
    "BufferReader",
    "ByteData",
    "OpenedSource",
    "is_data_uri",
    "is_url",
    "open_source",
    "parse_data_uri",
    "read_source",
    "source_name_of",
    "url_scheme",
]

AudioSource: TypeAlias = str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes]
"""Anything audio can be read from: a path, an http(s) URL, a data URI, bytes, or a binary file."""


_DATA_URI_NAME = "<data URI>"


def _display_name(path: os.PathLike[str] | str) -> str:
    return os.path.basename(os.fspath(path)) or os.fspath(path)


def _refuse_url(text: str, scheme: str, name: str) -> InvalidAudioSourceError:
    if scheme in ("http", "https"):
        return InvalidAudioSourceError(
            f"{name}: an {scheme} URL is sent to MiMo as it is and cannot be read locally (to probe, "
            "convert or split it): download it first (input_audio_part(url) sends the URL unchanged)",
            source_name=name,
        )
    return InvalidAudioSourceError(
        f"{name}: {scheme}:// URLs are not supported; MiMo fetches only http(s):// URLs. "
        "Pass a local path, bytes or a binary file object instead",
        source_name=name,
    )


_ACCEPTED = (
    "a path (str or pathlib.Path), an http(s) URL, a data URI, bytes/bytearray/memoryview, "
    "or a file opened in binary mode ('rb')"
)


def _check_type(source: object, name: str) -> None:
    if not isinstance(source, (str, os.PathLike, bytes, bytearray, memoryview)) and not hasattr(
        source, "read"
    ):
        kind = type(source).__name__
        hint = "numpy arrays need sample_rate=..."
        if isinstance(source, (list, tuple)):
            hint = (
                f"for samples, pass numpy.asarray(samples, dtype='float32') with sample_rate=...; "
                f"for several files, one part per file (a {kind} is not one audio source)"
            )
        raise InvalidAudioSourceError(
            f"{name}: cannot read audio from a {kind} ({_snippet(source)}); accepted: {_ACCEPTED} ({hint})",
            source_name=name,
        )


def _snippet(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _position(fileobj: IO[bytes]) -> int | None:
    try:
        return fileobj.tell() if fileobj.seekable() else None
    except (OSError, ValueError, AttributeError):
        return None


def _read_file_object(fileobj: IO[bytes], name: str) -> bytes:
    start = _position(fileobj)
    try:
        data = fileobj.read()
    except (OSError, ValueError) as exc:
        raise InvalidAudioSourceError(
            f"{name}: cannot read the file object: {exc}", source_name=name
        ) from exc
    if isinstance(data, str):
        raise InvalidAudioSourceError(
            f"{name}: the file object returned text; open the file in binary mode ('rb')", source_name=name
        )
    if not isinstance(data, (bytes, bytearray)):
        raise InvalidAudioSourceError(
            f"{name}: the file object's read() returned {type(data).__name__}, not bytes", source_name=name
        )
    if not data and start:
        raise InvalidAudioSourceError(
            f"{name}: nothing left to read after position {start:,} (the file object was already "
            "read to its end); call .seek(0) on it first, or pass the path instead",
            source_name=name,
        )
    return bytes(data)


def _file_object_name(fileobj: object) -> str:
    raw = getattr(fileobj, "name", None)
    if isinstance(raw, (str, os.PathLike)) and os.fspath(raw):
        return _display_name(raw)
    return "<bytes>" if hasattr(fileobj, "read") else f"<{type(fileobj).__name__}>"


def _path_of(source: str | os.PathLike[str], name: str) -> str:
    path = os.fspath(source)
    if not isinstance(path, str):
        raise InvalidAudioSourceError(f"{name}: pass paths as str or pathlib.Path", source_name=name)
    if not path:
        raise InvalidAudioSourceError("<path>: an empty string is not a path", source_name="<path>")
    return path


def _folder_error(path: str, name: str) -> InvalidAudioSourceError:
    return InvalidAudioSourceError(
        f"{path} is a directory (a folder), not an audio file; pass one file inside it, or ask about every "
        f"file with ask_batch(...) / `mimo-audio batch {path}`",
        source_name=name,
    )


def _open_path(path: str, name: str) -> IO[bytes]:
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise InvalidAudioSourceError(
            f"{name}: no such file ({os.path.abspath(path)})", source_name=name
        ) from None
    except IsADirectoryError:
        raise _folder_error(path, name) from None
    except OSError as exc:
        raise InvalidAudioSourceError(
            f"{name}: cannot open: {exc.strerror or exc}", source_name=name
        ) from None


def source_name_of(source: object, name: str | None = None) -> str:
    """The name used in messages: ``name``, else the file name, else ``<bytes>``."""
    if name is not None:
        return name
    if isinstance(source, str):
        if is_data_uri(source):
            return _DATA_URI_NAME
        return source if url_scheme(source) else _display_name(source) if source else "<path>"
    if isinstance(source, os.PathLike):
        return _display_name(source)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return "<bytes>"
    return _file_object_name(source)


@dataclass(frozen=True)
class OpenedSource:
    """Bytes of one source, valid inside ``open_source``'s ``with`` block."""

    data: ByteData
    name: str
    declared_mime: str | None = None
    """The MIME a data URI declared (None for other sources)."""
    canonical_payload: bool = False
    """A data URI whose base64 payload can be re-sent unchanged."""

    @property
    def size_bytes(self) -> int:
        return len(self.data)


@contextlib.contextmanager
def open_source(source: AudioSource, *, name: str | None = None) -> Iterator[OpenedSource]:
    """Yield the source's bytes without copying: paths are opened once and memory-mapped."""
    display = source_name_of(source, name)
    _check_type(source, display)
    if isinstance(source, str):
        scheme = url_scheme(source)
        if scheme == "data":
            uri = parse_data_uri(source, name=display)
            yield OpenedSource(uri.data, display, uri.mime, uri.canonical_payload)
            return
        if scheme is not None:
            raise _refuse_url(source, scheme, display)
    if isinstance(source, (str, os.PathLike)):
        path = _path_of(source, display)
        with _open_path(path, display) as fh:
            info = os.fstat(fh.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_size == 0:  # a pipe, a device, or empty
                yield OpenedSource(fh.read(), display)
                return
            try:
                mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            except (OSError, ValueError):  # a file system that cannot map: read it instead
                yield OpenedSource(fh.read(), display)
                return
            try:
                yield OpenedSource(mapped, display)
            finally:
                # A view still alive (say, in a traceback) keeps the map open until it is freed.
                with contextlib.suppress(BufferError):
                    mapped.close()
        return
    if isinstance(source, (bytes, bytearray, memoryview)):
        data: ByteData = source
        if isinstance(source, memoryview):
            data = source.cast("B") if source.contiguous else source.tobytes()
        yield OpenedSource(data, display)
        return
    yield OpenedSource(_read_file_object(source, display), display)


def read_source(source: AudioSource, *, name: str | None = None) -> tuple[bytes, str]:
    """Return the source's exact bytes and its display name (file name or ``<bytes>``).

    Paths are opened once; file objects are read from their current position; a data
    URI is decoded. URLs are refused (no network here): :class:`InvalidAudioSourceError`.
    """
    display = source_name_of(source, name)
    _check_type(source, display)
    if isinstance(source, bytes):
        return source, display
    if isinstance(source, (bytearray, memoryview)):
        return bytes(source), display
    if isinstance(source, (str, os.PathLike)):
        if isinstance(source, str):
            scheme = url_scheme(source)
            if scheme == "data":
                return parse_data_uri(source, name=display).data, display
            if scheme is not None:
                raise _refuse_url(source, scheme, display)
        with _open_path(_path_of(source, display), display) as fh:
            return fh.read(), display
    return _read_file_object(source, display), display


class BufferReader(io.RawIOBase):
    """A seekable read-only file over a buffer (bytes, mmap, memoryview), without copying it."""

    def __init__(self, data: ByteData) -> None:
        super().__init__()
        self._view = memoryview(data).cast("B")
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        target = memoryview(buffer).cast("B")
        chunk = self._view[self._pos : self._pos + len(target)]
        target[: len(chunk)] = chunk
        self._pos += len(chunk)
        return len(chunk)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move; a seek before the start (a damaged header's arithmetic) lands at the end.

        libsndfile calls this from C, where an exception cannot travel: it would be
        printed and lost. At the end, its next read finds nothing and it reports the file
        as malformed, which becomes our CorruptAudioError.
        """
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: len(self._view)}[whence]
        self._pos = base + offset if base + offset >= 0 else len(self._view)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        self._view.release()
        super().close()
