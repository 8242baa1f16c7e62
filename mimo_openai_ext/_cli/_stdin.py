"""``-`` as a file argument: standard input, read once and shared by every command.

``probe``, ``estimate``, ``ask`` and ``transcribe`` all accept ``-``. The bytes are read
on first use and kept, so ``probe - -`` describes the same audio twice instead of
finding the stream empty the second time.
"""

from __future__ import annotations

import io
import sys

from .._audio.source import read_capped
from . import CliUsageError

__all__ = ["STDIN", "STDIN_NAME", "is_stdin", "stdin_bytes", "stdin_file"]

STDIN = "-"
STDIN_NAME = "<stdin>"

_read: list[tuple[object, bytes]] = []
"""The stream read and its bytes (the stream is kept, so a new ``sys.stdin`` is read anew)."""


def is_stdin(argument: str) -> bool:
    return argument == STDIN


def stdin_bytes() -> bytes:
    """All of standard input, read once per stream (a terminal is refused: nothing is piped in)."""
    stream = sys.stdin
    if not _read or _read[0][0] is not stream:
        if stream is None or stream.isatty():
            raise CliUsageError(
                "'-' reads the audio from standard input, but nothing is piped in: "
                'use e.g. `cat speech.wav | mimo-audio ask - "QUESTION"`, or give a file name'
            )
        _read[:] = [(stream, read_capped(stream.buffer, STDIN_NAME))]  # /dev/zero piped in ends here
    return _read[0][1]


class _NamedBytes(io.BytesIO):
    name = STDIN_NAME


def stdin_file() -> io.BytesIO:
    """A fresh binary file object over the standard input's bytes, named ``<stdin>``."""
    return _NamedBytes(stdin_bytes())
