"""The words of a refusal: a real format MiMo does not take, or damaged bytes.

Every message starts with the source's name and says what was found, what MiMo accepts
and what to do: convert (with the exact call and command), something else when
converting cannot help, or check the file when it is damaged.
"""

from __future__ import annotations

import shlex

from .._config import AUDIO_FORMATS
from .._exceptions import CorruptAudioError, UnsupportedAudioFormatError
from .signatures import Refusal

__all__ = ["MISSING", "REDO", "accepted_list", "corrupt", "refuse", "unsupported"]


def accepted_list() -> str:
    return ", ".join(AUDIO_FORMATS)


def _shell_name(source_name: str) -> str:
    if source_name.startswith("<") or not source_name:
        return "FILE"
    return shlex.quote(source_name)


def unsupported(
    found: str, source_name: str, *, why: str = "", convertible: bool = True, hint: str = ""
) -> UnsupportedAudioFormatError:
    """The refusal for a real but unaccepted format, with the way out.

    ``hint`` replaces the conversion advice when converting cannot help; without it,
    ``convertible=False`` says the bytes are not audio at all.
    """
    refused = f"{source_name}: {found} is not accepted by MiMo{f' ({why})' if why else ''}"
    if hint:
        text = f"{refused}; accepted: {accepted_list()}. {hint}"
        convertible = False
    elif convertible:
        way_out = (
            "Convert it with input_audio_part(..., convert=True) or fit_audio(), "
            f"or on the command line with `mimo-audio fit {_shell_name(source_name)}`"
        )
        text = f"{refused}; accepted: {accepted_list()}. {way_out}"
    else:
        text = (
            f"{source_name}: this is {found}, not audio; MiMo accepts audio in {accepted_list()}. "
            "Check that the right file was passed"
        )
    return UnsupportedAudioFormatError(
        text, source_name=source_name, found=found, allowed=tuple(AUDIO_FORMATS), convertible=convertible
    )


def refuse(refusal: Refusal, source_name: str, *, where: str = "") -> UnsupportedAudioFormatError:
    found = f"{refusal.found}{where}"
    if not refusal.media:
        return unsupported(found, source_name, convertible=False)
    return unsupported(found, source_name, convertible=refusal.convertible, hint=refusal.hint)


MISSING = ", and that the right file was passed"
REDO = (
    ": check that the file was fully written or downloaded, or re-export it from its source "
    f"as {'/'.join(AUDIO_FORMATS)}"
)


def corrupt(source_name: str, what: str) -> CorruptAudioError:
    return CorruptAudioError(f"{source_name}: {what}", source_name=source_name)
