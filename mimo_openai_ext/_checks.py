"""Up-front checks on the arguments of the calling helpers, before anything is sent.

* ``check_client(client, sync=..., call=...)``: the call needs ``openai.OpenAI`` (sync) or
  ``openai.AsyncOpenAI`` (async); anything else (the other kind, a path passed first, ...)
  raises :class:`InvalidClientError` (a ``TypeError``) naming the right call.
* ``check_bool(value, option=...)``: a real ``bool``; ``"off"`` / ``"no"`` / ``0`` are refused
  (a non-empty string is truthy, so ``thinking="no"`` would turn thinking *on*).
* ``check_completion_tokens(value, spec)``: a whole number from 1 to the model's
  ``ModelSpec.max_completion_tokens``.
* ``document_alias(alias, doc)``: a docstring for a public ``Union``/``Literal`` alias.
"""

from __future__ import annotations

import inspect
import os
from contextlib import suppress

from ._config import ModelSpec
from ._exceptions import InvalidClientError, InvalidOptionError

__all__ = ["check_bool", "check_client", "check_completion_tokens", "check_question", "document_alias"]


def _create_of(client: object) -> object:
    return getattr(getattr(getattr(client, "chat", None), "completions", None), "create", None)


def _is_async_client(client: object, create: object) -> bool:
    import openai

    if isinstance(client, openai.AsyncOpenAI):
        return True
    if isinstance(client, openai.OpenAI):
        return False
    func = inspect.unwrap(create) if callable(create) else create
    return inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(create)


def check_client(client: object, *, sync: bool, call: str) -> None:
    """Raise :class:`InvalidClientError` unless ``client`` is the kind of openai client ``call`` needs."""
    twin = call[: -len("_async")] if call.endswith("_async") else f"{call}_async"
    want = "a sync openai.OpenAI" if sync else "an openai.AsyncOpenAI"
    create = _create_of(client)
    found = type(client).__name__
    if not callable(create) or not callable(getattr(client, "with_options", None)):
        shown = repr(client) if isinstance(client, (str, bytes, os.PathLike)) else found
        raise InvalidClientError(
            f"{call}() needs {want} client as its first argument, got {shown[:80]}: call "
            f"{call}(client, ...) with a client from mimo_client()"
            f"{'' if sync else ' / mimo_async_client()'}"
            f"{' (the client comes first, then the audio)' if isinstance(client, (str, os.PathLike)) else ''}"
        )
    is_async = _is_async_client(client, create)
    if is_async == sync:
        raise InvalidClientError(
            f"{call}() needs {want} client, got {found} "
            f"({'async' if is_async else 'sync'}): use {twin}() with this client, or "
            f"{'mimo_client()' if sync else 'mimo_async_client()'} for {call}()"
        )


def check_bool(value: object, *, option: str) -> bool:
    """``value`` if it is a real ``bool``, else :class:`InvalidOptionError`."""
    if not isinstance(value, bool):
        raise InvalidOptionError(
            f"{option}={value!r}: must be True or False (a {type(value).__name__} is not accepted, "
            f"since a string like 'off' would count as true); pass {option}=False to turn it off",
            option=option,
        )
    return value


def check_completion_tokens(value: object, spec: ModelSpec) -> None:
    """Refuse a ``max_completion_tokens`` that is not a whole number from 1 to the model's cap."""
    limit = spec.max_completion_tokens
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidOptionError(
            f"max_completion_tokens={value!r}: must be a whole number (int) from 1 to {limit:,} "
            f"for {spec.id}; pass e.g. max_completion_tokens=1024, or leave it out for the model's "
            f"default ({spec.default_max_completion_tokens:,})",
            option="max_completion_tokens",
        )
    if not 1 <= value <= limit:
        raise InvalidOptionError(
            f"max_completion_tokens={value:,}: {spec.id} accepts 1 to {limit:,} "
            f"(ModelSpec.max_completion_tokens); pass a value in that range, or leave it out for "
            f"the model's default ({spec.default_max_completion_tokens:,})",
            option="max_completion_tokens",
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
