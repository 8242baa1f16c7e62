"""Up-front checks on the arguments of the calling helpers, before anything is sent.

* ``check_bool(value, option=...)``: a real ``bool``; ``"off"`` / ``"no"`` / ``0`` are refused
  (a non-empty string is truthy, so ``thinking="no"`` would turn thinking *on*).
* ``check_completion_tokens(value, spec)``: a whole number from 1 to the model's
  ``ModelSpec.max_completion_tokens``.
* ``check_type(value, kind, option=..., expected=...)`` and its shorthands (``check_str``,
  ``check_callable``, ``check_path``, ``check_count``, ``check_seconds``): an argument of the
  wrong type or out of range is an :class:`InvalidTypeError` / :class:`InvalidOptionError`
  naming the option, what it got and what it takes, before anything is read or sent.
* ``document_alias(alias, doc)``: a docstring for a public ``Union``/``Literal`` alias.
"""

from __future__ import annotations

import math
import mmap
import os
from contextlib import suppress
from typing import Any, TypeVar

from ._config import Limits, ModelSpec
from ._exceptions import InvalidOptionError, InvalidTypeError

__all__ = [
    "check_bool",
    "check_buffer",
    "check_callable",
    "check_completion_tokens",
    "check_count",
    "check_limits",
    "check_number",
    "check_options",
    "check_path",
    "check_question",
    "check_seconds",
    "check_str",
    "check_type",
    "document_alias",
]

_T = TypeVar("_T")


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_type(
    value: object, kind: type[_T] | tuple[type, ...], *, option: str, expected: str, none: bool = False
) -> Any:
    """``value`` if it is a ``kind`` (or None when ``none``), else :class:`InvalidTypeError`."""
    if (value is None and none) or isinstance(value, kind):
        return value
    raise InvalidTypeError(
        f"{option}={_shown(value)}: must be {expected}{' or None' if none else ''}, "
        f"not a {type(value).__name__}",
        option=option,
    )


def check_str(value: object, *, option: str, none: bool = False, empty: bool = False) -> Any:
    """A ``str`` (non-blank unless ``empty``), or None when ``none``."""
    check_type(value, str, option=option, expected="a str", none=none)
    if isinstance(value, str) and not empty and not value.strip():
        raise InvalidOptionError(f"{option}={value!r}: must not be empty", option=option)
    return value


def check_callable(value: object, *, option: str, none: bool = True) -> Any:
    """A function (or None when ``none``)."""
    if (value is None and none) or callable(value):
        return value
    raise InvalidTypeError(
        f"{option}={_shown(value)}: must be a function{' or None' if none else ''}, "
        f"not a {type(value).__name__}",
        option=option,
    )


def check_path(value: object, *, option: str, none: bool = True) -> Any:
    """A path (``str`` or ``os.PathLike``), or None when ``none``."""
    if value is None and none:
        return value
    if isinstance(value, (str, os.PathLike)) and os.fspath(value):
        if "\x00" in str(os.fspath(value)):
            raise InvalidOptionError(
                f"{option}={_shown(value)}: a path cannot hold a NUL byte", option=option
            )
        return value
    raise InvalidTypeError(
        f"{option}={_shown(value)}: must be a path (str or pathlib.Path){' or None' if none else ''}",
        option=option,
    )


def check_count(value: object, *, option: str, minimum: int = 1, none: bool = False) -> Any:
    """A whole number >= ``minimum`` (or None when ``none``)."""
    if value is None and none:
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidTypeError(
            f"{option}={_shown(value)}: must be a whole number (int) >= {minimum}"
            f"{' or None' if none else ''}, not a {type(value).__name__}",
            option=option,
        )
    if value < minimum:
        raise InvalidOptionError(f"{option}={value!r}: must be >= {minimum}", option=option)
    return value


def check_seconds(value: object, *, option: str, minimum: float = 0.0, none: bool = False) -> Any:
    """A finite number of seconds >= ``minimum`` (or None when ``none``)."""
    if value is None and none:
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidTypeError(
            f"{option}={_shown(value)}: must be a number of seconds{' or None' if none else ''}, "
            f"not a {type(value).__name__}",
            option=option,
        )
    if not math.isfinite(value) or value < minimum:
        raise InvalidOptionError(
            f"{option}={value!r}: must be a finite number of seconds >= {minimum:g}", option=option
        )
    return value


