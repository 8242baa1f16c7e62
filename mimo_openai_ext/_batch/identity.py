"""What makes two batch items the same: a local file's identity, whatever way its path was typed.

``calls/a.wav``, ``./calls/a.wav``, ``/abs/calls/a.wav`` and the same file through a
symlinked folder have one :class:`FileIdentity` (the resolved path, size and modification
time, read with one ``stat``); a URL, bytes or a file object has none and is keyed by its
name as typed. A file rewritten since its answer has a new identity, so it is asked again.
"""

from __future__ import annotations

import os
import re

from typing_extensions import TypedDict

__all__ = ["FileIdentity", "ItemKey", "file_identity", "item_key"]


class FileIdentity(TypedDict):
    """What a local file is, whatever way its path was typed: for matching items on resume."""

    path: str
    """The resolved path: absolute, symlinks followed."""
    size_bytes: int
    mtime_ns: int
    """The modification time: a file rewritten since its answer is asked again."""


ItemKey = tuple[object, ...]
"""What makes two records "the same item" for ``resume`` (see :func:`item_key`)."""


def file_identity(source: object) -> FileIdentity | None:
    """The identity of a local file source (None for URLs, data URIs, bytes, file objects, or a
    path that cannot be read: it keeps its typed name as its key)."""
    if not isinstance(source, (str, os.PathLike)):
        return None
    path = os.fspath(source)
    if (
        not isinstance(path, str)
        or not path
        or "\x00" in path
        or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", path)
    ):
        return None  # a URL or data URI (a Windows drive letter is a path, but a cheap miss here is safe)
    try:
        resolved = os.path.realpath(path)
        info = os.stat(resolved)
    except (OSError, ValueError):
        return None
    return {"path": resolved, "size_bytes": info.st_size, "mtime_ns": info.st_mtime_ns}


def item_key(source: str, question: str, file: FileIdentity | None = None) -> ItemKey:
    """The key of an item: its file's identity when it has one, else its source as typed."""
    if file is not None:
        return ("file", file["path"], file["size_bytes"], file["mtime_ns"], question)
    return ("source", source, question)
