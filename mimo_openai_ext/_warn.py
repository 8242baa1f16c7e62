"""Warnings that point at the user's line, not at ours.

``caller_stacklevel()`` is the ``stacklevel`` that makes ``warnings.warn`` name the first
frame outside this package, however deep the helper that warns; :func:`warn` uses it.
"""

from __future__ import annotations

import os
import sys
import warnings

__all__ = ["caller_stacklevel", "warn"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _inside_package(filename: str) -> bool:
    """A file of this package or its subpackages (not a sibling like ``mimo_openai_ext_x``)."""
    folder = os.path.dirname(os.path.abspath(filename))
    return folder == _PACKAGE_DIR or folder.startswith(_PACKAGE_DIR + os.sep)


def _generated_here(frame: object) -> bool:
    """Code generated for this package (a dataclass ``__init__`` that runs ``__post_init__``)."""
    code = getattr(frame, "f_code", None)
    name = str(getattr(frame, "f_globals", {}).get("__name__", ""))
    return bool(code and code.co_filename.startswith("<") and name.startswith(__package__ + "."))


def caller_stacklevel() -> int:
    """The ``stacklevel`` (for a ``warnings.warn`` in the caller of this function) of the user's frame.

    Frames inside this package (and code generated for it, such as a dataclass ``__init__``)
    are skipped, so the warning names the line that called the library, however deep the
    helper that warns.
    """
    frame = sys._getframe(1)
    level = 1
    while frame is not None and (_inside_package(frame.f_code.co_filename) or _generated_here(frame)):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


def warn(message: str, category: type[Warning]) -> None:
    """``warnings.warn(message, category)`` attributed to the user's line."""
    warnings.warn(message, category, stacklevel=caller_stacklevel())