def check_bool(value: object, *, option: str) -> bool:
    """``value`` if it is a real ``bool``, else :class:`InvalidOptionError`."""
    if not isinstance(value, bool):
        raise InvalidTypeError(
            f"{option}={_shown(value)}: must be True or False (a {type(value).__name__} is not accepted, "
            f"since a string like 'off' would count as true); pass {option}=False to turn it off",
            option=option,
        )
    return value


def check_completion_tokens(value: object, spec: ModelSpec, *, option: str = "max_completion_tokens") -> None:
    """Refuse a ``max_completion_tokens`` that is not a whole number from 1 to the model's cap.

    ``option`` is the name the caller used (``max_tokens``, OpenAI's, is sent under MiMo's name).
    """
    limit = spec.max_completion_tokens
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidOptionError(
            f"{option}={value!r}: must be a whole number (int) from 1 to {limit:,} "
            f"for {spec.id}; pass e.g. {option}=1024, or leave it out for the model's "
            f"default ({spec.default_max_completion_tokens:,})",
            option=option,
        )
    if not 1 <= value <= limit:
        raise InvalidOptionError(
            f"{option}={value:,}: {spec.id} accepts 1 to {limit:,} "
            f"(ModelSpec.max_completion_tokens); pass a value in that range, or leave it out for "
            f"the model's default ({spec.default_max_completion_tokens:,})",
            option=option,
        )


def check_question(question: object) -> str:
    """A non-blank ``str`` question, else :class:`InvalidOptionError`."""
    if not isinstance(question, str):
        raise InvalidOptionError(
            f"question={question!r}: must be a str (MiMo needs a text part next to the audio); "
            "ask something about the audio, e.g. 'What is said?'",
            option="question",
        )
    if not question.strip():
        raise InvalidOptionError(
            "the question is empty: ask something about the audio (MiMo needs a text part), "
            "e.g. 'What is said?'",
            option="question",
        )
    return question


def document_alias(alias: object, doc: str) -> None:
    """Give a public ``Union``/``Literal`` alias a docstring, so ``help(alias)`` explains it."""
    with suppress(AttributeError, TypeError):  # an alias type that takes no attributes: keep the default
        object.__setattr__(alias, "__doc__", doc)


def check_limits(value: object) -> Limits | None:
    """A ``Limits`` (or None for the defaults)."""
    result: Limits | None = check_type(
        value, Limits, option="limits", expected="a Limits, e.g. dataclasses.replace(DEFAULT_LIMITS, ...)",
        none=True,
    )  # fmt: skip
    return result


def check_buffer(value: object, *, option: str = "data") -> Any:
    """Audio bytes: ``bytes``, ``bytearray``, ``memoryview`` or ``mmap``."""
    return check_type(
        value, (bytes, bytearray, memoryview, mmap.mmap), option=option,
        expected="bytes (or a bytearray/memoryview); for a path use probe_audio()/read_source()",
    )  # fmt: skip


def check_options(
    *,
    model: object = None,
    name: object = None,
    limits: object = None,
    on_progress: object = None,
    **flags: object,
) -> None:
    """The options the audio verbs share: ``model``/``name`` (str or None), ``limits``, a progress
    callback, and on/off ``flags`` (``keep_quality=...``)."""
    check_str(model, option="model", none=True)
    check_str(name, option="name", none=True)
    check_limits(limits)
    check_callable(on_progress, option="on_progress")
    for flag, value in flags.items():
        check_bool(value, option=flag)


def check_number(value: object, *, option: str, low: float, high: float, none: bool = False) -> Any:
    """A number from ``low`` to ``high`` (or None when ``none``)."""
    if value is None and none:
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidTypeError(
            f"{option}={_shown(value)}: must be a number from {low:g} to {high:g}, "
            f"not a {type(value).__name__}",
            option=option,
        )
    if not low <= value <= high:
        raise InvalidOptionError(f"{option}={value!r}: must be from {low:g} to {high:g}", option=option)
    return value
