"""Files, folders and globs on the command line: the sources, and a note for what was left out.

``batch`` and ``transcribe`` both take many recordings; the library finds them
(:func:`collect_sources`), and this says on stderr which subfolders were not searched and which
files were skipped for their format, the same way for both commands.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from .._batch.inputs import CollectedSources, collect_sources

__all__ = ["collect_and_note"]


def collect_and_note(arguments: Sequence[str], *, convert: bool, recursive: bool) -> CollectedSources:
    """:func:`collect_sources`, saying on stderr which files and subfolders of a folder were left out."""
    collected = collect_sources(list(arguments), convert=convert, recursive=recursive)
    for folder, subfolders in collected.not_searched:
        shown = ", ".join(subfolders[:3]) + (", ..." if len(subfolders) > 3 else "")
        print(
            f"mimo-audio: note: {folder}: {len(subfolders)} subfolder(s) not searched ({shown}); "
            "--recursive is off: add it to include their audio",
            file=sys.stderr,
        )
    for folder, names in collected.left_out:
        kinds = ", ".join(sorted({os.path.splitext(n)[1].lower() for n in names}))
        print(
            f"mimo-audio: note: {folder}: skipped {len(names)} file(s) in formats MiMo does not "
            f"accept ({kinds}); add --convert to convert and include them",
            file=sys.stderr,
        )
    return collected
