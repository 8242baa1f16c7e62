"""What a batch is asked about: files, folders and globs turned into sources, once each.

``collect_sources(["calls/", "extra/*.wav", "https://..."])`` keeps the order given:
a folder contributes its audio files (by extension, sorted), a glob its matching files,
an http(s) URL passes through. A folder's files in formats MiMo refuses (``.aac``,
``.webm``, ...) are taken only with ``convert=True``; otherwise they are reported as left out.
Subfolders are searched only with ``recursive=True``; otherwise they are reported as not
searched, so a caller can say so.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from dataclasses import dataclass

from .._audio.datauri import is_url
from .._checks import check_bool, check_str
from .._config import AUDIO_FORMATS, CONVERTIBLE_EXTENSIONS
from .._exceptions import InvalidAudioSourceError, InvalidTypeError

__all__ = ["CollectedSources", "collect_sources"]


@dataclass(frozen=True)
class CollectedSources:
    """The sources found, in order, and what each folder left out."""

    sources: tuple[str, ...]
    left_out: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """``(folder, file names)`` in formats MiMo refuses, left out without ``convert``."""
    not_searched: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """``(folder, subfolder names)`` left unsearched without ``recursive``."""


def _audio_extensions() -> tuple[str, ...]:
    return tuple(ext for spec in AUDIO_FORMATS.values() for ext in spec.extensions)


def _listing(folder: str, *, recursive: bool) -> tuple[list[str], list[str]]:
    """The folder's files (relative paths, sorted; with ``recursive``, its subfolders' too) and
    (without ``recursive``) its subfolders' names. Hidden subfolders (``.git``) are left alone."""
    if not recursive:
        names = sorted(os.listdir(folder))
        files = [n for n in names if os.path.isfile(os.path.join(folder, n))]
        return files, [n for n in names if os.path.isdir(os.path.join(folder, n)) and not n.startswith(".")]
    files = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))  # .git, .ipynb_checkpoints
        files += [os.path.relpath(os.path.join(root, n), folder) for n in sorted(names)]
    return files, []


def _folder(folder: str, *, convert: bool, recursive: bool) -> tuple[list[str], list[str], list[str]]:
    """The folder's audio files by extension, (without ``convert``) the refused ones left out,
    and (without ``recursive``) the subfolders not searched."""
    names, subfolders = _listing(folder, recursive=recursive)
    taken = _audio_extensions() + (CONVERTIBLE_EXTENSIONS if convert else ())
    left_out = [] if convert else [n for n in names if n.lower().endswith(CONVERTIBLE_EXTENSIONS)]
    files = [os.path.join(folder, n) for n in names if n.lower().endswith(taken)]
    if not files:
        if left_out:
            kinds = ", ".join(sorted({os.path.splitext(n)[1].lower() for n in left_out}))
            raise InvalidAudioSourceError(
                f"{folder}: the folder holds no audio in a format MiMo accepts, only {len(left_out)} "
                f"{kinds} file(s); add --convert (convert=True) to convert them before sending",
                source_name=folder,
            )
        deeper = (
            f"; its {len(subfolders)} subfolder(s) were not searched: add --recursive (recursive=True)"
            if subfolders
            else "; name files or a glob"
        )
        raise InvalidAudioSourceError(
            f"{folder}: the folder holds no audio files ({' '.join(_audio_extensions())}){deeper}",
            source_name=folder,
        )
    return files, left_out, subfolders


def collect_sources(
    arguments: Sequence[str], *, convert: bool = False, recursive: bool = False
) -> CollectedSources:
    """Files, folders (their audio files by extension) and globs -> paths, in order, once each
    (a file named twice, say by a relative and an absolute path or through a symlink, is kept once).

    http(s) URLs pass through unchanged. A folder's subfolders are searched only with
    ``recursive=True`` (``CollectedSources.not_searched`` lists them otherwise). An argument
    that names nothing is an :class:`InvalidAudioSourceError`.
    """
    if isinstance(arguments, (str, bytes)) or not isinstance(arguments, (list, tuple)):
        raise InvalidTypeError(
            "collect_sources() takes a list of files, folders, globs or URLs, "
            f"not a {type(arguments).__name__}",
            option="arguments",
        )
    for arg in arguments:
        check_str(arg, option="arguments[...]")
    check_bool(convert, option="convert")
    check_bool(recursive, option="recursive")
    found: list[str] = []
    left_out: list[tuple[str, tuple[str, ...]]] = []
    not_searched: list[tuple[str, tuple[str, ...]]] = []
    for arg in arguments:
        if is_url(arg):
            found.append(arg)
        elif os.path.isdir(arg):
            files, skipped, subfolders = _folder(arg, convert=convert, recursive=recursive)
            found += files
            if skipped:
                left_out.append((arg, tuple(skipped)))
            if subfolders:
                not_searched.append((arg, tuple(subfolders)))
        elif os.path.exists(arg):
            found.append(arg)
        elif any(c in arg for c in "*?["):
            files = sorted(p for p in glob.glob(arg, recursive=True) if os.path.isfile(p))
            if not files:
                raise InvalidAudioSourceError(f"{arg}: no files match this pattern", source_name=arg)
            found += files
        else:
            raise InvalidAudioSourceError(
                f"{arg}: no such file or folder ({os.path.abspath(arg)})", source_name=arg
            )
    unique: dict[str, str] = {}  # one entry per file, however its path was typed (the first kept)
    for path in found:
        key = path if is_url(path) else os.path.realpath(path)
        unique.setdefault(key, path if is_url(path) else os.path.normpath(path))
    return CollectedSources(tuple(unique.values()), tuple(left_out), tuple(not_searched))
