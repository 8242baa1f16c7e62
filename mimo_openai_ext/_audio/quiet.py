"""Keep a C library's chatter off the user's terminal, around one call at a time.

libsndfile decodes MP3 with libmpg123, which writes lines such as ``[src/libmpg123/
layer3.c:INT123_do_layer3():1774] error: part2_3_length (1728) too large for available
bit count (1048)`` straight to file descriptor 2 whenever decoding starts after a seek
(the first frames' bit reservoir lies before the seek point; the audio is fine, and
libsndfile gives no way to set libmpg123's quiet flag). :class:`StderrFilter` points
descriptor 2 at a temporary file for the duration of one call, then writes back
whatever was captured except those lines, so nothing else printed meanwhile (by
another thread, say) is lost.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from typing import IO

__all__ = ["StderrFilter"]

_LOCK = threading.Lock()
"""Descriptor 2 is one per process: one capture at a time."""


class StderrFilter:
    """A reusable capture of descriptor 2 that drops lines containing any of ``markers``."""

    def __init__(self, *markers: bytes) -> None:
        self._markers = markers
        self._file: IO[bytes] | None = None

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        with _LOCK:
            try:
                sys.stderr.flush()
                saved = os.dup(2)
            except (OSError, ValueError, AttributeError):  # no descriptor 2 (pythonw, closed)
                yield
                return
            if self._file is None:
                self._file = tempfile.TemporaryFile()  # noqa: SIM115 - kept across calls; see close()
            capture = self._file
            try:
                os.dup2(capture.fileno(), 2)
                yield
            finally:
                os.dup2(saved, 2)
                os.close(saved)
                self._release(capture)

    def _release(self, capture: IO[bytes]) -> None:
        """Write back what was captured, less the library's lines; empty the file."""
        capture.seek(0)
        captured = capture.read()
        capture.seek(0)
        capture.truncate()
        if not captured:
            return
        kept = b"".join(
            line for line in captured.splitlines(keepends=True) if not any(m in line for m in self._markers)
        )
        if kept:
            with contextlib.suppress(OSError):
                os.write(2, kept)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
