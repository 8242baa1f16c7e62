"""Where audio comes from: paths, bytes, file objects, data URIs and URLs.

Only what was asked is read: a file object from its current position, a path opened
once (and memory-mapped, so probing touches only the header pages), bytes as they are.

Hostile inputs are refused by name before anything is read: a path holding a NUL
character, and anything that is not a regular file (a FIFO, which would block for ever,
a device such as ``/dev/zero``, a socket). A path is opened non-blocking, so even a FIFO
swapped in after a check cannot hang the open. A stream (a file object, standard input)
is read at most :data:`MAX_STREAM_BYTES` + 1 bytes: past that it is refused with
:class:`AudioTooLargeError` instead of filling memory.
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

from .._config import DEFAULT_LIMITS
from .._exceptions import AudioTooLargeError, InvalidAudioSourceError
from .datauri import ByteData, is_data_uri, is_url, parse_data_uri, url_scheme

__all__ = [
    "MAX_STREAM_BYTES",
    "AudioSource",
    "BufferReader",
    "ByteData",
    "OpenedSource",
    "is_data_uri",
    "is_url",
    "open_source",
    "parse_data_uri",
    "printable_path",
    "read_capped",
    "read_source",
    "refuse_folder",
    "source_name_of",
    "url_scheme",
]

AudioSource: TypeAlias = str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes]
"""Anything audio can be read from: a path, an http(s) URL, a data URI, bytes, or a binary file."""


_DATA_URI_NAME = "<data URI>"

MAX_STREAM_BYTES = DEFAULT_LIMITS.max_url_file_bytes
"""The most read from a stream (file object, stdin): nothing larger can ever be sent to MiMo."""


def _display_name(path: os.PathLike[str] | str) -> str:
    """The file name (``AudioInfo.source_name``), printable (see :func:`printable_path`)."""
    text = os.fspath(path)
    return printable_path(os.path.basename(text) or text)


def printable_path(text: str) -> str:
    """``text`` with control characters escaped, and undecodable bytes (surrogateescape) as ``\\xNN``."""
    if text.isprintable():
        return text
    out = []
    for char in text:
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:  # a byte os.fsdecode could not decode
            out.append(f"\\x{code - 0xDC00:02x}")
        elif char.isprintable():
            out.append(char)
        else:
            out.append(repr(char)[1:-1])
    return "".join(out)


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


def _holds_a_part(source: object) -> bool:
    part = getattr(type(source), "part", None)
    return part is not None and hasattr(source, "data") and hasattr(source, "info")


def _variable(kind: str) -> str:
    return {"FittedAudio": "fitted", "AudioChunk": "chunk"}.get(kind, kind.lower())


def _check_type(source: object, name: str) -> None:
    if not isinstance(source, (str, os.PathLike, bytes, bytearray, memoryview)) and not hasattr(
        source, "read"
    ):
        kind = type(source).__name__
        hint = "numpy arrays need sample_rate=..."
        if _holds_a_part(source):  # a FittedAudio or an AudioChunk: its part is what to send
            article, variable = "an" if kind[0] in "AEIOU" else "a", _variable(kind)
            raise InvalidAudioSourceError(
                f"{name}: {article} {kind} holds audio ready to send as its .part: pass {variable}.part "
                f"(or {variable}.data, its bytes)",
                source_name=name,
            )
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


def read_capped(fileobj: IO[bytes], name: str) -> bytes:
    """All of ``fileobj`` from its position, at most :data:`MAX_STREAM_BYTES` (else an error).

    Reads ``MAX_STREAM_BYTES + 1`` at first (one call for a buffered file), then on to the
    end in case a raw file answered short, so ``/dev/zero`` or an endless pipe stops there.
    """
    limit = MAX_STREAM_BYTES
    pieces: list[bytes] = []
    total = 0
    while total <= limit:
        try:
            piece = fileobj.read(limit + 1 - total)
        except (OSError, ValueError) as exc:
            raise InvalidAudioSourceError(
                f"{name}: cannot read the file object: {exc}", source_name=name
            ) from exc
        if isinstance(piece, str):
            raise InvalidAudioSourceError(
                f"{name}: the file object returned text; open the file in binary mode ('rb')",
                source_name=name,
            )
        if piece is None:  # a non-blocking stream with nothing ready
            raise InvalidAudioSourceError(
                f"{name}: the file object is non-blocking and had no data ready; pass a blocking file, "
                "or the bytes",
                source_name=name,
            )
        if not isinstance(piece, (bytes, bytearray)):
            raise InvalidAudioSourceError(
                f"{name}: the file object's read() returned {type(piece).__name__}, not bytes",
                source_name=name,
            )
        if not piece:
            return pieces[0] if len(pieces) == 1 else b"".join(pieces)
        pieces.append(bytes(piece))
        total += len(piece)
    raise AudioTooLargeError(
        f"{name}: more than {limit:,} bytes came from this stream (a pipe, a device such as /dev/zero, or "
        f"a large file object), more than MiMo ever takes ({limit:,} bytes, by URL); pass the path of "
        "a file (it is memory-mapped), or less audio",
        source_name=name,
        size=total,
        limit=limit,
    )


def _read_file_object(fileobj: IO[bytes], name: str) -> bytes:
    start = _position(fileobj)
    data = read_capped(fileobj, name)
    if not data and start:
        raise InvalidAudioSourceError(
            f"{name}: nothing left to read after position {start:,} (the file object was already "
            "read to its end); call .seek(0) on it first, or pass the path instead",
            source_name=name,
        )
    return data


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
    if "\x00" in path:
        shown = repr(path)[1:-1][:120]
        raise InvalidAudioSourceError(
            f"{shown}: this path holds a NUL character (\\x00), which no file name can: check how it was "
            "built (a NUL-separated list such as `find -print0` split wrongly?)",
            source_name=shown,
        )
    return path


def _folder_error(path: str, name: str) -> InvalidAudioSourceError:
    shown = printable_path(path)
    return InvalidAudioSourceError(
        f"{shown} is a directory (a folder), not an audio file; pass one file inside it, or ask about every "
        f"file with ask_batch(...) / `mimo-audio batch {shown}`",
        source_name=name,
    )


def refuse_folder(source: object, *, instead: str) -> None:
    """A folder given where one recording is expected, refused with the caller's own way out.

    ``open_source``'s own refusal points at ``ask_batch`` / ``mimo-audio batch``, which is
    right for ``ask`` only; a caller for which that would fail (the transcription model,
    a picture) names what works for it in ``instead``.
    """
    if isinstance(source, (str, os.PathLike)) and not (isinstance(source, str) and is_url(source)):
        path = os.fspath(source)
        if isinstance(path, str) and path and "\x00" not in path and os.path.isdir(path):
            raise InvalidAudioSourceError(
                f"{path} is a directory (a folder), not an audio file; {instead}", source_name=path
            )


_SPECIAL = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _refuse_special(path: str, name: str, mode: int) -> None:
    """Refuse (by its path as typed) anything but a regular file: a pipe blocks, a device never ends."""
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise _folder_error(path, name)
    kind = next((what for test, what in _SPECIAL if test(mode)), "not a regular file")
    raise InvalidAudioSourceError(
        f"{printable_path(path)}: this is {kind}, not a regular file, so it is not read (a pipe can "
        "block for ever and a device such as /dev/zero never ends); save the audio to a file first, "
        "or pipe it to `-` on the command line",
        source_name=name,
    )


def _open_path(path: str, name: str) -> IO[bytes]:
    """The regular file at ``path``, opened for reading; anything else refused by name.

    ``O_NONBLOCK`` keeps a FIFO from blocking the open itself; the mode is checked on the
    opened descriptor (no window for a swap between a check and the open).
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        where = os.path.abspath(path)
        also = f" ({printable_path(where)})" if where != path else ""
        raise InvalidAudioSourceError(
            f"{printable_path(path)}: no such file{also}", source_name=name
        ) from None
    except IsADirectoryError:
        raise _folder_error(path, name) from None
    except OSError as exc:
        raise InvalidAudioSourceError(
            f"{printable_path(path)}: cannot open: {exc.strerror or exc}", source_name=name
        ) from None
    try:
        _refuse_special(path, name, os.fstat(fd).st_mode)
        if flags & getattr(os, "O_NONBLOCK", 0) and hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


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
            if info.st_size == 0:  # empty (a regular file: _open_path refused the rest)
                yield OpenedSource(read_capped(fh, display), display)  # /proc files say 0
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
