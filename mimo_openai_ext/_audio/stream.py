"""What every decoder hands on: :class:`AudioStream` (seekable float32 blocks) and
:class:`SourceAudioInfo`, with the libsndfile stream; :mod:`.avdecode` adds PyAV's.

libsndfile's seeks are sample-exact, and libmpg123's complaints after an MP3 seek are
kept off the terminal (:mod:`.quiet`).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._exceptions import CorruptAudioError
from .quiet import StderrFilter

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["AudioStream", "SourceAudioInfo", "decoder_reason", "open_sf", "sf_stream"]

_MPG123_NOISE = (
    b"libmpg123",  # "[src/libmpg123/layer3.c:...] error: part2_3_length ...", "... id3.c ... error: Whoa!"
    b"Note: Illegal Audio-MPEG-Header",
    b"Note: Trying to resync",
    b"Note: Skipped ",
    b"Note: Hit end of (available) data",
    b"Warning: Xing stream size off",
    b"fuzzy seeking",
)
"""What libmpg123 prints on descriptor 2 while libsndfile opens, seeks or reads an MP3 (damaged
or not); dropped around those calls only."""


_LIBSNDFILE_WORDS = {
    "Supported file format but file is malformed.": "its structure is broken",
    "Error : unknown error in flac decoder.": "its FLAC data cannot be decoded",
    "Error : flac decoder lost sync.": "its FLAC frames lose their sync",
    "Error : flac decoder bad header.": "a FLAC frame header is damaged",
    "Error : flac decoder frame crc mismatch.": "a FLAC frame fails its checksum",
    "Error : flac decoder unparseable stream.": "its FLAC stream cannot be parsed",
    # libsndfile's words for "mpg123 would not open the stream": nothing to do with files on disk.
    "File does not exist or is not a regular file (possibly a pipe?).": "its audio data cannot be decoded",
    "System error.": "its audio data cannot be read",
    "Unspecified internal error.": "its audio data cannot be decoded",
    "Internal psf_fseek() failed.": "its data ends before a point it refers to",
    # PyAV (FFmpeg), once its "[Errno N] " and file name are dropped
    "End of file": "it ends too early",
    "Invalid data found when processing input": "its data is not valid",
}
"""libsndfile's complaints (``sf_error_number``) in our words: they name its decoders, its
reader objects and conditions that are not the user's (a pipe, a system error)."""


def decoder_reason(exc: BaseException) -> str:
    """Why a decoder failed, in words for the user: libsndfile's own text is translated (one
    we do not know becomes a plain "its audio data cannot be decoded"), others' first line kept."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    text = re.sub(r"^Error opening <[^>]*>: ", "", text)
    text = re.sub(r"^\[Errno -?\d+\] (.*?)(?:: '[^']*')?$", r"\1", text)  # PyAV: "[Errno N] what: 'file'"
    known = _LIBSNDFILE_WORDS.get(text)
    if known is not None:
        return known
    if text.startswith(("Error : ", "(Garbled error message from libsndfile)")):
        return "its audio data cannot be decoded"
    return text


@dataclass(frozen=True)
class SourceAudioInfo:
    """What the audio was before fitting: like :class:`AudioInfo`, but any format."""

    format: str
    """``wav``, ``flac``, ... or, for formats MiMo refuses, ``aiff``, ``caf``, ``aac``, ..."""
    codec: str
    duration_s: float
    sample_rate_hz: int
    channels: int
    size_bytes: int
    source_name: str


class AudioStream:
    """A seekable decoder: ``read(frames)`` returns float32 ``(frames, channels)`` blocks."""

    frames: int
    sample_rate_hz: int
    channels: int
    subtype: str
    """``PCM_16``, ``PCM_24``, ...: what a lossless copy needs (see ``lossless_subtype``)."""

    def __init__(self, info: SourceAudioInfo) -> None:
        self.info = info

    @property
    def name(self) -> str:
        return self.info.source_name

    def seek(self, frame: int) -> None:
        raise NotImplementedError

    def read(self, frames: int) -> NDArray[np.float32]:
        raise NotImplementedError

    def close(self) -> None:
        """Release what the decoder holds (the file stays the caller's)."""

    def blocks(self, *, start: int = 0, stop: int | None = None, size: int) -> Iterator[NDArray[np.float32]]:
        """Blocks of at most ``size`` frames from ``start`` to ``stop`` (default: the end)."""
        stop = self.frames if stop is None else min(stop, self.frames)
        self.seek(start)
        position = start
        while position < stop:
            block = self.read(min(size, stop - position))
            if block.shape[0] == 0:
                return
            position += block.shape[0]
            yield block

    def _damaged(self, exc: Exception) -> CorruptAudioError:
        return CorruptAudioError(
            f"{self.name}: decoding failed mid-file ({decoder_reason(exc)}); "
            "the file is damaged or truncated",
            source_name=self.name,
        )


class SoundFileStream(AudioStream):
    """libsndfile: exact seeks; MP3 decoding (libmpg123) with its stderr lines filtered out."""

    def __init__(self, handle: Any, info: SourceAudioInfo) -> None:
        super().__init__(info)
        self._sf = handle
        self.frames = int(handle.frames)
        self.sample_rate_hz = int(handle.samplerate)
        self.channels = int(handle.channels)
        self.subtype = str(handle.subtype)
        mp3 = str(handle.format).upper() in ("MP3", "MPEG")
        self._filter = StderrFilter(*_MPG123_NOISE) if mp3 else None
        self._quiet: Callable[[], contextlib.AbstractContextManager[None]] = (
            self._filter or contextlib.nullcontext
        )

    def close(self) -> None:
        if self._filter is not None:
            self._filter.close()

    def seek(self, frame: int) -> None:
        try:
            with self._quiet():
                self._sf.seek(max(0, min(frame, self.frames)))
        except RuntimeError as exc:  # libsndfile: "Seek attempted on unseekable file type", ...
            raise self._damaged(exc) from exc

    def read(self, frames: int) -> NDArray[np.float32]:
        try:
            with self._quiet():
                block: NDArray[np.float32] = self._sf.read(frames, dtype="float32", always_2d=True)
        except RuntimeError as exc:
            raise self._damaged(exc) from exc
        return block


def open_sf(file: Any) -> Any:
    import soundfile

    quiet = StderrFilter(*_MPG123_NOISE)  # opening an MP3 already reads (and complains about) frames
    try:
        with quiet():
            return soundfile.SoundFile(file)
    except (RuntimeError, TypeError, ValueError):
        return None
    finally:
        quiet.close()


@contextlib.contextmanager
def sf_stream(handle: Any, info: SourceAudioInfo) -> Iterator[AudioStream]:
    with handle:
        stream = SoundFileStream(handle, info)
        try:
            yield stream
        finally:
            stream.close()
